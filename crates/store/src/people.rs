//! People: one row per platform account.

use crate::SqlStore;
use crate::error::DbResultExt;
use crate::rows::{PersonRosterRow, PersonRow, ambassador_columns, person_columns};
use crate::scheduler::builder;
use ambassador_core::{
    Account, Ambassador, PeopleStore, Person, PersonId, StoreError, StoreResult,
};
use chrono::Utc;

/// Accounts per statement of [`find_people_and_ambassadors`] (two parameters each).
const ACCOUNTS_PER_STATEMENT: usize = 200;

impl PeopleStore for SqlStore {
    async fn ensure_person(&self, account: &Account, display_name: &str) -> StoreResult<Person> {
        self.guarded(|| async move {
            let store = self;
            let blank = display_name.trim().is_empty();
            let platform = account.platform.as_str();
            let row: PersonRow = with_pool!(store, |pool| {
                // The common case (a known person, same name) only reads.
                let found: Option<PersonRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    person_columns!(),
                    " FROM people WHERE platform = $1 AND external_id = $2"
                ))
                .bind(platform)
                .bind(&account.id)
                .fetch_optional(pool)
                .await
                .db()?;
                if let Some(row) = found
                    && (blank || row.display_name == display_name)
                {
                    return row.into_person();
                }
                // New (named after the account id until a name is known), or renamed. The upsert also
                // settles a race between two first sightings; a blank name never replaces a stored one.
                let name = if blank {
                    account.id.as_str()
                } else {
                    display_name
                };
                // A lost connection from here on may come after the upsert was made.
                crate::error::may_write();
                sqlx::query_as(concat!(
                    "INSERT INTO people (platform, external_id, display_name) VALUES ($1, $2, $3) \
             ON CONFLICT (platform, external_id) DO UPDATE SET display_name = \
                 CASE WHEN $4 THEN people.display_name ELSE excluded.display_name END \
             RETURNING ",
                    person_columns!()
                ))
                .bind(platform)
                .bind(&account.id)
                .bind(name)
                .bind(blank)
                .fetch_all(pool)
                .await
                .and_then(crate::error::only_row)
                .db()?
            });
            row.into_person()
        })
        .await
    }

    async fn find_person(&self, account: &Account) -> StoreResult<Option<Person>> {
        self.guarded(|| async move {
            let store = self;
            let row: Option<PersonRow> = with_pool!(store, |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    person_columns!(),
                    " FROM people WHERE platform = $1 AND external_id = $2"
                ))
                .bind(account.platform.as_str())
                .bind(&account.id)
                .fetch_optional(pool)
                .await
                .db()?
            });
            row.map(PersonRow::into_person).transpose()
        })
        .await
    }

    /// People found by account with their roster entries, in one read: who is asking and whom they
    /// mention, for every command.
    async fn find_people_and_ambassadors(
        &self,
        accounts: &[Account],
    ) -> StoreResult<Vec<(Person, Option<Ambassador>)>> {
        self.guarded(|| async move {
            let store = self;
            let mut rows: Vec<PersonRosterRow> = Vec::new();
            with_pool!(store, |pool| {
                for chunk in accounts.chunks(ACCOUNTS_PER_STATEMENT) {
                    let mut select = builder(
                        pool,
                        concat!(
                            "SELECT ",
                            ambassador_columns!(),
                            " FROM people p \
                      LEFT JOIN ambassadors a ON a.person_id = p.id \
                      LEFT JOIN departments d ON d.id = a.department_id \
                      WHERE "
                        ),
                    );
                    for (i, account) in chunk.iter().enumerate() {
                        if i > 0 {
                            select.push(" OR ");
                        }
                        select.push("(p.platform = ");
                        select.push_bind(account.platform.as_str());
                        select.push(" AND p.external_id = ");
                        select.push_bind(account.id.as_str());
                        select.push(")");
                    }
                    rows.extend(
                        select
                            .build_query_as::<PersonRosterRow>()
                            .fetch_all(pool)
                            .await
                            .db()?,
                    );
                }
            });
            rows.into_iter()
                .map(PersonRosterRow::into_person_and_ambassador)
                .collect()
        })
        .await
    }

    async fn set_person_time_zone(
        &self,
        person: PersonId,
        time_zone: &str,
        chosen: bool,
    ) -> StoreResult<bool> {
        self.guarded(|| async move {
            let store = self;
            let set: Option<bool> = with_pool!(store, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    // A chosen zone always lands; another only replaces a different zone nobody chose.
                    let set = sqlx::query(
                        "UPDATE people SET time_zone = $1, time_zone_chosen = $3 \
                 WHERE id = $2 AND ($3 OR (NOT time_zone_chosen \
                     AND (time_zone IS NULL OR time_zone <> $1)))",
                    )
                    .bind(time_zone)
                    .bind(person)
                    .bind(chosen)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1;
                    if !set {
                        let known: Option<i64> =
                            sqlx::query_scalar("SELECT id FROM people WHERE id = $1")
                                .bind(person)
                                .fetch_optional(&mut *tx)
                                .await?;
                        crate::error::commit(tx).await?;
                        return Ok(known.map(|_| false));
                    }
                    // The scheduler reads the roster's zone: it follows, so the next prompt comes in it.
                    sqlx::query(
                        "UPDATE ambassadors SET time_zone = $1, updated_at = $3 \
                 WHERE person_id = $2 AND time_zone <> $1",
                    )
                    .bind(time_zone)
                    .bind(person)
                    .bind(Utc::now())
                    .execute(&mut *tx)
                    .await?;
                    crate::error::commit(tx).await?;
                    Ok::<_, sqlx::Error>(Some(true))
                }
                .await
                .db()?
            });
            set.ok_or_else(|| StoreError::NotFound(format!("person {person}")))
        })
        .await
    }
}
