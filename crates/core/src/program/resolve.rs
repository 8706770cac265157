//! Turning what people typed into departments, regions and persons, with "did you mean" answers.

use super::{Caller, Failure, Program, refuse};
use crate::command::Mention;
use crate::message::Rich;
use crate::model::{Account, Department, Person, closest, display_name, name_key, quote_back};
use crate::ports::{Clock, Store, StoreResult};

/// A department or a region.
pub(crate) enum Scope {
    Department(Department),
    Region(String),
}

impl Scope {
    /// Whether `department` lies in this scope; no scope is everything.
    pub fn covers(scope: &Option<Scope>, department: &Department) -> bool {
        match scope {
            None => true,
            Some(Scope::Department(d)) => department.id == d.id,
            Some(Scope::Region(r)) => name_key(&department.region) == name_key(r),
        }
    }

    /// The scope's name: a department's or a region's.
    pub fn label(&self) -> &str {
        match self {
            Scope::Department(d) => &d.name,
            Scope::Region(r) => r,
        }
    }
}

/// "Did you mean A, B or C?" or nothing.
pub(crate) fn did_you_mean(options: &[&str]) -> String {
    match options {
        [] => String::new(),
        [one] => format!(" Did you mean {one}?"),
        [init @ .., last] => format!(" Did you mean {} or {last}?", init.join(", ")),
    }
}

/// The distinct region names of the org map, in order.
pub(crate) fn regions(departments: &[Department]) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::new();
    for d in departments {
        seen.entry(name_key(&d.region))
            .or_insert_with(|| d.region.clone());
    }
    seen.into_values().collect()
}

impl<S: Store, C: Clock> Program<S, C> {
    /// The department called `name` (by name key); else the closest department names (at most
    /// three). Chat and the command line word the answer their own way.
    pub async fn find_department(
        &self,
        name: &str,
    ) -> StoreResult<Result<Department, Vec<String>>> {
        if let Some(d) = self.store.department_by_name(name).await? {
            return Ok(Ok(d));
        }
        let all = self.store.departments().await?;
        let names = all.iter().map(|d| d.name.as_str());
        Ok(Err(closest(name, names, 3)
            .into_iter()
            .map(str::to_string)
            .collect()))
    }

    /// The region called `name` (by name key), as the org map spells it; else the closest region
    /// names (at most three) and every region.
    pub async fn find_region(
        &self,
        name: &str,
    ) -> StoreResult<Result<String, (Vec<String>, Vec<String>)>> {
        let all = self.store.departments().await?;
        let regions = regions(&all);
        let key = name_key(name);
        if let Some(r) = regions.iter().find(|r| name_key(r) == key) {
            return Ok(Ok(r.clone()));
        }
        let near = closest(name, regions.iter().map(String::as_str), 3)
            .into_iter()
            .map(str::to_string)
            .collect();
        Ok(Err((near, regions)))
    }

    pub(crate) async fn department(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Department, Failure> {
        let near = match self.find_department(name).await? {
            Ok(d) => return Ok(d),
            Err(near) => near,
        };
        let near: Vec<&str> = near.iter().map(String::as_str).collect();
        let hint = did_you_mean(&near);
        Err(refuse(
            Rich::text(format!(
                "There is no department called “{}”.{hint} ",
                name.trim()
            ))
            .and("All departments: ")
            .and_code(caller.cmd("ambassadors coverage")),
        ))
    }

    /// The region as the org map spells it.
    pub(crate) async fn region(&self, caller: &Caller, name: &str) -> Result<String, Failure> {
        let (near, regions) = match self.find_region(name).await? {
            Ok(r) => return Ok(r),
            Err(not) => not,
        };
        let near: Vec<&str> = near.iter().map(String::as_str).collect();
        let hint = did_you_mean(&near);
        Err(refuse(
            Rich::text(format!(
                "There is no region called “{}”.{hint} ",
                name.trim()
            ))
            .and("Regions: ")
            .and(if regions.is_empty() {
                "none yet".to_string()
            } else {
                regions.join(", ")
            })
            .and(format!(". See {}.", caller.cmd("ambassadors coverage"))),
        ))
    }

    /// A department or else a region of that name.
    pub(crate) async fn scope(&self, caller: &Caller, name: &str) -> Result<Scope, Failure> {
        if let Some(d) = self.store.department_by_name(name).await? {
            return Ok(Scope::Department(d));
        }
        let all = self.store.departments().await?;
        let regions = regions(&all);
        let key = name_key(name);
        if let Some(r) = regions.iter().find(|r| name_key(r) == key) {
            return Ok(Scope::Region(r.clone()));
        }
        let names = all
            .iter()
            .map(|d| d.name.as_str())
            .chain(regions.iter().map(String::as_str));
        let hint = did_you_mean(&closest(name, names, 3));
        Err(refuse(
            Rich::text(format!(
                "There is no department or region called “{}”.{hint} ",
                name.trim()
            ))
            .and("See ")
            .and_code(caller.cmd("ambassadors coverage"))
            .and("."),
        ))
    }

    /// [`Program::scope`] of a name when one was given; everything (`None`) otherwise.
    pub(crate) async fn optional_scope(
        &self,
        caller: &Caller,
        name: Option<&str>,
    ) -> Result<Option<Scope>, Failure> {
        match name {
            Some(name) => Ok(Some(self.scope(caller, name).await?)),
            None => Ok(None),
        }
    }

    /// The person a mention names, on the caller's platform.
    pub(crate) async fn mentioned(
        &self,
        caller: &Caller,
        mention: &Mention,
    ) -> Result<Person, Failure> {
        let account = Account::new(caller.person.account.platform, mention.0.clone());
        if account == caller.person.account {
            return Ok(caller.person.clone());
        }
        if let Some(p) = caller.mentioned.iter().find(|p| p.account == account) {
            return Ok(p.clone());
        }
        if let Some(p) = self.store.find_person(&account).await? {
            return Ok(p);
        }
        if caller.create_mentioned {
            let name = display_name(&mention.0);
            return Ok(self.store.ensure_person(&account, &name).await?);
        }
        Err(refuse(format!(
            "I don't know @{} yet: nobody by that name has talked to me. Check the spelling.",
            quote_back(&mention.0)
        )))
    }
}
