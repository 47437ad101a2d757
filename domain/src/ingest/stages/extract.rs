//! Stage `extract`: the stored bytes → Markdown, kept on the version row (long text as a blob).

use super::version_row;
use crate::content::convert;
use crate::content::upload::Kind;
use crate::documents::model::VersionStatus;
use crate::error::DomainError;
use crate::ports::{Conversion, Ports};
use crate::sql::Statement;
use crate::storage::blobs;

pub(super) async fn extract(ports: &Ports, version_id: i64) -> Result<(), DomainError> {
    ports
        .db
        .execute(
            Statement::new("UPDATE document_versions SET status = ?2 WHERE id = ?1")
                .bind(version_id)
                .bind(VersionStatus::Extracting.as_str()),
        )
        .await?;
    let row = version_row(ports, version_id).await?;
    let bytes = blobs::read(ports, &row.blob_key).await?;
    let kind = Kind::parse(&row.kind).ok_or_else(|| {
        DomainError::Internal(format!("version {version_id} has unknown kind {}", row.kind))
    })?;
    let text = || String::from_utf8_lossy(&bytes).into_owned();
    let body_md = match kind {
        Kind::Markdown => {
            let markdown = text();
            crate::content::nesting::check(&markdown, "Markdown file")?;
            markdown
        }
        Kind::Text => convert::text_to_markdown(&text()),
        Kind::Html => convert::html_to_markdown(&text())?,
        // The PDF stack can overflow its stack or flood memory on a hostile file: it runs
        // where that costs only this conversion (natively a child process).
        Kind::Pdf => ports.converter.convert(Conversion::PdfToMarkdown, bytes.clone()).await?,
        Kind::Png | Kind::Jpeg | Kind::Gif | Kind::Webp => format!("![{0}]({0})", row.source_name),
    };
    let (inline, body_key) = blobs::store_text(ports, body_md).await?;
    ports
        .db
        .batch(vec![Statement::new("UPDATE document_versions SET body_md = ?2, body_key = ?3 WHERE id = ?1")
            .bind(version_id)
            .bind(inline)
            .bind(body_key)])
        .await?;
    Ok(())
}
