//! The web dashboard under `/dashboard`: coverage, participation and recognition as charts with
//! their numbers, server-rendered, no script. Signed in from chat: `ambassadors dashboard` sends a
//! one-time link; its page asks for a click (a POST, so a link preview cannot use it up), which
//! starts a session kept in an HttpOnly, SameSite=Strict cookie (Secure unless the dashboard is
//! plain http on this machine). Every request reads the session and the viewer's role afresh.

mod html;
mod pages;
mod svg;
#[cfg(test)]
mod tests;

use ambassador_core::command::Role;
use ambassador_core::program::Viewer;
use ambassador_core::{Clock, Program, SignIn, Store, apology};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use html::{Nav, Page, esc, plain};
use std::collections::HashMap;
use std::sync::Arc;

/// The session cookie's name.
pub const COOKIE: &str = "ambassador_session";

/// What the dashboard's handlers share.
pub struct Dashboard<S, C> {
    pub program: Arc<Program<S, C>>,
    /// Whether the session cookie is `Secure` (everywhere but plain http on loopback).
    pub secure_cookie: bool,
}

/// The dashboard's routes, to be merged into `run`'s router.
pub fn router<S: Store, C: Clock>(dashboard: Arc<Dashboard<S, C>>) -> Router {
    Router::new()
        .route(
            "/dashboard",
            get(|| async { Redirect::to("/dashboard/coverage") }),
        )
        .route(
            "/dashboard/sign-in",
            get(sign_in_page).post(sign_in::<S, C>),
        )
        .route("/dashboard/sign-out", post(sign_out::<S, C>))
        .route("/dashboard/{page}", get(show::<S, C>))
        .with_state(dashboard)
}

/// A plain HTML response.
fn respond(status: StatusCode, title: &str, body: &str) -> Response {
    let mut response = (status, plain(title, body)).into_response();
    secure_headers(response.headers_mut());
    response
}

/// No framing, no referrer beyond the dashboard (the sign-in page's address holds its token),
/// nothing from elsewhere.
fn secure_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    // `same-origin`, not `no-referrer`: with `no-referrer` a browser posts the sign-in form with
    // `Origin: null`, which the sign-in refuses. No page links elsewhere.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

const ASK_AGAIN: &str = "<p>Ask the bot for a new one: type <code>/ambassadors dashboard</code> in Slack or <code>!ambassadors dashboard</code> in Matrix. It comes by direct message and works once, for 10 minutes.</p>";

async fn sign_in_page(Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(token) = query.get("token").filter(|t| !t.trim().is_empty()) else {
        return respond(
            StatusCode::BAD_REQUEST,
            "This sign-in link is incomplete",
            &format!(
                "<p>The address has no sign-in token: it may have been cut when copied.</p>{ASK_AGAIN}"
            ),
        );
    };
    respond(
        StatusCode::OK,
        "Sign in to the ambassador dashboard",
        &format!(
            "<p>This link signs you in as the person it was sent to, once.</p><form method=\"post\" action=\"/dashboard/sign-in\"><input type=\"hidden\" name=\"token\" value=\"{}\"><button>Sign in</button></form>",
            esc(token)
        ),
    )
}

/// Whether a form was posted from the dashboard's own page: the `Origin` a browser sends (when it
/// sends one) names this server (its `Host`) or the configured base URL. Another site's form
/// could otherwise sign a visitor in to the session of a link that is not theirs.
fn same_origin(headers: &HeaderMap, base_url: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let authority = |url: &str| {
        url.split_once("://").map(|(_, rest)| {
            rest.split('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
        })
    };
    let Some(from) = authority(origin) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    host.as_deref() == Some(from.as_str()) || base_url.and_then(authority).as_deref() == Some(&from)
}

async fn sign_in<S: Store, C: Clock>(
    State(d): State<Arc<Dashboard<S, C>>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !same_origin(&headers, d.program.settings.dashboard.base_url.as_deref()) {
        tracing::warn!("a dashboard sign-in posted from another site was refused");
        return respond(
            StatusCode::FORBIDDEN,
            "This sign-in did not come from the dashboard",
            &format!("<p>Open your sign-in link again and press its button.</p>{ASK_AGAIN}"),
        );
    }
    let token = form.get("token").map(|t| t.trim()).unwrap_or_default();
    let outcome = if token.is_empty() {
        Ok(SignIn::Unknown)
    } else {
        d.program.sign_in(token).await
    };
    match outcome {
        Ok(SignIn::SignedIn { person, session }) => {
            tracing::info!(person = %person.account, "signed in to the dashboard");
            let mut response = Redirect::to("/dashboard/coverage").into_response();
            let cookie = format!(
                "{COOKIE}={session}; Path=/dashboard; HttpOnly; SameSite=Strict{}",
                if d.secure_cookie { "; Secure" } else { "" }
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(SignIn::Used) => respond(
            StatusCode::GONE,
            "This sign-in link was used already",
            &format!(
                "<p>Each link works once. If it was you, you may still be signed in: <a href=\"/dashboard\">open the dashboard</a>.</p>{ASK_AGAIN}"
            ),
        ),
        Ok(SignIn::Expired) => respond(
            StatusCode::GONE,
            "This sign-in link has run out",
            &format!("<p>Links work for 10 minutes.</p>{ASK_AGAIN}"),
        ),
        Ok(SignIn::Unknown) => respond(
            StatusCode::NOT_FOUND,
            "This is not a sign-in link the bot knows",
            &format!("<p>Check that the whole address was copied.</p>{ASK_AGAIN}"),
        ),
        Err(e) => {
            tracing::error!(error = %e, "cannot sign in to the dashboard");
            respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong",
                &format!("<p>{}</p>", esc(&ambassador_core::render_plain(&apology()))),
            )
        }
    }
}

/// The session token of the request's cookie.
fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE && !value.is_empty()).then(|| value.to_string())
        })
}

async fn sign_out<S: Store, C: Clock>(
    State(d): State<Arc<Dashboard<S, C>>>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = session_token(&headers)
        && let Err(e) = d.program.sign_out(&token).await
    {
        tracing::error!(error = %e, "cannot end a dashboard session");
    }
    let mut response = respond(
        StatusCode::OK,
        "Signed out",
        &format!("<p>You are signed out of the dashboard.</p>{ASK_AGAIN}"),
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "ambassador_session=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    response
}

/// Which pages a viewer may open.
fn nav(viewer: &Viewer) -> Nav {
    vec![
        ("/dashboard/coverage", "Coverage", true),
        (
            "/dashboard/participation",
            "Participation",
            viewer.role != Role::Member,
        ),
        ("/dashboard/recognition", "Recognition", true),
        (
            "/dashboard/activity",
            "Activity",
            viewer.role != Role::Member,
        ),
    ]
}

async fn show<S: Store, C: Clock>(
    State(d): State<Arc<Dashboard<S, C>>>,
    Path(page): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let viewer = match session_token(&headers) {
        Some(token) => d.program.session_viewer(&token).await,
        None => Ok(None),
    };
    let viewer = match viewer {
        Ok(Some(v)) => v,
        Ok(None) => {
            return respond(
                StatusCode::UNAUTHORIZED,
                "Please sign in",
                &format!(
                    "<p>The dashboard opens with a sign-in link from chat (a session ends after 8 hours unused).</p>{ASK_AGAIN}"
                ),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read a dashboard session");
            return respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong",
                "<p>The dashboard cannot reach its database right now. Please try again in a minute.</p>",
            );
        }
    };
    let (name, csv) = match page.strip_suffix(".csv") {
        Some(name) => (name, true),
        None => (page.as_str(), false),
    };
    let built: Result<Option<Page>, ambassador_core::StoreError> = match name {
        "coverage" => pages::coverage(&d.program).await.map(Some),
        "activity" if viewer.role == Role::Member => {
            return respond(
                StatusCode::FORBIDDEN,
                "Activity is for ambassadors and the program office",
                "<p>You can see <a href=\"/dashboard/coverage\">coverage</a> and <a href=\"/dashboard/recognition\">recognition</a>.</p>",
            );
        }
        "activity" => {
            let this = ambassador_core::program::quarter_of(d.program.today());
            // Another quarter when asked for one (`?quarter=2027-Q1`), read by the chat's rule;
            // a bad or future one falls back to this quarter.
            let quarter = query
                .get("quarter")
                .and_then(|q| ambassador_core::command::parse_quarter(q.trim()).ok())
                .filter(|q| *q <= this)
                .unwrap_or(this);
            pages::activity(&d.program, &viewer, quarter, this)
                .await
                .map(Some)
        }
        "recognition" => {
            let weeks = query
                .get("weeks")
                .and_then(|w| w.parse::<u32>().ok())
                .filter(|w| pages::RECOGNITION_PERIODS.contains(w))
                .unwrap_or(pages::RECOGNITION_WEEKS);
            pages::recognition(&d.program, weeks).await.map(Some)
        }
        "participation" => match viewer.role {
            Role::Office => pages::participation(&d.program, &viewer, None)
                .await
                .map(Some),
            Role::Ambassador => {
                let region = viewer.region.clone().unwrap_or_default();
                pages::participation(&d.program, &viewer, Some(&region))
                    .await
                    .map(Some)
            }
            Role::Member => {
                return respond(
                    StatusCode::FORBIDDEN,
                    "Participation is for ambassadors and the program office",
                    "<p>You can see <a href=\"/dashboard/coverage\">coverage</a> and <a href=\"/dashboard/recognition\">recognition</a>.</p>",
                );
            }
        },
        _ => Ok(None),
    };
    let page = match built {
        Ok(Some(page)) => page,
        Ok(None) => {
            return respond(
                StatusCode::NOT_FOUND,
                "No such page",
                "<p>The dashboard has <a href=\"/dashboard/coverage\">coverage</a>, participation and <a href=\"/dashboard/recognition\">recognition</a>.</p>",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, page = name, "cannot build a dashboard page");
            return respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong",
                "<p>The dashboard cannot reach its database right now. Please try again in a minute.</p>",
            );
        }
    };
    if csv {
        let wanted = query.get("table").map(String::as_str).unwrap_or_default();
        let Some(section) = page.sections.iter().find(|s| s.id == wanted) else {
            return respond(
                StatusCode::NOT_FOUND,
                "No such table",
                "<p>Use the download link under a chart.</p>",
            );
        };
        return match html::csv(&section.table) {
            Ok(bytes) => {
                let disposition = format!("attachment; filename=\"{name}-{wanted}.csv\"");
                let mut response = (StatusCode::OK, bytes).into_response();
                let h = response.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                );
                if let Ok(v) = HeaderValue::from_str(&disposition) {
                    h.insert(header::CONTENT_DISPOSITION, v);
                }
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot write a dashboard table as CSV");
                respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "",
                )
            }
        };
    }
    let who = format!(
        "{} · {}",
        viewer.person.display_name,
        match viewer.role {
            Role::Office => "program office",
            Role::Ambassador => "ambassador",
            Role::Member => "member",
        }
    );
    let mut response = (StatusCode::OK, html::page(&page, &nav(&viewer), &who)).into_response();
    secure_headers(response.headers_mut());
    response
}
