//! A search as it arrives in a URL, checked into a [`Request`].

use serde::{Deserialize, Serialize};

use super::{Fusion, Mode, Request, DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::DomainError;

/// A search as it arrives in a URL (`/api/search?q=&mode=&limit=&folder=&tag=&after=&ratio=&fusion=&rerank=`
/// and the `/search` page), checked by [`Params::into_request`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    #[serde(default)]
    pub q: String,
    pub mode: Option<String>,
    pub limit: Option<String>,
    pub folder: Option<String>,
    pub tag: Option<String>,
    pub after: Option<String>,
    pub ratio: Option<String>,
    /// `rrf` or `convex`, overriding the host's setting (for `folio eval`).
    pub fusion: Option<String>,
    /// `on` or `off`, overriding the host's reranking setting (for `folio eval --rerank`).
    pub rerank: Option<String>,
    /// Asked while the reader types (the search dialog, `live=true`): insights count a run of
    /// such searches, each extending the last, as one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub live: bool,
}

impl Params {
    /// The request, or a message saying which parameter is wrong and what it takes. Empty
    /// filters mean none; an unknown folder or tag is a valid filter that finds nothing.
    pub fn into_request(self) -> Result<Request, DomainError> {
        let bad = |msg: String| DomainError::BadInput(msg);
        let present = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mode = match present(self.mode) {
            None => Mode::default(),
            Some(m) => Mode::parse(&m)
                .ok_or_else(|| bad(format!("mode must be hybrid, keyword or semantic, not {m:?}.")))?,
        };
        let limit = match present(self.limit) {
            None => DEFAULT_LIMIT,
            Some(l) => l.parse::<usize>().ok().filter(|l| (1..=MAX_LIMIT).contains(l)).ok_or_else(|| {
                bad(format!("limit must be a whole number from 1 to {MAX_LIMIT}, not {l:?}."))
            })?,
        };
        let after = match present(self.after) {
            None => None,
            Some(a) => Some(parse_after(&a).ok_or_else(|| {
                bad(format!("after must be a date (2026-01-31) or Unix seconds, not {a:?}."))
            })?),
        };
        let semantic_ratio = match present(self.ratio) {
            None => None,
            Some(r) => Some(
                r.parse::<f32>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| bad(format!("ratio must be a number from 0 to 1, not {r:?}.")))?,
            ),
        };
        let fusion = match present(self.fusion) {
            None => None,
            Some(f) => Some(
                Fusion::parse(&f).ok_or_else(|| bad(format!("fusion must be rrf or convex, not {f:?}.")))?,
            ),
        };
        let rerank = match present(self.rerank) {
            None => None,
            Some(r) => Some(match r.as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                _ => return Err(bad(format!("rerank must be on or off, not {r:?}."))),
            }),
        };
        Ok(Request {
            fusion,
            rerank,
            query: self.q,
            mode,
            limit,
            folder: present(self.folder),
            tag: present(self.tag),
            after,
            semantic_ratio,
        })
    }
}

/// `2026-01-31` (midnight UTC) or Unix seconds. Dates are checked by `time`: 2026-02-30 is
/// refused, not rolled over.
fn parse_after(value: &str) -> Option<i64> {
    if let Ok(seconds) = value.parse::<i64>() {
        return Some(seconds);
    }
    let mut parts = value.splitn(3, '-');
    let year = parts.next()?.parse::<i32>().ok().filter(|y| (1970..=9999).contains(y))?;
    let month = time::Month::try_from(parts.next()?.parse::<u8>().ok()?).ok()?;
    let day = parts.next()?.parse::<u8>().ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Result<Request, DomainError> {
        let mut p = Params::default();
        for (k, v) in pairs {
            let value = Some((*v).to_owned());
            match *k {
                "q" => p.q = (*v).to_owned(),
                "mode" => p.mode = value,
                "limit" => p.limit = value,
                "folder" => p.folder = value,
                "tag" => p.tag = value,
                "after" => p.after = value,
                "ratio" => p.ratio = value,
                "rerank" => p.rerank = value,
                _ => unreachable!(),
            }
        }
        p.into_request()
    }

    #[test]
    fn parameters_are_checked_with_messages_that_name_them() {
        let r = params(&[("q", "wal"), ("folder", " "), ("tag", "sql")]).expect("ok");
        assert_eq!(
            (r.mode, r.limit, r.folder, r.tag.as_deref()),
            (Mode::Hybrid, DEFAULT_LIMIT, None, Some("sql"))
        );
        for (key, value) in [
            ("limit", "0"),
            ("limit", "51"),
            ("limit", "ten"),
            ("mode", "fuzzy"),
            ("after", "yesterday"),
            ("ratio", "2"),
            ("rerank", "maybe"),
        ] {
            let err = params(&[("q", "x"), (key, value)]).expect_err(value);
            assert_eq!(err.status(), 400);
            assert!(err.public_message().contains(key), "{key}: {}", err.public_message());
        }
        assert_eq!(params(&[("limit", "50")]).expect("max").limit, 50);
        assert_eq!(params(&[("rerank", "on")]).expect("on").rerank, Some(true));
        assert_eq!(params(&[("rerank", "off")]).expect("off").rerank, Some(false));
    }

    #[test]
    fn after_takes_dates_and_seconds() {
        assert_eq!(parse_after("1970-01-01"), Some(0));
        assert_eq!(parse_after("2026-12-03"), Some(1_796_256_000));
        assert_eq!(parse_after("1700000000"), Some(1_700_000_000));
        assert_eq!(parse_after("2026-13-01"), None);
        assert_eq!(parse_after("2026-02-30"), None, "no rolling over into March");
        assert_eq!(parse_after("2028-02-29"), Some(1_835_395_200));
    }
}
