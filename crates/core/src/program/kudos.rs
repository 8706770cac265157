//! `/kudos @a [@b …] for <what they did>`: specific, public praise, within a daily limit.

use super::checkin::dm;
use super::lifecycle::*;
use super::{Caller, Outcome, Program, count, refuse};
use crate::command::Mention;
use crate::message::{Message, Reply, Rich};
use crate::model::{KudosOutcome, NewKudos, Person, sanitize_text};
use crate::ports::{Clock, Outgoing, Store, StoreError, StoreResult};
use chrono::{DateTime, Utc};

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn kudos(
        &self,
        caller: &Caller,
        mentions: &[Mention],
        reason: &str,
        tags: Vec<String>,
        source: Option<&str>,
    ) -> Outcome {
        let reason = sanitize_text(reason);
        if reason.is_empty() {
            return Err(refuse("Say what they did: praise is specific."));
        }
        let len = reason.chars().count();
        if len > self.settings.max_text_chars {
            return Err(refuse(format!(
                "That is {len} characters; kudos take up to {}. Say it in fewer words, nothing was recorded.",
                self.settings.max_text_chars
            )));
        }
        // Before anyone is looked up: a kudos naming hundreds would cost a profile look-up each.
        let mut named: Vec<&str> = Vec::new();
        for m in mentions {
            if !named.contains(&m.0.as_str()) {
                named.push(&m.0);
            }
        }
        let max = self.settings.most_people_per_kudos();
        if named.len() > max {
            return Err(refuse(format!(
                "A kudos can name up to {}; this one names {}. Thank a smaller group at a time (or the team by its name in the text). Nothing was recorded.",
                count(max as u64, "person", "people"),
                named.len()
            )));
        }
        let mut receivers: Vec<Person> = Vec::with_capacity(named.len());
        for m in mentions {
            let account = crate::model::Account::new(caller.person.account.platform, m.0.clone());
            if caller.bot.as_ref() == Some(&account) {
                return Err(refuse(
                    "That's kind, but kudos are for people. Thank someone who helped you!",
                ));
            }
            let person = self.mentioned(caller, m).await?;
            if person.id == caller.person.id {
                return Err(refuse(
                    "You can't give kudos to yourself, but you surely know someone who deserves some!",
                ));
            }
            if !receivers.iter().any(|r| r.id == person.id) {
                receivers.push(person);
            }
        }
        // A reaction's reason is the message reacted to, not written by the giver: only typed
        // kudos are asked to be specific.
        let min_words = self.settings.kudos_min_reason_words;
        if source.is_none() && reason_words(&reason) < min_words as usize {
            return Err(refuse(
                Rich::text(format!(
                    "Kudos mean most when they say what the person did, and “{reason}” is a bit short. What did "
                ))
                .and_mentions(&receivers.iter().map(Person::as_ref).collect::<Vec<_>>())
                .and(format!(
                    " do? Say it in at least {}, for example “for reviewing the release notes so we could ship on Friday”. Nothing was recorded, and it does not count toward your daily limit.",
                    count(u64::from(min_words), "word", "words")
                )),
            ));
        }
        let limit = match self.settings.kudos_daily_limit {
            0 => u32::MAX,
            n => n,
        };
        let new = NewKudos {
            giver: caller.person.id,
            receivers: receivers.iter().map(|p| p.id).collect(),
            reason: reason.clone(),
            tags,
            given_at: self.clock.now(),
            room: caller.room.clone(),
            source: source.map(str::to_string),
        };
        let refs: Vec<_> = receivers.iter().map(Person::as_ref).collect();
        let copies = self
            .manager_copies(&receivers, &caller.person, &reason, new.given_at)
            .await?;
        let outcome = match self
            .store
            .record_kudos_notifying(&new, limit, self.day_start(), &copies)
            .await
        {
            // The same gesture again (a reaction added twice): it counted the first time.
            Err(StoreError::Conflict(_)) if source.is_some() => return Ok(Vec::new()),
            outcome => outcome?,
        };
        match outcome {
            KudosOutcome::LimitReached { given_today } => Err(refuse(
                Rich::text(format!(
                    "You have given your {} for today, the daily limit. It resets at midnight ({}). Nothing was recorded; here is your text to post again tomorrow: ",
                    count(u64::from(given_today), "kudos", "kudos"),
                    self.settings.time_zone
                ))
                .and_em(format!("for {reason}")),
            )),
            KudosOutcome::Recorded { given_today, .. } => {
                let public = Message::text(
                    Rich::text("🎉 Kudos to ")
                        .and_mentions(&refs)
                        .and(" from ")
                        .and_mention(&caller.person.as_ref())
                        .and(" for ")
                        .and_strong(reason.clone()),
                );
                let left = if let Some(given_today) = given_today.filter(|_| limit != u32::MAX) {
                    let left = limit.saturating_sub(given_today);
                    match left {
                        0 => "Thank you for recognizing them! That was your last kudos for today.".into(),
                        n => format!(
                            "Thank you for recognizing them! You have {} left today.",
                            count(u64::from(n), "kudos", "kudos")
                        ),
                    }
                } else {
                    "Thank you for recognizing them!".to_string()
                };
                Ok(vec![Reply::room(public), Reply::caller(Message::text(left))])
            }
        }
    }
}

/// The words of a kudos reason: what is written between spaces, with a letter or digit in it;
/// `#tags` do not count. In scripts written without spaces (Chinese, Japanese, Thai, …) each
/// character counts as a word.
fn reason_words(reason: &str) -> usize {
    reason
        .split_whitespace()
        .filter(|w| !w.starts_with('#'))
        .map(|w| {
            let unspaced = w.chars().filter(|c| unspaced_script(*c)).count();
            let rest = w
                .chars()
                .any(|c| c.is_alphanumeric() && !unspaced_script(c));
            unspaced + usize::from(rest)
        })
        .sum()
}

/// Letters of scripts that do not put spaces between words.
fn unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{0E00}'..='\u{0EFF}' // Thai, Lao
        | '\u{1000}'..='\u{109F}' // Myanmar
        | '\u{1780}'..='\u{17FF}' // Khmer
        | '\u{20000}'..='\u{2FA1F}' // CJK extensions B–F, compatibility supplement
    )
}

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn kudos_mine(&self, caller: &Caller) -> Outcome {
        let received = self.store.kudos_received(caller.person.id).await?;
        let (_, given) = self.store.kudos_counts(caller.person.id).await?;
        let unit = match self.settings.kudos_daily_limit {
            0 => "Counted per kudos: a kudos to several people counts once.".to_string(),
            n => format!(
                "Counted per kudos: a kudos to several people counts once, as in the daily limit of {}.",
                super::count(u64::from(n), "kudos", "kudos")
            ),
        };
        if received.is_empty() {
            return Ok(vec![Reply::caller(Message::text(format!(
                "No kudos received yet — they will come! You have given {}. {unit}",
                super::count(u64::from(given), "kudos", "kudos")
            )))]);
        }
        let tz = self.settings.time_zone;
        let m = Message::new()
            .heading(format!(
                "Your kudos — {} received, {given} given",
                received.len()
            ))
            .list(
                received
                    .iter()
                    .rev()
                    .take(KUDOS_SHOWN)
                    .map(|k| {
                        Rich::text(format!("{} ", k.given_at.with_timezone(&tz).date_naive()))
                            .and("from ")
                            .and_mention(&k.giver)
                            .and(": ")
                            .and_em(k.reason.clone())
                    })
                    .collect(),
            )
            .context(unit)
            .context(Rich::text("Your whole record: ").and_code(caller.cmd("ambassadors record")));
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn kudos_optout(&self, caller: &Caller, out: bool) -> Outcome {
        self.store.set_kudos_optout(caller.person.id, out).await?;
        let text = if out {
            Rich::text("Done: you no longer appear by name in the weekly digest or leaderboards. Kudos to you are still recorded, and ")
                .and_code(caller.cmd("kudos mine"))
                .and(" still shows them. Undo: ")
                .and_code(caller.cmd("kudos optin"))
        } else {
            Rich::text("Welcome back: the weekly digest and leaderboards may name you again.")
        };
        Ok(vec![Reply::caller(Message::text(text))])
    }

    /// The receivers' managers, when kudos are copied to managers: a direct message for each,
    /// to be queued with the kudos given at `given_at`.
    pub(crate) async fn manager_copies(
        &self,
        receivers: &[Person],
        giver: &Person,
        reason: &str,
        given_at: DateTime<Utc>,
    ) -> StoreResult<Vec<Outgoing>> {
        let mut copies = Vec::new();
        if !self.settings.lifecycle.copy_kudos_to_manager {
            return Ok(copies);
        }
        for r in receivers {
            let Some(manager) = self.store.manager(r.id).await? else {
                continue;
            };
            if manager.id == giver.id {
                continue;
            }
            copies.push(dm(
                format!(
                    "kudos:{}:{}:for:{}:manager:{}",
                    giver.id,
                    given_at.timestamp_micros(),
                    r.id,
                    manager.id
                ),
                &manager.account,
                Message::text(
                    Rich::text("FYI: ")
                        .and_mention(&r.as_ref())
                        .and(" from your team got kudos from ")
                        .and_mention(&giver.as_ref())
                        .and(" for ")
                        .and_strong(reason.to_string()),
                )
                .context("You get these because kudos are copied to managers in this program."),
            ));
        }
        Ok(copies)
    }
}

#[cfg(test)]
mod tests {
    use super::reason_words;

    #[test]
    fn words_of_a_reason() {
        assert_eq!(reason_words("x"), 1);
        assert_eq!(reason_words("great!"), 1);
        assert_eq!(reason_words("the docs #docs 🎉"), 2);
        assert_eq!(reason_words("fixed the build"), 3);
        assert_eq!(reason_words("R&D <3"), 2);
        assert_eq!(reason_words("ワークショップ"), 7);
        assert_eq!(reason_words("谢谢"), 2);
    }
}

/// The kudos use case on the memory store: what the giver reads, what is recorded.
#[cfg(test)]
mod on_the_memory_store {
    use crate::testing::MemoryStore;
    use crate::{
        Account, Inbound, KudosStore, ManualClock, PeopleStore, Platform, Program, Reply, Settings,
        render_plain,
    };
    use chrono::{Duration, TimeZone, Utc};

    fn line(sender: &str, name: &str, text: &str) -> Inbound {
        Inbound {
            sender: Account::new(Platform::Console, sender),
            sender_name: name.to_owned(),
            room: "general".to_owned(),
            text: text.to_owned(),
            bot: None,
            direct: false,
            create_mentioned: false,
        }
    }

    fn texts(replies: Vec<Reply>) -> Vec<String> {
        replies.iter().map(|r| render_plain(&r.message)).collect()
    }

    #[tokio::test]
    async fn the_daily_limit_is_said_and_nothing_over_it_is_recorded() {
        let store = MemoryStore::new();
        let morning = Utc.with_ymd_and_hms(2024, 5, 7, 9, 0, 0).unwrap();
        let settings = Settings {
            kudos_daily_limit: 2,
            ..Settings::default()
        };
        let program = Program::new(store.clone(), ManualClock::new(morning), settings);
        for (id, name) in [("ada", "Ada"), ("grace", "Grace"), ("linus", "Linus")] {
            store
                .ensure_person(&Account::new(Platform::Console, id), name)
                .await
                .unwrap();
        }
        let give = async |text: &str| {
            texts(
                program
                    .handle(&line("ada", "Ada", text))
                    .await
                    .unwrap()
                    .unwrap(),
            )
        };

        let first = give("/kudos @grace for reviewing the CI templates").await;
        assert_eq!(
            first[0],
            "🎉 Kudos to @Grace from @Ada for *reviewing the CI templates*"
        );
        assert!(
            first[1].contains("You have one kudos left today."),
            "{first:?}"
        );
        let second = give("/kudos @linus for the data clinic on Friday").await;
        assert!(
            second[1].contains("That was your last kudos for today."),
            "{second:?}"
        );
        let refused = give("/kudos @grace for the onboarding workshop").await;
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].starts_with("You have given your 2 kudos for today, the daily limit."),
            "{refused:?}"
        );
        assert!(
            refused[0].contains("for the onboarding workshop"),
            "{refused:?}"
        );

        let day = store
            .kudos_between(morning, morning + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(day.len(), 2, "nothing over the limit is recorded");
        // The next day the limit starts afresh.
        program.clock.advance(Duration::days(1));
        let next_day = give("/kudos @grace for the onboarding workshop").await;
        assert!(
            next_day[1].contains("You have one kudos left today."),
            "{next_day:?}"
        );
    }
}
