//! Environment overrides of the configuration, for containers and systemd units:
//! `STOREPOS_<TABLE>__<KEY>=value` sets `<table>.<key>` over the file (names are
//! case-insensitive, `__` separates the levels: `STOREPOS_HQ__DATABASE`,
//! `STOREPOS_DEVICES__SCANNER__PATH`, `STOREPOS_DATA_DIR` for the top-level `data_dir`).
//!
//! A value is taken as the type the key has: a key whose default is a string takes the
//! value as it is; any other key takes it as a TOML value (`30`, `true`,
//! `["13", "9"]`, `{ kind = "serial", path = "/dev/storepos-scanner0" }`), falling back to a
//! string. The merged configuration goes through the same checks as a file, and an error
//! about an overridden key names the variable.
//!
//! Not keys: `STOREPOS_CONFIG` (the file to read) and `STOREPOS_LOG_FORMAT` (an alias of
//! `STOREPOS_LOGGING__FORMAT`). A name without `__` that is not a top-level key is not
//! the configuration's and is left alone; a name with `__` naming no key is refused.

use std::ffi::OsString;

use std::path::Path;

use super::{Config, ConfigError, invalid_at};

/// The prefix of every override.
pub const PREFIX: &str = "STOREPOS_";

/// One `STOREPOS_…` variable and the key it sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The variable's name, as set.
    pub var: String,
    /// The key's path, e.g. `["hq", "database"]`.
    pub key: Vec<String>,
    /// The value, as set.
    pub value: String,
}

impl Override {
    /// The dotted key, as errors name keys (`hq.database`).
    pub fn dotted(&self) -> String {
        self.key.join(".")
    }
}

/// The overrides among `vars` (the process environment, or a test's list), in name order.
pub fn overrides<I>(vars: I) -> Result<Vec<Override>, ConfigError>
where
    I: IntoIterator<Item = (OsString, OsString)>,
{
    let top_level = top_level_keys();
    let mut out = Vec::new();
    for (name, value) in vars {
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = strip_prefix_ignore_case(name, PREFIX) else {
            continue;
        };
        let upper = rest.to_ascii_uppercase();
        let key: Vec<String> = if upper == "CONFIG" {
            continue;
        } else if upper == "LOG_FORMAT" {
            vec!["logging".into(), "format".into()]
        } else if rest.contains("__") {
            let parts: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
            if parts.iter().any(String::is_empty) {
                return Err(ConfigError::Env {
                    var: name.to_string(),
                    key: parts.join("."),
                    message: "an empty key between `__` separators".into(),
                });
            }
            parts
        } else if top_level.contains(&rest.to_ascii_lowercase()) {
            vec![rest.to_ascii_lowercase()]
        } else {
            continue;
        };
        let value = value.into_string().map_err(|_| ConfigError::Env {
            var: name.to_string(),
            key: key.join("."),
            message: "the value is not UTF-8".into(),
        })?;
        out.push(Override {
            var: name.to_string(),
            key,
            value,
        });
    }
    out.sort_by(|a, b| a.var.cmp(&b.var));
    Ok(out)
}

fn strip_prefix_ignore_case<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &name[prefix.len()..])
}

/// The defaults as a TOML table: the types the keys have.
fn defaults() -> toml::Table {
    toml::Table::try_from(Config::default()).expect("the defaults serialise")
}

fn top_level_keys() -> Vec<String> {
    defaults().keys().cloned().collect()
}

/// How an override's text became a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    /// As the default's type says: a string, or a TOML value.
    Typed,
    /// The key has no default to go by; read as a TOML value if it is one.
    Guessed,
    /// As a string, after the guess was refused.
    Text,
}

/// The value an override puts in the table.
fn value_of(o: &Override, default: Option<&toml::Value>, reading: Reading) -> toml::Value {
    let as_toml = || {
        format!("v = {}", o.value)
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
    };
    match (default, reading) {
        (_, Reading::Text) | (Some(toml::Value::String(_)), _) => {
            toml::Value::String(o.value.clone())
        }
        _ => as_toml().unwrap_or_else(|| toml::Value::String(o.value.clone())),
    }
}

/// Whether the default configuration has a value at `key` (which fixes its type).
pub(super) fn has_default(key: &[String]) -> bool {
    lookup(&defaults(), key).is_some()
}

fn lookup<'a>(table: &'a toml::Table, key: &[String]) -> Option<&'a toml::Value> {
    let (last, parents) = key.split_last()?;
    let mut here = table;
    for part in parents {
        here = here.get(part)?.as_table()?;
    }
    here.get(last)
}

/// Puts the overrides into `table` (a parsed file, or an empty one), read as `readings`
/// says (one per override).
pub(super) fn apply(
    table: &mut toml::Table,
    overrides: &[Override],
    readings: &[Reading],
) -> Result<(), ConfigError> {
    let defaults = defaults();
    for (o, reading) in overrides.iter().zip(readings) {
        let value = value_of(o, lookup(&defaults, &o.key), *reading);
        let (last, parents) = o.key.split_last().expect("a key has a name");
        let mut here = &mut *table;
        for (depth, part) in parents.iter().enumerate() {
            let not_a_table = || ConfigError::Env {
                var: o.var.clone(),
                key: o.key[..=depth].join("."),
                message: "is not a table, so it has no keys to set".into(),
            };
            if lookup(&defaults, &o.key[..=depth]).is_some_and(|d| !d.is_table()) {
                return Err(not_a_table());
            }
            let entry = here
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            here = entry.as_table_mut().ok_or_else(not_a_table)?;
        }
        here.insert(last.clone(), value);
    }
    Ok(())
}

/// The override an error about `key` (with `message`) is about, if any: the key itself,
/// a key inside it, or an unknown key the message names.
pub(super) fn culprit<'a>(
    overrides: &'a [Override],
    key: &str,
    message: &str,
) -> Option<&'a Override> {
    overrides.iter().find(|o| {
        let dotted = o.dotted();
        dotted == key
            || key.starts_with(&format!("{dotted}."))
            || key.starts_with(&format!("{dotted}["))
            || ((key.is_empty() || key == "." || dotted.starts_with(&format!("{key}.")))
                && o.key
                    .last()
                    .is_some_and(|last| message.contains(&format!("`{last}`"))))
    })
}

impl Config {
    /// Parses `text`, applies the environment `overrides` over it (see this module) and
    /// validates the result; an error about an overridden key names its variable.
    pub fn from_toml_with(
        text: &str,
        path: &Path,
        overrides: &[Override],
    ) -> Result<Config, ConfigError> {
        if overrides.is_empty() {
            return Config::from_toml(text, path);
        }
        let file: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let mut readings: Vec<Reading> = overrides
            .iter()
            .map(|o| match has_default(&o.key) {
                true => Reading::Typed,
                false => Reading::Guessed,
            })
            .collect();
        loop {
            let mut table = file.clone();
            apply(&mut table, overrides, &readings)?;
            let result = serde_path_to_error::deserialize(table)
                .map_err(|e| invalid_at(path, e))
                .and_then(|config: Config| config.validate(path).map(|()| config));
            let Err(ConfigError::Invalid { key, message, .. }) = result else {
                return result;
            };
            let Some(culprit) = culprit(overrides, &key, &message) else {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    key,
                    message,
                });
            };
            // A key with no default to type it by, guessed as a number or a list: try the
            // text as it is before refusing it.
            let index = overrides
                .iter()
                .position(|o| o == culprit)
                .expect("the culprit is one of them");
            if readings[index] == Reading::Guessed {
                readings[index] = Reading::Text;
                continue;
            }
            return Err(ConfigError::Env {
                var: culprit.var.clone(),
                key,
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        list.iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    #[test]
    fn names_map_to_keys() {
        let found = overrides(vars(&[
            ("STOREPOS_HQ__DATABASE", "postgres://db/hq"),
            ("storepos_store__id", "S002"),
            ("STOREPOS_DATA_DIR", "/srv/till"),
            ("STOREPOS_DEVICES__SCANNER__PATH", "/dev/storepos-scanner0"),
            ("STOREPOS_LOG_FORMAT", "json"),
            ("STOREPOS_CONFIG", "/etc/x.toml"),
            ("STOREPOS_RECEIPT_PNG", "/tmp/r.png"),
            ("PATH", "/usr/bin"),
        ]))
        .unwrap();
        let keys: Vec<(String, String)> =
            found.iter().map(|o| (o.var.clone(), o.dotted())).collect();
        assert_eq!(
            keys,
            [
                ("STOREPOS_DATA_DIR", "data_dir"),
                ("STOREPOS_DEVICES__SCANNER__PATH", "devices.scanner.path"),
                ("STOREPOS_HQ__DATABASE", "hq.database"),
                ("STOREPOS_LOG_FORMAT", "logging.format"),
                ("storepos_store__id", "store.id"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let err = overrides(vars(&[("STOREPOS_HQ____URL", "x")])).unwrap_err();
        assert!(err.to_string().contains("STOREPOS_HQ____URL"), "{err}");
    }
}

#[cfg(test)]
mod config_tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Config, LogFormat};

    fn load(file: &str, list: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars = list
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        Config::from_toml_with(file, Path::new("test.toml"), &overrides(vars)?)
    }

    fn var_of(err: ConfigError) -> (String, String) {
        match err {
            ConfigError::Env { var, key, .. } => (var, key),
            other => panic!("expected an error naming a variable, got {other}"),
        }
    }

    #[test]
    fn overrides_apply_over_the_file() {
        let c = load(
            "[store]\nid = \"S001\"\nname = \"Kept\"\n[hq]\nrefresh_every = 60\n",
            &[
                ("STOREPOS_STORE__ID", "S002"),
                ("STOREPOS_HQ__DATABASE", "postgres://hq@db:5432/hq"),
                ("STOREPOS_HQ__REFRESH_EVERY", "30"),
                ("STOREPOS_HQ__TOKEN", "12345"),
                ("STOREPOS_DATA_DIR", "/srv/till"),
                ("STOREPOS_STORE__TAX_RATES", "[\"7\", \"0\"]"),
                ("STOREPOS_DEVICES__SCANNER__KIND", "serial"),
                ("STOREPOS_DEVICES__SCANNER__PATH", "/dev/storepos-scanner0"),
                ("STOREPOS_LOG_FORMAT", "json"),
            ],
        )
        .unwrap();
        assert_eq!(c.store.id, "S002");
        assert_eq!(c.store.name, "Kept");
        assert_eq!(c.hq.database, "postgres://hq@db:5432/hq");
        assert_eq!(c.hq.refresh_every, 30);
        // A key with no default (a string) keeps digits as text.
        assert_eq!(c.hq.token.as_deref(), Some("12345"));
        assert_eq!(c.data_dir, Path::new("/srv/till"));
        assert_eq!(c.store.tax_rates.to_string(), "7%, 0%");
        assert_ne!(
            c.devices.scanner,
            storepos_drivers::ScannerConfig::default()
        );
        assert_eq!(c.logging.format, LogFormat::Json);
        // With no variables, the file alone.
        assert_eq!(load("", &[]).unwrap(), Config::default());
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        for (var, value, key) in [
            ("STOREPOS_STORE__ID", "a b", "store.id"),
            ("STOREPOS_STORE__CURRENCY", "XYZ", "store.currency"),
            ("STOREPOS_HQ__REFRESH_EVERY", "often", "hq.refresh_every"),
            ("STOREPOS_HQ__REFRESH_EVERY", "0", "hq.refresh_every"),
            ("STOREPOS_HQ__LISTEN", "nowhere", "hq.listen"),
            ("STOREPOS_HQ__DATABASE", "mysql://x/y", "hq.database"),
            ("STOREPOS_LOGGING__FORMAT", "xml", "logging.format"),
            ("STOREPOS_LOG_FORMAT", "xml", "logging.format"),
            ("STOREPOS_LOYALTY__COUPON_KEY", "1234", "loyalty.coupon_key"),
        ] {
            let err = load("", &[(var, value)]).unwrap_err();
            let message = err.to_string();
            assert!(message.contains(var), "{var}: {message}");
            assert_eq!(
                var_of(err),
                (var.to_string(), key.to_string()),
                "{var}={value}"
            );
        }
        // An unknown key is refused with its variable, and a key that is not a table.
        let err = load("", &[("STOREPOS_STORE__CURENCY", "CNY")]).unwrap_err();
        assert!(err.to_string().contains("STOREPOS_STORE__CURENCY"), "{err}");
        let err = load("", &[("STOREPOS_DATA_DIR__X", "y")]).unwrap_err();
        assert_eq!(var_of(err).0, "STOREPOS_DATA_DIR__X");
        // An error in the file itself still names the file and its key.
        let err = load(
            "[store]\nid = \"a b\"\n",
            &[("STOREPOS_HQ__REFRESH_EVERY", "30")],
        )
        .unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { key, .. } if key == "store.id"),
            "{err}"
        );
    }
}
