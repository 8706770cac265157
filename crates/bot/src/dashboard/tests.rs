//! The dashboard's routes on a real SQLite store: sign-in links (once, for 10 minutes), the
//! session cookie, every page for every role, the CSV downloads, signing out.

use super::*;
use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, Audience, Effects, Inbound, ManualClock, NewCheckin, NewDepartment, Platform,
    Settings, render_plain,
};
use ambassador_store::SqlStore;
use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use tower::ServiceExt;

type TestProgram = Program<SqlStore, Arc<ManualClock>>;

struct World {
    program: Arc<TestProgram>,
    clock: Arc<ManualClock>,
    router: Router,
    _dir: tempfile::TempDir,
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 11, 10, 0, 0).unwrap()
}

fn slack(id: &str) -> Account {
    Account::new(Platform::Slack, id)
}

/// `text` written by the Slack user `who` in a channel.
fn in_channel(who: &str, text: &str) -> Inbound {
    Inbound {
        sender: slack(who),
        sender_name: String::new(),
        room: "C1".into(),
        text: text.into(),
        bot: None,
        direct: false,
        create_mentioned: true,
    }
}

async fn world(secure_cookie: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let store = SqlStore::open(&url, 4).await.unwrap();
    let clock = Arc::new(ManualClock::new(start()));
    let mut settings = Settings {
        office: vec![slack("UOFFICE")],
        ..Settings::default()
    };
    settings.dashboard.base_url = Some("https://ambassadors.example.com/".into());
    // Departments, an ambassador in each of two regions, a closed round and an open one.
    let finance = store
        .add_department(&NewDepartment {
            name: "Finance".into(),
            region: "EMEA".into(),
            headcount: Some(300),
        })
        .await
        .unwrap();
    store
        .add_department(&NewDepartment {
            name: "R&D <lab>".into(),
            region: "EMEA".into(),
            headcount: Some(100),
        })
        .await
        .unwrap();
    let sales = store
        .add_department(&NewDepartment {
            name: "Sales".into(),
            region: "Americas".into(),
            headcount: Some(40),
        })
        .await
        .unwrap();
    let ada = store.ensure_person(&slack("UADA"), "Ada").await.unwrap();
    let bo = store.ensure_person(&slack("UBO"), "Bo").await.unwrap();
    store.ensure_person(&slack("UMAX"), "Max").await.unwrap();
    store
        .ensure_person(&slack("UOFFICE"), "Olga")
        .await
        .unwrap();
    let since = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    store
        .add_ambassador(ada.id, finance.id, "UTC", since)
        .await
        .unwrap();
    store
        .add_ambassador(bo.id, sales.id, "UTC", since)
        .await
        .unwrap();
    let round = start() - Duration::days(14);
    store
        .apply(
            &Effects {
                open_checkins: [ada.id, bo.id]
                    .into_iter()
                    .map(|person| NewCheckin {
                        round: round.date_naive(),
                        person,
                        prompted_at: round,
                        closes_at: round + Duration::days(6),
                    })
                    .collect(),
                ..Effects::default()
            },
            round,
        )
        .await
        .unwrap();
    let program = Arc::new(Program::new(store, clock.clone(), settings));
    let router = router(Arc::new(Dashboard {
        program: program.clone(),
        secure_cookie,
    }));
    World {
        program,
        clock,
        router,
        _dir: dir,
    }
}

impl World {
    /// `ambassadors dashboard` from `who` in a channel: the link sent by direct message.
    async fn link(&self, who: &str) -> String {
        let replies = self
            .program
            .handle(&in_channel(who, "/ambassadors dashboard"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(replies.len(), 2, "{replies:?}");
        assert_eq!(replies[0].audience, Audience::CallerDirect);
        assert_eq!(
            render_plain(&replies[1].message),
            "I sent you a sign-in link for the dashboard by direct message."
        );
        let text = render_plain(&replies[0].message);
        let url = text
            .split_whitespace()
            .find(|w| w.starts_with("https://"))
            .unwrap_or_else(|| panic!("no link in {text}"));
        assert!(
            url.starts_with("https://ambassadors.example.com/dashboard/sign-in?token="),
            "{url}"
        );
        url.rsplit('=').next().unwrap().to_string()
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, String) {
        let mut request = Request::get(path);
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, format!("{COOKIE}={c}"));
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post(
        &self,
        path: &str,
        form: &str,
        cookie: Option<&str>,
    ) -> (StatusCode, HeaderMap, String) {
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, format!("{COOKIE}={c}"));
        }
        self.send(request.body(Body::from(form.to_string())).unwrap())
            .await
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .unwrap();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    /// Signs `who` in through a fresh link; the session cookie's value.
    async fn session(&self, who: &str) -> String {
        let token = self.link(who).await;
        let (status, headers, _) = self
            .post("/dashboard/sign-in", &format!("token={token}"), None)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        cookie_value(&headers)
    }
}

fn set_cookie(headers: &HeaderMap) -> String {
    headers
        .get(header::SET_COOKIE)
        .expect("a cookie is set")
        .to_str()
        .unwrap()
        .to_string()
}

fn cookie_value(headers: &HeaderMap) -> String {
    let cookie = set_cookie(headers);
    let first = cookie.split(';').next().unwrap();
    first.split_once('=').unwrap().1.to_string()
}

#[tokio::test]
async fn a_link_signs_in_once_within_ten_minutes_with_a_strict_cookie() {
    let w = world(true).await;
    let token = w.link("UADA").await;
    // Opening the link (or a chat app's preview of it) only shows a button: it stays usable.
    for _ in 0..2 {
        let (status, headers, body) = w
            .get(&format!("/dashboard/sign-in?token={token}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("<form method=\"post\" action=\"/dashboard/sign-in\">"));
        assert!(body.contains(&format!("value=\"{token}\"")));
        assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    }
    let (status, headers, _) = w
        .post("/dashboard/sign-in", &format!("token={token}"), None)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/dashboard/coverage");
    let cookie = set_cookie(&headers);
    for attribute in ["Path=/dashboard", "HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let session = cookie_value(&headers);
    assert_eq!(session.len(), 64);
    assert_ne!(session, token);
    let (status, _, body) = w.get("/dashboard/coverage", Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Ada · ambassador"), "{body}");

    // Used once: the second use is refused with what to do.
    let (status, _, body) = w
        .post("/dashboard/sign-in", &format!("token={token}"), None)
        .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("used already"));
    assert!(body.contains("/ambassadors dashboard"));

    // A link unused for more than 10 minutes has run out.
    let late = w.link("UMAX").await;
    w.clock.advance(Duration::minutes(11));
    let (status, headers, body) = w
        .post("/dashboard/sign-in", &format!("token={late}"), None)
        .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("run out"));
    assert!(headers.get(header::SET_COOKIE).is_none());

    // A made-up token, an empty one, a missing one.
    let (status, _, body) = w
        .post(
            "/dashboard/sign-in",
            &format!("token={}", "0".repeat(64)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("not a sign-in link"));
    let (status, _, _) = w.post("/dashboard/sign-in", "token=", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = w.get("/dashboard/sign-in", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("incomplete"));
}

#[tokio::test]
async fn on_plain_http_on_loopback_the_cookie_is_not_secure() {
    let w = world(false).await;
    let token = w.link("UADA").await;
    let (_, headers, _) = w
        .post("/dashboard/sign-in", &format!("token={token}"), None)
        .await;
    let cookie = set_cookie(&headers);
    assert!(
        cookie.contains("HttpOnly") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn each_role_sees_its_pages_and_no_more() {
    let w = world(true).await;
    let office = w.session("UOFFICE").await;
    let ambassador = w.session("UADA").await;
    let member = w.session("UMAX").await;
    for page in ["coverage", "recognition"] {
        for (who, session) in [
            ("office", &office),
            ("ambassador", &ambassador),
            ("member", &member),
        ] {
            let (status, _, body) = w.get(&format!("/dashboard/{page}"), Some(session)).await;
            assert_eq!(status, StatusCode::OK, "{who} on {page}");
            assert!(body.contains("<svg"), "{who} on {page}: a chart");
            assert!(body.contains("data-table"), "{who} on {page}: its numbers");
        }
    }
    // Participation: the office sees every region and who is quiet.
    let (status, _, body) = w.get("/dashboard/participation", Some(&office)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<td>EMEA</td>") && body.contains("<td>Americas</td>"));
    assert!(body.contains("Quiet ambassadors"));
    assert!(body.contains("<td>Ada</td>") && body.contains("<td>Bo</td>"));
    // An ambassador sees their own region only, and nobody's quiet spell.
    let (status, _, body) = w.get("/dashboard/participation", Some(&ambassador)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<td>EMEA</td>"));
    assert!(!body.contains("<td>Americas</td>"), "{body}");
    assert!(!body.contains("Quiet ambassadors"));
    // Activity: the office sees the announcements' receipts; an ambassador the activities only.
    let (status, _, body) = w.get("/dashboard/activity", Some(&office)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("section id=\"announcements\""));
    let (status, _, body) = w.get("/dashboard/activity", Some(&ambassador)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("section id=\"regions\""));
    assert!(!body.contains("section id=\"announcements\""));
    let (status, _, _) = w.get("/dashboard/activity", Some(&member)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A member is refused participation, and not offered it.
    let (status, _, body) = w.get("/dashboard/participation", Some(&member)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("coverage"));
    let (_, _, body) = w.get("/dashboard/coverage", Some(&member)).await;
    assert!(!body.contains("href=\"/dashboard/participation\""));
    assert!(!body.contains("href=\"/dashboard/activity\""));
    // Without a session, or with a made-up one: sign in first.
    for cookie in [None, Some("not-a-session")] {
        let (status, _, body) = w.get("/dashboard/coverage", cookie).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("/ambassadors dashboard"));
    }
    let (status, _, _) = w.get("/dashboard/nothing", Some(&office)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_numbers_are_the_chat_views_numbers_and_download_as_csv() {
    let w = world(true).await;
    let office = w.session("UOFFICE").await;
    let (_, _, body) = w.get("/dashboard/coverage", Some(&office)).await;
    // Two of three departments have an active ambassador: in EMEA one of two (Finance, thin at
    // 300 people for one), in Americas one of one.
    assert!(
        body.contains("2 of 3 departments have an active ambassador"),
        "{body}"
    );
    assert!(body.contains("R&amp;D &lt;lab&gt;"), "names are escaped");
    assert!(!body.contains("<lab>"));
    let (status, headers, csv) = w
        .get("/dashboard/coverage.csv?table=regions", Some(&office))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Region,Departments,With an ambassador,Of them thin,Uncovered,Active ambassadors,People,People covered,People in thin"
    );
    let emea = lines.iter().find(|l| l.starts_with("EMEA,")).unwrap();
    let americas = lines.iter().find(|l| l.starts_with("Americas,")).unwrap();
    assert!(emea.starts_with("EMEA,2,1,1,1,1,400,"), "{emea}");
    assert!(americas.starts_with("Americas,1,1,0,0,1,40,"), "{americas}");
    // The same numbers in the HTML table.
    assert!(body.contains("<td>EMEA</td><td class=\"n\">2</td><td class=\"n\">1</td>"));
    // The chat view says the same.
    let replies = w
        .program
        .handle(&in_channel("UOFFICE", "/ambassadors coverage"))
        .await
        .unwrap()
        .unwrap();
    let chat = render_plain(&replies[0].message);
    assert!(chat.contains("1 of 2"), "{chat}");
    // Coverage over time, by term dates: both ambassadors took office in September.
    let (_, _, csv) = w
        .get("/dashboard/coverage.csv?table=change", Some(&office))
        .await;
    assert!(csv.contains("EMEA,1,1,0,1,0"), "{csv}");
    assert!(csv.contains("Whole organization,2,2,0,2,0"), "{csv}");
    // Participation: the closed round, as /ambassadors checkins counts it (two prompted, none answered).
    let (_, _, csv) = w
        .get("/dashboard/participation.csv?table=rounds", Some(&office))
        .await;
    assert!(csv.contains("all regions,2026-12-28,2,0,0,0,0%,—"), "{csv}");
    let (status, _, _) = w
        .get("/dashboard/coverage.csv?table=nothing", Some(&office))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_session_ends_on_signing_out_or_after_eight_idle_hours() {
    let w = world(true).await;
    let session = w.session("UADA").await;
    w.clock.advance(Duration::hours(7));
    assert_eq!(
        w.get("/dashboard/coverage", Some(&session)).await.0,
        StatusCode::OK
    );
    // Used 7 hours in: it runs 8 more hours from there.
    w.clock.advance(Duration::hours(7));
    assert_eq!(
        w.get("/dashboard/coverage", Some(&session)).await.0,
        StatusCode::OK
    );
    w.clock.advance(Duration::hours(8) + Duration::minutes(1));
    assert_eq!(
        w.get("/dashboard/coverage", Some(&session)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let other = w.session("UADA").await;
    let (status, headers, body) = w.post("/dashboard/sign-out", "", Some(&other)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("signed out"));
    assert!(set_cookie(&headers).contains("Max-Age=0"));
    assert_eq!(
        w.get("/dashboard/coverage", Some(&other)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn without_a_base_url_the_command_says_the_dashboard_is_not_set_up() {
    let w = world(true).await;
    let mut settings = w.program.settings.clone();
    settings.dashboard.base_url = None;
    let program = Program::new(w.program.store.clone(), w.clock.clone(), settings);
    let replies = program
        .handle(&in_channel("UADA", "/ambassadors dashboard"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replies.len(), 1);
    assert!(render_plain(&replies[0].message).contains("not switched on"));
}

#[tokio::test]
async fn recognition_covers_the_period_asked_for_and_its_csv_the_same_weeks() {
    let w = world(true).await;
    let member = w.session("UMAX").await;
    for (asked, weeks) in [("4", 4), ("52", 52), ("5", 13), ("lots", 13), ("", 13)] {
        let (status, _, body) = w
            .get(
                &format!("/dashboard/recognition?weeks={asked}"),
                Some(&member),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&format!("the last {weeks} weeks")), "{asked}");
        assert!(
            body.contains(&format!("table=weeks&amp;weeks={weeks}")),
            "{asked}"
        );
        let (_, _, csv) = w
            .get(
                &format!("/dashboard/recognition.csv?table=weeks&weeks={asked}"),
                Some(&member),
            )
            .await;
        assert_eq!(csv.lines().count(), 1 + weeks, "{asked}");
    }
}

#[tokio::test]
async fn activity_covers_the_quarter_asked_for() {
    let w = world(true).await;
    let ambassador = w.session("UADA").await;
    for (asked, shown) in [
        ("2026-Q4", "2026-Q4"),
        ("q3+2026", "2026-Q3"),
        ("2027-Q3", "2027-Q1"),
        ("soon", "2027-Q1"),
    ] {
        let (status, _, body) = w
            .get(
                &format!("/dashboard/activity?quarter={asked}"),
                Some(&ambassador),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains(&format!("Activities logged in {shown}")),
            "{asked}"
        );
        assert!(
            body.contains(&format!("<strong>{shown}</strong>")),
            "{asked}"
        );
    }
}

#[tokio::test]
async fn a_sign_in_posted_from_another_site_is_refused() {
    let w = world(true).await;
    let token = w.link("UADA").await;
    let post = |origin: &str, host: &str| {
        Request::post("/dashboard/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, origin)
            .header(header::HOST, host)
            .body(Body::from(format!("token={token}")))
            .unwrap()
    };
    for origin in ["https://evil.example", "null"] {
        let (status, headers, body) = w.send(post(origin, "127.0.0.1:8080")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin}");
        assert!(body.contains("did not come from the dashboard"));
        assert!(headers.get(header::SET_COOKIE).is_none());
    }
    // The link was not spent: from the base URL's own page (behind a proxy) it signs in.
    let (status, _, _) = w
        .send(post("https://ambassadors.example.com", "127.0.0.1:8080"))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // On one machine, the page's origin is the server itself.
    let token = w.link("UMAX").await;
    let (status, _, _) = w
        .send(
            Request::post("/dashboard/sign-in")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ORIGIN, "http://127.0.0.1:8080")
                .header(header::HOST, "127.0.0.1:8080")
                .body(Body::from(format!("token={token}")))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}
