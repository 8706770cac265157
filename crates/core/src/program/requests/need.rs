//! Reading what an ambassador needs out of a check-in answer, and telling like requests apart.

use super::*;

/// Answers that say "nothing needed": no request is made of them.
pub fn is_nothing(text: &str) -> bool {
    let plain: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '/' {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    let joined = words.join(" ");
    const NOTHING: &[&str] = &[
        "",
        "nothing",
        "none",
        "n/a",
        "na",
        "n a",
        "no",
        "nope",
        "nil",
        "not really",
        "not now",
        "nothing thanks",
        "no thanks",
        "all good",
        "all fine",
        "we are good",
        "nothing needed",
        "nothing for now",
        "nothing right now",
        "nothing at the moment",
        "nothing this week",
        "nothing this time",
        "nothing new",
        "no needs",
        "not at the moment",
        "not this week",
        "not this time",
    ];
    NOTHING.contains(&joined.as_str())
        || (words
            .first()
            .is_some_and(|w| *w == "nothing" || *w == "none")
            && words.len() <= 4)
}

/// Starts of a line that say "this is what I need".
const NEED_PREFIXES: &[&str] = &["need:", "needs:", "we need:", "i need:", "request:", "ask:"];

/// The part of a check-in answer that says what the ambassador needs from the office: the text
/// under the need question (as the check-in form writes it), lines numbered like that question
/// (`4. …`, `4) …`), or lines starting `Need:`. `None` when there is none, or it says "nothing".
pub fn need_of(answer: &str, questions: &[String], need: usize) -> Option<String> {
    let lines: Vec<&str> = answer.lines().collect();
    let mut parts: Vec<String> = Vec::new();
    // Under the question, as the form writes it: until the next question.
    if let Some(q) = questions.get(need) {
        let q = q.trim();
        let mut i = 0;
        while i < lines.len() {
            if lines[i].trim() == q {
                let mut body = Vec::new();
                i += 1;
                while i < lines.len() && !questions.iter().any(|o| o.trim() == lines[i].trim()) {
                    body.push(lines[i]);
                    i += 1;
                }
                let body = body.join("\n").trim().to_string();
                if !body.is_empty() {
                    parts.push(body);
                }
            } else {
                i += 1;
            }
        }
    }
    if parts.is_empty() {
        let number = need + 1;
        let numbered = [
            format!("{number}."),
            format!("{number})"),
            format!("{number}:"),
        ];
        for line in &lines {
            let t = line.trim();
            let lower = t.to_lowercase();
            let rest = numbered
                .iter()
                .find_map(|n| t.strip_prefix(n.as_str()))
                .or_else(|| {
                    NEED_PREFIXES
                        .iter()
                        .find(|p| lower.starts_with(*p))
                        .and_then(|p| t.get(p.len()..))
                });
            if let Some(rest) = rest.map(str::trim).filter(|r| !r.is_empty()) {
                parts.push(rest.to_string());
            }
        }
    }
    let need = parts.join("\n");
    (!is_nothing(&need)).then_some(need)
}

/// The words of a request that say what it is about: lowercase, three letters or more, common
/// words left out, a plural `s` taken off.
fn content_words(text: &str) -> BTreeSet<String> {
    const COMMON: &[&str] = &[
        "the", "and", "for", "our", "with", "from", "that", "this", "need", "needs", "would",
        "could", "have", "has", "more", "some", "please", "want", "get", "can", "you", "your",
        "are", "was", "were", "will", "any", "all", "who", "what", "how", "about", "into", "also",
        "them", "they", "their", "there", "here", "its", "not", "but", "out", "one", "two", "help",
        "like", "just", "still", "again", "someone", "somebody", "need", "we'd", "us",
    ];
    text.split(|c: char| !c.is_alphanumeric())
        .map(|w| w.to_lowercase())
        .filter(|w| w.chars().count() >= 3 && !COMMON.contains(&w.as_str()))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.chars().count() >= 3 && !stem.ends_with('s') => stem.to_string(),
            _ => w,
        })
        .collect()
}

/// How much two requests share their words: the share of the shorter one's content words that the
/// other has too (0 when they share fewer than two).
pub fn word_overlap(a: &str, b: &str) -> f64 {
    let (a, b) = (content_words(a), content_words(b));
    let shared = a.intersection(&b).count();
    let shorter = a.len().min(b.len());
    if shared < 2 || shorter == 0 {
        return 0.0;
    }
    shared as f64 / shorter as f64
}

/// A request's text cut to a line for lists.
pub(crate) fn gist(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions() -> Vec<String> {
        crate::program::CheckinSettings::default().questions
    }

    #[test]
    fn nothing_needed_makes_no_request() {
        for t in [
            "nothing",
            "Nothing.",
            "n/a",
            "N/A",
            "-",
            "—",
            "none!",
            "No",
            "nothing for now, thanks",
            "All good",
        ] {
            assert!(is_nothing(t), "{t}");
        }
        for t in [
            "a CI sponsor",
            "nothing works in our CI, we need runners",
            "no budget for training: need one",
        ] {
            assert!(!is_nothing(t), "{t}");
        }
    }

    #[test]
    fn the_need_is_found_under_its_question_by_number_or_by_prefix() {
        let q = questions();
        let form = format!(
            "{}\nSlow builds\n\n{}\nA sponsor for shared CI runners\nand a budget\n\n",
            q[0], q[3]
        );
        assert_eq!(
            need_of(&form, &q, 3).as_deref(),
            Some("A sponsor for shared CI runners\nand a budget")
        );
        let numbered = "1. slow builds\n2. a workshop\n4) someone to sponsor CI runners";
        assert_eq!(
            need_of(numbered, &q, 3).as_deref(),
            Some("someone to sponsor CI runners")
        );
        assert_eq!(
            need_of("Good week.\nNeed: legal review of our license", &q, 3).as_deref(),
            Some("legal review of our license")
        );
        assert_eq!(need_of(&format!("{}\nnothing\n", q[3]), &q, 3), None);
        assert_eq!(need_of("We ran two office hours.", &q, 3), None);
    }

    #[test]
    fn the_same_need_in_other_words_overlaps() {
        let a = "A sponsor for shared CI runners, our builds queue for hours";
        let b = "We need CI runners shared across teams and a sponsor";
        let c = "Legal review of the license for the design system";
        assert!(
            word_overlap(a, b) >= DUPLICATE_OVERLAP,
            "{}",
            word_overlap(a, b)
        );
        assert!(word_overlap(a, c) < DUPLICATE_OVERLAP);
    }
}
