//! Rendered pages kept for anonymous readers, so a reading page is rendered once per change of
//! the data it shows rather than once per view.
//!
//! A page opts in while it renders ([`allow`]: its data changes only with a database write,
//! never with the clock or the reader). It is stored against [`domain::Db::writes`] as read
//! *before* the render began and served while that number holds: any committed write since
//! (an edit, a publish, a vote, a delete, enrichment, views) makes every stored page a miss,
//! and a write that lands during a render makes that render's copy stale at once. Only a host
//! that sees every write of its database keeps pages (natively; on Workers other isolates
//! write to D1 too, so `writes()` is `None` and nothing is kept).
//!
//! A stored page keeps its body split at the CSP nonce of the render that made it; each
//! response gets its own nonce. A page that counts a view names its document, and a hit counts
//! it as the render would have.

use axum::http::{HeaderMap, HeaderValue};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The header a render sets to offer its page ([`allow`]); the caching layer removes it.
pub const OFFER: &str = "x-folio-page-cache";

/// Pages kept at most (reading pages, listings and their query strings).
const ENTRIES: usize = 512;
/// A ceiling on a page's age, in case something it shows moves without a write.
const MAX_AGE: Duration = Duration::from_secs(60);

/// Lets this response's page be kept for other anonymous readers; `view` is the document whose
/// view the page counts (a hit counts it again). Call from a server function during SSR; a
/// call answering the browser directly is not a page and is never kept.
#[cfg(feature = "ssr")]
pub fn allow(view: Option<i64>) {
    use leptos::prelude::use_context;
    let value = view.map_or_else(|| "page".to_owned(), |id| format!("view={id}"));
    if let (Some(response), Ok(value)) =
        (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&value))
    {
        response.insert_header(axum::http::HeaderName::from_static(OFFER), value);
    }
}

/// What a render offered: `Some(view)` when it may be kept.
pub(super) fn offered(value: Option<&HeaderValue>) -> Option<Option<i64>> {
    match value?.to_str().ok()? {
        "page" => Some(None),
        other => other.strip_prefix("view=")?.parse().ok().map(Some),
    }
}

/// One kept page.
pub(super) struct Page {
    writes: u64,
    stored_at: Instant,
    /// The rendered response's own headers (content type, …), without the layers' ones.
    pub headers: HeaderMap,
    /// The body, split where the render's nonce stood.
    pieces: Vec<Bytes>,
    pub etag: String,
    /// The document whose view a hit counts.
    pub view: Option<i64>,
}

impl Page {
    pub fn new(
        writes: u64,
        headers: HeaderMap,
        body: &Bytes,
        nonce: Option<&str>,
        etag: String,
        view: Option<i64>,
    ) -> Self {
        Self { writes, stored_at: Instant::now(), headers, pieces: split(body, nonce), etag, view }
    }

    /// The body with `nonce` where the render's stood.
    pub fn body(&self, nonce: Option<&str>) -> Bytes {
        match self.pieces.as_slice() {
            [whole] => whole.clone(),
            pieces => {
                let nonce = nonce.unwrap_or_default().as_bytes();
                let len = pieces.iter().map(Bytes::len).sum::<usize>() + nonce.len() * (pieces.len() - 1);
                let mut out = Vec::with_capacity(len);
                for (i, piece) in pieces.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(nonce);
                    }
                    out.extend_from_slice(piece);
                }
                out.into()
            }
        }
    }
}

fn split(body: &Bytes, nonce: Option<&str>) -> Vec<Bytes> {
    let Some(nonce) = nonce.filter(|n| !n.is_empty()).map(str::as_bytes) else {
        return vec![body.clone()];
    };
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while let Some(found) = body[at..].windows(nonce.len()).position(|w| w == nonce) {
        let end = at + found;
        pieces.push(body.slice(start..end));
        start = end + nonce.len();
        at = start;
    }
    pieces.push(body.slice(start..));
    pieces
}

/// The kept pages of one process, by path and query.
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<String, Arc<Page>>>,
}

impl PageCache {
    /// The page kept for `key`, if it is still current at `writes`.
    pub(super) fn get(&self, key: &str, writes: u64) -> Option<Arc<Page>> {
        let pages = self.pages.lock().ok()?;
        let page = pages.get(key)?;
        (page.writes == writes && page.stored_at.elapsed() < MAX_AGE).then(|| page.clone())
    }

    /// Keeps `page` for `key`. When full, pages from before the latest write go first, then all.
    pub(super) fn put(&self, key: String, page: Page, writes_now: u64) {
        let Ok(mut pages) = self.pages.lock() else { return };
        if pages.len() >= ENTRIES && !pages.contains_key(&key) {
            pages.retain(|_, kept| kept.writes == writes_now && kept.stored_at.elapsed() < MAX_AGE);
            if pages.len() >= ENTRIES {
                pages.clear();
            }
        }
        pages.insert(key, Arc::new(page));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.pages.lock().map(|p| p.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(writes: u64, body: &'static str, nonce: &str) -> Page {
        Page::new(
            writes,
            HeaderMap::new(),
            &Bytes::from_static(body.as_bytes()),
            Some(nonce),
            "W/\"t\"".into(),
            None,
        )
    }

    #[test]
    fn a_hit_carries_its_own_nonce() {
        let kept = page(1, "<script nonce=\"n1\">a</script><p>n1x</p><style nonce=\"n1\"></style>", "n1");
        assert_eq!(
            kept.body(Some("zz")),
            Bytes::from_static(b"<script nonce=\"zz\">a</script><p>zzx</p><style nonce=\"zz\"></style>")
        );
        let plain = page(1, "<p>no scripts</p>", "n1");
        assert_eq!(plain.body(Some("zz")), Bytes::from_static(b"<p>no scripts</p>"));
    }

    #[test]
    fn any_write_since_the_render_is_a_miss() {
        let cache = PageCache::default();
        cache.put("/docs/a".into(), page(7, "<p>a</p>", "n"), 7);
        assert!(cache.get("/docs/a", 7).is_some());
        assert!(cache.get("/docs/a", 8).is_none(), "a write since");
        assert!(cache.get("/docs/a?x=1", 7).is_none(), "another query is another page");
    }

    #[test]
    fn a_full_cache_drops_stale_pages_first() {
        let cache = PageCache::default();
        for i in 0..ENTRIES {
            cache.put(format!("/old/{i}"), page(1, "x", "n"), 1);
        }
        cache.put("/new".into(), page(2, "y", "n"), 2);
        assert_eq!(cache.len(), 1, "every page from before the write went");
        assert!(cache.get("/new", 2).is_some());
    }

    #[test]
    fn only_a_well_formed_offer_is_taken() {
        assert_eq!(offered(Some(&HeaderValue::from_static("page"))), Some(None));
        assert_eq!(offered(Some(&HeaderValue::from_static("view=42"))), Some(Some(42)));
        assert_eq!(offered(Some(&HeaderValue::from_static("view=x"))), None);
        assert_eq!(offered(None), None);
    }
}
