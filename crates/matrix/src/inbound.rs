//! A Matrix message as the text the core parses: pills become Matrix ids, HTML becomes text.
//!
//! Clients put a mentioned person's display name in `body` and a link
//! `<a href="https://matrix.to/#/@bob:localhost">Bob</a>` (a pill) in `formatted_body`. The core
//! needs `@bob:localhost`, so when a message has HTML the text is read from the HTML with every
//! user pill replaced by its id.

use matrix_sdk::ruma::events::room::message::{MessageFormat, MessageType};

/// The text of a text message (`m.text`), with pills as user ids; `None` for anything else
/// (notices of other bots, emotes, images, …).
pub fn message_text(msgtype: &MessageType) -> Option<String> {
    let MessageType::Text(text) = msgtype else {
        return None;
    };
    let from_html = text
        .formatted
        .as_ref()
        .filter(|f| f.format == MessageFormat::Html)
        .map(|f| html_to_text(&f.body));
    let text = match from_html {
        Some(t) if !t.trim().is_empty() => t,
        _ => strip_reply_fallback(&text.body).to_string(),
    };
    Some(text.trim().to_string())
}

/// The text the program should see: in a direct room every text message (plain text there is a
/// check-in answer), elsewhere only lines that look like commands (`!…` or `/…`).
pub fn program_text(msgtype: &MessageType, direct: bool) -> Option<String> {
    let text = message_text(msgtype)?;
    if text.is_empty() {
        return None;
    }
    (direct || text.starts_with(['!', '/'])).then_some(text)
}

/// The text of a message someone reacted to, as people read it (display names, not ids): the
/// plain body of a text, emote or notice without the reply fallback; empty for images, files, ….
pub fn reacted_text(msgtype: &MessageType) -> String {
    let body = match msgtype {
        MessageType::Text(t) => &t.body,
        MessageType::Emote(t) => &t.body,
        MessageType::Notice(t) => &t.body,
        _ => return String::new(),
    };
    strip_reply_fallback(body).trim().to_string()
}

/// Whether `text` is `!ambassadors leave` (or with `/`): the program office asks the bot to leave
/// the room. The adapter answers it itself; leaving is a Matrix matter the core knows nothing of.
pub fn is_leave_command(text: &str) -> bool {
    let mut words = text.split_whitespace();
    matches!(
        (words.next(), words.next(), words.next()),
        (Some(first), Some(second), None)
            if (first.eq_ignore_ascii_case("!ambassadors") || first.eq_ignore_ascii_case("/ambassadors"))
                && second.eq_ignore_ascii_case("leave")
    )
}

/// The body without the `> quoted` reply fallback older clients put in front.
pub fn strip_reply_fallback(body: &str) -> &str {
    if !body.starts_with("> ") {
        return body;
    }
    let mut rest = body;
    while rest.starts_with('>') {
        match rest.find('\n') {
            Some(i) => rest = &rest[i + 1..],
            None => return "",
        }
    }
    rest.strip_prefix('\n').unwrap_or(rest)
}

/// The text of a `formatted_body`: user pills as `@user:server`, line breaks for `<br>` and block
/// ends, entities decoded, other tags dropped, any `<mx-reply>` fallback removed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    // Inside a pill: its text is replaced by the user id.
    let mut skip_until_a_close = false;
    let mut in_reply = 0usize;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if !skip_until_a_close && in_reply == 0 {
                out.push_str(&decode_entities(rest));
            }
            break;
        };
        if !skip_until_a_close && in_reply == 0 {
            out.push_str(&decode_entities(&rest[..lt]));
        }
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            // A lone `<` is text.
            if !skip_until_a_close && in_reply == 0 {
                out.push_str(&decode_entities(after));
            }
            break;
        };
        let tag = &after[1..gt];
        rest = &after[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            ("mx-reply", false) => in_reply += 1,
            ("mx-reply", true) => in_reply = in_reply.saturating_sub(1),
            _ if in_reply > 0 => {}
            ("a", false) => {
                if let Some(user) = attribute(tag, "href").and_then(|h| pill_user(&h)) {
                    out.push_str(&user);
                    skip_until_a_close = true;
                }
            }
            ("a", true) => skip_until_a_close = false,
            ("br", _) => out.push('\n'),
            ("p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "pre", true)
                if !out.ends_with('\n') =>
            {
                out.push('\n');
            }
            _ => {}
        }
    }
    out.trim().to_string()
}

/// The user id a `matrix.to` link points at, if it is a user link.
pub fn pill_user(href: &str) -> Option<String> {
    let fragment = href
        .strip_prefix("https://matrix.to/#/")
        .or_else(|| href.strip_prefix("http://matrix.to/#/"))?;
    let id = fragment.split(['?', '/']).next().unwrap_or("");
    let id = percent_decode(id);
    (id.starts_with('@') && id.contains(':') && !id.contains(char::is_whitespace)).then_some(id)
}

/// The value of an attribute in a start tag's text (`a href="…"`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let start = from + i;
        from = start + name.len();
        let before_ok = start > 0 && lower.as_bytes()[start - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = if let Some(q) = rest.strip_prefix('"') {
            q.split('"').next()?
        } else if let Some(q) = rest.strip_prefix('\'') {
            q.split('\'').next()?
        } else {
            rest.split(|c: char| c.is_whitespace() || c == '>').next()?
        };
        return Some(decode_entities(value));
    }
    None
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes the HTML entities clients produce: the named basics and numeric ones.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let decoded = after.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let entity = &after[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix_sdk::ruma::events::room::message::TextMessageEventContent;

    #[test]
    fn pills_become_user_ids() {
        let html = "!kudos <a href=\"https://matrix.to/#/@bob:localhost\">Bob Builder</a> and <a href='https://matrix.to/#/%40eve%3Aexample.org'>Eve</a> for the great workshop &amp; more";
        assert_eq!(
            html_to_text(html),
            "!kudos @bob:localhost and @eve:example.org for the great workshop & more"
        );
    }

    #[test]
    fn room_links_and_markup_stay_text() {
        assert_eq!(
            html_to_text(
                "<p>!ambassadors who <a href=\"https://matrix.to/#/#room:x\">#room</a></p><p>x&lt;y&#33;&#x41;</p>"
            ),
            "!ambassadors who #room\nx<y!A"
        );
    }

    #[test]
    fn reply_fallbacks_are_removed() {
        assert_eq!(
            html_to_text(
                "<mx-reply><blockquote><a href=\"https://matrix.to/#/!r:x/$e\">In reply to</a> <a href=\"https://matrix.to/#/@a:x\">@a:x</a><br>hi</blockquote></mx-reply>!kudos"
            ),
            "!kudos"
        );
        assert_eq!(
            strip_reply_fallback("> <@a:x> hi\n> there\n\n!kudos @b:x for y"),
            "!kudos @b:x for y"
        );
        assert_eq!(strip_reply_fallback("!kudos"), "!kudos");
    }

    #[test]
    fn only_text_messages_that_look_like_commands() {
        let plain = MessageType::Text(TextMessageEventContent::plain("  !ambassadors coverage"));
        assert_eq!(
            program_text(&plain, false).as_deref(),
            Some("!ambassadors coverage")
        );
        let chat = MessageType::Text(TextMessageEventContent::plain("hello"));
        assert_eq!(program_text(&chat, false), None);
        assert_eq!(program_text(&chat, true).as_deref(), Some("hello"));
        let html = MessageType::Text(TextMessageEventContent::html(
            "!kudos Bob for docs",
            "!kudos <a href=\"https://matrix.to/#/@bob:localhost\">Bob</a> for docs",
        ));
        assert_eq!(
            program_text(&html, false).as_deref(),
            Some("!kudos @bob:localhost for docs")
        );
        let notice = MessageType::notice_plain("!kudos @bob:localhost for docs");
        assert_eq!(program_text(&notice, true), None);
    }

    #[test]
    fn the_leave_command_and_reacted_text() {
        assert!(is_leave_command("!ambassadors leave"));
        assert!(is_leave_command("  /Ambassadors   LEAVE "));
        assert!(!is_leave_command("!ambassadors leave now"));
        assert!(!is_leave_command("!ambassadors list"));
        assert!(!is_leave_command("!kudos leave"));
        let reply = MessageType::Text(TextMessageEventContent::plain(
            "> <@a:localhost> earlier\n\nFixed the build, thanks Bob Builder",
        ));
        assert_eq!(reacted_text(&reply), "Fixed the build, thanks Bob Builder");
        assert_eq!(reacted_text(&MessageType::notice_plain("Digest")), "Digest");
    }
}
