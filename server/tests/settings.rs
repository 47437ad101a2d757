//! One definition of the settings both hosts share (`domain::config::SETTINGS`): the native
//! loader reads each from `FOLIO_<NAME>` and `folio.toml` (unit tests in `server/src/config.rs`),
//! the Worker from `[vars]` through the same list. These checks hold the files around them to
//! it, so a variable set for one host and read by neither cannot be written again.

use std::collections::BTreeSet;

/// What only the Worker reads: the Vectorize index's dimensions (natively the model says).
const WORKER_ONLY: &[&str] = &["EMBEDDING_DIMENSIONS"];

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_var_in_wrangler_toml_is_a_shared_setting_or_named_worker_only() {
    let text = std::fs::read_to_string(root().join("wrangler.toml")).expect("wrangler.toml");
    let table: toml::Table = toml::from_str(&text).expect("valid toml");
    let vars = table["vars"].as_table().expect("[vars]");
    let shared: BTreeSet<&str> = domain::config::SETTINGS.iter().map(|s| s.var).collect();
    for (name, value) in vars {
        assert!(
            shared.contains(name.as_str()) || WORKER_ONLY.contains(&name.as_str()),
            "wrangler.toml sets {name}, which no host reads: add it to domain::config::SETTINGS"
        );
        if let Some(setting) = domain::config::SETTINGS.iter().find(|s| s.var == name) {
            let mut config = domain::config::SiteConfig::default();
            let value = value.as_str().expect("vars are strings");
            config.set(setting.var, value).unwrap_or_else(|e| panic!("wrangler.toml: {e}"));
        }
    }
}

#[test]
fn every_shared_setting_is_in_the_readme_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    for setting in domain::config::SETTINGS {
        assert!(
            readme.contains(&format!("`{}`", setting.var)),
            "{} is not in the README's table",
            setting.var
        );
        let key = setting.toml.rsplit('.').next().unwrap_or(setting.toml);
        assert!(
            readme.contains(&format!("`{key}`")),
            "the folio.toml key {} is not in the README",
            setting.toml
        );
    }
}
