//! The configuration mapped to the settings the core and the outbox take.

use super::*;

impl Config {
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
                "requests.",
                "dashboard.",
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
                requests: self.digest.requests,
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
            requests: ambassador_core::RequestSettings {
                need_question: self
                    .requests
                    .need_question
                    .checked_sub(1)
                    .and_then(|i| usize::try_from(i).ok()),
                acknowledge_within: d(
                    "requests.acknowledge_within",
                    &self.requests.acknowledge_within,
                )?,
                summary: ambassador_core::Cron::parse(&self.requests.summary_schedule)
                    .map_err(anyhow::Error::msg)?,
            },
            dashboard: ambassador_core::DashboardSettings {
                base_url: self.dashboard.base().filter(|_| self.dashboard.enabled),
                ..ambassador_core::DashboardSettings::default()
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
