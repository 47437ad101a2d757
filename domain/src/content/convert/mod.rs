//! Turning uploaded formats into the Markdown Folio stores, one file per format: [`html`],
//! [`text`] (shown as written) and [`pdf`] (its text, paragraph by paragraph).

mod html;
mod pdf;
mod text;

pub use html::html_to_markdown;
pub use pdf::pdf_to_markdown;
pub use text::text_to_markdown;
