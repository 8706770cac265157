//! Kudos by reaction: a configured emoji on someone's message thanks its author "for" that message
//! (shortened), from the person who reacted, under the same rules as `/kudos` (a daily limit, not
//! to yourself, not to the bot). Adapters call [`Program::kudos_by_reaction`] when they see the
//! configured reaction.

use super::{Failure, Inbound, Program};
use crate::command::{Mention, tags_of};
use crate::message::Reply;
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

impl<S: Store, C: Clock> Program<S, C> {
    /// A kudos given by reacting to a message. `reaction` is the reaction as a chat line: its
    /// `sender` and `sender_name` are the person who reacted (the giver), `room` where the message
    /// is, `text` the reacted-to message's text, and `bot` the bot's own account. `receiver` is the
    /// message's author.
    ///
    /// Returns the replies of `/kudos`: the public kudos for the room and the giver's note, or a
    /// refusal for the giver alone (daily limit, self, the bot).
    pub async fn kudos_by_reaction(
        &self,
        reaction: &Inbound,
        receiver: &Account,
    ) -> Result<Vec<Reply>, StoreError> {
        let prefix = match reaction.sender.platform {
            Platform::Matrix => '!',
            _ => '/',
        };
        let mentions = [Mention(receiver.id.clone())];
        let caller = self.caller(reaction, prefix, &mentions).await?;
        let reason = reaction_reason(&reaction.text);
        let tags = tags_of(&reaction.text);
        match self.kudos(&caller, &mentions, &reason, tags).await {
            Ok(replies) => Ok(replies),
            Err(Failure::User(message)) => Ok(vec![Reply::caller(message)]),
            Err(Failure::Store(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
