//! [`domain::accounts::access::KeySource`] on Workers: the Cloudflare Access key set with `fetch`.

use async_trait::async_trait;
use worker::send::SendFuture;
use worker::{Fetch, Url};

pub struct FetchKeySource;

#[async_trait]
impl domain::accounts::access::KeySource for FetchKeySource {
    async fn fetch(&self, url: &str) -> Result<String, String> {
        let url = Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        SendFuture::new(async move {
            let mut res = Fetch::Url(url.clone()).send().await.map_err(|e| format!("{url}: {e}"))?;
            if res.status_code() != 200 {
                return Err(format!("{url}: HTTP {}", res.status_code()));
            }
            res.text().await.map_err(|e| format!("{url}: {e}"))
        })
        .await
    }
}

/// Unix seconds from the JS clock (`SystemTime` is not available on wasm32). The float holds
/// whole milliseconds since 1970, far inside i64 after dividing.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}
