//! The org map: departments, each in a region (the SQL store's `org.rs`).

use super::{MemoryStore, department_order};
use crate::model::{AmbassadorStatus, Department, DepartmentId, NewDepartment, name_key};
use crate::ports::{OrgStore, StoreError, StoreResult};

impl super::State {
    /// The `Conflict` for a name whose key another department than `except` holds.
    fn name_taken(&self, wanted: &str, except: Option<DepartmentId>) -> Option<StoreError> {
        let key = name_key(wanted);
        let holder = self
            .departments
            .values()
            .find(|d| Some(d.id) != except && name_key(&d.name) == key)?;
        Some(StoreError::Conflict(if holder.name == wanted {
            format!("department `{}`", holder.name)
        } else {
            format!("department `{}` (same name as `{wanted}`)", holder.name)
        }))
    }

    fn department_mut(&mut self, id: DepartmentId) -> StoreResult<&mut Department> {
        self.departments
            .get_mut(&id)
            .ok_or_else(|| super::not_found(format!("department {id}")))
    }
}

impl OrgStore for MemoryStore {
    async fn add_department(&self, department: &NewDepartment) -> StoreResult<Department> {
        let mut s = self.lock();
        if let Some(conflict) = s.name_taken(&department.name, None) {
            return Err(conflict);
        }
        let id = super::next(&mut s.ids.department);
        let new = Department {
            id,
            name: department.name.clone(),
            region: department.region.clone(),
            headcount: department.headcount,
        };
        s.departments.insert(id, new.clone());
        Ok(new)
    }

    async fn rename_department(&self, id: DepartmentId, new_name: &str) -> StoreResult<Department> {
        let mut s = self.lock();
        s.department_mut(id)?;
        if let Some(conflict) = s.name_taken(new_name, Some(id)) {
            return Err(conflict);
        }
        let d = s.department_mut(id)?;
        new_name.clone_into(&mut d.name);
        Ok(d.clone())
    }

    async fn set_department_region(
        &self,
        id: DepartmentId,
        region: &str,
    ) -> StoreResult<Department> {
        let mut s = self.lock();
        let d = s.department_mut(id)?;
        region.clone_into(&mut d.region);
        Ok(d.clone())
    }

    async fn set_headcount(
        &self,
        id: DepartmentId,
        headcount: Option<u32>,
    ) -> StoreResult<Department> {
        let mut s = self.lock();
        let d = s.department_mut(id)?;
        d.headcount = headcount;
        Ok(d.clone())
    }

    async fn remove_department(&self, id: DepartmentId) -> StoreResult<()> {
        let mut s = self.lock();
        if !s.departments.contains_key(&id) {
            return Err(super::not_found(format!("department {id}")));
        }
        let remaining = s
            .roster
            .values()
            .filter(|e| e.department == id && e.status != AmbassadorStatus::Alumni)
            .count();
        if remaining > 0 {
            return Err(StoreError::HasAmbassadors(
                u32::try_from(remaining).unwrap_or(u32::MAX),
            ));
        }
        // Its alumni go with it; terms and applications keep what they recorded, without the id.
        s.roster.retain(|_, e| e.department != id);
        s.departments.remove(&id);
        for term in &mut s.terms {
            if term.department_id == Some(id) {
                term.department_id = None;
            }
        }
        for application in s.applications.values_mut() {
            if application.department == Some(id) {
                application.department = None;
            }
        }
        Ok(())
    }

    async fn departments(&self) -> StoreResult<Vec<Department>> {
        let s = self.lock();
        let mut all: Vec<Department> = s.departments.values().cloned().collect();
        all.sort_by_cached_key(department_order);
        Ok(all)
    }

    async fn department_by_name(&self, name: &str) -> StoreResult<Option<Department>> {
        let s = self.lock();
        let key = name_key(name);
        Ok(s.departments
            .values()
            .find(|d| name_key(&d.name) == key)
            .cloned())
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let s = self.lock();
        Ok(s.departments.is_empty() && s.people.is_empty() && s.kudos.is_empty())
    }
}
