//! A real Synapse homeserver on 127.0.0.1 for the adapter's tests: installed from PyPI into a
//! cached virtualenv on first use (`target/synapse-venv`), started once per test binary with a
//! generated config (SQLite, no federation, a registration shared secret, and raised rate limits
//! unless [`synapse_with_default_limits`] asks for Synapse's own), and stopped by its wrapper
//! script when the test binary exits.
//!
//! Without a usable Python the tests fail with a message that says so: never a silent skip.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Synapse {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub port: u16,
    secret: String,
}

static SYNAPSE: OnceLock<Result<Synapse, String>> = OnceLock::new();
static SYNAPSE_DEFAULT_LIMITS: OnceLock<Result<Synapse, String>> = OnceLock::new();

/// Which `rc_*` rate limits a homeserver runs with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Limits {
    /// Raised far out of the way, so tests never wait.
    Raised,
    /// Synapse's defaults, as most homeservers run (e.g. 0.2 messages a second after a burst of
    /// 10, 10 room creations then one a minute, 5 logins per address).
    Default,
}

/// The homeserver this test binary shares, started on first use, with raised rate limits.
pub fn synapse() -> &'static Synapse {
    match SYNAPSE.get_or_init(|| start(Limits::Raised)) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// A homeserver with Synapse's default rate limits, started on first use.
pub fn synapse_with_default_limits() -> &'static Synapse {
    match SYNAPSE_DEFAULT_LIMITS.get_or_init(|| start(Limits::Default)) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The harness script, beside this file (found from the adapter's own tests and from the
/// binary's, which share this harness).
fn script() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let own = manifest.join("tests/support/synapse.sh");
    if own.exists() {
        own
    } else {
        manifest.join("../matrix/tests/support/synapse.sh")
    }
}

fn start(limits: Limits) -> Result<Synapse, String> {
    let started = Instant::now();
    let venv = std::env::var_os("SYNAPSE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("synapse-venv"));
    let install = Command::new("bash")
        .arg(script())
        .arg("install")
        .arg(&venv)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run bash for the Synapse harness: {e}"))?;
    if !install.status.success() {
        let why = String::from_utf8_lossy(&install.stderr);
        let ci = if std::env::var_os("CI").is_some() {
            " (CI is set: the Matrix tests must run here)"
        } else {
            ""
        };
        return Err(format!(
            "the Matrix tests need a Synapse homeserver and could not install it{ci}: {why}"
        ));
    }
    let installed = started.elapsed();

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let runs = target_dir().join("synapse-runs");
    std::fs::create_dir_all(&runs).map_err(|e| format!("{}: {e}", runs.display()))?;
    let dir = runs.join(format!("{}-{port}", std::process::id()));
    let log_path = runs.join(format!("{}-{port}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let secret = format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    );
    Command::new("bash")
        .arg(script())
        .arg("run")
        .arg(&venv)
        .arg(&dir)
        .arg(port.to_string())
        .arg(&secret)
        .arg(std::process::id().to_string())
        .arg(match limits {
            Limits::Raised => "raised-limits",
            Limits::Default => "default-limits",
        })
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start Synapse: {e}"))?;

    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if versions_ok(port) {
            eprintln!(
                "synapse: ready on 127.0.0.1:{port} (install/check {:.1}s, start {:.1}s)",
                installed.as_secs_f64(),
                (started.elapsed() - installed).as_secs_f64()
            );
            return Ok(Synapse {
                url: format!("http://127.0.0.1:{port}"),
                port,
                secret,
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    Err(format!(
        "Synapse did not answer /_matrix/client/versions on port {port} within 90 s; its log:\n{log}"
    ))
}

fn versions_ok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_matrix/client/versions HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut response = String::new();
    let _ = s.read_to_string(&mut response);
    response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200")
}

/// A registered account.
pub struct Registered {
    pub user_id: String,
    pub password: String,
    pub access_token: String,
    /// The device the registration made (the access token's).
    pub device_id: String,
}

impl Synapse {
    /// Registers `localpart` with the shared secret (admin API) and returns its credentials.
    pub async fn register(&self, localpart: &str, display_name: &str) -> Registered {
        self.register_as(localpart, display_name, false).await
    }

    /// Registers a server admin (for the admin API).
    pub async fn register_admin(&self, localpart: &str) -> Registered {
        self.register_as(localpart, localpart, true).await
    }

    async fn register_as(&self, localpart: &str, display_name: &str, admin: bool) -> Registered {
        let http = reqwest::Client::new();
        let url = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: serde_json::Value = http
            .get(&url)
            .send()
            .await
            .expect("register nonce")
            .json()
            .await
            .expect("nonce json");
        let nonce = nonce["nonce"].as_str().expect("nonce").to_string();
        let password = format!("pw-{localpart}-secret");
        let mut mac = Hmac::<Sha1>::new_from_slice(self.secret.as_bytes()).expect("hmac key");
        mac.update(nonce.as_bytes());
        mac.update(b"\0");
        mac.update(localpart.as_bytes());
        mac.update(b"\0");
        mac.update(password.as_bytes());
        mac.update(b"\0");
        mac.update(if admin {
            b"admin".as_slice()
        } else {
            b"notadmin"
        });
        let mac = hex::encode(mac.finalize().into_bytes());
        let response = http
            .post(&url)
            .json(&serde_json::json!({
                "nonce": nonce,
                "username": localpart,
                "displayname": display_name,
                "password": password,
                "admin": admin,
                "mac": mac,
            }))
            .send()
            .await
            .expect("register");
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("register json");
        assert!(
            status.is_success(),
            "registering {localpart}: {status} {body}"
        );
        Registered {
            user_id: body["user_id"].as_str().expect("user_id").to_string(),
            password,
            access_token: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_string(),
            device_id: body["device_id"].as_str().expect("device_id").to_string(),
        }
    }
}

impl Synapse {
    /// Overrides the message rate limit of one user (Synapse admin API).
    pub async fn limit_messages(
        &self,
        admin: &Registered,
        user_id: &str,
        per_second: u32,
        burst: u32,
    ) {
        let url = format!(
            "{}/_synapse/admin/v1/users/{}/override_ratelimit",
            self.url,
            super::user::urlencode(user_id)
        );
        let response = reqwest::Client::new()
            .post(url)
            .bearer_auth(&admin.access_token)
            .json(&serde_json::json!({"messages_per_second": per_second, "burst_count": burst}))
            .send()
            .await
            .expect("override ratelimit");
        assert!(
            response.status().is_success(),
            "override ratelimit: {}",
            response.status()
        );
    }

    /// Exempts one user from every rate limit (Synapse admin API: an override of 0 messages a
    /// second), until [`Synapse::default_limits_for`].
    pub async fn exempt_from_limits(&self, admin: &Registered, user_id: &str) {
        self.limit_messages(admin, user_id, 0, 0).await;
    }

    /// Removes a user's rate-limit override: the server's limits apply again.
    pub async fn default_limits_for(&self, admin: &Registered, user_id: &str) {
        let url = format!(
            "{}/_synapse/admin/v1/users/{}/override_ratelimit",
            self.url,
            super::user::urlencode(user_id)
        );
        let response = reqwest::Client::new()
            .delete(url)
            .bearer_auth(&admin.access_token)
            .send()
            .await
            .expect("delete ratelimit override");
        assert!(
            response.status().is_success(),
            "delete ratelimit override: {}",
            response.status()
        );
    }
}
