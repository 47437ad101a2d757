//! The `folio` command line: every form the scripts, the Makefile, the end-to-end set-up, the
//! README and the server itself use still parses to what they mean, and each command's help
//! names its flags. A flag renamed or removed fails here, not in a script run weeks later.

use clap::{CommandFactory, Parser};
use domain::ports::Conversion;
use server::adapters::child_converter::{child_args, Limits};
use server::cli::{Cli, Command};
use std::path::{Path, PathBuf};

fn parse(line: &[&str]) -> Command {
    let cli = Cli::try_parse_from(std::iter::once("folio").chain(line.iter().copied()))
        .unwrap_or_else(|err| panic!("folio {}: {err}", line.join(" ")));
    cli.command.unwrap_or_else(|| panic!("folio {}: no subcommand", line.join(" ")))
}

#[test]
fn the_command_is_well_formed() {
    Cli::command().debug_assert();
    assert!(Cli::try_parse_from(["folio"]).expect("no arguments").command.is_none(), "serves");
    assert!(Cli::try_parse_from(["folio", "serve-please"]).is_err(), "an unknown command is refused");
}

#[test]
fn the_forms_the_scripts_use_parse() {
    // end2end/tests/upload-import.spec.ts, README (a token), scripts/eval.sh (FOLIO_EMAIL).
    let Command::Import(args) = parse(&[
        "import",
        "/tmp/handbook",
        "--url",
        "http://127.0.0.1:3000",
        "--token",
        "folio_x",
        "--quiet",
    ]) else {
        panic!("not import")
    };
    assert_eq!(args.dir, PathBuf::from("/tmp/handbook"));
    assert_eq!((args.url.as_str(), args.token.as_deref()), ("http://127.0.0.1:3000", Some("folio_x")));
    assert!(args.quiet && !args.no_wait);
    let Command::Import(args) = parse(&["import", "corpus", "--url", "http://h", "--no-wait"]) else {
        panic!("not import")
    };
    assert!(args.no_wait && !args.quiet);

    // scripts/eval.sh: search with the sweep, then Ask with the unanswerable questions.
    let Command::Eval(args) = parse(&["eval", "q.jsonl", "--url", "http://127.0.0.1:3000", "--sweep"]) else {
        panic!("not eval")
    };
    assert_eq!(
        (args.questions, args.url.as_str(), args.sweep, args.ask),
        ("q.jsonl".into(), "http://127.0.0.1:3000", true, false)
    );
    assert_eq!(args.modes, [eval::Mode::Keyword, eval::Mode::Semantic, eval::Mode::Hybrid]);
    let Command::Eval(args) = parse(&[
        "eval",
        "q.jsonl",
        "--url",
        "http://h",
        "--ask",
        "--unanswerable",
        "eval/git-doc/unanswerable.jsonl",
    ]) else {
        panic!("not eval")
    };
    assert!(args.ask);
    assert_eq!(args.unanswerable, Some("eval/git-doc/unanswerable.jsonl".into()));
    let Command::Eval(args) = parse(&["eval", "q.jsonl", "--url", "http://h", "--modes", "keyword,hybrid"])
    else {
        panic!("not eval")
    };
    assert_eq!(args.modes, [eval::Mode::Keyword, eval::Mode::Hybrid]);

    // Makefile, scripts/bench.sh and soak.sh, end2end/playwright.config.ts.
    let Command::CloudflareStandin(args) =
        parse(&["cloudflare-standin", "--port", "8788", "--data", ".wrangler/standin"])
    else {
        panic!("not the stand-in")
    };
    assert_eq!((args.port, args.data), (8788, Some(".wrangler/standin".into())));
    let Command::CloudflareStandin(args) = parse(&["cloudflare-standin"]) else { panic!("not the stand-in") };
    assert_eq!((args.port, args.data), (8788, None));
}

#[test]
fn the_converter_child_parses_what_the_server_starts_it_with() {
    let limits = Limits { memory_mib: 512, cpu_secs: 7, ..Limits::default() };
    let line = child_args(Conversion::PdfToMarkdown, limits);
    let Command::Convert(args) = parse(&line.iter().map(String::as_str).collect::<Vec<_>>()) else {
        panic!("not convert")
    };
    assert_eq!((args.conversion, args.memory_mib, args.cpu_secs), (Conversion::PdfToMarkdown, 512, 7));
}

/// Every `--flag` written after `folio <command>` on one line of the scripts and docs is a flag
/// of that command: a script can neither keep a removed flag nor use one that never existed.
#[test]
fn every_flag_written_after_a_folio_command_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files =
        vec![root.join("Makefile"), root.join("README.md"), root.join("end2end/playwright.config.ts")];
    for dir in ["scripts", "docs"] {
        let entries = std::fs::read_dir(root.join(dir)).expect("read the folder");
        files.extend(
            entries
                .map(|e| e.expect("entry").path())
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("sh" | "mjs" | "md"))),
        );
    }
    let mut cli = Cli::command();
    // Built, so each command has its `--help` too.
    cli.build();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read the file");
        for line in text.lines() {
            for sub in cli.get_subcommands() {
                let Some(rest) = after_command(line, sub.get_name()) else { continue };
                for flag in rest.split_whitespace().filter_map(|w| w.strip_prefix("--")) {
                    let flag = flag.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
                    let known = sub.get_arguments().any(|a| a.get_long() == Some(flag));
                    assert!(known, "{}: folio {} has no --{flag}: {line}", file.display(), sub.get_name());
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 10, "the scripts' flags were found ({checked})");
}

/// What follows `folio <name>` (or `folio" <name>`, a quoted path to the binary) on `line`.
fn after_command<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    ["folio ", "folio\" "].iter().find_map(|prefix| {
        let at = line.find(&format!("{prefix}{name}"))?;
        let rest = &line[at + prefix.len() + name.len()..];
        // `folio eval` but not `folio evaluation`.
        (rest.is_empty() || rest.starts_with([' ', '`', '"'])).then_some(rest)
    })
}

#[test]
fn each_command_prints_help_naming_its_flags() {
    let help = |args: &[&str]| {
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_folio")).args(args).output().expect("run folio");
        assert!(out.status.success(), "folio {}: {:?}", args.join(" "), out.status);
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let top = help(&["--help"]);
    for name in ["import", "eval", "cloudflare-standin", "FOLIO_"] {
        assert!(top.contains(name), "folio --help names {name}: {top}");
    }
    assert!(!top.contains("convert"), "the converter child is not for people: {top}");
    for (command, flags) in [
        ("import", &["<DIR>", "--url", "--token", "--no-wait", "--quiet", "FOLIO_EMAIL"][..]),
        ("eval", &["--url", "--modes", "--sweep", "--ask", "--unanswerable"]),
        ("cloudflare-standin", &["--port", "--data"]),
    ] {
        let text = help(&[command, "--help"]);
        for flag in flags {
            assert!(text.contains(flag), "folio {command} --help names {flag}: {text}");
        }
    }
}

#[test]
fn a_usage_error_says_what_is_wrong_and_exits_2() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(args)
            .env_remove("FOLIO_TOKEN")
            .env_remove("FOLIO_EMAIL")
            .env_remove("FOLIO_PASSWORD")
            .output()
            .expect("run folio")
    };
    for (args, says) in [
        (&["eval", "q.jsonl"][..], "--url"),
        (&["cloudflare-standin", "--port", "many"], "--port"),
        (&["import", "."], "--token"),
        (&["nonsense"], "nonsense"),
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "folio {}: {stderr}", args.join(" "));
        assert!(stderr.contains(says), "folio {} names {says}: {stderr}", args.join(" "));
    }
}
