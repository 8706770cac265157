//! The SQL back-ends themselves: their migrations, and what only SQLite does.

use super::*;

conformance! {
    everywhere: [],
    // On SQLite and PostgreSQL only, as they reach under the port into SQL:
    // migrations_are_idempotent: the memory store has no migrations.
    sql_only: [
        migrations_are_idempotent,
    ],
}

async fn migrations_are_idempotent(store: SqlStore) {
    let finance = department(&store, "Finance", "EMEA").await;
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.departments().await.unwrap(), vec![finance]);
}

/// What a migration makes, back-end types aside: each table with its column names, each index as
/// written, each column added, and the kind and target of every other statement. Functions and
/// the bodies of triggers are written in each database's own language: the outline leaves them out
/// and keeps each trigger's name. PostgreSQL's storage settings are left out too.
fn schema_outline(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    // PostgreSQL's function bodies between `$$`, SQLite's trigger bodies between BEGIN and END.
    let mut code = code.split("$$").step_by(2).collect::<Vec<_>>().join(" ");
    while let Some(begin) = code.find(" BEGIN ") {
        let end = begin + code[begin..].find(" END;").expect("a trigger body ends") + " END".len();
        code.replace_range(begin..end, "");
    }
    code.split(';')
        .map(|statement| statement.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|statement| {
            let upper = statement.to_uppercase();
            // PostgreSQL's storage settings (`ALTER TABLE … SET (…)`) have no SQLite counterpart.
            let storage = upper.starts_with("ALTER TABLE ") && upper.contains(" SET (");
            !statement.is_empty() && !upper.starts_with("CREATE FUNCTION ") && !storage
        })
        .map(|statement| {
            let words: Vec<&str> = statement.split(' ').collect();
            let upper = statement.to_uppercase();
            if upper.starts_with("CREATE TABLE ") {
                let body =
                    &statement[statement.find('(').unwrap() + 1..statement.rfind(')').unwrap()];
                let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
                for (i, c) in body.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        ',' if depth == 0 => {
                            parts.push(&body[start..i]);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                parts.push(&body[start..]);
                let columns: Vec<String> = parts
                    .iter()
                    .map(|part| part.trim().to_owned())
                    .filter(|part| {
                        let first = part.split(' ').next().unwrap_or("").to_uppercase();
                        !["UNIQUE", "PRIMARY", "CHECK", "FOREIGN", "CONSTRAINT"]
                            .contains(&first.as_str())
                    })
                    .map(|part| part.split(' ').next().unwrap_or("").to_owned())
                    .collect();
                format!("table {} ({})", words[2], columns.join(", "))
            } else if upper.starts_with("CREATE INDEX ")
                || upper.starts_with("CREATE UNIQUE INDEX ")
            {
                // An expression in an index is written in each database's own functions: the
                // outline keeps the columns and says "expression" for it.
                match (statement.find(" ON "), statement.rfind("))")) {
                    (Some(on), Some(end)) if statement[on..].contains(", (") => {
                        let open = statement[on..].find(", (").unwrap() + on;
                        format!(
                            "{}, (expression){}",
                            &statement[..open],
                            &statement[end + 2..]
                        )
                    }
                    _ => statement,
                }
            } else if upper.starts_with("ALTER TABLE ") && upper.contains(" ADD COLUMN ") {
                format!("column {}.{}", words[2], words[5])
            } else {
                words[..words.len().min(3)].join(" ")
            }
        })
        .collect()
}

/// Both back-ends have the same migrations, and each makes the same tables, columns and indexes.
/// 0008 is the one exception: SQLite cannot change a CHECK constraint, so it rebuilds the table.
#[test]
fn migrations_are_in_step_on_both_back_ends() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let files = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        names.sort();
        names
    };
    let names = files("sqlite");
    assert_eq!(names, files("postgres"));
    let requests = std::fs::read_to_string(root.join("postgres/0010_requests.sql")).unwrap();
    assert!(
        schema_outline(&requests).contains(&"table request_labels (request_id, label)".to_owned()),
        "the outline names each table's columns"
    );
    for name in names.iter().filter(|name| !name.starts_with("0008_")) {
        let read = |backend: &str| std::fs::read_to_string(root.join(backend).join(name)).unwrap();
        assert_eq!(
            schema_outline(&read("sqlite")),
            schema_outline(&read("postgres")),
            "{name}"
        );
    }
}

mod sqlite_only {
    use super::*;

    #[tokio::test]
    async fn opening_the_same_file_twice_migrates_once_and_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bot.db").display());
        let first = SqlStore::open(&url, 2).await.unwrap();
        assert_eq!(first.backend(), Backend::Sqlite);
        department(&first, "Finance", "EMEA").await;
        first.close().await;
        let second = SqlStore::open(&url, 2).await.unwrap();
        assert_eq!(names(&second.departments().await.unwrap()), ["Finance"]);
        second.close().await;
    }

    #[tokio::test]
    async fn a_missing_file_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let store = SqlStore::open(&format!("sqlite:{}", path.display()), 1)
            .await
            .unwrap();
        assert!(path.exists());
        assert!(store.is_empty().await.unwrap());
    }

    #[tokio::test]
    async fn coverage_copes_with_nul_characters_in_names() {
        // SQLite's length() stops at a NUL, so the packed coverage rows cannot be read; the
        // report must still come out right.
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bot.db").display());
        let store = SqlStore::open(&url, 2).await.unwrap();
        let finance = department(&store, "Finance", "EMEA").await;
        for (id, name) in [("U1", "A\0da"), ("U2", "Grace")] {
            let p = person(&store, id, name).await;
            store
                .add_ambassador(p.id, finance.id, "UTC", date(2024, 1, 1))
                .await
                .unwrap();
        }
        let coverage = store.coverage(None).await.unwrap();
        assert_eq!(display_names(&coverage[0].active), ["A\0da", "Grace"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_memory_databases_are_shared_by_all_callers() {
        let store = SqlStore::open("sqlite::memory:", 8).await.unwrap();
        department(&store, "Finance", "EMEA").await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.departments().await.unwrap().len()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 1);
        }
        // A second in-memory store is a different database.
        let other = SqlStore::open("sqlite::memory:", 1).await.unwrap();
        assert!(other.is_empty().await.unwrap());
    }
}
