//! What the adapter keeps on disk next to the SDK's store: the session (device and tokens) and its
//! own small state, written atomically.

use crate::client::MatrixError;
use matrix_sdk::authentication::matrix::MatrixSession;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub(crate) const SESSION_FILE: &str = "session.json";
const STATE_FILE: &str = "adapter-state.json";
pub(crate) const SDK_DIR: &str = "sdk";

/// The session saved next to the SDK's store, so a restart keeps its device and keys.
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedSession {
    pub(crate) homeserver: String,
    #[serde(flatten)]
    pub(crate) session: MatrixSession,
}

/// The adapter's own small state, kept in the store directory.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct AdapterState {
    /// The first sync (whose history is never answered) is done.
    #[serde(default)]
    pub(crate) synced: bool,
    /// Rooms already told that a message could not be decrypted.
    #[serde(default)]
    pub(crate) undecryptable_noticed: BTreeSet<String>,
}

pub(crate) struct StateFile {
    pub(crate) path: PathBuf,
    pub(crate) state: Mutex<AdapterState>,
}

impl StateFile {
    pub(crate) fn load(dir: &Path) -> Result<StateFile, MatrixError> {
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

    pub(crate) fn get(&self) -> AdapterState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the state and saves it; `change` returns false when nothing changed.
    pub(crate) fn update(&self, change: impl FnOnce(&mut AdapterState) -> bool) {
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

pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
