//! Checking an uploaded file before anything is stored: its type comes from its bytes (magic
//! numbers, UTF-8), its name must agree, its size must fit, and its name is made safe. A file
//! that fails gets a message a person can act on, and nothing is written.

use crate::documents::model::Slug;
use crate::error::DomainError;

/// The default per-file limit, in MB (both hosts' setting defaults to it).
pub const DEFAULT_MAX_UPLOAD_MB: usize = 25;
/// [`DEFAULT_MAX_UPLOAD_MB`] in bytes.
pub const DEFAULT_MAX_BYTES: usize = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Markdown,
    Text,
    Html,
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl Kind {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Markdown => "text/markdown; charset=utf-8",
            Self::Text => "text/plain; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }

    /// The name stored in `document_versions.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Markdown => "markdown",
            Self::Text => "text",
            Self::Html => "html",
            Self::Pdf => "pdf",
            Self::Png => "png",
            Self::Jpeg => "jpeg",
            Self::Gif => "gif",
            Self::Webp => "webp",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Markdown, Self::Text, Self::Html, Self::Pdf, Self::Png, Self::Jpeg, Self::Gif, Self::Webp]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn is_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::Gif | Self::Webp)
    }

    fn described(self) -> &'static str {
        match self {
            Self::Markdown => "Markdown",
            Self::Text => "plain text",
            Self::Html => "HTML",
            Self::Pdf => "a PDF",
            Self::Png => "a PNG image",
            Self::Jpeg => "a JPEG image",
            Self::Gif => "a GIF image",
            Self::Webp => "a WebP image",
        }
    }

    /// The kinds a file extension promises; None for names that promise nothing.
    fn from_extension(ext: &str) -> Option<&'static [Kind]> {
        Some(match ext {
            "md" | "markdown" => &[Self::Markdown],
            "txt" | "text" => &[Self::Text],
            "html" | "htm" => &[Self::Html],
            "pdf" => &[Self::Pdf],
            "png" => &[Self::Png],
            "jpg" | "jpeg" => &[Self::Jpeg],
            "gif" => &[Self::Gif],
            "webp" => &[Self::Webp],
            _ => return None,
        })
    }
}

/// A file that passed inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub kind: Kind,
    /// The file name with any path, control characters and excess length removed.
    pub name: String,
}

/// What the bytes are, ignoring the name. Text kinds are decided by the name later.
enum Sniffed {
    Known(Kind),
    Text,
    Refused(&'static str),
}

fn sniff(bytes: &[u8]) -> Sniffed {
    const REFUSED: &[(&[u8], &str)] = &[
        (b"MZ", "a Windows program"),
        (b"\x7fELF", "a Linux program"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"<svg", "an SVG image (it can carry scripts)"),
    ];
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Known(Kind::Png);
    }
    if bytes.starts_with(b"\xff\xd8\xff") {
        return Sniffed::Known(Kind::Jpeg);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Sniffed::Known(Kind::Gif);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Sniffed::Known(Kind::Webp);
    }
    if bytes.starts_with(b"%PDF-") {
        return Sniffed::Known(Kind::Pdf);
    }
    let head = &bytes[..bytes.len().min(512)];
    let trimmed = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head).trim_ascii_start();
    for (magic, what) in REFUSED {
        if trimmed.starts_with(magic) {
            return Sniffed::Refused(what);
        }
    }
    if trimmed.get(..5).is_some_and(|s| s.eq_ignore_ascii_case(b"<?xml")) && contains_ci(head, b"<svg") {
        return Sniffed::Refused("an SVG image (it can carry scripts)");
    }
    Sniffed::Text
}

fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

fn looks_like_html(text: &str) -> bool {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    let head = start.get(..start.len().min(15)).unwrap_or("").to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// Removes any path, control characters (NUL included) and surrounding dots and spaces, and
/// keeps at most 120 characters (the extension survives). Empty → an error.
pub fn safe_name(raw: &str) -> Result<String, DomainError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if cleaned.is_empty() {
        return Err(DomainError::BadInput(format!("“{}” is not a usable file name.", raw.escape_default())));
    }
    const MAX: usize = 120;
    if cleaned.chars().count() <= MAX {
        return Ok(cleaned.to_owned());
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => (stem, format!(".{ext}")),
        _ => (cleaned, String::new()),
    };
    let keep = MAX - ext.chars().count();
    Ok(format!("{}{ext}", stem.chars().take(keep).collect::<String>()))
}

/// ASCII letters and digits joined by single dashes, at most `max` bytes; may be empty.
pub(crate) fn ascii_slug(text: &str, max: usize) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= max {
            break;
        }
    }
    slug.trim_matches('-').to_owned()
}

/// A document name from a file name: ASCII letters and digits only, so a look-alike name
/// (Cyrillic "а" for Latin "a") can never pose as another document's address.
pub fn slug_for(name: &str) -> Slug {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let slug = ascii_slug(stem, 80);
    let slug = if slug.is_empty() { "document".to_owned() } else { slug };
    Slug::try_from(slug).unwrap_or_else(|_| Slug::document())
}

/// The document name for a file in a folder: `guides` + `setup.md` → `guides-setup`, so files
/// with the same name in different folders stay different documents.
pub fn slug_in(folder: &str, name: &str) -> Slug {
    if folder.is_empty() {
        return slug_for(name);
    }
    slug_for(&format!("{}-{name}", folder.replace('/', "-")))
}

/// A folder from an upload's `folder` field: `Guides/Set up` → `guides/set-up`. Each segment is
/// made ASCII like a document name; empty, `.` and `..` segments are dropped; at most 4 deep.
pub fn folder_path(raw: &str) -> String {
    raw.split(['/', '\\'])
        .map(|segment| ascii_slug(segment, 40))
        .filter(|segment| !segment.is_empty())
        .take(4)
        .collect::<Vec<_>>()
        .join("/")
}

/// Checks one file. The name's extension, when it names a type, must match the bytes.
pub fn inspect(raw_name: &str, bytes: &[u8], max_bytes: usize) -> Result<Inspected, DomainError> {
    let name = safe_name(raw_name)?;
    if bytes.len() > max_bytes {
        return Err(DomainError::TooLarge(format!(
            "{name} is {:.1} MB; the limit is {} MB per file.",
            bytes.len() as f64 / 1_048_576.0,
            max_bytes / 1_048_576
        )));
    }
    if bytes.is_empty() {
        return Err(DomainError::BadInput(format!("{name} is empty.")));
    }
    let promised = name.rsplit_once('.').and_then(|(_, ext)| Kind::from_extension(&ext.to_ascii_lowercase()));
    let kind = match sniff(bytes) {
        Sniffed::Refused(what) => {
            return Err(DomainError::Unsupported(format!("{name} is {what}, which Folio does not accept.")))
        }
        Sniffed::Known(kind) => kind,
        Sniffed::Text => {
            let Ok(text) = std::str::from_utf8(bytes) else {
                return Err(DomainError::BadInput(format!(
                    "{name} is not UTF-8 text. Save it as UTF-8 (or upload Markdown, HTML, PDF or an image)."
                )));
            };
            if text.contains('\0') {
                return Err(DomainError::Unsupported(format!("{name} looks like a binary file, not text.")));
            }
            match promised {
                Some(kinds) if kinds.iter().all(|k| !k.is_image() && *k != Kind::Pdf) => kinds[0],
                Some(_) => Kind::Text, // a text file named .png/.pdf: reported as a mismatch below
                None if looks_like_html(text) => Kind::Html,
                None => Kind::Text,
            }
        }
    };
    if let Some(kinds) = promised {
        if !kinds.contains(&kind) {
            return Err(DomainError::Unsupported(format!(
                "{name} is named as {} but contains {}.",
                kinds[0].described(),
                kind.described()
            )));
        }
    }
    // Refused here, before anything is stored, rather than by the converter later.
    if matches!(kind, Kind::Html | Kind::Markdown) {
        super::nesting::check(&String::from_utf8_lossy(bytes), &format!("file ({name})"))?;
    }
    Ok(Inspected { kind, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_safe_paths() {
        assert_eq!(folder_path("Guides/Set up"), "guides/set-up");
        assert_eq!(folder_path("../../etc//./passwd"), "etc/passwd");
        assert_eq!(folder_path("a/b/c/d/e"), "a/b/c/d");
        assert_eq!(folder_path("  "), "");
        assert_eq!(slug_in("guides/set-up", "Intro.md").as_str(), "guides-set-up-intro");
        assert_eq!(slug_in("", "Intro.md").as_str(), "intro");
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn status(result: Result<Inspected, DomainError>) -> u16 {
        result.map_or_else(|e| e.status(), |_| 200)
    }

    #[test]
    fn detects_by_content() {
        assert_eq!(inspect("a.md", b"# Hi", 100).map(|i| i.kind), Ok(Kind::Markdown));
        assert_eq!(inspect("a.txt", b"hi", 100).map(|i| i.kind), Ok(Kind::Text));
        assert_eq!(inspect("a.html", b"<p>x</p>", 100).map(|i| i.kind), Ok(Kind::Html));
        assert_eq!(inspect("noext", b"  <!DOCTYPE html><p>", 100).map(|i| i.kind), Ok(Kind::Html));
        assert_eq!(inspect("a.pdf", b"%PDF-1.7\n", 100).map(|i| i.kind), Ok(Kind::Pdf));
        assert_eq!(inspect("a.PNG", PNG, 100).map(|i| i.kind), Ok(Kind::Png));
        assert_eq!(inspect("a.jpg", b"\xff\xd8\xff\xe0", 100).map(|i| i.kind), Ok(Kind::Jpeg));
        assert_eq!(inspect("a.gif", b"GIF89a..", 100).map(|i| i.kind), Ok(Kind::Gif));
        assert_eq!(inspect("a.webp", b"RIFF\0\0\0\0WEBPVP8 ", 100).map(|i| i.kind), Ok(Kind::Webp));
        assert_eq!(
            inspect("a.md", "\u{feff}# BOM is fine".as_bytes(), 100).map(|i| i.kind),
            Ok(Kind::Markdown)
        );
    }

    #[test]
    fn refuses_renamed_and_dangerous_files_with_reasons() {
        let exe = inspect("notes.md", b"MZ\x90\0\x03", 100).expect_err("exe");
        assert_eq!(exe.status(), 415);
        assert!(exe.public_message().contains("Windows program"), "{}", exe.public_message());
        let png_as_pdf = inspect("report.pdf", PNG, 100).expect_err("png named pdf");
        assert_eq!(png_as_pdf.public_message(), "report.pdf is named as a PDF but contains a PNG image.");
        assert_eq!(status(inspect("x.png", b"just text", 100)), 415);
        assert_eq!(status(inspect("x.svg", b"<svg onload=alert(1)>", 100)), 415);
        assert_eq!(status(inspect("x.txt", b"<?xml version='1.0'?><svg>", 100)), 415);
        assert_eq!(status(inspect("x.zip", b"PK\x03\x04", 100)), 415);
    }

    #[test]
    fn size_empty_and_encoding() {
        let big = inspect("big.md", &[b'a'; 101], 100).expect_err("too big");
        assert_eq!(big.status(), 413);
        assert!(big.public_message().contains("limit"), "{}", big.public_message());
        assert_eq!(status(inspect("empty.md", b"", 100)), 400);
        let latin1 = inspect("old.txt", b"caf\xe9", 100).expect_err("not utf-8");
        assert_eq!(latin1.status(), 400);
        assert!(latin1.public_message().contains("UTF-8"));
        assert_eq!(status(inspect("nul.txt", b"a\0b", 100)), 415);
        // One long line is fine: it is text.
        assert_eq!(status(inspect("line.txt", &vec![b'x'; 10_000], 20_000)), 200);
    }

    #[test]
    fn kinds_round_trip_through_their_stored_names() {
        for kind in
            [Kind::Markdown, Kind::Text, Kind::Html, Kind::Pdf, Kind::Png, Kind::Jpeg, Kind::Gif, Kind::Webp]
        {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("exe"), None);
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("../../etc/passwd.md").as_deref(), Ok("passwd.md"));
        assert_eq!(safe_name("C:\\Users\\me\\notes.md").as_deref(), Ok("notes.md"));
        assert_eq!(safe_name("bad\0name\u{7}.md").as_deref(), Ok("badname.md"));
        assert!(safe_name("../..").is_err());
        assert!(safe_name("\0").is_err());
        let long = format!("{}.md", "x".repeat(500));
        let kept = safe_name(&long).expect("long");
        assert_eq!(kept.chars().count(), 120);
        assert!(kept.ends_with(".md"));
    }

    #[test]
    fn slugs_ignore_look_alikes() {
        assert_eq!(slug_for("Getting Started.md").as_str(), "getting-started");
        assert_eq!(slug_for("pаypal.md").as_str(), "p-ypal", "Cyrillic а is not a Latin a");
        assert_eq!(slug_for("日本語.md").as_str(), "document");
        assert_eq!(slug_for(&format!("{}.md", "a".repeat(300))).as_str().len(), 80);
    }
}
