//! `/ambassadors list [region|department]` and `/ambassadors who <department|region|@person>`: find
//! the right person. Open to everyone.

use super::resolve::Scope;
use super::{Caller, Outcome, Program, thousands};
use crate::command::Target;
use crate::message::{Message, Reply, Rich};
use crate::model::{Ambassador, AmbassadorStatus, RosterFilter, name_key};
use crate::ports::{Clock, Store};

/// The longest list shown in chat; beyond it the caller is asked to narrow down.
const LIST_MAX: usize = 60;

fn entry(a: &Ambassador, with_department: bool) -> Rich {
    let mut r = Rich::new().and_mention(&a.person.as_ref());
    if with_department {
        r = r.and(format!(
            " — {} ({})",
            a.department.name, a.department.region
        ));
    }
    let mut details = vec![format!("since {}", a.since), a.time_zone.clone()];
    if a.status == AmbassadorStatus::Paused {
        details.insert(0, "paused".into());
    }
    r.and(format!(" · {}", details.join(", ")))
}

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn list(&self, caller: &Caller, scope: Option<&str>) -> Outcome {
        let (filter, title) = match scope {
            None => (RosterFilter::default(), "Ambassadors".to_string()),
            Some(name) => match self.scope(caller, name).await? {
                Scope::Department(d) => (
                    RosterFilter {
                        department: Some(d.id),
                        ..RosterFilter::default()
                    },
                    format!("Ambassadors — {} ({})", d.name, d.region),
                ),
                Scope::Region(r) => (
                    RosterFilter {
                        region: Some(r.clone()),
                        ..RosterFilter::default()
                    },
                    format!("Ambassadors — {r}"),
                ),
            },
        };
        let roster = self.store.roster(&filter).await?;
        let mut m = Message::new().heading(title);
        if roster.is_empty() {
            m = m.paragraph(
                Rich::text("No ambassadors here yet. ")
                    .and("Uncovered departments: ")
                    .and_code(caller.cmd("ambassadors coverage")),
            );
            return Ok(vec![Reply::caller(m)]);
        }
        let mut current: Option<(String, String)> = None;
        let mut items: Vec<Rich> = Vec::new();
        for a in roster.iter().take(LIST_MAX) {
            let group = (name_key(&a.department.region), name_key(&a.department.name));
            if current.as_ref() != Some(&group) {
                if !items.is_empty() {
                    m = m.list(std::mem::take(&mut items));
                }
                m = m.paragraph(
                    Rich::strong(a.department.name.clone())
                        .and(format!(" · {}", a.department.region)),
                );
                current = Some(group);
            }
            items.push(entry(a, false));
        }
        if !items.is_empty() {
            m = m.list(items);
        }
        if roster.len() > LIST_MAX {
            m = m.context(
                Rich::text(format!(
                    "… and {} more. Narrow it down: ",
                    thousands((roster.len() - LIST_MAX) as u64)
                ))
                .and_code(caller.cmd("ambassadors list <region|department>")),
            );
        }
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn who(&self, caller: &Caller, target: &Target) -> Outcome {
        let message = match target {
            Target::Person(mention) => {
                let person = self.mentioned(caller, mention).await?;
                let r = Rich::new().and_mention(&person.as_ref());
                match self.store.ambassador(person.id).await? {
                    Some(a) => {
                        let text = match a.status {
                            AmbassadorStatus::Active => format!(
                                " is the ambassador of {} ({}) since {}.",
                                a.department.name, a.department.region, a.since
                            ),
                            AmbassadorStatus::Paused => format!(
                                " is the ambassador of {} ({}), paused for now.",
                                a.department.name, a.department.region
                            ),
                            AmbassadorStatus::Alumni => format!(
                                " was the ambassador of {} ({}) from {} to {}: alumni now.",
                                a.department.name,
                                a.department.region,
                                a.since,
                                a.until.map(|d| d.to_string()).unwrap_or_else(|| "?".into())
                            ),
                        };
                        Message::text(r.and(text))
                    }
                    None => Message::text(
                        r.and(" is not an ambassador. ")
                            .and("Find one: ")
                            .and_code(caller.cmd("ambassadors who <department|region>")),
                    ),
                }
            }
            Target::Name(name) => match self.scope(caller, name).await? {
                Scope::Department(d) => {
                    let roster = self
                        .store
                        .roster(&RosterFilter {
                            department: Some(d.id),
                            ..RosterFilter::default()
                        })
                        .await?;
                    let active: Vec<_> = roster
                        .iter()
                        .filter(|a| a.status == AmbassadorStatus::Active)
                        .map(|a| a.person.as_ref())
                        .collect();
                    if active.is_empty() {
                        // Point to someone nearby: the region's ambassadors.
                        let region = self
                            .store
                            .roster(&RosterFilter {
                                region: Some(d.region.clone()),
                                ..RosterFilter::default()
                            })
                            .await?;
                        let nearby: Vec<Rich> = region
                            .iter()
                            .filter(|a| a.status == AmbassadorStatus::Active)
                            .take(5)
                            .map(|a| entry(a, true))
                            .collect();
                        let mut m = Message::text(format!(
                            "{} ({}) has no active ambassador yet.",
                            d.name, d.region
                        ));
                        if !nearby.is_empty() {
                            m = m
                                .paragraph(format!("Ambassadors nearby in {}:", d.region))
                                .list(nearby);
                        }
                        m
                    } else {
                        Message::text(
                            Rich::text(format!("{} ({}): ", d.name, d.region))
                                .and_mentions(&active)
                                .and("."),
                        )
                    }
                }
                Scope::Region(region) => {
                    let roster = self
                        .store
                        .roster(&RosterFilter {
                            region: Some(region.clone()),
                            ..RosterFilter::default()
                        })
                        .await?;
                    let items: Vec<Rich> = roster
                        .iter()
                        .filter(|a| a.status == AmbassadorStatus::Active)
                        .take(LIST_MAX)
                        .map(|a| entry(a, true))
                        .collect();
                    if items.is_empty() {
                        Message::text(format!("{region} has no active ambassador yet."))
                    } else {
                        Message::new()
                            .paragraph(format!("Ambassadors in {region}:"))
                            .list(items)
                    }
                }
            },
        };
        Ok(vec![Reply::caller(message)])
    }
}
