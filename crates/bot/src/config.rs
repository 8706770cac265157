//! Configuration: defaults, then `--config FILE` (or `./bot-config.toml` when present), then
//! environment variables `AMBASSADOR_BOT__SECTION__KEY`. `bot-config.example.toml` documents every key.

use ambassador_core::{Account, Settings};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

pub const ENV_PREFIX: &str = "AMBASSADOR_BOT";
pub const DEFAULT_FILE: &str = "bot-config.toml";

/// A secret value: never printed by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_empty() {
            "<empty>"
        } else {
            "<redacted>"
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub database: DatabaseConfig,
    pub program: ProgramConfig,
    pub checkins: CheckinsConfig,
    pub digest: DigestConfig,
    pub scheduler: SchedulerConfig,
    pub outbox: OutboxConfig,
    pub announcements: AnnouncementsConfig,
    pub reports: ReportsConfig,
    pub lifecycle: LifecycleConfig,
    pub console: ConsoleConfig,
    pub slack: SlackConfig,
    pub matrix: MatrixConfig,
    pub http: HttpConfig,
    pub log: LogConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    pub url: String,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://ambassador-bot.db".into(),
            max_connections: 5,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgramConfig {
    pub office: Vec<String>,
    pub time_zone: String,
    pub kudos_daily_limit: u32,
    pub kudos_min_reason_words: u32,
    pub kudos_max_people: u32,
    pub thin_headcount_per_ambassador: u32,
    pub many_ambassadors_per_region: u32,
    pub max_text_chars: usize,
}

impl Default for ProgramConfig {
    fn default() -> Self {
        let s = Settings::default();
        ProgramConfig {
            office: s.office.iter().map(Account::to_string).collect(),
            time_zone: s.time_zone.name().into(),
            kudos_daily_limit: s.kudos_daily_limit,
            kudos_min_reason_words: s.kudos_min_reason_words,
            kudos_max_people: s.kudos_max_people,
            thin_headcount_per_ambassador: s.thin_headcount_per_ambassador,
            many_ambassadors_per_region: s.many_ambassadors_per_region,
            max_text_chars: s.max_text_chars,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckinsConfig {
    pub schedule: String,
    pub every_weeks: u32,
    pub questions: Vec<String>,
    pub remind_after: String,
    pub close_after: String,
    pub silent_rounds: u32,
}

fn duration_text(d: chrono::Duration) -> String {
    humantime::format_duration(d.to_std().unwrap_or_default()).to_string()
}

impl Default for CheckinsConfig {
    fn default() -> Self {
        let c = ambassador_core::CheckinSettings::default();
        CheckinsConfig {
            schedule: c.schedule.text.clone(),
            every_weeks: c.every_weeks,
            questions: c.questions.clone(),
            remind_after: duration_text(c.remind_after),
            close_after: duration_text(c.close_after),
            silent_rounds: c.silent_rounds,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DigestConfig {
    pub schedule: String,
    pub channels: Vec<String>,
    pub empty_week: String,
}

impl Default for DigestConfig {
    fn default() -> Self {
        let d = ambassador_core::DigestSettings::default();
        DigestConfig {
            schedule: d.schedule.text.clone(),
            channels: d.channels.iter().map(ToString::to_string).collect(),
            empty_week: "short".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchedulerConfig {
    pub grace: String,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            grace: duration_text(Settings::default().grace),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutboxConfig {
    pub max_attempts: u32,
    pub base_backoff: String,
    pub max_backoff: String,
    pub lease: String,
    pub batch: u32,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        let d = ambassador_core::DispatchSettings::default();
        OutboxConfig {
            max_attempts: d.max_attempts,
            base_backoff: duration_text(d.base_backoff),
            max_backoff: duration_text(d.max_backoff),
            lease: duration_text(d.lease),
            batch: d.batch,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnnouncementsConfig {
    pub remind_after: String,
}

impl Default for AnnouncementsConfig {
    fn default() -> Self {
        AnnouncementsConfig {
            remind_after: duration_text(Settings::default().announce_remind_after),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportsConfig {
    pub quarterly_schedule: String,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            quarterly_schedule: Settings::default().quarterly_report.text.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LifecycleConfig {
    pub schedule: String,
    pub nudge_after: String,
    pub ask_office_after: String,
    pub suggest_alumni_after: String,
    pub renewal_grace: String,
    pub training_links: Vec<String>,
    pub ambassadors_channel: String,
    pub expectations: Vec<String>,
    pub copy_kudos_to_manager: bool,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        let l = ambassador_core::LifecycleSettings::default();
        LifecycleConfig {
            schedule: l.schedule.text.clone(),
            nudge_after: duration_text(l.nudge_after),
            ask_office_after: duration_text(l.ask_office_after),
            suggest_alumni_after: duration_text(l.suggest_alumni_after),
            renewal_grace: duration_text(l.renewal_grace),
            training_links: l.training_links,
            ambassadors_channel: l.ambassadors_channel.unwrap_or_default(),
            expectations: l.expectations,
            copy_kudos_to_manager: l.copy_kudos_to_manager,
        }
    }
}

/// A duration written like `2d`, `6h`, `90s`, `1h 30m`.
pub fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    humantime::parse_duration(text.trim())
        .ok()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .ok_or_else(|| format!("`{text}` is not a duration: write e.g. 2d, 6h, 30m or 1h 30m"))
}

/// The allowed range of every duration setting, both ends included, as written in messages and
/// in `bot-config.example.toml`. Ten years at most anywhere: a configured duration is added to
/// and subtracted from today's date, which stays far from the calendar's end.
pub const DURATION_RANGES: &[(&str, &str, &str)] = &[
    ("checkins.remind_after", "1m", "90days"),
    ("checkins.close_after", "1m", "90days"),
    ("scheduler.grace", "0s", "30days"),
    ("announcements.remind_after", "1m", "365days"),
    ("lifecycle.nudge_after", "1day", "3653days"),
    ("lifecycle.ask_office_after", "1day", "3653days"),
    ("lifecycle.suggest_alumni_after", "1day", "3653days"),
    ("lifecycle.renewal_grace", "0s", "365days"),
    ("outbox.base_backoff", "1s", "1day"),
    ("outbox.max_backoff", "1s", "7days"),
    ("outbox.lease", "1s", "1day"),
];

/// The allowed range of every count and size setting, both ends included.
pub const COUNT_RANGES: &[(&str, u64, u64)] = &[
    ("database.max_connections", 1, 100),
    ("program.kudos_daily_limit", 0, 1000),
    ("program.kudos_min_reason_words", 0, 100),
    ("program.kudos_max_people", 1, 100),
    ("program.thin_headcount_per_ambassador", 1, 1_000_000),
    ("program.many_ambassadors_per_region", 1, 10_000),
    ("program.max_text_chars", 20, 40_000),
    ("checkins.every_weeks", 1, 52),
    ("checkins.silent_rounds", 1, 100),
    ("outbox.max_attempts", 1, 100),
    ("outbox.batch", 1, 1000),
];

/// The duration setting `key` written as `text`, refused outside its range (`DURATION_RANGES`).
pub fn bounded_duration(key: &str, text: &str) -> Result<chrono::Duration, String> {
    let d = parse_duration(text)?;
    let Some((_, least, most)) = DURATION_RANGES.iter().find(|(k, _, _)| *k == key) else {
        return Ok(d);
    };
    let (lo, hi) = (parse_duration(least)?, parse_duration(most)?);
    if d < lo || d > hi {
        return Err(format!(
            "`{}` is out of range: allowed {least} to {most}",
            text.trim()
        ));
    }
    Ok(d)
}

/// The count setting `key` with value `value`, refused outside its range (`COUNT_RANGES`).
pub fn bounded_count(key: &str, value: u64) -> Result<u64, String> {
    match COUNT_RANGES.iter().find(|(k, _, _)| *k == key) {
        Some((_, lo, hi)) if value < *lo || value > *hi => {
            Err(format!("{value} is out of range: allowed {lo} to {hi}"))
        }
        _ => Ok(value),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsoleConfig {
    pub user: String,
    pub room: String,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            user: "admin".into(),
            room: "general".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlackConfig {
    pub enabled: bool,
    /// How Slack reaches the bot: `http` (signed requests to the bot's HTTP server) or `socket`
    /// (Socket Mode: a WebSocket the bot opens with the app-level token; no public URL).
    pub mode: String,
    /// The app-level token (`xapp-…`, scope `connections:write`) for Socket Mode.
    pub app_token: Secret,
    pub bot_token: Secret,
    pub signing_secret: Secret,
    /// The Web API base URL (a local fake in tests).
    pub api_base_url: String,
    /// The bot's own user id; empty: asked of Slack (`auth.test`) at start.
    pub bot_user_id: String,
    /// A reaction name (`raised_hands`, no colons) that gives kudos to the author of the message
    /// reacted to; empty: off.
    pub kudos_reaction: String,
}

impl Default for SlackConfig {
    fn default() -> Self {
        SlackConfig {
            enabled: false,
            mode: "http".into(),
            app_token: Secret::default(),
            bot_token: Secret::default(),
            signing_secret: Secret::default(),
            api_base_url: "https://slack.com/api".into(),
            bot_user_id: String::new(),
            kudos_reaction: String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MatrixConfig {
    pub enabled: bool,
    pub homeserver: String,
    pub user: String,
    pub password: Secret,
    pub access_token: Secret,
    pub store_dir: String,
    pub device_name: String,
    pub allowed_servers: Vec<String>,
    pub allowed_rooms: Vec<String>,
    /// A reaction that gives kudos to the author of the message reacted to; empty: off.
    pub kudos_reaction: String,
}

impl Default for MatrixConfig {
    fn default() -> Self {
        MatrixConfig {
            enabled: false,
            homeserver: String::new(),
            user: String::new(),
            password: Secret::default(),
            access_token: Secret::default(),
            store_dir: "matrix-store".into(),
            device_name: "Ambassador Bot".into(),
            allowed_servers: Vec::new(),
            allowed_rooms: Vec::new(),
            kudos_reaction: String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Address of the HTTP server (Slack endpoints, health, metrics).
    pub listen: String,
    /// How long a client has to send a request's line and headers, and how long a kept-alive
    /// connection may sit idle before its next request; then the connection is closed.
    pub header_timeout: String,
    /// How long a client has to send a request's whole body (at most 1 MiB) once its headers
    /// are in; then it gets 408 and the connection is closed.
    pub body_timeout: String,
    /// Connections served at once; more wait (in the kernel's queue) until one closes.
    pub max_connections: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:8080".into(),
            header_timeout: "10s".into(),
            body_timeout: "30s".into(),
            max_connections: 1024,
        }
    }
}

/// The allowed range of `http.header_timeout` and `http.body_timeout`.
pub const HTTP_TIMEOUT_RANGE: (std::time::Duration, std::time::Duration) = (
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(300),
);
/// The allowed range of `http.max_connections`.
pub const HTTP_MAX_CONNECTIONS_RANGE: (usize, usize) = (1, 100_000);

impl HttpConfig {
    /// The HTTP server's limits, or what is wrong with them (key, message).
    pub fn limits(&self) -> Result<crate::serve::Limits, Vec<(&'static str, String)>> {
        let mut wrong = Vec::new();
        let (low, high) = HTTP_TIMEOUT_RANGE;
        let mut timeout =
            |key: &'static str, text: &str| match humantime::parse_duration(text.trim()) {
                Ok(d) if (low..=high).contains(&d) => d,
                Ok(_) => {
                    wrong.push((key, format!("`{text}` is out of range: allowed 1s to 5m")));
                    low
                }
                Err(_) => {
                    wrong.push((
                        key,
                        format!("`{text}` is not a duration: write e.g. 10s or 1m (1s to 5m)"),
                    ));
                    low
                }
            };
        let header_timeout = timeout("http.header_timeout", &self.header_timeout);
        let body_timeout = timeout("http.body_timeout", &self.body_timeout);
        let (min, max) = HTTP_MAX_CONNECTIONS_RANGE;
        if !(min..=max).contains(&self.max_connections) {
            wrong.push((
                "http.max_connections",
                format!(
                    "{} is out of range: allowed {min} to {max}",
                    self.max_connections
                ),
            ));
        }
        if wrong.is_empty() {
            Ok(crate::serve::Limits {
                header_timeout,
                body_timeout,
                max_connections: self.max_connections,
            })
        } else {
            Err(wrong)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `text` (human-readable) or `json` (one object a line).
    pub format: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
        }
    }
}

/// Where the configuration came from, for messages.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    pub file: Option<PathBuf>,
    /// Keys set in the file or the environment that no setting has.
    pub unknown_keys: Vec<String>,
}

fn env_source() -> config::Environment {
    config::Environment::with_prefix(ENV_PREFIX)
        .prefix_separator("__")
        .separator("__")
        .list_separator(",")
        .with_list_parse_key("program.office")
        .with_list_parse_key("digest.channels")
        .with_list_parse_key("checkins.questions")
        .with_list_parse_key("matrix.allowed_servers")
        .with_list_parse_key("matrix.allowed_rooms")
        .with_list_parse_key("lifecycle.training_links")
        .with_list_parse_key("lifecycle.expectations")
        .try_parsing(true)
}

/// Loads the configuration. `explicit` must exist; otherwise `./bot-config.toml` is read if present.
pub fn load(explicit: Option<&Path>) -> anyhow::Result<Loaded> {
    let file = match explicit {
        Some(p) => {
            anyhow::ensure!(
                p.is_file(),
                "the configuration file {} does not exist",
                p.display()
            );
            Some(p.to_path_buf())
        }
        None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.is_file()),
    };
    let mut user = config::Config::builder();
    if let Some(f) = &file {
        user = user.add_source(config::File::from(f.as_path()).format(config::FileFormat::Toml));
    }
    if let Some(f) = &file {
        check_syntax(f)?;
    }
    let user = user.add_source(env_source());
    let source = match &file {
        Some(f) => format!("cannot read the configuration file {}", f.display()),
        None => "cannot read the configuration from the environment".into(),
    };
    let overrides = user
        .clone()
        .build()
        .map_err(|e| anyhow::anyhow!("{source}: {}", describe(&e)))?;
    // From here on every output masks the secrets given, even if a value below is refused.
    register_secrets(|key| overrides.get_string(key).ok());
    let given: serde_json::Value = overrides
        .clone()
        .try_deserialize()
        .unwrap_or(serde_json::Value::Null);
    let known = serde_json::to_value(Config::default())?;
    let mut unknown_keys = Vec::new();
    unknown(&given, &known, "", &mut unknown_keys);

    let defaults = config::Config::try_from(&Config::default())?;
    let merged = config::Config::builder()
        .add_source(defaults)
        .add_source(overrides)
        .build()
        .map_err(|e| anyhow::anyhow!("{source}: {}", describe(&e)))?;
    let config: Config = merged
        .try_deserialize()
        .map_err(|e| anyhow::anyhow!("{source}: {}", describe(&e)))?;
    register_secrets(|key| match key {
        "database.url" => Some(config.database.url.clone()),
        "slack.app_token" => Some(config.slack.app_token.0.clone()),
        "slack.bot_token" => Some(config.slack.bot_token.0.clone()),
        "slack.signing_secret" => Some(config.slack.signing_secret.0.clone()),
        "matrix.password" => Some(config.matrix.password.0.clone()),
        "matrix.access_token" => Some(config.matrix.access_token.0.clone()),
        _ => None,
    });
    Ok(Loaded {
        config,
        file,
        unknown_keys,
    })
}

/// The keys whose values are secret (the database URL: its password and secret parameters).
pub const SECRET_KEYS: &[&str] = &[
    "database.url",
    "slack.app_token",
    "slack.bot_token",
    "slack.signing_secret",
    "matrix.password",
    "matrix.access_token",
];

/// Hands the secret values to the redaction every output goes through.
fn register_secrets(value: impl Fn(&str) -> Option<String>) {
    for key in SECRET_KEYS {
        let Some(v) = value(key) else { continue };
        if *key == "database.url" {
            crate::redact::register(crate::redact::url_secrets(&v));
        } else {
            crate::redact::register([v]);
        }
    }
}

/// Reads `path` as TOML first, so that a syntax error is reported by its line and key and never
/// quotes the line (it may hold a token).
fn check_syntax(path: &Path) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        anyhow::bail!(
            "cannot read the configuration file {}: it is not readable UTF-8 text",
            path.display()
        );
    };
    match toml::de::DeTable::parse(&text) {
        Ok(_) => Ok(()),
        Err(e) => anyhow::bail!("{}", syntax_error(&path.display().to_string(), &text, &e)),
    }
}

/// `bot-config.toml line 7 (key `slack.bot_token`): invalid basic string, expected `"`` and
/// nothing of the value.
fn syntax_error(file: &str, text: &str, e: &toml::de::Error) -> String {
    let at = e.span().map_or(0, |s| s.start).min(text.len());
    let line_no = text.as_bytes()[..at]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1;
    let lines: Vec<&str> = text.lines().collect();
    let line = lines.get(line_no - 1).copied().unwrap_or("");
    let key = line.split_once('=').map(|(k, _)| k.trim()).filter(|k| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\''))
    });
    let section = lines[..(line_no - 1).min(lines.len())]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim());
    let mut kind = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    // The parser's own words only: any piece of the line's value they repeat is masked.
    let value = line.split_once('=').map_or(line, |(_, v)| v);
    for piece in value
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .filter(|p| p.len() >= 3)
    {
        kind = kind.replace(piece, crate::redact::MASK);
    }
    match (key, section) {
        (Some(k), Some(s)) => format!("{file} line {line_no} (key `{s}.{k}`): {kind}"),
        (Some(k), None) => format!("{file} line {line_no} (key `{k}`): {kind}"),
        (None, _) => format!("{file} line {line_no}: {kind}"),
    }
}

/// A configuration error with its key and what was expected, without the value given.
fn describe(e: &config::ConfigError) -> String {
    use config::ConfigError as E;
    match e {
        E::Type {
            unexpected,
            expected,
            key,
            ..
        } => {
            // Its first word names the kind (`string`, `integer`, `sequence`); the rest quotes
            // the value.
            let shown = unexpected.to_string();
            let found = shown.split_whitespace().next().unwrap_or("something else");
            match key {
                Some(k) => format!("{k}: expected {expected}, found {found}"),
                None => format!("expected {expected}, found {found}"),
            }
        }
        E::At { error, key, .. } => match key {
            Some(k) if !describe(error).starts_with(k.as_str()) => {
                format!("{k}: {}", describe(error))
            }
            _ => describe(error),
        },
        E::NotFound(k) => format!("{k}: missing"),
        E::FileParse { .. } => "not valid TOML".into(),
        E::Message(m) => value_free(m),
        other => value_free(&other.to_string()),
    }
}

/// serde's `invalid type: string "xoxb-…", expected …` without the value.
fn value_free(message: &str) -> String {
    let mut out = message.to_string();
    for lead in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(start) = out.find(lead) {
            let from = start + lead.len();
            let end = out[from..]
                .find(", expected")
                .map_or(out.len(), |e| from + e);
            let kind = out[from..end]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            out.replace_range(from..end, &kind);
        }
    }
    out
}

fn unknown(
    given: &serde_json::Value,
    known: &serde_json::Value,
    prefix: &str,
    out: &mut Vec<String>,
) {
    let (Some(given), Some(known)) = (given.as_object(), known.as_object()) else {
        return;
    };
    for (k, v) in given {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match known.get(k) {
            None => out.push(path),
            Some(kv) if kv.is_object() => unknown(v, kv, &path, out),
            Some(_) => {}
        }
    }
}

/// Every key of the configuration, as `section.key`.
pub fn known_keys() -> Vec<String> {
    let mut keys = Vec::new();
    if let Ok(serde_json::Value::Object(sections)) = serde_json::to_value(Config::default()) {
        for (s, v) in sections {
            if let serde_json::Value::Object(fields) = v {
                keys.extend(fields.keys().map(|k| format!("{s}.{k}")));
            }
        }
    }
    keys
}

/// One thing wrong with a configuration, naming its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// `HOST:PORT` with a port number.
fn valid_listen(listen: &str) -> bool {
    match listen.trim().rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok(),
        None => false,
    }
}

fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}__{}", key.replace('.', "__").to_uppercase())
}

impl Config {
    /// Every duration setting: its key and its text.
    pub fn durations(&self) -> [(&'static str, &str); 11] {
        [
            ("checkins.remind_after", &self.checkins.remind_after),
            ("checkins.close_after", &self.checkins.close_after),
            ("scheduler.grace", &self.scheduler.grace),
            (
                "announcements.remind_after",
                &self.announcements.remind_after,
            ),
            ("lifecycle.nudge_after", &self.lifecycle.nudge_after),
            (
                "lifecycle.ask_office_after",
                &self.lifecycle.ask_office_after,
            ),
            (
                "lifecycle.suggest_alumni_after",
                &self.lifecycle.suggest_alumni_after,
            ),
            ("lifecycle.renewal_grace", &self.lifecycle.renewal_grace),
            ("outbox.base_backoff", &self.outbox.base_backoff),
            ("outbox.max_backoff", &self.outbox.max_backoff),
            ("outbox.lease", &self.outbox.lease),
        ]
    }

    /// Every count and size setting: its key and its value.
    pub fn counts(&self) -> [(&'static str, u64); 11] {
        [
            (
                "database.max_connections",
                self.database.max_connections.into(),
            ),
            (
                "program.kudos_daily_limit",
                self.program.kudos_daily_limit.into(),
            ),
            (
                "program.kudos_min_reason_words",
                self.program.kudos_min_reason_words.into(),
            ),
            (
                "program.kudos_max_people",
                self.program.kudos_max_people.into(),
            ),
            (
                "program.thin_headcount_per_ambassador",
                self.program.thin_headcount_per_ambassador.into(),
            ),
            (
                "program.many_ambassadors_per_region",
                self.program.many_ambassadors_per_region.into(),
            ),
            (
                "program.max_text_chars",
                u64::try_from(self.program.max_text_chars).unwrap_or(u64::MAX),
            ),
            ("checkins.every_weeks", self.checkins.every_weeks.into()),
            ("checkins.silent_rounds", self.checkins.silent_rounds.into()),
            ("outbox.max_attempts", self.outbox.max_attempts.into()),
            ("outbox.batch", self.outbox.batch.into()),
        ]
    }

    /// Refuses a configuration `check-config` refuses (`problems`), before anything starts: what
    /// `console` checks first (`run` also checks `delivery_problems`).
    pub fn ensure_valid(&self) -> anyhow::Result<()> {
        let problems = self.problems();
        if problems.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::bail!(
            "the configuration has {} problem(s): {} (see `ambassador-bot check-config`)",
            list.len(),
            list.join("; ")
        )
    }

    /// Bad values and missing secrets, each with its key.
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        let mut bad = |key: &str, message: String| {
            p.push(Problem {
                key: key.into(),
                message,
            })
        };
        let url = self.database.url.trim();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            bad(
                "database.url",
                format!(
                    "`{}` is not a database URL: use sqlite://FILE or postgres://USER@HOST/DB",
                    crate::redact::redact_url(url)
                ),
            );
        }
        for (i, a) in self.program.office.iter().enumerate() {
            if let Err(e) = a.parse::<Account>() {
                bad(&format!("program.office[{i}]"), e);
            }
        }
        if self.program.time_zone.parse::<chrono_tz::Tz>().is_err() {
            bad(
                "program.time_zone",
                format!(
                    "`{}` is not an IANA time zone (e.g. Europe/Berlin, UTC)",
                    self.program.time_zone
                ),
            );
        }
        if let Err(e) = ambassador_core::Cron::parse(&self.checkins.schedule) {
            bad("checkins.schedule", e);
        }
        if self.checkins.questions.iter().all(|q| q.trim().is_empty()) {
            bad("checkins.questions", "give at least one question".into());
        }
        let remind = parse_duration(&self.checkins.remind_after);
        let close = parse_duration(&self.checkins.close_after);
        if let Err(e) = &remind {
            bad("checkins.remind_after", e.clone());
        }
        if let Err(e) = &close {
            bad("checkins.close_after", e.clone());
        }
        if let (Ok(r), Ok(c)) = (remind, close)
            && r >= c
        {
            bad(
                "checkins.remind_after",
                format!(
                    "must be shorter than checkins.close_after ({})",
                    self.checkins.close_after
                ),
            );
        }
        if let Err(e) = ambassador_core::Cron::parse(&self.digest.schedule) {
            bad("digest.schedule", e);
        }
        for (i, c) in self.digest.channels.iter().enumerate() {
            if let Err(e) = c.parse::<ambassador_core::Destination>() {
                bad(&format!("digest.channels[{i}]"), e);
            }
        }
        if !matches!(self.digest.empty_week.as_str(), "short" | "skip") {
            bad(
                "digest.empty_week",
                format!("`{}`: use short or skip", self.digest.empty_week),
            );
        }
        if let Err(e) = parse_duration(&self.scheduler.grace) {
            bad("scheduler.grace", e);
        }
        if let Err(e) = parse_duration(&self.announcements.remind_after) {
            bad("announcements.remind_after", e);
        }
        if let Err(e) = ambassador_core::Cron::parse(&self.reports.quarterly_schedule) {
            bad("reports.quarterly_schedule", e);
        }
        if let Err(e) = ambassador_core::Cron::parse(&self.lifecycle.schedule) {
            bad("lifecycle.schedule", e);
        }
        let mut ladder = Vec::new();
        for (key, value) in [
            ("lifecycle.nudge_after", &self.lifecycle.nudge_after),
            (
                "lifecycle.ask_office_after",
                &self.lifecycle.ask_office_after,
            ),
            (
                "lifecycle.suggest_alumni_after",
                &self.lifecycle.suggest_alumni_after,
            ),
            ("lifecycle.renewal_grace", &self.lifecycle.renewal_grace),
        ] {
            match parse_duration(value) {
                Ok(d) => ladder.push(d),
                Err(e) => bad(key, e),
            }
        }
        if let [nudge, ask, alumni, _] = ladder[..]
            && !(nudge < ask && ask < alumni)
        {
            bad(
                "lifecycle.ask_office_after",
                "the ladder must climb: nudge_after < ask_office_after < suggest_alumni_after"
                    .into(),
            );
        }
        for (key, value) in [
            ("outbox.base_backoff", &self.outbox.base_backoff),
            ("outbox.max_backoff", &self.outbox.max_backoff),
            ("outbox.lease", &self.outbox.lease),
        ] {
            if let Err(e) = parse_duration(value) {
                bad(key, e);
            }
        }
        for (key, text) in self.durations() {
            if parse_duration(text).is_ok()
                && let Err(e) = bounded_duration(key, text)
            {
                bad(key, e);
            }
        }
        for (key, value) in self.counts() {
            if let Err(e) = bounded_count(key, value) {
                bad(key, e);
            }
        }
        if self.console.user.trim().is_empty() || self.console.user.contains(char::is_whitespace) {
            bad("console.user", "must be one word".into());
        }
        if self.slack.enabled {
            let mode = self.slack.mode.trim();
            if !matches!(mode, "http" | "socket") {
                bad(
                    "slack.mode",
                    format!("`{mode}`: use http (Slack posts to the bot) or socket (Socket Mode)"),
                );
            }
            // The signing secret checks HTTP requests; Socket Mode's connection is opened with
            // the app-level token instead.
            let transport_secret = if mode == "socket" {
                ("slack.app_token", &self.slack.app_token)
            } else {
                ("slack.signing_secret", &self.slack.signing_secret)
            };
            for (key, secret) in [("slack.bot_token", &self.slack.bot_token), transport_secret] {
                if secret.is_empty() {
                    bad(
                        key,
                        format!(
                            "Slack is enabled but this secret is missing (set it in the file or as {})",
                            env_name(key)
                        ),
                    );
                }
            }
            if mode == "socket"
                && !self.slack.app_token.is_empty()
                && !self.slack.app_token.0.trim().starts_with("xapp-")
            {
                bad(
                    "slack.app_token",
                    "not an app-level token: those start with xapp- (Basic Information → App-Level Tokens)"
                        .into(),
                );
            }
            let base = self.slack.api_base_url.trim();
            if !(base.starts_with("https://") || base.starts_with("http://")) {
                bad(
                    "slack.api_base_url",
                    format!(
                        "`{}` is not a URL: use https://slack.com/api",
                        crate::redact::redact_url(base)
                    ),
                );
            }
        }
        if self.matrix.enabled {
            if self.matrix.homeserver.trim().is_empty() {
                bad(
                    "matrix.homeserver",
                    "Matrix is enabled but no homeserver URL is set".into(),
                );
            }
            if self.matrix.user.trim().is_empty() {
                bad("matrix.user", "Matrix is enabled but no user is set".into());
            }
            if self.matrix.password.is_empty() && self.matrix.access_token.is_empty() {
                bad(
                    "matrix.password",
                    format!(
                        "Matrix is enabled but neither matrix.password nor matrix.access_token is set (or {})",
                        env_name("matrix.access_token")
                    ),
                );
            }
            if self.matrix.store_dir.trim().is_empty() {
                bad(
                    "matrix.store_dir",
                    "Matrix is enabled but no store directory is set (it keeps the session and keys)"
                        .into(),
                );
            }
        }
        if !valid_listen(&self.http.listen) {
            bad(
                "http.listen",
                format!(
                    "`{}` is not an address to listen on: write HOST:PORT, e.g. 0.0.0.0:8080",
                    self.http.listen
                ),
            );
        }
        if let Err(wrong) = self.http.limits() {
            for (key, message) in wrong {
                bad(key, message);
            }
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            bad(
                "log.format",
                format!("`{}`: use text or json", self.log.format),
            );
        }
        p
    }

    /// Whether `run` serves `platform`; the console is always there (`ambassador-bot console`).
    fn serves(&self, platform: ambassador_core::Platform) -> bool {
        match platform {
            ambassador_core::Platform::Console => true,
            ambassador_core::Platform::Slack => self.slack.enabled,
            ambassador_core::Platform::Matrix => self.matrix.enabled,
        }
    }

    /// What `run` could not deliver: a digest channel on a chat platform that is not enabled.
    /// Apart from `problems` because the console and the admin commands work regardless.
    pub fn delivery_problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        for (i, channel) in self.digest.channels.iter().enumerate() {
            let Ok(destination) = channel.parse::<ambassador_core::Destination>() else {
                continue;
            };
            let platform = destination.platform();
            if !self.serves(platform) {
                p.push(Problem {
                    key: format!("digest.channels[{i}]"),
                    message: format!(
                        "`{channel}` is on {platform}, which is not enabled ({platform}.enabled = false): the digest would never be posted there"
                    ),
                });
            }
        }
        p
    }

    /// Things that work but are likely not meant: office members on a chat platform that is not
    /// enabled (they cannot act there), and console digest channels while a chat platform runs
    /// (`run` does not post to the console).
    pub fn warnings(&self) -> Vec<Problem> {
        let mut w = Vec::new();
        for (i, office) in self.program.office.iter().enumerate() {
            let Ok(account) = office.parse::<Account>() else {
                continue;
            };
            if !self.serves(account.platform) {
                w.push(Problem {
                    key: format!("program.office[{i}]"),
                    message: format!(
                        "`{office}` is on {0}, which is not enabled ({0}.enabled = false): this office member cannot use the bot until {0}.enabled = true",
                        account.platform
                    ),
                });
            }
        }
        if self.slack.enabled || self.matrix.enabled {
            for (i, channel) in self.digest.channels.iter().enumerate() {
                if let Ok(d) = channel.parse::<ambassador_core::Destination>()
                    && d.platform() == ambassador_core::Platform::Console
                {
                    w.push(Problem {
                        key: format!("digest.channels[{i}]"),
                        message: format!(
                            "`{channel}` is a console room: `ambassador-bot run` does not post there, only `ambassador-bot console` shows it"
                        ),
                    });
                }
            }
        }
        w
    }

    /// The program's rules. Fails on the first bad value; `problems` lists them all.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        if let Some(first) = self.problems().into_iter().find(|p| {
            [
                "program.",
                "checkins.",
                "digest.",
                "scheduler.",
                "announcements.",
                "reports.",
                "lifecycle.",
            ]
            .iter()
            .any(|s| p.key.starts_with(s))
        }) {
            anyhow::bail!("bad configuration: {first}");
        }
        let d = |key: &str, s: &str| {
            bounded_duration(key, s).map_err(|e| anyhow::anyhow!("bad configuration: {key}: {e}"))
        };
        Ok(Settings {
            office: self
                .program
                .office
                .iter()
                .map(|a| a.parse::<Account>().map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<_>>()?,
            time_zone: self.program.time_zone.parse().map_err(anyhow::Error::msg)?,
            kudos_daily_limit: self.program.kudos_daily_limit,
            kudos_min_reason_words: self.program.kudos_min_reason_words,
            kudos_max_people: self.program.kudos_max_people,
            thin_headcount_per_ambassador: self.program.thin_headcount_per_ambassador,
            many_ambassadors_per_region: self.program.many_ambassadors_per_region,
            max_text_chars: self.program.max_text_chars,
            checkins: ambassador_core::CheckinSettings {
                schedule: ambassador_core::Cron::parse(&self.checkins.schedule)
                    .map_err(anyhow::Error::msg)?,
                every_weeks: self.checkins.every_weeks,
                questions: self
                    .checkins
                    .questions
                    .iter()
                    .filter(|q| !q.trim().is_empty())
                    .cloned()
                    .collect(),
                remind_after: d("checkins.remind_after", &self.checkins.remind_after)?,
                close_after: d("checkins.close_after", &self.checkins.close_after)?,
                silent_rounds: self.checkins.silent_rounds,
            },
            digest: ambassador_core::DigestSettings {
                schedule: ambassador_core::Cron::parse(&self.digest.schedule)
                    .map_err(anyhow::Error::msg)?,
                channels: self
                    .digest
                    .channels
                    .iter()
                    .map(|c| c.parse().map_err(anyhow::Error::msg))
                    .collect::<anyhow::Result<_>>()?,
                empty_week: if self.digest.empty_week == "skip" {
                    ambassador_core::EmptyWeek::Skip
                } else {
                    ambassador_core::EmptyWeek::Short
                },
            },
            grace: d("scheduler.grace", &self.scheduler.grace)?,
            announce_remind_after: d(
                "announcements.remind_after",
                &self.announcements.remind_after,
            )?,
            quarterly_report: ambassador_core::Cron::parse(&self.reports.quarterly_schedule)
                .map_err(anyhow::Error::msg)?,
            lifecycle: ambassador_core::LifecycleSettings {
                schedule: ambassador_core::Cron::parse(&self.lifecycle.schedule)
                    .map_err(anyhow::Error::msg)?,
                nudge_after: d("lifecycle.nudge_after", &self.lifecycle.nudge_after)?,
                ask_office_after: d(
                    "lifecycle.ask_office_after",
                    &self.lifecycle.ask_office_after,
                )?,
                suggest_alumni_after: d(
                    "lifecycle.suggest_alumni_after",
                    &self.lifecycle.suggest_alumni_after,
                )?,
                renewal_grace: d("lifecycle.renewal_grace", &self.lifecycle.renewal_grace)?,
                training_links: self
                    .lifecycle
                    .training_links
                    .iter()
                    .filter(|t| !t.trim().is_empty())
                    .cloned()
                    .collect(),
                ambassadors_channel: Some(self.lifecycle.ambassadors_channel.trim())
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
                expectations: Some(
                    self.lifecycle
                        .expectations
                        .iter()
                        .filter(|e| !e.trim().is_empty())
                        .cloned()
                        .collect::<Vec<_>>(),
                )
                .filter(|list| !list.is_empty())
                .unwrap_or_else(|| ambassador_core::LifecycleSettings::default().expectations),
                copy_kudos_to_manager: self.lifecycle.copy_kudos_to_manager,
            },
        })
    }

    /// How the outbox dispatcher behaves.
    pub fn dispatch(&self) -> anyhow::Result<ambassador_core::DispatchSettings> {
        let d = |key: &str, s: &str| {
            bounded_duration(key, s).map_err(|e| anyhow::anyhow!("bad configuration: {key}: {e}"))
        };
        Ok(ambassador_core::DispatchSettings {
            max_attempts: self.outbox.max_attempts.max(1),
            lease: d("outbox.lease", &self.outbox.lease)?,
            batch: self.outbox.batch.max(1),
            base_backoff: d("outbox.base_backoff", &self.outbox.base_backoff)?,
            max_backoff: d("outbox.max_backoff", &self.outbox.max_backoff)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_match_the_core() {
        let c = Config::default();
        assert_eq!(c.problems(), vec![]);
        let s = c.settings().unwrap();
        assert_eq!(s.office, Settings::default().office);
        assert_eq!(s.kudos_daily_limit, 5);
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let mut c = Config::default();
        c.slack.bot_token = Secret("xoxb-very-secret".into());
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn enabled_platforms_need_their_secrets() {
        let mut c = Config::default();
        c.slack.enabled = true;
        c.matrix.enabled = true;
        let keys: Vec<String> = c.problems().into_iter().map(|p| p.key).collect();
        assert_eq!(
            keys,
            [
                "slack.bot_token",
                "slack.signing_secret",
                "matrix.homeserver",
                "matrix.user",
                "matrix.password"
            ]
        );
    }

    #[test]
    fn socket_mode_needs_the_app_token_not_the_signing_secret() {
        let mut c = Config::default();
        c.slack.enabled = true;
        c.slack.mode = "socket".into();
        c.slack.bot_token = Secret("xoxb-1".into());
        let keys: Vec<String> = c.problems().into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["slack.app_token"]);
        c.slack.app_token = Secret("xoxb-wrong-kind".into());
        let problems = c.problems();
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].to_string().contains("wrong-kind"));
        c.slack.app_token = Secret("xapp-1-A1-secret".into());
        assert_eq!(c.problems(), vec![]);
        assert!(!format!("{c:?}").contains("xapp-1"));
        // An unknown mode is named; the HTTP secrets are then asked for.
        c.slack.mode = "websocket".into();
        c.slack.signing_secret = Secret("s".into());
        let keys: Vec<String> = c.problems().into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["slack.mode"]);
    }

    #[test]
    fn http_limits_out_of_range_are_refused_with_their_key_and_range() {
        let mut c = Config::default();
        assert_eq!(
            c.http.limits(),
            Ok(crate::serve::Limits {
                header_timeout: std::time::Duration::from_secs(10),
                body_timeout: std::time::Duration::from_secs(30),
                max_connections: 1024,
            })
        );
        c.http.header_timeout = "0s".into();
        c.http.body_timeout = "300000y".into();
        c.http.max_connections = 0;
        let problems: Vec<String> = c.problems().iter().map(ToString::to_string).collect();
        for (key, says) in [
            ("http.header_timeout", "allowed 1s to 5m"),
            ("http.body_timeout", "1s to 5m"),
            ("http.max_connections", "allowed 1 to 100000"),
        ] {
            assert!(
                problems.iter().any(|p| p.contains(key) && p.contains(says)),
                "{key}: {problems:?}"
            );
        }
        c.http.header_timeout = "soon".into();
        c.http.body_timeout = "5m".into();
        c.http.max_connections = 100_001;
        let problems: Vec<String> = c.problems().iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("http.header_timeout")
                && problems[0].contains("`soon` is not a duration")
        );
        assert!(problems[1].contains("http.max_connections"));
    }

    #[test]
    fn every_key_is_documented_in_the_example() {
        let example = include_str!("../../../bot-config.example.toml");
        let parsed: serde_json::Value = config::Config::builder()
            .add_source(config::File::from_str(example, config::FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        let mut extra = Vec::new();
        unknown(
            &parsed,
            &serde_json::to_value(Config::default()).unwrap(),
            "",
            &mut extra,
        );
        assert_eq!(
            extra,
            Vec::<String>::new(),
            "the example has keys no setting reads"
        );
        for key in known_keys() {
            let (section, field) = key.split_once('.').unwrap();
            assert!(
                parsed[section].get(field).is_some(),
                "bot-config.example.toml does not set `{key}`"
            );
        }
        // Every key line has a comment right above it.
        let lines: Vec<&str> = example.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start_matches('#').trim();
            if t.contains(" = ") && !line.starts_with('#') {
                assert!(
                    i > 0 && lines[i - 1].starts_with('#'),
                    "`{line}` in bot-config.example.toml has no comment above it"
                );
            }
        }
    }

    fn set_duration(c: &mut Config, key: &str, text: &str) {
        let field = match key {
            "checkins.remind_after" => &mut c.checkins.remind_after,
            "checkins.close_after" => &mut c.checkins.close_after,
            "scheduler.grace" => &mut c.scheduler.grace,
            "announcements.remind_after" => &mut c.announcements.remind_after,
            "lifecycle.nudge_after" => &mut c.lifecycle.nudge_after,
            "lifecycle.ask_office_after" => &mut c.lifecycle.ask_office_after,
            "lifecycle.suggest_alumni_after" => &mut c.lifecycle.suggest_alumni_after,
            "lifecycle.renewal_grace" => &mut c.lifecycle.renewal_grace,
            "outbox.base_backoff" => &mut c.outbox.base_backoff,
            "outbox.max_backoff" => &mut c.outbox.max_backoff,
            "outbox.lease" => &mut c.outbox.lease,
            other => panic!("no duration {other}"),
        };
        *field = text.to_string();
    }

    fn set_count(c: &mut Config, key: &str, value: u32) {
        match key {
            "database.max_connections" => c.database.max_connections = value,
            "program.kudos_daily_limit" => c.program.kudos_daily_limit = value,
            "program.kudos_min_reason_words" => c.program.kudos_min_reason_words = value,
            "program.kudos_max_people" => c.program.kudos_max_people = value,
            "program.thin_headcount_per_ambassador" => {
                c.program.thin_headcount_per_ambassador = value
            }
            "program.many_ambassadors_per_region" => c.program.many_ambassadors_per_region = value,
            "program.max_text_chars" => c.program.max_text_chars = value as usize,
            "checkins.every_weeks" => c.checkins.every_weeks = value,
            "checkins.silent_rounds" => c.checkins.silent_rounds = value,
            "outbox.max_attempts" => c.outbox.max_attempts = value,
            "outbox.batch" => c.outbox.batch = value,
            other => panic!("no count {other}"),
        }
    }

    #[test]
    fn every_duration_and_count_has_a_range_and_the_defaults_are_in_it() {
        let c = Config::default();
        let durations: Vec<&str> = c.durations().iter().map(|(k, _)| *k).collect();
        let ranged: Vec<&str> = DURATION_RANGES.iter().map(|(k, _, _)| *k).collect();
        assert_eq!(durations, ranged);
        let counts: Vec<&str> = c.counts().iter().map(|(k, _)| *k).collect();
        let ranged: Vec<&str> = COUNT_RANGES.iter().map(|(k, _, _)| *k).collect();
        assert_eq!(counts, ranged);
        for (key, text) in c.durations() {
            assert!(bounded_duration(key, text).is_ok(), "{key} = {text}");
        }
        for (key, value) in c.counts() {
            assert!(bounded_count(key, value).is_ok(), "{key} = {value}");
        }
        // The example documents every range.
        let example = include_str!("../../../bot-config.example.toml");
        for (key, least, most) in DURATION_RANGES {
            let allowed = format!("{least} to {most}");
            assert!(
                example.contains(&allowed),
                "bot-config.example.toml gives the range of {key} ({allowed})"
            );
        }
        for (key, lo, hi) in COUNT_RANGES {
            let allowed = format!("{lo} to {hi}");
            assert!(
                example.contains(&allowed),
                "bot-config.example.toml gives the range of {key} ({allowed})"
            );
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Duration texts: any number with any unit, two parts, and anything at all.
        fn duration_text() -> impl Strategy<Value = String> {
            let unit = prop::sample::select(vec![
                "", "ns", "us", "ms", "s", "sec", "m", "min", "h", "d", "day", "days", "w", "M",
                "y", "years",
            ]);
            prop_oneof![
                (any::<u64>(), unit.clone()).prop_map(|(n, u)| format!("{n}{u}")),
                (0u64..400_000, unit.clone()).prop_map(|(n, u)| format!("{n}{u}")),
                (0u64..5000, unit.clone(), 0u64..100_000, unit)
                    .prop_map(|(a, u, b, v)| format!("{a}{u} {b}{v}")),
                "\\PC{0,24}",
                "[0-9]{1,25}[a-zA-Z]{0,6}",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 3000,
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            /// Any duration text for any duration setting: refused by check-config (with the key
            /// and the range, in one line) or accepted within its range, and then every sum the
            /// scheduler and the outbox compute with it stays on the calendar.
            #[test]
            fn durations_are_refused_or_accepted_within_range_and_never_overflow(
                index in 0..DURATION_RANGES.len(),
                text in duration_text(),
                secs in 0i64..7_258_118_400, // 1970 to 2200: the clocks the bot runs on
                attempts in any::<u32>(),
            ) {
                let (key, least, most) = DURATION_RANGES[index];
                let mut c = Config::default();
                set_duration(&mut c, key, &text);
                let problems = c.problems();
                match bounded_duration(key, &text) {
                    Err(e) => {
                        prop_assert!(!e.contains('\n'), "{e}");
                        prop_assert!(
                            problems.contains(&Problem { key: key.into(), message: e.clone() }),
                            "check-config refuses {key} = {text:?} with {e}: {problems:?}"
                        );
                        if parse_duration(&text).is_ok() {
                            prop_assert!(e.contains(&format!("allowed {least} to {most}")), "{e}");
                        }
                        prop_assert!(c.settings().is_err() || c.dispatch().is_err());
                    }
                    Ok(d) => {
                        prop_assert!(d >= parse_duration(least).unwrap());
                        prop_assert!(d <= parse_duration(most).unwrap());
                        prop_assert!(
                            !problems.iter().any(|p| p.message.contains("out of range")),
                            "{problems:?}"
                        );
                    }
                }
                if problems.is_empty() {
                    let s = c.settings().unwrap();
                    let o = c.dispatch().unwrap();
                    let now = chrono::DateTime::from_timestamp(secs, 0).unwrap();
                    let l = &s.lifecycle;
                    for d in [
                        s.grace,
                        s.announce_remind_after,
                        s.checkins.remind_after,
                        s.checkins.close_after,
                        l.nudge_after,
                        l.ask_office_after,
                        l.suggest_alumni_after,
                        l.renewal_grace,
                        o.lease,
                        o.base_backoff,
                        o.max_backoff,
                    ] {
                        // What the scheduler does with them: occurrences plus and minus a
                        // duration, a day past it, and how late an occurrence is.
                        let later = now + d;
                        let earlier = now - d + chrono::Duration::microseconds(1);
                        let day_after = (now + chrono::Duration::days(1)) - d;
                        prop_assert!(earlier <= later && day_after <= later + chrono::Duration::days(1));
                        prop_assert!(now - earlier >= chrono::Duration::zero());
                        prop_assert!(d.num_days() <= 3653);
                    }
                    // The outbox's wait after any number of failures, from any moment.
                    let wait = ambassador_core::program::backoff(&o, attempts);
                    prop_assert!(wait <= o.max_backoff);
                    prop_assert!(now.checked_add_signed(wait).is_some());
                }
            }

            /// Any count for any count setting: refused with the key and the range, or accepted
            /// within it.
            #[test]
            fn counts_are_refused_or_accepted_within_range(
                index in 0..COUNT_RANGES.len(),
                value in any::<u32>(),
            ) {
                let (key, lo, hi) = COUNT_RANGES[index];
                let mut c = Config::default();
                set_count(&mut c, key, value);
                let named = c.problems().into_iter().find(|p| p.key == key);
                if (lo..=hi).contains(&u64::from(value)) {
                    prop_assert!(named.is_none(), "{named:?}");
                } else {
                    let p = named.expect("refused");
                    prop_assert!(p.message.contains(&format!("allowed {lo} to {hi}")), "{p}");
                }
            }
        }
    }
}
