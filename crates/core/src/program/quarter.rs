//! The quarterly regional report: per region, coverage, check-in participation, activities by tag,
//! kudos, and new and departed ambassadors. Sent to the office on a schedule, and on demand.

use super::activity::tag_counts;
use super::checkin_views::response_rate;
use super::{Caller, Outcome, Program, percent, thousands};
use crate::message::{Message, Reply, Rich};
use crate::model::{
    ActivityFilter, AmbassadorStatus, CheckinFilter, Effects, RosterFilter, name_key,
};
use crate::ports::{Clock, Destination, Outgoing, Store, StoreResult};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::BTreeMap;

/// The first day of a quarter, and the first day of the next.
pub fn quarter_days(year: i32, quarter: u32) -> (NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(year, (quarter - 1) * 3 + 1, 1).expect("valid quarter");
    let end = if quarter == 4 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, quarter * 3 + 1, 1)
    }
    .expect("valid quarter");
    (start, end)
}

/// The quarter a day is in.
pub fn quarter_of(day: NaiveDate) -> (i32, u32) {
    (day.year(), (day.month() - 1) / 3 + 1)
}

#[derive(Default)]
struct RegionQuarter {
    departments: u32,
    covered: u32,
    checkins: Vec<crate::model::CheckinEntry>,
    activities: Vec<crate::model::ActivityEntry>,
    audience: u64,
    kudos: u64,
    new: Vec<crate::model::PersonRef>,
    departed: Vec<crate::model::PersonRef>,
}

type Regions = BTreeMap<String, (String, RegionQuarter)>;

fn entry<'a>(regions: &'a mut Regions, name: &str) -> &'a mut RegionQuarter {
    &mut regions
        .entry(name_key(name))
        .or_insert_with(|| (name.to_string(), RegionQuarter::default()))
        .1
}

impl<S: Store, C: Clock> Program<S, C> {
    /// The report of a quarter (up to now when it is the current one).
    pub async fn quarter_report(&self, year: i32, quarter: u32) -> StoreResult<Message> {
        let (start, end) = quarter_days(year, quarter);
        let tz = self.settings.time_zone;
        let instant =
            |d: NaiveDate| super::resolve_local(tz, d.and_hms_opt(0, 0, 0).expect("midnight"));
        let mut regions: Regions = BTreeMap::new();
        for d in self.store.coverage(None).await? {
            let r = entry(&mut regions, &d.department.region);
            r.departments += 1;
            r.covered += u32::from(!d.active.is_empty());
        }
        let last_day = end.pred_opt().expect("a day before");
        for c in self
            .store
            .checkins(&CheckinFilter {
                from_round: Some(start),
                to_round: Some(last_day),
                ..CheckinFilter::default()
            })
            .await?
        {
            entry(&mut regions, &c.ambassador.department.region.clone())
                .checkins
                .push(c);
        }
        for a in self
            .store
            .activities(&ActivityFilter {
                from: Some(start),
                to: Some(last_day),
                ..ActivityFilter::default()
            })
            .await?
        {
            let r = entry(&mut regions, &a.ambassador.department.region.clone());
            r.audience += a.activity.audience.map(u64::from).unwrap_or(0);
            r.activities.push(a);
        }
        for (region, n) in self
            .store
            .kudos_by_region(instant(start), instant(end))
            .await?
        {
            if !region.is_empty() {
                entry(&mut regions, &region).kudos += n;
            }
        }
        let first_before = start.pred_opt().expect("a day before");
        for a in self
            .store
            .roster(&RosterFilter {
                include_alumni: true,
                changed_between: Some((first_before, last_day)),
                ..RosterFilter::default()
            })
            .await?
        {
            let r = entry(&mut regions, &a.department.region);
            if a.status == AmbassadorStatus::Alumni
                && a.until.is_some_and(|u| u >= start && u <= last_day)
            {
                r.departed.push(a.person.as_ref());
            } else if a.since >= start && a.since <= last_day {
                r.new.push(a.person.as_ref());
            }
        }

        let mut m = Message::new().heading(format!("Quarterly report — {year}-Q{quarter}"));
        m = m.paragraph(format!("{start} to {last_day}, by region."));
        let now = self.clock.now();
        let rows = regions
            .values()
            .map(|(name, r)| {
                vec![
                    Rich::text(name.clone()),
                    Rich::text(format!("{} of {}", r.covered, r.departments)),
                    Rich::text(response_rate(&r.checkins, now).shown()),
                    Rich::text(r.activities.len().to_string()),
                    Rich::text(thousands(r.audience)),
                    Rich::text(thousands(r.kudos)),
                    Rich::text(r.new.len().to_string()),
                    Rich::text(r.departed.len().to_string()),
                ]
            })
            .collect();
        m = m.table(
            &[
                "Region",
                "With ambassador",
                "Check-ins",
                "Activities",
                "Reached",
                "Kudos",
                "New",
                "Left",
            ],
            &[false, true, true, true, true, true, true, true],
            rows,
        );
        for (name, r) in regions.values() {
            let mut line = Rich::strong(name.clone());
            let covered = percent(u64::from(r.covered), u64::from(r.departments));
            line = line.and(format!(": {covered}% of departments have an ambassador"));
            let tags = tag_counts(r.activities.iter());
            if !tags.is_empty() {
                line = line.and(format!("; activities {tags}"));
            }
            if !r.new.is_empty() {
                line = line.and("; welcomed ").and_mentions(&r.new);
            }
            if !r.departed.is_empty() {
                line = line.and("; thanked ").and_mentions(&r.departed);
            }
            m = m.paragraph(line.and("."));
        }
        m = self
            .you_said_we_did(m, instant(start), instant(end), true)
            .await?;
        Ok(m.context("Check-ins: the response rate of the quarter's closed rounds, answered of those expected (prompted, less skipped and paused); open rounds are not counted. Reached: people at logged activities."))
    }

    pub(crate) async fn quarter_command(
        &self,
        _caller: &Caller,
        quarter: Option<(i32, u32)>,
    ) -> Outcome {
        let (year, q) = quarter.unwrap_or_else(|| quarter_of(self.today()));
        if quarter_days(year, q).0 > self.today() {
            return Err(super::refuse(format!("{year}-Q{q} has not started yet.")));
        }
        Ok(vec![Reply::caller(self.quarter_report(year, q).await?)])
    }

    /// The scheduled report: the quarter that ended before `occurrence`, to each office member.
    pub(crate) async fn plan_quarterly_report(
        &self,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<Effects> {
        let today = occurrence
            .with_timezone(&self.settings.time_zone)
            .date_naive();
        let (y, q) = quarter_of(today);
        let (year, quarter) = if q == 1 { (y - 1, 4) } else { (y, q - 1) };
        let report = self.quarter_report(year, quarter).await?;
        Ok(Effects {
            outbox: self
                .settings
                .office
                .iter()
                .map(|o| Outgoing {
                    key: format!("quarter:{year}-Q{quarter}:{o}"),
                    to: Destination::Direct(o.clone()),
                    message: report.clone(),
                })
                .collect(),
            ..Effects::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(quarter_days(2027, 1), (d("2027-01-01"), d("2027-04-01")));
        assert_eq!(quarter_days(2027, 4), (d("2027-10-01"), d("2028-01-01")));
        assert_eq!(quarter_of(d("2027-05-17")), (2027, 2));
    }
}
