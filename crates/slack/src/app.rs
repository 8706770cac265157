//! The Slack app as the endpoints, Socket Mode and interactivity share it: its settings, the
//! people it has met, reactions and the Home tab, and how the program's answers are delivered
//! (in the acknowledgement, through the response URL, or by direct message).

use crate::inbound::{KudosReaction, RecentIds, bot_account, unescape};
use crate::render::{SlackMessage, render, render_view};
use crate::send::{SlackClient, SlackUser};
use crate::verify::{Secret, VerifyError, verify};
use ambassador_core::{
    Account, Audience, Clock, Inbound, Platform, Program, Reply, SendError, Store, StoreError,
    apology, display_name,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;

/// Why a signed request is not run: see [`SlackApp::first_delivery`].
pub(crate) enum Replayed {
    /// Its timestamp and signature were seen before.
    Duplicate,
    /// The store could not say.
    Unchecked,
}

/// What the Slack adapter needs from the configuration.
#[derive(Clone, Debug)]
pub struct SlackSettings {
    /// The app's signing secret (Basic Information → App Credentials).
    pub signing_secret: Secret,
    /// The bot token, `xoxb-…`.
    pub bot_token: Secret,
    /// The Web API base URL: `https://slack.com/api`, or a local fake in tests.
    pub api_base: String,
    /// The bot's own user id (`auth.test` tells it): its own messages are ignored and kudos to it
    /// refused.
    pub bot_user_id: Option<String>,
    /// How long a slash command may take to answer inside the acknowledgement; slower answers go
    /// to the `response_url`. Slack's deadline is 3 s.
    pub ack_deadline: Duration,
    /// How many event ids this process remembers to drop Slack's retried deliveries at once,
    /// before asking the store (which remembers them for every replica, for a day).
    pub dedup_capacity: usize,
    /// A reaction name (`raised_hands`, no colons) that gives kudos to the author of the message
    /// reacted to, from the person who reacted; `None`: off.
    pub kudos_reaction: Option<String>,
    /// Calls to the Web API wait their turn within Slack's rate limits (slack-morphism's rate
    /// control, see [`SlackClient::rate_controlled`]). `run` turns it on (`slack.rate_control`).
    pub rate_control: bool,
}

impl SlackSettings {
    pub fn new(signing_secret: &str, bot_token: &str) -> Self {
        SlackSettings {
            signing_secret: Secret::new(signing_secret),
            bot_token: Secret::new(bot_token),
            api_base: crate::send::DEFAULT_API_BASE.to_string(),
            bot_user_id: None,
            ack_deadline: Duration::from_secs(2),
            dedup_capacity: 10_000,
            kudos_reaction: None,
            rate_control: false,
        }
    }
}

/// One delivery from Slack handled, over HTTP or Socket Mode, for the binary's metrics.
#[derive(Clone, Debug)]
pub struct DeliveryHandled {
    /// Slack's name for what it delivered: `slash_commands`, `events_api`, `interactive`, or
    /// what else came (`other` for an unknown HTTP path).
    pub kind: String,
    /// The slash command as Slack sent it (`/kudos`), for `slash_commands`; over HTTP also for a
    /// request refused for its signature.
    pub command: Option<String>,
    /// The HTTP status answered, or `ack` for a Socket Mode acknowledgement.
    pub status: String,
    /// From taking the delivery to answering it.
    pub elapsed: Duration,
}

/// Told of every delivery handled, whichever transport brought it.
pub type DeliveryHook = Arc<dyn Fn(&DeliveryHandled) + Send + Sync>;

/// The adapter's shared state: the program, the Web API client, the settings.
pub struct SlackApp<S, C> {
    pub program: Arc<Program<S, C>>,
    pub client: SlackClient,
    pub settings: SlackSettings,
    pub(crate) seen_events: Mutex<RecentIds>,
    /// Slack user ids this process has found in the store or put there. People are never deleted,
    /// so this stays true on every replica: a mention of one of them needs no look-up.
    pub(crate) known_people: Mutex<RecentIds>,
    /// The profile time zone (`tz`) this process last took into the store per Slack user id
    /// (`None`: the profile has none): a person met once costs no more `users.info` calls, and a
    /// zone is written only when it is new or changed.
    pub(crate) profiles: Mutex<HashMap<String, Option<String>>>,
    /// Slack user ids whose `users.info` is under way.
    pub(crate) meeting: Mutex<std::collections::HashSet<String>>,
    /// Told of every delivery handled ([`SlackApp::on_handled`]).
    pub(crate) handled_hook: std::sync::OnceLock<DeliveryHook>,
}

/// How many mentioned Slack user ids each process remembers as already in the store.
const KNOWN_PEOPLE: usize = 10_000;

impl SlackSettings {
    /// A Web API client with the bot token, as these settings describe it.
    pub fn client(&self) -> SlackClient {
        if self.rate_control {
            SlackClient::rate_controlled(&self.api_base, self.bot_token.clone())
        } else {
            SlackClient::new(&self.api_base, self.bot_token.clone())
        }
    }
}

impl<S: Store, C: Clock> SlackApp<S, C> {
    pub fn new(program: Arc<Program<S, C>>, settings: SlackSettings) -> Arc<Self> {
        let client = settings.client();
        Self::with_client(program, settings, client)
    }

    /// With a client already made (`run` asks it `auth.test` first, so that its rate control
    /// knows the workspace): the adapter and the outbox then share one client and its limits.
    pub fn with_client(
        program: Arc<Program<S, C>>,
        settings: SlackSettings,
        client: SlackClient,
    ) -> Arc<Self> {
        Arc::new(SlackApp {
            program,
            client,
            seen_events: Mutex::new(RecentIds::new(settings.dedup_capacity)),
            known_people: Mutex::new(RecentIds::new(KNOWN_PEOPLE)),
            profiles: Mutex::default(),
            meeting: Mutex::default(),
            handled_hook: std::sync::OnceLock::new(),
            settings,
        })
    }

    /// Tells `hook` of every delivery handled from now on, over HTTP ([`crate::router`]) and
    /// Socket Mode alike. Set once; a second hook is ignored.
    pub fn on_handled(&self, hook: DeliveryHook) {
        if self.handled_hook.set(hook).is_err() {
            tracing::warn!("the Slack adapter's handled hook was set twice; the first one stays");
        }
    }

    /// Reports a delivery handled to the hook, when there is one.
    pub(crate) fn report_handled(&self, handled: impl FnOnce() -> DeliveryHandled) {
        if let Some(hook) = self.handled_hook.get() {
            hook(&handled());
        }
    }

    /// Checks the signature; a refusal is logged (without the secret) and answered with 401.
    pub(crate) fn authenticate(
        &self,
        endpoint: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), VerifyError> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let now = self.program.clock.now().timestamp();
        verify(
            &self.settings.signing_secret,
            header("x-slack-request-timestamp"),
            header("x-slack-signature"),
            body,
            now,
        )
        .map_err(|e| {
            tracing::warn!(endpoint, reason = %e, bytes = body.len(), "refused an unauthenticated Slack request");
            e
        })
    }

    /// Whether this signed request is its first delivery: its (timestamp, signature) pair is
    /// remembered in the store, for every replica, well past the 5-minute signing window (the
    /// store keeps such keys for a day). A request whose signature verified and whose pair was
    /// already seen is a replay (or a proxy's resend): it gets `Err` with the answer to give, and
    /// nothing runs. Should the store fail, the request is refused with the apology too (failing
    /// closed): a command needs the store anyway, Slack does not resend slash commands or
    /// interactions, and the user's own retry is signed anew and goes through.
    pub(crate) async fn first_delivery(
        &self,
        endpoint: &str,
        headers: &HeaderMap,
    ) -> Result<(), Replayed> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .trim()
        };
        // The verified signature's hex digits may come in either case: one key for both.
        let key = format!(
            "slack-sig:{}:{}",
            header("x-slack-request-timestamp"),
            header("x-slack-signature").to_ascii_lowercase()
        );
        match self.program.first_sighting(&key).await {
            Ok(true) => Ok(()),
            Ok(false) => {
                tracing::warn!(
                    endpoint,
                    "a signed Slack request arrived again (same timestamp and signature): answered as a duplicate, not run"
                );
                Err(Replayed::Duplicate)
            }
            Err(e) => {
                tracing::error!(endpoint, error = %e, "cannot check a signed Slack request against replays; refused");
                Err(Replayed::Unchecked)
            }
        }
    }

    /// Puts people mentioned as `<@U…|name>` (or `<@U…>`, named through `users.info`) in the store
    /// before the core sees them, so that someone first met in a mention gets their name rather
    /// than their id. Best effort: failures leave it to the core. At most `program.kudos_max_people`
    /// distinct people are looked at: a kudos naming more is refused anyway, and no text costs more
    /// `users.info` calls than that.
    pub(crate) async fn introduce_mentioned(&self, text: &str) {
        let max = self.program.settings.most_people_per_kudos();
        let mut mentions = slack_mentions(text);
        let mut seen = std::collections::HashSet::new();
        mentions.retain(|(id, _)| seen.insert(*id));
        mentions.truncate(max);
        for (id, label) in mentions {
            if self.known_people().contains(id) {
                continue;
            }
            let account = Account::new(Platform::Slack, id);
            match self.program.known_person(&account).await {
                Ok(None) => {}
                Ok(Some(_)) => {
                    self.known_people().first_time(id);
                    continue;
                }
                Err(_) => continue,
            }
            let (name, fetched) = match label {
                Some(label) => (label.to_string(), None),
                None => match self.client.user(id).await {
                    Ok(user) => (user.name.clone(), Some(user)),
                    Err(_) => continue,
                },
            };
            let name = display_name(&name);
            if name.is_empty() {
                continue;
            }
            match self.program.meet_person(&account, &name).await {
                Ok(_) => {
                    self.known_people().first_time(id);
                    // Met through `users.info` anyway: their profile's zone comes with it.
                    if let Some(user) = fetched {
                        self.note_profile(&user).await;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "could not record a mentioned person"),
            }
        }
    }

    fn profiles(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<String>>> {
        self.profiles.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a person's profile time zone (`tz` of `users.info` or of a `user_change` event) into
    /// the store when this process has not taken that zone for them yet: when it first meets them
    /// and when it changes. The core keeps a zone the person chose themselves. Best effort.
    pub(crate) async fn note_profile(&self, user: &SlackUser) {
        if self.profiles().get(&user.id) == Some(&user.time_zone) {
            return;
        }
        if let Some(zone) = &user.time_zone {
            let account = Account::new(Platform::Slack, &user.id);
            match self
                .program
                .profile_time_zone(&account, &user.name, zone)
                .await
            {
                Ok(stored) => tracing::debug!(stored, zone, "profile time zone seen"),
                Err(e) => {
                    tracing::debug!(error = %e, "could not store a profile time zone");
                    return;
                }
            }
        }
        let mut profiles = self.profiles();
        if profiles.len() >= KNOWN_PEOPLE {
            profiles.clear();
        }
        profiles.insert(user.id.clone(), user.time_zone.clone());
    }

    /// Someone this process has not met yet: their profile, fetched once (`users.info`), is
    /// noted. Nothing for people already met, so their next commands cost no API call.
    pub(crate) async fn meet(&self, user_id: &str) {
        if user_id.is_empty() || self.profiles().contains_key(user_id) {
            return;
        }
        // One look-up at a time per person: commands that arrive while it runs do not start more.
        if !self.meeting().insert(user_id.to_string()) {
            return;
        }
        let looked_up = self.client.user(user_id).await;
        self.meeting().remove(user_id);
        match looked_up {
            Ok(user) => self.note_profile(&user).await,
            // Asking again will not help (an unknown user, no `users:read`): met, without a zone.
            Err(e @ SendError::Permanent(_)) => {
                tracing::debug!(error = %e, "users.info refused; no profile zone");
                self.profiles().insert(user_id.to_string(), None);
            }
            Err(e) => tracing::debug!(error = %e, "users.info failed; the profile's zone waits"),
        }
    }

    fn meeting(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.meeting.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn known_people(&self) -> std::sync::MutexGuard<'_, RecentIds> {
        self.known_people.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn bot(&self) -> Option<&str> {
        self.settings.bot_user_id.as_deref()
    }

    /// Kudos by reaction: the reacted-to message's author gets kudos from the person who reacted,
    /// for the message (its text fetched through the Web API). Reactions to the bot's own messages
    /// (the digest, say) are applause, not kudos, and are ignored. The public kudos answers in the
    /// message's thread; the giver's note and any refusal are ephemeral, for the giver alone.
    pub(crate) async fn kudos_by_reaction(&self, reaction: KudosReaction) {
        if Some(reaction.item_user.as_str()) == self.bot() {
            tracing::debug!("a reaction to the bot's own message: no kudos");
            return;
        }
        let (text, thread_ts) = match self.client.message(&reaction.channel, &reaction.ts).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                tracing::warn!(ts = %reaction.ts, "the message reacted to was not found");
                return;
            }
            Err(e) => {
                tracing::warn!(ts = %reaction.ts, error = %e, "could not fetch the message reacted to");
                return;
            }
        };
        let (sender_name, giver) = match self.client.user(&reaction.user).await {
            Ok(user) => (user.name.clone(), Some(user)),
            Err(e) => {
                tracing::debug!(error = %e, "users.info failed; keeping the stored name");
                (String::new(), None)
            }
        };
        self.introduce_mentioned(&format!("<@{}>", reaction.item_user))
            .await;
        let inbound = Inbound {
            sender: Account::new(Platform::Slack, &reaction.user),
            sender_name,
            room: reaction.channel.clone(),
            text: unescape(&text),
            bot: bot_account(self.bot()),
            direct: reaction.channel.starts_with('D'),
            create_mentioned: true,
        };
        let receiver = Account::new(Platform::Slack, &reaction.item_user);
        let source = reaction.source();
        let replies = match self
            .program
            .kudos_by_reaction(&inbound, &receiver, &source)
            .await
        {
            Ok(replies) => replies,
            Err(e) => {
                tracing::error!(error = %e, "the store failed while giving kudos by reaction");
                vec![Reply::caller(apology())]
            }
        };
        if let Some(giver) = &giver {
            self.note_profile(giver).await;
        }
        for reply in replies {
            for part in render(&reply.message) {
                let sent = match &reply.audience {
                    Audience::Room => {
                        self.client
                            .post_in_thread(&reaction.channel, &thread_ts, &part)
                            .await
                    }
                    Audience::Caller => {
                        self.client
                            .post_ephemeral(&reaction.channel, &reaction.user, &part)
                            .await
                    }
                    Audience::CallerDirect => self.client.post_message(&reaction.user, &part).await,
                };
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "a kudos-by-reaction reply could not be delivered");
                }
            }
        }
    }
}

impl<S: Store, C: Clock> SlackApp<S, C> {
    /// The kudos reaction was removed: the kudos that person gave for that message is taken back
    /// and they get an ephemeral note; nothing when there was none.
    pub(crate) async fn take_back_by_reaction(&self, reaction: KudosReaction) {
        let inbound = Inbound {
            sender: Account::new(Platform::Slack, &reaction.user),
            sender_name: String::new(),
            room: reaction.channel.clone(),
            text: String::new(),
            bot: bot_account(self.bot()),
            direct: reaction.channel.starts_with('D'),
            create_mentioned: false,
        };
        let replies = match self
            .program
            .take_back_by_reaction(&inbound, &reaction.source())
            .await
        {
            Ok(replies) => replies,
            Err(e) => {
                tracing::error!(error = %e, "the store failed while taking kudos back");
                vec![Reply::caller(apology())]
            }
        };
        for reply in replies {
            for part in render(&reply.message) {
                if let Err(e) = self
                    .client
                    .post_ephemeral(&reaction.channel, &reaction.user, &part)
                    .await
                {
                    tracing::warn!(error = %e, "the taken-back note could not be delivered");
                }
            }
        }
    }

    /// `app_home_opened`: publishes the viewer's Home tab (`views.publish`).
    pub(crate) async fn publish_home(&self, user: String, channel: String) {
        let (sender_name, profile) = match self.client.user(&user).await {
            Ok(found) => (found.name.clone(), Some(found)),
            Err(e) => {
                tracing::debug!(error = %e, "users.info failed; keeping the stored name");
                (String::new(), None)
            }
        };
        let viewer = Inbound {
            sender: Account::new(Platform::Slack, &user),
            sender_name,
            room: channel,
            text: String::new(),
            bot: bot_account(self.bot()),
            direct: true,
            create_mentioned: false,
        };
        if let Some(profile) = &profile {
            self.note_profile(profile).await;
        }
        let home = match self.program.home(&viewer).await {
            Ok(home) => home,
            Err(e) => {
                tracing::error!(error = %e, "the store failed while building the Home tab");
                apology()
            }
        };
        if let Err(e) = self.client.publish_home(&user, render_view(&home)).await {
            tracing::warn!(error = %e, "the Home tab could not be published");
        }
    }
}

/// Runs an event's work, answering Slack within its deadline; the work goes on if it takes longer.
pub(crate) async fn within_deadline<S: Store, C: Clock>(
    app: &Arc<SlackApp<S, C>>,
    span: tracing::Span,
    work: impl std::future::Future<Output = ()> + Send + 'static,
) -> Response {
    let task = tokio::spawn(work.instrument(span));
    let _ = tokio::time::timeout(app.settings.ack_deadline, task).await;
    StatusCode::OK.into_response()
}

/// The Slack user mentions in a text: `<@U012AB3CD>` or `<@U012AB3CD|ada>`, as (id, label).
fn slack_mentions(text: &str) -> Vec<(&str, Option<&str>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('>') else { break };
        let inner = &rest[..end];
        let (id, label) = match inner.split_once('|') {
            Some((id, label)) => (id, Some(label.trim()).filter(|l| !l.is_empty())),
            None => (inner, None),
        };
        if !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push((id, label));
        }
        rest = &rest[end + 1..];
    }
    out
}

/// Where a reply goes.
pub(crate) enum Delivery {
    /// Back to the command's conversation: in the acknowledgement or through the `response_url`.
    Respond {
        response_type: &'static str,
        message: SlackMessage,
    },
    /// A direct message, through `chat.postMessage` to the user id.
    Post {
        channel: String,
        message: SlackMessage,
    },
}

pub(crate) type Handled = Result<Result<Option<Vec<Reply>>, StoreError>, tokio::task::JoinError>;

/// The program's answer to `caller` (a user id) as deliveries. A failure becomes the apology,
/// only to the caller. Messages to anyone else never come here: the program queues them in the
/// outbox, and the recipient's own platform sends them.
pub(crate) fn deliveries(
    handled: Handled,
    caller: &str,
    caller_room: Option<&str>,
) -> Vec<Delivery> {
    let replies = match handled {
        Ok(Ok(Some(replies))) => replies,
        Ok(Ok(None)) => Vec::new(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the store failed while handling a Slack request");
            vec![Reply::caller(apology())]
        }
        Err(e) => {
            tracing::error!(error = %e, "handling a Slack request panicked");
            vec![Reply::caller(apology())]
        }
    };
    let mut out = Vec::new();
    for reply in replies {
        let parts = render(&reply.message);
        match (&reply.audience, caller_room) {
            // The caller's direct conversation: `chat.postMessage` to a user id opens it.
            (Audience::CallerDirect, None) => {
                out.extend(parts.into_iter().map(|message| Delivery::Post {
                    channel: caller.to_string(),
                    message,
                }));
            }
            // In a direct conversation (events), everything goes to that conversation.
            (_, Some(room)) => out.extend(parts.into_iter().map(|message| Delivery::Post {
                channel: room.to_string(),
                message,
            })),
            (audience, None) => {
                let response_type = if *audience == Audience::Room {
                    "in_channel"
                } else {
                    "ephemeral"
                };
                out.extend(parts.into_iter().map(|message| Delivery::Respond {
                    response_type,
                    message,
                }));
            }
        }
    }
    out
}

pub(crate) async fn deliver(client: &SlackClient, response_url: &str, deliveries: Vec<Delivery>) {
    for d in deliveries {
        let result = match &d {
            Delivery::Respond {
                response_type,
                message,
            } => client.respond(response_url, response_type, message).await,
            Delivery::Post { channel, message } => client.post_message(channel, message).await,
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "a Slack reply could not be delivered");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::slack_mentions;

    #[test]
    fn mentions_are_found_with_their_labels() {
        assert_eq!(
            slack_mentions("<@U1|ada>, <@U2> and <#C1|general> <@bad id> <@U3|> <@U4"),
            vec![("U1", Some("ada")), ("U2", None), ("U3", None)]
        );
    }
}
