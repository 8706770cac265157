//! Slack payloads as core events: slash command forms and Events API callbacks, read through
//! slack-morphism's models.

use ambassador_core::{Account, Inbound, Platform};
use serde::Deserialize;
use slack_morphism::events::{
    SlackAppHomeOpenedEvent, SlackCommandEvent, SlackMessageEvent, SlackReactionAddedEvent,
    SlackReactionRemovedEvent,
};
use slack_morphism::{SlackReactionName, SlackReactionsItem, SlackUserId};
use std::collections::{HashSet, VecDeque};

/// A slash command as Slack posts it (`application/x-www-form-urlencoded`, or a Socket Mode
/// envelope's payload): slack-morphism's `SlackCommandEvent`, and the `user_name` Slack still sends,
/// which that model leaves out (the name of someone the bot first meets in their own command). A
/// payload without the fields Slack always sends (team, channel, user, command, a `response_url`
/// that is a URL, a trigger) is unreadable.
#[derive(Clone, Debug, Deserialize)]
pub struct CommandForm {
    #[serde(flatten)]
    pub event: SlackCommandEvent,
    #[serde(default)]
    pub user_name: String,
}

/// Undoes Slack's escaping of `&`, `<`, `>` in text it sends (mentions like `<@U1|ada>` stay).
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The bot's own account, when its user id is known.
pub(crate) fn bot_account(bot_user_id: Option<&str>) -> Option<Account> {
    bot_user_id.map(|id| Account::new(Platform::Slack, id))
}

impl CommandForm {
    pub fn user_id(&self) -> &str {
        self.event.user_id.0.trim()
    }
    pub fn channel_id(&self) -> &str {
        &self.event.channel_id.0
    }
    pub fn command(&self) -> &str {
        &self.event.command.0
    }
    pub fn response_url(&self) -> &str {
        self.event.response_url.0.as_str()
    }
    pub fn trigger_id(&self) -> &str {
        &self.event.trigger_id.0
    }

    /// The command as a chat line for the core: `/kudos <@U2|bob> for …`.
    pub fn inbound(&self, bot_user_id: Option<&str>) -> Inbound {
        let command = self.command().trim().trim_start_matches('/');
        let text = unescape(self.event.text.as_deref().unwrap_or_default().trim());
        Inbound {
            sender: Account::new(Platform::Slack, self.user_id()),
            sender_name: self.user_name.trim().to_string(),
            room: self.channel_id().to_string(),
            text: if text.is_empty() {
                format!("/{command}")
            } else {
                format!("/{command} {text}")
            },
            bot: bot_account(bot_user_id),
            direct: self.channel_id().starts_with('D'),
            create_mentioned: true,
        }
    }
}

/// A message event worth handing to the core: a person writing to the bot in a direct conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectMessage {
    pub user: String,
    pub channel: String,
    pub text: String,
}

/// The direct message in an `event_callback`, if it is one the bot should answer: a `message` in an
/// `im` channel, written by a person (no subtype, no `bot_id`), not by the bot itself.
pub fn direct_message(
    event: &SlackMessageEvent,
    bot_user_id: Option<&str>,
) -> Option<DirectMessage> {
    if event.origin.channel_type.as_ref().map(|t| t.0.as_str()) != Some("im")
        || event.subtype.is_some()
        || event.sender.bot_id.is_some()
    {
        return None;
    }
    let user = event.sender.user.as_ref()?.0.as_str();
    if Some(user) == bot_user_id {
        return None;
    }
    let text = event.content.as_ref().and_then(|c| c.text.as_deref());
    Some(DirectMessage {
        user: user.to_string(),
        channel: event.origin.channel.as_ref()?.0.clone(),
        text: unescape(text.unwrap_or_default()),
    })
}

impl DirectMessage {
    pub fn inbound(&self, sender_name: String, bot_user_id: Option<&str>) -> Inbound {
        Inbound {
            sender: Account::new(Platform::Slack, &self.user),
            sender_name,
            room: self.channel.clone(),
            text: self.text.clone(),
            bot: bot_account(bot_user_id),
            direct: true,
            create_mentioned: true,
        }
    }
}

/// A `reaction_added` event with the configured kudos reaction on a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KudosReaction {
    /// Who reacted: the giver.
    pub user: String,
    /// The message's author: the receiver.
    pub item_user: String,
    pub channel: String,
    /// The reacted-to message's `ts`.
    pub ts: String,
}

/// A reaction name without colons and skin tone: `:raised_hands::skin-tone-2:` → `raised_hands`.
pub fn reaction_name(name: &str) -> &str {
    let name = name.trim().trim_matches(':');
    name.split("::").next().unwrap_or(name)
}

/// The kudos reaction in a `reaction_added`, if it is one: `wanted` (a reaction name, skin tones
/// ignored) on a message by a known author.
pub fn kudos_reaction(event: &SlackReactionAddedEvent, wanted: &str) -> Option<KudosReaction> {
    on_message(
        &event.user,
        &event.reaction,
        event.item_user.as_ref(),
        &event.item,
        wanted,
    )
}

/// The kudos reaction taken off a message: a `reaction_removed` with `wanted` (see
/// [`kudos_reaction`]).
pub fn kudos_reaction_removed(
    event: &SlackReactionRemovedEvent,
    wanted: &str,
) -> Option<KudosReaction> {
    on_message(
        &event.user,
        &event.reaction,
        event.item_user.as_ref(),
        &event.item,
        wanted,
    )
}

fn on_message(
    user: &SlackUserId,
    reaction: &SlackReactionName,
    item_user: Option<&SlackUserId>,
    item: &SlackReactionsItem,
    wanted: &str,
) -> Option<KudosReaction> {
    let SlackReactionsItem::Message(message) = item else {
        return None;
    };
    let wanted = reaction_name(wanted);
    if wanted.is_empty() || reaction_name(&reaction.0) != wanted {
        return None;
    }
    let non_empty = |v: &str| Some(v.trim()).filter(|s| !s.is_empty()).map(str::to_string);
    Some(KudosReaction {
        user: non_empty(&user.0)?,
        item_user: non_empty(&item_user?.0)?,
        channel: non_empty(&message.origin.channel.as_ref()?.0)?,
        ts: non_empty(&message.origin.ts.0)?,
    })
}

impl KudosReaction {
    /// The kudos' source: this message in this channel (see `reaction_source` in the core).
    pub fn source(&self) -> String {
        ambassador_core::program::reaction_source(Platform::Slack, &self.channel, &self.ts)
    }
}

/// The person who opened the bot's Home tab: an `app_home_opened` with `tab: "home"` (the
/// Messages tab opens the same event with `tab: "messages"`).
pub fn home_opened(event: &SlackAppHomeOpenedEvent) -> Option<String> {
    if event.tab.as_deref() != Some("home") {
        return None;
    }
    Some(event.user.0.trim())
        .filter(|u| !u.is_empty())
        .map(str::to_string)
}

/// The event ids seen lately, oldest forgotten first: Slack retries a delivery it thinks failed
/// (`X-Slack-Retry-Num`) with the same `event_id`. In memory, so one replica only.
#[derive(Debug)]
pub struct RecentIds {
    capacity: usize,
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    pub fn new(capacity: usize) -> Self {
        RecentIds {
            capacity: capacity.max(1),
            set: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// Whether `id` is among the last `capacity` ids seen (without recording it).
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    /// True the first time an id is seen (within the last `capacity` ids).
    pub fn first_time(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() >= self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.set.insert(id.to_string());
        self.order.push_back(id.to_string());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_slash_command_becomes_a_chat_line() {
        let body = "token=x&team_id=T1&channel_id=C0ABC&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fkudos&text=%3C%40U2%7Cbob%3E+for+R%26amp%3BD+%26lt%3B3&response_url=http%3A%2F%2Flocalhost%2Fr&trigger_id=1.2.3";
        let form: CommandForm = serde_urlencoded::from_str(body).unwrap();
        let inbound = form.inbound(Some("UBOT"));
        assert_eq!(inbound.text, "/kudos <@U2|bob> for R&D <3");
        assert_eq!(inbound.sender, Account::new(Platform::Slack, "U2CERLKJA"));
        assert_eq!(inbound.sender_name, "roadrunner");
        assert!(!inbound.direct);
        assert!(inbound.create_mentioned);
        assert_eq!(inbound.bot, Some(Account::new(Platform::Slack, "UBOT")));
        let dm: CommandForm = serde_urlencoded::from_str(&body.replace("C0ABC", "D0ABC")).unwrap();
        assert!(dm.inbound(None).direct);
    }

    #[test]
    fn a_command_without_what_slack_always_sends_is_unreadable() {
        let good = "team_id=T1&channel_id=C1&user_id=U1&command=%2Fkudos&text=hi&response_url=http%3A%2F%2Flocalhost%2Fr&trigger_id=1.2.3";
        let form: CommandForm = serde_urlencoded::from_str(good).unwrap();
        assert_eq!(form.response_url(), "http://localhost/r");
        // No user_name (Slack's own, outside slack-morphism's model): no name, still readable.
        assert_eq!(form.inbound(None).sender_name, "");
        // No text at all: the bare command.
        let bare: CommandForm = serde_urlencoded::from_str(&good.replace("&text=hi", "")).unwrap();
        assert_eq!(bare.inbound(None).text, "/kudos");
        for broken in [
            good.replace("&response_url=http%3A%2F%2Flocalhost%2Fr", ""),
            good.replace("http%3A%2F%2Flocalhost%2Fr", "not+a+url"),
            good.replace("user_id=U1&", ""),
            good.replace("team_id=T1&", ""),
            good.replace("&trigger_id=1.2.3", ""),
        ] {
            assert!(
                serde_urlencoded::from_str::<CommandForm>(&broken).is_err(),
                "{broken}"
            );
        }
    }

    fn read<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> T {
        serde_json::from_value(v.clone()).unwrap()
    }

    #[test]
    fn only_peoples_direct_messages_count() {
        let event = json!({"type": "message", "channel_type": "im", "user": "U1", "channel": "D1", "text": "all good &amp; fine", "ts": "1.2"});
        let dm = |e: &serde_json::Value, bot| direct_message(&read(e), bot);
        assert_eq!(
            dm(&event, Some("UBOT")),
            Some(DirectMessage {
                user: "U1".into(),
                channel: "D1".into(),
                text: "all good & fine".into()
            })
        );
        let mut bot = event.clone();
        bot["bot_id"] = json!("B1");
        assert_eq!(dm(&bot, Some("UBOT")), None);
        let mut own = event.clone();
        own["user"] = json!("UBOT");
        assert_eq!(dm(&own, Some("UBOT")), None);
        let mut edited = event.clone();
        edited["subtype"] = json!("message_changed");
        assert_eq!(dm(&edited, None), None);
        let mut channel = event.clone();
        channel["channel_type"] = json!("channel");
        assert_eq!(dm(&channel, None), None);
    }

    #[test]
    fn only_the_configured_reaction_on_a_message_counts() {
        // Slack's documented `reaction_added` example, with a skin tone.
        let event = json!({"type": "reaction_added", "user": "U1", "reaction": "raised_hands::skin-tone-3",
            "item_user": "U2", "item": {"type": "message", "channel": "C1", "ts": "1360782400.498405"},
            "event_ts": "1360782804.083113"});
        let added = |e: &serde_json::Value, wanted| kudos_reaction(&read(e), wanted);
        let removed = |e: &serde_json::Value, wanted| kudos_reaction_removed(&read(e), wanted);
        let want = KudosReaction {
            user: "U1".into(),
            item_user: "U2".into(),
            channel: "C1".into(),
            ts: "1360782400.498405".into(),
        };
        assert_eq!(added(&event, "raised_hands"), Some(want.clone()));
        assert_eq!(added(&event, ":raised_hands:"), Some(want));
        assert_eq!(added(&event, "tada"), None);
        assert_eq!(added(&event, ""), None);
        let mut file = event.clone();
        file["item"] = json!({"type": "file", "id": "F1"});
        assert_eq!(added(&file, "raised_hands"), None);
        let mut no_author = event.clone();
        no_author["item_user"] = serde_json::Value::Null;
        assert_eq!(added(&no_author, "raised_hands"), None);
        let taken = removed(&event, "raised_hands").unwrap();
        assert_eq!(taken.source(), "slack:reaction:C1:1360782400.498405");
        assert_eq!(removed(&event, "tada"), None);
    }

    #[test]
    fn only_the_home_tab_opens_the_home() {
        // Slack's documented `app_home_opened` example, with the view it abbreviates written out.
        let event = json!({"type": "app_home_opened", "user": "U061F7AUR", "channel": "D0LAN2Q65",
            "event_ts": "1515449522000016", "tab": "home",
            "view": {"id": "VPASKP233", "type": "home", "blocks": []}});
        assert_eq!(home_opened(&read(&event)), Some("U061F7AUR".into()));
        let mut messages = event.clone();
        messages["tab"] = json!("messages");
        assert_eq!(home_opened(&read(&messages)), None);
    }

    #[test]
    fn recent_ids_forget_the_oldest() {
        let mut ids = RecentIds::new(2);
        assert!(ids.first_time("a"));
        assert!(!ids.first_time("a"));
        assert!(ids.first_time("b"));
        assert!(ids.first_time("c"));
        assert!(ids.first_time("a"), "a was forgotten");
        assert!(!ids.first_time("c"));
    }
}
