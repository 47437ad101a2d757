//! The settings both hosts share, defined once. Each is named in [`SETTINGS`]: its variable
//! (`FOLIO_<NAME>` natively, `<NAME>` in the Worker's `[vars]`), its key in `folio.toml`, and
//! how its text becomes a typed value. Both hosts fill [`SiteConfig`] through [`SiteConfig::set`]
//! from that one list, so a setting one host reads and the other ignores cannot be written (a
//! test holds `wrangler.toml` and the README to the list). What only one host has (native
//! paths and model files; the Worker's bindings) stays with that host.

use std::time::Duration;

use crate::enrich;
use crate::search::{self, Fusion};
use crate::site::limits::ClientLimits;

/// Which model a setting names: the host's default, none, or a named one (a folder or a
/// Hugging Face repo natively, a `@cf/…` model on Workers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ModelChoice {
    #[default]
    HostDefault,
    Off,
    Named(String),
}

impl ModelChoice {
    /// The model's name, `default` unless another is named; `None` when turned off.
    pub fn or(&self, default: &str) -> Option<String> {
        match self {
            Self::HostDefault => Some(default.to_owned()),
            Self::Off => None,
            Self::Named(name) => Some(name.clone()),
        }
    }
}

/// What both hosts are told, typed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteConfig {
    /// Per-file upload limit in megabytes.
    pub max_upload_mb: usize,
    /// Load the sample pages into an empty site.
    pub seed_samples: bool,
    /// The first admin, created at start if no account has this email.
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// Trust Cloudflare Access (off unless both are set).
    pub access_team_domain: Option<String>,
    pub access_aud: Option<String>,
    pub embedding_model: ModelChoice,
    pub text_model: ModelChoice,
    pub search: search::Settings,
    /// The model's budget, breaker and time-out (`text_model` is filled in by the host with
    /// the model it loaded).
    pub enrich: enrich::Settings,
    pub limits: ClientLimits,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            max_upload_mb: crate::content::upload::DEFAULT_MAX_UPLOAD_MB,
            seed_samples: true,
            admin_email: None,
            admin_password: None,
            access_team_domain: None,
            access_aud: None,
            embedding_model: ModelChoice::HostDefault,
            text_model: ModelChoice::HostDefault,
            search: search::Settings::default(),
            enrich: enrich::Settings::default(),
            limits: ClientLimits::default(),
        }
    }
}

/// A setting whose value did not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?} is invalid: expected {expected}")]
pub struct ConfigError {
    /// As the reader wrote it: `FOLIO_SEARCH_RATIO`, `SEARCH_RATIO` or `search.semantic_ratio`.
    pub name: String,
    pub value: String,
    /// What a valid value looks like: "a number from 0 to 1".
    pub expected: String,
}

/// What a setting's value should have been, in words.
#[derive(Debug)]
struct Expected(String);

impl From<&str> for Expected {
    fn from(what: &str) -> Self {
        Self(what.to_owned())
    }
}

/// One shared setting.
pub struct Setting {
    /// The variable: `FOLIO_<var>` natively, `<var>` in `[vars]` on Workers.
    pub var: &'static str,
    /// Its key in `folio.toml` (`section.key` or a top-level key).
    pub toml: &'static str,
    /// A valid value other than the default (the tests set each one and see it change).
    pub example: &'static str,
    apply: fn(&mut SiteConfig, &str) -> Result<(), Expected>,
}

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
        example: "0.6",
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
];

impl SiteConfig {
    /// Sets the setting named `name` (a [`Setting::var`] or [`Setting::toml`] key) from text;
    /// `Ok(false)` when no shared setting has that name.
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, ConfigError> {
        let Some(setting) = SETTINGS.iter().find(|s| s.var == name || s.toml == name) else {
            return Ok(false);
        };
        self.apply(setting, name, value)?;
        Ok(true)
    }

    /// `value` into `setting`; an error names the setting as the person wrote it (`name`).
    fn apply(&mut self, setting: &Setting, name: &str, value: &str) -> Result<(), ConfigError> {
        (setting.apply)(self, value).map_err(|Expected(expected)| ConfigError {
            name: name.to_owned(),
            value: value.to_owned(),
            expected,
        })
    }

    /// Every setting `lookup` has a value for, by variable name (the host adds its prefix),
    /// over `self`. An empty value counts as unset.
    pub fn with_vars(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        for setting in SETTINGS {
            if let Some(value) = lookup(setting.var).filter(|v| !v.trim().is_empty()) {
                self.apply(setting, setting.var, &value)?;
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_reads_its_example_and_changes_the_config() {
        for setting in SETTINGS {
            let mut config = SiteConfig::default();
            assert_eq!(config.set(setting.var, setting.example), Ok(true), "{}", setting.var);
            assert_ne!(config, SiteConfig::default(), "{} changed nothing", setting.var);
            let mut by_key = SiteConfig::default();
            assert_eq!(by_key.set(setting.toml, setting.example), Ok(true), "{}", setting.toml);
            assert_eq!(by_key, config, "{} and {} are one setting", setting.var, setting.toml);
        }
    }

    #[test]
    fn names_are_unique_and_bad_values_say_what_was_expected() {
        let mut names: Vec<&str> = SETTINGS.iter().flat_map(|s| [s.var, s.toml]).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a name is used twice");
        let err = SiteConfig::default().set("SEARCH_RATIO", "2").expect_err("out of range");
        assert_eq!(err.to_string(), "SEARCH_RATIO=\"2\" is invalid: expected a number from 0 to 1");
        assert!(SiteConfig::default().set("SEARCH_FUSION", "mean").is_err());
        assert!(SiteConfig::default().set("AI_RESERVED_PERCENT", "60").is_err());
        assert_eq!(SiteConfig::default().set("NOT_A_SETTING", "1"), Ok(false));
    }

    #[test]
    fn variables_fill_over_the_defaults_and_empty_ones_are_unset() {
        let vars = |name: &str| match name {
            "SEARCH_MIN_SIMILARITY" => Some("0.4".to_owned()),
            "TEXT_MODEL" => Some("off".to_owned()),
            "MAX_UPLOAD_MB" => Some(String::new()),
            _ => None,
        };
        let config = SiteConfig::default().with_vars(vars).expect("valid");
        assert!((config.search.min_similarity - 0.4).abs() < f32::EPSILON);
        assert_eq!(config.text_model, ModelChoice::Off);
        assert_eq!(config.max_upload_mb, SiteConfig::default().max_upload_mb);
    }
}
