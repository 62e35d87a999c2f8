//! Store settings HQ administers for all the tills of a store: the receipt header (store
//! name and address), the receipt language, cash rounding and the points programme. HQ checks them before it
//! stores them; a till keeps the last set it received in its data directory and lays it
//! over its own configuration when it opens. A set that does not fit is refused whole and
//! the till keeps what it had.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::domain::loyalty::PointsProgram;
use crate::domain::org::Language;

/// File in the data directory holding the settings HQ last sent.
pub const FILE: &str = "hq-settings.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The store's language (`zh` or `en`): receipts, and the touch UI at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Cash rounding step, e.g. `0.10`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_rounding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<PointsProgram>,
    /// The store's IANA time zone (`Asia/Shanghai`, `Europe/Berlin`): HQ's reports count
    /// the store's sales on its own days and hours. Fixed once HQ holds sales of the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

impl StoreSettings {
    /// The configuration with these settings laid over it, checked as a whole.
    pub fn apply_to(&self, config: &Config) -> Result<Config, String> {
        let mut c = config.clone();
        if let Some(name) = &self.name {
            c.store.name = name.clone();
        }
        if let Some(address) = &self.address {
            c.store.address = address.clone();
        }
        if let Some(language) = self.language {
            c.store.language = language;
        }
        if self.cash_rounding.is_some() {
            c.store.cash_rounding = self.cash_rounding.clone();
        }
        if let Some(points) = &self.points {
            c.loyalty.points = points.clone();
        }
        c.validate(std::path::Path::new("(settings from HQ)"))
            .map_err(|e| e.to_string())?;
        Ok(c)
    }
}

/// The configuration with the settings HQ last sent (kept in `dir`) laid over it; without
/// a readable, fitting set, the configuration as it is.
pub fn effective(config: &Config, dir: &std::path::Path) -> Config {
    let path = dir.join(FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return config.clone();
    };
    match serde_json::from_str::<StoreSettings>(&text)
        .map_err(|e| e.to_string())
        .and_then(|s| s.apply_to(config))
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("{}: {e}; the configuration stays as it is", path.display());
            config.clone()
        }
    }
}

/// Keeps a set received from HQ, after checking it fits this till's configuration.
pub fn keep(
    config: &Config,
    dir: &std::path::Path,
    settings: &StoreSettings,
) -> Result<(), String> {
    settings.apply_to(config)?;
    let text = serde_json::to_string_pretty(settings).map_err(|e| e.to_string())?;
    let tmp = dir.join(format!("{FILE}.new"));
    std::fs::write(&tmp, text).map_err(|e| e.to_string())?;
    // Renamed into place, so a till never reads half a file.
    std::fs::rename(&tmp, dir.join(FILE)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_from_hq_lay_over_the_configuration_or_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::default();
        assert_eq!(effective(&config, dir.path()), config, "no file, no change");
        let good = StoreSettings {
            name: Some("分店".into()),
            cash_rounding: Some("0.10".into()),
            language: Some(Language::En),
            ..StoreSettings::default()
        };
        keep(&config, dir.path(), &good).unwrap();
        let c = effective(&config, dir.path());
        assert_eq!(c.store.name, "分店");
        assert_eq!(c.store.cash_step(), 10);
        assert_eq!(c.store.language, Language::En);
        // A set that does not fit is refused and the kept one stays.
        let bad = StoreSettings {
            cash_rounding: Some("ten".into()),
            ..StoreSettings::default()
        };
        assert!(keep(&config, dir.path(), &bad).is_err());
        assert_eq!(effective(&config, dir.path()).store.name, "分店");
        // A language HQ's settings cannot name is refused whole too.
        let unknown: Result<StoreSettings, _> =
            serde_json::from_str(r#"{"name": "X", "language": "de"}"#);
        assert!(unknown.is_err());
        // A damaged file is ignored whole.
        std::fs::write(dir.path().join(FILE), "{\"name\": ").unwrap();
        assert_eq!(effective(&config, dir.path()), config);
    }
}
