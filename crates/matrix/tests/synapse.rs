//! The Matrix adapter against a real Synapse on loopback, driven by real clients (a second
//! matrix-sdk client per person, plain HTTP where a client would get in the way).
//!
//! One Synapse serves the whole test binary; every test registers its own bot and people.

#![recursion_limit = "256"]

mod support;

use ambassador_core::{
    Account, Destination, Message, Messenger, NewDepartment, Outgoing, Platform, Program, Rich,
    SendError, Settings, Store, SystemClock,
};
use ambassador_matrix::{Credentials, MatrixBot, MatrixError, MatrixMessenger, MatrixSettings};
use ambassador_store::SqlStore;
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
    let url = format!("sqlite://{}", dir.join("bot.db").display());
    let store = SqlStore::open(&url, 2).await.expect("store");
    Arc::new(Program::new(store, SystemClock, Settings::default()))
}

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
    async fn start(settings: MatrixSettings, program: Arc<TestProgram>) -> RunningBot {
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
    // The giver's own note comes as a reply as well.
    let note = alice
        .wait_for("the kudos-left note", |r| {
            r.event.sender == bot_id && r.body().contains("kudos left today")
        })
        .await;
    assert_eq!(note.in_reply_to(), Some(command.as_str()));

    // In a thread, the answer stays in the thread.
    let root = alice.say(&room, "Workshop follow-ups").await;
    let in_thread =
        RoomMessageEventContent::text_plain(format!("!kudos {} for the slides", bob.user_id))
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
            r.event.sender == bot_id && r.body().contains("the slides")
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
    assert_eq!(reply.in_reply_to(), Some(command.as_str()));
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
    let help = dave
        .wait_for("the help answer", |r| {
            r.event.sender == bot.user_id && r.in_reply_to() == Some(command.as_str())
        })
        .await;
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
