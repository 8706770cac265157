//! The program office's views of check-ins: `/ambassadors checkins` (rounds, response rate, time to
//! answer, who is missing) and `/ambassadors feedback` (answers by region and department).

use super::resolve::Scope;
use super::{Caller, Outcome, Program, percent};
use crate::message::{Message, Reply, Rich};
use crate::model::{CheckinEntry, CheckinFilter, CheckinStatus, RoundId};
use crate::ports::{Clock, Store};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;

/// How many rounds `/ambassadors checkins` shows.
const ROUNDS_SHOWN: usize = 6;
/// How many answers `/ambassadors feedback` shows at most.
const FEEDBACK_MAX: usize = 40;

/// "2 h 5 min", "3 d 4 h".
pub fn human_duration(d: Duration) -> String {
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

pub use crate::model::CheckinCounts;

/// The check-in response rate: answered / (prompted − skipped − paused) over the *closed* rounds
/// (README, "Response rate"). Built only by [`response_rate`] and, for one round counted in the
/// store, [`ResponseRate::of_round`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResponseRate {
    /// The check-ins of the closed rounds.
    pub closed: CheckinCounts,
    pub closed_rounds: u32,
    /// Rounds still open: shown as open, never counted.
    pub open_rounds: u32,
    /// The check-ins of the open rounds.
    pub open: CheckinCounts,
}

impl ResponseRate {
    /// The response rate of one round whose check-ins count as `counts`: counted once it has
    /// closed, shown as open before.
    pub fn of_round(counts: CheckinCounts, open: bool) -> ResponseRate {
        let mut rate = ResponseRate::default();
        if open {
            rate.open_rounds = 1;
            rate.open = counts;
        } else {
            rate.closed_rounds = 1;
            rate.closed = counts;
        }
        rate
    }

    /// Answered of expected in the closed rounds as a rounded percentage; `None` when no closed
    /// round expected an answer.
    pub fn percent(&self) -> Option<u64> {
        let expected = self.closed.expected();
        (expected > 0).then(|| percent(u64::from(self.closed.answered), u64::from(expected)))
    }

    /// Answered of expected in the closed rounds, 0 to 1; `None` when no closed round expected an
    /// answer.
    pub fn ratio(&self) -> Option<f64> {
        let expected = self.closed.expected();
        (expected > 0).then(|| f64::from(self.closed.answered) / f64::from(expected))
    }

    /// "67%"; "open" while every round counted is open; "—" when nothing is expected.
    pub fn shown(&self) -> String {
        match self.percent() {
            Some(p) => format!("{p}%"),
            None if self.closed_rounds == 0 && self.open_rounds > 0 => "open".into(),
            None => "—".into(),
        }
    }

    /// One person's check-ins in words: "2 of 3 answered (67%) · 1 skipped · 1 open".
    pub fn describe(&self) -> String {
        let c = &self.closed;
        let mut parts = vec![if self.closed_rounds == 0 {
            "no round closed yet".to_string()
        } else if let Some(p) = self.percent() {
            format!("{} of {} answered ({p}%)", c.answered, c.expected())
        } else {
            "none expected".to_string()
        }];
        if c.skipped > 0 {
            parts.push(format!("{} skipped", c.skipped));
        }
        if c.paused > 0 {
            parts.push(format!("{} paused", c.paused));
        }
        if self.open.prompted > 0 {
            parts.push(format!("{} open", self.open.prompted));
        }
        parts.join(" · ")
    }
}

/// The response rate of `entries` at `now`: a round is closed once every one of its check-ins
/// among `entries` has closed; the check-ins of open rounds are counted apart, never as missed.
pub fn response_rate<'a>(
    entries: impl IntoIterator<Item = &'a CheckinEntry>,
    now: DateTime<Utc>,
) -> ResponseRate {
    let mut rounds: BTreeMap<RoundId, (bool, CheckinCounts)> = BTreeMap::new();
    for e in entries {
        let (open, counts) = rounds.entry(e.checkin.round).or_default();
        *open |= e.checkin.closes_at > now;
        counts.add(e.checkin.status);
    }
    let mut rate = ResponseRate::default();
    for (open, c) in rounds.into_values() {
        let (n, sum) = if open {
            (&mut rate.open_rounds, &mut rate.open)
        } else {
            (&mut rate.closed_rounds, &mut rate.closed)
        };
        *n += 1;
        sum.add_all(c);
    }
    rate
}

/// The latest round among `entries` that has closed by `now`, with its response rate.
pub fn latest_closed_round<'a>(
    entries: impl IntoIterator<Item = &'a CheckinEntry>,
    now: DateTime<Utc>,
) -> Option<(RoundId, ResponseRate)> {
    let mut rounds: BTreeMap<RoundId, Vec<&CheckinEntry>> = BTreeMap::new();
    for e in entries {
        rounds.entry(e.checkin.round).or_default().push(e);
    }
    rounds.into_iter().rev().find_map(|(round, list)| {
        let rate = response_rate(list, now);
        (rate.open_rounds == 0).then_some((round, rate))
    })
}

/// Counts and time to answer of one round, for display.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RoundStats {
    pub counts: CheckinCounts,
    pub median_to_answer: Option<Duration>,
}

impl RoundStats {
    pub fn of(entries: &[&CheckinEntry]) -> RoundStats {
        let mut s = RoundStats::default();
        let mut times: Vec<Duration> = Vec::new();
        for e in entries {
            s.counts.add(e.checkin.status);
            if e.checkin.status == CheckinStatus::Answered
                && let Some(at) = e.checkin.answered_at
            {
                times.push(at - e.checkin.prompted_at);
            }
        }
        times.sort();
        s.median_to_answer = times
            .get(times.len() / 2)
            .copied()
            .filter(|_| !times.is_empty());
        s
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
            let rate = response_rate(list.iter().copied(), now);
            let open = rate.open_rounds > 0;
            rows.push(vec![
                Rich::text(format!("{round}{}", if open { " (open)" } else { "" })),
                Rich::text(stats.counts.prompted.to_string()),
                Rich::text(stats.counts.answered.to_string()),
                Rich::text(stats.counts.skipped.to_string()),
                Rich::text(stats.counts.paused.to_string()),
                Rich::text(rate.shown()),
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
        let latest_open = list.iter().any(|e| e.checkin.closes_at > now);
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
                Rich::text(if latest_open {
                    format!("Not answered yet in the round of {latest}: ")
                } else {
                    format!("No answer in the round of {latest}: ")
                })
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
        m = m.context(
            "Response: answered of those expected (prompted, less skipped and paused), once the round has closed; an open round is not counted.",
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Account, Ambassador, AmbassadorStatus, Checkin, Department, Person, Platform,
    };
    use chrono::TimeZone;

    fn entry(round: u32, status: CheckinStatus, closes_day: u32) -> CheckinEntry {
        let day = |d: u32| Utc.with_ymd_and_hms(2027, 1, d, 9, 0, 0).unwrap();
        CheckinEntry {
            checkin: Checkin {
                round: NaiveDate::from_ymd_opt(2027, 1, round).unwrap(),
                person: 1,
                status,
                prompted_at: day(round),
                closes_at: day(closes_day),
                reminded_at: None,
                answer: String::new(),
                answered_at: None,
                flagged: false,
            },
            ambassador: Ambassador {
                person: Person {
                    id: 1,
                    account: Account::new(Platform::Console, "ada"),
                    display_name: "ada".into(),
                    time_zone: None,
                    time_zone_chosen: false,
                },
                department: Department {
                    id: 1,
                    name: "Platform".into(),
                    region: "EMEA".into(),
                    headcount: None,
                },
                status: AmbassadorStatus::Active,
                since: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                until: None,
                time_zone: "UTC".into(),
                checkins_paused_until: None,
            },
        }
    }

    #[test]
    fn the_response_rate_counts_closed_rounds_and_rounds_to_the_nearest() {
        use CheckinStatus::*;
        let entries = [
            // Round of the 4th, closed on the 10th: 1 answered of 3 expected (1 skipped).
            entry(4, Answered, 10),
            entry(4, Missed, 10),
            entry(4, Open, 10),
            entry(4, Skipped, 10),
            // Round of the 11th: closed for one ambassador, open for the other until the 17th.
            entry(11, Missed, 15),
            entry(11, Answered, 17),
        ];
        let now = Utc.with_ymd_and_hms(2027, 1, 16, 0, 0, 0).unwrap();
        let rate = response_rate(&entries, now);
        assert_eq!((rate.closed_rounds, rate.open_rounds), (1, 1));
        assert_eq!((rate.closed.answered, rate.closed.expected()), (1, 3));
        assert_eq!(rate.percent(), Some(33));
        assert_eq!(rate.shown(), "33%");
        assert_eq!(
            rate.describe(),
            "1 of 3 answered (33%) · 1 skipped · 2 open"
        );
        let (round, latest) = latest_closed_round(&entries, now).unwrap();
        assert_eq!(round, NaiveDate::from_ymd_opt(2027, 1, 4).unwrap());
        assert_eq!(latest, response_rate(&entries[..4], now));

        let later = Utc.with_ymd_and_hms(2027, 1, 18, 0, 0, 0).unwrap();
        let rate = response_rate(&entries, later);
        assert_eq!((rate.closed.answered, rate.closed.expected()), (2, 5));
        assert_eq!(rate.percent(), Some(40));
        let two_of_three = [
            entry(4, Answered, 10),
            entry(4, Answered, 10),
            entry(4, Missed, 10),
        ];
        assert_eq!(response_rate(&two_of_three, later).shown(), "67%");

        let early = Utc.with_ymd_and_hms(2027, 1, 5, 0, 0, 0).unwrap();
        let open = response_rate(&entries[..4], early);
        assert_eq!((open.percent(), open.shown()), (None, "open".to_string()));
        assert_eq!(open.describe(), "no round closed yet · 4 open");
        assert_eq!(latest_closed_round(&entries, early), None);
        let skipped = response_rate(&[entry(4, Skipped, 10)], later);
        assert_eq!(
            (skipped.percent(), skipped.shown()),
            (None, "—".to_string())
        );
    }
}
