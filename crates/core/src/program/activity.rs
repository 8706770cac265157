//! The activity log: ambassadors record what they did (with #tags, an audience and a day), and
//! everyone sees what happened by region and department — the office in detail.

use super::resolve::Scope;
use super::{Caller, Outcome, Program, count, refuse, thousands};
use crate::command::{LogCommand, USAGE, tags_of};
use crate::message::{Message, Reply, Rich};
use crate::model::{
    ActivityEntry, ActivityFilter, NewActivity, RosterFilter, name_key, sanitize_text,
};
use crate::ports::{Clock, Store, StoreError};
use chrono::{Duration, NaiveDate};
use std::collections::{BTreeMap, BTreeSet};

/// What an activity line says, read from its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedActivity {
    pub text: String,
    pub tags: Vec<String>,
    pub audience: Option<u32>,
    pub on: NaiveDate,
}

const PEOPLE: &[&str] = &[
    "people",
    "persons",
    "participants",
    "attendees",
    "colleagues",
];
/// The longest activity text, in characters.
const ACTIVITY_MAX: usize = 1000;

/// Reads tags, an audience (`(25 people)`, `for 25 people`) and a day (`on 2027-02-03`; default
/// `today`) from an activity line. Errors say what was wrong.
pub fn parse_activity(raw: &str, today: NaiveDate) -> Result<ParsedActivity, String> {
    let text = sanitize_text(raw);
    if text.is_empty() {
        return Err("What did you do? The entry is empty.".into());
    }
    let len = text.chars().count();
    if len > ACTIVITY_MAX {
        return Err(format!(
            "That entry is {len} characters; keep it under {ACTIVITY_MAX}."
        ));
    }
    // "(… people)" must hold a number.
    let mut rest = text.as_str();
    while let Some(open) = rest.find('(') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(')') else { break };
        let inner: Vec<&str> = after[..close].split_whitespace().collect();
        if inner
            .last()
            .is_some_and(|w| PEOPLE.contains(&w.to_lowercase().as_str()))
            && (inner.len() != 2 || inner[0].replace([',', '_'], "").parse::<u32>().is_err())
        {
            return Err(format!(
                "`{}` is not a number of people: write it like (25 people) or for 25 people.",
                inner[..inner.len() - 1].join(" ")
            ));
        }
        rest = &after[close + 1..];
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut audience = None;
    let mut on = None;
    for (i, w) in words.iter().enumerate() {
        let next = words
            .get(i + 1)
            .map(|n| n.trim_end_matches([')', ',', '.', ';']).to_lowercase());
        let is_people = next.as_deref().is_some_and(|n| PEOPLE.contains(&n));
        let number = w.trim_start_matches('(');
        let counted = (w.starts_with('(') || (i > 0 && words[i - 1].eq_ignore_ascii_case("for")))
            && is_people;
        if counted {
            let digits: String = number.chars().filter(|c| !matches!(c, ',' | '_')).collect();
            match digits.parse::<u32>() {
                Ok(n) if n <= 1_000_000 => audience = Some(n),
                _ => {
                    return Err(format!(
                        "`{number}` is not a number of people: write it like (25 people) or for 25 people."
                    ));
                }
            }
        }
        if w.eq_ignore_ascii_case("on")
            && let Some(date) = words.get(i + 1)
        {
            let date = date.trim_end_matches([',', '.', ';', ')']);
            if date.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
                    format!("`{date}` is not a date: write it as YYYY-MM-DD, e.g. on 2027-02-03.")
                })?;
                on = Some(d);
            }
        }
    }
    let on = on.unwrap_or(today);
    if on > today + Duration::days(1) {
        return Err(format!(
            "{on} is in the future: log what you did, on the day it happened (today is {today})."
        ));
    }
    if on < today - Duration::days(400) {
        return Err(format!("{on} is more than a year ago; give a later date."));
    }
    Ok(ParsedActivity {
        tags: tags_of(&text),
        text,
        audience,
        on,
    })
}

/// An activity's text as a report shows it: without what [`parse_activity`] read into fields of
/// their own (`#tags` ending the text, the audience, `on DATE`). A tag inside a sentence stays as
/// a word, without its `#`. The text as written when nothing would be left.
pub fn activity_text(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut parsed = vec![false; words.len()];
    let is_people = |i: usize| {
        words.get(i).is_some_and(|w| {
            PEOPLE.contains(
                &w.trim_end_matches([')', ',', '.', ';'])
                    .to_lowercase()
                    .as_str(),
            )
        })
    };
    let is_number = |w: &str| {
        let digits: String = w.chars().filter(|c| !matches!(c, ',' | '_')).collect();
        !digits.is_empty() && digits.parse::<u32>().is_ok()
    };
    for (i, w) in words.iter().enumerate() {
        if let Some(n) = w.strip_prefix('(')
            && is_number(n)
            && is_people(i + 1)
            && words[i + 1].contains(')')
        {
            parsed[i] = true;
            parsed[i + 1] = true;
        }
        if i > 0 && words[i - 1].eq_ignore_ascii_case("for") && is_number(w) && is_people(i + 1) {
            parsed[i - 1] = true;
            parsed[i] = true;
            parsed[i + 1] = true;
        }
        if w.eq_ignore_ascii_case("on")
            && let Some(date) = words.get(i + 1)
            && NaiveDate::parse_from_str(date.trim_end_matches([',', '.', ';', ')']), "%Y-%m-%d")
                .is_ok()
        {
            parsed[i] = true;
            parsed[i + 1] = true;
        }
    }
    let is_tag = |w: &str| w.starts_with('#') && !tags_of(w).is_empty();
    // The fields at the end go; tags inside the text lose their `#`.
    let mut end = words.len();
    while end > 0 && (parsed[end - 1] || is_tag(words[end - 1])) {
        end -= 1;
    }
    let kept: Vec<String> = (0..end)
        .filter(|&i| !parsed[i])
        .map(|i| match words[i].strip_prefix('#') {
            Some(rest) if is_tag(words[i]) => rest.to_string(),
            _ => words[i].to_string(),
        })
        .collect();
    let out = kept
        .join(" ")
        .trim_end_matches([',', ';', ':', '-', '—', ' '])
        .to_string();
    if out.is_empty() {
        text.to_string()
    } else {
        out
    }
}

/// The fields of an activity a report shows beside its text: the day (when asked), the audience,
/// the tags. "2027-02-03 · 25 people · #workshop #onboarding"
pub(crate) fn activity_fields(a: &crate::model::Activity, with_day: bool) -> String {
    let mut parts = Vec::new();
    if with_day {
        parts.push(a.on.to_string());
    }
    if let Some(n) = a.audience {
        parts.push(format!("{} people", thousands(u64::from(n))));
    }
    if !a.tags.is_empty() {
        parts.push(
            a.tags
                .iter()
                .map(|t| format!("#{t}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    parts.join(" · ")
}

/// "text — fields", or the text alone.
pub(crate) fn activity_line(a: &crate::model::Activity, with_day: bool) -> String {
    let fields = activity_fields(a, with_day);
    let text = activity_text(&a.text);
    if fields.is_empty() {
        text
    } else {
        format!("{text} — {fields}")
    }
}

fn describe(a: &crate::model::Activity) -> String {
    let mut parts = vec![a.on.to_string()];
    if let Some(n) = a.audience {
        parts.push(count(u64::from(n), "person", "people"));
    }
    format!("#{} · {} · {}", a.id, parts.join(" · "), a.text)
}

/// How many activities carry each tag, the most used first (then by name).
pub(crate) fn tags_counted<'a>(
    entries: impl Iterator<Item = &'a ActivityEntry>,
) -> Vec<(&'a str, u32)> {
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for e in entries {
        for t in &e.activity.tags {
            *counts.entry(t.as_str()).or_default() += 1;
        }
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}

/// The tags of [`tags_counted`] in a line: "#workshop 3 · #talk 1".
pub(crate) fn tag_counts<'a>(entries: impl Iterator<Item = &'a ActivityEntry>) -> String {
    tags_counted(entries)
        .iter()
        .map(|(t, n)| format!("#{t} {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn log(&self, caller: &Caller, command: LogCommand) -> Outcome {
        if caller.ambassador.is_none() {
            return Err(refuse(
                "The activity log is for ambassadors, and you are not on the roster.",
            ));
        }
        let me = caller.person.id;
        match command {
            LogCommand::Add(text) | LogCommand::Edit(_, text) if text.trim().is_empty() => Err(
                refuse(Rich::text("What did you do? ").and_code(caller.cmd(USAGE::LOG))),
            ),
            LogCommand::Add(text) => {
                let p = parse_activity(&text, self.today()).map_err(refuse)?;
                let a = self
                    .store
                    .add_activity(&NewActivity {
                        author: me,
                        text: p.text,
                        tags: p.tags,
                        audience: p.audience,
                        on: p.on,
                        logged_at: self.clock.now(),
                    })
                    .await?;
                Ok(vec![Reply::caller(
                    Message::text(format!("Logged {}.", describe(&a))).context(
                        Rich::text("Your entries: ")
                            .and_code(caller.cmd(USAGE::LOG_LIST))
                            .and(". Thank you for keeping the record!"),
                    ),
                )])
            }
            LogCommand::Edit(id, text) => {
                let p = parse_activity(&text, self.today()).map_err(refuse)?;
                let new = NewActivity {
                    author: me,
                    text: p.text,
                    tags: p.tags,
                    audience: p.audience,
                    on: p.on,
                    logged_at: self.clock.now(),
                };
                match self.store.update_activity(id, me, &new).await {
                    Ok(a) => Ok(vec![Reply::caller(Message::text(format!(
                        "Corrected {}.",
                        describe(&a)
                    )))]),
                    Err(StoreError::NotFound(_)) => Err(not_yours(caller, id)),
                    Err(e) => Err(e.into()),
                }
            }
            LogCommand::Delete(id) => match self.store.delete_activity(id, me).await {
                Ok(()) => Ok(vec![Reply::caller(Message::text(format!(
                    "Deleted entry #{id}."
                )))]),
                Err(StoreError::NotFound(_)) => Err(not_yours(caller, id)),
                Err(e) => Err(e.into()),
            },
            LogCommand::List => {
                let entries = self
                    .store
                    .activities(&ActivityFilter {
                        author: Some(me),
                        ..ActivityFilter::default()
                    })
                    .await?;
                if entries.is_empty() {
                    return Ok(vec![Reply::caller(Message::text(
                        Rich::text("Nothing logged yet. ").and_code(caller.cmd(USAGE::LOG)),
                    ))]);
                }
                let items = entries
                    .iter()
                    .take(20)
                    .map(|e| Rich::text(describe(&e.activity)))
                    .collect();
                let mut m = Message::new()
                    .heading(format!("Your activity log ({})", entries.len()))
                    .list(items);
                if entries.len() > 20 {
                    m = m.context(format!(
                        "… and {}.",
                        count(entries.len() as u64 - 20, "older entry", "older entries")
                    ));
                }
                Ok(vec![Reply::caller(
                    m.context(
                        Rich::text("Correct one: ")
                            .and_code(caller.cmd(USAGE::LOG_EDIT))
                            .and(" · delete: ")
                            .and_code(caller.cmd(USAGE::LOG_DELETE)),
                    ),
                )])
            }
        }
    }

    pub(crate) async fn activity_view(
        &self,
        caller: &Caller,
        scope: Option<&str>,
        since: Option<NaiveDate>,
    ) -> Outcome {
        let scope = self.optional_scope(caller, scope).await?;
        let since = since.unwrap_or_else(|| self.today() - Duration::days(90));
        let entries: Vec<ActivityEntry> = self
            .store
            .activities(&ActivityFilter {
                from: Some(since),
                ..ActivityFilter::default()
            })
            .await?
            .into_iter()
            .filter(|e| Scope::covers(&scope, &e.ambassador.department))
            .collect();
        let label = match &scope {
            None => "the whole organization".to_string(),
            Some(s) => s.label().to_string(),
        };
        let mut m = Message::new().heading(format!("Activity — {label}, since {since}"));
        let audience: u64 = entries
            .iter()
            .filter_map(|e| e.activity.audience)
            .map(u64::from)
            .sum();
        m = m.paragraph(format!(
            "{} logged, reaching {}.",
            count(entries.len() as u64, "activity", "activities"),
            count(audience, "person", "people")
        ));
        let tags = tag_counts(entries.iter());
        if !tags.is_empty() {
            m = m.paragraph(format!("By tag: {tags}."));
        }
        let mut groups: BTreeMap<(String, String), Vec<&ActivityEntry>> = BTreeMap::new();
        for e in &entries {
            let d = &e.ambassador.department;
            groups
                .entry((d.region.clone(), d.name.clone()))
                .or_default()
                .push(e);
        }
        let office = caller.role == crate::command::Role::Office;
        if office {
            for ((region, department), list) in &groups {
                let reached: u64 = list
                    .iter()
                    .filter_map(|e| e.activity.audience)
                    .map(u64::from)
                    .sum();
                m = m.paragraph(
                    Rich::strong(format!("{region} · {department}")).and(format!(
                        " — {}, {}{}",
                        count(list.len() as u64, "activity", "activities"),
                        count(reached, "person", "people"),
                        match tag_counts(list.iter().copied()) {
                            t if t.is_empty() => String::new(),
                            t => format!(", {t}"),
                        }
                    )),
                );
                m = m.list(
                    list.iter()
                        .take(10)
                        .map(|e| {
                            Rich::new()
                                .and_mention(&e.ambassador.person.as_ref())
                                .and(format!(
                                    ", {}: {}",
                                    e.activity.on,
                                    activity_line(&e.activity, false)
                                ))
                        })
                        .collect(),
                );
            }
            // Departments with ambassadors but nothing logged stand out.
            let active = self
                .store
                .roster(&RosterFilter {
                    status: Some(crate::model::AmbassadorStatus::Active),
                    ..RosterFilter::default()
                })
                .await?;
            let logged: BTreeSet<_> = groups.keys().map(|(_, d)| name_key(d)).collect();
            let mut quiet: Vec<String> = active
                .iter()
                .filter(|a| Scope::covers(&scope, &a.department))
                .filter(|a| !logged.contains(&name_key(&a.department.name)))
                .map(|a| format!("{} ({})", a.department.name, a.department.region))
                .collect();
            quiet.dedup();
            if !quiet.is_empty() {
                m = m.paragraph(
                    Rich::strong("No activity logged")
                        .and(format!(" despite an ambassador: {}.", quiet.join(", "))),
                );
            }
        } else {
            let rows = groups
                .iter()
                .map(|((region, department), list)| {
                    vec![
                        Rich::text(region.clone()),
                        Rich::text(department.clone()),
                        Rich::text(list.len().to_string()),
                    ]
                })
                .collect();
            m = m.table(
                &["Region", "Department", "Activities"],
                &[false, false, true],
                rows,
            );
        }
        Ok(vec![Reply::caller(m)])
    }
}

fn not_yours(caller: &Caller, id: i64) -> super::Failure {
    refuse(
        Rich::text(format!("There is no entry #{id} of yours. "))
            .and_code(caller.cmd(USAGE::LOG_LIST))
            .and(" shows your entries and their numbers."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn reads_tags_audience_and_day() {
        let p = parse_activity(
            "Ran an InnerSource 101 workshop #workshop #onboarding (25 people) on 2027-02-03",
            day("2027-02-10"),
        )
        .unwrap();
        assert_eq!(p.tags, ["workshop", "onboarding"]);
        assert_eq!(p.audience, Some(25));
        assert_eq!(p.on, day("2027-02-03"));
        let p = parse_activity(
            "Talk at the all-hands for 1,200 people #talk",
            day("2027-02-10"),
        )
        .unwrap();
        assert_eq!((p.audience, p.on), (Some(1200), day("2027-02-10")));
        let p = parse_activity("Paired with the data team", day("2027-02-10")).unwrap();
        assert_eq!((p.audience, p.tags.len()), (None, 0));
    }

    #[test]
    fn reports_show_the_text_without_its_fields() {
        for (written, shown) in [
            (
                "Ran an InnerSource 101 workshop #workshop #onboarding (25 people) on 2027-02-03",
                "Ran an InnerSource 101 workshop",
            ),
            (
                "Talk at the all-hands for 1,200 people #talk",
                "Talk at the all-hands",
            ),
            (
                "Hosted #docs office hours (12 people).",
                "Hosted docs office hours",
            ),
            (
                "Ran a workshop, with \"quotes\" #workshop (25 people) on 2027-02-03",
                "Ran a workshop, with \"quotes\"",
            ),
            ("Workshop for lots of people", "Workshop for lots of people"),
            (
                "Paired on 2027-02-03 with the data team",
                "Paired with the data team",
            ),
            ("#workshop (25 people)", "#workshop (25 people)"),
        ] {
            assert_eq!(activity_text(written), shown, "{written}");
        }
    }

    #[test]
    fn explains_bad_numbers_days_and_sizes() {
        let today = day("2027-02-10");
        assert!(
            parse_activity("Workshop (lots of people)", today)
                .unwrap_err()
                .contains("`lots of` is not a number")
        );
        assert!(
            parse_activity("Workshop for lots of people", today).is_ok(),
            "plain words stay text"
        );
        assert!(
            parse_activity("Workshop (many people)", today)
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            parse_activity("Workshop for twelve people", today)
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            parse_activity("Workshop on 2027-13-01", today)
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(
            parse_activity("Workshop on 2030-01-01", today)
                .unwrap_err()
                .contains("future")
        );
        assert!(parse_activity("   ", today).unwrap_err().contains("empty"));
        assert!(
            parse_activity(&"x".repeat(1001), today)
                .unwrap_err()
                .contains("1001 characters")
        );
    }
}
