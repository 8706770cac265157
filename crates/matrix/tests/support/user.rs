//! A person in the tests: a second matrix-sdk client (in memory, with encryption) that syncs in the
//! background, accepts invitations, and records every message others send where it can see them.

use super::synapse::{Registered, Synapse};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::room::create_room;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent;
use matrix_sdk::ruma::events::room::message::{
    OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::{InitialStateEvent, room::message::MessageType};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UserId};
use matrix_sdk::{Client, Room, RoomMemberships, RoomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A message someone else sent, as this user's client received (and decrypted) it.
#[derive(Clone, Debug)]
pub struct Received {
    pub room_id: OwnedRoomId,
    pub event: OriginalSyncRoomMessageEvent,
    /// The event's content as JSON (`body`, `formatted_body`, `m.relates_to`, `m.mentions`).
    pub content: serde_json::Value,
}

impl Received {
    pub fn body(&self) -> &str {
        self.content["body"].as_str().unwrap_or("")
    }
    pub fn html(&self) -> &str {
        self.content["formatted_body"].as_str().unwrap_or("")
    }
    pub fn in_reply_to(&self) -> Option<&str> {
        self.content["m.relates_to"]["m.in_reply_to"]["event_id"].as_str()
    }
    pub fn thread_root(&self) -> Option<&str> {
        let rel = &self.content["m.relates_to"];
        (rel["rel_type"] == "m.thread")
            .then(|| rel["event_id"].as_str())
            .flatten()
    }
    pub fn is_notice(&self) -> bool {
        matches!(self.event.content.msgtype, MessageType::Notice(_))
    }
}

pub struct User {
    pub client: Client,
    pub user_id: OwnedUserId,
    pub access_token: String,
    received: Arc<Mutex<Vec<Received>>>,
    sync: tokio::task::JoinHandle<()>,
}

impl Drop for User {
    fn drop(&mut self) {
        self.sync.abort();
    }
}

impl User {
    /// Registers `localpart` and signs in with a fresh device.
    pub async fn new(synapse: &Synapse, localpart: &str, display_name: &str) -> User {
        let reg = synapse.register(localpart, display_name).await;
        User::login(synapse, &reg).await
    }

    pub async fn login(synapse: &Synapse, reg: &Registered) -> User {
        let client = Client::builder()
            .homeserver_url(&synapse.url)
            .build()
            .await
            .expect("client");
        client
            .matrix_auth()
            .login_username(&reg.user_id, &reg.password)
            .initial_device_display_name("test client")
            .send()
            .await
            .expect("login");
        User::listen(client).await
    }

    /// Signs in with the device and access token the registration made: no `/login`, which
    /// Synapse's default limits allow five times per address before everyone waits minutes.
    pub async fn restore(synapse: &Synapse, reg: &Registered) -> User {
        let client = Client::builder()
            .homeserver_url(&synapse.url)
            .build()
            .await
            .expect("client");
        client
            .restore_session(matrix_sdk::AuthSession::Matrix(
                matrix_sdk::authentication::matrix::MatrixSession {
                    meta: matrix_sdk::SessionMeta {
                        user_id: OwnedUserId::try_from(reg.user_id.as_str()).expect("user id"),
                        device_id: reg.device_id.as_str().into(),
                    },
                    tokens: matrix_sdk::SessionTokens {
                        access_token: reg.access_token.clone(),
                        refresh_token: None,
                    },
                },
            ))
            .await
            .expect("restore session");
        User::listen(client).await
    }

    /// Records messages, accepts invitations, and syncs in the background.
    async fn listen(client: Client) -> User {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let own = client.user_id().expect("user").to_owned();
        let sink = received.clone();
        let me = own.clone();
        client.add_event_handler(
            move |ev: matrix_sdk::ruma::serde::Raw<
                matrix_sdk::ruma::events::AnySyncTimelineEvent,
            >,
                  room: Room| {
                let sink = sink.clone();
                let me = me.clone();
                async move {
                    let Ok(matrix_sdk::ruma::events::AnySyncTimelineEvent::MessageLike(
                        matrix_sdk::ruma::events::AnySyncMessageLikeEvent::RoomMessage(
                            matrix_sdk::ruma::events::SyncMessageLikeEvent::Original(event),
                        ),
                    )) = ev.deserialize()
                    else {
                        return;
                    };
                    if event.sender == me {
                        return;
                    }
                    let json: serde_json::Value =
                        serde_json::from_str(ev.json().get()).unwrap_or_default();
                    sink.lock().unwrap().push(Received {
                        room_id: room.room_id().to_owned(),
                        content: json["content"].clone(),
                        event,
                    });
                }
            },
        );
        client.add_event_handler(
            |ev: StrippedRoomMemberEvent, room: Room, c: Client| async move {
                if Some(ev.state_key.as_ref()) == c.user_id() {
                    for _ in 0..10 {
                        if room.join().await.is_ok() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                }
            },
        );
        // One sync first so the device keys are uploaded before anyone encrypts for us.
        client
            .sync_once(SyncSettings::default())
            .await
            .expect("first sync");
        let bg = client.clone();
        let sync = tokio::spawn(async move {
            let _ = bg
                .sync(SyncSettings::default().timeout(Duration::from_secs(5)))
                .await;
        });
        User {
            access_token: client.access_token().expect("token"),
            client,
            user_id: own,
            received,
            sync,
        }
    }

    /// Creates a private room (encrypted when asked) and invites `invite`.
    pub async fn create_room(&self, name: &str, encrypted: bool, invite: &[&UserId]) -> Room {
        let mut request = create_room::v3::Request::new();
        request.name = Some(name.to_string());
        request.invite = invite.iter().map(|u| u.to_owned().to_owned()).collect();
        if encrypted {
            request.initial_state = vec![
                InitialStateEvent::with_empty_state_key(
                    RoomEncryptionEventContent::with_recommended_defaults(),
                )
                .to_raw_any(),
            ];
        }
        self.client.create_room(request).await.expect("create room")
    }

    pub fn room(&self, id: &RoomId) -> Room {
        self.client.get_room(id).expect("known room")
    }

    /// Waits until `user` has joined `room` as this client sees it.
    pub async fn wait_joined(&self, room: &RoomId, user: &UserId) {
        let ok = eventually(Duration::from_secs(30), || async {
            let Some(room) = self.client.get_room(room) else {
                return false;
            };
            room.members_no_sync(RoomMemberships::JOIN)
                .await
                .map(|m| m.iter().any(|m| m.user_id() == user))
                .unwrap_or(false)
        })
        .await;
        assert!(ok, "{user} did not join {room}");
    }

    /// Waits until `user`'s membership in `room` is `leave` (an invitation declined).
    pub async fn wait_left(&self, room: &RoomId, user: &UserId) {
        let ok = eventually(Duration::from_secs(30), || async {
            let Some(room) = self.client.get_room(room) else {
                return false;
            };
            room.members_no_sync(RoomMemberships::LEAVE)
                .await
                .map(|m| m.iter().any(|m| m.user_id() == user))
                .unwrap_or(false)
        })
        .await;
        assert!(ok, "{user} did not leave {room}");
    }

    pub async fn send(&self, room: &Room, content: RoomMessageEventContent) -> OwnedEventId {
        room.send(content).await.expect("send").response.event_id
    }

    pub async fn say(&self, room: &Room, text: &str) -> OwnedEventId {
        self.send(room, RoomMessageEventContent::text_plain(text))
            .await
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits for a message matching `pred`.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Received) -> bool) -> Received {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(r) = self.received().into_iter().find(|r| pred(r)) {
                return r;
            }
            if Instant::now() > deadline {
                let seen: Vec<String> = self
                    .received()
                    .iter()
                    .map(|r| format!("{} {}: {}", r.room_id, r.event.sender, r.body()))
                    .collect();
                panic!(
                    "{} never received {what}; received:\n{}",
                    self.user_id,
                    seen.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many received messages match `pred`, after letting `settle` pass.
    pub async fn count_after(&self, settle: Duration, pred: impl Fn(&Received) -> bool) -> usize {
        tokio::time::sleep(settle).await;
        self.received().iter().filter(|r| pred(r)).count()
    }

    /// Sends a raw event over plain HTTP (bypassing this client's encryption).
    pub async fn send_raw_http(
        &self,
        homeserver: &str,
        room: &RoomId,
        event_type: &str,
        txn: &str,
        content: serde_json::Value,
    ) {
        let url = format!(
            "{homeserver}/_matrix/client/v3/rooms/{}/send/{event_type}/{txn}",
            urlencode(room.as_str())
        );
        let response = reqwest::Client::new()
            .put(url)
            .bearer_auth(&self.access_token)
            .json(&content)
            .send()
            .await
            .expect("raw send");
        assert!(
            response.status().is_success(),
            "raw send: {}",
            response.status()
        );
    }

    pub fn state_of(&self, room: &RoomId) -> Option<RoomState> {
        self.client.get_room(room).map(|r| r.state())
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Polls `check` until it holds or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, check: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
