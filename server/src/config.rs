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
}

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
        }
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
