//! `/kudos leaderboard [week|month|quarter|year] [region|department]`: who received and who gave
//! the most kudos in the current period, people who opted out left out, ties shown as ties.

use super::quarter::{quarter_days, quarter_of};
use super::{Caller, Outcome, Program, resolve_local, thousands};
use crate::command::{Grouping, Period};
use crate::message::{Message, Reply, Rich};
use crate::model::{KudosTally, PersonRef, RosterFilter, name_key};
use crate::ports::{Clock, Store};
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::{BTreeMap, HashMap};

/// Places shown on the whole organization's leaderboard, and in each group.
const TOP: usize = 5;
const TOP_IN_GROUP: usize = 3;
/// Names written on one place's line; more tied people are counted.
const NAMES_PER_PLACE: usize = 10;
/// The group of people the roster does not place in a department.
const OFF_ROSTER: &str = "Not on the roster (no department known)";

/// The first day of the current `period` that contains `today`.
pub(crate) fn period_start(period: Period, today: NaiveDate) -> NaiveDate {
    match period {
        Period::Week => today - Duration::days(i64::from(today.weekday().num_days_from_monday())),
        Period::Month => today.with_day(1).expect("the first of a month"),
        Period::Quarter => {
            let (y, q) = quarter_of(today);
            quarter_days(y, q).0
        }
        Period::Year => NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("the first of January"),
    }
}

/// One place of a ranking: everyone with the same count shares it.
struct Place<'a> {
    rank: usize,
    count: u64,
    people: Vec<&'a PersonRef>,
}

/// Standard competition ranking ("1, 2, 2, 4") of those with a count above zero, every place
/// ranked `top` or better (so a tie at the last place is shown whole). Also: how many people are
/// ranked at all.
fn places<'a>(mut entries: Vec<(&'a PersonRef, u64)>, top: usize) -> (Vec<Place<'a>>, usize) {
    entries.retain(|(_, n)| *n > 0);
    // Entries come ordered by display name; a stable sort keeps that order within a tie.
    entries.sort_by_key(|e| std::cmp::Reverse(e.1));
    let total = entries.len();
    let mut out: Vec<Place> = Vec::new();
    for (i, (person, count)) in entries.into_iter().enumerate() {
        match out.last_mut() {
            Some(last) if last.count == count => last.people.push(person),
            _ if i + 1 > top => break,
            _ => out.push(Place {
                rank: i + 1,
                count,
                people: vec![person],
            }),
        }
    }
    (out, total)
}

/// "Top receivers — 5 of 12 shown" and the ranked lines.
fn ranking(m: Message, what: &str, entries: Vec<(&PersonRef, u64)>, top: usize) -> Message {
    let (places, total) = places(entries, top);
    let shown: usize = places.iter().map(|p| p.people.len()).sum();
    let title = if total == 1 {
        format!("{} — 1 person", capitalized(what))
    } else if shown == total {
        format!("{} — all {total} shown", capitalized(what))
    } else if shown > top {
        format!("Top {what} — {shown} of {total} shown (a tie shares the last place)")
    } else {
        format!("Top {what} — {shown} of {total} shown")
    };
    let lines = places
        .iter()
        .map(|p| {
            let mut line = Rich::text(format!("{}. ", p.rank));
            for (i, person) in p.people.iter().take(NAMES_PER_PLACE).enumerate() {
                if i > 0 {
                    line = line.and(", ");
                }
                line = line.and_mention(person);
            }
            if p.people.len() > NAMES_PER_PLACE {
                line = line.and(format!(" and {} more", p.people.len() - NAMES_PER_PLACE));
            }
            line.and(format!(" — {} kudos", thousands(p.count)))
        })
        .collect();
    m.paragraph(Rich::strong(title)).list(lines)
}

fn refs(v: &[(PersonRef, u64)]) -> Vec<(&PersonRef, u64)> {
    v.iter().map(|(p, n)| (p, *n)).collect()
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn kudos_leaderboard(
        &self,
        caller: &Caller,
        period: Period,
        group: Option<Grouping>,
    ) -> Outcome {
        let tz = self.settings.time_zone;
        let today = self.today();
        let first = period_start(period, today);
        let midnight = |d: NaiveDate| resolve_local(tz, d.and_hms_opt(0, 0, 0).expect("midnight"));
        let (from, to) = (
            midnight(first),
            midnight(today.succ_opt().expect("a next day")),
        );
        let word = period.word();
        let dates = format!("{first} to {today}");
        let tally = self.store.kudos_tally(from, to).await?;
        if tally.is_empty() {
            let (given, _) = self.store.kudos_latest(from, to, 0).await?;
            let text = if given == 0 {
                Rich::text(format!(
                    "No kudos given this {word} yet ({dates}), so there is no leaderboard. Who helped you lately? "
                ))
                .and_code(caller.cmd("kudos @someone for what they did"))
            } else {
                Rich::text(format!(
                    "No one to show for this {word} ({dates}): the {} kudos given were between people who keep off leaderboards (",
                    thousands(given)
                ))
                .and_code(caller.cmd("kudos optout"))
                .and(").")
            };
            return Ok(vec![Reply::caller(Message::text(text))]);
        }
        let mut m = Message::new().heading(format!("Kudos leaderboard — this {word} ({dates})"));
        m = m.paragraph(
            Rich::text("How it counts: one ")
                .and_code(caller.cmd("kudos"))
                .and(" is 1 kudos given by its giver and 1 kudos received by each person it names. People with the same count share a place. Those who opted out (")
                .and_code(caller.cmd("kudos optout"))
                .and(") are left out."),
        );
        let received = |t: &[&KudosTally]| -> Vec<(PersonRef, u64)> {
            t.iter().map(|t| (t.person.clone(), t.received)).collect()
        };
        let given = |t: &[&KudosTally]| -> Vec<(PersonRef, u64)> {
            t.iter().map(|t| (t.person.clone(), t.given)).collect()
        };
        let all: Vec<&KudosTally> = tally.iter().collect();
        let Some(group) = group else {
            let (r, g) = (received(&all), given(&all));
            m = ranking(m, "receivers", refs(&r), TOP);
            m = ranking(m, "givers", refs(&g), TOP);
            return Ok(vec![Reply::caller(m)]);
        };
        // Where people work: their roster entries (alumni included, like the digest).
        let homes = self
            .store
            .roster(&RosterFilter {
                include_alumni: true,
                accounts: tally.iter().map(|t| t.person.account.clone()).collect(),
                ..RosterFilter::default()
            })
            .await?;
        let home: HashMap<_, _> = homes
            .iter()
            .map(|a| {
                let d = &a.department;
                let key = match group {
                    Grouping::Region => (name_key(&d.region), d.region.clone()),
                    Grouping::Department => (
                        format!("{}\u{0}{}", name_key(&d.region), name_key(&d.name)),
                        format!("{} · {}", d.region, d.name),
                    ),
                };
                (a.person.account.clone(), key)
            })
            .collect();
        // Groups ordered by name, people off the roster last.
        let mut groups: BTreeMap<(bool, String), (String, Vec<&KudosTally>)> = BTreeMap::new();
        for t in &tally {
            let (key, label) = match home.get(&t.person.account) {
                Some((key, label)) => ((false, key.clone()), label.clone()),
                None => ((true, String::new()), OFF_ROSTER.to_string()),
            };
            groups.entry(key).or_insert((label, Vec::new())).1.push(t);
        }
        m = m.paragraph(format!(
            "By {}: people are placed where they are (or were) ambassadors; everyone else is under “{OFF_ROSTER}”.",
            match group {
                Grouping::Region => "region",
                Grouping::Department => "department",
            }
        ));
        for (label, list) in groups.values() {
            m = m.paragraph(Rich::strong(label.clone()));
            let (r, g) = (received(list), given(list));
            if r.iter().any(|(_, n)| *n > 0) {
                m = ranking(m, "receivers", refs(&r), TOP_IN_GROUP);
            }
            if g.iter().any(|(_, n)| *n > 0) {
                m = ranking(m, "givers", refs(&g), TOP_IN_GROUP);
            }
        }
        Ok(vec![Reply::caller(m)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, Platform};

    fn p(name: &str) -> PersonRef {
        PersonRef {
            account: Account::new(Platform::Console, name),
            display_name: name.into(),
        }
    }

    #[test]
    fn ties_share_a_place_and_the_last_tie_is_shown_whole() {
        let people: Vec<PersonRef> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|n| p(n))
            .collect();
        let counts = [3, 3, 2, 1, 1, 0];
        let entries = people.iter().zip(counts).collect::<Vec<_>>();
        let (places, total) = places(entries.clone(), 3);
        assert_eq!(total, 5, "nobody with 0");
        let got: Vec<(usize, u64, Vec<&str>)> = places
            .iter()
            .map(|p| {
                (
                    p.rank,
                    p.count,
                    p.people.iter().map(|x| x.display_name.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [(1, 3, vec!["a", "b"]), (3, 2, vec!["c"])],
            "rank 4 is past the top 3"
        );
        let (places, _) = places_of(entries, 4);
        assert_eq!(places, [(1, 2), (3, 1), (4, 2)]);
    }

    fn places_of(entries: Vec<(&PersonRef, u64)>, top: usize) -> (Vec<(usize, usize)>, usize) {
        let (p, total) = places(entries, top);
        (p.iter().map(|p| (p.rank, p.people.len())).collect(), total)
    }

    #[test]
    fn periods_start_on_monday_the_first_of_the_month_quarter_and_year() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = d("2027-05-20"); // a Thursday
        assert_eq!(period_start(Period::Week, today), d("2027-05-17"));
        assert_eq!(period_start(Period::Month, today), d("2027-05-01"));
        assert_eq!(period_start(Period::Quarter, today), d("2027-04-01"));
        assert_eq!(period_start(Period::Year, today), d("2027-01-01"));
        assert_eq!(period_start(Period::Week, d("2027-05-17")), d("2027-05-17"));
    }
}
