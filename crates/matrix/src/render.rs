//! The core message model as a Matrix message: `org.matrix.custom.html` in `formatted_body`, the
//! faithful plain-text form of [`render_plain`] in `body`, mentions as pills.
//!
//! Which mentions notify (`m.mentions`): the people named in the prose of a message (headings and
//! paragraphs), such as the receivers of kudos. People listed in tables, lists and fields (the
//! coverage report, the roster) are shown as pills but not pinged each time someone asks.

use ambassador_core::{Block, Inline, Message, Platform, Rich, render_plain};
use matrix_sdk::ruma::OwnedUserId;
use std::collections::BTreeSet;

/// Largest `body` plus `formatted_body` of one event, in bytes. Matrix events are limited to 64 KiB
/// as a whole, and in encrypted rooms the content grows by a third (base64) plus the envelope.
pub const MAX_EVENT_TEXT_BYTES: usize = 24_000;

/// One Matrix message, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The plain-text `body`.
    pub body: String,
    /// The `formatted_body` (`org.matrix.custom.html`).
    pub html: String,
    /// The users `m.mentions` names: they are notified.
    pub mentions: BTreeSet<OwnedUserId>,
}

/// Renders a message as one or more Matrix messages (several when it is too long for one event).
pub fn render(message: &Message) -> Vec<Rendered> {
    split(message, MAX_EVENT_TEXT_BYTES)
        .iter()
        .map(render_one)
        .collect()
}

/// Renders a message as one Matrix message, however long.
pub fn render_one(message: &Message) -> Rendered {
    let mut html = String::new();
    let mut mentions = BTreeSet::new();
    for block in &message.blocks {
        match block {
            Block::Heading(h) => {
                html.push_str("<h4>");
                html.push_str(&escape(h));
                html.push_str("</h4>");
            }
            Block::Paragraph(r) => {
                collect_mentions(r, &mut mentions);
                html.push_str("<p>");
                rich(r, &mut html);
                html.push_str("</p>");
            }
            Block::List(items) => {
                html.push_str("<ul>");
                for item in items {
                    html.push_str("<li>");
                    rich(item, &mut html);
                    html.push_str("</li>");
                }
                html.push_str("</ul>");
            }
            Block::Fields(fields) => {
                html.push_str("<p>");
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        html.push_str("<br>");
                    }
                    html.push_str("<strong>");
                    html.push_str(&escape(k));
                    html.push_str(":</strong> ");
                    rich(v, &mut html);
                }
                html.push_str("</p>");
            }
            Block::Table { columns, rows, .. } => {
                html.push_str("<table><thead><tr>");
                for c in columns {
                    html.push_str("<th>");
                    html.push_str(&escape(c));
                    html.push_str("</th>");
                }
                html.push_str("</tr></thead><tbody>");
                for row in rows {
                    html.push_str("<tr>");
                    for cell in row {
                        html.push_str("<td>");
                        rich(cell, &mut html);
                        html.push_str("</td>");
                    }
                    html.push_str("</tr>");
                }
                html.push_str("</tbody></table>");
            }
            Block::Context(r) => {
                html.push_str("<p><font color=\"#6b7280\" data-mx-color=\"#6b7280\">");
                rich(r, &mut html);
                html.push_str("</font></p>");
            }
            Block::Divider => html.push_str("<hr>"),
            // Matrix has no buttons: the message's text names the command.
            Block::Actions(_) => {}
        }
    }
    Rendered {
        body: render_plain(message),
        html,
        mentions,
    }
}

/// The Matrix user id of a mention, when it is a Matrix account with a valid id.
pub fn matrix_user(account: &ambassador_core::Account) -> Option<OwnedUserId> {
    if account.platform != Platform::Matrix {
        return None;
    }
    OwnedUserId::try_from(account.id.as_str()).ok()
}

/// A link to a user that Matrix clients show as a pill.
pub fn pill(user: &OwnedUserId, name: &str) -> String {
    format!(
        "<a href=\"https://matrix.to/#/{}\">{}</a>",
        escape(user.as_str()),
        escape(name)
    )
}

fn collect_mentions(r: &Rich, out: &mut BTreeSet<OwnedUserId>) {
    for inline in &r.0 {
        if let Inline::Mention(p) = inline
            && let Some(user) = matrix_user(&p.account)
        {
            out.insert(user);
        }
    }
}

fn rich(r: &Rich, out: &mut String) {
    for inline in &r.0 {
        match inline {
            Inline::Text(s) => out.push_str(&escape_lines(s)),
            Inline::Strong(s) => {
                out.push_str("<strong>");
                out.push_str(&escape_lines(s));
                out.push_str("</strong>");
            }
            Inline::Emphasis(s) => {
                out.push_str("<em>");
                out.push_str(&escape_lines(s));
                out.push_str("</em>");
            }
            Inline::Code(s) => {
                out.push_str("<code>");
                out.push_str(&escape(s));
                out.push_str("</code>");
            }
            Inline::Mention(p) => match matrix_user(&p.account) {
                Some(user) => out.push_str(&pill(&user, &p.display_name)),
                None => {
                    out.push('@');
                    out.push_str(&escape(&p.display_name));
                }
            },
        }
    }
}

/// HTML-escapes text for element content and attribute values.
pub use ambassador_core::escape_html as escape;

fn escape_lines(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

/// Splits a message into parts whose rendering stays under `limit` bytes: between blocks where
/// possible, else between list items, fields or table rows (each part of a table repeats its
/// header), and as a last resort inside a long text.
pub fn split(message: &Message, limit: usize) -> Vec<Message> {
    let size = |m: &Message| {
        let r = render_one(m);
        r.body.len() + r.html.len()
    };
    if size(message) <= limit {
        return vec![message.clone()];
    }
    let mut parts: Vec<Message> = Vec::new();
    let mut current = Message::new();
    let push = |block: Block, parts: &mut Vec<Message>, current: &mut Message| {
        let mut candidate = current.clone();
        candidate.blocks.push(block.clone());
        if size(&candidate) <= limit {
            *current = candidate;
        } else {
            // A heading stays with what follows it.
            let carry = match current.blocks.last() {
                Some(Block::Heading(_)) => current.blocks.pop(),
                _ => None,
            };
            if !current.blocks.is_empty() {
                parts.push(std::mem::take(current));
            }
            current.blocks.extend(carry);
            current.blocks.push(block);
        }
    };
    // Pieces leave room for a heading carried along.
    let piece_limit = limit.saturating_sub(HEADING_ROOM).max(limit / 2);
    for block in &message.blocks {
        for piece in split_block(block, piece_limit, &size) {
            push(piece, &mut parts, &mut current);
        }
    }
    if !current.blocks.is_empty() {
        parts.push(current);
    }
    parts
}

/// Room kept in each part for a heading carried along with the piece that follows it.
const HEADING_ROOM: usize = 1024;

/// One block as blocks that each fit `limit` on their own.
fn split_block(block: &Block, limit: usize, size: &dyn Fn(&Message) -> usize) -> Vec<Block> {
    let alone = |b: &Block| {
        size(&Message {
            blocks: vec![b.clone()],
        })
    };
    if alone(block) <= limit {
        return vec![block.clone()];
    }
    // Groups items greedily into blocks built by `make` that fit.
    fn group<T: Clone>(
        items: &[T],
        make: &dyn Fn(Vec<T>) -> Block,
        fits: &dyn Fn(&Block) -> bool,
    ) -> Vec<Vec<T>> {
        let mut groups: Vec<Vec<T>> = Vec::new();
        let mut current: Vec<T> = Vec::new();
        for item in items {
            let mut candidate = current.clone();
            candidate.push(item.clone());
            if current.is_empty() || fits(&make(candidate.clone())) {
                current = candidate;
            } else {
                groups.push(std::mem::take(&mut current));
                current.push(item.clone());
            }
        }
        if !current.is_empty() {
            groups.push(current);
        }
        groups
    }
    let fits = |b: &Block| alone(b) <= limit;
    match block {
        Block::List(items) if items.len() > 1 => group(items, &|v| Block::List(v), &fits)
            .into_iter()
            .map(Block::List)
            .flat_map(|b| split_block(&b, limit, size))
            .collect(),
        Block::Fields(fields) if fields.len() > 1 => group(fields, &|v| Block::Fields(v), &fits)
            .into_iter()
            .map(Block::Fields)
            .flat_map(|b| split_block(&b, limit, size))
            .collect(),
        Block::Table {
            columns,
            numeric,
            rows,
        } if rows.len() > 1 => {
            let make = |rows: Vec<Vec<Rich>>| Block::Table {
                columns: columns.clone(),
                numeric: numeric.clone(),
                rows,
            };
            group(rows, &make, &fits)
                .into_iter()
                .map(make)
                .flat_map(|b| split_block(&b, limit, size))
                .collect()
        }
        // One item or one long text: cut its plain text into pieces that fit.
        other => {
            let text = render_plain(&Message {
                blocks: vec![other.clone()],
            });
            // HTML escaping can grow text up to six-fold; body and HTML both carry it.
            let max_chars = (limit / 8).max(1);
            let chars: Vec<char> = text.chars().collect();
            chars
                .chunks(max_chars)
                .map(|c| Block::Paragraph(Rich::text(c.iter().collect::<String>())))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ambassador_core::{Account, PersonRef};

    fn bob() -> PersonRef {
        PersonRef {
            account: Account::new(Platform::Matrix, "@bob:localhost"),
            display_name: "Bob <the builder>".into(),
        }
    }

    #[test]
    fn kudos_renders_pills_and_escapes_text() {
        let m = Message::text(
            Rich::text("🎉 Kudos to ")
                .and_mention(&bob())
                .and(" for ")
                .and_strong("<script>&"),
        );
        let r = render_one(&m);
        assert_eq!(
            r.html,
            "<p>🎉 Kudos to <a href=\"https://matrix.to/#/@bob:localhost\">Bob &lt;the builder&gt;</a> for <strong>&lt;script&gt;&amp;</strong></p>"
        );
        assert_eq!(r.body, "🎉 Kudos to @Bob <the builder> for *<script>&*");
        assert_eq!(
            r.mentions.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            ["@bob:localhost"]
        );
    }

    #[test]
    fn tables_and_lists_show_pills_without_notifying() {
        let m = Message::new()
            .heading("Coverage")
            .table(
                &["Department", "Ambassadors"],
                &[false, false],
                vec![vec![Rich::text("R&D"), Rich::new().and_mention(&bob())]],
            )
            .list(vec![Rich::new().and_mention(&bob())])
            .context("hint")
            .divider();
        let r = render_one(&m);
        assert!(r.mentions.is_empty());
        assert_eq!(
            r.html,
            "<h4>Coverage</h4><table><thead><tr><th>Department</th><th>Ambassadors</th></tr></thead><tbody><tr><td>R&amp;D</td><td><a href=\"https://matrix.to/#/@bob:localhost\">Bob &lt;the builder&gt;</a></td></tr></tbody></table><ul><li><a href=\"https://matrix.to/#/@bob:localhost\">Bob &lt;the builder&gt;</a></li></ul><p><font color=\"#6b7280\" data-mx-color=\"#6b7280\">hint</font></p><hr>"
        );
        assert_eq!(r.body, render_plain(&m));
    }

    #[test]
    fn other_platforms_mentions_are_plain() {
        let p = PersonRef {
            account: Account::new(Platform::Console, "ada"),
            display_name: "Ada".into(),
        };
        let r = render_one(&Message::text(Rich::new().and_mention(&p)));
        assert_eq!(r.html, "<p>@Ada</p>");
        assert!(r.mentions.is_empty());
    }

    #[test]
    fn long_messages_split_between_rows_and_repeat_headers() {
        let rows: Vec<Vec<Rich>> = (0..2000)
            .map(|i| vec![Rich::text(format!("Department {i}")), Rich::text("x")])
            .collect();
        let m =
            Message::new()
                .heading("Big")
                .table(&["Department", "Status"], &[false, false], rows);
        let parts = render(&m);
        assert!(parts.len() > 1, "{} parts", parts.len());
        for p in &parts {
            assert!(p.body.len() + p.html.len() <= MAX_EVENT_TEXT_BYTES);
            assert!(p.html.contains("<th>Department</th>"));
        }
        let all: String = parts.iter().map(|p| p.body.as_str()).collect();
        for i in [0, 999, 1999] {
            assert!(all.contains(&format!("Department {i}")));
        }
        let long = Message::text("é".repeat(100_000));
        let parts = render(&long);
        assert!(parts.len() > 1);
        let joined: String = parts.iter().map(|p| p.body.replace('\n', "")).collect();
        assert!(joined == "é".repeat(100_000), "no character lost or added");
    }
}
