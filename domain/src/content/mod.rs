//! What a document is made of: upload checks by the bytes, safe names, slugs and folders
//! ([`upload`]), format conversion to Markdown ([`convert`]), and Markdown rendering with front
//! matter, outline and sanitising ([`markdown`]).

pub mod convert;
pub mod markdown;
pub mod nesting;
pub mod upload;

/// Appends `c` as HTML text: the characters that could start markup or end an attribute become
/// entities. The one escaper for text Folio writes into HTML by hand (search snippets, the
/// app's `<title>` and `<textarea>` text).
pub fn push_html_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}
