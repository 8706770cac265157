//! The career record: terms, check-ins, kudos and activities, for the person and for exports.

use super::lifecycle::*;
use super::{Caller, Outcome, Program};
use crate::message::{Message, Reply, Rich};
use crate::model::{CheckinFilter, Person, TrackRecord};
use crate::ports::{Clock, Store, StoreResult};

impl<S: Store, C: Clock> Program<S, C> {
    /// Everything a person's record holds.
    pub async fn track_record(&self, person: &Person) -> StoreResult<TrackRecord> {
        let terms = self.store.terms(person.id).await?;
        let checkins = self
            .store
            .checkins(&CheckinFilter {
                person: Some(person.id),
                ..CheckinFilter::default()
            })
            .await?;
        let kudos_received = self.store.kudos_received(person.id).await?;
        let (_, kudos_given) = self.store.kudos_counts(person.id).await?;
        let ambassador = self.store.ambassador(person.id).await?;
        let activities = self
            .store
            .activities(&crate::model::ActivityFilter {
                author: Some(person.id),
                ..crate::model::ActivityFilter::default()
            })
            .await?
            .into_iter()
            .map(|e| e.activity)
            .collect();
        Ok(TrackRecord {
            time_zone: super::timezone::zone_in_use(person, ambassador.as_ref()),
            terms,
            checkins: super::response_rate(&checkins, self.clock.now()),
            kudos_received,
            kudos_given,
            activities,
        })
    }

    /// A person's record as a message: terms, check-ins, activities logged, kudos with their
    /// reasons and givers. `limit` caps the activities and the kudos listed (None: all, for the
    /// export).
    pub fn record_message(
        &self,
        person: &Person,
        record: &TrackRecord,
        limit: Option<usize>,
    ) -> Message {
        let tz = self.settings.time_zone;
        let mut m = Message::new()
            .heading(format!(
                "Ambassador program record — {}",
                person.display_name
            ))
            .fields(vec![
                ("Terms".into(), Rich::text(describe_terms(&record.terms))),
                ("Check-ins".into(), Rich::text(record.checkins.describe())),
                (
                    "Kudos".into(),
                    Rich::text(format!(
                        "{} received, {} given",
                        record.kudos_received.len(),
                        record.kudos_given
                    )),
                ),
                (
                    "Time zone".into(),
                    Rich::text(format!(
                        "{} ({})",
                        record.time_zone.as_deref().unwrap_or(tz.name()),
                        super::timezone::zone_source(person, record.time_zone.as_deref())
                    )),
                ),
                (
                    "Activities logged".into(),
                    Rich::text(activities_summary(&record.activities)),
                ),
            ]);
        if !record.terms.is_empty() {
            m = m.paragraph(Rich::strong("Terms as ambassador")).list(
                record
                    .terms
                    .iter()
                    .map(|t| {
                        Rich::text(format!(
                            "{} ({}): {} – {}",
                            t.department.name,
                            t.department.region,
                            t.since,
                            t.until.map_or("today".to_string(), |u| u.to_string())
                        ))
                    })
                    .collect(),
            );
        }
        if !record.activities.is_empty() {
            let shown: Vec<_> = match limit {
                Some(n) => record.activities.iter().take(n).collect(),
                None => record.activities.iter().collect(),
            };
            m = m.paragraph(Rich::strong(if shown.len() < record.activities.len() {
                format!("Activity log — the latest {}", shown.len())
            } else {
                "Activity log".to_string()
            }));
            m = m.list(
                shown
                    .iter()
                    .map(|a| {
                        Rich::text(format!(
                            "{}: {}",
                            a.on,
                            super::activity::activity_line(a, false)
                        ))
                    })
                    .collect(),
            );
        }
        if !record.kudos_received.is_empty() {
            let shown: Vec<_> = match limit {
                Some(n) => record.kudos_received.iter().rev().take(n).collect(),
                None => record.kudos_received.iter().rev().collect(),
            };
            m = m.paragraph(Rich::strong(if shown.len() < record.kudos_received.len() {
                format!("Kudos received — the latest {}", shown.len())
            } else {
                "Kudos received".to_string()
            }));
            m = m.list(
                shown
                    .iter()
                    .map(|k| {
                        Rich::text(format!("{} ", k.given_at.with_timezone(&tz).date_naive()))
                            .and("from ")
                            .and_mention(&k.giver)
                            .and(": ")
                            .and_em(k.reason.clone())
                    })
                    .collect(),
            );
        }
        m
    }

    /// An activity as the record lists it: its text without the parsed fields, then the audience
    /// and tags ("Ran a workshop — 25 people · #workshop").
    pub fn activity_line(&self, a: &crate::model::Activity) -> String {
        super::activity::activity_line(a, false)
    }

    pub(crate) async fn record_command(&self, caller: &Caller) -> Outcome {
        let record = self.track_record(&caller.person).await?;
        let m = self
            .record_message(&caller.person, &record, Some(KUDOS_SHOWN))
            .context("Only you see this. The program office can export the full record for a performance review.");
        Ok(vec![Reply::caller(m)])
    }
}

/// "3, reaching 120 people" (the audience as logged).
fn activities_summary(activities: &[crate::model::Activity]) -> String {
    let reached: u64 = activities
        .iter()
        .filter_map(|a| a.audience)
        .map(u64::from)
        .sum();
    if reached > 0 {
        format!(
            "{}, reaching {} people",
            activities.len(),
            super::thousands(reached)
        )
    } else {
        activities.len().to_string()
    }
}
