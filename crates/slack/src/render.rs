//! The core message model as Block Kit, within Slack's limits: at most 50 blocks per message, 3,000
//! characters per section text, 10 fields per section (2,000 characters each), 150 characters per
//! header. Longer messages become several Slack messages. Every message carries a plain `text`
//! fallback for notifications.
//!
//! The blocks and views are slack-morphism's typed Block Kit models (`SlackBlock`, `SlackView`);
//! the limits above are Slack's documented ones, which the types do not enforce, so they are kept
//! here.

use ambassador_core::{
    Block, Button, ButtonStyle, Form, Inline, Message, Platform, Rich, render_plain,
};
use slack_morphism::blocks::{
    SlackActionBlockElement, SlackActionsBlock, SlackBlock, SlackBlockButtonElement,
    SlackBlockButtonStyle, SlackBlockId, SlackBlockMarkDownText, SlackBlockPlainText,
    SlackBlockPlainTextInputElement, SlackBlockPlainTextOnly, SlackBlockText, SlackContextBlock,
    SlackContextBlockElement, SlackDividerBlock, SlackHeaderBlock, SlackHomeView, SlackInputBlock,
    SlackModalView, SlackSectionBlock, SlackView,
};
use slack_morphism::events::SlackCommandEventResponse;
use slack_morphism::{
    SlackActionId, SlackCallbackId, SlackMessageContent, SlackMessageResponseType,
};

/// Blocks per Slack message.
pub const MAX_BLOCKS: usize = 50;
/// Characters per section (or context) text.
pub const MAX_TEXT: usize = 3000;
/// Fields per section.
pub const MAX_FIELDS: usize = 10;
/// Characters per section field.
pub const MAX_FIELD_TEXT: usize = 2000;
/// Characters per header block.
pub const MAX_HEADER: usize = 150;
/// Characters of rendered text per Slack message before it is split (keeps long digests readable).
pub const MAX_MESSAGE_CHARS: usize = 12_000;
/// Characters of the fallback `text`.
pub const MAX_FALLBACK: usize = 3000;
/// Elements per actions block.
pub const MAX_ACTIONS: usize = 25;
/// Characters of a button's label.
pub const MAX_BUTTON_TEXT: usize = 75;
/// Characters of a button's value.
pub const MAX_BUTTON_VALUE: usize = 2000;
/// Characters of a modal's title, submit and close labels.
pub const MAX_MODAL_TITLE: usize = 24;
/// Blocks per modal or Home tab view.
pub const MAX_VIEW_BLOCKS: usize = 100;
/// Characters a plain-text input takes.
pub const MAX_INPUT: usize = 3000;
/// Characters of a view's `private_metadata`.
pub const MAX_METADATA: usize = 3000;
/// The `callback_id` of every modal form the bot opens.
pub const FORM_CALLBACK: &str = "ambassador-form";
/// The `action_id` of every input in the bot's forms (the field is the `block_id`).
pub const INPUT_ACTION: &str = "value";

/// One Slack message: Block Kit blocks and the notification fallback text.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SlackMessage {
    pub text: String,
    pub blocks: Vec<SlackBlock>,
}

/// Escapes the three characters Slack's mrkdwn treats as control characters.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A Slack user id safe to put in `<@…>`: upper-case letters and digits only.
fn slack_user_id(id: &str) -> Option<&str> {
    (!id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(id)
}

/// `*x*`, keeping surrounding spaces outside the marks (Slack ignores `* x *`).
fn marked(s: &str, mark: &str) -> String {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return escape(s);
    }
    let start = s.len() - s.trim_start().len();
    let end = s.trim_end().len();
    format!(
        "{}{mark}{}{mark}{}",
        &s[..start],
        escape(trimmed),
        &s[end..]
    )
}

/// Inline runs as mrkdwn: user text escaped, Slack people as `<@U…>`, others by display name.
pub fn mrkdwn(rich: &Rich) -> String {
    let mut out = String::new();
    for inline in &rich.0 {
        match inline {
            Inline::Text(s) => out.push_str(&escape(s)),
            Inline::Strong(s) => out.push_str(&marked(s, "*")),
            Inline::Emphasis(s) => out.push_str(&marked(s, "_")),
            Inline::Code(s) => out.push_str(&marked(s, "`")),
            Inline::Mention(p) => match (p.account.platform, slack_user_id(&p.account.id)) {
                (Platform::Slack, Some(id)) => {
                    out.push_str("<@");
                    out.push_str(id);
                    out.push('>');
                }
                _ => out.push_str(&escape(&p.display_name)),
            },
        }
    }
    out
}

/// Cuts text into chunks of at most `max` characters, at line ends where possible.
fn chunks(text: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut len = 0;
    for line in text.split('\n') {
        let line_len = line.chars().count();
        if len > 0 && len + 1 + line_len > max {
            out.push(std::mem::take(&mut current));
            len = 0;
        }
        if line_len > max {
            // One very long line: cut it by characters.
            let chars: Vec<char> = line.chars().collect();
            for piece in chars.chunks(max) {
                if len > 0 {
                    out.push(std::mem::take(&mut current));
                }
                current = piece.iter().collect();
                len = piece.len();
            }
            continue;
        }
        if len > 0 {
            current.push('\n');
            len += 1;
        }
        current.push_str(line);
        len += line_len;
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn markdown(text: String) -> SlackBlockText {
    SlackBlockText::MarkDown(SlackBlockMarkDownText::new(text))
}

fn plain(text: &str, max: usize) -> SlackBlockPlainTextOnly {
    SlackBlockPlainText::new(truncate(text, max))
        .with_emoji(true)
        .into()
}

fn section(text: String) -> SlackBlock {
    SlackSectionBlock::new().with_text(markdown(text)).into()
}

fn context(text: String) -> SlackBlock {
    SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
        SlackBlockMarkDownText::new(text),
    )])
    .into()
}

/// Sections for a long mrkdwn text, each within the limit, with the text each shows.
fn sections(text: &str) -> Vec<(SlackBlock, String)> {
    chunks(text, MAX_TEXT)
        .into_iter()
        .map(|t| (section(t.clone()), t))
        .collect()
}

/// One core block as Slack blocks, with the mrkdwn text it shows (for the fallback and sizes).
fn render_block(block: &Block) -> Vec<(SlackBlock, String)> {
    match block {
        Block::Heading(h) => {
            let plain_heading = h.replace('\n', " ");
            if plain_heading.chars().count() <= MAX_HEADER {
                vec![(
                    SlackHeaderBlock::new(plain(&plain_heading, MAX_HEADER)).into(),
                    escape(&plain_heading),
                )]
            } else {
                let text = marked(&plain_heading, "*");
                sections(&text)
                    .into_iter()
                    .map(|(b, _)| (b, text.clone()))
                    .collect()
            }
        }
        Block::Paragraph(r) => sections(&mrkdwn(r)),
        Block::List(items) => {
            let text = items
                .iter()
                .map(|i| format!("• {}", mrkdwn(i).replace('\n', "\n   ")))
                .collect::<Vec<_>>()
                .join("\n");
            sections(&text)
        }
        Block::Fields(fields) => fields
            .chunks(MAX_FIELDS)
            .map(|chunk| {
                let texts: Vec<SlackBlockText> = chunk
                    .iter()
                    .map(|(k, v)| {
                        markdown(truncate(
                            &format!("*{}*\n{}", escape(k), mrkdwn(v)),
                            MAX_FIELD_TEXT,
                        ))
                    })
                    .collect();
                let fallback = chunk
                    .iter()
                    .map(|(k, v)| format!("{}: {}", escape(k), mrkdwn(v)))
                    .collect::<Vec<_>>()
                    .join("\n");
                (SlackSectionBlock::new().with_fields(texts).into(), fallback)
            })
            .collect(),
        Block::Table { .. } => {
            // Slack has no table block in messages: preformatted text, aligned like the console.
            let plain_table = escape(&render_plain(&Message {
                blocks: vec![block.clone()],
            }));
            chunks(&plain_table, MAX_TEXT - 8)
                .into_iter()
                .map(|c| {
                    let text = format!("```\n{c}\n```");
                    (section(text.clone()), text)
                })
                .collect()
        }
        Block::Context(r) => chunks(&mrkdwn(r), MAX_TEXT)
            .into_iter()
            .map(|t| (context(t.clone()), t))
            .collect(),
        Block::Divider => vec![(SlackDividerBlock::new().into(), String::new())],
        Block::Actions(buttons) => buttons
            .chunks(MAX_ACTIONS)
            .filter_map(|chunk| {
                let elements: Vec<SlackActionBlockElement> =
                    chunk.iter().filter_map(button).collect();
                (!elements.is_empty())
                    .then(|| (SlackActionsBlock::new(elements).into(), String::new()))
            })
            .collect(),
    }
}

/// A button whose `value` is the core's action as JSON (the interactivity endpoint reads it back;
/// whoever presses it acts with their own role). `None` when the action does not fit a value.
/// Its `action_id` is given when the message is finished (see [`number_buttons`]).
fn button(b: &Button) -> Option<SlackActionBlockElement> {
    let value = serde_json::to_string(&b.action).ok()?;
    if value.chars().count() > MAX_BUTTON_VALUE {
        tracing::warn!(label = %b.label, "a button's action is too long for Slack; left out");
        return None;
    }
    let style = match b.style {
        ButtonStyle::Primary => Some(SlackBlockButtonStyle::Primary),
        ButtonStyle::Danger => Some(SlackBlockButtonStyle::Danger),
        ButtonStyle::Default => None,
    };
    Some(
        SlackBlockButtonElement::new(plain(&b.label, MAX_BUTTON_TEXT))
            .with_value(value)
            .opt_style(style)
            .into(),
    )
}

/// A slash command's answer as slack-morphism's `SlackCommandEventResponse`: in the channel or
/// only to the caller (`ephemeral`, also for anything else).
pub fn command_response(response_type: &str, message: &SlackMessage) -> SlackCommandEventResponse {
    let content = SlackMessageContent::new()
        .with_text(message.text.clone())
        .with_blocks(message.blocks.clone());
    SlackCommandEventResponse::new(content).with_response_type(match response_type {
        "in_channel" => SlackMessageResponseType::InChannel,
        _ => SlackMessageResponseType::Ephemeral,
    })
}

/// A core form as a Slack modal: one input block per field (the field id is the `block_id`),
/// `private_metadata` carried back with the submission.
pub fn modal(form: &Form, private_metadata: &str) -> SlackView {
    let mut blocks: Vec<SlackBlock> = sections(&mrkdwn(&form.intro))
        .into_iter()
        .map(|(b, _)| b)
        .collect();
    for f in &form.fields {
        let max = f.max_chars.clamp(1, MAX_INPUT);
        let initial = (!f.initial.is_empty()).then(|| f.initial.chars().take(max).collect());
        let element = SlackBlockPlainTextInputElement::new()
            .with_action_id(SlackActionId::new(INPUT_ACTION.to_string()))
            .with_multiline(f.multiline)
            .with_max_length(max as u64)
            .opt_initial_value(initial);
        let input = SlackInputBlock::new(plain(&f.label, 2000), element.into())
            .with_block_id(SlackBlockId::new(f.id.clone()))
            .with_optional(f.optional)
            .opt_hint(f.hint.as_deref().map(|h| plain(h, 2000)));
        blocks.push(input.into());
    }
    blocks.truncate(MAX_VIEW_BLOCKS);
    SlackView::Modal(
        SlackModalView::new(plain(&form.title, MAX_MODAL_TITLE), blocks)
            .with_callback_id(SlackCallbackId::new(FORM_CALLBACK.to_string()))
            .with_private_metadata(private_metadata.to_string())
            .with_submit(plain(&form.submit, MAX_MODAL_TITLE))
            .with_close(plain("Cancel", MAX_MODAL_TITLE)),
    )
}

/// A modal that only shows a message (why a form cannot be filled in now), with a Close button.
pub fn notice_modal(title: &str, message: &Message) -> SlackView {
    let mut blocks = render_view(message);
    blocks.retain(|b| !matches!(b, SlackBlock::Actions(_)));
    SlackView::Modal(
        SlackModalView::new(plain(title, MAX_MODAL_TITLE), blocks)
            .with_close(plain("Close", MAX_MODAL_TITLE)),
    )
}

/// The Home tab: these blocks (see [`render_view`]) as a view to publish.
pub fn home_view(blocks: Vec<SlackBlock>) -> SlackView {
    SlackView::Home(SlackHomeView::new(blocks))
}

/// Numbers the buttons of one message (or view) in order, across all its actions blocks. Slack
/// asks `action_id`s to be unique in their block; numbering them across the message keeps every
/// button distinct when a message carries several rows of the same buttons (a list of requests,
/// each with Reply, Take it and Mark done), so a press names one button alone.
fn number_buttons(blocks: &mut [SlackBlock]) {
    let mut n = 0;
    for block in blocks.iter_mut() {
        let SlackBlock::Actions(actions) = block else {
            continue;
        };
        for element in &mut actions.elements {
            if let SlackActionBlockElement::Button(b) = element {
                b.action_id = Some(SlackActionId::new(format!("ambassador-{n}")));
                n += 1;
            }
        }
    }
}

fn is_header(block: &SlackBlock) -> bool {
    matches!(block, SlackBlock::Header(_))
}

fn finish(parts: Vec<(SlackBlock, String)>) -> SlackMessage {
    let text = parts
        .iter()
        .map(|(_, t)| t.as_str())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let mut blocks: Vec<SlackBlock> = parts.into_iter().map(|(b, _)| b).collect();
    number_buttons(&mut blocks);
    SlackMessage {
        text: truncate(&text, MAX_FALLBACK),
        blocks,
    }
}

/// The message as one or more Slack messages, each within Slack's limits. A header never ends a
/// message when more follows.
pub fn render(message: &Message) -> Vec<SlackMessage> {
    let mut out: Vec<SlackMessage> = Vec::new();
    let mut current: Vec<(SlackBlock, String)> = Vec::new();
    let mut chars = 0;
    for block in &message.blocks {
        for (value, text) in render_block(block) {
            let len = text.chars().count();
            if !current.is_empty()
                && (current.len() >= MAX_BLOCKS || chars + len > MAX_MESSAGE_CHARS)
            {
                let carry = match current.last() {
                    Some((b, _)) if is_header(b) && current.len() > 1 => current.pop(),
                    _ => None,
                };
                out.push(finish(std::mem::take(&mut current)));
                chars = 0;
                if let Some(c) = carry {
                    chars += c.1.chars().count();
                    current.push(c);
                }
            }
            chars += len;
            current.push((value, text));
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(finish(current));
    }
    out
}

/// The message as the blocks of one view (the Home tab), within [`MAX_VIEW_BLOCKS`]: a view
/// cannot be split, so what does not fit is cut and a last context line says so.
pub fn render_view(message: &Message) -> Vec<SlackBlock> {
    let mut blocks: Vec<SlackBlock> = message
        .blocks
        .iter()
        .flat_map(render_block)
        .map(|(b, _)| b)
        .collect();
    if blocks.len() > MAX_VIEW_BLOCKS {
        blocks.truncate(MAX_VIEW_BLOCKS - 1);
        if blocks.last().is_some_and(is_header) {
            blocks.pop();
        }
        blocks.push(context("… more than fits on this page.".to_string()));
    }
    number_buttons(&mut blocks);
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use ambassador_core::{Account, PersonRef};
    use serde_json::Value;

    /// Blocks as the JSON Slack receives.
    fn json(blocks: &[SlackBlock]) -> Vec<Value> {
        blocks
            .iter()
            .map(|b| serde_json::to_value(b).unwrap())
            .collect()
    }

    fn slack(id: &str, name: &str) -> PersonRef {
        PersonRef {
            account: Account::new(Platform::Slack, id),
            display_name: name.into(),
        }
    }

    #[test]
    fn mentions_and_escaping() {
        let matrix = PersonRef {
            account: Account::new(Platform::Matrix, "@eve:example.org"),
            display_name: "Eve <admin>".into(),
        };
        let r = Rich::text("Thanks ")
            .and_mentions(&[slack("U012AB3CD", "Ada"), matrix])
            .and(" for <!channel> & more ")
            .and_strong(" bold ")
            .and_code("a<b");
        assert_eq!(
            mrkdwn(&r),
            "Thanks <@U012AB3CD> and Eve &lt;admin&gt; for &lt;!channel&gt; &amp; more  *bold* `a&lt;b`"
        );
        // An id that is not a Slack id is never put between < >.
        assert_eq!(
            mrkdwn(&Rich::new().and_mention(&slack("U1>|x", "Bob"))),
            "Bob"
        );
    }

    #[test]
    fn long_messages_stay_within_slacks_limits() {
        let items: Vec<Rich> = (0..400)
            .map(|i| Rich::text(format!("item {i:03} {}", "x".repeat(60))))
            .collect();
        let mut m = Message::new().heading("Digest").list(items);
        for i in 0..120 {
            m = m.paragraph(format!("paragraph {i}")).divider();
        }
        m = m.fields(
            (0..25)
                .map(|i| (format!("k{i}"), Rich::text("v")))
                .collect(),
        );
        m = m.paragraph("y".repeat(7000));
        let parts = render(&m);
        assert!(parts.len() > 3);
        let mut listed = 0;
        for p in &parts {
            assert!(p.blocks.len() <= MAX_BLOCKS);
            let blocks = json(&p.blocks);
            assert!(p.text.chars().count() <= MAX_FALLBACK);
            assert!(!p.text.is_empty());
            for b in &blocks {
                if let Some(t) = b["text"]["text"].as_str() {
                    assert!(t.chars().count() <= MAX_TEXT, "{}", t.len());
                    listed += t.matches("• item").count();
                }
                if let Some(f) = b["fields"].as_array() {
                    assert!(f.len() <= MAX_FIELDS);
                }
            }
            assert_ne!(blocks.last().unwrap()["type"], "header");
        }
        assert_eq!(listed, 400, "no list item lost or doubled");
    }

    #[test]
    fn a_view_is_one_list_of_blocks_within_the_limit() {
        let short = Message::new().heading("Home").paragraph("hi").divider();
        let blocks = json(&render_view(&short));
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0]["type"], "header");
        let mut long = Message::new();
        for i in 0..150 {
            long = long.heading(format!("h{i}")).paragraph(format!("p{i}"));
        }
        let blocks = json(&render_view(&long));
        // 99 blocks would end with the 50th header: it goes, the note follows the 49th paragraph.
        assert_eq!(blocks.len(), MAX_VIEW_BLOCKS - 1);
        let last = blocks.last().unwrap();
        assert_eq!(last["type"], "context");
        assert!(
            last["elements"][0]["text"]
                .as_str()
                .unwrap()
                .contains("more")
        );
        assert_eq!(blocks[blocks.len() - 2]["text"]["text"], "p48");
        long = long.paragraph("one more");
        let blocks = render_view(&Message {
            blocks: long.blocks[1..].to_vec(),
        });
        // Starting with a paragraph, the 99th block is one: nothing to drop.
        assert_eq!(blocks.len(), MAX_VIEW_BLOCKS);
    }

    /// The action ids of every button in `blocks`, in order.
    fn action_ids(blocks: &[Value]) -> Vec<String> {
        blocks
            .iter()
            .filter(|b| b["type"] == "actions")
            .flat_map(|b| b["elements"].as_array().unwrap().clone())
            .map(|e| e["action_id"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn rows_of_the_same_buttons_get_distinct_ids_in_one_message() {
        use ambassador_core::FormKind;
        // A list of requests: each with its own Reply / Take it / Mark done row.
        let mut m = Message::new().heading("Requests — open (3)");
        for id in 1..=3 {
            m = m.paragraph(format!("#{id} · new")).buttons(vec![
                Button::form("Reply", FormKind::RequestReply { id }).primary(),
                Button::command("Take it", format!("ambassadors take {id}")),
                Button::form("Mark done", FormKind::RequestDone { id }),
            ]);
        }
        let parts = render(&m);
        assert_eq!(parts.len(), 1);
        let blocks = &json(&parts[0].blocks);
        let ids = action_ids(blocks);
        assert_eq!(ids.len(), 9, "{blocks:?}");
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), 9, "an action_id repeats: {ids:?}");
        // Slack makes up block ids it is not given; any the renderer gives are its own.
        let block_ids: Vec<&str> = blocks
            .iter()
            .filter_map(|b| b["block_id"].as_str())
            .collect();
        let unique_blocks: std::collections::HashSet<&&str> = block_ids.iter().collect();
        assert_eq!(unique_blocks.len(), block_ids.len(), "{block_ids:?}");
        // Each button still carries its own request's action.
        let values: Vec<&str> = blocks
            .iter()
            .filter(|b| b["type"] == "actions")
            .flat_map(|b| b["elements"].as_array().unwrap())
            .map(|e| e["value"].as_str().unwrap())
            .collect();
        assert_eq!(values[0], r#"{"Form":{"RequestReply":{"id":1}}}"#);
        assert_eq!(values[4], r#"{"Command":"ambassadors take 2"}"#);

        // The same in a view (the Home tab).
        let ids = action_ids(&json(&render_view(&m)));
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!((ids.len(), unique.len()), (9, 9), "{ids:?}");
    }

    #[test]
    fn tables_are_preformatted_and_escaped() {
        // Aligned by what Slack shows (`&amp;` shows as `&`).
        let m = Message::new().table(
            &["Dept", "n"],
            &[false, true],
            vec![vec![Rich::text("R&D <core>"), Rich::text("3")]],
        );
        let parts = render(&m);
        assert_eq!(
            json(&parts[0].blocks)[0]["text"]["text"],
            "```\nDept        n\nR&amp;D &lt;core&gt;  3\n```"
        );
    }
}
