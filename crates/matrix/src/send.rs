//! Sending: messages into rooms and direct rooms, replies to commands, and the [`Messenger`] the
//! outbox dispatcher sends through.

use crate::render::{Rendered, render};
use ambassador_core::{Account, Destination, Message, Messenger, Outgoing, Platform, SendError};
use matrix_sdk::config::RequestConfig;
use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedRoomId, OwnedTransactionId, OwnedUserId, UserId};
use matrix_sdk::{Client, HttpError, Room, RoomState};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Sends messages as the bot: the [`Messenger`] for the outbox, and the adapter's own sends.
#[derive(Clone)]
pub struct MatrixMessenger {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    /// Held while finding or creating a direct room, so two sends to the same person never
    /// create two rooms.
    direct_lock: tokio::sync::Mutex<()>,
}

impl MatrixMessenger {
    pub(crate) fn new(client: Client) -> Self {
        MatrixMessenger {
            inner: Arc::new(Inner {
                client,
                direct_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The direct room with `user`: an existing joined one (`m.direct`) the person has not left,
    /// else a new encrypted one the person is invited to.
    pub async fn direct_room(&self, user: &UserId) -> Result<Room, matrix_sdk::Error> {
        if let Some(room) = self.existing_direct_room(user).await {
            return Ok(room);
        }
        let _guard = self.inner.direct_lock.lock().await;
        if let Some(room) = self.existing_direct_room(user).await {
            return Ok(room);
        }
        tracing::info!(%user, "creating a direct room");
        self.inner.client.create_dm(user).await
    }

    /// A direct room with `user` where they are still (or not yet known to be) a member: one
    /// they left or were banned from would swallow every prompt.
    async fn existing_direct_room(&self, user: &UserId) -> Option<Room> {
        for room in self.inner.client.get_dm_rooms(user) {
            let gone = matches!(
                room.get_member_no_sync(user).await,
                Ok(Some(m)) if matches!(m.membership(), MembershipState::Leave | MembershipState::Ban)
            );
            if !gone {
                return Some(room);
            }
        }
        None
    }

    /// Sends `message` (split when long) into `room`; with a key, each part gets a transaction id
    /// derived from it, so sending the same key again is a no-op at the homeserver.
    pub async fn send_to_room(
        &self,
        room: &Room,
        message: &Message,
        key: Option<&str>,
        config: Option<RequestConfig>,
    ) -> Result<(), matrix_sdk::Error> {
        for (i, part) in render(message).iter().enumerate() {
            let mut send = room.send(content(part));
            if let Some(key) = key {
                send = send.with_transaction_id(transaction_id(key, i));
            }
            if let Some(config) = config {
                send = send.with_request_config(config);
            }
            send.await?;
        }
        Ok(())
    }

    /// Answers the command `to` in its room: in its thread when it was in one, else as a reply.
    /// `mention_sender` notifies the person who wrote the command.
    pub async fn reply(
        &self,
        room: &Room,
        to: &OriginalSyncRoomMessageEvent,
        message: &Message,
        mention_sender: bool,
    ) -> Result<(), matrix_sdk::Error> {
        let add = if mention_sender {
            AddMentions::Yes
        } else {
            AddMentions::No
        };
        for part in render(message) {
            let c = content(&part).make_reply_to(to, ForwardThread::Yes, add);
            room.send(c).with_request_config(reply_config()).await?;
        }
        Ok(())
    }

    /// Sends `message` to the direct room with `user`.
    pub async fn send_direct(
        &self,
        user: &UserId,
        message: &Message,
        key: Option<&str>,
        config: Option<RequestConfig>,
    ) -> Result<(), matrix_sdk::Error> {
        let room = self.direct_room(user).await?;
        self.send_to_room(&room, message, key, config).await
    }

    async fn deliver(&self, out: &Outgoing) -> Result<(), SendError> {
        // The outbox retries on its own schedule and needs to hear of rate limits: no SDK retries.
        let config = Some(
            RequestConfig::new()
                .disable_retry()
                .timeout(Duration::from_secs(30)),
        );
        match &out.to {
            Destination::Direct(account) => {
                let user = matrix_user_id(account)?;
                let room = self.direct_room(&user).await.map_err(classify)?;
                self.send_to_room(&room, &out.message, Some(&out.key), config)
                    .await
                    .map_err(classify)
            }
            Destination::Room { platform, id } => {
                if *platform != Platform::Matrix {
                    return Err(SendError::Permanent(format!(
                        "a {platform} room cannot be reached on Matrix"
                    )));
                }
                let room_id = OwnedRoomId::try_from(id.as_str()).map_err(|e| {
                    SendError::Permanent(format!("`{id}` is not a Matrix room id: {e}"))
                })?;
                let room = self
                    .inner
                    .client
                    .get_room(&room_id)
                    .filter(|r| r.state() == RoomState::Joined)
                    .ok_or_else(|| {
                        SendError::Permanent(format!("the bot is not in the room {room_id}"))
                    })?;
                self.send_to_room(&room, &out.message, Some(&out.key), config)
                    .await
                    .map_err(classify)
            }
        }
    }
}

impl Messenger for MatrixMessenger {
    fn platform(&self) -> Platform {
        Platform::Matrix
    }

    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let result = self.deliver(message).await;
        if let Err(e) = &result {
            tracing::warn!(key = %message.key, error = %e, "matrix send failed");
        }
        result
    }
}

fn matrix_user_id(account: &Account) -> Result<OwnedUserId, SendError> {
    if account.platform != Platform::Matrix {
        return Err(SendError::Permanent(format!(
            "{account} is not a Matrix account"
        )));
    }
    OwnedUserId::try_from(account.id.as_str())
        .map_err(|e| SendError::Permanent(format!("`{}` is not a Matrix user id: {e}", account.id)))
}

/// Replies are retried a few times (honouring rate limits) but never hold up the sync loop for
/// long.
pub(crate) fn reply_config() -> RequestConfig {
    RequestConfig::new()
        .retry_limit(4)
        .timeout(Duration::from_secs(30))
}

/// The event content of one rendered part: an `m.notice` (bots speak in notices, so other bots
/// ignore them) with HTML, plain body and `m.mentions`.
pub(crate) fn content(part: &Rendered) -> RoomMessageEventContent {
    let mut c = RoomMessageEventContent::notice_html(part.body.clone(), part.html.clone());
    c.mentions = Some(Mentions::with_user_ids(part.mentions.iter().cloned()));
    c
}

/// The transaction id of part `part` of the message with outbox key `key`: stable across
/// restarts, so the homeserver recognizes a re-send.
pub fn transaction_id(key: &str, part: usize) -> OwnedTransactionId {
    let digest = Sha256::digest(format!("{key}\u{0}{part}").as_bytes());
    OwnedTransactionId::from(format!("ambassador-{}", hex::encode(&digest[..16])))
}

/// What a failed send means for the outbox.
pub fn classify(e: matrix_sdk::Error) -> SendError {
    if let Some(kind) = e.client_api_error_kind()
        && let ErrorKind::LimitExceeded(data) = kind
    {
        let delay = match &data.retry_after {
            Some(RetryAfter::Delay(d)) => *d,
            Some(RetryAfter::DateTime(at)) => at
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
            None => Duration::from_secs(1),
        };
        return SendError::RateLimited(delay);
    }
    if let Some(api) = e.as_client_api_error() {
        let status = api.status_code;
        return if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            SendError::Transient(e.to_string())
        } else {
            SendError::Permanent(e.to_string())
        };
    }
    match &e {
        matrix_sdk::Error::Http(http) => match http.as_ref() {
            HttpError::Reqwest(_) => SendError::Transient(e.to_string()),
            HttpError::Api(_) => match e.as_ruma_api_error() {
                // A server error without the Matrix error format (a proxy's 502 page …).
                Some(_) => SendError::Transient(e.to_string()),
                None => SendError::Permanent(e.to_string()),
            },
            _ => SendError::Permanent(e.to_string()),
        },
        _ => SendError::Permanent(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_ids_are_stable_and_distinct() {
        assert_eq!(transaction_id("k1", 0), transaction_id("k1", 0));
        assert_ne!(transaction_id("k1", 0), transaction_id("k1", 1));
        assert_ne!(transaction_id("k1", 0), transaction_id("k2", 0));
        assert!(transaction_id("k1", 0).as_str().starts_with("ambassador-"));
        assert_eq!(
            transaction_id("k1", 0).as_str().len(),
            "ambassador-".len() + 32
        );
    }
}
