//! The bot's Matrix client: login and the saved session, the sync loop, and the registration of
//! its event handlers ([`crate::handler`] holds what they do, [`crate::state`] what is kept on disk).

use crate::handler::*;
use crate::send::MatrixMessenger;
use crate::settings::{Credentials, MatrixSettings};
use crate::state::*;
use ambassador_core::{Account, Clock, Platform, Program, Store};
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::event_handler::EventHandlerHandle;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::{OwnedServerName, OwnedUserId, UserId};
use matrix_sdk::{AuthSession, Client, Room, SessionMeta, SessionTokens};
use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Why the adapter could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("matrix settings: {0}")]
    Settings(String),
    #[error("matrix store directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("matrix client: {0}")]
    Client(String),
    #[error("matrix login failed: {0}")]
    Login(String),
    /// The homeserver no longer accepts the session (logged out, token revoked).
    #[error("matrix session is no longer valid: {0}")]
    SessionEnded(String),
}

impl From<matrix_sdk::Error> for MatrixError {
    fn from(e: matrix_sdk::Error) -> Self {
        MatrixError::Client(e.to_string())
    }
}

/// The bot on Matrix: a logged-in client with its persisted session and store.
/// What the adapter reports after each message it took as a command, for metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandHandled {
    /// The first word as typed (`!ambassadors`, `!kudos`), or "" for plain text in a direct room
    /// (a check-in answer, whose text is never reported).
    pub command: String,
    /// `ok` (answered), `ignored` (not a command for the bot) or `error` (a store failure; an
    /// apology was sent).
    pub result: &'static str,
    /// From taking the message to the last reply sent.
    pub elapsed: Duration,
}

/// Called after each handled message; see [`MatrixBot::on_command`].
pub type CommandHook = Arc<dyn Fn(&CommandHandled) + Send + Sync>;

pub struct MatrixBot {
    client: Client,
    settings: MatrixSettings,
    user_id: OwnedUserId,
    state: Arc<StateFile>,
    messenger: MatrixMessenger,
    ready: tokio::sync::watch::Sender<bool>,
    on_command: Option<CommandHook>,
}

impl MatrixBot {
    /// Signs in: restores the session saved in the store directory, or logs in (password) or
    /// adopts the access token, and saves the session for the next start.
    pub async fn login(settings: MatrixSettings) -> Result<MatrixBot, MatrixError> {
        let dir = settings.store_dir.clone();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MatrixError::Io { path, source }
        };
        std::fs::create_dir_all(dir.join(SDK_DIR)).map_err(io(&dir))?;
        // The directory holds the access token and the device's keys: owner only.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io(&dir))?;
        }
        let session_path = dir.join(SESSION_FILE);
        let saved: Option<SavedSession> = match std::fs::read(&session_path) {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| {
                MatrixError::Settings(format!(
                    "{} is unreadable ({e}); remove the store directory to log in afresh",
                    session_path.display()
                ))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(MatrixError::Io {
                    path: session_path,
                    source,
                });
            }
        };

        let client = build_client(&settings, Some(&dir.join(SDK_DIR))).await?;
        // A newly configured access token replaces the saved one (same device only: the store
        // holds that device's keys).
        let saved = match (saved, &settings.credentials) {
            (Some(saved), Credentials::AccessToken(token))
                if *token != saved.session.tokens.access_token =>
            {
                let fresh = token_session(&settings, token).await?;
                if fresh.meta.device_id != saved.session.meta.device_id {
                    return Err(MatrixError::Settings(format!(
                        "the new access token belongs to device {}, but the store directory {} holds the keys of device {}; use a token of that device, or remove the directory to start as a new device",
                        fresh.meta.device_id,
                        dir.display(),
                        saved.session.meta.device_id
                    )));
                }
                Some(SavedSession {
                    homeserver: settings.homeserver.clone(),
                    session: fresh,
                })
            }
            (saved, _) => saved,
        };
        if let Some(saved) = &saved {
            let bytes =
                serde_json::to_vec_pretty(saved).map_err(|e| MatrixError::Client(e.to_string()))?;
            write_atomically(&session_path, &bytes).map_err(io(&session_path))?;
        }
        match saved {
            Some(saved) => {
                if !is_configured_user(&settings, &saved.session.meta.user_id) {
                    return Err(MatrixError::Settings(format!(
                        "the store directory {} holds the session of {}, not {}; use another directory",
                        dir.display(),
                        saved.session.meta.user_id,
                        settings.user
                    )));
                }
                client
                    .restore_session(saved.session)
                    .await
                    .map_err(|e| MatrixError::Login(e.to_string()))?;
                tracing::info!(user = %client.user_id().map(|u| u.to_string()).unwrap_or_default(), "restored the saved matrix session");
            }
            None => {
                let session = match &settings.credentials {
                    Credentials::Password(password) => {
                        client
                            .matrix_auth()
                            .login_username(&settings.user, password)
                            .initial_device_display_name(&settings.device_name)
                            .send()
                            .await
                            .map_err(|e| MatrixError::Login(e.to_string()))?;
                        client.matrix_auth().session().ok_or_else(|| {
                            MatrixError::Login("no session after logging in".into())
                        })?
                    }
                    Credentials::AccessToken(token) => {
                        let session = token_session(&settings, token).await?;
                        if !is_configured_user(&settings, &session.meta.user_id) {
                            return Err(MatrixError::Settings(format!(
                                "the access token belongs to {}, not {}",
                                session.meta.user_id, settings.user
                            )));
                        }
                        client
                            .restore_session(session.clone())
                            .await
                            .map_err(|e| MatrixError::Login(e.to_string()))?;
                        session
                    }
                };
                let saved = SavedSession {
                    homeserver: settings.homeserver.clone(),
                    session,
                };
                let bytes = serde_json::to_vec_pretty(&saved)
                    .map_err(|e| MatrixError::Client(e.to_string()))?;
                write_atomically(&session_path, &bytes).map_err(io(&session_path))?;
                tracing::info!(user = %saved.session.meta.user_id, device = %saved.session.meta.device_id, "logged in to matrix; session saved");
            }
        }
        let user_id = client
            .user_id()
            .ok_or_else(|| MatrixError::Login("no user after login".into()))?
            .to_owned();
        let state = Arc::new(StateFile::load(&dir)?);
        let messenger = MatrixMessenger::new(client.clone());
        Ok(MatrixBot {
            client,
            settings,
            user_id,
            state,
            messenger,
            ready: tokio::sync::watch::Sender::new(false),
            on_command: None,
        })
    }

    /// The bot's own Matrix user id.
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }

    /// The bot's own account, as the core names it.
    pub fn account(&self) -> Account {
        Account::new(Platform::Matrix, self.user_id.as_str())
    }

    /// The underlying SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// True once [`run`](Self::run) listens for commands (after the first sync on a first start),
    /// false again when it stops: for health checks and tests.
    /// Calls `hook` after every message [`run`](Self::run) handles as a command (metrics).
    pub fn on_command(&mut self, hook: CommandHook) {
        self.on_command = Some(hook);
    }

    pub fn ready(&self) -> tokio::sync::watch::Receiver<bool> {
        self.ready.subscribe()
    }

    /// What the outbox sends through.
    pub fn messenger(&self) -> MatrixMessenger {
        self.messenger.clone()
    }

    /// Syncs and answers commands until `shutdown` completes. The first sync ever is done before
    /// any handler exists, so old history is never answered; later starts resume from the saved
    /// sync position, so what was said while the bot was down is answered once. An unreachable
    /// homeserver is retried with backoff; only an ended session stops it with an error.
    pub async fn run<S: Store, C: Clock>(
        &self,
        program: Arc<Program<S, C>>,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), MatrixError> {
        let mut shutdown = std::pin::pin!(shutdown);
        let timeout = self.settings.sync_timeout;
        let mut backoff = Backoff::new(self.settings.max_backoff);

        if !self.state.get().synced {
            tracing::info!("first matrix sync: skipping the history");
            loop {
                let sync = self
                    .client
                    .sync_once(SyncSettings::default().timeout(Duration::ZERO));
                tokio::select! {
                    () = &mut shutdown => return Ok(()),
                    result = sync => match result {
                        Ok(_) => break,
                        Err(e) => {
                            fatal(&e)?;
                            let wait = backoff.next();
                            tracing::warn!(error = %e, retry_in = ?wait, "matrix sync failed");
                            tokio::select! {
                                () = &mut shutdown => return Ok(()),
                                () = tokio::time::sleep(wait) => {}
                            }
                        }
                    }
                }
            }
            self.state
                .update(|s| !std::mem::replace(&mut s.synced, true));
            backoff.reset();
        }

        let handler = Arc::new(Handler {
            program,
            messenger: self.messenger.clone(),
            user_id: self.user_id.clone(),
            allowed_servers: allowed_servers(&self.settings, &self.user_id),
            allowed_rooms: self.settings.allowed_rooms.iter().cloned().collect(),
            state: self.state.clone(),
            on_command: self.on_command.clone(),
            kudos_reaction: self
                .settings
                .kudos_reaction
                .as_deref()
                .map(reaction_key)
                .filter(|k| !k.is_empty()),
        });
        let handles = self.register(handler.clone());

        // Invitations that arrived while no handler listened.
        for room in self.client.invited_rooms() {
            handler.consider_invite(room).await;
        }

        self.ready.send_replace(true);
        let result = loop {
            let sync = self
                .client
                .sync_once(SyncSettings::default().timeout(timeout));
            tokio::select! {
                () = &mut shutdown => break Ok(()),
                result = sync => match result {
                    Ok(_) => backoff.reset(),
                    Err(e) => {
                        if let Err(end) = fatal(&e) {
                            break Err(end);
                        }
                        let wait = backoff.next();
                        tracing::warn!(error = %e, retry_in = ?wait, "matrix sync failed; retrying");
                        tokio::select! {
                            () = &mut shutdown => break Ok(()),
                            () = tokio::time::sleep(wait) => {}
                        }
                    }
                }
            }
        };
        self.ready.send_replace(false);
        for handle in handles {
            self.client.remove_event_handler(handle);
        }
        result
    }

    fn register<S: Store, C: Clock>(&self, handler: Arc<Handler<S, C>>) -> Vec<EventHandlerHandle> {
        let h = handler.clone();
        let on_message =
            self.client
                .add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
                    let h = h.clone();
                    async move { h.on_message(ev, room).await }
                });
        let h = handler.clone();
        let on_invite =
            self.client
                .add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room| {
                    let h = h.clone();
                    async move {
                        if ev.state_key == h.user_id
                            && ev.content.membership == MembershipState::Invite
                        {
                            h.consider_invite(room).await;
                        }
                    }
                });
        let h = handler.clone();
        let on_reaction =
            self.client
                .add_event_handler(move |ev: OriginalSyncReactionEvent, room: Room| {
                    let h = h.clone();
                    async move { h.on_reaction(ev, room).await }
                });
        let h = handler.clone();
        let on_redaction =
            self.client
                .add_event_handler(move |ev: OriginalSyncRoomRedactionEvent, room: Room| {
                    let h = h.clone();
                    async move { h.on_redaction(ev, room).await }
                });
        let h = handler;
        let on_undecryptable =
            self.client
                .add_event_handler(move |ev: OriginalSyncRoomEncryptedEvent, room: Room| {
                    let h = h.clone();
                    async move { h.on_undecryptable(ev, room).await }
                });
        vec![
            on_message,
            on_invite,
            on_reaction,
            on_redaction,
            on_undecryptable,
        ]
    }
}

/// Builds an SDK client; with a store directory, its SQLite state and crypto store live there.
async fn build_client(
    settings: &MatrixSettings,
    sdk_dir: Option<&Path>,
) -> Result<Client, MatrixError> {
    let mut builder = Client::builder()
        .homeserver_url(&settings.homeserver)
        .request_config(RequestConfig::new().timeout(Duration::from_secs(60)));
    if let Some(dir) = sdk_dir {
        builder = builder.sqlite_store(dir, settings.store_passphrase.as_deref());
    }
    builder
        .build()
        .await
        .map_err(|e| MatrixError::Client(e.to_string()))
}

/// Whether a user id is the configured user (a full id, or a localpart).
fn is_configured_user(settings: &MatrixSettings, user: &UserId) -> bool {
    let wanted = settings.user.trim();
    if wanted.starts_with('@') {
        user.as_str() == wanted
    } else {
        user.localpart() == wanted
    }
}

/// The session of an existing access token: its user and device, asked of the homeserver.
async fn token_session(
    settings: &MatrixSettings,
    token: &str,
) -> Result<MatrixSession, MatrixError> {
    // A throwaway in-memory client, so no store is tied to a guessed device.
    let probe = build_client(settings, None).await?;
    let placeholder = SessionMeta {
        user_id: OwnedUserId::try_from("@probe:invalid").expect("valid placeholder"),
        device_id: "PROBE".into(),
    };
    probe
        .restore_session(AuthSession::Matrix(MatrixSession {
            meta: placeholder,
            tokens: SessionTokens {
                access_token: token.to_string(),
                refresh_token: None,
            },
        }))
        .await
        .map_err(|e| MatrixError::Login(e.to_string()))?;
    let who = probe
        .whoami()
        .await
        .map_err(|e| MatrixError::Login(format!("the access token was refused: {e}")))?;
    let device_id = who.device_id.ok_or_else(|| {
        MatrixError::Login("the access token belongs to no device; log in with a password".into())
    })?;
    Ok(MatrixSession {
        meta: SessionMeta {
            user_id: who.user_id,
            device_id,
        },
        tokens: SessionTokens {
            access_token: token.to_string(),
            refresh_token: None,
        },
    })
}

/// The servers whose users may invite and command the bot.
fn allowed_servers(settings: &MatrixSettings, own: &UserId) -> BTreeSet<OwnedServerName> {
    let mut servers: BTreeSet<OwnedServerName> = settings
        .allowed_servers
        .iter()
        .filter_map(|s| match OwnedServerName::try_from(s.trim()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(server = %s, error = %e, "ignoring an invalid allowed server");
                None
            }
        })
        .collect();
    if servers.is_empty() {
        servers.insert(own.server_name().to_owned());
    }
    servers
}

/// Errors after which syncing again cannot help.
fn fatal(e: &matrix_sdk::Error) -> Result<(), MatrixError> {
    match e.client_api_error_kind() {
        Some(ErrorKind::UnknownToken(_)) | Some(ErrorKind::UserDeactivated) => {
            Err(MatrixError::SessionEnded(format!(
                "{e}; configure a valid access token of the same device, or remove the store directory to log in as a new device"
            )))
        }
        _ => Ok(()),
    }
}

/// Exponential backoff from one second up to a maximum.
pub(crate) struct Backoff {
    current: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(max: Duration) -> Self {
        Backoff {
            current: Duration::ZERO,
            max,
        }
    }
    pub(crate) fn next(&mut self) -> Duration {
        self.current = if self.current.is_zero() {
            Duration::from_secs(1)
        } else {
            (self.current * 2).min(self.max)
        };
        self.current.min(self.max)
    }
    pub(crate) fn reset(&mut self) {
        self.current = Duration::ZERO;
    }
}
