//! What the Matrix adapter needs to know; the binary's configuration (`[matrix]`) maps onto it.

use std::path::PathBuf;
use std::time::Duration;

/// How the bot signs in.
#[derive(Clone)]
pub enum Credentials {
    /// A password; the bot logs in once and keeps the session (device and keys) in the store.
    Password(String),
    /// An access token of an existing device (e.g. made by an admin); its device id is asked of
    /// the homeserver.
    AccessToken(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets are never printed.
        match self {
            Credentials::Password(_) => f.write_str("Password(<redacted>)"),
            Credentials::AccessToken(_) => f.write_str("AccessToken(<redacted>)"),
        }
    }
}

/// The Matrix adapter's settings.
#[derive(Clone, Debug)]
pub struct MatrixSettings {
    /// The homeserver's client API URL, e.g. `https://matrix.example.org`.
    pub homeserver: String,
    /// The bot's user: a full id `@ambassadors:example.org` or a localpart `ambassadors`.
    pub user: String,
    pub credentials: Credentials,
    /// Where the session, the SDK's SQLite state and crypto store, and the adapter's own small
    /// state live. Keep it across restarts: it holds the device's encryption keys and the sync
    /// position.
    pub store_dir: PathBuf,
    /// Encrypts the SDK's SQLite stores when set.
    pub store_passphrase: Option<String>,
    /// The display name of the bot's device, shown to people verifying it.
    pub device_name: String,
    /// Servers whose users may invite the bot and use its commands. Empty: only the bot's own
    /// server.
    pub allowed_servers: Vec<String>,
    /// Rooms (`!id:server`) the bot joins and answers in whoever invites it.
    pub allowed_rooms: Vec<String>,
    /// Long-poll timeout of one sync request.
    pub sync_timeout: Duration,
    /// Longest wait between two reconnection attempts when the homeserver is unreachable.
    pub max_backoff: Duration,
    /// A reaction (an emoji such as `🙌`) on someone's message gives its author kudos from the
    /// person who reacted. `None`: reactions are ignored.
    pub kudos_reaction: Option<String>,
}

impl MatrixSettings {
    /// Settings with the defaults for everything but the essentials.
    pub fn new(
        homeserver: impl Into<String>,
        user: impl Into<String>,
        credentials: Credentials,
        store_dir: impl Into<PathBuf>,
    ) -> Self {
        MatrixSettings {
            homeserver: homeserver.into(),
            user: user.into(),
            credentials,
            store_dir: store_dir.into(),
            store_passphrase: None,
            device_name: "Ambassador Bot".into(),
            allowed_servers: Vec::new(),
            allowed_rooms: Vec::new(),
            sync_timeout: Duration::from_secs(30),
            max_backoff: Duration::from_secs(60),
            kudos_reaction: None,
        }
    }
}
