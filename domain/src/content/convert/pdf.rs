//! PDF → Markdown of its text, paragraph by paragraph.

use super::text_to_markdown;
use crate::error::DomainError;

/// PDF → Markdown of its text. A PDF that can't be parsed, or has no text layer (a scan), is a
/// readable error. The parser can panic on hostile files (caught here), and overflow its stack
/// or flood memory (which no catch stops): ingest calls this through `ports::Converter`, which
/// natively runs it in a child process under limits.
pub fn pdf_to_markdown(bytes: &[u8]) -> Result<String, DomainError> {
    let extracted = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes))
        .map_err(|_| DomainError::BadInput("This PDF could not be read: it is damaged or unusual.".into()))?
        .map_err(|e| DomainError::BadInput(format!("This PDF could not be read ({e}).")))?;
    let paragraphs: Vec<String> = extracted
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    if paragraphs.is_empty() {
        return Err(DomainError::BadInput(
            "This PDF has no text to extract (is it a scanned image?).".into(),
        ));
    }
    Ok(paragraphs.iter().map(|p| text_to_markdown(p).trim_end().to_owned()).collect::<Vec<_>>().join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown::render;

    #[test]
    fn pdf_text_becomes_paragraphs() {
        let md = pdf_to_markdown(include_bytes!("../../../tests/fixtures/report.pdf")).expect("reads");
        let html = render(&md, |_| None).html;
        assert!(html.contains("<p>Quarterly report</p>"), "{html}");
        assert!(html.contains("<p>Revenue grew in every region.</p>"), "{html}");
        assert!(html.contains("Second page text here."), "{html}");
    }

    #[test]
    fn unreadable_pdfs_are_explained() {
        let err = pdf_to_markdown(include_bytes!("../../../tests/fixtures/broken.pdf")).expect_err("broken");
        assert_eq!(err.status(), 400);
        assert!(err.public_message().starts_with("This PDF could not be read"), "{}", err.public_message());
        assert!(pdf_to_markdown(b"%PDF-1.4\n%%EOF").is_err());
    }
}
