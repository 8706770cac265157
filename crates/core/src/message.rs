//! The platform-neutral message model: what the program says, and to whom. Adapters render it (Block
//! Kit, Matrix HTML with a plain-text body); [`render_plain`] is the text form the console prints and
//! the fallback every adapter can use.

use crate::model::PersonRef;
use unicode_width::UnicodeWidthStr;

/// A run of text with simple emphasis and mentions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Inline {
    Text(String),
    Strong(String),
    Emphasis(String),
    Code(String),
    Mention(PersonRef),
}

/// A line or paragraph of inline runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Rich(pub Vec<Inline>);

impl Rich {
    pub fn new() -> Self {
        Rich(Vec::new())
    }
    pub fn text(s: impl Into<String>) -> Self {
        Rich(vec![Inline::Text(s.into())])
    }
    pub fn strong(s: impl Into<String>) -> Self {
        Rich(vec![Inline::Strong(s.into())])
    }
    pub fn and(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Text(s.into()));
        self
    }
    pub fn and_strong(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Strong(s.into()));
        self
    }
    pub fn and_em(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Emphasis(s.into()));
        self
    }
    pub fn and_code(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Code(s.into()));
        self
    }
    pub fn and_mention(mut self, p: &PersonRef) -> Self {
        self.0.push(Inline::Mention(p.clone()));
        self
    }
    /// Mentions separated by ", " and a final " and ".
    pub fn and_mentions(mut self, people: &[PersonRef]) -> Self {
        for (i, p) in people.iter().enumerate() {
            if i > 0 {
                self = self.and(if i + 1 == people.len() { " and " } else { ", " });
            }
            self = self.and_mention(p);
        }
        self
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The text without markup; mentions as `@name`.
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for inline in &self.0 {
            match inline {
                Inline::Text(s) | Inline::Strong(s) | Inline::Emphasis(s) | Inline::Code(s) => {
                    out.push_str(s)
                }
                Inline::Mention(p) => {
                    out.push('@');
                    out.push_str(&p.display_name);
                }
            }
        }
        out
    }
}

impl From<&str> for Rich {
    fn from(s: &str) -> Self {
        Rich::text(s)
    }
}

impl From<String> for Rich {
    fn from(s: String) -> Self {
        Rich::text(s)
    }
}

/// One block of a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Block {
    Heading(String),
    Paragraph(Rich),
    /// A bulleted list.
    List(Vec<Rich>),
    /// Key/value pairs.
    Fields(Vec<(String, Rich)>),
    /// A small table; `numeric[i]` right-aligns column `i` where a renderer aligns.
    Table {
        columns: Vec<String>,
        numeric: Vec<bool>,
        rows: Vec<Vec<Rich>>,
    },
    /// A quiet line of secondary information (hints, footnotes).
    Context(Rich),
    Divider,
    /// Buttons. Platforms that have them (Slack) show them; the others show nothing for this block,
    /// so a message with buttons also says in its text how to do the same with a command.
    Actions(Vec<Button>),
}

/// A button under a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Button {
    /// Short: a few words.
    pub label: String,
    pub action: Action,
    pub style: ButtonStyle,
}

impl Button {
    /// A button that runs `command` (written without its `/` or `!`) as the person who presses it.
    pub fn command(label: impl Into<String>, command: impl Into<String>) -> Self {
        Button {
            label: label.into(),
            action: Action::Command(command.into()),
            style: ButtonStyle::Default,
        }
    }
    /// A button that opens a form.
    pub fn form(label: impl Into<String>, form: FormKind) -> Self {
        Button {
            label: label.into(),
            action: Action::Form(form),
            style: ButtonStyle::Default,
        }
    }
    pub fn primary(mut self) -> Self {
        self.style = ButtonStyle::Primary;
        self
    }
    pub fn danger(mut self) -> Self {
        self.style = ButtonStyle::Danger;
        self
    }
}

/// What pressing a button does.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    /// Runs this command line (without its prefix, e.g. `ambassadors approve @U123`) as the person
    /// who pressed the button, with that person's role: a button grants nothing a command would not.
    Command(String),
    /// Opens this form (a modal on Slack); see [`crate::Program::open_form`].
    Form(FormKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ButtonStyle {
    Default,
    /// The expected next step.
    Primary,
    /// A step that says no or removes something.
    Danger,
}

pub use crate::form::FormKind;

/// A whole message.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Message {
    pub blocks: Vec<Block>,
}

impl Message {
    pub fn new() -> Self {
        Message::default()
    }
    /// A message of one paragraph.
    pub fn text(r: impl Into<Rich>) -> Self {
        Message::new().paragraph(r)
    }
    pub fn heading(mut self, s: impl Into<String>) -> Self {
        self.blocks.push(Block::Heading(s.into()));
        self
    }
    pub fn paragraph(mut self, r: impl Into<Rich>) -> Self {
        self.blocks.push(Block::Paragraph(r.into()));
        self
    }
    pub fn list(mut self, items: Vec<Rich>) -> Self {
        self.blocks.push(Block::List(items));
        self
    }
    pub fn fields(mut self, fields: Vec<(String, Rich)>) -> Self {
        self.blocks.push(Block::Fields(fields));
        self
    }
    pub fn table(mut self, columns: &[&str], numeric: &[bool], rows: Vec<Vec<Rich>>) -> Self {
        self.blocks.push(Block::Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            numeric: numeric.to_vec(),
            rows,
        });
        self
    }
    pub fn context(mut self, r: impl Into<Rich>) -> Self {
        self.blocks.push(Block::Context(r.into()));
        self
    }
    pub fn divider(mut self) -> Self {
        self.blocks.push(Block::Divider);
        self
    }
    pub fn buttons(mut self, buttons: Vec<Button>) -> Self {
        self.blocks.push(Block::Actions(buttons));
        self
    }
}

/// Who sees a reply.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Audience {
    /// Only the person who wrote the command (ephemeral on Slack, a direct reply elsewhere).
    Caller,
    /// Everyone in the room the command came from.
    Room,
    /// The caller's own direct conversation with the bot (e.g. an application written there).
    /// Messages to anyone else are never replies: they go through the outbox (see
    /// [`crate::Outgoing`]), sent by the recipient's own platform.
    CallerDirect,
}

/// A message the program wants delivered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reply {
    pub audience: Audience,
    pub message: Message,
}

impl Reply {
    pub fn caller(message: Message) -> Self {
        Reply {
            audience: Audience::Caller,
            message,
        }
    }
    pub fn room(message: Message) -> Self {
        Reply {
            audience: Audience::Room,
            message,
        }
    }
    /// To the caller, in their direct conversation with the bot.
    pub fn caller_direct(message: Message) -> Self {
        Reply {
            audience: Audience::CallerDirect,
            message,
        }
    }
}

/// The message as plain text: headings, `*strong*`, `_emphasis_`, `` `code` ``, `@mentions`, bullet
/// lists, `Key: value` fields, tables aligned in columns (by display width, so CJK and emoji align).
pub fn render_plain(message: &Message) -> String {
    let mut lines: Vec<String> = Vec::new();
    for block in &message.blocks {
        match block {
            Block::Heading(h) => lines.push(format!("*{h}*")),
            Block::Paragraph(r) => lines.extend(marked(r).lines().map(str::to_string)),
            Block::List(items) => {
                for item in items {
                    let text = marked(item);
                    let mut it = text.lines();
                    if let Some(first) = it.next() {
                        lines.push(format!("• {first}"));
                    }
                    lines.extend(it.map(|l| format!("  {l}")));
                }
            }
            Block::Fields(fields) => {
                for (k, v) in fields {
                    lines.push(format!("{k}: {}", marked(v)));
                }
            }
            Block::Table {
                columns,
                numeric,
                rows,
            } => {
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| r.iter().map(|c| marked(c).replace('\n', " ")).collect())
                    .collect();
                let mut widths: Vec<usize> = columns.iter().map(|c| c.width()).collect();
                for row in &cells {
                    for (i, c) in row.iter().enumerate() {
                        if i < widths.len() {
                            widths[i] = widths[i].max(c.width());
                        }
                    }
                }
                let line = |row: &[String]| {
                    let mut out = String::new();
                    for (i, w) in widths.iter().enumerate() {
                        let cell = row.get(i).map(String::as_str).unwrap_or("");
                        let pad = w.saturating_sub(cell.width());
                        let last = i + 1 == widths.len();
                        if i > 0 {
                            out.push_str("  ");
                        }
                        if numeric.get(i).copied().unwrap_or(false) {
                            out.push_str(&" ".repeat(pad));
                            out.push_str(cell);
                        } else {
                            out.push_str(cell);
                            if !last {
                                out.push_str(&" ".repeat(pad));
                            }
                        }
                    }
                    out.trim_end().to_string()
                };
                lines.push(line(columns));
                for row in &cells {
                    lines.push(line(row));
                }
            }
            Block::Context(r) => lines.push(format!("» {}", marked(r))),
            Block::Divider => lines.push("────".to_string()),
            Block::Actions(_) => {}
        }
    }
    lines.join("\n")
}

/// Inline runs with light markdown-like marks.
fn marked(r: &Rich) -> String {
    let mut out = String::new();
    for inline in &r.0 {
        match inline {
            Inline::Text(s) => out.push_str(s),
            Inline::Strong(s) => {
                out.push('*');
                out.push_str(s);
                out.push('*');
            }
            Inline::Emphasis(s) => {
                out.push('_');
                out.push_str(s);
                out.push('_');
            }
            Inline::Code(s) => {
                out.push('`');
                out.push_str(s);
                out.push('`');
            }
            Inline::Mention(p) => {
                out.push('@');
                out.push_str(&p.display_name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, Platform};

    fn person(name: &str) -> PersonRef {
        PersonRef {
            account: Account::new(Platform::Console, name),
            display_name: name.to_string(),
        }
    }

    #[test]
    fn mentions_join_with_and() {
        let r = Rich::text("Thanks ").and_mentions(&[person("ada"), person("bob"), person("eve")]);
        assert_eq!(r.plain(), "Thanks @ada, @bob and @eve");
    }

    #[test]
    fn tables_align_by_display_width() {
        let m = Message::new().table(
            &["Name", "n"],
            &[false, true],
            vec![
                vec![Rich::text("研究開発"), Rich::text("7")],
                vec![Rich::text("Ops"), Rich::text("120")],
            ],
        );
        assert_eq!(
            render_plain(&m),
            "Name        n\n研究開発    7\nOps       120"
        );
    }

    #[test]
    fn blocks_render_as_text() {
        let m = Message::new()
            .heading("Title")
            .paragraph(Rich::text("a ").and_strong("b").and_em("c"))
            .list(vec!["one".into(), "two\nlines".into()])
            .fields(vec![("Key".into(), "value".into())])
            .context("hint");
        assert_eq!(
            render_plain(&m),
            "*Title*\na *b*_c_\n• one\n• two\n  lines\nKey: value\n» hint"
        );
    }
}

/// Splits a message into parts of at most `max_blocks` blocks and about `max_chars` characters of
/// plain text each, at block boundaries (a long list is cut between items). A heading stays with
/// what follows it.
pub fn split_message(message: &Message, max_blocks: usize, max_chars: usize) -> Vec<Message> {
    let max_blocks = max_blocks.max(2);
    // Cut oversized lists first.
    let mut blocks: Vec<Block> = Vec::new();
    for block in &message.blocks {
        match block {
            Block::List(items) => {
                let mut chunk: Vec<Rich> = Vec::new();
                let mut chars = 0;
                for item in items {
                    let len = item.plain().chars().count() + 2;
                    if !chunk.is_empty() && chars + len > max_chars {
                        blocks.push(Block::List(std::mem::take(&mut chunk)));
                        chars = 0;
                    }
                    chars += len;
                    chunk.push(item.clone());
                }
                if !chunk.is_empty() {
                    blocks.push(Block::List(chunk));
                }
            }
            other => blocks.push(other.clone()),
        }
    }
    let mut parts: Vec<Message> = Vec::new();
    let mut current = Message::new();
    let mut chars = 0;
    for block in blocks {
        let len = render_plain(&Message {
            blocks: vec![block.clone()],
        })
        .chars()
        .count();
        let full = current.blocks.len() >= max_blocks
            || (chars + len > max_chars && !current.blocks.is_empty());
        if full {
            // Do not leave a heading or a group title alone at the end of a part.
            let carry = match current.blocks.last() {
                Some(Block::Heading(_)) | Some(Block::Paragraph(_)) if current.blocks.len() > 1 => {
                    current.blocks.pop()
                }
                _ => None,
            };
            parts.push(std::mem::take(&mut current));
            chars = 0;
            if let Some(c) = carry {
                chars += render_plain(&Message {
                    blocks: vec![c.clone()],
                })
                .chars()
                .count();
                current.blocks.push(c);
            }
        }
        chars += len;
        current.blocks.push(block);
    }
    if !current.blocks.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod split_tests {
    use super::*;

    #[test]
    fn long_messages_split_between_blocks_and_list_items() {
        let items: Vec<Rich> = (0..300)
            .map(|i| Rich::text(format!("item number {i:03} with some text")))
            .collect();
        let m = Message::new()
            .heading("Digest")
            .paragraph("intro")
            .list(items);
        let parts = split_message(&m, 40, 3000);
        assert!(parts.len() > 2);
        let mut seen = 0;
        for p in &parts {
            assert!(p.blocks.len() <= 40);
            assert!(
                render_plain(p).chars().count() <= 3000 + 200,
                "{}",
                render_plain(p).len()
            );
            for b in &p.blocks {
                if let Block::List(items) = b {
                    seen += items.len();
                }
            }
        }
        assert_eq!(seen, 300, "no item lost or doubled");
        assert_eq!(split_message(&Message::text("short"), 40, 3000).len(), 1);
    }
}

/// Text made safe for HTML element content and attribute values (Matrix's formatted bodies, the
/// web dashboard).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The message as Markdown (GitHub flavour): for exports and documents.
pub fn render_markdown(message: &Message) -> String {
    fn inline(r: &Rich) -> String {
        let mut out = String::new();
        for i in &r.0 {
            match i {
                Inline::Text(s) => out.push_str(&escape_md(s)),
                Inline::Strong(s) => out.push_str(&format!("**{}**", escape_md(s))),
                Inline::Emphasis(s) => out.push_str(&format!("_{}_", escape_md(s))),
                Inline::Code(s) => out.push_str(&format!("`{}`", s.replace('`', "'"))),
                Inline::Mention(p) => out.push_str(&format!("@{}", escape_md(&p.display_name))),
            }
        }
        out
    }
    let mut parts: Vec<String> = Vec::new();
    for block in &message.blocks {
        parts.push(match block {
            Block::Heading(h) => format!("## {}", escape_md(h)),
            Block::Paragraph(r) => inline(r),
            Block::List(items) => items
                .iter()
                .map(|i| format!("- {}", inline(i).replace('\n', "\n  ")))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Fields(fields) => fields
                .iter()
                .map(|(k, v)| format!("- **{}**: {}", escape_md(k), inline(v)))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Table {
                columns,
                numeric,
                rows,
            } => {
                let cell = |s: String| s.replace('|', "\\|").replace('\n', " ");
                let mut t = format!(
                    "| {} |\n|{}|",
                    columns
                        .iter()
                        .map(|c| cell(escape_md(c)))
                        .collect::<Vec<_>>()
                        .join(" | "),
                    columns
                        .iter()
                        .enumerate()
                        .map(|(i, _)| if numeric.get(i).copied().unwrap_or(false) {
                            " ---: "
                        } else {
                            " --- "
                        })
                        .collect::<Vec<_>>()
                        .join("|")
                );
                for row in rows {
                    t.push_str(&format!(
                        "\n| {} |",
                        row.iter()
                            .map(|c| cell(inline(c)))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    ));
                }
                t
            }
            Block::Context(r) => format!("> {}", inline(r)),
            Block::Divider => "---".into(),
            Block::Actions(_) => continue,
        });
    }
    parts.join("\n\n") + "\n"
}

fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod markdown_tests {
    use super::*;

    #[test]
    fn markdown_escapes_and_renders_tables() {
        let m = Message::new()
            .heading("Report *Q1*")
            .paragraph(Rich::strong("EMEA").and(": 2 of 3"))
            .table(
                &["Region", "Kudos"],
                &[false, true],
                vec![vec!["A|B".into(), "3".into()]],
            );
        assert_eq!(
            render_markdown(&m),
            "## Report \\*Q1\\*\n\n**EMEA**: 2 of 3\n\n| Region | Kudos |\n| --- | ---: |\n| A\\|B | 3 |\n"
        );
    }
}
