//! Turning sqlx errors into the port's [`StoreError`].

use ambassador_core::{StoreError, StoreResult};
use sqlx::error::ErrorKind;

/// `.db()?` on a sqlx result: the general mapping of sqlx errors to [`StoreError`].
pub(crate) trait DbResultExt<T> {
    fn db(self) -> StoreResult<T>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    fn db(self) -> StoreResult<T> {
        self.map_err(to_store_error)
    }
}

/// Unique violations become `Conflict` (naming the constraint), a missing row `NotFound`, the rest
/// `Backend`. Operations that know better (which name collided, which id is unknown) check
/// [`is_unique_violation`] / [`is_foreign_key_violation`] first and say so in their own words.
pub(crate) fn to_store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::RowNotFound => StoreError::NotFound("no matching row".to_owned()),
        sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => {
            StoreError::Conflict(match db.constraint() {
                Some(constraint) => format!("a row with the same key ({constraint})"),
                None => db.message().to_owned(),
            })
        }
        _ => StoreError::Backend(Box::new(error)),
    }
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    kind(error) == Some(ErrorKind::UniqueViolation)
}

pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    kind(error) == Some(ErrorKind::ForeignKeyViolation)
}

fn kind(error: &sqlx::Error) -> Option<ErrorKind> {
    match error {
        sqlx::Error::Database(db) => Some(db.kind()),
        _ => None,
    }
}

/// A value in the database the domain cannot represent (e.g. an unknown platform name).
pub(crate) fn corrupt(what: String) -> StoreError {
    StoreError::Backend(format!("unexpected data in the database: {what}").into())
}
