//! The bot's Matrix client: login and the saved session, the sync loop, joins, and the handlers
//! that turn room messages into core commands.

use crate::inbound::{is_leave_command, program_text, reacted_text};
use crate::send::{MatrixMessenger, reply_config};
use crate::settings::{Credentials, MatrixSettings};
use ambassador_core::{
    Account, Audience, Clock, Destination, Inbound, Message, Platform, Program, Reply, Store,
    apology,
};
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::event_handler::EventHandlerHandle;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{OriginalSyncRoomMessageEvent, Relation};
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
};
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedServerName, OwnedUserId, UserId};
use matrix_sdk::{AuthSession, Client, Room, RoomState, SessionMeta, SessionTokens};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument;

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

const SESSION_FILE: &str = "session.json";
const STATE_FILE: &str = "adapter-state.json";
const SDK_DIR: &str = "sdk";

/// The session saved next to the SDK's store, so a restart keeps its device and keys.
#[derive(Serialize, Deserialize)]
struct SavedSession {
    homeserver: String,
    #[serde(flatten)]
    session: MatrixSession,
}

/// The adapter's own small state, kept in the store directory.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct AdapterState {
    /// The first sync (whose history is never answered) is done.
    #[serde(default)]
    synced: bool,
    /// Rooms already told that a message could not be decrypted.
    #[serde(default)]
    undecryptable_noticed: BTreeSet<String>,
}

struct StateFile {
    path: PathBuf,
    state: Mutex<AdapterState>,
}

impl StateFile {
    fn load(dir: &Path) -> Result<StateFile, MatrixError> {
        let path = dir.join(STATE_FILE);
        let state = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), error = %e, "unreadable adapter state; starting afresh");
                AdapterState::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => AdapterState::default(),
            Err(source) => return Err(MatrixError::Io { path, source }),
        };
        Ok(StateFile {
            path,
            state: Mutex::new(state),
        })
    }

    fn get(&self) -> AdapterState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the state and saves it; `change` returns false when nothing changed.
    fn update(&self, change: impl FnOnce(&mut AdapterState) -> bool) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !change(&mut state) {
            return;
        }
        let saved = serde_json::to_vec_pretty(&*state)
            .map_err(std::io::Error::other)
            .and_then(|bytes| write_atomically(&self.path, &bytes));
        if let Err(e) = saved {
            tracing::error!(path = %self.path.display(), error = %e, "could not save the adapter state");
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
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
struct Backoff {
    current: Duration,
    max: Duration,
}

impl Backoff {
    fn new(max: Duration) -> Self {
        Backoff {
            current: Duration::ZERO,
            max,
        }
    }
    fn next(&mut self) -> Duration {
        self.current = if self.current.is_zero() {
            Duration::from_secs(1)
        } else {
            (self.current * 2).min(self.max)
        };
        self.current.min(self.max)
    }
    fn reset(&mut self) {
        self.current = Duration::ZERO;
    }
}

/// What the event handlers share.
struct Handler<S, C> {
    program: Arc<Program<S, C>>,
    messenger: MatrixMessenger,
    user_id: OwnedUserId,
    allowed_servers: BTreeSet<OwnedServerName>,
    allowed_rooms: BTreeSet<String>,
    state: Arc<StateFile>,
    /// The reaction key that gives kudos (without emoji variation selectors), if configured.
    kudos_reaction: Option<String>,
    on_command: Option<CommandHook>,
}

/// Where a command is answered.
struct Answering<'a> {
    room: &'a Room,
    /// The message the answer replies to (the command, or the message reacted to).
    to: &'a OriginalSyncRoomMessageEvent,
    /// Who asked: caller replies are for them alone.
    caller: &'a UserId,
    direct: bool,
    /// Whether a private answer sent to the direct room is pointed to in the room.
    note_private: bool,
}

const PRIVATE_NOTE: &str = "I answered you in our direct room.";
const PRIVATE_FAILED_NOTE: &str = "I could not open a direct room with you to answer privately. Please start a direct chat with me and ask there.";

/// A reaction key as compared with `matrix.kudos_reaction`: without emoji variation selectors
/// (clients differ in sending "🙌" or "🙌\u{FE0F}") and surrounding spaces.
fn reaction_key(key: &str) -> String {
    key.trim()
        .chars()
        .filter(|c| !matches!(c, '\u{FE0E}' | '\u{FE0F}'))
        .collect()
}

const UNDECRYPTABLE_NOTICE: &str = "I could not decrypt a message in this room, so I cannot answer it. If it was a command for me, please send it again; if this keeps happening, the program office can check my encryption keys.";

impl<S: Store, C: Clock> Handler<S, C> {
    fn room_allowed(&self, room: &Room) -> bool {
        self.allowed_rooms.contains(room.room_id().as_str())
    }

    fn sender_allowed(&self, sender: &UserId, room: &Room) -> bool {
        self.allowed_servers.contains(sender.server_name()) || self.room_allowed(room)
    }

    /// Joins an invited room when the inviter's server or the room is allowed, else declines.
    async fn consider_invite(&self, room: Room) {
        if room.state() != RoomState::Invited {
            return;
        }
        let inviter = match room.invite_details().await {
            Ok(details) => Some(details.inviter_id),
            Err(e) => {
                tracing::warn!(room = %room.room_id(), error = %e, "no invite details");
                None
            }
        };
        let allowed = self.room_allowed(&room)
            || inviter
                .as_ref()
                .is_some_and(|i| self.allowed_servers.contains(i.server_name()));
        if !allowed {
            tracing::info!(room = %room.room_id(), inviter = ?inviter.as_ref().map(|i| i.as_str()), "declining an invitation from a server that is not allowed");
            if let Err(e) = room.leave().await {
                tracing::warn!(room = %room.room_id(), error = %e, "could not decline the invitation");
            }
            return;
        }
        // Joining can race the invitation (the homeserver may not know it yet): retry with
        // backoff, without holding up the sync loop.
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(500);
            for attempt in 1..=8 {
                match room.join().await {
                    Ok(()) => {
                        tracing::info!(room = %room.room_id(), "joined");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(room = %room.room_id(), attempt, error = %e, "join failed; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(60));
                    }
                }
            }
            tracing::error!(room = %room.room_id(), "giving up joining");
        });
    }

    /// Whether an event predates the bot's joining of the room (history it must not answer).
    async fn before_join(&self, room: &Room, ts: MilliSecondsSinceUnixEpoch) -> bool {
        match room.get_member_no_sync(&self.user_id).await {
            Ok(Some(member)) => member
                .event()
                .origin_server_ts()
                .is_some_and(|joined| ts < joined),
            _ => false,
        }
    }

    /// Whether this event is new to every replica. Replicas take turns running the sync, each
    /// from its own saved position: an event the previous one answered may come again, and is
    /// dropped here (the store remembers it for all of them).
    async fn first_time(&self, event_id: &str) -> bool {
        let key = format!("matrix:{event_id}");
        match self
            .program
            .store
            .remember_event(&key, self.program.clock.now())
            .await
        {
            Ok(true) => true,
            Ok(false) => {
                tracing::debug!(event = %event_id, "event already handled; dropped");
                false
            }
            Err(e) => {
                tracing::warn!(event = %event_id, error = %e, "cannot check the event against the store; handling it");
                true
            }
        }
    }

    async fn on_message(&self, ev: OriginalSyncRoomMessageEvent, room: Room) {
        if room.state() != RoomState::Joined || ev.sender == self.user_id {
            return;
        }
        // Edits would run a command twice.
        if matches!(ev.content.relates_to, Some(Relation::Replacement(_))) {
            return;
        }
        let direct = room.is_direct().await.unwrap_or(false);
        let Some(text) = program_text(&ev.content.msgtype, direct) else {
            return;
        };
        if !self.sender_allowed(&ev.sender, &room) {
            tracing::debug!(sender = %ev.sender, room = %room.room_id(), "ignoring a command from a server that is not allowed");
            return;
        }
        if self.before_join(&room, ev.origin_server_ts).await {
            tracing::debug!(event = %ev.event_id, "ignoring a command from before the bot joined");
            return;
        }
        if !self.first_time(ev.event_id.as_str()).await {
            return;
        }
        // Direct-room text may be a private check-in answer: only commands are logged.
        let command = if text.starts_with(['!', '/']) {
            text.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            "(direct text)".to_string()
        };
        let span = tracing::info_span!("matrix", room = %room.room_id(), user = %ev.sender, command = %command);
        let started = Instant::now();
        let word = if text.starts_with(['!', '/']) {
            text.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string()
        } else {
            String::new()
        };
        let result = self.answer(ev, room, text, direct).instrument(span).await;
        if let Some(hook) = &self.on_command {
            hook(&CommandHandled {
                command: word,
                result,
                elapsed: started.elapsed(),
            });
        }
    }

    async fn answer(
        &self,
        ev: OriginalSyncRoomMessageEvent,
        room: Room,
        text: String,
        direct: bool,
    ) -> &'static str {
        if is_leave_command(&text) {
            self.leave_when_asked(&ev, &room, direct).await;
            return "ok";
        }
        let sender_name = self.display_name(&room, &ev.sender).await;
        self.learn_mentioned_names(&room, &text).await;
        let inbound = Inbound {
            sender: Account::new(Platform::Matrix, ev.sender.as_str()),
            sender_name,
            room: room.room_id().to_string(),
            text,
            bot: Some(Account::new(Platform::Matrix, self.user_id.as_str())),
            direct,
            create_mentioned: true,
        };
        let (replies, result) = match self.program.handle(&inbound).await {
            Ok(None) => return "ignored",
            Ok(Some(replies)) => (replies, "ok"),
            Err(e) => {
                tracing::error!(error = %e, "store failure while handling a matrix command");
                (vec![Reply::caller(apology())], "error")
            }
        };
        let to = Answering {
            room: &room,
            to: &ev,
            caller: &ev.sender,
            direct,
            note_private: true,
        };
        self.deliver(&to, replies).await;
        result
    }

    /// Delivers the program's replies.
    ///
    /// - Room replies go into the room, in the thread of `to.to` or as a reply to it.
    /// - Caller replies are for the caller alone (ephemeral on Slack). Matrix has no ephemeral
    ///   messages, and some of these answers are private (check-in answers, the office's feedback
    ///   view, one's own activity log), so in a group room they go to the caller's direct room,
    ///   with a short note in the room when nothing else answered there. In a direct room they
    ///   are answered in place.
    /// - Replies to the caller's direct conversation go into their direct room.
    async fn deliver(&self, to: &Answering<'_>, replies: Vec<Reply>) {
        let room_answered = replies.iter().any(|r| r.audience == Audience::Room);
        let mut sent_privately = false;
        let mut private_failed = false;
        for reply in replies {
            let result = match &reply.audience {
                Audience::Room => {
                    self.messenger
                        .reply(to.room, to.to, &reply.message, false)
                        .await
                }
                Audience::Caller if to.direct => {
                    self.messenger
                        .reply(to.room, to.to, &reply.message, false)
                        .await
                }
                Audience::Caller => {
                    let sent = self
                        .messenger
                        .send_direct(to.caller, &reply.message, None, Some(reply_config()))
                        .await;
                    match &sent {
                        Ok(()) => sent_privately = true,
                        Err(_) => private_failed = true,
                    }
                    sent
                }
                Audience::CallerDirect if to.direct => {
                    self.messenger
                        .reply(to.room, to.to, &reply.message, false)
                        .await
                }
                Audience::CallerDirect => {
                    self.messenger
                        .send_direct(to.caller, &reply.message, None, Some(reply_config()))
                        .await
                }
            };
            if let Err(e) = result {
                tracing::error!(error = %e, audience = ?reply.audience, "could not send a reply");
            }
        }
        if !to.note_private || room_answered || !(sent_privately || private_failed) {
            return;
        }
        // The answer itself never goes into the room: it may be private.
        let note = if private_failed {
            PRIVATE_FAILED_NOTE
        } else {
            PRIVATE_NOTE
        };
        if let Err(e) = self
            .messenger
            .reply(to.room, to.to, &Message::text(note), true)
            .await
        {
            tracing::error!(error = %e, "could not point to the direct room");
        }
    }

    /// `!ambassadors leave`: the program office asks the bot to leave a group room. It says
    /// goodbye and leaves; anyone else is told who can ask, and direct rooms are kept.
    async fn leave_when_asked(&self, ev: &OriginalSyncRoomMessageEvent, room: &Room, direct: bool) {
        let caller = Account::new(Platform::Matrix, ev.sender.as_str());
        let answer = if direct {
            Some("This is our direct room: check-in prompts and private answers come here, so I stay. You can leave it yourself; I open a new one when I next need to write to you.".to_string())
        } else if !self.program.settings.office.contains(&caller) {
            Some("Only the program office can ask me to leave a room. Ask them, or ask a moderator of this room to remove me.".to_string())
        } else {
            None
        };
        if let Some(answer) = answer {
            if let Err(e) = self
                .messenger
                .reply(room, ev, &Message::text(answer), true)
                .await
            {
                tracing::error!(error = %e, "could not answer a leave request");
            }
            return;
        }
        let digest_here = self.program.settings.digest.channels.iter().any(|d| {
            matches!(d, Destination::Room { platform: Platform::Matrix, id } if id == room.room_id().as_str())
        });
        let mut goodbye =
            "👋 Goodbye! The program office asked me to leave this room. Invite me again any time."
                .to_string();
        if digest_here {
            goodbye.push_str(" (The weekly digest is still set to come here: remove this room from digest.channels.)");
        }
        if let Err(e) = self
            .messenger
            .reply(room, ev, &Message::text(goodbye), false)
            .await
        {
            tracing::warn!(error = %e, "could not say goodbye before leaving");
        }
        match room.leave().await {
            Ok(()) => {
                tracing::info!(room = %room.room_id(), by = %ev.sender, "left the room at the office's request")
            }
            Err(e) => {
                tracing::error!(room = %room.room_id(), error = %e, "could not leave the room")
            }
        }
    }

    /// A reaction: with `matrix.kudos_reaction` set and that emoji on someone's message, its
    /// author gets kudos from the person who reacted, for the message (shortened). Reactions on
    /// the bot's own messages (the digest, say) are applause, not kudos, and are ignored.
    async fn on_reaction(&self, ev: OriginalSyncReactionEvent, room: Room) {
        let Some(wanted) = &self.kudos_reaction else {
            return;
        };
        if room.state() != RoomState::Joined || ev.sender == self.user_id {
            return;
        }
        if reaction_key(&ev.content.relates_to.key) != *wanted {
            return;
        }
        if !self.sender_allowed(&ev.sender, &room)
            || self.before_join(&room, ev.origin_server_ts).await
            || !self.first_time(ev.event_id.as_str()).await
        {
            return;
        }
        let span = tracing::info_span!("matrix", room = %room.room_id(), user = %ev.sender, command = "kudos reaction");
        self.kudos_by_reaction(ev, room).instrument(span).await;
    }

    /// A redaction: when it takes away a kudos reaction, the kudos that reaction gave is taken
    /// back (the store knows each reaction's kudos) and the giver is told in their direct room.
    /// Only the giver's own redaction does it; any other redaction finds no kudos and does nothing.
    async fn on_redaction(&self, ev: OriginalSyncRoomRedactionEvent, room: Room) {
        if self.kudos_reaction.is_none()
            || room.state() != RoomState::Joined
            || ev.sender == self.user_id
        {
            return;
        }
        // Room version 11 names the redacted event in the content, earlier ones beside it.
        let Some(redacted) = ev.content.redacts.clone().or(ev.redacts.clone()) else {
            return;
        };
        if !self.sender_allowed(&ev.sender, &room)
            || self.before_join(&room, ev.origin_server_ts).await
            || !self.first_time(ev.event_id.as_str()).await
        {
            return;
        }
        let span = tracing::info_span!("matrix", room = %room.room_id(), user = %ev.sender, command = "kudos reaction removed");
        async {
            let giver = Inbound {
                sender: Account::new(Platform::Matrix, ev.sender.as_str()),
                sender_name: String::new(),
                room: room.room_id().to_string(),
                text: String::new(),
                bot: Some(Account::new(Platform::Matrix, self.user_id.as_str())),
                direct: false,
                create_mentioned: false,
            };
            let source = ambassador_core::program::reaction_source(
                Platform::Matrix,
                room.room_id().as_str(),
                redacted.as_str(),
            );
            let replies = match self.program.take_back_by_reaction(&giver, &source).await {
                Ok(replies) => replies,
                Err(e) => {
                    tracing::error!(error = %e, "store failure while taking back a kudos");
                    return;
                }
            };
            for reply in replies {
                if let Err(e) = self
                    .messenger
                    .send_direct(&ev.sender, &reply.message, None, Some(reply_config()))
                    .await
                {
                    tracing::warn!(error = %e, "could not tell the giver their kudos is taken back");
                }
            }
        }
        .instrument(span)
        .await;
    }

    async fn kudos_by_reaction(&self, ev: OriginalSyncReactionEvent, room: Room) {
        let target_id = &ev.content.relates_to.event_id;
        let target = match room.event(target_id, None).await {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(event = %target_id, error = %e, "could not fetch the message reacted to");
                return;
            }
        };
        let Ok(AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(
            SyncMessageLikeEvent::Original(message),
        ))) = target.raw().deserialize()
        else {
            tracing::debug!(event = %target_id, "a reaction to something other than a readable message");
            return;
        };
        if message.sender == self.user_id {
            tracing::debug!("a reaction to the bot's own message: no kudos");
            return;
        }
        let direct = room.is_direct().await.unwrap_or(false);
        let sender_name = self.display_name(&room, &ev.sender).await;
        let receiver = Account::new(Platform::Matrix, message.sender.as_str());
        self.learn_name(&room, &message.sender).await;
        let reaction = Inbound {
            sender: Account::new(Platform::Matrix, ev.sender.as_str()),
            sender_name,
            room: room.room_id().to_string(),
            text: reacted_text(&message.content.msgtype),
            bot: Some(Account::new(Platform::Matrix, self.user_id.as_str())),
            direct,
            create_mentioned: true,
        };
        // The reaction's own event: redacting it takes the kudos back.
        let source = ambassador_core::program::reaction_source(
            Platform::Matrix,
            room.room_id().as_str(),
            ev.event_id.as_str(),
        );
        let replies = match self
            .program
            .kudos_by_reaction(&reaction, &receiver, &source)
            .await
        {
            Ok(replies) => replies,
            Err(e) => {
                tracing::error!(error = %e, "store failure while giving kudos by reaction");
                vec![Reply::caller(apology())]
            }
        };
        // The kudos answers the message reacted to; the giver's note and refusals go to the
        // giver's direct room, with no note in the room (a reaction is quiet).
        let to = Answering {
            room: &room,
            to: &message,
            caller: &ev.sender,
            direct,
            note_private: false,
        };
        self.deliver(&to, replies).await;
    }

    async fn display_name(&self, room: &Room, user: &UserId) -> String {
        match room.get_member_no_sync(user).await {
            Ok(Some(m)) => m
                .display_name()
                .map(str::to_string)
                .unwrap_or_else(|| user.localpart().to_string()),
            _ => user.localpart().to_string(),
        }
    }

    /// Mentioned room members are recorded with their display name, so replies show "Bob" rather
    /// than "@bob:example.org" for people the bot has not met yet.
    /// At most `program.kudos_max_people` distinct people: a kudos naming more is refused anyway.
    async fn learn_mentioned_names(&self, room: &Room, text: &str) {
        let max = self.program.settings.kudos_max_people.max(1) as usize;
        let mut learned: Vec<OwnedUserId> = Vec::new();
        for word in text.split_whitespace() {
            let word = word.trim_end_matches([',', ';', '.', '!', '?', ')']);
            if let Ok(user) = OwnedUserId::try_from(word) {
                if learned.contains(&user) {
                    continue;
                }
                if learned.len() == max {
                    break;
                }
                self.learn_name(room, &user).await;
                learned.push(user);
            }
        }
    }

    /// Records a room member the bot has not met yet with their display name.
    async fn learn_name(&self, room: &Room, user: &UserId) {
        if user == self.user_id {
            return;
        }
        if let Ok(Some(member)) = room.get_member_no_sync(user).await
            && let Some(name) = member.display_name()
        {
            let account = Account::new(Platform::Matrix, user.as_str());
            let known = self.program.store.find_person(&account).await;
            if matches!(known, Ok(None))
                && let Err(e) = self
                    .program
                    .store
                    .ensure_person(&account, &ambassador_core::display_name(name))
                    .await
            {
                tracing::warn!(error = %e, "could not record a mentioned person");
            }
        }
    }

    /// An event the bot cannot decrypt: said once per room, so people are not left waiting.
    async fn on_undecryptable(&self, ev: OriginalSyncRoomEncryptedEvent, room: Room) {
        if room.state() != RoomState::Joined || ev.sender == self.user_id {
            return;
        }
        if self.before_join(&room, ev.origin_server_ts).await {
            return;
        }
        let room_id = room.room_id().to_string();
        tracing::warn!(room = %room_id, sender = %ev.sender, event = %ev.event_id, "could not decrypt an event");
        if self.state.get().undecryptable_noticed.contains(&room_id) {
            return;
        }
        self.state
            .update(|s| s.undecryptable_noticed.insert(room_id.clone()));
        let notice = Message::text(UNDECRYPTABLE_NOTICE);
        if let Err(e) = self
            .messenger
            .send_to_room(&room, &notice, None, None)
            .await
        {
            tracing::error!(room = %room_id, error = %e, "could not say that an event was undecryptable");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let mut b = Backoff::new(Duration::from_secs(5));
        let waits: Vec<u64> = (0..5).map(|_| b.next().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        b.reset();
        assert_eq!(b.next(), Duration::from_secs(1));
    }

    #[test]
    fn reaction_keys_ignore_variation_selectors() {
        assert_eq!(reaction_key("🙌"), reaction_key("🙌\u{FE0F}"));
        assert_eq!(reaction_key(" 👍 "), "👍");
        assert_ne!(reaction_key("👍"), reaction_key("🙌"));
    }
}
