//! [`domain::accounts::access::KeySource`] on Workers: the Cloudflare Access key set with `fetch`.

use async_trait::async_trait;
use domain::accounts::access::{KeyFetchError, KeySource};
use worker::send::SendFuture;
use worker::{Fetch, Url};

pub struct FetchKeySource;

#[async_trait]
impl KeySource for FetchKeySource {
    async fn fetch(&self, url: &str) -> Result<String, KeyFetchError> {
        let url = Url::parse(url).map_err(|e| KeyFetchError(format!("{url}: {e}")))?;
        SendFuture::new(async move {
            let failed = |e: worker::Error| KeyFetchError(format!("{url}: {e}"));
            let mut res = Fetch::Url(url.clone()).send().await.map_err(failed)?;
            if res.status_code() != 200 {
                return Err(KeyFetchError(format!("{url}: HTTP {}", res.status_code())));
            }
            res.text().await.map_err(failed)
        })
        .await
    }
}

/// Unix seconds from the JS clock (`SystemTime` is not available on wasm32). The float holds
/// whole milliseconds since 1970, far inside i64 after dividing.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}
