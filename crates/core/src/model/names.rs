//! Name matching: the key names are compared by, and "did you mean" suggestions.

use unicode_normalization::UnicodeNormalization;

/// The key a department, region or similar name is matched by: NFKC-normalized, lower case, inner
/// white space collapsed to one space, trimmed. "  Platform　ENGINEERING " and "platform engineering"
/// have the same key.
pub fn name_key(name: &str) -> String {
    let folded: String = if name.is_ascii() {
        // NFKC leaves ASCII as it is: skip the normalizer on the common path.
        name.to_ascii_lowercase()
    } else {
        name.nfkc().flat_map(char::to_lowercase).collect()
    };
    let mut key = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(word);
    }
    key
}

/// The longest name (display name, department, region) the bot keeps, in characters: what fits a
/// chat line.
pub const NAME_MAX: usize = 80;

/// Characters that change how text around them is shown without showing themselves: the
/// bidirectional embeddings, overrides, isolates and marks (which make `@\u{202E}nimda` look like
/// `@admin`), zero-width spaces, word joiners, invisible operators, fillers that render as blank
/// and the like. Dropped from all text the bot keeps.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' // Arabic letter mark
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers (render blank)
            | '\u{180E}' // Mongolian vowel separator
            | '\u{200B}' // zero-width space
            | '\u{200E}' | '\u{200F}' // left-to-right and right-to-left marks
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // isolates
            | '\u{206A}'..='\u{206F}' // deprecated format characters
            | '\u{FEFF}' // zero-width no-break space (byte order mark)
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
            | '\u{1D173}'..='\u{1D17A}' // musical format characters
            | '\u{E0001}' // language tag
    )
}

/// The zero-width joiner and non-joiner: needed inside emoji sequences (👩‍💻, ❤️‍🔥) and by
/// scripts such as Persian and the Indic ones, invisible anywhere else.
fn joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// Tag characters: only the tail of a subdivision flag (🏴 followed by tags) uses them.
fn tag(c: char) -> bool {
    matches!(c, '\u{E0020}'..='\u{E007F}')
}

/// Whether a joiner between `before` and `after` joins something: both sides outside ASCII and
/// visible (an emoji, a letter of a joining script). `ad\u{200D}min` loses it, `👩\u{200D}💻` keeps it.
fn joins(before: Option<char>, after: Option<char>) -> bool {
    let joinable = |c: char| {
        !c.is_ascii() && !c.is_whitespace() && !c.is_control() && !invisible(c) && !joiner(c)
    };
    before.is_some_and(joinable) && after.is_some_and(joinable)
}

/// Text as the bot stores it: NFC-normalized, control characters (C0 and C1, other than newlines
/// and tabs) removed, bidirectional controls and other invisible format characters removed (see
/// [`invisible`]); the zero-width joiner and non-joiner are kept only between two visible non-ASCII
/// characters (emoji sequences, joining scripts), tag characters only in a flag; trimmed.
pub fn sanitize_text(text: &str) -> String {
    let chars: Vec<char> = text.nfc().collect();
    let mut out = String::with_capacity(text.len());
    let mut last: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        let keep = if c.is_control() {
            c == '\n' || c == '\t'
        } else if invisible(c) {
            false
        } else if joiner(c) {
            joins(last, chars.get(i + 1).copied())
        } else if tag(c) {
            last.is_some_and(|l| l == '\u{1F3F4}' || tag(l))
        } else {
            true
        };
        if keep {
            out.push(c);
            last = Some(c);
        }
    }
    out.trim().to_string()
}

/// Why a name was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// Nothing visible is left.
    Empty,
    /// Longer than [`NAME_MAX`] characters after cleaning (how many).
    TooLong(usize),
}

/// A name (display name, department, region) as the bot keeps it: [`sanitize_text`], then every
/// run of white space (line breaks and tabs too) as one space. Refused when nothing is left or when
/// it is longer than [`NAME_MAX`] characters. The one cleaner every path that takes a name uses:
/// chat commands, `import`, platform profiles.
pub fn clean_name(raw: &str) -> Result<String, NameProblem> {
    let clean = sanitize_text(raw);
    let mut name = String::with_capacity(clean.len());
    for word in clean.split_whitespace() {
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(word);
    }
    let len = name.chars().count();
    if len == 0 {
        Err(NameProblem::Empty)
    } else if len > NAME_MAX {
        Err(NameProblem::TooLong(len))
    } else {
        Ok(name)
    }
}

/// A display name taken from a platform (a profile, a mention's label, the console): cleaned as
/// [`clean_name`] does, and one too long cut to [`NAME_MAX`] characters ending in "…" (a profile
/// cannot be refused). Empty when nothing visible is left.
pub fn display_name(raw: &str) -> String {
    match clean_name(raw) {
        Ok(name) => name,
        Err(NameProblem::Empty) => String::new(),
        Err(NameProblem::TooLong(_)) => {
            let clean = sanitize_text(raw);
            let words = clean.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut cut: String = words.chars().take(NAME_MAX - 1).collect();
            while cut.ends_with(|c: char| c.is_whitespace() || joiner(c)) {
                cut.pop();
            }
            cut.push('…');
            cut
        }
    }
}

/// Text quoted back in an error message or a report line: cleaned as a name and, when long, cut to
/// [`NAME_MAX`] characters, so no control or escape sequence reaches a terminal and no 10 MB value
/// fills a screen.
pub fn quote_back(raw: &str) -> String {
    if raw.len() > NAME_MAX * 4 * 4 {
        // Do not normalize megabytes to show 80 characters of them.
        let head: String = raw.chars().take(NAME_MAX * 2).collect();
        return display_name(&format!("{head} …"));
    }
    display_name(raw)
}

/// Up to `max` candidates closest to `wanted`, best first; only reasonably close ones.
pub fn closest<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Vec<&'a str> {
    // Nothing longer than a name is close to one (and comparing megabytes would take minutes).
    if wanted.chars().nth(NAME_MAX * 2).is_some() {
        return Vec::new();
    }
    let wanted_key = name_key(wanted);
    if wanted_key.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| {
            let key = name_key(c);
            let mut score = strsim::jaro_winkler(&wanted_key, &key);
            // A candidate that contains what was typed (or the reverse) is a strong hint.
            if key.contains(&wanted_key) || wanted_key.contains(&key) {
                score = score.max(0.9);
            }
            // Initials: "pe" for "Platform Engineering".
            let initials: String = key.split(' ').filter_map(|w| w.chars().next()).collect();
            if initials.len() > 1 && initials == wanted_key {
                score = score.max(0.92);
            }
            (score, c)
        })
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(max).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_width_and_spacing() {
        assert_eq!(
            name_key("  Platform\u{3000}ENGINEERING "),
            "platform engineering"
        );
        assert_eq!(name_key("Ｆｉｎａｎｃｅ"), "finance");
        assert_eq!(name_key("Straße"), "straße");
    }

    #[test]
    fn names_lose_bidi_controls_and_invisible_characters() {
        // What the issue saw: a right-to-left override turns "nimda" into "admin" on screen.
        assert_eq!(clean_name("\u{202E}nimda"), Ok("nimda".into()));
        for c in [
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{0000}',
            '\u{001B}',
            '\u{007F}',
            '\u{0085}',
            '\u{009B}',
            '\u{3164}',
            '\u{E0041}',
        ] {
            assert_eq!(
                clean_name(&format!("ad{c}min")),
                Ok("admin".into()),
                "U+{:04X}",
                c as u32
            );
        }
        assert_eq!(clean_name(" Ada\n\tLovelace  "), Ok("Ada Lovelace".into()));
        assert_eq!(
            clean_name("\u{202E}\u{200B} \u{0007}"),
            Err(NameProblem::Empty)
        );
    }

    #[test]
    fn joiners_stay_where_they_join() {
        // Emoji sequences: technologist, heart on fire, family, England's flag.
        for s in [
            "Ada \u{1F469}\u{200D}\u{1F4BB}",
            "\u{2764}\u{FE0F}\u{200D}\u{1F525}",
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
            // Persian: a zero-width non-joiner inside a word.
            "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}",
        ] {
            assert_eq!(clean_name(s), Ok(s.to_string()));
        }
        assert_eq!(clean_name("\u{200D}Ada\u{200D}"), Ok("Ada".into()));
        assert_eq!(
            clean_name("\u{1F469}\u{200D}\u{200D}\u{1F4BB}"),
            Ok("\u{1F469}\u{200D}\u{1F4BB}".into())
        );
    }

    #[test]
    fn names_are_capped_at_the_chat_length() {
        let long = "x".repeat(NAME_MAX + 1);
        assert_eq!(clean_name(&long), Err(NameProblem::TooLong(NAME_MAX + 1)));
        assert!(clean_name(&"x".repeat(NAME_MAX)).is_ok());
        let shown = display_name(&long);
        assert_eq!(shown.chars().count(), NAME_MAX);
        assert!(shown.ends_with('…'));
        assert_eq!(display_name("\u{202E}"), "");
        let huge = "=".repeat(10 << 20);
        assert!(quote_back(&huge).chars().count() <= NAME_MAX);
    }

    #[test]
    fn sanitize_drops_controls_and_bidi_overrides() {
        assert_eq!(sanitize_text(" a\u{202E}b\u{0007}c\n "), "abc");
        assert_eq!(sanitize_text("line one\nline two"), "line one\nline two");
    }

    #[test]
    fn closest_suggests_typos_substrings_and_initials() {
        let names = ["Platform Engineering", "Finance", "Legal", "Data Science"];
        assert_eq!(
            closest("Platfrom Engineering", names, 3)[0],
            "Platform Engineering"
        );
        assert_eq!(closest("financ", names, 3)[0], "Finance");
        assert_eq!(closest("pe", names, 3), vec!["Platform Engineering"]);
        assert!(closest("zzzzzz", names, 3).is_empty());
    }
}
