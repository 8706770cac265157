//! The scheduler: which jobs exist, when their occurrences fall, and running what fell due exactly
//! once. Occurrences are computed in local time of an IANA zone, so a daylight-saving change never
//! shifts, skips or repeats a run; each is claimed in the store with its effects in one transaction.

use super::Program;
use crate::model::Effects;
use crate::ports::{Clock, Store, StoreResult};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use cron::Schedule;
use std::str::FromStr;

/// A cron schedule as configured: 5 fields (`min hour day month weekday`) or the `cron` crate's
/// 6–7 fields with seconds, read in local time.
#[derive(Clone, Debug)]
pub struct Cron {
    pub text: String,
    schedule: Schedule,
}

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields = text.split_whitespace().count();
        let full = match fields {
            5 => format!("0 {}", text.trim()),
            6 | 7 => text.trim().to_string(),
            _ => {
                return Err(format!(
                    "`{text}` is not a cron expression: write 5 fields, minute hour day month weekday, e.g. `0 9 * * Mon`"
                ));
            }
        };
        let schedule = Schedule::from_str(&full)
            .map_err(|e| format!("`{text}` is not a valid cron expression: {e}"))?;
        Ok(Cron {
            text: text.trim().to_string(),
            schedule,
        })
    }

    /// Occurrences in `(from, to]`, in zone `tz`. Each local time the expression names happens
    /// exactly once: an ambiguous local time (clocks going back) runs at its first instant; a
    /// local time that does not exist (clocks going forward) runs when the clocks have jumped,
    /// at the same distance past the jump.
    pub fn between(&self, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        if to <= from {
            return out;
        }
        // Walk the naive local times (treated as UTC only to enumerate them), from a little before
        // `from` so a time shifted by a gap is not missed.
        let start = from.with_timezone(&tz).naive_local() - Duration::hours(4);
        for naive in self.schedule.after(&Utc.from_utc_datetime(&start)) {
            let instant = resolve_local(tz, naive.naive_utc());
            if instant <= from {
                continue;
            }
            if instant > to {
                break;
            }
            if out.last() != Some(&instant) {
                out.push(instant);
            }
        }
        out
    }

    /// The first occurrence after `after`.
    pub fn next_after(&self, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut window = Duration::days(8);
        while window <= Duration::days(800) {
            if let Some(first) = self.between(tz, after, after + window).into_iter().next() {
                return Some(first);
            }
            window = window * 4;
        }
        None
    }
}

/// The instant of a local time in `tz` (see [`Cron::between`] for gaps and folds).
pub fn resolve_local(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    if let Some(t) = tz.from_local_datetime(&naive).earliest() {
        return t.with_timezone(&Utc);
    }
    // In a gap: read the time with the offset in force just before the jump.
    let mut back = Duration::minutes(30);
    while back <= Duration::hours(24) {
        if let Some(t) = tz.from_local_datetime(&(naive - back)).earliest() {
            return (t + back).with_timezone(&Utc);
        }
        back += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&naive)
}

/// The check-in prompts in zone `tz` in `(from, to]`: the schedule's occurrences in the weeks
/// `every_weeks` keeps.
fn checkin_prompts(
    c: &super::CheckinSettings,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    c.schedule
        .between(tz, from, to)
        .into_iter()
        .filter(|p| in_cadence(p.with_timezone(&tz).date_naive(), c.every_weeks))
        .collect()
}

/// Keeps every `every_weeks`-th week, counted from Monday 2024-01-01 (1: every week).
pub fn in_cadence(date: NaiveDate, every_weeks: u32) -> bool {
    if every_weeks <= 1 {
        return true;
    }
    let anchor = NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date");
    (date - anchor)
        .num_days()
        .div_euclid(7)
        .rem_euclid(i64::from(every_weeks))
        == 0
}

/// The kinds of scheduled work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobKind {
    /// Close a round: unanswered check-ins become missed, silent ambassadors are flagged.
    CheckinClose,
    /// Send check-in prompts to the ambassadors of one time zone.
    CheckinPrompt,
    /// Remind those who have not answered.
    CheckinReminder,
    /// Post the weekly digest.
    Digest,
    /// Remind ambassadors of announcements they have not acknowledged (hourly).
    AnnouncementReminders,
    /// Send the quarterly regional report to the office.
    QuarterlyReport,
    /// The daily lifecycle job: the inactivity ladder and yearly renewals.
    Lifecycle,
    /// The weekly requests summary to the office.
    RequestsSummary,
}

/// One scheduled job: a kind, in a time zone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Job {
    pub kind: JobKind,
    pub tz: Tz,
}

impl Job {
    /// The stable name occurrences are claimed under.
    pub fn name(&self) -> String {
        match self.kind {
            JobKind::CheckinPrompt => format!("checkin-prompt@{}", self.tz.name()),
            JobKind::CheckinReminder => format!("checkin-reminder@{}", self.tz.name()),
            JobKind::CheckinClose => format!("checkin-close@{}", self.tz.name()),
            JobKind::Digest => "digest".to_string(),
            JobKind::AnnouncementReminders => "announcement-reminders".to_string(),
            JobKind::QuarterlyReport => "quarterly-report".to_string(),
            JobKind::Lifecycle => "lifecycle".to_string(),
            JobKind::RequestsSummary => "requests-summary".to_string(),
        }
    }
}

/// The global cursor: when the scheduler last looked at all jobs. A job seen for the first time
/// (a new time zone on the roster) starts from it.
const SCHEDULER_CURSOR: &str = "scheduler";

/// What a tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Occurrences run now (job name, occurrence), in order.
    pub ran: Vec<(String, DateTime<Utc>)>,
    /// Occurrences found past the grace window and skipped (job name, occurrence).
    pub skipped: Vec<(String, DateTime<Utc>)>,
    /// Occurrences another instance had already claimed.
    pub already_claimed: u32,
}

impl<S: Store, C: Clock> Program<S, C> {
    /// The jobs for the time zones ambassadors are in.
    pub fn jobs(&self, zones: &[String]) -> Vec<Job> {
        let mut jobs: Vec<Job> = [
            JobKind::Digest,
            JobKind::AnnouncementReminders,
            JobKind::QuarterlyReport,
            JobKind::Lifecycle,
            JobKind::RequestsSummary,
        ]
        .into_iter()
        .map(|kind| Job {
            kind,
            tz: self.settings.time_zone,
        })
        .collect();
        for zone in zones {
            let Ok(tz) = zone.parse::<Tz>() else {
                continue;
            };
            for kind in [
                JobKind::CheckinPrompt,
                JobKind::CheckinReminder,
                JobKind::CheckinClose,
            ] {
                jobs.push(Job { kind, tz });
            }
        }
        jobs
    }

    /// Occurrences of `job` in `(from, to]`.
    pub fn occurrences(
        &self,
        job: &Job,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        let c = &self.settings.checkins;
        let shift = match job.kind {
            JobKind::Digest => {
                return self.settings.digest.schedule.between(job.tz, from, to);
            }
            // Due times come from the announcements themselves: see `job_occurrences`.
            JobKind::AnnouncementReminders => return Vec::new(),
            JobKind::QuarterlyReport => {
                return self.settings.quarterly_report.between(job.tz, from, to);
            }
            JobKind::Lifecycle => {
                return self.settings.lifecycle.schedule.between(job.tz, from, to);
            }
            JobKind::RequestsSummary => {
                return self.settings.requests.summary.between(job.tz, from, to);
            }
            JobKind::CheckinPrompt => Duration::zero(),
            JobKind::CheckinReminder => c.remind_after,
            JobKind::CheckinClose => c.close_after,
        };
        if job.kind == JobKind::CheckinReminder && c.remind_after >= c.close_after {
            return Vec::new();
        }
        checkin_prompts(c, job.tz, from - shift, to - shift)
            .into_iter()
            .map(|p| p + shift)
            .collect()
    }

    /// Occurrences of `job` in `(from, to]`, including those that depend on stored data: an
    /// announcement's reminder falls due `announce_remind_after` after it was made.
    pub async fn job_occurrences(
        &self,
        job: &Job,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DateTime<Utc>>> {
        if job.kind != JobKind::AnnouncementReminders {
            return Ok(self.occurrences(job, from, to));
        }
        let wait = self.settings.announce_remind_after;
        let mut due: Vec<DateTime<Utc>> = self
            .store
            .announcements(from - wait)
            .await?
            .into_iter()
            .map(|a| a.created_at + wait)
            .filter(|t| *t > from && *t <= to)
            .collect();
        due.sort();
        due.dedup();
        Ok(due)
    }

    /// The earliest occurrence of any job in `(after, until]`.
    pub async fn next_due(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let zones = self.store.ambassador_time_zones().await?;
        let mut next = None;
        for job in self.jobs(&zones) {
            if let Some(first) = self.job_occurrences(&job, after, until).await?.first() {
                next = Some(next.map_or(*first, |n: DateTime<Utc>| n.min(*first)));
            }
        }
        Ok(next)
    }

    /// Runs every occurrence that fell due since the last tick, in order, each exactly once across
    /// restarts and replicas. Occurrences older than the grace window are skipped and reported.
    pub async fn tick(&self) -> StoreResult<TickReport> {
        let now = self.clock.now();
        let mut report = TickReport::default();
        let zones = self.store.ambassador_time_zones().await?;
        let jobs = self.jobs(&zones);
        let global = self.store.scheduler_cursor(SCHEDULER_CURSOR).await?;
        let mut due: Vec<(DateTime<Utc>, &Job)> = Vec::new();
        for job in &jobs {
            let since = match self.store.scheduler_cursor(&job.name()).await? {
                Some(c) => Some(c),
                None => global,
            };
            if let Some(since) = since {
                due.extend(
                    self.job_occurrences(job, since, now)
                        .await?
                        .into_iter()
                        .map(|o| (o, job)),
                );
            }
        }
        due.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.kind.cmp(&b.1.kind)));
        for (occurrence, job) in due {
            let name = job.name();
            if now - occurrence > self.settings.grace {
                if self.store.skip_occurrence(&name, occurrence, now).await? {
                    report.skipped.push((name, occurrence));
                }
                continue;
            }
            let effects = self.plan(job, occurrence).await?;
            if self
                .store
                .commit_occurrence(&name, occurrence, now, &effects)
                .await?
            {
                report.ran.push((name, occurrence));
            } else {
                report.already_claimed += 1;
            }
        }
        for job in &jobs {
            self.store
                .advance_scheduler_cursor(&job.name(), now)
                .await?;
        }
        self.store
            .advance_scheduler_cursor(SCHEDULER_CURSOR, now)
            .await?;
        Ok(report)
    }

    /// What one occurrence decides (without claiming or applying it).
    pub async fn plan(&self, job: &Job, occurrence: DateTime<Utc>) -> StoreResult<Effects> {
        match job.kind {
            JobKind::CheckinPrompt => self.plan_prompts(job.tz, occurrence).await,
            JobKind::CheckinReminder => {
                self.plan_reminders(job.tz, occurrence - self.settings.checkins.remind_after)
                    .await
            }
            JobKind::CheckinClose => {
                self.plan_close(job.tz, occurrence - self.settings.checkins.close_after)
                    .await
            }
            JobKind::Digest => self.plan_digest(occurrence).await,
            JobKind::AnnouncementReminders => self.plan_announcement_reminders(occurrence).await,
            JobKind::QuarterlyReport => self.plan_quarterly_report(occurrence).await,
            JobKind::Lifecycle => self.plan_lifecycle(occurrence).await,
            JobKind::RequestsSummary => self.plan_requests_summary(occurrence).await,
        }
    }
}

/// How far ahead the check-in schedule is read to put it in words.
const CADENCE_HORIZON_DAYS: i64 = 400;

impl<S: Store, C: Clock> Program<S, C> {
    /// When check-in prompts come in zone `tz`, in words: see [`checkin_cadence`].
    pub fn checkin_cadence(&self, tz: Tz) -> String {
        checkin_cadence(&self.settings.checkins, tz, self.clock.now())
    }
}

/// When check-in prompts come in zone `tz` after `now`, in words read from the upcoming prompts
/// themselves (schedule and `every_weeks`): "every Monday at 09:00", "every other Monday at
/// 09:00", "on the first Monday of every month at 09:00"; a schedule that fits none of these is
/// "on the program's schedule (next: Monday 2027-03-08 at 09:00)".
pub fn checkin_cadence(c: &super::CheckinSettings, tz: Tz, now: DateTime<Utc>) -> String {
    // More than a few prompts a week is not a cadence worth a year of reading.
    let week = checkin_prompts(c, tz, now, now + Duration::days(8));
    let upcoming = if week.len() > 14 {
        week
    } else {
        checkin_prompts(c, tz, now, now + Duration::days(CADENCE_HORIZON_DAYS))
    };
    let local: Vec<NaiveDateTime> = upcoming
        .iter()
        .map(|t| t.with_timezone(&tz).naive_local())
        .collect();
    let horizon = (now + Duration::days(CADENCE_HORIZON_DAYS))
        .with_timezone(&tz)
        .naive_local();
    match (cadence_words(&local, horizon, c.every_weeks), local.first()) {
        (Some(words), _) => words,
        (None, Some(next)) => format!(
            "on the program's schedule (next: {})",
            next.format("%A %Y-%m-%d at %H:%M")
        ),
        (None, None) => "on the program's schedule, which has no date coming up".into(),
    }
}

/// Words for local times that follow one of the common cadences, all at the same time of day,
/// until `horizon` (the end of what was read): none when they follow no such rule. A rule of
/// every n weeks holds beyond what was read only as `every_weeks`; with weeks left out
/// (`every_weeks` > 1) no other rule does.
fn cadence_words(
    times: &[NaiveDateTime],
    horizon: NaiveDateTime,
    every_weeks: u32,
) -> Option<String> {
    use chrono::Datelike;
    let (first, last) = (times.first()?, times.last()?);
    if times.len() < 2 || times.iter().any(|t| t.time() != first.time()) {
        return None;
    }
    let dates: Vec<NaiveDate> = times.iter().map(|t| t.date()).collect();
    let gaps: Vec<i64> = dates.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
    // A schedule that stops (a year field) is not a cadence: the last prompt read must come
    // within one usual gap of the horizon.
    let widest = gaps.iter().copied().max()?;
    if (horizon.date() - last.date()).num_days() > widest {
        return None;
    }
    let at = first.format("at %H:%M");
    let weekdays: std::collections::BTreeSet<u32> = dates
        .iter()
        .map(|d| d.weekday().num_days_from_monday())
        .collect();
    let day_name = |n: u32| -> &'static str {
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ][n as usize]
    };
    if gaps.iter().all(|g| *g == 1) {
        return Some(format!("every day {at}"));
    }
    if weekdays.len() > 1 {
        // Every day of those weekdays, none left out.
        let expected = dates[0]
            .iter_days()
            .take_while(|d| d <= &dates[dates.len() - 1])
            .filter(|d| weekdays.contains(&d.weekday().num_days_from_monday()))
            .count();
        if expected != dates.len() {
            return None;
        }
        let names: Vec<&str> = weekdays.iter().map(|n| day_name(*n)).collect();
        return Some(
            if names == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"] {
                format!("every weekday (Monday to Friday) {at}")
            } else {
                format!("every {} {at}", and_list(&names))
            },
        );
    }
    let day = day_name(first.weekday().num_days_from_monday());
    if gaps.iter().all(|g| *g == 7 * i64::from(every_weeks)) {
        return Some(match every_weeks {
            1 => format!("every {day} {at}"),
            2 => format!("every other {day} {at}"),
            n => format!("every {n} weeks on {day} {at}"),
        });
    }
    if every_weeks > 1 {
        return None;
    }
    // The n-th (or last) weekday of the month, once in each month it happens in.
    let ordinal = |d: &NaiveDate| (d.day() - 1) / 7;
    let is_last = |d: &NaiveDate| (*d + Duration::days(7)).month() != d.month();
    let which = if ordinal(&dates[0]) < 4 && dates.iter().all(|d| ordinal(d) == ordinal(&dates[0]))
    {
        ["first", "second", "third", "fourth"][ordinal(&dates[0]) as usize]
    } else if dates.iter().all(is_last) {
        "last"
    } else {
        return None;
    };
    let mut months = std::collections::BTreeSet::new();
    if !dates.iter().all(|d| months.insert((d.year(), d.month()))) {
        return None;
    }
    let in_year: std::collections::BTreeSet<u32> = months.iter().map(|(_, m)| *m).collect();
    let of = if in_year.len() == 12 {
        "every month".to_string()
    } else {
        let names: Vec<&str> = in_year
            .iter()
            .map(|m| {
                [
                    "January",
                    "February",
                    "March",
                    "April",
                    "May",
                    "June",
                    "July",
                    "August",
                    "September",
                    "October",
                    "November",
                    "December",
                ][*m as usize - 1]
            })
            .collect();
        and_list(&names)
    };
    Some(format!("on the {which} {day} of {of} {at}"))
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike, Weekday};

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn weekly_at_nine_local_over_a_year_in_three_zones() {
        let cron = Cron::parse("0 9 * * Mon").unwrap();
        for zone in ["Europe/Berlin", "America/New_York", "Australia/Sydney"] {
            let tz: Tz = zone.parse().unwrap();
            let runs = cron.between(tz, utc("2027-01-01T00:00:00Z"), utc("2028-01-01T00:00:00Z"));
            assert!(
                runs.len() == 52 || runs.len() == 53,
                "{zone}: {}",
                runs.len()
            );
            for r in &runs {
                let local = r.with_timezone(&tz);
                assert_eq!(
                    (local.weekday(), local.hour(), local.minute()),
                    (Weekday::Mon, 9, 0)
                );
            }
            let mut dedup = runs.clone();
            dedup.dedup();
            assert_eq!(dedup.len(), runs.len());
        }
    }

    #[test]
    fn a_time_in_the_spring_gap_runs_once_after_the_jump_and_a_folded_time_once() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 02:30 does not exist on 2027-03-28 in Berlin; it exists twice on 2027-10-31.
        let cron = Cron::parse("30 2 * * *").unwrap();
        let spring = cron.between(tz, utc("2027-03-27T12:00:00Z"), utc("2027-03-29T12:00:00Z"));
        assert_eq!(
            spring,
            vec![utc("2027-03-28T01:30:00Z"), utc("2027-03-29T00:30:00Z")]
        );
        let autumn = cron.between(tz, utc("2027-10-30T12:00:00Z"), utc("2027-11-01T12:00:00Z"));
        assert_eq!(
            autumn,
            vec![utc("2027-10-31T00:30:00Z"), utc("2027-11-01T01:30:00Z")]
        );
    }

    #[test]
    fn cadence_keeps_every_other_week_and_monthly_cron_is_the_first_monday() {
        let mondays: Vec<NaiveDate> = (0..6)
            .map(|w| NaiveDate::from_ymd_opt(2027, 1, 4).unwrap() + Duration::weeks(w))
            .collect();
        let kept: Vec<bool> = mondays.iter().map(|d| in_cadence(*d, 2)).collect();
        assert_eq!(kept.iter().filter(|k| **k).count(), 3);
        assert_ne!(kept[0], kept[1]);
        let monthly = Cron::parse("0 9 1-7 * Mon").unwrap();
        let runs = monthly.between(
            Tz::UTC,
            utc("2027-01-01T00:00:00Z"),
            utc("2028-01-01T00:00:00Z"),
        );
        assert_eq!(runs.len(), 12);
        assert!(
            runs.iter()
                .all(|r| r.weekday() == Weekday::Mon && r.day() <= 7)
        );
    }

    fn words(cron: &str, every_weeks: u32, tz: &str) -> String {
        let c = crate::program::CheckinSettings {
            schedule: Cron::parse(cron).unwrap(),
            every_weeks,
            ..Default::default()
        };
        checkin_cadence(&c, tz.parse().unwrap(), utc("2027-03-03T12:00:00Z"))
    }

    #[test]
    fn the_checkin_cadence_in_words() {
        assert_eq!(
            words("0 9 * * Mon", 1, "Europe/Berlin"),
            "every Monday at 09:00"
        );
        assert_eq!(
            words("0 9 * * Mon", 2, "Europe/Berlin"),
            "every other Monday at 09:00"
        );
        assert_eq!(
            words("30 8 * * Tue", 3, "UTC"),
            "every 3 weeks on Tuesday at 08:30"
        );
        assert_eq!(
            words("0 9 1-7 * Mon", 1, "America/New_York"),
            "on the first Monday of every month at 09:00"
        );
        assert_eq!(
            words("0 10 1-7 1,4,7,10 Mon", 1, "UTC"),
            "on the first Monday of January, April, July and October at 10:00"
        );
        assert_eq!(words("0 9 * * *", 1, "UTC"), "every day at 09:00");
        assert_eq!(
            words("0 9 * * Mon-Fri", 1, "UTC"),
            "every weekday (Monday to Friday) at 09:00"
        );
        assert_eq!(
            words("0 9 * * Mon,Thu", 1, "UTC"),
            "every Monday and Thursday at 09:00"
        );
        // Not one of those: the real next prompt, never a made-up rule.
        assert_eq!(
            words("0 9 15 * *", 1, "UTC"),
            "on the program's schedule (next: Monday 2027-03-15 at 09:00)"
        );
        assert_eq!(
            words("0 9 1-7 * Mon", 2, "UTC"),
            "on the program's schedule (next: Monday 2027-04-05 at 09:00)"
        );
        // A time that falls in a daylight-saving gap does not keep one time of day.
        assert!(words("30 2 * * Sun", 1, "Europe/Berlin").starts_with("on the program's schedule"));
    }

    #[test]
    fn bad_cron_expressions_are_explained() {
        assert!(
            Cron::parse("every monday")
                .unwrap_err()
                .contains("5 fields")
        );
        assert!(
            Cron::parse("0 25 * * Mon")
                .unwrap_err()
                .contains("not a valid cron")
        );
        assert!(
            Cron::next_after(
                &Cron::parse("0 9 * * Mon").unwrap(),
                Tz::UTC,
                utc("2027-01-01T00:00:00Z")
            )
            .is_some()
        );
    }
}
