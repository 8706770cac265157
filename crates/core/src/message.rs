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
}

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
}

/// Who sees a reply.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Audience {
    /// Only the person who wrote the command (ephemeral on Slack, a direct reply elsewhere).
    Caller,
    /// Everyone in the room the command came from.
    Room,
    /// A direct message to this person.
    Direct(PersonRef),
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
    pub fn direct(to: PersonRef, message: Message) -> Self {
        Reply {
            audience: Audience::Direct(to),
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
