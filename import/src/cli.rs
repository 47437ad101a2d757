//! Command-line parsing for `folio import`. Small enough to need no argument-parsing crate.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::{run, Auth, Options};

pub const USAGE: &str = "\
usage: folio import <dir> [--url URL] [--token TOKEN] [--no-wait] [--quiet]

Uploads every Markdown, text, HTML, PDF and image file under <dir> to a Folio site, native or
a deployed Worker, through its HTTP API. Sub-folders become Folio folders; uploading again
only sends what changed (identical files are reported unchanged).

  --url URL       the site (default: $FOLIO_URL, else http://127.0.0.1:3000)
  --token TOKEN   an API token from the admin page (default: $FOLIO_TOKEN); without one,
                  $FOLIO_EMAIL and $FOLIO_PASSWORD sign in as an editor
  --no-wait       do not wait for ingest to finish before printing the summary
  --quiet         no progress bar

Exit status: 0 when every file was accepted and ingested, 1 when some were not, 2 on a usage
error or when the site cannot be used (unreachable, wrong credentials, writes disabled).";

/// Parses `args` (after `import`) and the environment `env` into options.
pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Options, String> {
    let mut dir = None;
    let mut url = env("FOLIO_URL");
    let mut token = env("FOLIO_TOKEN");
    let mut wait = true;
    let mut progress = true;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => url = Some(args.next().ok_or("--url needs a value")?.clone()),
            "--token" => token = Some(args.next().ok_or("--token needs a value")?.clone()),
            "--no-wait" => wait = false,
            "--quiet" => progress = false,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            path if dir.is_none() => dir = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    let auth = match (token.filter(|t| !t.is_empty()), env("FOLIO_EMAIL"), env("FOLIO_PASSWORD")) {
        (Some(token), _, _) => Auth::Token(token),
        (None, Some(email), Some(password)) => Auth::Password { email, password },
        _ => return Err("give --token (or set FOLIO_TOKEN), or set FOLIO_EMAIL and FOLIO_PASSWORD".into()),
    };
    Ok(Options {
        dir: dir.ok_or("which folder? give <dir>")?,
        url: url.unwrap_or_else(|| "http://127.0.0.1:3000".into()),
        auth,
        wait,
        progress,
    })
}

/// `folio import …`: runs and prints the summary.
pub fn main(args: &[String]) -> ExitCode {
    let options = match parse(args, |name| std::env::var(name).ok()) {
        Ok(options) => options,
        Err(err) => {
            if !err.is_empty() {
                eprintln!("folio import: {err}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    eprintln!("Importing {} into {}", options.dir.display(), options.url);
    match run(&options) {
        Ok(summary) => {
            print!("{summary}");
            if summary.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            eprintln!("folio import: {err}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_come_from_flags_then_the_environment() {
        let env = |name: &str| match name {
            "FOLIO_URL" => Some("https://folio.example".to_owned()),
            "FOLIO_EMAIL" => Some("ed@folio.test".to_owned()),
            "FOLIO_PASSWORD" => Some("secret".to_owned()),
            _ => None,
        };
        let options = parse(&args(&["docs", "--quiet"]), env).expect("parses");
        assert_eq!(options.url, "https://folio.example");
        assert_eq!(options.auth, Auth::Password { email: "ed@folio.test".into(), password: "secret".into() });
        assert!(!options.progress && options.wait);
        let options = parse(&args(&["docs", "--token", "folio_x", "--url", "http://h", "--no-wait"]), env)
            .expect("parses");
        assert_eq!(
            (options.auth, options.url.as_str(), options.wait),
            (Auth::Token("folio_x".into()), "http://h", false)
        );
        assert!(parse(&args(&["docs"]), |_| None).expect_err("no credentials").contains("--token"));
        assert!(parse(&args(&["--token", "t"]), |_| None).expect_err("no dir").contains("<dir>"));
        assert!(parse(&args(&["a", "b", "--token", "t"]), |_| None)
            .expect_err("extra")
            .contains("unexpected"));
    }
}
