//! What happened to requests in a period: one definition of received, answered, done and the time
//! to a first answer, for every report.

use super::*;

/// What happened to requests in a period `[from, to)`, one definition for every report: received
/// (asked in the period), answered (first office answer in the period), done and declined (closed
/// so in the period), and the median time from asking to that first answer, over the requests
/// first answered in the period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFigures {
    pub received: u64,
    pub answered: u64,
    pub done: u64,
    pub declined: u64,
    pub median_first_answer: Option<Duration>,
}

impl RequestFigures {
    pub fn is_empty(&self) -> bool {
        self.received == 0 && self.answered == 0 && self.done == 0 && self.declined == 0
    }

    /// "4 received, 3 answered (median first answer 1 day), 2 done".
    pub fn describe(&self) -> String {
        let mut s = format!("{} received, {} answered", self.received, self.answered);
        if let Some(m) = self.median_first_answer {
            s.push_str(&format!(" (median first answer {})", human_duration(m)));
        }
        s.push_str(&format!(", {} done", self.done));
        if self.declined > 0 {
            s.push_str(&format!(", {} declined", self.declined));
        }
        s
    }
}

/// [`RequestFigures`] of `requests` for `[from, to)`, overall and by region (keyed by the region's
/// name as the requests carry it, ordered by its name key).
pub fn request_figures(
    requests: &[Request],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (RequestFigures, BTreeMap<String, (String, RequestFigures)>) {
    let within = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t >= from && t < to);
    let mut total = Acc::default();
    let mut regions: BTreeMap<String, (String, Acc)> = BTreeMap::new();
    for r in requests {
        let region = &mut regions
            .entry(name_key(&r.region))
            .or_insert_with(|| (r.region.clone(), Acc::default()))
            .1;
        for acc in [&mut total, region] {
            if within(Some(r.created_at)) {
                acc.figures.received += 1;
            }
            if within(r.first_answer_at) {
                acc.figures.answered += 1;
                acc.waits
                    .push(r.first_answer_at.expect("within") - r.created_at);
            }
            if within(r.closed_at) {
                match r.status {
                    RequestStatus::Done => acc.figures.done += 1,
                    RequestStatus::Declined => acc.figures.declined += 1,
                    _ => {}
                }
            }
        }
    }
    let regions = regions
        .into_iter()
        .map(|(k, (name, acc))| (k, (name, acc.finish())))
        .filter(|(_, (_, f))| !f.is_empty())
        .collect();
    (total.finish(), regions)
}

#[derive(Default)]
struct Acc {
    figures: RequestFigures,
    waits: Vec<Duration>,
}

impl Acc {
    fn finish(mut self) -> RequestFigures {
        self.waits.sort();
        let n = self.waits.len();
        self.figures.median_first_answer = match n {
            0 => None,
            n if n % 2 == 1 => Some(self.waits[n / 2]),
            n => Some((self.waits[n / 2 - 1] + self.waits[n / 2]) / 2),
        };
        self.figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration, Utc};

    #[test]
    fn figures_count_each_event_in_its_period() {
        use chrono::TimeZone;
        let t = |d: u32| Utc.with_ymd_and_hms(2027, 1, d, 9, 0, 0).unwrap();
        let person = PersonRef {
            account: Account::new(crate::model::Platform::Console, "ada"),
            display_name: "Ada".into(),
        };
        let r = |id,
                 region: &str,
                 created,
                 answered: Option<DateTime<Utc>>,
                 done: Option<DateTime<Utc>>| Request {
            id,
            ambassador: person.clone(),
            department: "Finance".into(),
            region: region.into(),
            round: None,
            text: "x".into(),
            status: if done.is_some() {
                RequestStatus::Done
            } else {
                RequestStatus::Acknowledged
            },
            owner: None,
            labels: vec![],
            created_at: created,
            first_answer_at: answered,
            closed_at: done,
            note: None,
            overdue_listed_at: None,
        };
        let all = vec![
            r(1, "EMEA", t(2), Some(t(3)), Some(t(10))),
            r(2, "EMEA", t(4), Some(t(7)), None),
            r(3, "Americas", t(5), None, None),
            // Asked before the period, answered in it.
            r(4, "Americas", t(1), Some(t(6)), None),
        ];
        let (total, regions) = request_figures(&all, t(2), t(9));
        assert_eq!(total.received, 3);
        assert_eq!(total.answered, 3);
        assert_eq!(total.done, 0);
        // Waits of 1, 3 and 5 days: the median is 3.
        assert_eq!(total.median_first_answer, Some(Duration::days(3)));
        let emea = &regions["emea"].1;
        assert_eq!((emea.received, emea.answered), (2, 2));
        assert_eq!(emea.median_first_answer, Some(Duration::days(2)));
        assert_eq!(
            total.describe(),
            "3 received, 3 answered (median first answer 3 days), 0 done"
        );
    }
}
