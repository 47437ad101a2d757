//! [`domain::accounts::access::KeySource`] natively: the Cloudflare Access key set over HTTPS (ureq, on a
//! blocking thread so the async workers never wait on the network).

use async_trait::async_trait;
use domain::accounts::access::{KeyFetchError, KeySource};
use std::time::Duration;

pub struct HttpsKeySource {
    agent: ureq::Agent,
}

impl Default for HttpsKeySource {
    fn default() -> Self {
        let agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().into();
        Self { agent }
    }
}

#[async_trait]
impl KeySource for HttpsKeySource {
    async fn fetch(&self, url: &str) -> Result<String, KeyFetchError> {
        let agent = self.agent.clone();
        let url = url.to_owned();
        tokio::task::spawn_blocking(move || {
            let failed = |e: ureq::Error| KeyFetchError(format!("{url}: {e}"));
            let mut res = agent.get(&url).call().map_err(failed)?;
            res.body_mut().read_to_string().map_err(failed)
        })
        .await
        .map_err(|e| KeyFetchError(e.to_string()))?
    }
}

/// Unix seconds, for token expiry.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
