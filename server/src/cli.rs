//! The `folio` command line: one clap command. With no subcommand it serves the site; each
//! subcommand's options are defined where it runs (`import`, `eval`, `standin`, the converter).
//! Settings stay in folio.toml and FOLIO_* variables ([`crate::config`]), never in flags.

use clap::{Parser, Subcommand};

/// Folio: a content and search site on one machine.
///
/// With no command, serves the site. Settings come from folio.toml and FOLIO_* variables (the
/// README lists them), not from flags.
#[derive(Debug, Parser)]
#[command(name = "folio", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Import(import::ImportArgs),
    Eval(eval::EvalArgs),
    CloudflareStandin(crate::standin::StandInArgs),
    // The child each PDF converts in (child_converter spawns this binary with these args).
    #[command(hide = true)]
    Convert(crate::adapters::child_converter::ConvertArgs),
}
