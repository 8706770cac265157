//! The Matrix adapter: a matrix-sdk client that answers `!ambassadors` and `!kudos` commands in
//! rooms and direct rooms (end-to-end encrypted ones too), renders core messages as Matrix HTML
//! with a plain-text body, and sends outbox messages with stable transaction ids.
//!
//! - [`client`]: login and the saved session, the sync loop, the handlers' registration;
//! - `handler`: invitations and joins, commands, reactions and redactions, delivering answers;
//! - `state`: the session and the adapter's own state on disk;
//! - [`inbound`]: message events to command text (pills to user ids);
//! - [`render`]: the core message model to `formatted_body` + `body`;
//! - [`send`]: replies, direct rooms and the [`MatrixMessenger`] for the outbox.

//!
//! # Behaviour
//!
//! - **Login**: password (a new device named [`MatrixSettings::device_name`]) or the access token
//!   of an existing device. The session is saved in `store_dir/session.json` (mode 0600) next to
//!   the SDK's SQLite state and crypto store (`store_dir/sdk`), so a restart keeps the device, its
//!   keys and the sync position.
//! - **History**: the very first sync runs before any handler exists, and a command is never
//!   answered when it predates the bot's join of its room. Later starts resume from the saved
//!   sync token: what was said while the bot was down is answered once.
//! - **Joins**: invitations from users on [`MatrixSettings::allowed_servers`] (default: the bot's
//!   own server) or into [`MatrixSettings::allowed_rooms`] are accepted (retrying a join that
//!   races the invite); others are declined. Commands are only taken from those servers or rooms.
//! - **Commands**: `m.text` messages starting with `!` or `/` in any joined room, and every text
//!   message in a direct room (check-in answers). Own events, `m.notice` (other bots) and edits
//!   are ignored. Room replies go into the same room, in the command's thread or as an
//!   `m.in_reply_to` reply. Replies for the caller alone (ephemeral on Slack; some are private,
//!   like check-in answers and the office's feedback view) go to the caller's direct room, with a
//!   short note in the room when nothing else answered there (Matrix has no ephemeral
//!   messages); in a direct room they are answered in place. Direct replies go to the direct room
//!   with the person (found through `m.direct`, else created, encrypted).
//! - **Leaving**: `!ambassadors leave` from a program office account (`settings.office`) makes
//!   the bot say goodbye and leave a group room; others are told who can ask.
//! - **Kudos by reaction**: with [`MatrixSettings::kudos_reaction`] set (e.g. `🙌`), that
//!   reaction on someone's message gives its author kudos from the person who reacted, for the
//!   message's text (shortened), under the rules of `!kudos`.
//! - **Encryption**: encrypted rooms work like others; an event the bot cannot decrypt gets one
//!   notice per room (remembered in `store_dir/adapter-state.json`).
//! - **Outbox**: [`MatrixMessenger`] sends each part of a message with a transaction id derived
//!   from the outbox key (a re-send is a no-op at the homeserver) and without SDK retries, so
//!   `M_LIMIT_EXCEEDED` reaches the outbox as `SendError::RateLimited(retry_after)`.
//!
//! # Setting up the bot's account
//!
//! Register a normal user for the bot on your homeserver (for Synapse:
//! `register_new_matrix_user -c homeserver.yaml -u ambassadors --no-admin`), put its id and
//! password (or an access token) into the configuration, start the bot, and invite it to rooms
//! from an allowed server. Keep the store directory across restarts and back it up: it holds the
//! device's encryption keys.

pub mod client;
mod handler;
pub mod inbound;
pub mod render;
pub mod send;
pub mod settings;
mod state;

pub use client::{CommandHandled, CommandHook, MatrixBot, MatrixError};
pub use send::MatrixMessenger;
pub use settings::{Credentials, MatrixSettings};
