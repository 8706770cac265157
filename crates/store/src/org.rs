//! The org map: departments, each in a region.

use crate::SqlStore;
use crate::error::{DbResultExt, is_foreign_key_violation, is_unique_violation, to_store_error};
use crate::rows::{DepartmentRow, department_columns};
use ambassador_core::{
    Department, DepartmentId, NewDepartment, OrgStore, StoreError, StoreResult, name_key,
};

fn has_ambassadors(count: i64) -> StoreError {
    StoreError::HasAmbassadors(u32::try_from(count).unwrap_or(u32::MAX))
}

async fn ambassador_count(store: &SqlStore, id: DepartmentId) -> StoreResult<i64> {
    Ok(with_pool!(store, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM ambassadors WHERE department_id = $1 AND status <> 'alumni'",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .db()?
    }))
}

impl OrgStore for SqlStore {
    async fn add_department(&self, department: &NewDepartment) -> StoreResult<Department> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let key = name_key(&department.name);
            let result: Result<DepartmentRow, sqlx::Error> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "INSERT INTO departments (name, name_key, region, region_key, headcount) \
             VALUES ($1, $2, $3, $4, $5) RETURNING ",
                    department_columns!()
                ))
                .bind(&department.name)
                .bind(&key)
                .bind(&department.region)
                .bind(name_key(&department.region))
                .bind(department.headcount.map(i64::from))
                .fetch_all(pool)
                .await
                .and_then(crate::error::only_row)
            });
            match result {
                Ok(row) => row.into_department(),
                Err(e) if is_unique_violation(&e) => {
                    Err(name_taken(store, &key, &department.name).await)
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn rename_department(&self, id: DepartmentId, new_name: &str) -> StoreResult<Department> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let key = name_key(new_name);
            let result: Result<Option<DepartmentRow>, sqlx::Error> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "UPDATE departments SET name = $1, name_key = $2 WHERE id = $3 RETURNING ",
                    department_columns!()
                ))
                .bind(new_name)
                .bind(&key)
                .bind(id)
                .fetch_all(pool)
                .await
                .map(crate::error::first_row)
            });
            match result {
                Ok(row) => found(id, row),
                Err(e) if is_unique_violation(&e) => Err(name_taken(store, &key, new_name).await),
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn set_department_region(
        &self,
        id: DepartmentId,
        region: &str,
    ) -> StoreResult<Department> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let row: Option<DepartmentRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "UPDATE departments SET region = $1, region_key = $2 WHERE id = $3 RETURNING ",
                    department_columns!()
                ))
                .bind(region)
                .bind(name_key(region))
                .bind(id)
                .fetch_all(pool)
                .await
                .map(crate::error::first_row)
                .db()?
            });
            found(id, row)
        })
        .await
    }

    async fn set_headcount(
        &self,
        id: DepartmentId,
        headcount: Option<u32>,
    ) -> StoreResult<Department> {
        self.guarded(|| async move {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made.
            crate::error::may_write();
            let row: Option<DepartmentRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "UPDATE departments SET headcount = $1 WHERE id = $2 RETURNING ",
                    department_columns!()
                ))
                .bind(headcount.map(i64::from))
                .bind(id)
                .fetch_all(pool)
                .await
                .map(crate::error::first_row)
                .db()?
            });
            found(id, row)
        })
        .await
    }

    async fn remove_department(&self, id: DepartmentId) -> StoreResult<()> {
        self.guarded(|| async move {
            let store = self;
            // Writes come first so that SQLite takes its write lock at once (no read-then-upgrade failure)
            // and PostgreSQL locks the department row: an ambassador added concurrently either committed
            // before (and is counted) or fails its foreign key check after.
            let outcome: Result<Result<(), i64>, sqlx::Error> =
                with_pool!(store, |pool| {
                    async {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM ambassadors WHERE department_id = $1 AND status = 'alumni'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let deleted = sqlx::query(
                "DELETE FROM departments WHERE id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM ambassadors WHERE department_id = $1)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if deleted == 1 {
                crate::error::commit(tx).await?;
                return Ok(Ok(()));
            }
            let remaining: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM ambassadors WHERE department_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            tx.rollback().await?;
            Ok(Err(remaining))
        }
        .await
                });
            match outcome {
                Ok(Ok(())) => Ok(()),
                Ok(Err(0)) => Err(StoreError::NotFound(format!("department {id}"))),
                Ok(Err(remaining)) => Err(has_ambassadors(remaining)),
                // An ambassador was added while the department was being removed.
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(has_ambassadors(ambassador_count(store, id).await?.max(1)))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await
    }

    async fn departments(&self) -> StoreResult<Vec<Department>> {
        self.guarded(|| async move {
            let store = self;
            let mut rows: Vec<DepartmentRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    department_columns!(),
                    " FROM departments"
                ))
                .fetch_all(pool)
                .await
                .db()?
            });
            rows.sort_unstable_by(DepartmentRow::order);
            rows.into_iter()
                .map(DepartmentRow::into_department)
                .collect()
        })
        .await
    }

    async fn department_by_name(&self, name: &str) -> StoreResult<Option<Department>> {
        self.guarded(|| async move {
            let store = self;
            let row: Option<DepartmentRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    department_columns!(),
                    " FROM departments WHERE name_key = $1"
                ))
                .bind(name_key(name))
                .fetch_optional(pool)
                .await
                .db()?
            });
            row.map(DepartmentRow::into_department).transpose()
        })
        .await
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        self.guarded(|| self.is_empty_once()).await
    }
}

fn found(id: DepartmentId, row: Option<DepartmentRow>) -> StoreResult<Department> {
    row.ok_or_else(|| StoreError::NotFound(format!("department {id}")))?
        .into_department()
}

/// The `Conflict` for a name whose key is taken, naming the department that holds it.
async fn name_taken(store: &SqlStore, key: &str, wanted: &str) -> StoreError {
    let holder: Option<String> = with_pool!(store, |pool| {
        sqlx::query_scalar("SELECT name FROM departments WHERE name_key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await
            .ok()
            .flatten()
    });
    StoreError::Conflict(match holder {
        Some(holder) if holder == wanted => format!("department `{holder}`"),
        Some(holder) => format!("department `{holder}` (same name as `{wanted}`)"),
        None => format!("department `{wanted}`"),
    })
}
