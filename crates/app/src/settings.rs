//! Layered configuration: the compiled-in `config/default.toml`, the files under `config/`,
//! then `APP__SECTION__KEY` environment variables. Production refuses unsafe settings.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use config::{Config, Environment as EnvSource, File, FileFormat, Map, Value};
use serde::{Deserialize, Deserializer};

/// The defaults, compiled in so that the binaries run from any directory.
const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// The JWT secret of `default.toml`, which production refuses.
pub const DEVELOPMENT_JWT_SECRET: &str = "agora-development-secret-do-not-use-in-production";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

impl AppEnv {
    fn parse(raw: &str) -> Result<Self, SettingsError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "development" | "dev" => Ok(AppEnv::Development),
            "test" => Ok(AppEnv::Test),
            "production" | "prod" => Ok(AppEnv::Production),
            other => {
                Err(SettingsError::Invalid(format!("APP_ENV must be development, test or production, not {other:?}")))
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AppEnv::Development => "development",
            AppEnv::Test => "test",
            AppEnv::Production => "production",
        }
    }
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(empty)" } else { "Secret(..)" })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(skip, default = "default_env")]
    pub env: AppEnv,
    /// Where the settings came from, in order: the built-in defaults, then each file read.
    #[serde(skip)]
    pub sources: Vec<String>,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub amqp: AmqpSettings,
    pub storage: StorageSettings,
    pub mail: MailSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub views: ViewSettings,
    pub posts: PostSettings,
    pub upload: UploadSettings,
    pub log: LogSettings,
    pub ai: AiSettings,
    pub chat: ChatSettings,
}

fn default_env() -> AppEnv {
    AppEnv::Development
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    #[serde(deserialize_with = "comma_list")]
    pub trusted_proxies: Vec<String>,
    #[serde(deserialize_with = "comma_list")]
    pub cors_origins: Vec<String>,
    #[serde(deserialize_with = "comma_list")]
    pub metrics_allow: Vec<String>,
    pub body_limit_bytes: usize,
    pub secure_cookies: bool,
}

impl ServerSettings {
    /// The trusted proxies as addresses; a malformed entry is a configuration error.
    pub fn trusted_proxy_ips(&self) -> Result<Vec<IpAddr>, SettingsError> {
        ips("server.trusted_proxies", &self.trusted_proxies)
    }

    /// The clients allowed to read `/metrics` (empty: everyone).
    pub fn metrics_allow_ips(&self) -> Result<Vec<IpAddr>, SettingsError> {
        ips("server.metrics_allow", &self.metrics_allow)
    }
}

fn ips(key: &str, raw: &[String]) -> Result<Vec<IpAddr>, SettingsError> {
    raw.iter()
        .map(|raw| raw.parse().map_err(|_| SettingsError::Invalid(format!("{key}: {raw:?} is not an IP address"))))
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub migrate_on_start: bool,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
    pub allow_sqlite_in_production: bool,
}

impl DatabaseSettings {
    pub fn is_sqlite(&self) -> bool {
        self.url.expose().starts_with("sqlite:")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpSettings {
    pub url: Secret,
}

impl AmqpSettings {
    /// The broker URL, or `None` for the in-process queue and bus.
    pub fn url(&self) -> Option<&str> {
        Some(self.url.expose().trim()).filter(|u| !u.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    Log,
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub dir: PathBuf,
    pub from: String,
    pub link_base: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: String,
    pub smtp_password: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: Secret,
    /// A file holding the JWT secret (container secrets); when set, it replaces
    /// `jwt_secret`. Surrounding whitespace and the final newline are not part of it.
    pub jwt_secret_file: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub session_max_age_secs: i64,
    pub reset_ttl_secs: i64,
    pub bcrypt_cost: u32,
    pub hash_concurrency: usize,
    pub access_cache_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub auth_per_minute: u32,
    /// Failed logins of one account within 15 minutes after which its logins wait 15
    /// minutes, from every address; 0 = off.
    pub account_failures: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewSettings {
    pub flush_interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostSettings {
    /// How long a post read (all but the reader's like and the unflushed views) may be
    /// reused; at most 1000, 0 disables.
    pub read_cache_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadSettings {
    pub max_file_bytes: u64,
    pub max_files: u32,
}

/// AI jobs: the queue, the workers, and the limits of uploaded datasets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiSettings {
    pub queue: String,
    pub queue_expiry_secs: u64,
    pub concurrency: u16,
    pub max_attempts: u32,
    pub retry_delay_ms: u64,
    pub publish_timeout_ms: u64,
    pub shutdown_grace_secs: u64,
    pub app_consumes_jobs: bool,
    pub model_cache_size: usize,
    pub training_seed: u64,
    pub dataset_max_bytes: usize,
    pub dataset_max_rows: usize,
    pub dataset_max_columns: usize,
    pub metrics_interval_secs: u64,
    pub simulated_job_delay_ms: u64,
}

impl AiSettings {
    /// The longest job queue name: RabbitMQ names end at 255 bytes, and suffixes are added.
    pub const MAX_QUEUE_NAME: usize = 200;

    fn validate(&self) -> Result<(), SettingsError> {
        let queue = &self.queue;
        if queue.is_empty()
            || queue.len() > Self::MAX_QUEUE_NAME
            || !queue.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
            || queue.starts_with("amq.")
        {
            return Err(SettingsError::Invalid(format!(
                "ai.queue must be 1..{} characters of letters, digits, '.', '_', '-' or ':', not starting \
                 with \"amq.\"; got {queue:?}",
                Self::MAX_QUEUE_NAME
            )));
        }
        for (name, value) in [
            ("ai.concurrency", u64::from(self.concurrency)),
            ("ai.max_attempts", u64::from(self.max_attempts)),
            ("ai.publish_timeout_ms", self.publish_timeout_ms),
            ("ai.metrics_interval_secs", self.metrics_interval_secs),
            ("ai.dataset_max_bytes", self.dataset_max_bytes as u64),
            ("ai.dataset_max_rows", self.dataset_max_rows as u64),
            ("ai.dataset_max_columns", self.dataset_max_columns as u64),
        ] {
            if value == 0 {
                return Err(SettingsError::Invalid(format!("{name} must be positive")));
            }
        }
        Ok(())
    }
}

/// Chat sessions and their WebSockets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    /// Seconds a WebSocket ticket stays valid.
    pub ticket_ttl_secs: i64,
    /// Most users a session lists besides its creator.
    pub max_members: usize,
    /// A socket silent this long is pinged, in milliseconds.
    pub ping_interval_ms: u64,
    /// A pinged socket that sends nothing for this long is dropped, in milliseconds.
    pub pong_timeout_ms: u64,
    /// A client that does not take a frame within this time is dropped, in milliseconds.
    pub send_timeout_ms: u64,
    /// Events a socket may fall behind its session before it is dropped.
    pub socket_queue: usize,
    /// Messages a socket may post per second on average (0 = no limit), and in a burst.
    pub messages_per_second: u32,
    pub message_burst: u32,
    /// How often the accounts behind open sockets are re-checked, in milliseconds.
    pub recheck_interval_ms: u64,
    /// Prefix of the chat bus's RabbitMQ routing keys: instances share rooms within it.
    pub bus_namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

impl LogSettings {
    /// A filter that does not parse is refused rather than quietly replaced by `info`.
    fn validate(&self) -> Result<(), SettingsError> {
        crate::telemetry::parse_filter(&self.level)
            .map(drop)
            .map_err(|reason| SettingsError::Invalid(format!("log.level {:?}: {reason}", self.level)))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration could not be read: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error("unknown setting: {0} (config/default.toml lists every setting)")]
    Unknown(String),
    #[error("refusing to start in production: {0}")]
    Unsafe(String),
}

/// Accepts a TOML array or a comma-separated string (as environment variables give).
fn comma_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    let items = match Raw::deserialize(deserializer)? {
        Raw::List(items) => items,
        Raw::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

/// Every setting, as `section.key`: the leaves of the built-in defaults, which name them all
/// (the structs above refuse any other field, so the two cannot drift apart).
fn known_keys() -> Result<BTreeSet<String>, SettingsError> {
    leaf_keys(Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml)).build()?)
}

fn leaf_keys(config: Config) -> Result<BTreeSet<String>, SettingsError> {
    fn walk(prefix: &str, table: Map<String, Value>, keys: &mut BTreeSet<String>) {
        for (name, value) in table {
            let key = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
            match value.clone().into_table() {
                Ok(inner) => walk(&key, inner, keys),
                Err(_) => {
                    keys.insert(key);
                }
            }
        }
    }
    let mut keys = BTreeSet::new();
    walk("", config.try_deserialize::<Map<String, Value>>()?, &mut keys);
    Ok(keys)
}

/// `server.port` as its environment variable, `APP__SERVER__PORT`.
fn env_name(key: &str) -> String {
    format!("APP__{}", key.replace('.', "__").to_ascii_uppercase())
}

/// The known key nearest to `key` by edit distance, when it is near enough to be the one meant.
fn closest<'a>(key: &str, known: &'a BTreeSet<String>) -> Option<&'a String> {
    let (distance, best) = known.iter().map(|k| (edit_distance(key, k), k)).min_by_key(|(d, _)| *d)?;
    (distance <= key.len().div_ceil(2).max(1)).then_some(best)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

impl Settings {
    /// Reads the configuration of this process: `APP_ENV`, the files under `config/` (or
    /// `APP_CONFIG_DIR`) and the `APP__…` environment variables.
    pub fn load() -> Result<Self, SettingsError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let dir = vars.get("APP_CONFIG_DIR").map_or_else(|| PathBuf::from("config"), PathBuf::from);
        Self::load_from(&vars, &dir)
    }

    /// Reads the configuration from the given variables and configuration directory.
    /// Refuses unknown keys, in `APP__…` variables and in files, naming the closest known one.
    pub fn load_from(vars: &HashMap<String, String>, config_dir: &Path) -> Result<Self, SettingsError> {
        let env = AppEnv::parse(vars.get("APP_ENV").map_or("", String::as_str))?;
        let known = known_keys()?;
        let app_vars: HashMap<String, String> =
            vars.iter().filter(|(k, _)| k.starts_with("APP__")).map(|(k, v)| (k.clone(), v.clone())).collect();
        let mut names: Vec<&String> = app_vars.keys().collect();
        names.sort();
        for name in names {
            let key = name["APP__".len()..].to_ascii_lowercase().replace("__", ".");
            if !known.contains(&key) {
                let hint =
                    closest(&key, &known).map(|k| format!("; did you mean {}?", env_name(k))).unwrap_or_default();
                return Err(SettingsError::Unknown(format!("{name} is not a setting{hint}")));
            }
        }
        let mut sources = vec!["built-in defaults".to_owned()];
        let mut builder = Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        for path in [config_dir.join("default.toml"), config_dir.join(format!("{}.toml", env.as_str()))] {
            if !path.is_file() {
                continue;
            }
            let file = || File::from(path.as_path()).format(FileFormat::Toml);
            let keys = leaf_keys(Config::builder().add_source(file()).build()?)?;
            if let Some(key) = keys.iter().find(|k| !known.contains(*k)) {
                let hint = closest(key, &known).map(|k| format!("; did you mean {k}?")).unwrap_or_default();
                return Err(SettingsError::Unknown(format!(
                    "{} sets {key}, which is not a setting{hint}",
                    path.display()
                )));
            }
            sources.push(path.display().to_string());
            builder = builder.add_source(file());
        }
        let config = builder
            .add_source(
                EnvSource::with_prefix("APP")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(app_vars.into_iter().collect())),
            )
            .build()?;
        let mut settings: Settings = config.try_deserialize()?;
        settings.env = env;
        settings.sources = sources;
        settings.auth.read_secret_file()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate_chat(&self) -> Result<(), SettingsError> {
        let chat = &self.chat;
        if chat.ticket_ttl_secs <= 0 {
            return Err(SettingsError::Invalid("chat.ticket_ttl_secs must be positive".to_owned()));
        }
        for (name, value) in [
            ("chat.ping_interval_ms", chat.ping_interval_ms),
            ("chat.pong_timeout_ms", chat.pong_timeout_ms),
            ("chat.send_timeout_ms", chat.send_timeout_ms),
            ("chat.recheck_interval_ms", chat.recheck_interval_ms),
        ] {
            if value == 0 {
                return Err(SettingsError::Invalid(format!("{name} must be positive")));
            }
        }
        if !(1..=65_536).contains(&chat.socket_queue) {
            return Err(SettingsError::Invalid(format!(
                "chat.socket_queue must be between 1 and 65536, got {}",
                chat.socket_queue
            )));
        }
        if !messaging::chat::rabbitmq::valid_namespace(&chat.bus_namespace) {
            return Err(SettingsError::Invalid(format!(
                "chat.bus_namespace must be 1..64 letters, digits, '_' or '-', got {:?}",
                chat.bus_namespace
            )));
        }
        if chat.message_burst == 0 {
            return Err(SettingsError::Invalid("chat.message_burst must be at least 1".to_owned()));
        }
        Ok(())
    }

    /// Checks ranges, and refuses unsafe production settings, saying why.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.server.trusted_proxy_ips()?;
        self.server.metrics_allow_ips()?;
        if !(4..=31).contains(&self.auth.bcrypt_cost) {
            return Err(SettingsError::Invalid(format!(
                "auth.bcrypt_cost must be between 4 and 31, got {}",
                self.auth.bcrypt_cost
            )));
        }
        for (name, value) in [
            ("auth.access_ttl_secs", self.auth.access_ttl_secs),
            ("auth.refresh_ttl_secs", self.auth.refresh_ttl_secs),
            ("auth.session_max_age_secs", self.auth.session_max_age_secs),
            ("auth.reset_ttl_secs", self.auth.reset_ttl_secs),
        ] {
            if value <= 0 {
                return Err(SettingsError::Invalid(format!("{name} must be positive, got {value}")));
            }
        }
        if self.auth.access_cache_ms > 1000 {
            return Err(SettingsError::Invalid(format!(
                "auth.access_cache_ms must be at most 1000 (revocations must bite within a second), got {}",
                self.auth.access_cache_ms
            )));
        }
        if self.posts.read_cache_ms > 1000 {
            return Err(SettingsError::Invalid(format!(
                "posts.read_cache_ms must be at most 1000 (changes on other instances must show within a second), got {}",
                self.posts.read_cache_ms
            )));
        }
        if self.views.flush_interval_ms == 0 {
            return Err(SettingsError::Invalid("views.flush_interval_ms must be positive".to_owned()));
        }
        if self.upload.max_file_bytes == 0 || self.upload.max_files == 0 {
            return Err(SettingsError::Invalid("upload limits must be positive".to_owned()));
        }
        self.ai.validate()?;
        self.validate_chat()?;
        self.log.validate()?;
        if self.env == AppEnv::Production {
            let secret = self.auth.jwt_secret.expose();
            if secret == DEVELOPMENT_JWT_SECRET {
                return Err(SettingsError::Unsafe(
                    "APP__AUTH__JWT_SECRET is the development secret; set a random secret of at least 32 bytes"
                        .to_owned(),
                ));
            }
            if secret.len() < 32 {
                return Err(SettingsError::Unsafe(format!(
                    "APP__AUTH__JWT_SECRET is {} bytes long; it must be at least 32",
                    secret.len()
                )));
            }
            let lowered = secret.to_ascii_lowercase();
            if let Some(word) = PLACEHOLDER_WORDS.iter().find(|word| lowered.contains(*word)) {
                return Err(SettingsError::Unsafe(format!(
                    "APP__AUTH__JWT_SECRET looks like a placeholder (it contains {word:?}); set a random secret"
                )));
            }
            let bits = estimated_entropy_bits(secret);
            if bits < MIN_SECRET_ENTROPY_BITS {
                return Err(SettingsError::Unsafe(format!(
                    "APP__AUTH__JWT_SECRET is too predictable (about {bits:.0} bits; at least \
                     {MIN_SECRET_ENTROPY_BITS:.0} needed): use e.g. `openssl rand -base64 48`"
                )));
            }
            if self.database.is_sqlite() && !self.database.allow_sqlite_in_production {
                return Err(SettingsError::Unsafe(
                    "the database is SQLite; use PostgreSQL or MySQL, or set \
                     APP__DATABASE__ALLOW_SQLITE_IN_PRODUCTION=true"
                        .to_owned(),
                ));
            }
            if self.mail.transport == MailTransport::Log {
                return Err(SettingsError::Unsafe(
                    "APP__MAIL__TRANSPORT is log, which writes password-reset tokens into the log; use smtp \
                     (or file)"
                        .to_owned(),
                ));
            }
        }
        Ok(())
    }
}

/// Words of the secrets this repository ships as examples (`docker/.env.example`,
/// `config/*.toml`): a secret that holds one was copied, not generated.
const PLACEHOLDER_WORDS: [&str; 6] = ["change-me", "changeme", "placeholder", "example", "do-not-use", "your-secret"];

/// Production's floor for the JWT secret, by [`estimated_entropy_bits`]: 32 random hex
/// digits give about 118, 32 random base64 characters about 150.
const MIN_SECRET_ENTROPY_BITS: f64 = 100.0;

/// The secret's length times the Shannon entropy of its characters: a cheap upper bound of
/// its unpredictability that repeated or few distinct characters bring down.
fn estimated_entropy_bits(secret: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in secret.chars() {
        *counts.entry(c).or_insert(0) += 1;
    }
    let total = secret.chars().count() as f64;
    let per_char: f64 = counts.values().map(|&n| n as f64 / total).map(|p| -p * p.log2()).sum();
    per_char * total
}

impl AuthSettings {
    /// Reads the secret from `jwt_secret_file` when that is set.
    fn read_secret_file(&mut self) -> Result<(), SettingsError> {
        let path = self.jwt_secret_file.trim();
        if path.is_empty() {
            return Ok(());
        }
        let secret = std::fs::read_to_string(path)
            .map_err(|err| SettingsError::Invalid(format!("APP__AUTH__JWT_SECRET_FILE {path}: {err}")))?;
        self.jwt_secret = Secret::new(secret.trim());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::load_from(&vars, Path::new("/nonexistent-config-dir"))
    }

    #[test]
    fn defaults_match_the_documented_values() {
        let settings = load(&[]).unwrap();
        assert_eq!(settings.env, AppEnv::Development);
        assert_eq!((settings.server.host.as_str(), settings.server.port), ("127.0.0.1", 8080));
        assert!(settings.database.is_sqlite());
        assert_eq!(settings.amqp.url(), None);
        assert_eq!(settings.storage.dir, PathBuf::from("data/files"));
        assert_eq!(settings.mail.transport, MailTransport::Log);
        assert_eq!(settings.auth.access_ttl_secs, 900);
        assert_eq!(settings.auth.refresh_ttl_secs, 1_209_600);
        assert_eq!(settings.auth.bcrypt_cost, 12);
        assert_eq!(settings.rate_limit.auth_per_minute, 20);
        assert_eq!(settings.rate_limit.account_failures, 10);
        assert_eq!(settings.views.flush_interval_ms, 5000);
        assert_eq!(settings.posts.read_cache_ms, 1000);
        assert_eq!((settings.upload.max_file_bytes, settings.upload.max_files), (10_485_760, 10));
        assert!(settings.server.trusted_proxies.is_empty());
        assert_eq!((settings.chat.ticket_ttl_secs, settings.chat.socket_queue), (60, 256));
        assert_eq!((settings.chat.messages_per_second, settings.chat.message_burst), (0, 20));
    }

    #[test]
    fn chat_settings_come_from_the_environment_and_are_checked() {
        let settings =
            load(&[("APP__CHAT__PING_INTERVAL_MS", "250"), ("APP__CHAT__MESSAGES_PER_SECOND", "0")]).unwrap();
        assert_eq!(settings.chat.ping_interval_ms, 250);
        assert_eq!(settings.chat.messages_per_second, 0);
        assert!(load(&[("APP__CHAT__PING_INTERVAL_MS", "0")]).is_err());
        assert!(load(&[("APP__CHAT__SOCKET_QUEUE", "0")]).is_err());
        assert!(load(&[("APP__CHAT__TICKET_TTL_SECS", "-1")]).is_err());
        assert!(load(&[("APP__CHAT__MESSAGE_BURST", "0")]).is_err());
        assert!(load(&[("APP__CHAT__BUS_NAMESPACE", "a.b")]).is_err());
        assert_eq!(load(&[]).unwrap().chat.bus_namespace, "agora");
    }

    #[test]
    fn the_post_read_cache_may_be_disabled_but_not_kept_past_a_second() {
        assert_eq!(load(&[("APP__POSTS__READ_CACHE_MS", "0")]).unwrap().posts.read_cache_ms, 0);
        let err = load(&[("APP__POSTS__READ_CACHE_MS", "1001")]).unwrap_err();
        assert!(err.to_string().contains("posts.read_cache_ms"), "{err}");
    }

    #[test]
    fn environment_variables_override_files() {
        let settings = load(&[
            ("APP__SERVER__PORT", "0"),
            ("APP__AMQP__URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
            ("APP__SERVER__TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2"),
            ("APP__SERVER__CORS_ORIGINS", "https://app.example.com"),
            ("APP__AUTH__BCRYPT_COST", "4"),
            ("APP__MAIL__TRANSPORT", "file"),
        ])
        .unwrap();
        assert_eq!(settings.server.port, 0);
        assert_eq!(settings.amqp.url(), Some("amqp://guest:guest@127.0.0.1:5672/%2f"));
        assert_eq!(settings.server.trusted_proxies, ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(settings.server.cors_origins, ["https://app.example.com"]);
        assert_eq!(settings.auth.bcrypt_cost, 4);
        assert_eq!(settings.mail.transport, MailTransport::File);
    }

    #[test]
    fn production_refuses_the_development_secret_a_short_secret_and_sqlite() {
        let err = load(&[("APP_ENV", "production")]).unwrap_err();
        assert!(err.to_string().contains("development secret"), "{err}");

        let err = load(&[("APP_ENV", "production"), ("APP__AUTH__JWT_SECRET", "short")]).unwrap_err();
        assert!(err.to_string().contains("at least 32"), "{err}");

        let strong = "0123456789abcdef0123456789abcdef-strong";
        let err = load(&[("APP_ENV", "production"), ("APP__AUTH__JWT_SECRET", strong)]).unwrap_err();
        assert!(err.to_string().contains("SQLite"), "{err}");

        let ok = load(&[
            ("APP_ENV", "production"),
            ("APP__AUTH__JWT_SECRET", strong),
            ("APP__DATABASE__ALLOW_SQLITE_IN_PRODUCTION", "true"),
            ("APP__MAIL__TRANSPORT", "smtp"),
        ]);
        assert!(ok.is_ok(), "{ok:?}");
        let ok = load(&[
            ("APP_ENV", "production"),
            ("APP__AUTH__JWT_SECRET", strong),
            ("APP__DATABASE__URL", "postgres://agora@db/agora"),
            ("APP__MAIL__TRANSPORT", "file"),
        ]);
        assert!(ok.is_ok(), "{ok:?}");
    }

    fn production(secret: &str, transport: &str) -> Result<Settings, SettingsError> {
        load(&[
            ("APP_ENV", "production"),
            ("APP__AUTH__JWT_SECRET", secret),
            ("APP__DATABASE__URL", "postgres://agora@db/agora"),
            ("APP__MAIL__TRANSPORT", transport),
        ])
    }

    #[test]
    fn production_refuses_shipped_placeholders_and_predictable_secrets() {
        let strong = "Zq3v9LkP0sXw7Yt2Rb8Nm4Hc6Jd1Gf5Ae0Ui";
        assert!(production(strong, "smtp").is_ok());
        let env_example =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docker/.env.example")).unwrap();
        let shipped = env_example.lines().find_map(|l| l.strip_prefix("JWT_SECRET=")).unwrap();
        for secret in [
            shipped,
            "CHANGEME-CHANGEME-CHANGEME-CHANGEME-1",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "passwordpasswordpasswordpassword",
        ] {
            let err = production(secret, "smtp").unwrap_err();
            assert!(matches!(err, SettingsError::Unsafe(_)), "{secret}: {err}");
        }
    }

    #[test]
    fn production_refuses_the_log_mail_transport_which_would_log_reset_tokens() {
        let err = production("Zq3v9LkP0sXw7Yt2Rb8Nm4Hc6Jd1Gf5Ae0Ui", "log").unwrap_err();
        assert!(err.to_string().contains("APP__MAIL__TRANSPORT"), "{err}");
    }

    #[test]
    fn the_jwt_secret_may_come_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwt");
        std::fs::write(&path, "Zq3v9LkP0sXw7Yt2Rb8Nm4Hc6Jd1Gf5Ae0Ui\n").unwrap();
        let file = path.to_str().unwrap();
        let settings = load(&[("APP__AUTH__JWT_SECRET_FILE", file)]).unwrap();
        assert_eq!(settings.auth.jwt_secret.expose(), "Zq3v9LkP0sXw7Yt2Rb8Nm4Hc6Jd1Gf5Ae0Ui");
        let err = load(&[("APP__AUTH__JWT_SECRET_FILE", "/nonexistent/jwt")]).unwrap_err();
        assert!(err.to_string().contains("APP__AUTH__JWT_SECRET_FILE"), "{err}");
    }

    #[test]
    fn bad_values_are_reported() {
        assert!(load(&[("APP_ENV", "staging")]).is_err());
        assert!(load(&[("APP__SERVER__TRUSTED_PROXIES", "not-an-ip")]).is_err());
        assert!(load(&[("APP__AUTH__BCRYPT_COST", "40")]).is_err());
        assert!(load(&[("APP__SERVER__PORT", "http")]).is_err());
    }

    #[test]
    fn ai_defaults_and_limits() {
        let settings = load(&[]).unwrap();
        assert_eq!(settings.ai.queue, "agora.ai.jobs");
        assert_eq!((settings.ai.concurrency, settings.ai.max_attempts), (2, 3));
        assert!(!settings.ai.app_consumes_jobs);
        assert_eq!(settings.ai.simulated_job_delay_ms, 0);
        let settings = load(&[("APP__AI__QUEUE", "test.jobs-1"), ("APP__AI__APP_CONSUMES_JOBS", "true")]).unwrap();
        assert_eq!(settings.ai.queue, "test.jobs-1");
        assert!(settings.ai.app_consumes_jobs);
        for (key, value) in [
            ("APP__AI__QUEUE", ""),
            ("APP__AI__QUEUE", "amq.jobs"),
            ("APP__AI__QUEUE", "jobs with spaces"),
            ("APP__AI__CONCURRENCY", "0"),
            ("APP__AI__MAX_ATTEMPTS", "0"),
            ("APP__AI__DATASET_MAX_ROWS", "0"),
        ] {
            let err = load(&[(key, value)]).unwrap_err();
            assert!(err.to_string().contains("ai."), "{key}={value}: {err}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let settings = load(&[("APP__DATABASE__URL", "postgres://u:hunter2@db/agora")]).unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains(DEVELOPMENT_JWT_SECRET));
    }

    fn load_with_files(files: &[(&str, &str)], vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::load_from(&vars, dir.path())
    }

    #[test]
    fn an_unknown_environment_variable_is_refused_with_the_closest_setting() {
        let err = load(&[("APP__SERVER__PROT", "9999")]).unwrap_err().to_string();
        assert!(err.contains("APP__SERVER__PROT is not a setting"), "{err}");
        assert!(err.contains("did you mean APP__SERVER__PORT?"), "{err}");

        let err = load(&[("APP__SERVR__HOST", "0.0.0.0")]).unwrap_err().to_string();
        assert!(err.contains("did you mean APP__SERVER__HOST?"), "{err}");
        let err = load(&[("APP__LOG", "debug")]).unwrap_err().to_string();
        assert!(err.contains("APP__LOG is not a setting"), "{err}");
        // Nothing near: no suggestion rather than a wrong one.
        let err = load(&[("APP__XYZZY__PLUGH_QUUX", "1")]).unwrap_err().to_string();
        assert!(!err.contains("did you mean"), "{err}");
        // Other variables are not ours to judge.
        assert!(load(&[("APP_SERVER_PROT", "1"), ("HOME", "/root"), ("RUST_LOG", "info")]).is_ok());
    }

    #[test]
    fn an_unknown_key_in_a_file_is_refused_naming_the_file_and_the_closest_setting() {
        let err = load_with_files(&[("development.toml", "[server]\nprot = 9999\n")], &[]).unwrap_err().to_string();
        assert!(err.contains("development.toml sets server.prot, which is not a setting"), "{err}");
        assert!(err.contains("did you mean server.port?"), "{err}");
        let err = load_with_files(&[("default.toml", "[databse]\nurl = \"sqlite::memory:\"\n")], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean database.url?"), "{err}");
        // The file of another environment is not read.
        assert!(load_with_files(&[("production.toml", "[server]\nprot = 1\n")], &[]).is_ok());
    }

    #[test]
    fn every_key_of_the_defaults_is_a_setting_and_every_setting_has_a_default() {
        // The structs refuse unknown fields and require every field, so loading the bare
        // defaults proves the two lists equal; unknown-key checks rely on it.
        let known = known_keys().unwrap();
        assert!(known.contains("server.port") && known.contains("chat.bus_namespace"));
        assert!(known.len() > 60, "{}", known.len());
        assert!(load(&[]).is_ok());
    }

    #[test]
    fn the_shipped_config_files_name_only_settings() {
        let known = known_keys().unwrap();
        for file in ["default.toml", "development.toml", "test.toml", "production.example.toml"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config").join(file);
            let config = Config::builder().add_source(File::from(path.as_path()).format(FileFormat::Toml)).build();
            let unknown: Vec<String> = leaf_keys(config.unwrap()).unwrap().difference(&known).cloned().collect();
            assert!(unknown.is_empty(), "{file}: {unknown:?}");
        }
    }

    #[test]
    fn the_files_read_are_recorded_in_order() {
        let settings = load_with_files(
            &[("default.toml", "[server]\nport = 1\n"), ("test.toml", "[server]\nport = 2\n")],
            &[("APP_ENV", "test")],
        )
        .unwrap();
        assert_eq!(settings.server.port, 2);
        assert_eq!(settings.sources.len(), 3);
        assert_eq!(settings.sources[0], "built-in defaults");
        assert!(settings.sources[1].ends_with("default.toml") && settings.sources[2].ends_with("test.toml"));
        assert_eq!(load(&[]).unwrap().sources, ["built-in defaults"]);
    }

    #[test]
    fn a_broken_log_filter_is_refused_saying_why() {
        let err = load(&[("APP__LOG__LEVEL", "info,sqlx=warnn")]).unwrap_err().to_string();
        assert!(err.contains("log.level \"info,sqlx=warnn\""), "{err}");
        assert!(err.contains("not a valid log filter"), "{err}");
        assert_eq!(load(&[("APP__LOG__LEVEL", "agora=debug")]).unwrap().log.level, "agora=debug");
    }

    #[test]
    fn json_logs_are_a_format() {
        assert_eq!(load(&[("APP__LOG__FORMAT", "json")]).unwrap().log.format, LogFormat::Json);
        assert!(load(&[("APP__LOG__FORMAT", "yaml")]).is_err());
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("server.prot", "server.port"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("port", "port"), 0);
        assert_eq!(edit_distance("servr", "server"), 1);
    }
}
