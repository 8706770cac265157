//! Slack's answers, for the fakes of its Web API in tests and benchmarks (feature `testing`).
//!
//! slack-morphism reads every answer into its models, which are strict: an answer missing a field
//! Slack always sends fails to read. So every fake answers a successful call with the shape
//! Slack documents for that method (each method's "Example responses"), built here once, and the
//! test `the_fakes_answer_in_slacks_shapes` reads each through the client.

use serde_json::{Value, json};

/// The workspace, app and bot user the fakes answer as.
pub const TEAM_ID: &str = "T0001";
pub const BOT_USER_ID: &str = "UBOT";
pub const BOT_ID: &str = "B0001";
pub const APP_ID: &str = "A0001";

/// Slack's `ok:true` answer to `method` called with `args` (the JSON body or the form or query
/// arguments), `ts` naming a posted message. `None`: a method the fakes do not answer this way
/// (`users.info`, `conversations.*`, `apps.connections.open` depend on what the fake holds).
pub fn ok_answer(method: &str, args: &Value, ts: &str) -> Option<Value> {
    Some(match method {
        "auth.test" => json!({
            "ok": true,
            "url": "https://example.slack.com/",
            "team": "Example",
            "user": "ambassador-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": false,
        }),
        "chat.postMessage" => {
            let mut message = json!({
                "type": "message",
                "subtype": "bot_message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "app_id": APP_ID,
                "team": TEAM_ID,
                "ts": ts,
                "text": args["text"],
            });
            if args.get("blocks").is_some() {
                message["blocks"] = args["blocks"].clone();
            }
            if let Some(thread) = args.get("thread_ts") {
                message["thread_ts"] = thread.clone();
            }
            json!({"ok": true, "channel": args["channel"], "ts": ts, "message": message})
        }
        "chat.postEphemeral" => json!({"ok": true, "message_ts": ts}),
        "views.open" | "views.publish" => {
            let mut view = args["view"].clone();
            if let Some(v) = view.as_object_mut() {
                v.insert("id".into(), json!(format!("V{}", ts.replace('.', ""))));
                v.insert("team_id".into(), json!(TEAM_ID));
                v.insert("app_id".into(), json!(APP_ID));
                v.insert("bot_id".into(), json!(BOT_ID));
                v.insert("hash".into(), json!(format!("{ts}.a1b2c3")));
                v.insert("state".into(), json!({"values": {}}));
                v.insert("root_view_id".into(), v["id"].clone());
                v.insert("previous_view_id".into(), Value::Null);
            }
            json!({"ok": true, "view": view})
        }
        _ => return None,
    })
}

/// Slack's answer to `users.info` for a user the workspace has, from a few fields.
pub fn user(id: &str, display_name: &str, tz: Option<&str>) -> Value {
    json!({
        "id": id,
        "team_id": TEAM_ID,
        "name": display_name.to_lowercase().replace(' ', "."),
        "deleted": false,
        "real_name": display_name,
        "tz": tz,
        "tz_label": tz.map(|_| "Local time"),
        "is_admin": false,
        "is_owner": false,
        "is_bot": false,
        "is_app_user": false,
        "updated": 1700000000,
        "profile": {
            "real_name": display_name,
            "display_name": display_name,
            "real_name_normalized": display_name,
            "display_name_normalized": display_name,
            "team": TEAM_ID,
        },
    })
}

/// The arguments of a Web API call as one JSON object: a JSON body, or form arguments, or the
/// query (slack-morphism asks the read methods, such as `auth.test` and `users.info`, with GET).
pub fn args(query: Option<&str>, body: &str) -> Value {
    let form = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(s)
            .ok()
            .map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect(),
                )
            })
    };
    if body.is_empty() {
        return form(query.unwrap_or_default()).unwrap_or_default();
    }
    serde_json::from_str(body)
        .ok()
        .or_else(|| form(body))
        .unwrap_or_default()
}

/// The answer of a fake that accepts every call: [`ok_answer`]'s shapes, `users.info` knowing
/// everyone as "Person U…", `{"ok": true}` for the methods not modelled.
pub fn answer(method: &str, args: &Value) -> Value {
    match method {
        "users.info" => {
            let id = args["user"].as_str().unwrap_or("U0");
            json!({"ok": true, "user": user(id, &format!("Person {id}"), None)})
        }
        _ => ok_answer(method, args, "1700000000.000100").unwrap_or_else(|| json!({"ok": true})),
    }
}

/// The `view_submission` Slack sends when `user` (id, name) submits `view` (a modal as `views.open`
/// was given it) with `values` by input block id (an input not named comes back empty, as `null`).
pub fn view_submission(view: &Value, user: (&str, &str), values: &[(&str, &str)]) -> Value {
    let (user, name) = user;
    let mut state = serde_json::Map::new();
    for block in view["blocks"].as_array().into_iter().flatten() {
        let Some(id) = block["block_id"]
            .as_str()
            .filter(|_| block["type"] == "input")
        else {
            continue;
        };
        let value = values
            .iter()
            .find(|(k, _)| *k == id)
            .map_or(Value::Null, |(_, v)| json!(v));
        let action = block["element"]["action_id"].as_str().unwrap_or("value");
        state.insert(
            id.into(),
            json!({ action: {"type": "plain_text_input", "value": value} }),
        );
    }
    let mut submitted = view.clone();
    if let Some(v) = submitted.as_object_mut() {
        v.insert("id".into(), json!("V0001"));
        v.insert("team_id".into(), json!(TEAM_ID));
        v.insert("app_id".into(), json!(APP_ID));
        v.insert("bot_id".into(), json!(BOT_ID));
        v.insert("hash".into(), json!("156772938.1827394"));
        v.insert("state".into(), json!({ "values": state }));
    }
    json!({
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": user, "username": name, "name": name, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "trigger_id": "12466734323.1395872398",
        "view": submitted,
    })
}
