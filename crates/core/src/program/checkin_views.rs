//! The program office's views of check-ins: `/ambassadors checkins` (rounds, response rate, time to
//! answer, who is missing) and `/ambassadors feedback` (answers by region and department).

use super::resolve::Scope;
use super::{Caller, Outcome, Program, percent};
use crate::message::{Message, Reply, Rich};
use crate::model::{CheckinEntry, CheckinFilter, CheckinStatus, RoundId};
use crate::ports::{Clock, Store};
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;

/// How many rounds `/ambassadors checkins` shows.
const ROUNDS_SHOWN: usize = 6;
/// How many answers `/ambassadors feedback` shows at most.
const FEEDBACK_MAX: usize = 40;

/// "2 h 5 min", "3 d 4 h".
pub(crate) fn human_duration(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (1, 0, 0) => "1 day".into(),
        (d, 0, 0) => format!("{d} days"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// Response figures of one round.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RoundStats {
    pub prompted: u32,
    pub answered: u32,
    pub skipped: u32,
    /// Taken out of the round by a pause that began while it was open.
    pub paused: u32,
    pub missing: u32,
    pub median_to_answer: Option<Duration>,
}

impl RoundStats {
    pub fn of(entries: &[&CheckinEntry]) -> RoundStats {
        let mut s = RoundStats::default();
        let mut times: Vec<Duration> = Vec::new();
        for e in entries {
            s.prompted += 1;
            match e.checkin.status {
                CheckinStatus::Answered => {
                    s.answered += 1;
                    if let Some(at) = e.checkin.answered_at {
                        times.push(at - e.checkin.prompted_at);
                    }
                }
                CheckinStatus::Skipped => s.skipped += 1,
                CheckinStatus::Paused => s.paused += 1,
                CheckinStatus::Open | CheckinStatus::Missed => s.missing += 1,
            }
        }
        times.sort();
        s.median_to_answer = times
            .get(times.len() / 2)
            .copied()
            .filter(|_| !times.is_empty());
        s
    }

    /// Answered out of those expected to answer (skipped and paused check-ins excluded).
    pub fn rate(&self) -> u64 {
        percent(
            u64::from(self.answered),
            u64::from(self.prompted - self.skipped - self.paused),
        )
    }
}

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn checkins_view(&self, caller: &Caller) -> Outcome {
        let from = self.today() - Duration::weeks(26);
        let entries = self
            .store
            .checkins(&CheckinFilter {
                from_round: Some(from),
                ..CheckinFilter::default()
            })
            .await?;
        let mut rounds: BTreeMap<RoundId, Vec<&CheckinEntry>> = BTreeMap::new();
        for e in &entries {
            rounds.entry(e.checkin.round).or_default().push(e);
        }
        let mut m = Message::new().heading("Check-ins");
        if rounds.is_empty() {
            return Ok(vec![Reply::caller(m.paragraph(format!(
                "No check-in rounds yet. Prompts go out on the schedule `{}` in each ambassador's time zone.",
                self.settings.checkins.schedule.text
            )))]);
        }
        let now = self.clock.now();
        let mut rows = Vec::new();
        for (round, list) in rounds.iter().rev().take(ROUNDS_SHOWN) {
            let stats = RoundStats::of(list);
            let open = list.iter().any(|e| e.checkin.closes_at > now);
            rows.push(vec![
                Rich::text(format!("{round}{}", if open { " (open)" } else { "" })),
                Rich::text(stats.prompted.to_string()),
                Rich::text(stats.answered.to_string()),
                Rich::text(stats.skipped.to_string()),
                Rich::text(stats.paused.to_string()),
                Rich::text(format!("{}%", stats.rate())),
                Rich::text(
                    stats
                        .median_to_answer
                        .map(human_duration)
                        .unwrap_or_else(|| "—".into()),
                ),
            ]);
        }
        m = m.table(
            &[
                "Round",
                "Prompted",
                "Answered",
                "Skipped",
                "Paused",
                "Response",
                "Median time to answer",
            ],
            &[false, true, true, true, true, true, true],
            rows,
        );
        let (latest, list) = rounds.iter().next_back().expect("not empty");
        let missing: Vec<_> = list
            .iter()
            .filter(|e| {
                matches!(
                    e.checkin.status,
                    CheckinStatus::Open | CheckinStatus::Missed
                )
            })
            .map(|e| e.ambassador.person.as_ref())
            .collect();
        let paused: Vec<_> = list
            .iter()
            .filter(|e| e.checkin.status == CheckinStatus::Paused)
            .map(|e| e.ambassador.person.as_ref())
            .collect();
        m = if missing.is_empty() {
            m.paragraph(format!(
                "Everyone{} answered or skipped the round of {latest}.",
                if paused.is_empty() { "" } else { " else" }
            ))
        } else {
            m.paragraph(
                Rich::text(format!("Not answered yet in the round of {latest}: "))
                    .and_mentions(&missing),
            )
        };
        if !paused.is_empty() {
            m = m.paragraph(
                Rich::text(format!(
                    "Paused during the round of {latest} (not expected to answer): "
                ))
                .and_mentions(&paused),
            );
        }
        Ok(vec![Reply::caller(m.context(
            Rich::text("Answers: ").and_code(
                caller.cmd("ambassadors feedback [department|region] [since YYYY-MM-DD]"),
            ),
        ))])
    }

    pub(crate) async fn feedback_view(
        &self,
        caller: &Caller,
        scope: Option<&str>,
        since: Option<NaiveDate>,
    ) -> Outcome {
        let scope = self.optional_scope(caller, scope).await?;
        let since = since.unwrap_or_else(|| self.today() - Duration::days(30));
        let entries = self
            .store
            .checkins(&CheckinFilter {
                from_round: Some(since),
                answered_only: true,
                ..CheckinFilter::default()
            })
            .await?;
        let entries: Vec<&CheckinEntry> = entries
            .iter()
            .filter(|e| Scope::covers(&scope, &e.ambassador.department))
            .collect();
        let title = match &scope {
            None => format!("Feedback since {since}"),
            Some(s) => format!("Feedback from {} since {since}", s.label()),
        };
        let mut m = Message::new().heading(title);
        if entries.is_empty() {
            return Ok(vec![Reply::caller(
                m.paragraph("No check-in answers in that period."),
            )]);
        }
        // Grouped by region, then department; newest first inside each group.
        let mut groups: BTreeMap<(String, String), Vec<&CheckinEntry>> = BTreeMap::new();
        for e in entries.iter().take(FEEDBACK_MAX) {
            let d = &e.ambassador.department;
            groups
                .entry((d.region.clone(), d.name.clone()))
                .or_default()
                .push(e);
        }
        for ((region, department), list) in groups {
            m = m.paragraph(Rich::strong(format!("{region} · {department}")));
            let items = list
                .iter()
                .map(|e| {
                    Rich::new()
                        .and_mention(&e.ambassador.person.as_ref())
                        .and(format!(", round of {}: ", e.checkin.round))
                        .and(e.checkin.answer.clone())
                })
                .collect();
            m = m.list(items);
        }
        if entries.len() > FEEDBACK_MAX {
            m = m.context(format!(
                "… and {}. Narrow it down with a department, a region or a later date.",
                super::count(
                    (entries.len() - FEEDBACK_MAX) as u64,
                    "older answer",
                    "older answers"
                )
            ));
        }
        Ok(vec![Reply::caller(
            m.context("Private: only the program office sees this."),
        )])
    }
}
