//! What the benchmarks share: a PostgreSQL schema of their own.

use ambassador_store::SqlStore;

/// A schema of its own on the PostgreSQL at `TEST_POSTGRES_URL`, dropped by [`PgSchema::drop`].
pub struct PgSchema {
    admin: SqlStore,
    name: String,
    /// A URL whose connections use the schema.
    pub url: String,
}

impl PgSchema {
    /// `None` (and a line saying so) when `TEST_POSTGRES_URL` is not set.
    pub async fn create(prefix: &str) -> Option<PgSchema> {
        let base = std::env::var("TEST_POSTGRES_URL")
            .ok()
            .filter(|b| !b.is_empty());
        let Some(base) = base else {
            println!("PostgreSQL: skipped (set TEST_POSTGRES_URL to include it)");
            return None;
        };
        let name = format!("{prefix}_{}", std::process::id());
        let admin = SqlStore::connect(&base, 1)
            .await
            .expect("connect PostgreSQL");
        admin
            .execute_script(&format!("CREATE SCHEMA {name}"))
            .await
            .expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Some(PgSchema { admin, name, url })
    }

    pub async fn drop(self) {
        self.admin
            .execute_script(&format!("DROP SCHEMA {} CASCADE", self.name))
            .await
            .expect("drop schema");
        self.admin.close().await;
    }
}
