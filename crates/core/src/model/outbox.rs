//! The outbox's records: messages waiting, sent or given up on.

use crate::ports::Outgoing;
use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    Pending,
    Sent,
    /// Given up on (dead letter): too many attempts or a permanent failure.
    Failed,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }
}

/// A row of the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub outgoing: Outgoing,
    pub status: OutboxStatus,
    /// Failed attempts so far (rate-limit answers do not count).
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Outbox depth, for `ambassador-bot outbox` and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxStats {
    pub pending: u64,
    pub failed: u64,
    pub sent: u64,
    pub oldest_pending: Option<DateTime<Utc>>,
}
