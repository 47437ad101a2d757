//! [`domain::Converter`] natively: each conversion in a child process of this binary
//! (`folio convert pdf`: the file on stdin, a JSON [`Answer`] on stdout) that caps its own
//! address space and CPU time before it reads a byte, and is killed past a wall-clock time-out.
//! A stack overflow, abort, decompression bomb or endless loop in the parser ends the child;
//! that file's version fails with the reason, and the server never shares its fate.

use bytes::Bytes;
use domain::error::{ConvertError, Stopped};
use domain::ports::{Conversion, Converter};
use domain::DomainError;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// What one conversion may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Address space (`RLIMIT_AS`): the bound on a decompression bomb.
    pub memory_mib: u64,
    /// CPU time (`RLIMIT_CPU`): the bound on a loop.
    pub cpu_secs: u64,
    /// Wall-clock time, for a child that waits instead of working.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { memory_mib: 1024, cpu_secs: 30, timeout: Duration::from_secs(60) }
    }
}

/// What the child writes on stdout.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Markdown(String),
    /// The file is not convertible; why, as a person is told.
    Refused(String),
}

/// Runs conversions in children of `program` (this binary: `std::env::current_exe()`).
pub struct ChildConverter {
    program: PathBuf,
    limits: Limits,
}

impl ChildConverter {
    pub fn new(program: PathBuf, limits: Limits) -> Self {
        Self { program, limits }
    }
}

impl Converter for ChildConverter {
    fn convert(
        &self,
        conversion: Conversion,
        bytes: Bytes,
    ) -> BoxFuture<'static, Result<String, DomainError>> {
        let (program, limits) = (self.program.clone(), self.limits);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || run(&program, limits, conversion, &bytes))
                .await
                .map_err(|err| ConvertError::Unavailable(format!("the converter thread failed: {err}")))?
        })
    }
}

/// Starts the child, feeds it, waits for it (killing it at the time-out) and reads its answer.
fn run(program: &Path, limits: Limits, conversion: Conversion, bytes: &Bytes) -> Result<String, DomainError> {
    let unavailable = |why: String| DomainError::from(ConvertError::Unavailable(why));
    let stopped = |why| DomainError::from(ConvertError::Stopped { file: conversion.file(), why });
    let mut child = Command::new(program)
        .args(child_args(conversion, limits))
        .env_clear()
        // mimalloc reserves 1 GiB of address space up front, which RLIMIT_AS would count:
        // reserving 64 MiB at a time leaves the child 142 MiB at start (measured), so the cap
        // bounds the parser (a debug build ends a 4 GiB bomb at 1 GiB in 2.5 s).
        .env("MIMALLOC_ARENA_RESERVE", "64MiB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| unavailable(format!("could not start {}: {err}", program.display())))?;
    let started = Instant::now();
    // Each pipe on its own thread: a child that writes while we write must never wait on us.
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let input = bytes.clone();
    let feeder = std::thread::spawn(move || {
        if let Some(mut pipe) = stdin {
            // A child that dies early closes the pipe; its exit status says why, not this error.
            let _ = pipe.write_all(&input);
        }
    });
    let err = std::thread::spawn(move || read_all(stderr));
    let (answered, answer) = std::sync::mpsc::channel();
    std::thread::spawn(move || answered.send(read_all(stdout)));
    // Stdout ends when the child exits (it never closes it sooner): the timed wait std lacks.
    let Ok(stdout) = answer.recv_timeout(limits.timeout) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(stopped(Stopped::TooSlow { limit_secs: limits.timeout.as_secs() }));
    };
    let status =
        child.wait().map_err(|err| unavailable(format!("could not wait for the converter: {err}")))?;
    let _ = feeder.join();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    if status.success() {
        return match serde_json::from_slice(&stdout) {
            Ok(Answer::Markdown(markdown)) => Ok(markdown),
            Ok(Answer::Refused(why)) => Err(DomainError::BadInput(why)),
            Err(err) => {
                Err(unavailable(format!("{} convert answered something else: {err}", program.display())))
            }
        };
    }
    // SIGXCPU at the soft CPU limit, SIGKILL at the hard one (a second later).
    let out_of_cpu = match status.signal() {
        Some(nix::libc::SIGXCPU) => true,
        Some(nix::libc::SIGKILL) => started.elapsed() >= Duration::from_secs(limits.cpu_secs),
        _ => false,
    };
    let why = if out_of_cpu {
        Stopped::TooSlow { limit_secs: limits.cpu_secs }
    } else if stderr.contains("memory allocation of") {
        Stopped::OutOfMemory { limit_mib: limits.memory_mib }
    } else {
        Stopped::Crashed
    };
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    tracing::warn!(%status, %why, stderr = last, "the {} converter stopped", conversion.file());
    Err(stopped(why))
}

/// The arguments the child is started with: `folio convert …` ([`ConvertArgs`]).
pub fn child_args(conversion: Conversion, limits: Limits) -> [String; 6] {
    [
        "convert".into(),
        conversion.name().into(),
        "--memory-mib".into(),
        limits.memory_mib.to_string(),
        "--cpu-secs".into(),
        limits.cpu_secs.to_string(),
    ]
}

fn read_all(pipe: Option<impl Read>) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes);
    }
    bytes
}

/// Convert one file read on stdin, capped (run by the server itself, not by people).
#[derive(Debug, Clone, clap::Args)]
pub struct ConvertArgs {
    /// What to convert: `pdf`.
    #[arg(value_parser = conversion)]
    pub conversion: Conversion,
    /// The address space to cap this process at, in MiB.
    #[arg(long)]
    pub memory_mib: u64,
    /// The CPU time to cap this process at, in seconds.
    #[arg(long)]
    pub cpu_secs: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("no conversion is called {0:?}")]
pub struct UnknownConversion(String);

fn conversion(name: &str) -> Result<Conversion, UnknownConversion> {
    Conversion::parse(name).ok_or_else(|| UnknownConversion(name.to_owned()))
}

/// `folio convert <conversion> --memory-mib N --cpu-secs N`: the child's side. Caps itself,
/// then reads the file on stdin and writes an [`Answer`] on stdout.
pub fn main(args: ConvertArgs) -> ExitCode {
    let ConvertArgs { conversion, memory_mib, cpu_secs } = args;
    if let Err(err) = cap(memory_mib, cpu_secs) {
        eprintln!("folio convert: could not set limits: {err}");
        return ExitCode::FAILURE;
    }
    let mut bytes = Vec::new();
    if let Err(err) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("folio convert: could not read the file: {err}");
        return ExitCode::FAILURE;
    }
    let answer = match conversion.run(&bytes) {
        Ok(markdown) => Answer::Markdown(markdown),
        Err(err) => Answer::Refused(err.public_message()),
    };
    let mut stdout = std::io::stdout().lock();
    match serde_json::to_writer(&mut stdout, &answer)
        .map_err(std::io::Error::from)
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("folio convert: could not answer: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The soft CPU limit sends SIGXCPU; one second later the hard limit sends SIGKILL. No core
/// files: a crash here is expected, and its memory could be large. A child whose server dies
/// (the thread that started it waits for it to the end) is killed too, not left running.
fn cap(memory_mib: u64, cpu_secs: u64) -> nix::Result<()> {
    use nix::sys::resource::{setrlimit, Resource};
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
    let bytes = memory_mib.saturating_mul(1024 * 1024);
    setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
    setrlimit(Resource::RLIMIT_AS, bytes, bytes)?;
    setrlimit(Resource::RLIMIT_CPU, cpu_secs, cpu_secs.saturating_add(1))
}
