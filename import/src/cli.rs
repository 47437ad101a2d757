//! `folio import`'s options. The `folio` binary puts [`ImportArgs`] under its `import`
//! subcommand; this crate owns what the flags are and what they mean.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::{run, Auth, Options};

const DEFAULT_URL: &str = "http://127.0.0.1:3000";

/// Upload a folder of documents to a Folio site, native or a deployed Worker.
///
/// Sends every Markdown, text, HTML, PDF and image file under <DIR> through the site's HTTP API.
/// Sub-folders become Folio folders; uploading again only sends what changed (identical files
/// are reported unchanged).
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Without --token, FOLIO_EMAIL and FOLIO_PASSWORD (environment only) sign in as an editor.

Exit status: 0 when every file was accepted and ingested, 1 when some were not, 2 on a usage
error or when the site cannot be used (unreachable, wrong credentials, writes disabled).")]
pub struct ImportArgs {
    /// The folder to upload.
    pub dir: PathBuf,
    /// The site.
    #[arg(long, value_name = "URL", env = "FOLIO_URL", default_value = DEFAULT_URL)]
    pub url: String,
    /// An API token from the admin page.
    // Its value never shows in `--help`: it is a secret.
    #[arg(long, value_name = "TOKEN", env = "FOLIO_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Do not wait for ingest to finish before printing the summary.
    #[arg(long)]
    pub no_wait: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Options that parse but cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    #[error("give --token (or set FOLIO_TOKEN), or set FOLIO_EMAIL and FOLIO_PASSWORD")]
    NoCredentials,
}

impl ImportArgs {
    /// The options to run with; `env` gives FOLIO_EMAIL and FOLIO_PASSWORD when there is no
    /// token. Those two stay out of the flags: a password on a command line is in `ps` for all.
    pub fn options(self, env: impl Fn(&str) -> Option<String>) -> Result<Options, ArgsError> {
        // An empty token (FOLIO_TOKEN= in a script) means none, as before.
        let auth = match (self.token.filter(|t| !t.is_empty()), env("FOLIO_EMAIL"), env("FOLIO_PASSWORD")) {
            (Some(token), _, _) => Auth::Token(token),
            (None, Some(email), Some(password)) => Auth::Password { email, password },
            _ => return Err(ArgsError::NoCredentials),
        };
        Ok(Options { dir: self.dir, url: self.url, auth, wait: !self.no_wait, progress: !self.quiet })
    }
}

/// `folio import …`: runs and prints the summary.
pub fn main(args: ImportArgs) -> ExitCode {
    let options = match args.options(|name| std::env::var(name).ok()) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("folio import: {err}\n\nFor more information, try 'folio import --help'.");
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
    use clap::Parser;

    #[derive(Parser)]
    struct Import {
        #[command(flatten)]
        args: ImportArgs,
    }

    /// Parses flags that name the site, so FOLIO_URL in the caller's environment plays no part.
    fn parse(list: &[&str]) -> Result<ImportArgs, clap::Error> {
        Import::try_parse_from(std::iter::once("import").chain(list.iter().copied())).map(|i| i.args)
    }

    #[test]
    fn options_come_from_flags_then_the_environment() {
        let env = |name: &str| match name {
            "FOLIO_EMAIL" => Some("ed@folio.test".to_owned()),
            "FOLIO_PASSWORD" => Some("secret".to_owned()),
            _ => None,
        };
        let args = parse(&["docs", "--url", "https://folio.example", "--quiet"]).expect("parses");
        let options = args.clone().options(env).expect("signs in with a password");
        assert_eq!(options.url, "https://folio.example");
        assert_eq!(options.auth, Auth::Password { email: "ed@folio.test".into(), password: "secret".into() });
        assert!(!options.progress && options.wait);
        let options = parse(&["docs", "--token", "folio_x", "--url", "http://h", "--no-wait"])
            .expect("parses")
            .options(|_| None)
            .expect("a token is enough");
        assert_eq!(
            (options.auth, options.url.as_str(), options.wait),
            (Auth::Token("folio_x".into()), "http://h", false)
        );
        let no_token = ImportArgs { token: None, ..args };
        assert_eq!(no_token.clone().options(|_| None).expect_err("no credentials"), ArgsError::NoCredentials);
        let empty = ImportArgs { token: Some(String::new()), ..no_token };
        assert_eq!(empty.options(|_| None).expect_err("empty is none"), ArgsError::NoCredentials);
        assert!(parse(&["--token", "t", "--url", "http://h"]).is_err(), "no dir");
        assert!(parse(&["a", "b", "--token", "t", "--url", "http://h"]).is_err(), "one dir only");
    }
}
