//! The Slack adapter: the HTTP endpoints Slack posts to (signed slash commands, events,
//! interactivity), Slack payloads as core events, the core message model as Block Kit, and the
//! outbox's messenger over the Web API. Every Slack quirk stays in here.
//!
//! The binary builds a [`SlackApp`] from [`SlackSettings`] and a shared [`Program`], mounts
//! [`router`] on its HTTP server, and gives a [`SlackMessenger`] to the outbox dispatcher.
//!
//! [`Program`]: ambassador_core::Program

pub mod app;
pub mod http;
pub mod inbound;
pub mod interact;
pub mod render;
pub mod send;
pub mod socket;
#[cfg(feature = "testing")]
pub mod testing;
pub mod verify;

pub use app::{DeliveryHandled, DeliveryHook, SlackApp, SlackSettings};
pub use http::router;
pub use render::{SlackMessage, render};
pub use send::{DEFAULT_API_BASE, SlackClient, SlackMessenger, SlackUser};
pub use socket::SocketSettings;
pub use verify::{Secret, VerifyError, verify};
