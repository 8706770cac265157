//! The web dashboard in a real browser: `ambassador-bot run` on the demo organization with a closed
//! check-in round, signed in with the link `/ambassadors dashboard` printed in the console, every
//! page opened in headless Chromium (driven through chromedriver), its charts and table numbers
//! checked against what `/ambassadors coverage` and `/ambassadors checkins` say in chat, and a PNG
//! screenshot of each page written to the test's output folder (`target/tmp/dashboard`).
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`);
//! `.ci/run` installs them. Without them the test says so and stops, except under CI, where that
//! is a failure.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::running::*;
use support::{free_port, messages};

/// chromedriver on a free port, stopped when dropped.
struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// chromedriver and Chromium, or `None` (after saying so) when this machine has none.
async fn driver() -> Option<Driver> {
    if !found("chromedriver") || !found("chromium") {
        let ci = std::env::var("CI").is_ok_and(|c| !c.is_empty());
        assert!(
            !ci,
            "chromium and chromedriver are missing, but CI is set: the dashboard's browser test must run in CI (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "skipped the browser test: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(Driver(child, port))
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1800", "--lang=en-US"],
        }),
    );
    // chromedriver is on loopback: plain http, no TLS.
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("a Chromium session")
}

/// The cells of every row of a section's table, as the browser shows them.
async fn table(client: &Client, section: &str) -> Vec<Vec<String>> {
    let rows = client
        .execute(
            "return [...document.querySelectorAll(`section#${arguments[0]} table[data-table] tbody tr`)].map(tr => [...tr.cells].map(td => td.textContent.trim()));",
            vec![json!(section)],
        )
        .await
        .expect("read a table");
    serde_json::from_value(rows).expect("rows of cells")
}

async fn count(client: &Client, selector: &str) -> u64 {
    let n: Value = client
        .execute(
            "return document.querySelectorAll(arguments[0]).length;",
            vec![json!(selector)],
        )
        .await
        .expect("count elements");
    n.as_u64().unwrap_or(0)
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_chat_figures_in_a_real_browser() {
    let Some(driver) = driver().await else {
        return;
    };
    let (api, _calls) = fake_slack().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let sb = slack_sandbox(&api, port).with_env("AMBASSADOR_BOT__DASHBOARD__BASE_URL", &base);
    with_a_closed_checkin_round(&sb);
    // What the office reads in chat, and the sign-in link the bot sends by direct message.
    let chat = messages(&sb.console(
        &[],
        ":as ada\n/ambassadors log Gave a talk on InnerSource #talk (40 people)\n:as admin\n/ambassadors announce Please share the new InnerSource guide\n:as ada\n/ambassadors ack\n:as admin\n/ambassadors coverage\n/ambassadors checkins\n/ambassadors dashboard\n",
    ));
    let coverage = chat
        .iter()
        .find(|m| m.contains("Coverage — whole organization"))
        .expect("the coverage report");
    let checkins = chat
        .iter()
        .find(|m| m.contains("*Check-ins*"))
        .expect("the check-ins view");
    let link = chat
        .iter()
        .find(|m| m.starts_with("[dm:admin]") && m.contains("/dashboard/sign-in?token="))
        .and_then(|m| m.split_whitespace().find(|w| w.starts_with(&base)))
        .expect("a sign-in link by direct message")
        .to_string();

    let mut running = Running(Some(sb.spawn(&["run"])));
    wait_ready(&mut running, &base, Duration::from_secs(30)).await;
    let client = browser(&driver).await;

    // The link shows a button; clicking it signs in and opens the coverage page.
    client.goto(&link).await.unwrap();
    client
        .find(Locator::Css("form button"))
        .await
        .expect("a sign-in button")
        .click()
        .await
        .unwrap();
    let started = Instant::now();
    while client.current_url().await.unwrap().path() != "/dashboard/coverage" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not on the coverage page after signing in: {}",
            client.current_url().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let title = client.title().await.unwrap();
    assert!(title.starts_with("Coverage"), "{title}");

    // Coverage: a tile per department (8 in the demo), and the regions' numbers as chat gives them.
    assert_eq!(count(&client, "section#map svg rect").await, 8);
    let regions = table(&client, "regions").await;
    for row in regions.iter().filter(|r| r[0] != "Whole organization") {
        // Chat: "Americas  2 of 3  2  16%  73%".
        let (region, departments, with) = (&row[0], &row[1], &row[2]);
        let line = coverage
            .lines()
            .find(|l| l.trim_start().starts_with(region.as_str()) && l.contains(" of "))
            .unwrap_or_else(|| panic!("{region} in chat:\n{coverage}"));
        assert!(
            line.contains(&format!("{with} of {departments}")),
            "{region}: dashboard {with} of {departments}, chat {line}"
        );
        assert!(line.contains(&row[7]), "people covered: {row:?} vs {line}");
    }
    let total = regions
        .iter()
        .find(|r| r[0] == "Whole organization")
        .unwrap();
    assert!(
        coverage.contains(&format!("*{} of {}* departments", total[2], total[1])),
        "{total:?} vs {coverage}"
    );
    screenshot(&client, "coverage").await;

    // Participation: the closed round's counts and rate, as /ambassadors checkins counts them.
    client
        .goto(&format!("{base}/dashboard/participation"))
        .await
        .unwrap();
    assert!(count(&client, "section#rounds svg circle").await >= 1);
    let rounds = table(&client, "rounds").await;
    let closed = rounds
        .iter()
        .find(|r| !r[1].contains("open"))
        .expect("the closed round");
    let chat_row = checkins
        .lines()
        .find(|l| l.trim_start().starts_with(&closed[1]))
        .unwrap_or_else(|| panic!("round {} in chat:\n{checkins}", closed[1]));
    let chat_cells: Vec<&str> = chat_row.split_whitespace().collect();
    assert_eq!(
        &closed[2..7],
        &chat_cells[1..6]
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()[..],
        "dashboard {closed:?} vs chat {chat_row}"
    );
    // The office sees who is quiet.
    assert!(count(&client, "section#silent").await == 1);
    screenshot(&client, "participation").await;

    // Recognition: 13 weekly bars and the demo's kudos.
    client
        .goto(&format!("{base}/dashboard/recognition"))
        .await
        .unwrap();
    assert_eq!(count(&client, "section#weeks svg rect").await, 13);
    let weeks = table(&client, "weeks").await;
    assert_eq!(weeks.len(), 13);
    screenshot(&client, "recognition").await;

    // Activity: the demo's logged activities by region and tag, and the announcements' receipts.
    client
        .goto(&format!("{base}/dashboard/activity"))
        .await
        .unwrap();
    assert_eq!(count(&client, "section#regions svg").await, 1);
    assert_eq!(
        table(&client, "regions").await,
        vec![vec!["EMEA".to_string(), "1".into(), "40".into()]]
    );
    assert_eq!(
        table(&client, "tags").await,
        vec![vec!["#talk".to_string(), "1".into()]]
    );
    // One announcement to every active ambassador; ada (EMEA) acknowledged it.
    let receipts = table(&client, "announcements").await;
    let emea = receipts
        .iter()
        .find(|r| r[3] == "EMEA")
        .expect("EMEA's receipts");
    assert_eq!(emea[4], "3");
    assert_eq!(emea[5], "1 (33%)");
    screenshot(&client, "activity").await;

    // The CSV download holds the table's numbers, cell for cell (with the browser's session; without
    // it, nothing).
    let session = client
        .get_named_cookie("ambassador_session")
        .await
        .expect("the session cookie");
    assert_eq!(session.http_only(), Some(true));
    let csv_url = format!("{base}/dashboard/coverage.csv?table=regions");
    let http = reqwest::Client::new();
    let csv = http
        .get(&csv_url)
        .header("cookie", format!("ambassador_session={}", session.value()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), regions.len());
    for (line, row) in rows.iter().zip(&regions) {
        assert_eq!(*line, row.join(","), "CSV and table differ");
    }
    assert_eq!(http.get(&csv_url).send().await.unwrap().status(), 401);

    // Signing out ends the session: once its page has come, the coverage page asks to sign in.
    client
        .find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_heading(&client, "Signed out").await;
    client
        .goto(&format!("{base}/dashboard/coverage"))
        .await
        .unwrap();
    wait_for_heading(&client, "Please sign in").await;
    client.close().await.unwrap();
}

/// Waits (up to 10 s) until the page's first heading reads `text`.
async fn wait_for_heading(client: &Client, text: &str) {
    let started = Instant::now();
    loop {
        let heading: Value = client
            .execute(
                "const h = document.querySelector('h1'); return h ? h.textContent : null;",
                vec![],
            )
            .await
            .expect("read the heading");
        if heading.as_str() == Some(text) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the page's heading is {heading}, not {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
