//! The terminal's TOML configuration: where data lives, which store and terminal this is,
//! how to reach headquarters, barcode layouts and devices.
//!
//! Every key has a documented default (see `storepos config default`), so a terminal runs
//! with no file at all. Unknown keys are refused, and every error names the key it is
//! about, because a mistyped key silently ignored is a till misbehaving in a week.

use std::path::{Path, PathBuf};

pub mod env;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::gs1::VariableMeasureLayout;
use crate::domain::money::{Currency, parse_currency};
use crate::domain::org::Language;
use crate::domain::tax::{TaxMode, TaxRates};

/// The defaults as a commented file (`storepos config default`); a test keeps it equal to
/// `Config::default()`.
pub const DOCUMENTED_DEFAULTS: &str = include_str!("../packaging/storepos.toml");

/// Name of the file looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "storepos.toml";

/// The installed configuration, read when no other file is named or present.
pub const SYSTEM_FILE: &str = "/etc/storepos/storepos.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory holding the terminal's databases. Relative paths are taken from the
    /// working directory. Overridden by `--data-dir`.
    pub data_dir: PathBuf,
    pub store: StoreConfig,
    pub terminal: TerminalConfig,
    pub hq: HqConfig,
    pub barcode: BarcodeConfig,
    /// Scanner, card reader, printer, drawer and customer display; each defaults to its
    /// simulator, so a terminal with no hardware runs the demo store.
    pub devices: storepos_drivers::DeviceConfigs,
    pub loyalty: LoyaltyConfig,
    pub logging: LoggingConfig,
    pub limits: LimitsConfig,
}

/// Ceilings on the amounts a cashier types, in the store's currency (decimal strings,
/// validated when the configuration is loaded). They keep every sum of a shift exact: each
/// is at most [`LimitsConfig::HARD_CEILING_MINOR`] minor units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// One tender (cash, card, voucher).
    pub max_tender: String,
    /// The float, cash in, cash out and counted cash.
    pub max_cash: String,
    /// A price override or an amount discount.
    pub max_price: String,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_tender: "1000000".into(),
            max_cash: "1000000".into(),
            max_price: "1000000".into(),
        }
    }
}

impl LimitsConfig {
    /// No ceiling may exceed this many minor units: the largest line amount, so a shift of
    /// millions of movements still sums exactly in `i64`.
    pub const HARD_CEILING_MINOR: i64 = crate::domain::basket::MAX_LINE_AMOUNT;

    /// A ceiling in minor units of `currency` (validated when the configuration is loaded).
    pub fn minor(text: &str, currency: Currency) -> i64 {
        crate::domain::money::Money::parse(text, currency)
            .map_or(Self::HARD_CEILING_MINOR, |m| m.minor())
    }

    fn validate(&self, currency: Currency) -> Result<(), (&'static str, String)> {
        for (key, text) in [
            ("limits.max_tender", &self.max_tender),
            ("limits.max_cash", &self.max_cash),
            ("limits.max_price", &self.max_price),
        ] {
            match crate::domain::money::Money::parse(text, currency) {
                Ok(m) if m.minor() > 0 && m.minor() <= Self::HARD_CEILING_MINOR => {}
                _ => {
                    return Err((
                        key,
                        format!(
                            "'{text}' must be a positive amount in {} of at most {}",
                            currency.code(),
                            crate::domain::money::Money::from_minor(
                                Self::HARD_CEILING_MINOR,
                                currency
                            )
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The loyalty programme and the key personalised coupons are checked against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LoyaltyConfig {
    /// Earning and redemption rules (default: the Watsons rule, 1 point per 10.00 spent,
    /// 1 point pays 0.10).
    pub points: crate::domain::loyalty::PointsProgram,
    /// HQ's Ed25519 public key (64 hex digits) that signs coupons and shopping lists; without
    /// it the till refuses every coupon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_key: Option<String>,
}

impl LoyaltyConfig {
    /// The coupon key (validated when the configuration is loaded).
    pub fn coupon_key(&self) -> Option<ed25519_dalek::VerifyingKey> {
        let bytes: [u8; 32] = hex::decode(self.coupon_key.as_deref()?.trim())
            .ok()?
            .try_into()
            .ok()?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub id: String,
    pub name: String,
    pub address: String,
    /// ISO 4217 code; fixes the minor unit of every amount the store records.
    #[serde(
        serialize_with = "serialize_currency",
        deserialize_with = "deserialize_currency"
    )]
    pub currency: Currency,
    /// `inclusive` (shelf prices include VAT) or `exclusive` (VAT added at the till).
    pub tax_mode: TaxMode,
    /// The store's offset from UTC, e.g. `+08:00`; receipts and reports print local time.
    pub utc_offset: String,
    /// Step cash totals are rounded to, e.g. `0.10`; absent means no rounding.
    /// Card and other electronic tenders are never rounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_rounding: Option<String>,
    /// `zh` or `en`: the language of the store's receipts, and the one the touch UI
    /// starts in.
    pub language: Language,
    /// The VAT rates the store uses, in percent (`["13", "9", "6", "0", "3"]`, China's).
    /// A product file's `tax_rate` must be one of them; a fraction (`0.13`) is read as the
    /// configured rate it stands for (13 %).
    #[serde(
        serialize_with = "serialize_tax_rates",
        deserialize_with = "deserialize_tax_rates"
    )]
    pub tax_rates: TaxRates,
}

impl StoreConfig {
    /// The cash rounding step in minor units (validated when the configuration is loaded).
    pub fn cash_step(&self) -> i64 {
        self.cash_rounding
            .as_deref()
            .and_then(|step| crate::domain::money::Money::parse(step, self.currency).ok())
            .map_or(1, |m| m.minor().max(1))
    }

    /// The parsed `utc_offset` (validated when the configuration is loaded).
    pub fn offset(&self) -> chrono::FixedOffset {
        parse_offset(&self.utc_offset)
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"))
    }
}

fn parse_offset(text: &str) -> Option<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(&format!("2000-01-01T00:00:00{text}"))
        .ok()
        .map(|t| *t.offset())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TerminalConfig {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HqConfig {
    /// Base URL of the headquarters service.
    pub url: url::Url,
    /// This terminal's bearer token (from `storepos hq register`); without it the terminal
    /// works offline only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// For `storepos hq`: its database, `postgres://…` for a PostgreSQL server or
    /// `sqlite://PATH` (or a plain path) for an embedded SQLite file.
    pub database: String,
    /// For `storepos hq serve`: the address it listens on.
    pub listen: String,
    /// For `storepos hq` only: the file holding its coupon-signing key (created on first
    /// use; `storepos-hq.key` when unset). A till refuses a configuration that names it:
    /// whoever holds a till's disk could sign coupons every till accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// For `storepos hq serve`: its TLS certificate chain and private key (PEM); with both
    /// set it serves HTTPS only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// For terminals: a certificate authority (PEM) to trust for HQ besides the system's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// For `storepos hq serve`: the bearer token of HQ staff tools on the admin API
    /// (catalogue, promotions, report); none leaves the admin API off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_token: Option<String>,
    /// For terminals with `token`: seconds between fetches of HQ's data sets while the
    /// terminal runs (applied between sales).
    pub refresh_every: u64,
    /// For `storepos hq serve`: member lookups one terminal token may make per minute;
    /// beyond it HQ answers 429 (a till looks a member up once per customer at most).
    pub member_lookups_per_minute: u32,
    /// For `storepos hq serve`: seconds a client may take to send a request's headers (and
    /// its first request on a new connection) before HQ closes the connection.
    pub header_timeout: u64,
    /// For `storepos hq serve`: seconds a request's body may take to arrive.
    pub body_timeout: u64,
    /// For `storepos hq serve`: minutes a console session may go unused before it ends
    /// (its staff member logs in again).
    pub session_idle_minutes: u64,
    /// For `storepos hq`: the complaints' deadlines by severity.
    pub complaints: crate::hq::complaints::Sla,
    /// For `storepos hq`: the fortnight's personalised lists (`[hq.lists]`).
    pub lists: HqListsConfig,
}

/// HQ's settings for the personalised lists it makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HqListsConfig {
    /// Share of the members who would get a list that a period holds out at random (no
    /// list), so the lists' lift is measured against them; 0 holds no one out.
    pub holdout_share: f64,
}

impl Default for HqListsConfig {
    fn default() -> Self {
        HqListsConfig {
            holdout_share: 0.05,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct BarcodeConfig {
    /// In-store variable-measure layouts (GS1 prefixes 20–29).
    pub variable_measure: VariableMeasureLayout,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// A `tracing` filter such as `info` or `storepos=debug`; `RUST_LOG` wins if set.
    pub level: String,
    /// `plain` lines on standard error (what systemd's journal takes), or `json`, one JSON
    /// object a line, for log collectors (also `STOREPOS_LOG_FORMAT=json`).
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Plain,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("storepos-data"),
            store: StoreConfig::default(),
            terminal: TerminalConfig::default(),
            hq: HqConfig::default(),
            barcode: BarcodeConfig::default(),
            devices: storepos_drivers::DeviceConfigs::default(),
            loyalty: LoyaltyConfig::default(),
            logging: LoggingConfig::default(),
            limits: LimitsConfig::default(),
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            id: "S001".into(),
            name: "StorePOS Demo Store".into(),
            address: String::new(),
            currency: Currency::CNY,
            tax_mode: TaxMode::Inclusive,
            utc_offset: "+08:00".into(),
            cash_rounding: None,
            language: Language::Zh,
            tax_rates: TaxRates::default(),
        }
    }
}

impl Default for TerminalConfig {
    fn default() -> Self {
        TerminalConfig { id: "T01".into() }
    }
}

/// HQ's coupon-signing key file when `hq.key_file` is unset.
pub const DEFAULT_HQ_KEY_FILE: &str = "storepos-hq.key";

impl HqConfig {
    /// HQ's coupon-signing key file: `hq.key_file`, else [`DEFAULT_HQ_KEY_FILE`].
    pub fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_HQ_KEY_FILE))
    }
}

impl Config {
    /// Refuses what a till must never run with: HQ's private coupon-signing key. Tills
    /// verify HQ's signatures with its public key (`loyalty.coupon_key`) and print the
    /// lists HQ signed; a chain's hundreds of tills must not each hold the key that makes
    /// coupons every one of them accepts offline.
    pub fn check_till(&self) -> Result<(), ConfigError> {
        if let Some(file) = &self.hq.key_file {
            return Err(ConfigError::TillHoldsHqKey { file: file.clone() });
        }
        Ok(())
    }
}

/// Member lookups per minute a terminal token may make at HQ: a till looks a member up once
/// per customer at most, so this is far above a counter's pace and far below what walking
/// through card numbers would need.
pub const DEFAULT_MEMBER_LOOKUPS_PER_MINUTE: u32 = 120;

impl Default for HqConfig {
    fn default() -> Self {
        HqConfig {
            url: url::Url::parse("http://127.0.0.1:8640/").expect("static URL"),
            token: None,
            database: "sqlite://storepos-hq.db".into(),
            listen: "127.0.0.1:8640".into(),
            key_file: None,
            tls_cert: None,
            tls_key: None,
            ca_file: None,
            admin_token: None,
            member_lookups_per_minute: DEFAULT_MEMBER_LOOKUPS_PER_MINUTE,
            header_timeout: 10,
            body_timeout: 30,
            refresh_every: 300,
            session_idle_minutes: 30,
            complaints: crate::hq::complaints::Sla::default(),
            lists: HqListsConfig::default(),
        }
    }
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            level: "info,rusqlite_migration=warn".into(),
            format: LogFormat::Plain,
        }
    }
}

fn serialize_currency<S: Serializer>(c: &Currency, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.code())
}

fn deserialize_currency<'de, D: Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
    let code = String::deserialize(d)?;
    parse_currency(&code).map_err(serde::de::Error::custom)
}

fn serialize_tax_rates<S: Serializer>(rates: &TaxRates, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rates.rates().iter().map(|r| r.percent_text()))
}

fn deserialize_tax_rates<'de, D: Deserializer<'de>>(d: D) -> Result<TaxRates, D::Error> {
    let texts = Vec::<String>::deserialize(d)?;
    TaxRates::parse(&texts).map_err(serde::de::Error::custom)
}

/// A deserialising error as [`ConfigError::Invalid`], naming the key it is about.
fn invalid_at<E: std::fmt::Display>(path: &Path, e: serde_path_to_error::Error<E>) -> ConfigError {
    let key = e.path().to_string();
    // toml's own message starts with a location banner; keep its last line, the reason.
    let text = e.into_inner().to_string();
    let message = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string();
    ConfigError::Invalid {
        path: path.to_path_buf(),
        key,
        message,
    }
}

/// Whether `id` is a valid store or terminal id: 1–32 ASCII letters, digits, `-` or `_`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A configuration that could not be used, with the file and key it is about.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path}: key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("configuration file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    /// An environment override (see [`env`]) that is refused, or that makes a key invalid.
    #[error("environment variable {var} (key `{key}`): {message}")]
    Env {
        var: String,
        key: String,
        message: String,
    },
    #[error(
        "hq.key_file names HQ's private coupon-signing key ({}), which a till never holds: \
         whoever reads a till's disk could sign coupons and lists that every till accepts. \
         Remove hq.key_file from this till's configuration: HQ keeps the key, and tills check \
         HQ's signatures with loyalty.coupon_key and print the lists HQ signed",
        file.display()
    )]
    TillHoldsHqKey { file: PathBuf },
}

/// Where the configuration came from, for `config show` and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Defaults,
}

impl Config {
    /// Parses and validates a configuration text; `path` is only used in messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let syntax = |e: toml::de::Error| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        };
        let deserializer = toml::de::Deserializer::parse(text).map_err(syntax)?;
        let config: Config =
            serde_path_to_error::deserialize(deserializer).map_err(|e| invalid_at(path, e))?;
        config.validate(path)?;
        Ok(config)
    }

    /// Checks rules that span several values or that the types alone cannot hold.
    pub fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            message,
        };
        let id_ok = valid_id;
        if !id_ok(&self.store.id) {
            return Err(invalid(
                "store.id",
                format!(
                    "'{}' must be 1–32 letters, digits, '-' or '_'",
                    self.store.id
                ),
            ));
        }
        if !id_ok(&self.terminal.id) {
            return Err(invalid(
                "terminal.id",
                format!(
                    "'{}' must be 1–32 letters, digits, '-' or '_'",
                    self.terminal.id
                ),
            ));
        }
        if parse_offset(&self.store.utc_offset).is_none() {
            return Err(invalid(
                "store.utc_offset",
                format!(
                    "'{}' is not an offset such as +08:00",
                    self.store.utc_offset
                ),
            ));
        }
        if let Some(step) = &self.store.cash_rounding {
            match crate::domain::money::Money::parse(step, self.store.currency) {
                Ok(m) if m.minor() >= 1 => {}
                _ => {
                    return Err(invalid(
                        "store.cash_rounding",
                        format!(
                            "'{step}' is not a positive amount in {} (e.g. 0.10)",
                            self.store.currency.code()
                        ),
                    ));
                }
            }
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty".into()));
        }
        if !matches!(self.hq.url.scheme(), "http" | "https") {
            return Err(invalid(
                "hq.url",
                format!("'{}' must be an http or https URL", self.hq.url),
            ));
        }
        if let Err((index, e)) = self.barcode.variable_measure.validate() {
            return Err(invalid(
                &format!("barcode.variable_measure[{index}].{}", e.field),
                e.message,
            ));
        }
        for (key, value) in [
            ("hq.header_timeout", self.hq.header_timeout),
            ("hq.body_timeout", self.hq.body_timeout),
        ] {
            if !(1..=3600).contains(&value) {
                return Err(invalid(key, "must be 1 to 3600 (seconds)".into()));
            }
        }
        if !(1..=1440).contains(&self.hq.session_idle_minutes) {
            return Err(invalid(
                "hq.session_idle_minutes",
                "must be 1 to 1440 (minutes)".into(),
            ));
        }
        if self.hq.member_lookups_per_minute == 0 {
            return Err(invalid(
                "hq.member_lookups_per_minute",
                "must be at least 1".into(),
            ));
        }
        if self.hq.refresh_every == 0 {
            return Err(invalid(
                "hq.refresh_every",
                "must be at least 1 (seconds)".into(),
            ));
        }
        if self.hq.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "hq.listen",
                format!(
                    "'{}' is not an address such as 127.0.0.1:8640",
                    self.hq.listen
                ),
            ));
        }
        if let Err(e) = crate::database_url::DatabaseUrl::parse(&self.hq.database) {
            return Err(invalid("hq.database", e));
        }
        if self.hq.tls_cert.is_some() != self.hq.tls_key.is_some() {
            return Err(invalid(
                "hq.tls_cert",
                "give both hq.tls_cert and hq.tls_key, or neither".into(),
            ));
        }
        if !(0.0..1.0).contains(&self.hq.lists.holdout_share) {
            return Err(invalid(
                "hq.lists.holdout_share",
                "must be a share from 0 (no hold-out) to below 1, such as 0.05".into(),
            ));
        }
        if let Err(e) = self.loyalty.points.validate() {
            return Err(invalid("loyalty.points", e.to_string()));
        }
        if self.loyalty.coupon_key.is_some() && self.loyalty.coupon_key().is_none() {
            return Err(invalid(
                "loyalty.coupon_key",
                "must be an Ed25519 public key as 64 hex digits".into(),
            ));
        }
        if let Err((key, message)) = self.limits.validate(self.store.currency) {
            return Err(invalid(key, message));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.logging.level) {
            return Err(invalid("logging.level", e.to_string()));
        }
        Ok(())
    }

    /// Loads the configuration: the given file, else `STOREPOS_CONFIG`, else
    /// `./storepos.toml` if present, else `/etc/storepos/storepos.toml` if present, else the
    /// built-in defaults; then the `STOREPOS_<TABLE>__<KEY>` overrides (see [`env`]).
    pub fn load(explicit: Option<&Path>) -> Result<(Config, Source), ConfigError> {
        let overrides = env::overrides(std::env::vars_os())?;
        let chosen = explicit.map(Path::to_path_buf).or_else(|| {
            std::env::var_os("STOREPOS_CONFIG")
                .map(PathBuf::from)
                .or_else(|| {
                    [DEFAULT_FILE, SYSTEM_FILE]
                        .into_iter()
                        .map(PathBuf::from)
                        .find(|p| p.exists())
                })
        });
        match chosen {
            None => Ok((
                Config::from_toml_with("", Path::new("(built-in defaults)"), &overrides)?,
                Source::Defaults,
            )),
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                Ok((
                    Config::from_toml_with(&text, &path, &overrides)?,
                    Source::File(path),
                ))
            }
        }
    }

    /// The configuration as TOML, every key present.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("configuration always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("test.toml"))
    }

    fn key_of(err: ConfigError) -> String {
        match err {
            ConfigError::Invalid { key, .. } => key,
            other => panic!("expected an invalid key, got {other}"),
        }
    }

    #[test]
    fn empty_file_means_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn the_documented_defaults_are_the_defaults() {
        assert_eq!(parse(DOCUMENTED_DEFAULTS).unwrap(), Config::default());
    }

    #[test]
    fn defaults_round_trip_through_toml() {
        let text = Config::default().to_toml();
        assert_eq!(parse(&text).unwrap(), Config::default());
    }

    #[test]
    fn reads_the_documented_keys() {
        let c = parse(
            r#"
            data_dir = "/var/lib/storepos"
            [store]
            id = "SH-042"
            currency = "USD"
            tax_mode = "exclusive"
            [terminal]
            id = "T07"
            [hq]
            url = "https://hq.example.com/"
            [[barcode.variable_measure]]
            prefix = "22"
            item_digits = 4
            value_digits = 6
            kind = "weight"
            decimals = 3
            "#,
        )
        .unwrap();
        assert_eq!(c.store.currency, Currency::USD);
        assert_eq!(c.store.tax_mode, TaxMode::Exclusive);
        assert_eq!(c.terminal.id, "T07");
        assert_eq!(c.barcode.variable_measure.0.len(), 1);
    }

    #[test]
    fn errors_name_the_key() {
        assert_eq!(
            key_of(parse("[store]\ncurrency = \"XYZ\"").unwrap_err()),
            "store.currency"
        );
        assert_eq!(key_of(parse("[store]\nid = 5").unwrap_err()), "store.id");
        assert_eq!(
            key_of(parse("[store]\nid = \"a b\"").unwrap_err()),
            "store.id"
        );
        assert_eq!(
            key_of(parse("[hq]\nurl = \"not a url\"").unwrap_err()),
            "hq.url"
        );
        assert_eq!(
            key_of(parse("[hq]\nurl = \"ftp://x/\"").unwrap_err()),
            "hq.url"
        );
        for bad in ["mysql://root@localhost/hq", "sqlite://", ""] {
            let err = parse(&format!("[hq]\ndatabase = \"{bad}\"")).unwrap_err();
            assert!(err.to_string().contains("hq.database"), "{err}");
            assert_eq!(key_of(err), "hq.database");
        }
        assert_eq!(
            key_of(parse("[store]\ntax_mode = \"sometimes\"").unwrap_err()),
            "store.tax_mode"
        );
        let unknown = parse("[store]\ncurency = \"CNY\"").unwrap_err().to_string();
        assert!(unknown.contains("curency"), "{unknown}");
        let layout = parse(
            "[[barcode.variable_measure]]\nprefix = \"21\"\nitem_digits = 6\nvalue_digits = 5\nkind = \"price\"\ndecimals = 2",
        )
        .unwrap_err();
        assert_eq!(key_of(layout), "barcode.variable_measure[0].item_digits");
    }

    #[test]
    fn devices_are_configured_by_kind() {
        let c = parse("[devices.scanner]\nkind = \"serial\"\npath = \"/dev/ttyACM0\"\n").unwrap();
        assert_ne!(
            c.devices.scanner,
            storepos_drivers::ScannerConfig::default()
        );
        let err = parse("[devices.scanner]\nkind = \"laser\"\n").unwrap_err();
        assert!(key_of(err).starts_with("devices.scanner"));
    }

    #[test]
    fn amount_ceilings_are_validated() {
        let c = parse("[limits]\nmax_tender = \"500.00\"\n").unwrap();
        assert_eq!(
            LimitsConfig::minor(&c.limits.max_tender, c.store.currency),
            50_000
        );
        for bad in ["0", "-5", "abc", "100000000000"] {
            let err = parse(&format!("[limits]\nmax_cash = \"{bad}\"\n")).unwrap_err();
            assert_eq!(key_of(err), "limits.max_cash", "{bad}");
        }
    }

    #[test]
    fn the_store_language_is_zh_or_en() {
        assert_eq!(Config::default().store.language, Language::Zh);
        let c = parse("[store]\nlanguage = \"en\"\n").unwrap();
        assert_eq!(c.store.language, Language::En);
        assert_eq!(parse(&c.to_toml()).unwrap(), c);
        for bad in ["de", "EN", "english", ""] {
            let err = parse(&format!("[store]\nlanguage = \"{bad}\"\n")).unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains("`zh`") && message.contains("`en`"),
                "{message}"
            );
            assert_eq!(key_of(err), "store.language", "{bad}");
        }
        assert_eq!(
            key_of(parse("[store]\nlanguage = 1\n").unwrap_err()),
            "store.language"
        );
    }

    #[test]
    fn the_store_tax_rates_are_validated() {
        assert_eq!(
            Config::default().store.tax_rates,
            crate::domain::tax::TaxRates::parse(&["13", "9", "6", "0", "3"]).unwrap()
        );
        let c = parse("[store]\ntax_rates = [\"7\", \"19%\", \"0\"]\n").unwrap();
        assert_eq!(c.store.tax_rates.to_string(), "7%, 19%, 0%");
        let text = c.to_toml();
        assert!(text.contains(r#""19","#) && !text.contains('%'), "{text}");
        assert_eq!(parse(&c.to_toml()).unwrap(), c);
        for bad in [
            "[]",
            "[\"13\", \"13\"]",
            "[\"13\", \"0.13\"]",
            "[\"130\"]",
            "[\"thirteen\"]",
            "\"13\"",
        ] {
            let err = parse(&format!("[store]\ntax_rates = {bad}\n")).unwrap_err();
            assert!(key_of(err).starts_with("store.tax_rates"), "{bad}");
        }
        let err = parse("[store]\ntax_rates = [\"13\", \"0.13\"]\n").unwrap_err();
        assert!(err.to_string().contains("ambiguous"), "{err}");
    }

    #[test]
    fn corrupt_files_are_reported_as_syntax_errors() {
        let err = parse("[store\nid = ").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
        assert!(err.to_string().contains("test.toml"));
    }
}
