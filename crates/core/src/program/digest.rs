//! The weekly digest: kudos of the week by region and department, new and departing ambassadors,
//! coverage and its change, check-in participation (a rate, never names).

use super::activity::{activity_line, tag_counts};
use super::checkin_views::latest_closed_round;
use super::{EmptyWeek, Program, count, percent, thousands};
use crate::message::{Message, Rich, split_message};
use crate::model::{
    ActivityFilter, AmbassadorStatus, CheckinFilter, DigestSnapshot, Effects, Kudos, RosterFilter,
};
use crate::ports::{Clock, Outgoing, Store, StoreResult};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap};

/// Digest parts stay under these sizes (platform message limits).
const MAX_BLOCKS: usize = 40;
const MAX_CHARS: usize = 3500;
/// Kudos lines per list block.
const KUDOS_PER_BLOCK: usize = 15;
/// Kudos listed by name in one digest; a busier week shows counts and the latest ones.
const KUDOS_SHOWN: usize = 40;
/// The group of kudos to people who are not on the roster.
const ACROSS: &str = "Across the organization";

impl<S: Store, C: Clock> Program<S, C> {
    /// The digest due at `occurrence`: its messages to every channel and the coverage snapshot.
    pub async fn plan_digest(&self, occurrence: DateTime<Utc>) -> StoreResult<Effects> {
        let mut effects = Effects::default();
        let tz = self.settings.time_zone;
        let week_start = occurrence - Duration::days(7);
        let (from_day, to_day) = (
            week_start.with_timezone(&tz).date_naive(),
            occurrence.with_timezone(&tz).date_naive(),
        );

        let (kudos_total, kudos) = self
            .store
            .kudos_latest(week_start, occurrence, KUDOS_SHOWN as u32)
            .await?;
        // People who opted out are not named: their part of a kudos is left out, and kudos left
        // with no one to name are not listed (they still count).
        let optouts: std::collections::HashSet<_> =
            self.store.kudos_optouts().await?.into_iter().collect();
        let kudos: Vec<Kudos> = kudos
            .into_iter()
            .filter_map(|mut k| {
                k.receivers.retain(|r| !optouts.contains(&r.account));
                (!k.receivers.is_empty()).then_some(k)
            })
            .collect();
        // Where the praised people work: the roster entries of the receivers shown.
        let mut receivers: Vec<_> = kudos
            .iter()
            .flat_map(|k| k.receivers.iter().map(|r| r.account.clone()))
            .collect();
        receivers.sort();
        receivers.dedup();
        let homes = if receivers.is_empty() {
            Vec::new()
        } else {
            self.store
                .roster(&RosterFilter {
                    include_alumni: true,
                    accounts: receivers,
                    ..RosterFilter::default()
                })
                .await?
        };
        let home: HashMap<_, _> = homes
            .iter()
            .map(|a| {
                (
                    a.person.account.clone(),
                    (a.department.region.clone(), a.department.name.clone()),
                )
            })
            .collect();
        let changes = self
            .store
            .roster(&RosterFilter {
                include_alumni: true,
                changed_between: Some((from_day, to_day)),
                ..RosterFilter::default()
            })
            .await?;
        let changes: Vec<_> = changes
            .into_iter()
            .filter(|a| !optouts.contains(&a.person.account))
            .collect();
        let joined: Vec<_> = changes
            .iter()
            .filter(|a| {
                a.status != AmbassadorStatus::Alumni && a.since > from_day && a.since <= to_day
            })
            .collect();
        let left: Vec<_> = changes
            .iter()
            .filter(|a| {
                a.status == AmbassadorStatus::Alumni
                    && a.until.is_some_and(|u| u > from_day && u <= to_day)
            })
            .collect();

        let (covered, total) = self.store.coverage_counts().await?;
        let previous = self.store.last_digest_snapshot(occurrence).await?;
        effects.digest_snapshot = Some(DigestSnapshot {
            occurrence,
            departments_covered: covered,
            departments_total: total,
        });

        // Participation in the latest round that closed before the digest.
        let checkins = self
            .store
            .checkins(&CheckinFilter {
                from_round: Some(from_day - Duration::days(14)),
                ..CheckinFilter::default()
            })
            .await?;
        let participation = latest_closed_round(&checkins, occurrence);

        let activities = self
            .store
            .activities(&ActivityFilter {
                from: from_day.succ_opt(),
                to: Some(to_day),
                ..ActivityFilter::default()
            })
            .await?;

        let quiet =
            kudos_total == 0 && joined.is_empty() && left.is_empty() && activities.is_empty();
        if quiet && self.settings.digest.empty_week == EmptyWeek::Skip {
            return Ok(effects);
        }
        let mut m = Message::new().heading(format!("Weekly digest — week to {to_day}"));
        if quiet {
            m = m.paragraph(
                Rich::text("A quiet week: no kudos yet. Who helped you lately? ")
                    .and_code("/kudos @someone for what they did"),
            );
        }
        if !kudos.is_empty() {
            m = m.paragraph(Rich::strong(format!(
                "🎉 {} this week",
                count(kudos_total, "kudos", "kudos")
            )));
            // A kudos is listed under each of its receivers' own departments, naming there the
            // receivers of that department (the others come after "with").
            let group_of = |r: &crate::model::PersonRef| {
                home.get(&r.account)
                    .cloned()
                    .unwrap_or_else(|| (ACROSS.into(), String::new()))
            };
            // A busy week shows counts by region and the latest kudos, not thousands of lines.
            let shown = &kudos[..];
            if (shown.len() as u64) < kudos_total {
                let counts: Vec<String> = self
                    .store
                    .kudos_by_region(week_start, occurrence)
                    .await?
                    .into_iter()
                    .map(|(r, n)| {
                        let r = if r.is_empty() { ACROSS.to_string() } else { r };
                        format!("{r} {}", thousands(n))
                    })
                    .collect();
                m = m
                    .paragraph(format!("By region: {}.", counts.join(" · ")))
                    .paragraph(format!("The latest {}:", shown.len()));
            }
            type Listed<'a> = (&'a Kudos, Vec<crate::model::PersonRef>);
            let mut groups: BTreeMap<(String, String), Vec<Listed>> = BTreeMap::new();
            for k in shown {
                let mut here: BTreeMap<(String, String), Vec<crate::model::PersonRef>> =
                    BTreeMap::new();
                for r in &k.receivers {
                    here.entry(group_of(r)).or_default().push(r.clone());
                }
                for (group, receivers) in here {
                    groups.entry(group).or_default().push((k, receivers));
                }
            }
            for ((region, department), list) in groups {
                let title = if department.is_empty() {
                    region
                } else {
                    format!("{region} · {department}")
                };
                m = m.paragraph(Rich::strong(title));
                for chunk in list.chunks(KUDOS_PER_BLOCK) {
                    m = m.list(
                        chunk
                            .iter()
                            .map(|(k, these)| {
                                let others: Vec<_> = k
                                    .receivers
                                    .iter()
                                    .filter(|r| !these.contains(r))
                                    .cloned()
                                    .collect();
                                let mut r = Rich::new().and_mentions(these);
                                if !others.is_empty() {
                                    r = r.and(" (with ").and_mentions(&others).and(")");
                                }
                                let r = if optouts.contains(&k.giver.account) {
                                    r.and(", thanked")
                                } else {
                                    r.and(", thanked by ").and_mention(&k.giver)
                                };
                                r.and(" for ").and_em(k.reason.clone())
                            })
                            .collect(),
                    );
                }
            }
        }
        if !activities.is_empty() {
            let reached: u64 = activities
                .iter()
                .filter_map(|a| a.activity.audience)
                .map(u64::from)
                .sum();
            let tags = tag_counts(activities.iter());
            m = m
                .paragraph(Rich::strong("🛠 What our ambassadors did").and(format!(
                    ": {}{}{}.",
                    count(activities.len() as u64, "activity", "activities"),
                    if reached > 0 {
                        format!(", reaching {}", count(reached, "person", "people"))
                    } else {
                        String::new()
                    },
                    if tags.is_empty() {
                        String::new()
                    } else {
                        format!(" ({tags})")
                    }
                )))
                .list(
                    activities
                        .iter()
                        .take(3)
                        .map(|a| {
                            Rich::new()
                                .and_mention(&a.ambassador.person.as_ref())
                                .and(format!(
                                    " ({}): {}",
                                    a.ambassador.department.name,
                                    activity_line(&a.activity, true)
                                ))
                        })
                        .collect(),
                );
        }
        if !joined.is_empty() {
            m = m
                .paragraph(Rich::strong("👋 Welcome to our new ambassadors"))
                .list(
                    joined
                        .iter()
                        .map(|a| {
                            Rich::new().and_mention(&a.person.as_ref()).and(format!(
                                " — {} ({})",
                                a.department.name, a.department.region
                            ))
                        })
                        .collect(),
                );
        }
        if !left.is_empty() {
            m = m
                .paragraph(Rich::strong("💐 Thank you for your time as ambassadors"))
                .list(
                    left.iter()
                        .map(|a| {
                            Rich::new().and_mention(&a.person.as_ref()).and(format!(
                                " — {} ({})",
                                a.department.name, a.department.region
                            ))
                        })
                        .collect(),
                );
        }
        let change = match previous {
            Some(p) if p.departments_covered != covered => {
                let d = i64::from(covered) - i64::from(p.departments_covered);
                format!(" ({d:+} since last week)")
            }
            Some(_) => " (unchanged since last week)".into(),
            None => String::new(),
        };
        m = m.paragraph(Rich::strong("Coverage:").and(format!(
            " {covered} of {total} departments have an ambassador ({}%){change}.",
            percent(u64::from(covered), u64::from(total))
        )));
        if let Some((round, rate)) = participation {
            let text = match rate.percent() {
                Some(p) => format!(
                    " {p}% of the ambassadors expected answered the round of {round} ({} of {}).",
                    rate.closed.answered,
                    rate.closed.expected()
                ),
                None => format!(
                    " nobody was expected to answer the round of {round}: every check-in was skipped or paused."
                ),
            };
            m = m.paragraph(Rich::strong("Check-ins:").and(text));
        }
        if self.settings.digest.requests {
            m = self
                .you_said_we_did(m, week_start, occurrence, false)
                .await?;
        }
        for channel in &self.settings.digest.channels {
            for (i, part) in split_message(&m, MAX_BLOCKS, MAX_CHARS)
                .into_iter()
                .enumerate()
            {
                effects.outbox.push(Outgoing {
                    key: format!("digest:{}:{channel}:{}", occurrence.to_rfc3339(), i + 1),
                    to: channel.clone(),
                    message: part,
                });
            }
        }
        Ok(effects)
    }
}
