use bytes::Bytes;
use futures::future::BoxFuture;
use std::sync::Arc;

use super::{run_cpu, Tasks};
use crate::error::{ConvertError, DomainError, Stopped};

/// A conversion of uploaded bytes by a parser we cannot bound from inside (the PDF stack),
/// named so it can cross into another process, where a closure cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    PdfToMarkdown,
}

impl Conversion {
    /// What a person calls the file: "This PDF could not be read…".
    pub fn file(self) -> &'static str {
        match self {
            Self::PdfToMarkdown => "PDF",
        }
    }

    /// Its name between processes (`folio convert pdf`).
    pub fn name(self) -> &'static str {
        match self {
            Self::PdfToMarkdown => "pdf",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::PdfToMarkdown].into_iter().find(|c| c.name() == name)
    }

    /// Runs it here, on this thread: what every [`Converter`] runs in the end. A refusal
    /// (no text layer, not a PDF) is `BadInput` with its reason.
    pub fn run(self, bytes: &[u8]) -> Result<String, DomainError> {
        match self {
            Self::PdfToMarkdown => crate::content::convert::pdf_to_markdown(bytes),
        }
    }
}

/// Runs [`Conversion`]s where a parser that crashes, floods memory or never ends costs only
/// that conversion: natively a child process under memory and CPU limits; on a Worker inline,
/// because an isolate that dies is the platform's own isolation.
pub trait Converter: Send + Sync {
    /// The Markdown, a refusal (`BadInput`), or a [`ConvertError`]: the converter stopped on
    /// this file (the version fails) or could not run (retried).
    fn convert(
        &self,
        conversion: Conversion,
        bytes: Bytes,
    ) -> BoxFuture<'static, Result<String, DomainError>>;
}

/// In this process, through [`Tasks::run_cpu`] (inline on a Worker). A panic is caught; a stack
/// overflow or an allocation failure ends the process, which is why native hosts use a child.
pub struct InProcess {
    tasks: Arc<dyn Tasks>,
}

impl InProcess {
    pub fn new(tasks: Arc<dyn Tasks>) -> Self {
        Self { tasks }
    }
}

impl Converter for InProcess {
    fn convert(
        &self,
        conversion: Conversion,
        bytes: Bytes,
    ) -> BoxFuture<'static, Result<String, DomainError>> {
        let tasks = self.tasks.clone();
        Box::pin(async move {
            run_cpu(tasks.as_ref(), move || conversion.run(&bytes)).await.unwrap_or_else(|| {
                Err(ConvertError::Stopped { file: conversion.file(), why: Stopped::Crashed }.into())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{CpuJob, Task};

    /// Runs CPU jobs where they are called, as a Worker does.
    struct Inline;

    impl Tasks for Inline {
        fn spawn(&self, _name: &'static str, task: Task) {
            futures::executor::block_on(task);
        }
        fn run_cpu(&self, job: CpuJob) -> Task {
            Box::pin(async move { job() })
        }
        fn sleep(&self, _duration: std::time::Duration) -> Task {
            Box::pin(async {})
        }
    }

    #[test]
    fn in_process_conversions_answer_or_refuse_with_the_reason() {
        let converter = InProcess::new(Arc::new(Inline));
        let convert = |bytes: &'static [u8]| {
            futures::executor::block_on(
                converter.convert(Conversion::PdfToMarkdown, Bytes::from_static(bytes)),
            )
        };
        let markdown = convert(include_bytes!("../../tests/fixtures/report.pdf")).expect("converts");
        assert!(markdown.contains("Revenue grew in every region"), "{markdown}");
        let refused = convert(include_bytes!("../../tests/fixtures/broken.pdf")).expect_err("refused");
        assert!(matches!(refused, DomainError::BadInput(_)), "{refused:?}");
        assert!(refused.public_message().starts_with("This PDF could not be read"));
    }

    #[test]
    fn conversions_are_named_between_processes() {
        assert_eq!(Conversion::parse(Conversion::PdfToMarkdown.name()), Some(Conversion::PdfToMarkdown));
        assert_eq!(Conversion::parse("exe"), None);
    }
}
