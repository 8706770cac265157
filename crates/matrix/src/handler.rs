//! The event handlers: invitations and joins, commands in rooms and direct rooms, reactions and
//! redactions, undecryptable events, and how answers are delivered.

use crate::client::*;
use crate::inbound::{is_leave_command, program_text, reacted_text};
use crate::send::{MatrixMessenger, reply_config};
use crate::state::*;
use ambassador_core::{
    Account, Audience, Clock, Destination, Inbound, Message, Platform, Program, Reply, Store,
    apology,
};
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::message::{OriginalSyncRoomMessageEvent, Relation};
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
};
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedServerName, OwnedUserId, UserId};
use matrix_sdk::{Room, RoomState};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// What the event handlers share.
pub(crate) struct Handler<S, C> {
    pub(crate) program: Arc<Program<S, C>>,
    pub(crate) messenger: MatrixMessenger,
    pub(crate) user_id: OwnedUserId,
    pub(crate) allowed_servers: BTreeSet<OwnedServerName>,
    pub(crate) allowed_rooms: BTreeSet<String>,
    pub(crate) state: Arc<StateFile>,
    /// The reaction key that gives kudos (without emoji variation selectors), if configured.
    pub(crate) kudos_reaction: Option<String>,
    pub(crate) on_command: Option<CommandHook>,
}

/// Where a command is answered.
pub(crate) struct Answering<'a> {
    pub(crate) room: &'a Room,
    /// The message the answer replies to (the command, or the message reacted to).
    pub(crate) to: &'a OriginalSyncRoomMessageEvent,
    /// Who asked: caller replies are for them alone.
    pub(crate) caller: &'a UserId,
    pub(crate) direct: bool,
    /// Whether a private answer sent to the direct room is pointed to in the room.
    pub(crate) note_private: bool,
}

const PRIVATE_NOTE: &str = "I answered you in our direct room.";
const PRIVATE_FAILED_NOTE: &str = "I could not open a direct room with you to answer privately. Please start a direct chat with me and ask there.";

/// A reaction key as compared with `matrix.kudos_reaction`: without emoji variation selectors
/// (clients differ in sending "🙌" or "🙌\u{FE0F}") and surrounding spaces.
pub(crate) fn reaction_key(key: &str) -> String {
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
    pub(crate) async fn consider_invite(&self, room: Room) {
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
        match self.program.first_sighting(&key).await {
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

    pub(crate) async fn on_message(&self, ev: OriginalSyncRoomMessageEvent, room: Room) {
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

    pub(crate) async fn answer(
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
    pub(crate) async fn deliver(&self, to: &Answering<'_>, replies: Vec<Reply>) {
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
    pub(crate) async fn on_reaction(&self, ev: OriginalSyncReactionEvent, room: Room) {
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
    pub(crate) async fn on_redaction(&self, ev: OriginalSyncRoomRedactionEvent, room: Room) {
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

    pub(crate) async fn display_name(&self, room: &Room, user: &UserId) -> String {
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
        let max = self.program.settings.most_people_per_kudos();
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
            let known = self.program.known_person(&account).await;
            if matches!(known, Ok(None))
                && let Err(e) = self
                    .program
                    .meet_person(&account, &ambassador_core::display_name(name))
                    .await
            {
                tracing::warn!(error = %e, "could not record a mentioned person");
            }
        }
    }

    /// An event the bot cannot decrypt: said once per room, so people are not left waiting.
    pub(crate) async fn on_undecryptable(&self, ev: OriginalSyncRoomEncryptedEvent, room: Room) {
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
