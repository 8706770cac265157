//! The Matrix adapter against a real Synapse on loopback, driven by real clients (a second
//! matrix-sdk client per person, plain HTTP where a client would get in the way).
//!
//! One Synapse serves the whole test binary; every test registers its own bot and people.

#![recursion_limit = "256"]

mod support;

use ambassador_core::store_ports::*;
use ambassador_core::{
    Account, CheckinStatus, Clock, Destination, DispatchSettings, Dispatcher, ManualClock, Message,
    Messenger, NewDepartment, Outgoing, Platform, Program, Rich, SendError, Settings, Store,
    SystemClock,
};
use ambassador_matrix::{Credentials, MatrixBot, MatrixError, MatrixMessenger, MatrixSettings};
use ambassador_store::SqlStore;
use chrono::TimeZone;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::message::{AddMentions, RoomMessageEventContent};
use matrix_sdk::ruma::{OwnedUserId, UserId};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::proxy::Proxy;
use support::synapse::{Registered, synapse};
use support::user::User;
use tempfile::TempDir;

type TestProgram = Program<SqlStore, SystemClock>;

/// A unique suffix per test, so tests sharing the homeserver never share users.
fn tag(name: &str) -> String {
    format!(
        "{name}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            % 10_000_000
    )
}

async fn program(dir: &Path) -> Arc<TestProgram> {
    program_with(dir, Settings::default()).await
}

async fn program_with(dir: &Path, settings: Settings) -> Arc<TestProgram> {
    Arc::new(Program::new(store(dir).await, SystemClock, settings))
}

async fn store(dir: &Path) -> SqlStore {
    let url = format!("sqlite://{}", dir.join("bot.db").display());
    SqlStore::open(&url, 2).await.expect("store")
}

fn matrix_account(user: &UserId) -> Account {
    Account::new(Platform::Matrix, user.as_str())
}

/// The note a group room gets when the answer went to the caller's direct room.
const PRIVATE_NOTE: &str = "I answered you in our direct room.";

fn settings(reg: &Registered, store_dir: &Path) -> MatrixSettings {
    let mut s = MatrixSettings::new(
        synapse().url.clone(),
        reg.user_id.clone(),
        Credentials::Password(reg.password.clone()),
        store_dir,
    );
    s.sync_timeout = Duration::from_secs(5);
    s.max_backoff = Duration::from_secs(2);
    s
}

struct RunningBot {
    user_id: OwnedUserId,
    device_id: String,
    messenger: MatrixMessenger,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), MatrixError>>,
}

impl RunningBot {
    async fn start<C: Clock>(
        settings: MatrixSettings,
        program: Arc<Program<SqlStore, C>>,
    ) -> RunningBot {
        let bot = MatrixBot::login(settings).await.expect("bot login");
        let user_id = bot.user_id().to_owned();
        let device_id = bot.client().device_id().expect("device").to_string();
        let messenger = bot.messenger();
        let mut ready = bot.ready();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            bot.run(program, async {
                let _ = rx.await;
            })
            .await
        });
        tokio::time::timeout(Duration::from_secs(60), ready.wait_for(|r| *r))
            .await
            .expect("bot ready in time")
            .expect("bot running");
        RunningBot {
            user_id,
            device_id,
            messenger,
            shutdown: Some(tx),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = tokio::time::timeout(Duration::from_secs(30), &mut self.task)
            .await
            .expect("bot stops in time")
            .expect("bot task");
        result.expect("bot ran without error");
    }
}

fn pill_html(user: &UserId, name: &str) -> String {
    format!("<a href=\"https://matrix.to/#/{user}\">{name}</a>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kudos_are_answered_as_a_reply_and_in_the_thread() {
    let hs = synapse();
    let t = tag("kudos");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let alice = User::new(hs, &format!("alice-{t}"), "Alice Liddell").await;
    let bob = User::new(hs, &format!("bob-{t}"), "Bob Builder").await;
    let bot_id = OwnedUserId::try_from(bot_reg.user_id.as_str()).unwrap();

    let bot = RunningBot::start(
        settings(&bot_reg, &dir.path().join("matrix")),
        program(dir.path()).await,
    )
    .await;

    // History from before the bot joined is never answered.
    let room = alice.create_room("kudos", false, &[&bob.user_id]).await;
    bob.wait_joined(room.room_id(), &bob.user_id).await;
    let old = alice.say(&room, "!ambassadors help").await;
    room.invite_user_by_id(&bot_id).await.unwrap();
    alice.wait_joined(room.room_id(), &bot_id).await;

    // A pill: the display name in `body`, the link in `formatted_body`.
    let command = alice
        .send(
            &room,
            RoomMessageEventContent::text_html(
                "!kudos Bob Builder for the great workshop",
                format!(
                    "!kudos {} for the great workshop",
                    pill_html(&bob.user_id, "Bob Builder")
                ),
            ),
        )
        .await;
    let public = alice
        .wait_for("the kudos announcement", |r| {
            r.event.sender == bot_id && r.body().contains("Kudos to")
        })
        .await;
    assert!(public.is_notice());
    assert_eq!(public.in_reply_to(), Some(command.as_str()));
    assert_eq!(public.thread_root(), None);
    assert_eq!(
        public.content["format"], "org.matrix.custom.html",
        "{}",
        public.content
    );
    assert_eq!(
        public.body(),
        "🎉 Kudos to @Bob Builder from @Alice Liddell for *the great workshop*"
    );
    assert_eq!(
        public.html(),
        format!(
            "<p>🎉 Kudos to {} from {} for <strong>the great workshop</strong></p>",
            pill_html(&bob.user_id, "Bob Builder"),
            pill_html(&alice.user_id, "Alice Liddell")
        )
    );
    let mentioned = public.content["m.mentions"]["user_ids"].as_array().unwrap();
    assert!(
        mentioned.iter().any(|u| u == bob.user_id.as_str()),
        "{mentioned:?}"
    );
    // Bob sees it too, in the same room.
    bob.wait_for("the kudos announcement", |r| {
        r.event.sender == bot_id && r.body().contains("Kudos to @Bob Builder")
    })
    .await;
    // The giver's own note is for her alone: it goes to her direct room with the bot, and the
    // room, already answered by the kudos, gets no pointer to it.
    let note = alice
        .wait_for("the kudos-left note", |r| {
            r.event.sender == bot_id && r.body().contains("kudos left today")
        })
        .await;
    assert_ne!(note.room_id, room.room_id());
    assert!(alice.room(&note.room_id).is_direct().await.unwrap());

    // In a thread, the answer stays in the thread.
    let root = alice.say(&room, "Workshop follow-ups").await;
    let in_thread =
        RoomMessageEventContent::text_plain(format!("!kudos {} for the demo slides", bob.user_id))
            .make_for_thread(
                matrix_sdk::ruma::events::room::message::ReplyMetadata::new(
                    &root,
                    &alice.user_id,
                    None,
                ),
                matrix_sdk::ruma::events::room::message::ReplyWithinThread::No,
                AddMentions::No,
            );
    let threaded = alice.send(&room, in_thread).await;
    let answer = alice
        .wait_for("the threaded answer", |r| {
            r.event.sender == bot_id && r.body().contains("the demo slides")
        })
        .await;
    assert_eq!(answer.thread_root(), Some(root.as_str()));
    assert_eq!(answer.in_reply_to(), Some(threaded.as_str()));

    // Nothing answered the command from before the join; nothing answered twice.
    let replies_to_old = alice
        .count_after(Duration::from_secs(1), |r| {
            r.event.sender == bot_id && r.in_reply_to() == Some(old.as_str())
        })
        .await;
    assert_eq!(replies_to_old, 0);
    let announcements = alice
        .received()
        .iter()
        .filter(|r| r.event.sender == bot_id && r.body().contains("the great workshop"))
        .count();
    assert_eq!(announcements, 1);
    assert!(
        !alice.received().iter().any(|r| r.body() == PRIVATE_NOTE),
        "no note where the kudos answered"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_is_answered_in_html_with_a_faithful_plain_body() {
    let hs = synapse();
    let t = tag("coverage");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let alice = User::new(hs, &format!("alice-{t}"), "Alice").await;
    let ada = hs.register(&format!("ada-{t}"), "Ada").await;
    let program = program(dir.path()).await;
    let store = &program.store;
    for (name, region, headcount) in [
        ("Platform Engineering", "EMEA", Some(120)),
        ("R&D <Labs>", "EMEA", Some(900)),
        ("Finance", "Americas", None),
    ] {
        store
            .add_department(&NewDepartment {
                name: name.into(),
                region: region.into(),
                headcount,
            })
            .await
            .unwrap();
    }
    let dept = store
        .department_by_name("Platform Engineering")
        .await
        .unwrap()
        .unwrap();
    let person = store
        .ensure_person(&Account::new(Platform::Matrix, ada.user_id.clone()), "Ada")
        .await
        .unwrap();
    store
        .add_ambassador(
            person.id,
            dept.id,
            "Europe/Berlin",
            chrono::Utc::now().date_naive(),
        )
        .await
        .unwrap();

    let bot = RunningBot::start(
        settings(&bot_reg, &dir.path().join("matrix")),
        program.clone(),
    )
    .await;
    let room = alice.create_room("coverage", false, &[&bot.user_id]).await;
    alice.wait_joined(room.room_id(), &bot.user_id).await;
    let command = alice.say(&room, "!ambassadors coverage").await;
    let reply = alice
        .wait_for("the coverage report", |r| {
            r.event.sender == bot.user_id && r.body().contains("Coverage")
        })
        .await;
    eprintln!("coverage reply as Synapse stored it:\n{:#}", reply.content);
    // An answer for the caller alone: in her direct room, pointed to in the room.
    assert_ne!(reply.room_id, room.room_id());
    let note = alice
        .wait_for("the pointer to the direct room", |r| {
            r.event.sender == bot.user_id && r.in_reply_to() == Some(command.as_str())
        })
        .await;
    assert_eq!(note.room_id, room.room_id());
    assert_eq!(note.body(), PRIVATE_NOTE);
    let html = reply.html();
    let body = reply.body();
    assert!(
        html.starts_with("<h4>Coverage — whole organization</h4>"),
        "{html}"
    );
    assert!(html.contains("<table><thead><tr><th>Region</th>"), "{html}");
    assert!(html.contains("<td>R&amp;D &lt;Labs&gt;</td>"), "{html}");
    assert!(
        html.contains(&pill_html(
            &OwnedUserId::try_from(ada.user_id.as_str()).unwrap(),
            "Ada"
        )),
        "{html}"
    );
    assert!(
        body.starts_with("*Coverage — whole organization*\n"),
        "{body}"
    );
    assert!(body.contains("R&D <Labs>"), "{body}");
    assert!(!body.contains("<td>") && !body.contains("&amp;"), "{body}");
    // Table rows are aligned in the plain body, as the console prints them.
    let line = body
        .lines()
        .find(|l| l.starts_with("Platform Engineering"))
        .expect(body);
    assert!(line.contains("@Ada"), "{line}");
    // The listed ambassador is shown, not pinged.
    assert!(
        reply.content["m.mentions"]["user_ids"]
            .as_array()
            .is_none_or(|ids| !ids.iter().any(|u| u == ada.user_id.as_str())),
        "{}",
        reply.content
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_messenger_delivers_to_direct_rooms_once_per_key() {
    let hs = synapse();
    let t = tag("dm");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let carol = User::new(hs, &format!("carol-{t}"), "Carol").await;
    let bot = RunningBot::start(
        settings(&bot_reg, &dir.path().join("matrix")),
        program(dir.path()).await,
    )
    .await;

    let carol_account = Account::new(Platform::Matrix, carol.user_id.as_str());
    let prompt = Outgoing {
        key: format!("checkin:{t}:1"),
        to: Destination::Direct(carol_account.clone()),
        message: Message::new().heading("Check-in").paragraph(
            Rich::text("How did the quarter go, ")
                .and_strong("Carol")
                .and("?"),
        ),
    };
    bot.messenger.send(&prompt).await.expect("first send");
    bot.messenger.send(&prompt).await.expect("re-send");
    let got = carol
        .wait_for("the check-in prompt", |r| {
            r.body().contains("How did the quarter go")
        })
        .await;
    assert_eq!(
        got.html(),
        "<h4>Check-in</h4><p>How did the quarter go, <strong>Carol</strong>?</p>"
    );
    let dm = got.room_id.clone();
    assert!(
        carol.room(&dm).is_direct().await.unwrap(),
        "marked as a direct room"
    );
    assert!(
        carol
            .room(&dm)
            .latest_encryption_state()
            .await
            .unwrap()
            .is_encrypted()
    );

    // Another key goes into the same direct room.
    let second = Outgoing {
        key: format!("checkin:{t}:2"),
        to: Destination::Direct(carol_account),
        message: Message::text("A reminder"),
    };
    bot.messenger.send(&second).await.expect("second");
    let reminder = carol
        .wait_for("the reminder", |r| r.body() == "A reminder")
        .await;
    assert_eq!(reminder.room_id, dm);
    // And by room id.
    let by_room = Outgoing {
        key: format!("room:{t}:1"),
        to: Destination::Room {
            platform: Platform::Matrix,
            id: dm.to_string(),
        },
        message: Message::text("By room id"),
    };
    bot.messenger.send(&by_room).await.expect("by room");
    bot.messenger.send(&by_room).await.expect("by room again");
    carol
        .wait_for("the room message", |r| r.body() == "By room id")
        .await;

    let prompts = carol
        .count_after(Duration::from_secs(2), |r| {
            r.body().contains("How did the quarter go")
        })
        .await;
    assert_eq!(prompts, 1, "the re-send was deduplicated");
    assert_eq!(
        carol
            .received()
            .iter()
            .filter(|r| r.body() == "By room id")
            .count(),
        1
    );
    // Plain text in a direct room reaches the program as direct text (a check-in answer when a
    // round is open; otherwise a hint), answered in that room.
    let dm_room = carol.room(&dm);
    let hello = carol.say(&dm_room, "hello there").await;
    let hint = carol
        .wait_for("the answer to direct text", |r| {
            r.in_reply_to() == Some(hello.as_str())
        })
        .await;
    assert_eq!(hint.room_id, dm);
    assert!(
        hint.body().contains("I understand commands here"),
        "{}",
        hint.body()
    );

    // A room the bot is not in, or another platform: permanent failures.
    let nowhere = Outgoing {
        key: "x".into(),
        to: Destination::Room {
            platform: Platform::Matrix,
            id: "!nowhere:localhost".into(),
        },
        message: Message::text("x"),
    };
    assert!(matches!(
        bot.messenger.send(&nowhere).await,
        Err(ambassador_core::SendError::Permanent(_))
    ));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_rooms_work_and_undecryptable_events_get_one_notice() {
    let hs = synapse();
    let t = tag("e2ee");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let dave = User::new(hs, &format!("dave-{t}"), "Dave").await;
    let bot = RunningBot::start(
        settings(&bot_reg, &dir.path().join("matrix")),
        program(dir.path()).await,
    )
    .await;

    let room = dave.create_room("secret", true, &[&bot.user_id]).await;
    dave.wait_joined(room.room_id(), &bot.user_id).await;
    assert!(room.latest_encryption_state().await.unwrap().is_encrypted());
    let command = dave.say(&room, "!ambassadors help").await;
    dave.wait_for("the pointer to the answer", |r| {
        r.event.sender == bot.user_id && r.in_reply_to() == Some(command.as_str())
    })
    .await;
    let help = dave
        .wait_for("the help answer", |r| {
            r.event.sender == bot.user_id && r.html().contains("<code>!ambassadors")
        })
        .await;
    assert_ne!(help.room_id, room.room_id(), "help goes to the direct room");
    assert!(
        help.html().contains("<code>!ambassadors coverage"),
        "{}",
        help.html()
    );

    // Events encrypted with a session the bot never got.
    for i in 0..2 {
        dave.send_raw_http(
            &hs.url,
            room.room_id(),
            "m.room.encrypted",
            &format!("bogus-{t}-{i}"),
            serde_json::json!({
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg2yyOwAtHaZTwyNg37afzg8f3r9IsN9r4RNFg7MaZencUJe4qvELiDiopUjy5wYVDAtqdBzer5bWRD9ldxp1FLgbQvBcjkkywYjCsmsq6+hArLd9oAQZnGKn/qLsK+5uNX3PaWzDRC9wZPQvWYYPCTov3jCwXKTPsLKIiTrcCXDqMvnn8m+T3zF/I2zqxg158tnUwWWIw51UO",
                "device_id": "RJYKSTBOIE",
                "sender_key": "IlRMeOPX2e0MurIyfWEucYBRVOEEUMrOHqn/8mLqMjA",
                "session_id": format!("bogus-session-{t}")
            }),
        )
        .await;
    }
    let notice = dave
        .wait_for("the undecryptable notice", |r| {
            r.event.sender == bot.user_id && r.body().contains("could not decrypt")
        })
        .await;
    assert_eq!(notice.room_id, room.room_id());
    let notices = dave
        .count_after(Duration::from_secs(3), |r| {
            r.event.sender == bot.user_id && r.body().contains("could not decrypt")
        })
        .await;
    assert_eq!(notices, 1, "said once per room");

    // Commands keep working afterwards.
    let again = dave.say(&room, "!ambassadors list").await;
    dave.wait_for("the list answer", |r| {
        r.event.sender == bot.user_id && r.in_reply_to() == Some(again.as_str())
    })
    .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_missed_commands_are_answered_once_and_history_never() {
    let hs = synapse();
    let t = tag("restart");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let erin = User::new(hs, &format!("erin-{t}"), "Erin").await;
    let bot_id = OwnedUserId::try_from(bot_reg.user_id.as_str()).unwrap();
    let program = program(dir.path()).await;
    let store_dir = dir.path().join("matrix");

    // Before the bot ever ran, its account was in a room where a command was written.
    let room = erin.create_room("restart", false, &[&bot_id]).await;
    let join_url = format!(
        "{}/_matrix/client/v3/rooms/{}/join",
        hs.url,
        support::user::urlencode(room.room_id().as_str())
    );
    let joined = reqwest::Client::new()
        .post(join_url)
        .bearer_auth(&bot_reg.access_token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert!(joined.status().is_success());
    erin.wait_joined(room.room_id(), &bot_id).await;
    let ancient = erin.say(&room, "!ambassadors help").await;

    let bot = RunningBot::start(settings(&bot_reg, &store_dir), program.clone()).await;
    let device = bot.device_id.clone();
    let live = erin.say(&room, "!ambassadors coverage").await;
    erin.wait_for("the live answer", |r| {
        r.event.sender == bot_id && r.in_reply_to() == Some(live.as_str())
    })
    .await;
    bot.stop().await;

    // Said while the bot was down.
    let missed = erin.say(&room, "!ambassadors list").await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let bot = RunningBot::start(settings(&bot_reg, &store_dir), program.clone()).await;
    assert_eq!(bot.device_id, device, "the restart kept its device");
    erin.wait_for("the missed answer", |r| {
        r.event.sender == bot_id && r.in_reply_to() == Some(missed.as_str())
    })
    .await;
    let after = erin.say(&room, "!ambassadors help").await;
    erin.wait_for("an answer after the restart", |r| {
        r.event.sender == bot_id && r.in_reply_to() == Some(after.as_str())
    })
    .await;
    bot.stop().await;

    let count = |id: &str| {
        erin.received()
            .iter()
            .filter(|r| r.event.sender == bot_id && r.in_reply_to() == Some(id))
            .count()
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        count(ancient.as_str()),
        0,
        "history from before the first start"
    );
    assert_eq!(
        count(live.as_str()),
        1,
        "answered once, not again after the restart"
    );
    assert_eq!(
        count(missed.as_str()),
        1,
        "the missed command, exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_from_servers_not_allowed_are_declined() {
    let hs = synapse();
    let t = tag("invites");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let frank = User::new(hs, &format!("frank-{t}"), "Frank").await;
    let bot_id = OwnedUserId::try_from(bot_reg.user_id.as_str()).unwrap();

    // Only example.org may invite; one room of localhost is allowed by id.
    let allowed_room = frank.create_room("allowed", false, &[]).await;
    // This bot signs in with an access token (of the device its registration made).
    let mut s = settings(&bot_reg, &dir.path().join("matrix"));
    s.credentials = Credentials::AccessToken(bot_reg.access_token.clone());
    s.allowed_servers = vec!["example.org".into()];
    s.allowed_rooms = vec![allowed_room.room_id().to_string()];
    let bot = RunningBot::start(s, program(dir.path()).await).await;

    let refused = frank.create_room("refused", false, &[&bot_id]).await;
    frank.wait_left(refused.room_id(), &bot_id).await;
    // A command there stays unanswered even if someone sends one.
    allowed_room.invite_user_by_id(&bot_id).await.unwrap();
    frank.wait_joined(allowed_room.room_id(), &bot_id).await;
    let command = frank.say(&allowed_room, "!ambassadors help").await;
    frank
        .wait_for("an answer in the allowed room", |r| {
            r.event.sender == bot_id && r.in_reply_to() == Some(command.as_str())
        })
        .await;
    assert!(
        frank
            .received()
            .iter()
            .all(|r| r.room_id != refused.room_id()),
        "nothing in the refused room"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_homeserver_is_retried_and_missed_commands_answered_once() {
    let hs = synapse();
    let t = tag("reconnect");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let gina = User::new(hs, &format!("gina-{t}"), "Gina").await;
    let mut proxy = Proxy::start(hs.port).await;
    let mut s = settings(&bot_reg, &dir.path().join("matrix"));
    s.homeserver = proxy.url();
    let bot = RunningBot::start(s, program(dir.path()).await).await;
    let room = gina.create_room("reconnect", false, &[&bot.user_id]).await;
    gina.wait_joined(room.room_id(), &bot.user_id).await;

    proxy.cut().await;
    // The outbox hears of it as a transient failure.
    let out = Outgoing {
        key: format!("down:{t}"),
        to: Destination::Room {
            platform: Platform::Matrix,
            id: room.room_id().to_string(),
        },
        message: Message::text("while down"),
    };
    assert!(matches!(
        bot.messenger.send(&out).await,
        Err(SendError::Transient(_))
    ));
    let missed = gina.say(&room, "!ambassadors help").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.restore().await;

    gina.wait_for("the answer after reconnecting", |r| {
        r.event.sender == bot.user_id && r.in_reply_to() == Some(missed.as_str())
    })
    .await;
    let answers = gina
        .count_after(Duration::from_secs(2), |r| {
            r.event.sender == bot.user_id && r.in_reply_to() == Some(missed.as_str())
        })
        .await;
    assert_eq!(answers, 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_reach_the_outbox_with_their_retry_after() {
    let hs = synapse();
    let t = tag("ratelimit");
    let dir = TempDir::new().unwrap();
    let admin = hs.register_admin(&format!("admin-{t}")).await;
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let hank = User::new(hs, &format!("hank-{t}"), "Hank").await;
    let bot = RunningBot::start(
        settings(&bot_reg, &dir.path().join("matrix")),
        program(dir.path()).await,
    )
    .await;
    let room = hank.create_room("ratelimit", false, &[&bot.user_id]).await;
    hank.wait_joined(room.room_id(), &bot.user_id).await;
    hs.limit_messages(&admin, bot.user_id.as_str(), 1, 1).await;

    let mut limited = None;
    for i in 0..5 {
        let out = Outgoing {
            key: format!("burst:{t}:{i}"),
            to: Destination::Room {
                platform: Platform::Matrix,
                id: room.room_id().to_string(),
            },
            message: Message::text(format!("burst {i}")),
        };
        match bot.messenger.send(&out).await {
            Ok(()) => {}
            Err(SendError::RateLimited(after)) => {
                limited = Some(after);
                break;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    let after = limited.expect("the homeserver limited the burst");
    assert!(
        after > Duration::ZERO && after <= Duration::from_secs(20),
        "{after:?}"
    );
    bot.stop().await;
}

/// Adds a department and makes `user` an active ambassador of it, in UTC.
async fn make_ambassador<S: Store>(
    store: &S,
    user: &UserId,
    name: &str,
) -> ambassador_core::Person {
    let dept = match store
        .department_by_name("Platform Engineering")
        .await
        .unwrap()
    {
        Some(d) => d,
        None => store
            .add_department(&NewDepartment {
                name: "Platform Engineering".into(),
                region: "EMEA".into(),
                headcount: Some(120),
            })
            .await
            .unwrap(),
    };
    let person = store
        .ensure_person(&matrix_account(user), name)
        .await
        .unwrap();
    store
        .add_ambassador(
            person.id,
            dept.id,
            "UTC",
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        )
        .await
        .unwrap();
    person
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_prompt_arrives_in_a_direct_room_and_the_typed_answer_is_stored_for_the_round() {
    let hs = synapse();
    let t = tag("checkin");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let ivy = User::new(hs, &format!("ivy-{t}"), "Ivy").await;

    // The program on a clock the test moves: Sunday noon, then Monday 09:05 (UTC), when the
    // default schedule prompts ambassadors in UTC.
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2027, 1, 3, 12, 0, 0).unwrap(),
    ));
    let program = Arc::new(Program::new(
        store(dir.path()).await,
        clock.clone(),
        Settings::default(),
    ));
    let person = make_ambassador(&program.store, &ivy.user_id, "Ivy").await;
    let bot = RunningBot::start(
        settings(&bot_reg, &dir.path().join("matrix")),
        program.clone(),
    )
    .await;

    program.tick().await.unwrap();
    clock.set(chrono::Utc.with_ymd_and_hms(2027, 1, 4, 9, 5, 0).unwrap());
    let ticked = program.tick().await.unwrap();
    assert!(
        ticked.ran.iter().any(|(job, _)| job.contains("prompt")),
        "{ticked:?}"
    );
    // The outbox sends the prompt through the Matrix messenger.
    let dispatcher = Dispatcher::new(bot.messenger.clone(), DispatchSettings::default());
    let report = dispatcher
        .dispatch_once(&program.store, &program.clock)
        .await
        .unwrap();
    assert_eq!(report.sent, 1, "{report:?}");

    let prompt = ivy
        .wait_for("the check-in prompt", |r| {
            r.event.sender == bot.user_id && r.body().contains("Check-in for 2027-01-04")
        })
        .await;
    let dm = ivy.room(&prompt.room_id);
    assert!(dm.is_direct().await.unwrap(), "a direct room");
    assert!(
        prompt
            .html()
            .contains("What do you need from the program office?"),
        "{}",
        prompt.html()
    );

    // Ivy types her answer in the direct room, in two messages.
    ivy.say(&dm, "Two InnerSource office hours this week.")
        .await;
    ivy.wait_for("the first thanks", |r| {
        r.room_id == dm.room_id() && r.body().contains("Thank you! Your check-in")
    })
    .await;
    ivy.say(&dm, "The build team needs a CI sponsor.").await;
    let stored = support::user::eventually(Duration::from_secs(30), || async {
        program
            .store
            .current_checkin(person.id, clock.now())
            .await
            .unwrap()
            .is_some_and(|c| c.answer.contains("CI sponsor"))
    })
    .await;
    assert!(stored, "the second message was added to the answer");
    let checkin = program
        .store
        .current_checkin(person.id, clock.now())
        .await
        .unwrap()
        .expect("the open check-in");
    assert_eq!(checkin.status, CheckinStatus::Answered);
    assert_eq!(
        checkin.answer,
        "Two InnerSource office hours this week.\nThe build team needs a CI sponsor."
    );
    // The round of the 09:00 occurrence.
    assert_eq!(
        checkin.prompted_at,
        chrono::Utc.with_ymd_and_hms(2027, 1, 4, 9, 0, 0).unwrap()
    );
    // The prompt went once, whatever the dispatcher does next.
    let again = dispatcher
        .dispatch_once(&program.store, &program.clock)
        .await
        .unwrap();
    assert_eq!(again.claimed, 0);
    let prompts = ivy
        .count_after(Duration::from_secs(1), |r| {
            r.body().contains("Check-in for 2027-01-04")
        })
        .await;
    assert_eq!(prompts, 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_answers_go_to_the_direct_room_and_the_office_can_make_the_bot_leave() {
    let hs = synapse();
    let t = tag("private");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let olga = User::new(hs, &format!("olga-{t}"), "Olga Office").await;
    let jan = User::new(hs, &format!("jan-{t}"), "Jan").await;
    let bot_id = OwnedUserId::try_from(bot_reg.user_id.as_str()).unwrap();
    let settings_ = Settings {
        office: vec![matrix_account(&olga.user_id)],
        ..Settings::default()
    };
    let program = program_with(dir.path(), settings_).await;
    // Jan is an ambassador with a check-in answer: private to him and the office.
    make_ambassador(&program.store, &jan.user_id, "Jan").await;
    let bot = RunningBot::start(
        settings(&bot_reg, &dir.path().join("matrix")),
        program.clone(),
    )
    .await;
    let room = olga
        .create_room("team", false, &[&jan.user_id, &bot_id])
        .await;
    olga.wait_joined(room.room_id(), &bot_id).await;
    olga.wait_joined(room.room_id(), &jan.user_id).await;
    let jan_room = jan.room(room.room_id());

    let log = jan
        .say(
            &jan_room,
            "!ambassadors log Secret workshop plans #workshop",
        )
        .await;
    jan.wait_for("the pointer for the log entry", |r| {
        r.in_reply_to() == Some(log.as_str()) && r.body() == PRIVATE_NOTE
    })
    .await;
    let list = jan.say(&jan_room, "!ambassadors log list").await;
    let entries = jan
        .wait_for("his entries, privately", |r| {
            r.event.sender == bot_id
                && r.body().contains("Secret workshop plans")
                && r.room_id != room.room_id()
        })
        .await;
    assert!(jan.room(&entries.room_id).is_direct().await.unwrap());
    jan.wait_for("the pointer for the list", |r| {
        r.in_reply_to() == Some(list.as_str()) && r.body() == PRIVATE_NOTE
    })
    .await;

    // Someone else's misspelt command: the usage answer goes privately too.
    let bad = olga.say(&room, "!ambassadors dept add").await;
    olga.wait_for("the pointer for the usage", |r| {
        r.in_reply_to() == Some(bad.as_str()) && r.body() == PRIVATE_NOTE
    })
    .await;
    olga.wait_for("the usage, privately", |r| {
        r.event.sender == bot_id && r.body().contains("Usage") && r.room_id != room.room_id()
    })
    .await;

    // Only the office may send the bot away; group rooms only.
    let refused = jan.say(&jan_room, "!ambassadors leave").await;
    let no = jan
        .wait_for("the refusal", |r| r.in_reply_to() == Some(refused.as_str()))
        .await;
    assert!(
        no.body().contains("Only the program office"),
        "{}",
        no.body()
    );
    assert_eq!(no.room_id, room.room_id());
    let dm = jan.room(&entries.room_id);
    let in_dm = jan.say(&dm, "!ambassadors leave").await;
    let stay = jan
        .wait_for("the answer in the direct room", |r| {
            r.in_reply_to() == Some(in_dm.as_str())
        })
        .await;
    assert!(stay.body().contains("I stay"), "{}", stay.body());

    let asked = olga.say(&room, "!ambassadors leave").await;
    let goodbye = jan
        .wait_for("the goodbye", |r| r.in_reply_to() == Some(asked.as_str()))
        .await;
    assert!(
        goodbye.body().starts_with("👋 Goodbye!"),
        "{}",
        goodbye.body()
    );
    jan.wait_left(room.room_id(), &bot_id).await;
    assert_eq!(
        jan.state_of(&entries.room_id),
        Some(matrix_sdk::RoomState::Joined),
        "the direct room stays"
    );

    // Nothing private ever reached the group room.
    let in_room: Vec<String> = olga
        .received()
        .iter()
        .chain(jan.received().iter())
        .filter(|r| r.room_id == room.room_id() && r.event.sender == bot_id)
        .map(|r| r.body().to_string())
        .collect();
    assert!(
        in_room.iter().all(|b| b == PRIVATE_NOTE
            || b.contains("Only the program office")
            || b.starts_with("👋")),
        "{in_room:#?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_reaction_gives_kudos_for_the_message() {
    let hs = synapse();
    let t = tag("reaction");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let kim = User::new(hs, &format!("kim-{t}"), "Kim").await;
    let lee = User::new(hs, &format!("lee-{t}"), "Lee Builder").await;
    let bot_id = OwnedUserId::try_from(bot_reg.user_id.as_str()).unwrap();
    let program = program_with(
        dir.path(),
        Settings {
            kudos_daily_limit: 1,
            ..Settings::default()
        },
    )
    .await;
    let mut s = settings(&bot_reg, &dir.path().join("matrix"));
    s.kudos_reaction = Some("🙌".into());
    let bot = RunningBot::start(s, program.clone()).await;
    let room = kim
        .create_room("reactions", true, &[&lee.user_id, &bot_id])
        .await;
    kim.wait_joined(room.room_id(), &bot_id).await;
    kim.wait_joined(room.room_id(), &lee.user_id).await;
    let lee_room = lee.room(room.room_id());
    let react = |who: &User, event: &matrix_sdk::ruma::OwnedEventId, key: &str| {
        let room = who.room(room.room_id());
        let content = ReactionEventContent::new(Annotation::new(event.clone(), key.into()));
        async move {
            room.send(content).await.expect("react");
        }
    };

    let fixed = lee
        .say(
            &lee_room,
            "Fixed the flaky integration build for everyone #ci",
        )
        .await;
    let other = lee.say(&lee_room, "And wrote the release notes").await;
    // Another emoji does nothing; the configured one (with its variation selector) gives kudos.
    react(&kim, &fixed, "👍").await;
    react(&kim, &fixed, "🙌\u{FE0F}").await;
    let public = lee
        .wait_for("the kudos", |r| {
            r.event.sender == bot_id && r.body().contains("Kudos to")
        })
        .await;
    assert_eq!(
        public.body(),
        "🎉 Kudos to @Lee Builder from @Kim for *“Fixed the flaky integration build for everyone #ci”*"
    );
    assert_eq!(public.room_id, room.room_id());
    assert_eq!(public.in_reply_to(), Some(fixed.as_str()));
    let note = kim
        .wait_for("the giver's note", |r| {
            r.event.sender == bot_id && r.body().contains("last kudos for today")
        })
        .await;
    assert_ne!(note.room_id, room.room_id(), "the giver's note is private");

    // The usual rules: not to yourself, the daily limit; reactions to the bot are applause.
    react(&lee, &other, "🙌").await;
    lee.wait_for("the refusal of self-kudos", |r| {
        r.event.sender == bot_id && r.body().contains("can't give kudos to yourself")
    })
    .await;
    react(&kim, &other, "🙌").await;
    kim.wait_for("the daily limit", |r| {
        r.event.sender == bot_id && r.body().contains("daily limit")
    })
    .await;
    let announcement = public.event.event_id.clone();
    react(&lee, &announcement, "🙌").await;

    let kudos = program
        .store
        .kudos_between(
            chrono::Utc::now() - chrono::Duration::hours(1),
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(kudos.len(), 1, "{kudos:?}");
    assert_eq!(kudos[0].giver.display_name, "Kim");
    assert_eq!(kudos[0].receivers[0].display_name, "Lee Builder");
    assert_eq!(kudos[0].tags, vec!["ci".to_string()]);
    assert_eq!(kudos[0].room, room.room_id().as_str());
    let said_in_room = kim
        .count_after(Duration::from_secs(3), |r| {
            r.event.sender == bot_id && r.room_id == room.room_id()
        })
        .await;
    assert_eq!(said_in_room, 1, "only the one kudos in the room");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redacting_the_kudos_reaction_takes_the_kudos_back() {
    let hs = synapse();
    let t = tag("redaction");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let kim = User::new(hs, &format!("kim-{t}"), "Kim").await;
    let lee = User::new(hs, &format!("lee-{t}"), "Lee Builder").await;
    let bot_id = OwnedUserId::try_from(bot_reg.user_id.as_str()).unwrap();
    let program = program_with(dir.path(), Settings::default()).await;
    let mut s = settings(&bot_reg, &dir.path().join("matrix"));
    s.kudos_reaction = Some("🙌".into());
    let bot = RunningBot::start(s, program.clone()).await;
    let room = kim
        .create_room("redactions", false, &[&lee.user_id, &bot_id])
        .await;
    kim.wait_joined(room.room_id(), &bot_id).await;
    kim.wait_joined(room.room_id(), &lee.user_id).await;
    let fixed = lee
        .say(&lee.room(room.room_id()), "Fixed the release pipeline")
        .await;
    let kims_room = kim.room(room.room_id());
    let react = || {
        let content = ReactionEventContent::new(Annotation::new(fixed.clone(), "🙌".into()));
        let room = kims_room.clone();
        async move { room.send(content).await.expect("react").response.event_id }
    };
    let kudos_count = || async {
        program
            .store
            .kudos_between(
                chrono::Utc::now() - chrono::Duration::hours(1),
                chrono::Utc::now() + chrono::Duration::hours(1),
            )
            .await
            .unwrap()
            .len()
    };

    let reaction = react().await;
    lee.wait_for("the kudos", |r| {
        r.event.sender == bot_id && r.body().contains("Kudos to")
    })
    .await;
    assert_eq!(kudos_count().await, 1);

    // Lee redacting their own message takes nothing back: it is no kudos reaction.
    lee.room(room.room_id())
        .redact(&fixed, None, None)
        .await
        .expect("redact the message");
    // Kim takes the reaction away: the kudos goes, and Kim is told privately.
    kims_room
        .redact(&reaction, Some("changed my mind"), None)
        .await
        .expect("redact the reaction");
    let note = kim
        .wait_for("the taken-back note", |r| {
            r.event.sender == bot_id && r.body().contains("is taken back")
        })
        .await;
    assert_ne!(note.room_id, room.room_id(), "the note is private");
    assert!(
        note.body().contains("Fixed the release pipeline"),
        "{}",
        note.body()
    );
    assert_eq!(kudos_count().await, 0);
    let notes = kim
        .count_after(Duration::from_secs(2), |r| {
            r.event.sender == bot_id && r.body().contains("is taken back")
        })
        .await;
    assert_eq!(notes, 1, "one note, once");
    bot.stop().await;
}

/// The number in "… request #N …" of a bot's message.
fn request_number(body: &str) -> u64 {
    let after = body
        .split("request #")
        .nth(1)
        .unwrap_or_else(|| panic!("no request number in {body:?}"));
    after
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no request number in {body:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_answered_in_the_ambassadors_direct_room_through_the_outbox() {
    let hs = synapse();
    let t = tag("request");
    let dir = TempDir::new().unwrap();
    let bot_reg = hs.register(&format!("bot-{t}"), "Ambassador Bot").await;
    let amy = User::new(hs, &format!("amy-{t}"), "Amy").await;
    let olga = User::new(hs, &format!("olga-{t}"), "Olga Office").await;
    let tom = User::new(hs, &format!("tom-{t}"), "Tom").await;
    let bot_id = OwnedUserId::try_from(bot_reg.user_id.as_str()).unwrap();
    let program = program_with(
        dir.path(),
        Settings {
            office: vec![matrix_account(&olga.user_id)],
            ..Settings::default()
        },
    )
    .await;
    make_ambassador(&program.store, &amy.user_id, "Amy").await;
    let bot = RunningBot::start(
        settings(&bot_reg, &dir.path().join("matrix")),
        program.clone(),
    )
    .await;
    // Messages to people other than the caller wait in the outbox until it is dispatched.
    let dispatcher = Dispatcher::new(bot.messenger.clone(), DispatchSettings::default());
    let dispatch = || async {
        dispatcher
            .dispatch_once(&program.store, &program.clock)
            .await
            .unwrap()
    };
    let room = olga
        .create_room("ambassadors", false, &[&amy.user_id, &tom.user_id, &bot_id])
        .await;
    for who in [&bot_id, &amy.user_id, &tom.user_id] {
        olga.wait_joined(room.room_id(), who).await;
    }
    // The bot's messages outside the group room: in the reader's direct room with it.
    let from_bot_in_dm =
        |r: &support::user::Received| r.event.sender == bot_id && r.room_id != room.room_id();

    // Amy asks in the group room; the answer goes to her direct room.
    let need = "A sponsor for our shared CI runners";
    let asked = amy
        .say(
            &amy.room(room.room_id()),
            &format!("!ambassadors ask {need}"),
        )
        .await;
    amy.wait_for("the pointer to the direct room", |r| {
        r.in_reply_to() == Some(asked.as_str()) && r.body() == PRIVATE_NOTE
    })
    .await;
    let thanks = amy
        .wait_for("the thanks for the request", |r| {
            from_bot_in_dm(r) && r.body().contains("is with the program office")
        })
        .await;
    let n = request_number(thanks.body());
    let amy_dm = thanks.room_id.clone();
    assert!(
        amy.room(&amy_dm).is_direct().await.unwrap(),
        "a direct room"
    );
    assert!(
        thanks.body().contains("`!ambassadors requests mine`"),
        "{}",
        thanks.body()
    );

    // The office hears of it by direct message, with the commands to answer (no buttons on
    // Matrix: the text says how).
    let report = dispatch().await;
    assert_eq!(report.sent, 1, "{report:?}");
    let notice = olga
        .wait_for("the new request notice", |r| {
            from_bot_in_dm(r) && r.body().contains(&format!("Request #{n}"))
        })
        .await;
    let olga_dm = notice.room_id.clone();
    assert!(olga.room(&olga_dm).is_direct().await.unwrap());
    assert!(notice.body().contains(need), "{}", notice.body());
    assert!(
        notice
            .body()
            .contains(&format!("`!ambassadors reply {n} <text>`")),
        "{}",
        notice.body()
    );
    assert!(
        notice
            .html()
            .contains(&format!("<code>!ambassadors reply {n} &lt;text&gt;</code>")),
        "{}",
        notice.html()
    );

    // The office lists the open requests and sees it, in HTML and in the plain body.
    let listed = olga
        .say(&olga.room(room.room_id()), "!ambassadors requests")
        .await;
    olga.wait_for("the pointer for the list", |r| {
        r.in_reply_to() == Some(listed.as_str()) && r.body() == PRIVATE_NOTE
    })
    .await;
    let list = olga
        .wait_for("the list of requests", |r| {
            from_bot_in_dm(r) && r.body().starts_with("*Requests — open")
        })
        .await;
    assert_eq!(list.room_id, olga_dm);
    assert!(
        list.body().contains(&format!("*#{n}*")) && list.body().contains(need),
        "{}",
        list.body()
    );
    assert!(
        list.html().contains(&format!("<strong>#{n}</strong>"))
            && list.html().contains(&format!("<em>{need}</em>")),
        "{}",
        list.html()
    );
    assert!(
        list.body().contains("`!ambassadors reply N <text>`")
            && list.body().contains("`!ambassadors status N done [note]`"),
        "{}",
        list.body()
    );

    // The office replies from its own direct room; the reply reaches Amy's direct room through
    // the outbox.
    let answer = "Sam from the platform team sponsors it; talk to him on Thursday.";
    olga.say(
        &olga.room(&olga_dm),
        &format!("!ambassadors reply {n} {answer}"),
    )
    .await;
    let sent = olga
        .wait_for("the confirmation of the reply", |r| {
            from_bot_in_dm(r) && r.body().starts_with(&format!("Sent on request #{n}"))
        })
        .await;
    assert!(sent.body().contains("now acknowledged"), "{}", sent.body());
    assert!(
        !amy.received().iter().any(|r| r.body().contains(answer)),
        "nothing reaches Amy before the outbox is dispatched"
    );
    let report = dispatch().await;
    assert_eq!(report.sent, 1, "{report:?}");
    let reply = amy
        .wait_for("the office's reply", |r| {
            from_bot_in_dm(r) && r.body().contains(answer)
        })
        .await;
    assert_eq!(reply.room_id, amy_dm, "in her direct room with the bot");
    assert!(amy.room(&reply.room_id).is_direct().await.unwrap());
    assert!(
        reply
            .body()
            .contains(&format!("The program office answered your request #{n}")),
        "{}",
        reply.body()
    );
    assert!(
        reply
            .body()
            .contains(&format!("Answer back: `!ambassadors reply {n} <text>`")),
        "{}",
        reply.body()
    );
    assert!(
        reply
            .html()
            .contains(&format!("<code>!ambassadors reply {n} &lt;text&gt;</code>")),
        "{}",
        reply.html()
    );

    // Amy answers back in her direct room; the office gets it in theirs.
    let back = "Thank you, I will meet him.";
    let amy_dm_room = amy.room(&amy_dm);
    let written = amy
        .say(&amy_dm_room, &format!("!ambassadors reply {n} {back}"))
        .await;
    let ok = amy
        .wait_for("the confirmation of her reply", |r| {
            r.in_reply_to() == Some(written.as_str())
        })
        .await;
    assert_eq!(ok.room_id, amy_dm);
    assert!(
        ok.body()
            .starts_with(&format!("Sent on request #{n} to the program office")),
        "{}",
        ok.body()
    );
    let report = dispatch().await;
    assert_eq!(report.sent, 1, "{report:?}");
    let from_amy = olga
        .wait_for("Amy's answer", |r| {
            from_bot_in_dm(r) && r.body().contains(back)
        })
        .await;
    assert_eq!(from_amy.room_id, olga_dm);
    assert!(
        from_amy
            .body()
            .contains(&format!("Request #{n}: an answer from its ambassador")),
        "{}",
        from_amy.body()
    );
    // Its Reply, Take it and Mark done buttons do not show on Matrix: the text gives all three.
    for command in [
        format!("`!ambassadors reply {n} <text>`"),
        format!("`!ambassadors take {n}`"),
        format!("`!ambassadors status {n} done [note]`"),
    ] {
        assert!(from_amy.body().contains(&command), "{}", from_amy.body());
    }

    // So does the office's view of the request, with its thread.
    olga.say(&olga.room(&olga_dm), &format!("!ambassadors request {n}"))
        .await;
    let shown = olga
        .wait_for("the request with its thread", |r| {
            from_bot_in_dm(r) && r.body().starts_with(&format!("*Request #{n} — "))
        })
        .await;
    assert!(
        shown.body().contains(answer) && shown.body().contains(back),
        "{}",
        shown.body()
    );
    for command in [
        format!("`!ambassadors reply {n} <text>`"),
        format!("`!ambassadors take {n}`"),
        format!("`!ambassadors status {n} done [note]`"),
    ] {
        assert!(shown.body().contains(&command), "{}", shown.body());
    }

    // Done, with a note: Amy is told, with the note.
    let note = "Sam sponsors the runners from January.";
    olga.say(
        &olga.room(&olga_dm),
        &format!("!ambassadors status {n} done {note}"),
    )
    .await;
    olga.wait_for("the confirmation of done", |r| {
        from_bot_in_dm(r) && r.body().starts_with(&format!("Request #{n} is done"))
    })
    .await;
    let report = dispatch().await;
    assert_eq!(report.sent, 1, "{report:?}");
    let done = amy
        .wait_for("the news that it is done", |r| {
            from_bot_in_dm(r) && r.body().contains(&format!("Your request #{n} is done"))
        })
        .await;
    assert_eq!(done.room_id, amy_dm);
    assert!(done.body().contains(note), "{}", done.body());

    // Tom is neither the office nor the request's ambassador: the request does not exist for him.
    let peek = tom
        .say(
            &tom.room(room.room_id()),
            &format!("!ambassadors request {n}"),
        )
        .await;
    tom.wait_for("the pointer for his question", |r| {
        r.in_reply_to() == Some(peek.as_str()) && r.body() == PRIVATE_NOTE
    })
    .await;
    let no = tom
        .wait_for("the refusal", |r| {
            from_bot_in_dm(r) && r.body().contains("There is no request")
        })
        .await;
    assert!(
        no.body()
            .starts_with(&format!("There is no request #{n} that you can see.")),
        "{}",
        no.body()
    );
    let sneak = "Can I see it anyway?";
    tom.say(
        &tom.room(&no.room_id),
        &format!("!ambassadors reply {n} {sneak}"),
    )
    .await;
    tom.wait_for("the refusal of his reply", |r| {
        r.room_id == no.room_id
            && r.body().contains("There is no request")
            && r.event.event_id != no.event.event_id
    })
    .await;
    let report = dispatch().await;
    assert_eq!(
        report.claimed, 0,
        "nothing of Tom's reached anyone: {report:?}"
    );
    // (Tom sees what Amy wrote in the group room herself; the bot tells him nothing.)
    for r in tom.received().iter().filter(|r| r.event.sender == bot_id) {
        assert!(
            !r.body().contains(need) && !r.body().contains(answer) && !r.body().contains(note),
            "Tom saw: {}",
            r.body()
        );
    }
    assert!(
        !olga
            .received()
            .iter()
            .chain(amy.received().iter())
            .any(|r| r.body().contains(sneak)),
        "Tom's reply went nowhere"
    );

    // Nothing of the request reached the group room, and every hint is written with `!`.
    for who in [&amy, &olga, &tom] {
        for r in who.received().iter().filter(|r| r.event.sender == bot_id) {
            if r.room_id == room.room_id() {
                assert_eq!(r.body(), PRIVATE_NOTE);
            }
            assert!(
                !r.body().contains("/ambassadors"),
                "a hint with `/` on Matrix: {}",
                r.body()
            );
        }
    }
    bot.stop().await;
}
