//! Signing in to the web dashboard: one-time links and the sessions they start. Only the SHA-256
//! of each token is stored, so a copy of the database signs nobody in.

use crate::error::{DbResultExt, is_foreign_key_violation, to_store_error};
use crate::rows::{PersonRow, person_columns};
use crate::{SqlStore, to_micros};
use ambassador_core::{Person, PersonId, SignIn, SignInStore, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// A new random token: 32 bytes from the operating system, as 64 hex digits.
fn new_token() -> StoreResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Backend(format!("no randomness for a token: {e}").into()))?;
    Ok(hex::encode(bytes))
}

/// What the store keeps of a token.
fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn person_by_id(store: &SqlStore, id: PersonId) -> StoreResult<Option<Person>> {
    let row: Option<PersonRow> = with_pool!(store, |pool| {
        sqlx::query_as(concat!(
            "SELECT ",
            person_columns!(),
            " FROM people WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await
        .db()?
    });
    row.map(PersonRow::into_person).transpose()
}

impl SignInStore for SqlStore {
    async fn issue_sign_in_link(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
        valid_for: chrono::Duration,
    ) -> StoreResult<String> {
        let token = new_token()?;
        let token_hash = hash(&token);
        self.guarded(|| async {
            let store = self;
            // Writes outside a transaction: a lost connection may come after the write was made
            // (a link nobody receives is harmless, but the retry must not fail on its own row).
            crate::error::may_write();
            let now = to_micros(now);
            let result = with_pool!(store, |pool| {
                sqlx::query(
                    "INSERT INTO sign_in_links (token_hash, person_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&token_hash)
                .bind(person)
                .bind(now)
                .bind(to_micros(now.checked_add_signed(valid_for).unwrap_or(now)))
                .execute(pool)
                .await
                .map(drop)
            });
            match result {
                Ok(_) => Ok(()),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(StoreError::NotFound(format!("person {person}")))
                }
                Err(e) => Err(to_store_error(e)),
            }
        })
        .await?;
        Ok(token)
    }

    async fn redeem_sign_in_link(&self, token: &str, now: DateTime<Utc>) -> StoreResult<SignIn> {
        let session = new_token()?;
        let (token_hash, session_hash) = (hash(token), hash(&session));
        let outcome = self
            .guarded(|| async {
                let store = self;
                let now = to_micros(now);
                // The link is marked used and the session made in one transaction; the UPDATE's
                // condition (unused, not run out) lets one of two concurrent uses through.
                let outcome: Result<Result<PersonId, SignIn>, sqlx::Error> =
                    with_pool!(store, |pool| {
                        async {
                            let mut tx = pool.begin().await?;
                            let person: Option<PersonId> = sqlx::query_scalar(
                                "UPDATE sign_in_links SET used_at = $1 \
                                 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                                 RETURNING person_id",
                            )
                            .bind(now)
                            .bind(&token_hash)
                            .fetch_optional(&mut *tx)
                            .await?;
                            let Some(person) = person else {
                                let found: Option<(Option<DateTime<Utc>>,)> = sqlx::query_as(
                                    "SELECT used_at FROM sign_in_links WHERE token_hash = $1",
                                )
                                .bind(&token_hash)
                                .fetch_optional(&mut *tx)
                                .await?;
                                tx.rollback().await?;
                                return Ok(Err(match found {
                                    None => SignIn::Unknown,
                                    Some((Some(_),)) => SignIn::Used,
                                    Some((None,)) => SignIn::Expired,
                                }));
                            };
                            sqlx::query(
                                "INSERT INTO dashboard_sessions \
                                 (token_hash, person_id, created_at, last_seen_at) \
                                 VALUES ($1, $2, $3, $3)",
                            )
                            .bind(&session_hash)
                            .bind(person)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                            crate::error::commit(tx).await?;
                            Ok(Ok(person))
                        }
                        .await
                    });
                outcome.map_err(to_store_error)
            })
            .await?;
        match outcome {
            Err(refused) => Ok(refused),
            Ok(id) => match person_by_id(self, id).await? {
                Some(person) => Ok(SignIn::SignedIn { person, session }),
                None => Err(StoreError::NotFound(format!("person {id}"))),
            },
        }
    }

    async fn session_person(
        &self,
        token: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> StoreResult<Option<Person>> {
        let token_hash = hash(token);
        self.guarded(|| async {
            let store = self;
            let now = to_micros(now);
            let fresh_after = to_micros(now.checked_sub_signed(idle).unwrap_or(now));
            // Touching the session is safe to repeat after a lost connection.
            let person: Option<PersonId> = with_pool!(store, |pool| {
                sqlx::query_scalar(
                    "UPDATE dashboard_sessions SET last_seen_at = $1 \
                     WHERE token_hash = $2 AND last_seen_at > $3 RETURNING person_id",
                )
                .bind(now)
                .bind(&token_hash)
                .bind(fresh_after)
                .fetch_optional(pool)
                .await
                .db()?
            });
            match person {
                Some(id) => person_by_id(store, id).await,
                None => Ok(None),
            }
        })
        .await
    }

    async fn end_session(&self, token: &str) -> StoreResult<()> {
        let token_hash = hash(token);
        self.guarded(|| async {
            let store = self;
            with_pool!(store, |pool| {
                sqlx::query("DELETE FROM dashboard_sessions WHERE token_hash = $1")
                    .bind(&token_hash)
                    .execute(pool)
                    .await
                    .db()?;
            });
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_kept_only_as_their_hash() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(hash(&a), a);
        assert_eq!(hash(&a), hash(&a));
    }
}
