//! [`SETTINGS`]: every shared setting, and how its text becomes a typed value.

use std::time::Duration;

use super::{Expected, ModelChoice, Setting};
use crate::search::Fusion;

fn number<T: std::str::FromStr>(value: &str, what: &str) -> Result<T, Expected> {
    value.trim().parse().map_err(|_| Expected::from(what))
}

fn fraction(value: &str, low: f32, high: f32) -> Result<f32, Expected> {
    let n: f32 = number(value, &format!("a number from {low} to {high}"))?;
    if (low..=high).contains(&n) {
        Ok(n)
    } else {
        Err(Expected(format!("a number from {low} to {high}")))
    }
}

fn flag(value: &str) -> Result<bool, Expected> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("true or false".into()),
    }
}

fn text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn model(value: &str) -> ModelChoice {
    match value.trim() {
        "" | "off" | "none" => ModelChoice::Off,
        name => ModelChoice::Named(name.to_owned()),
    }
}

fn millis(value: &str, least: u64) -> Result<Duration, Expected> {
    let ms: u64 = number(value, "a whole number of milliseconds")?;
    Ok(Duration::from_millis(ms.max(least)))
}

/// Every shared setting. Order is the README's.
pub const SETTINGS: &[Setting] = &[
    Setting {
        var: "MAX_UPLOAD_MB",
        toml: "max_upload_mb",
        example: "5",
        apply: |c, v| {
            c.max_upload_mb = number::<usize>(v, "a whole number of megabytes, e.g. 25").and_then(|mb| {
                if mb > 0 {
                    Ok(mb)
                } else {
                    Err("at least 1 megabyte".into())
                }
            })?;
            Ok(())
        },
    },
    Setting {
        var: "SEED_SAMPLES",
        toml: "seed_samples",
        example: "false",
        apply: |c, v| {
            c.seed_samples = flag(v)?;
            Ok(())
        },
    },
    Setting {
        var: "ADMIN_EMAIL",
        toml: "admin_email",
        example: "me@example.org",
        apply: |c, v| {
            c.admin_email = text(v);
            Ok(())
        },
    },
    Setting {
        var: "ADMIN_PASSWORD",
        toml: "admin_password",
        example: "a long passphrase",
        apply: |c, v| {
            c.admin_password = text(v);
            Ok(())
        },
    },
    Setting {
        var: "ACCESS_TEAM_DOMAIN",
        toml: "access_team_domain",
        example: "myteam.cloudflareaccess.com",
        apply: |c, v| {
            c.access_team_domain = text(v);
            Ok(())
        },
    },
    Setting {
        var: "ACCESS_AUD",
        toml: "access_aud",
        example: "an-audience-tag",
        apply: |c, v| {
            c.access_aud = text(v);
            Ok(())
        },
    },
    Setting {
        var: "EMBEDDING_MODEL",
        toml: "embedding_model",
        example: "off",
        apply: |c, v| {
            c.embedding_model = model(v);
            Ok(())
        },
    },
    Setting {
        var: "TEXT_MODEL",
        toml: "text_model",
        example: "some/other-model",
        apply: |c, v| {
            c.text_model = model(v);
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_RATIO",
        toml: "search.semantic_ratio",
        example: "0.5",
        apply: |c, v| {
            c.search.semantic_ratio = fraction(v, 0.0, 1.0)?;
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_SHORT_RATIO",
        toml: "search.short_query_ratio",
        example: "0.8",
        apply: |c, v| {
            c.search.short_query_ratio = fraction(v, 0.0, 1.0)?;
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_FUSION",
        toml: "search.fusion",
        example: "convex",
        apply: |c, v| {
            c.search.fusion = Fusion::parse(v.trim()).ok_or(Expected::from("rrf or convex"))?;
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_RRF_K",
        toml: "search.rrf_k",
        example: "30",
        apply: |c, v| {
            c.search.rrf_k = number::<f32>(v, "a number")?.max(1.0);
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_CANDIDATES",
        toml: "search.candidates",
        example: "40",
        apply: |c, v| {
            c.search.candidates = number::<usize>(v, "a whole number from 10 to 100")?.clamp(10, 100);
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_SCORED_CHUNKS",
        toml: "search.scored_chunks",
        example: "1000",
        apply: |c, v| {
            c.search.scored_chunks = number::<usize>(v, "a whole number of chunks")?.max(1);
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_MIN_SIMILARITY",
        toml: "search.min_similarity",
        example: "0.4",
        apply: |c, v| {
            c.search.min_similarity = fraction(v, -1.0, 1.0)?;
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_SEMANTIC_TIMEOUT_MS",
        toml: "search.semantic_timeout_ms",
        example: "800",
        apply: |c, v| {
            c.search.semantic_timeout = millis(v, 50)?;
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_RERANK",
        toml: "search.rerank",
        example: "on",
        apply: |c, v| {
            c.search.rerank = flag(v)?;
            Ok(())
        },
    },
    Setting {
        var: "SEARCH_RERANK_TIMEOUT_MS",
        toml: "search.rerank_timeout_ms",
        example: "3000",
        apply: |c, v| {
            c.search.rerank_timeout = millis(v, 50)?;
            Ok(())
        },
    },
    Setting {
        var: "RERANK_MODEL",
        toml: "rerank_model",
        example: "cross-encoder/ms-marco-MiniLM-L-6-v2",
        apply: |c, v| {
            c.rerank_model = model(v);
            Ok(())
        },
    },
    Setting {
        var: "ASK_MIN_SIMILARITY",
        toml: "ask.min_similarity",
        example: "off",
        apply: |c, v| {
            c.search.ask_min_similarity = match v.trim() {
                "off" | "none" | "" => None,
                v => Some(fraction(v, -1.0, 1.0).map_err(|Expected(e)| Expected(format!("{e}, or off")))?),
            };
            Ok(())
        },
    },
    Setting {
        var: "ASK_REWRITE",
        toml: "ask.rewrite",
        example: "model",
        apply: |c, v| {
            c.search.ask_rewrite_by_model = match v.trim() {
                "model" => true,
                "rule" => false,
                _ => return Err("model or rule".into()),
            };
            Ok(())
        },
    },
    Setting {
        var: "AI_CALLS_PER_MINUTE",
        toml: "enrich.calls_per_minute",
        example: "10",
        apply: |c, v| {
            c.enrich.calls_per_minute = number(v, "a whole number of calls")?;
            Ok(())
        },
    },
    Setting {
        var: "AI_CALLS_PER_DAY",
        toml: "enrich.calls_per_day",
        example: "500",
        apply: |c, v| {
            c.enrich.calls_per_day = number(v, "a whole number of calls")?;
            Ok(())
        },
    },
    Setting {
        var: "AI_TIMEOUT_MS",
        toml: "enrich.timeout_ms",
        example: "30000",
        apply: |c, v| {
            c.enrich.timeout = millis(v, 100)?;
            Ok(())
        },
    },
    Setting {
        var: "AI_BREAKER_FAILURES",
        toml: "enrich.breaker_failures",
        example: "3",
        apply: |c, v| {
            c.enrich.breaker_failures = number::<u32>(v, "a whole number of failures")?.max(1);
            Ok(())
        },
    },
    Setting {
        var: "AI_BREAKER_COOLDOWN_S",
        toml: "enrich.breaker_cooldown_s",
        example: "120",
        apply: |c, v| {
            c.enrich.breaker_cooldown =
                Duration::from_secs(number::<u64>(v, "a whole number of seconds")?.max(1));
            Ok(())
        },
    },
    Setting {
        var: "AI_RESERVED_PERCENT",
        toml: "enrich.reserved_percent",
        example: "10",
        apply: |c, v| {
            let percent: u8 = number(v, "a whole number from 0 to 50")?;
            if percent > 50 {
                return Err("a whole number from 0 to 50".into());
            }
            c.enrich.reserved_percent = percent;
            Ok(())
        },
    },
    Setting {
        var: "RELATED_MIN_SIMILARITY",
        toml: "enrich.related_min_similarity",
        example: "0.65",
        apply: |c, v| {
            c.enrich.related_min_similarity = fraction(v, -1.0, 1.0)?;
            Ok(())
        },
    },
    Setting {
        var: "CLIENT_SEARCHES_PER_MINUTE",
        toml: "limits.searches_per_minute",
        example: "60",
        apply: |c, v| {
            c.limits.searches_per_minute = number(v, "a whole number of searches (0: no limit)")?;
            Ok(())
        },
    },
    Setting {
        var: "CLIENT_QUESTIONS_PER_HOUR",
        toml: "limits.questions_per_hour",
        example: "10",
        apply: |c, v| {
            c.limits.questions_per_hour = number(v, "a whole number of questions (0: no limit)")?;
            Ok(())
        },
    },
    Setting {
        var: "INSIGHTS",
        toml: "insights",
        example: "false",
        apply: |c, v| {
            c.insights.collect = flag(v)?;
            Ok(())
        },
    },
];
