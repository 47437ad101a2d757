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

use axum::http::HeaderMap;
use bytes::Bytes;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Pages kept at most (reading pages, listings and their query strings).
const ENTRIES: usize = 512;
/// A ceiling on a page's age, in case something it shows moves without a write.
const MAX_AGE: Duration = Duration::from_secs(60);

/// How a render offers its page: the caching layer puts one in the request's extensions, and
/// [`allow`] fills it (leptos_axum gives a render the request's parts, extensions included).
/// It holds the document whose view the page counts, if any.
#[derive(Clone, Default)]
pub(super) struct Offer(Arc<OnceLock<Option<i64>>>);

impl Offer {
    /// `Some(view)` when the render offered its page.
    pub(super) fn taken(&self) -> Option<Option<i64>> {
        self.0.get().copied()
    }
}

/// Lets this response's page be kept for other anonymous readers; `view` is the document whose
/// view the page counts (a hit counts it again). Call from a server function: only a page
/// render's request carries an [`Offer`], so a call answering the browser directly is never kept.
#[cfg(feature = "ssr")]
pub fn allow(view: Option<i64>) {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>();
    if let Some(offer) = parts.as_ref().and_then(|p| p.extensions.get::<Offer>()) {
        // A page offered twice (a listing and its facets) is kept once.
        let _ = offer.0.set(view);
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

/// The kept pages of one process, by path and query. A page from before the latest write is
/// never hit again, so the cache's own eviction (CLOCK-Pro) lets it go before pages in use.
pub struct PageCache {
    pages: quick_cache::sync::Cache<String, Arc<Page>>,
}

impl Default for PageCache {
    fn default() -> Self {
        Self { pages: quick_cache::sync::Cache::new(ENTRIES) }
    }
}

impl PageCache {
    /// The page kept for `key`, if it is still current at `writes`.
    pub(super) fn get(&self, key: &str, writes: u64) -> Option<Arc<Page>> {
        let page = self.pages.get(key)?;
        (page.writes == writes && page.stored_at.elapsed() < MAX_AGE).then_some(page)
    }

    /// Keeps `page` for `key`.
    pub(super) fn put(&self, key: String, page: Page) {
        self.pages.insert(key, Arc::new(page));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.pages.len()
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
        cache.put("/docs/a".into(), page(7, "<p>a</p>", "n"));
        assert!(cache.get("/docs/a", 7).is_some());
        assert!(cache.get("/docs/a", 8).is_none(), "a write since");
        assert!(cache.get("/docs/a?x=1", 7).is_none(), "another query is another page");
    }

    #[test]
    fn a_full_cache_keeps_the_pages_in_use() {
        let cache = PageCache::default();
        cache.put("/hot".into(), page(2, "h", "n"));
        for i in 0..4 * ENTRIES {
            cache.put(format!("/old/{i}"), page(1, "x", "n"));
            assert!(cache.get("/hot", 2).is_some(), "read often, kept");
        }
        assert!(cache.len() <= ENTRIES + ENTRIES / 8, "bounded: {}", cache.len());
    }

    #[test]
    fn an_offer_is_taken_once() {
        let offer = Offer::default();
        assert_eq!(offer.taken(), None, "nothing offered: not kept");
        let _ = offer.0.set(Some(42));
        let _ = offer.0.set(None);
        assert_eq!(offer.taken(), Some(Some(42)));
    }
}
