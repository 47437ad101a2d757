//! The settings both hosts share, defined once. Each is named in [`SETTINGS`]: its variable
//! (`FOLIO_<NAME>` natively, `<NAME>` in the Worker's `[vars]`), its key in `folio.toml`, and
//! how its text becomes a typed value. Both hosts fill [`SiteConfig`] through [`SiteConfig::set`]
//! from that one list, so a setting one host reads and the other ignores cannot be written (a
//! test holds `wrangler.toml` and the README to the list). What only one host has (native
//! paths and model files; the Worker's bindings) stays with that host.

use crate::enrich;
use crate::search;
use crate::site::limits::ClientLimits;

mod table;
pub use table::SETTINGS;

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
    /// The cross-encoder of hybrid's second stage (`SEARCH_RERANK`): a Workers AI model on the
    /// Worker, a folder or repo id natively, where none is the default (the embedder stands in).
    pub rerank_model: ModelChoice,
    pub search: search::Settings,
    /// The model's budget, breaker and time-out (`text_model` is filled in by the host with
    /// the model it loaded).
    pub enrich: enrich::Settings,
    pub limits: ClientLimits,
    /// Collect searches, questions and answer votes for `/admin/insights`.
    pub insights: crate::insights::Settings,
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
            rerank_model: ModelChoice::HostDefault,
            search: search::Settings::default(),
            enrich: enrich::Settings::default(),
            limits: ClientLimits::default(),
            insights: crate::insights::Settings::default(),
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
