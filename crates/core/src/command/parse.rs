//! How a chat line finds its command, and the words several commands share.
//!
//! ```text
//! line     = prefix root words…
//! prefix   = "/" | "!"
//! root     = "ambassadors" | "ambassador" | "kudos" | "checkin" | "check-in"
//! ```
//!
//! After the root, the line's first words select a declared command ([`CommandSpec`] in
//! [`COMMANDS`]): its name or one of its aliases, the longest that matches first. The first word
//! must be unquoted; every word matches without regard to case. That command's parse function reads
//! the rest; it may decline (`Ok(None)`, e.g. `kudos mine` followed by more words), and then the next
//! shorter match is tried. A root alone runs its bare command (`ambassadors` is `ambassadors help`,
//! `checkin` is `checkin show`). An `ambassadors` line that no command takes is answered with the
//! nearest command word ("did you mean"), or, after a group word such as `dept`, with the group's
//! usages.

use super::token::{Token, tokenize};
use super::{COMMANDS, Command, CommandSpec, GROUPS, Mention};
use crate::model::closest;

/// A command line the bot recognized as addressed to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// `/` or `!`: how the caller writes commands, so answers can show the same style.
    pub prefix: char,
    pub command: Result<Command, ParseError>,
}

/// What was wrong with a command, and how to write it right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// Usage templates (without prefix) to show.
    pub usage: Vec<&'static str>,
}

impl ParseError {
    pub(crate) fn new(message: impl Into<String>, usage: &[&'static str]) -> Self {
        ParseError {
            message: message.into(),
            usage: usage.to_vec(),
        }
    }
}

pub(crate) type PResult<T> = std::result::Result<T, ParseError>;

/// What a command's parse function returns: the command, a usage error, or `Ok(None)` when the
/// words matched but the line is not this command after all (the next shorter match is tried).
pub(crate) type Parse = PResult<Option<Command>>;

/// A root word, its other spellings, and the command it runs alone.
struct Root {
    word: &'static str,
    aliases: &'static [&'static str],
    bare: Option<&'static str>,
}

const ROOTS: &[Root] = &[
    Root {
        word: "ambassadors",
        aliases: &["ambassador"],
        bare: Some("ambassadors help"),
    },
    Root {
        word: "kudos",
        aliases: &[],
        bare: None,
    },
    Root {
        word: "checkin",
        aliases: &["check-in"],
        bare: Some("checkin show"),
    },
];

/// A word that selects a family of commands by the word after it (`dept add`, `dept rename` …):
/// its other spellings, and what to say when no word of the family follows.
pub(crate) struct Group {
    /// The root and the word: `ambassadors dept`.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The answer to the group word alone.
    pub missing: &'static str,
}

impl Group {
    fn word(&self) -> &'static str {
        self.name.split(' ').nth(1).unwrap_or("")
    }

    /// The family's usages, in the order of the declarations.
    fn usages(&self) -> Vec<&'static str> {
        COMMANDS
            .iter()
            .filter(|s| {
                s.name
                    .strip_prefix(self.name)
                    .is_some_and(|r| r.starts_with(' '))
            })
            .map(|s| s.usage)
            .collect()
    }
}

/// A command line as a command's parse function reads it.
pub(crate) struct Input<'a> {
    pub spec: &'static CommandSpec,
    /// The spelling that selected it, root included: its name or one of its aliases.
    pub spelling: &'static str,
    /// The line after the root word, as written.
    pub rest: &'a str,
    /// The words of `rest`.
    pub tokens: &'a [Token],
    /// How many of them the spelling took.
    pub used: usize,
}

impl<'a> Input<'a> {
    /// The words after those that selected the command.
    pub fn args(&self) -> &'a [Token] {
        &self.tokens[self.used..]
    }

    /// A usage error showing this command's usage.
    pub fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(message, &[self.spec.usage])
    }

    /// The text after the token `t`, as written.
    pub fn after(&self, t: &Token) -> &'a str {
        text_after(self.rest, t)
    }

    /// The one @person the command takes.
    pub fn one_person(&self) -> PResult<Mention> {
        match self.args() {
            [one] => mention(one),
            _ => None,
        }
        .ok_or_else(|| self.error(format!("`{}` takes one @person.", self.spec.short_name())))
    }

    /// `@person free text`: the person and the text after them as written (None when empty).
    pub fn person_and_text(&self) -> PResult<(Mention, Option<String>)> {
        let (person, _) = person_first(
            self.args(),
            self.spec.usage,
            "Who is it about? Name them as @name.",
        )?;
        let text = self.after(&self.tokens[self.used]);
        Ok((person, (!text.is_empty()).then(|| text.to_string())))
    }
}

/// Parses a chat line. `None` when the line is not a command of this bot (ordinary chat, or another
/// bot's command).
pub fn parse(input: &str) -> Option<Parsed> {
    let input = input.trim_start();
    let prefix = input.chars().next().filter(|c| *c == '/' || *c == '!')?;
    let body = &input[1..];
    let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
    let name = body[..name_end].to_lowercase();
    let rest = &body[name_end..];
    let root = ROOTS
        .iter()
        .find(|r| r.word == name || r.aliases.contains(&name.as_str()))?;
    Some(Parsed {
        prefix,
        command: parse_root(root, rest),
    })
}

fn parse_root(root: &Root, rest: &str) -> PResult<Command> {
    let tokens = tokenize(rest);
    let input = |spec, spelling, used| Input {
        spec,
        spelling,
        rest,
        tokens: &tokens,
        used,
    };
    if tokens.is_empty()
        && let Some(bare) = root.bare
        && let Some(spec) = COMMANDS.iter().find(|s| s.name == bare)
        && let Some(command) = (spec.parse)(&input(spec, spec.name, 0))?
    {
        return Ok(command);
    }
    // Every spelling the line starts with, longest first, in the order of the declarations.
    let mut candidates: Vec<(usize, &'static CommandSpec, &'static str)> = COMMANDS
        .iter()
        .flat_map(|s| s.spellings().map(move |spelling| (s, spelling)))
        .filter_map(|(s, spelling)| Some((selects(root, spelling, &tokens)?, s, spelling)))
        .collect();
    candidates.sort_by_key(|(used, ..)| std::cmp::Reverse(*used));
    for (used, spec, spelling) in candidates {
        if let Some(command) = (spec.parse)(&input(spec, spelling, used))? {
            return Ok(command);
        }
    }
    Err(unknown(root, &tokens))
}

/// How many words of the line `spelling` takes, when it selects the line (`None` otherwise).
fn selects(root: &Root, spelling: &str, tokens: &[Token]) -> Option<usize> {
    let mut words = spelling.split(' ');
    if words.next() != Some(root.word) {
        return None;
    }
    let mut used = 0;
    for (i, word) in words.enumerate() {
        let token = tokens.get(i)?;
        if i == 0 && token.quoted {
            return None;
        }
        let typed = token.text.to_lowercase();
        let typed = if i == 0 {
            group_word(root, &typed)
        } else {
            &typed
        };
        if !word.split('|').any(|w| w == typed) {
            return None;
        }
        used += 1;
    }
    Some(used)
}

/// `typed` as the group word it spells (`department` is `dept`), or as it is.
fn group_word<'t>(root: &Root, typed: &'t str) -> &'t str {
    GROUPS
        .iter()
        .find(|g| g.name.split(' ').next() == Some(root.word) && g.aliases.contains(&typed))
        .map_or(typed, |g| g.word())
}

/// The answer to a line no command took: the group's usages after a group word, else the nearest
/// command word.
fn unknown(root: &Root, tokens: &[Token]) -> ParseError {
    let help = [super::directory::HELP.usage];
    let Some(first) = tokens.first() else {
        return ParseError::new("I don't know that command.", &help);
    };
    if !first.quoted {
        let typed = first.text.to_lowercase();
        let word = group_word(root, &typed);
        let prefix = format!("{} {word}", root.word);
        if let Some(group) = GROUPS.iter().find(|g| g.name == prefix) {
            return match tokens.get(1) {
                None => ParseError::new(group.missing, &group.usages()),
                Some(verb) => ParseError::new(
                    format!(
                        "I don't know `{} {}`.",
                        group.word(),
                        verb.text.to_lowercase()
                    ),
                    &group.usages(),
                ),
            };
        }
    }
    let typed = &first.text;
    let words = subcommands(root.word);
    let hint = closest(typed, words.iter().copied(), 1);
    let message = match hint.first() {
        Some(h) => format!("I don't know the command `{typed}`. Did you mean `{h}`?"),
        None => format!("I don't know the command `{typed}`."),
    };
    ParseError::new(message, &help)
}

/// The words that start a command after `root` (`dept` for `ambassadors dept add`): what "did you
/// mean" chooses from. Read from the declared names, each once.
pub(crate) fn subcommands(root: &str) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = Vec::new();
    for spec in COMMANDS {
        let mut name = spec.name.split(' ');
        if name.next() == Some(root)
            && let Some(word) = name.next()
            && !words.contains(&word)
        {
            words.push(word);
        }
    }
    words
}

/// A command's first argument as a person, and the rest.
pub(crate) fn person_first<'a>(
    args: &'a [Token],
    usage: &'static str,
    missing: &str,
) -> PResult<(Mention, &'a [Token])> {
    let Some((who, rest)) = args.split_first() else {
        return Err(ParseError::new(missing, &[usage]));
    };
    let person = mention(who).ok_or_else(|| {
        ParseError::new(
            format!("Start with the person, as @name (not `{}`).", who.text),
            &[usage],
        )
    })?;
    Ok((person, rest))
}

/// The text after the token `t`, as written.
pub(crate) fn text_after<'a>(rest: &'a str, t: &Token) -> &'a str {
    let end = t.start + t.text.len() + if t.quoted { 2 } else { 0 };
    rest.get(end.min(rest.len())..).unwrap_or("").trim()
}

/// A calendar date written `YYYY-MM-DD`.
pub fn parse_date(text: &str, usage: &'static str) -> PResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        ParseError::new(
            format!("`{text}` is not a date: write it as YYYY-MM-DD, e.g. 2027-01-10."),
            &[usage],
        )
    })
}

/// `[scope words…] [since YYYY-MM-DD]`: the scope as written, and the date.
pub(crate) fn scope_since(
    args: &[Token],
    usage: &'static str,
) -> PResult<(Option<String>, Option<chrono::NaiveDate>)> {
    let (scope_tokens, since) = match args {
        [before @ .., word, date] if word.text.eq_ignore_ascii_case("since") => {
            (before, Some(parse_date(&date.text, usage)?))
        }
        _ => (args, None),
    };
    Ok((joined(scope_tokens), since))
}

/// `#tags` in a text, lower case, without `#`, each once, in order.
pub fn tags_of(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let Some(tag) = word.strip_prefix('#') else {
            continue;
        };
        let tag: String = tag
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            .flat_map(char::to_lowercase)
            .collect();
        if !tag.is_empty() && tag.chars().count() <= 40 && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// A person as written in a command: `@ada`, `<@U012AB3CD>`, `<@U012AB3CD|ada>`, `@ada:example.org`.
pub(crate) fn mention(token: &Token) -> Option<Mention> {
    if token.quoted {
        return None;
    }
    let text = token.text.trim_end_matches([',', ';', '.', '!', '?', ')']);
    if let Some(inner) = text.strip_prefix("<@").and_then(|t| t.strip_suffix('>')) {
        let id = inner.split('|').next().unwrap_or("");
        return (!id.is_empty()).then(|| Mention(id.to_string()));
    }
    let bare = text.strip_prefix('@')?;
    let bare = bare
        .strip_suffix(':')
        .filter(|b| !b.contains(':'))
        .unwrap_or(bare);
    if bare.is_empty() {
        return None;
    }
    if bare.contains(':') {
        // A Matrix user id keeps its sigil.
        Some(Mention(format!("@{bare}")))
    } else {
        Some(Mention(bare.to_string()))
    }
}

pub(crate) fn join(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn joined(tokens: &[Token]) -> Option<String> {
    let s = join(tokens);
    (!s.trim().is_empty()).then_some(s)
}

/// Helpers for the parser cases beside each group of commands.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub fn ok(input: &str) -> Command {
        parse(input).expect("a command").command.expect("valid")
    }

    pub fn err(input: &str) -> ParseError {
        parse(input)
            .expect("a command")
            .command
            .expect_err("an error")
    }

    pub fn m(s: &str) -> Mention {
        Mention(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn ordinary_chat_and_other_commands_are_not_ours() {
        assert_eq!(parse("hello there"), None);
        assert_eq!(parse("/giphy cats"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn slack_and_matrix_forms_parse_alike() {
        for p in ["/", "!"] {
            let parsed = parse(&format!("{p}ambassadors coverage North America")).unwrap();
            assert_eq!(parsed.prefix, p.chars().next().unwrap());
            assert_eq!(
                parsed.command,
                Ok(Command::Coverage {
                    region: Some("North America".into())
                })
            );
        }
        assert_eq!(ok("/AMBASSADORS"), Command::Help);
        assert_eq!(ok("!ambassadors help"), Command::Help);
    }

    #[test]
    fn unknown_subcommands_get_a_suggestion() {
        assert!(
            err("/ambassadors coverag")
                .message
                .contains("Did you mean `coverage`")
        );
        assert_eq!(ok("/ambassadors step down"), Command::StepDown);
    }

    #[test]
    fn odd_unicode_is_kept() {
        assert_eq!(
            ok("/ambassadors who 研究開発"),
            Command::Who {
                target: super::super::Target::Name("研究開発".into())
            }
        );
        let Command::Kudos { receivers, .. } = ok("/kudos @zoë for 🎉 the launch") else {
            panic!()
        };
        assert_eq!(receivers, vec![m("zoë")]);
    }
}
