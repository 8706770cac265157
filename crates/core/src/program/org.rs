//! The org map, kept by the program office: add, rename, move, resize and remove departments.

use super::resolve::{did_you_mean, regions};
use super::{Caller, Failure, Outcome, Program, count, refuse};
use crate::message::{Message, Reply, Rich};
use crate::model::{NAME_MAX, NameProblem, NewDepartment, RosterFilter, closest, name_key};
use crate::ports::{Clock, Store, StoreError};

fn clean_name(raw: &str, what: &str) -> Result<String, Failure> {
    match crate::model::clean_name(raw) {
        Ok(name) => Ok(name),
        Err(NameProblem::Empty) => Err(refuse(format!("The {what} name is empty."))),
        Err(NameProblem::TooLong(n)) => Err(refuse(format!(
            "That {what} name is {n} characters long; keep it to {NAME_MAX} or fewer. Nothing was changed."
        ))),
    }
}

fn headcount_text(h: Option<u32>) -> String {
    match h {
        Some(h) => count(u64::from(h), "person", "people"),
        None => "headcount unknown".into(),
    }
}

/// The most regions a new-region note lists.
const REGIONS_LISTED: usize = 8;

/// A region the org map did not have until this command, among those it had.
struct NewRegion {
    name: String,
    /// Known regions spelled close to it (a typo?).
    close: Vec<String>,
    known: Vec<String>,
}

impl NewRegion {
    /// The note under the answer: the region is new, which ones exist (or the closest), and the
    /// command that puts `department` into the region meant instead: the closest, else `back_to`.
    fn note(&self, caller: &Caller, department: &str, back_to: Option<&str>) -> Rich {
        let known = if self.close.is_empty() {
            let mut listed: Vec<&str> = self
                .known
                .iter()
                .take(REGIONS_LISTED)
                .map(String::as_str)
                .collect();
            if self.known.len() > REGIONS_LISTED {
                listed.push("…");
            }
            format!(" The regions so far: {}.", listed.join(", "))
        } else {
            let close: Vec<&str> = self.close.iter().map(String::as_str).collect();
            did_you_mean(&close)
        };
        let target = match self.close.as_slice() {
            [one] => Some(one.as_str()),
            _ => back_to,
        }
        .map(quoted)
        .unwrap_or_else(|| "<region>".into());
        Rich::text(format!(
            "“{}” is a new region.{known} If that is a typo: ",
            self.name
        ))
        .and_code(caller.cmd(&format!(
            "ambassadors dept move {} to {target}",
            quoted(department)
        )))
    }
}

/// A name as a command argument: in quotes when it has several words.
fn quoted(name: &str) -> String {
    if name.contains(char::is_whitespace) {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

impl<S: Store, C: Clock> Program<S, C> {
    /// The region as the org map already spells it, or the new name and what to say about it (when
    /// the org map already has regions it could be confused with).
    async fn region_for_write(&self, raw: &str) -> Result<(String, Option<NewRegion>), Failure> {
        let name = clean_name(raw, "region")?;
        let known = regions(&self.store.departments().await?);
        let key = name_key(&name);
        if let Some(existing) = known.iter().find(|r| name_key(r) == key) {
            return Ok((existing.clone(), None));
        }
        if known.is_empty() {
            return Ok((name, None));
        }
        let close = closest(&name, known.iter().map(String::as_str), 2)
            .into_iter()
            .map(str::to_string)
            .collect();
        Ok((name.clone(), Some(NewRegion { name, close, known })))
    }

    pub(crate) async fn dept_add(
        &self,
        caller: &Caller,
        name: &str,
        region: &str,
        headcount: Option<u32>,
    ) -> Outcome {
        let name = clean_name(name, "department")?;
        let (region, new_region) = self.region_for_write(region).await?;
        let new = NewDepartment {
            name,
            region,
            headcount,
        };
        let d = match self.store.add_department(&new).await {
            Ok(d) => d,
            Err(StoreError::Conflict(_)) => {
                let existing = self.store.department_by_name(&new.name).await?;
                return Err(refuse(match existing {
                    Some(e) => format!(
                        "There is already a department called {} ({}).",
                        e.name, e.region
                    ),
                    None => format!("There is already a department called {}.", new.name),
                }));
            }
            Err(e) => return Err(e.into()),
        };
        let mut m = Message::text(
            Rich::text("Added department ")
                .and_strong(d.name.clone())
                .and(format!(
                    " in {} ({}). ",
                    d.region,
                    headcount_text(d.headcount)
                ))
                .and("It has no ambassador yet: ")
                .and_code(caller.cmd(&format!("ambassadors add @person \"{}\"", d.name))),
        );
        if let Some(new_region) = new_region {
            m = m.context(new_region.note(caller, &d.name, None));
        }
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn dept_rename(&self, caller: &Caller, name: &str, new_name: &str) -> Outcome {
        let d = self.department(caller, name).await?;
        let new_name = clean_name(new_name, "department")?;
        match self.store.rename_department(d.id, &new_name).await {
            Ok(renamed) => Ok(vec![Reply::caller(Message::text(
                Rich::text(format!("Renamed {} to ", d.name))
                    .and_strong(renamed.name)
                    .and("."),
            ))]),
            Err(StoreError::Conflict(_)) => Err(refuse(format!(
                "There is already a department called {new_name}."
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn dept_move(&self, caller: &Caller, name: &str, region: &str) -> Outcome {
        let d = self.department(caller, name).await?;
        let (region, new_region) = self.region_for_write(region).await?;
        if name_key(&region) == name_key(&d.region) {
            return Err(refuse(format!("{} is already in {}.", d.name, d.region)));
        }
        let moved = self.store.set_department_region(d.id, &region).await?;
        let mut m = Message::text(format!(
            "Moved {} from {} to {}.",
            moved.name, d.region, moved.region
        ));
        if let Some(new_region) = new_region {
            m = m.context(new_region.note(caller, &moved.name, Some(&d.region)));
        }
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn dept_headcount(
        &self,
        caller: &Caller,
        name: &str,
        headcount: Option<u32>,
    ) -> Outcome {
        let d = self.department(caller, name).await?;
        let updated = self.store.set_headcount(d.id, headcount).await?;
        Ok(vec![Reply::caller(Message::text(format!(
            "{}: {} (was {}).",
            updated.name,
            headcount_text(updated.headcount),
            headcount_text(d.headcount)
        )))])
    }

    pub(crate) async fn dept_remove(&self, caller: &Caller, name: &str) -> Outcome {
        let d = self.department(caller, name).await?;
        match self.store.remove_department(d.id).await {
            Ok(()) => Ok(vec![Reply::caller(Message::text(format!(
                "Removed department {} ({}).",
                d.name, d.region
            )))]),
            Err(StoreError::HasAmbassadors(n)) => {
                let roster = self
                    .store
                    .roster(&RosterFilter {
                        department: Some(d.id),
                        ..RosterFilter::default()
                    })
                    .await?;
                let people: Vec<_> = roster.iter().map(|a| a.person.as_ref()).collect();
                let first = people
                    .first()
                    .map(|p| format!("@{}", p.display_name))
                    .unwrap_or_else(|| "@person".into());
                Err(Failure::User(Message::text(
                    Rich::text(format!(
                        "{} still has {}: ",
                        d.name,
                        count(u64::from(n), "ambassador", "ambassadors")
                    ))
                    .and_mentions(&people)
                    .and(". Nothing was removed. Move them to another department (")
                    .and_code(caller.cmd(&format!("ambassadors add {first} <department>")))
                    .and(") or take them off the roster (")
                    .and_code(caller.cmd(&format!("ambassadors remove {first}")))
                    .and(") first."),
                )))
            }
            Err(e) => Err(e.into()),
        }
    }
}
