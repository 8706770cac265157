//! Kudos by reaction: a configured emoji on someone's message thanks its author "for" that message
//! (shortened), from the person who reacted, under the same rules as `/kudos` (a daily limit, not
//! to yourself, not to the bot). Adapters call [`Program::kudos_by_reaction`] when they see the
//! configured reaction, and [`Program::take_back_by_reaction`] when it is removed: the kudos
//! remembers its source ([`reaction_source`]), one per giver, so a reaction added twice counts once.

use super::{Failure, Inbound, Program};
use crate::command::{Mention, tags_of};
use crate::message::{Message, Reply, Rich};
use crate::model::{Account, Platform, sanitize_text};
use crate::ports::{Clock, Store, StoreError};

/// The longest excerpt of the reacted-to message that becomes the kudos reason, in characters.
pub const REACTION_REASON_CHARS: usize = 80;

/// The reason of a kudos by reaction: the reacted-to text on one line, shortened with "…" at a
/// word boundary where one is near; "their message" when the message has no text (an image).
pub fn reaction_reason(text: &str) -> String {
    let line = sanitize_text(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if line.is_empty() {
        return "their message".into();
    }
    if line.chars().count() <= REACTION_REASON_CHARS {
        return format!("“{line}”");
    }
    let cut: String = line.chars().take(REACTION_REASON_CHARS - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i >= cut.len() / 2 => cut[..i].trim_end().to_string(),
        _ => cut,
    };
    format!("“{cut}…”")
}

/// The source of a kudos by reaction: the platform, the room and what identifies the reaction
/// there — on Slack the message reacted to (a removal names the message, and one person's
/// reaction counts once per message), on Matrix the reaction's own event (a redaction names it,
/// and the homeserver allows one annotation per person, key and message), e.g.
/// `slack:reaction:C0GENERAL:1741082000.000100`.
pub fn reaction_source(platform: Platform, room: &str, reaction: &str) -> String {
    format!("{platform}:reaction:{room}:{reaction}")
}

impl<S: Store, C: Clock> Program<S, C> {
    /// A kudos given by reacting to a message. `reaction` is the reaction as a chat line: its
    /// `sender` and `sender_name` are the person who reacted (the giver), `room` where the message
    /// is, `text` the reacted-to message's text, and `bot` the bot's own account. `receiver` is the
    /// message's author; `source` is [`reaction_source`] of the message reacted to.
    ///
    /// Returns the replies of `/kudos`: the public kudos for the room and the giver's note, or a
    /// refusal for the giver alone (daily limit, self, the bot); nothing when this giver's kudos
    /// from this source counts already.
    pub async fn kudos_by_reaction(
        &self,
        reaction: &Inbound,
        receiver: &Account,
        source: &str,
    ) -> Result<Vec<Reply>, StoreError> {
        let prefix = reaction.sender.platform.command_prefix();
        let mentions = [Mention(receiver.id.clone())];
        let caller = self.caller(reaction, prefix, &mentions).await?;
        let reason = reaction_reason(&reaction.text);
        let tags = tags_of(&reaction.text);
        match self
            .kudos(&caller, &mentions, &reason, tags, Some(source))
            .await
        {
            Ok(replies) => Ok(replies),
            Err(Failure::User(message)) => Ok(vec![Reply::caller(message)]),
            Err(Failure::Store(e)) => Err(e),
        }
    }

    /// The kudos reaction was removed: the kudos its `sender` gave from `source` is taken back
    /// (it no longer counts anywhere), and they get a short note. Nothing, quietly, when there is
    /// no such kudos (the reaction predates the feature, or the kudos was refused).
    pub async fn take_back_by_reaction(
        &self,
        reaction: &Inbound,
        source: &str,
    ) -> Result<Vec<Reply>, StoreError> {
        let Some(giver) = self.store.find_person(&reaction.sender).await? else {
            return Ok(Vec::new());
        };
        let Some(kudos) = self.store.take_back_kudos(giver.id, source).await? else {
            return Ok(Vec::new());
        };
        Ok(vec![Reply::caller(taken_back(&kudos))])
    }
}

/// The giver's note when their kudos is taken back.
pub(crate) fn taken_back(kudos: &crate::model::Kudos) -> Message {
    Message::text(
        Rich::text("Your kudos to ")
            .and_mentions(&kudos.receivers)
            .and(" for ")
            .and_em(kudos.reason.clone())
            .and(" is taken back."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::render_plain;
    use crate::model::{Kudos, PersonRef};

    #[test]
    fn sources_name_the_message_and_the_note_names_the_kudos() {
        assert_eq!(
            reaction_source(Platform::Slack, "C0GENERAL", "1741082000.000100"),
            "slack:reaction:C0GENERAL:1741082000.000100"
        );
        let bob = PersonRef {
            account: Account::new(Platform::Slack, "U2"),
            display_name: "Bob".into(),
        };
        let kudos = Kudos {
            id: 1,
            giver: bob.clone(),
            receivers: vec![bob],
            reason: "“Fixed the build”".into(),
            tags: vec![],
            given_at: chrono::DateTime::UNIX_EPOCH,
            room: "C0GENERAL".into(),
        };
        assert_eq!(
            render_plain(&taken_back(&kudos)),
            "Your kudos to @Bob for _“Fixed the build”_ is taken back."
        );
    }

    #[test]
    fn the_reason_is_the_message_on_one_line_and_shortened() {
        assert_eq!(
            reaction_reason("  Fixed the\nflaky   build "),
            "“Fixed the flaky build”"
        );
        assert_eq!(reaction_reason(" \n "), "their message");
        let long = "word ".repeat(40);
        let reason = reaction_reason(&long);
        assert!(reason.ends_with("word…”"), "{reason}");
        assert!(
            reason.chars().count() <= REACTION_REASON_CHARS + 2,
            "{reason}"
        );
        // No space near the end: cut inside the word, never inside a character.
        let reason = reaction_reason(&"é".repeat(200));
        assert_eq!(reason.chars().count(), REACTION_REASON_CHARS + 2);
    }
}
