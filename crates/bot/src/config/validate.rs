//! What `check-config`, `run` and `console` refuse or warn about, each problem with its key.

use super::*;

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

/// One error naming every problem, or nothing to say.
fn refuse(problems: Vec<Problem>) -> anyhow::Result<()> {
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

impl Config {
    /// Every duration setting: its key and its text.
    pub fn durations(&self) -> [(&'static str, &str); 12] {
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
            (
                "requests.acknowledge_within",
                &self.requests.acknowledge_within,
            ),
        ]
    }

    /// Every count and size setting: its key and its value.
    pub fn counts(&self) -> [(&'static str, u64); 12] {
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
            ("requests.need_question", self.requests.need_question.into()),
        ]
    }

    /// Refuses a configuration `check-config` refuses (`problems`), before anything starts: what
    /// `console` checks first (`run` also checks `delivery_problems`).
    pub fn ensure_valid(&self) -> anyhow::Result<()> {
        refuse(self.problems())
    }

    /// What `run` refuses to start on: the [`problems`](Self::problems), and messages that
    /// could not be delivered (a digest channel on a platform that is not enabled).
    pub fn ensure_runnable(&self) -> anyhow::Result<()> {
        let mut problems = self.problems();
        problems.extend(self.delivery_problems());
        refuse(problems)
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
        if let Err(e) = ambassador_core::Cron::parse(&self.requests.summary_schedule) {
            bad("requests.summary_schedule", e);
        }
        let questions = self
            .checkins
            .questions
            .iter()
            .filter(|q| !q.trim().is_empty())
            .count();
        if let Err(e) = parse_duration(&self.requests.acknowledge_within) {
            bad("requests.acknowledge_within", e);
        }
        // Out of its range it is refused by the range check below, alone.
        if bounded_count("requests.need_question", self.requests.need_question.into()).is_ok()
            && usize::try_from(self.requests.need_question).unwrap_or(usize::MAX) > questions
        {
            bad(
                "requests.need_question",
                format!(
                    "{}: there are {questions} check-in questions; give the number of one (1 = the first), or 0 for none",
                    self.requests.need_question
                ),
            );
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
        if let Some(base) = self.dashboard.base() {
            if !(base.starts_with("https://") || is_loopback_http(&base)) {
                bad(
                    "dashboard.base_url",
                    format!(
                        "`{base}`: use an https:// address (the reverse proxy's); plain http only on this machine (http://127.0.0.1:8080)"
                    ),
                );
            } else if base.contains(['?', '#']) {
                bad(
                    "dashboard.base_url",
                    format!(
                        "`{base}`: an address without ? or #, like https://ambassadors.example.com"
                    ),
                );
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
}
