//! The configuration's sections and keys, with their defaults.

use super::*;

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
    pub requests: RequestsConfig,
    pub console: ConsoleConfig,
    pub slack: SlackConfig,
    pub matrix: MatrixConfig,
    pub http: HttpConfig,
    pub dashboard: DashboardConfig,
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
    pub requests: bool,
}

impl Default for DigestConfig {
    fn default() -> Self {
        let d = ambassador_core::DigestSettings::default();
        DigestConfig {
            schedule: d.schedule.text.clone(),
            channels: d.channels.iter().map(ToString::to_string).collect(),
            empty_week: "short".into(),
            requests: d.requests,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestsConfig {
    /// The check-in question (1 = the first) whose answer becomes a request; 0: none.
    pub need_question: u32,
    pub acknowledge_within: String,
    pub summary_schedule: String,
}

impl Default for RequestsConfig {
    fn default() -> Self {
        let r = ambassador_core::RequestSettings::default();
        RequestsConfig {
            need_question: r
                .need_question
                .and_then(|i| u32::try_from(i + 1).ok())
                .unwrap_or(0),
            acknowledge_within: duration_text(r.acknowledge_within),
            summary_schedule: r.summary.text.clone(),
        }
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
    /// Calls to the Web API wait their turn within Slack's rate limits.
    pub rate_control: bool,
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
            rate_control: true,
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

/// The allowed range of `http.header_timeout` and `http.body_timeout`, written as durations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DashboardConfig {
    /// Whether `run` serves the web dashboard under /dashboard.
    pub enabled: bool,
    /// The address people reach the bot's HTTP server at (behind the company's reverse proxy),
    /// for the sign-in links `ambassadors dashboard` sends; empty: no links.
    pub base_url: String,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            enabled: true,
            base_url: String::new(),
        }
    }
}

impl DashboardConfig {
    /// The base URL without a trailing slash; `None` when unset.
    pub fn base(&self) -> Option<String> {
        Some(self.base_url.trim().trim_end_matches('/').to_string()).filter(|b| !b.is_empty())
    }
}

/// Whether `url` is plain http to this machine (a trial on loopback), where a session cookie
/// cannot be `Secure`.
pub fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.trim().strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub const HTTP_TIMEOUT_RANGE: (&str, &str) = ("1s", "5m");
/// The allowed range of `http.max_connections`.
pub const HTTP_MAX_CONNECTIONS_RANGE: (u64, u64) = (1, 100_000);

impl HttpConfig {
    /// The HTTP server's limits, or what is wrong with them (key, message): the same range
    /// checks as every other duration and count.
    pub fn limits(&self) -> Result<crate::serve::Limits, Vec<(&'static str, String)>> {
        let mut wrong = Vec::new();
        let (least, most) = HTTP_TIMEOUT_RANGE;
        let mut timeout = |key: &'static str, text: &str| match duration_within(text, least, most)
            .and_then(|d| d.to_std().map_err(|e| e.to_string()))
        {
            Ok(d) => d,
            Err(message) => {
                wrong.push((key, message));
                std::time::Duration::ZERO
            }
        };
        let header_timeout = timeout("http.header_timeout", &self.header_timeout);
        let body_timeout = timeout("http.body_timeout", &self.body_timeout);
        let (lo, hi) = HTTP_MAX_CONNECTIONS_RANGE;
        let max_connections = u64::try_from(self.max_connections).unwrap_or(u64::MAX);
        if let Err(message) = count_within(max_connections, lo, hi) {
            wrong.push(("http.max_connections", message));
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
