//! Configuration: defaults, then `--config FILE` (or `./bot-config.toml` when present), then
//! environment variables `AMBASSADOR_BOT__SECTION__KEY`. `bot-config.example.toml` documents every key.
//!
//! - [`schema`]: the sections and keys, with their defaults;
//! - [`ranges`]: durations and their parsing, the allowed range of every duration and count;
//! - [`load`]: reading the file and the environment, syntax errors without values, secrets handed
//!   to the redaction;
//! - [`validate`]: what `check-config`, `run` and `console` refuse or warn about, by key;
//! - [`mapping`]: the settings the core and the outbox take.

use ambassador_core::{Account, Settings};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

mod load;
mod mapping;
mod ranges;
mod schema;
#[cfg(test)]
mod tests;
mod validate;

pub use load::*;
pub use ranges::*;
pub use schema::*;
