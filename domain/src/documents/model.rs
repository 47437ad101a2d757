//! Entities as the app sees them. They travel through server functions, so they are plain
//! serde types that build for the browser too.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// A URL-safe document name: 1–100 of `a-z`, `0-9`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name used when nothing usable is left of a file name.
    pub(crate) fn document() -> Self {
        Self("document".to_owned())
    }
}

impl TryFrom<String> for Slug {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok =
            (1..=100).contains(&s.len()) && s.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'));
        if ok {
            Ok(Self(s))
        } else {
            Err(DomainError::BadInput(
                "A document name uses 1 to 100 lowercase letters, digits and dashes.".into(),
            ))
        }
    }
}

impl std::str::FromStr for Slug {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_owned())
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> Self {
        s.0
    }
}

/// A row on the home page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentSummary {
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub updated_at: i64,
    pub views: i64,
    pub folder: String,
    pub reading_minutes: i64,
}

/// Which documents a listing shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Listing {
    All,
    /// This folder and the folders inside it.
    Folder(String),
    Tag(String),
}

/// Documents a listing page shows at a time, on the pages and in `/api/documents`.
pub const PAGE_SIZE: u32 = 20;

/// A listing as it arrives in a URL (`/api/documents?cursor=&folder=&tag=`): a folder wins over
/// a tag, and an empty filter means none (as in search's [`crate::search::Params`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListParams {
    pub cursor: Option<String>,
    pub folder: Option<String>,
    pub tag: Option<String>,
}

impl ListParams {
    pub fn listing(&self) -> Listing {
        let present =
            |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        match (present(&self.folder), present(&self.tag)) {
            (Some(folder), _) => Listing::Folder(folder),
            (None, Some(tag)) => Listing::Tag(tag),
            (None, None) => Listing::All,
        }
    }
}

/// A folder or tag and how many documents it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facet {
    pub name: String,
    pub count: i64,
}

/// Ways into the documents besides the newest-first list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Browse {
    pub folders: Vec<Facet>,
    pub tags: Vec<Facet>,
}

/// A version newer than the live one that is still being ingested, or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingVersion {
    pub version: i64,
    pub status: VersionStatus,
    pub error: Option<String>,
}

/// One page of the listing, and where the next (older) page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentPage {
    pub docs: Vec<DocumentSummary>,
    pub next: Option<String>,
}

/// A document ready to read: its body is already sanitised HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body_html: String,
    /// Level 2–3 headings with their anchors, for the table of contents.
    pub outline: Vec<crate::content::markdown::Heading>,
    pub reading_minutes: u32,
    pub attachments: Vec<Attachment>,
    pub updated_at: i64,
    /// The live version's number.
    pub version: i64,
    pub folder: String,
    pub tags: Vec<String>,
    pub pending: Option<PendingVersion>,
    pub views: i64,
    pub votes: Votes,
    /// Summary, topics and related documents as stored (never waited for).
    pub enrichment: crate::enrich::Enrichment,
}

/// A file a document refers to by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub url: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Votes {
    pub helpful_yes: i64,
    pub helpful_no: i64,
}

/// Where a blob is served from, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobMeta {
    pub content_type: String,
    pub size: i64,
    /// The name it was uploaded under, when a version or an attachment records one.
    #[serde(default)]
    pub name: Option<String>,
}

/// Types a browser shows as a picture and never runs. Every other stored file (HTML, Markdown,
/// text, PDF) is served as a download, so uploaded bytes never act as a page of this site.
const INLINE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"];

impl BlobMeta {
    pub fn shows_inline(&self) -> bool {
        INLINE_TYPES.contains(&self.content_type.as_str())
    }

    /// The `Content-Disposition` to serve it with: `inline` for pictures, else `attachment`,
    /// with the upload's name as a plain-ASCII `filename` and an exact UTF-8 `filename*`.
    pub fn content_disposition(&self) -> String {
        let kind = if self.shows_inline() { "inline" } else { "attachment" };
        let name = self.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or("file");
        let ascii: String = name
            .chars()
            .map(|c| if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' { c } else { '_' })
            .collect();
        let mut encoded = String::new();
        for byte in name.bytes() {
            if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
                encoded.push(char::from(byte));
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
        format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
    }
}

/// Where a version is in ingest. Stored as its lowercase name (`document_versions.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionStatus {
    Queued,
    Extracting,
    Ready,
    Failed,
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Extracting => "extracting",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    /// Ingest has ended for this version, one way or the other.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ready | Self::Failed)
    }
}

/// `YYYY-MM-DD` (UTC) for a Unix timestamp; out of `time`'s range, the epoch.
pub fn format_date(unix_seconds: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date();
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!("getting-started".parse::<Slug>().is_ok());
        for bad in ["", "Caps", "../x", "a b", "ü", &"a".repeat(101)] {
            assert!(bad.parse::<Slug>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_pictures_show_inline_and_names_cannot_break_the_header() {
        let meta = |content_type: &str, name: Option<&str>| BlobMeta {
            content_type: content_type.into(),
            size: 1,
            name: name.map(Into::into),
        };
        assert_eq!(
            meta("image/png", Some("a.png")).content_disposition(),
            r#"inline; filename="a.png"; filename*=UTF-8''a.png"#
        );
        for risky in ["text/html", "text/markdown", "text/plain", "application/pdf", "image/svg+xml"] {
            assert!(
                meta(risky, None).content_disposition().starts_with("attachment; filename=\"file\""),
                "{risky}"
            );
        }
        let hostile = meta("text/html", Some("x\";\r\nSet-Cookie: a=b; \\ü.html")).content_disposition();
        assert_eq!(
            hostile,
            r#"attachment; filename="x_;__Set-Cookie: a=b; __.html"; filename*=UTF-8''x%22%3B%0D%0ASet-Cookie%3A%20a%3Db%3B%20%5C%C3%BC.html"#
        );
    }

    #[test]
    fn version_statuses_are_stored_by_their_lowercase_names() {
        for status in
            [VersionStatus::Queued, VersionStatus::Extracting, VersionStatus::Ready, VersionStatus::Failed]
        {
            let json = serde_json::to_string(&status).expect("json");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<VersionStatus>(&json).expect("back"), status);
        }
        assert!(VersionStatus::Failed.is_final() && !VersionStatus::Extracting.is_final());
    }

    #[test]
    fn a_listing_takes_the_folder_first_and_ignores_empty_filters() {
        let params = |folder: Option<&str>, tag: Option<&str>| ListParams {
            cursor: None,
            folder: folder.map(Into::into),
            tag: tag.map(Into::into),
        };
        assert_eq!(params(Some("Team"), Some("faq")).listing(), Listing::Folder("Team".into()));
        assert_eq!(params(Some(" "), Some("faq")).listing(), Listing::Tag("faq".into()));
        assert_eq!(params(None, Some("")).listing(), Listing::All);
    }

    #[test]
    fn dates() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(951_782_400), "2000-02-29");
        assert_eq!(format_date(1_795_305_600), "2026-11-22");
    }
}
