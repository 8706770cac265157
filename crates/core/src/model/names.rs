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

/// Text as the bot stores it: NFC-normalized, control characters (other than newlines and tabs)
/// removed, zero-width and bidi-override characters removed, trimmed.
pub fn sanitize_text(text: &str) -> String {
    text.nfc()
        .filter(|c| {
            (!c.is_control() || *c == '\n' || *c == '\t')
                && !matches!(
                    c,
                    '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
                )
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Up to `max` candidates closest to `wanted`, best first; only reasonably close ones.
pub fn closest<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Vec<&'a str> {
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
