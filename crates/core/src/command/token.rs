//! Splitting a command line into words, with quotes for multi-word names.

/// A word of the command line and where it stood in the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub text: String,
    pub quoted: bool,
    pub start: usize,
}

fn closing_quote(open: char) -> Option<char> {
    match open {
        '"' => Some('"'),
        '“' => Some('”'),
        '„' => Some('“'),
        '«' => Some('»'),
        '「' => Some('」'),
        _ => None,
    }
}

/// Splits on white space; `"…"` (also typographic “…”, „…“, «…», 「…」) keeps a name together.
/// An unclosed quote runs to the end of the line.
pub(crate) fn tokenize(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if let Some(close) = closing_quote(c) {
            chars.next();
            let mut text = String::new();
            for (_, c) in chars.by_ref() {
                if c == close || (close == '”' && c == '"') {
                    break;
                }
                text.push(c);
            }
            tokens.push(Token {
                text: text.split_whitespace().collect::<Vec<_>>().join(" "),
                quoted: true,
                start,
            });
            continue;
        }
        let mut text = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            text.push(c);
            chars.next();
        }
        tokens.push(Token {
            text,
            quoted: false,
            start,
        });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        tokenize(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn quotes_keep_names_together() {
        assert_eq!(
            words(r#"dept add "Platform  Engineering" EMEA 120"#),
            ["dept", "add", "Platform Engineering", "EMEA", "120"]
        );
        assert_eq!(words("add “Data Science” x"), ["add", "Data Science", "x"]);
        assert_eq!(words("a \"unclosed quote"), ["a", "unclosed quote"]);
        assert_eq!(words("  \t "), Vec::<String>::new());
    }

    #[test]
    fn tokens_know_where_they_start() {
        let t = tokenize("ab  cd");
        assert_eq!(t[1].start, 4);
    }
}
