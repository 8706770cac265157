//! Misuse reports of the ambassador title: filed by anyone, seen and resolved by the office only.

use super::checkin::dm;
use super::{Caller, Outcome, Program, refuse};
use crate::command::Mention;
use crate::message::{Message, Reply, Rich};
use crate::model::sanitize_text;
use crate::ports::{Clock, Outgoing, Store, StoreError};

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn report(&self, caller: &Caller, mention: &Mention, text: &str) -> Outcome {
        let text = sanitize_text(text);
        if text.is_empty() {
            return Err(refuse(
                "What happened? The program office reads it privately.",
            ));
        }
        let max = self.settings.max_text_chars * 2;
        if text.chars().count() > max {
            return Err(refuse(format!(
                "That is {} characters; a report takes up to {max}. Please shorten it: nothing was sent.",
                text.chars().count()
            )));
        }
        let subject = self.mentioned(caller, mention).await?;
        if subject.id == caller.person.id {
            return Err(refuse(
                "A report is about someone else. To step down: `ambassadors stepdown`.",
            ));
        }
        let on_roster = match self.store.ambassador(subject.id).await? {
            Some(a) => format!("{} ambassador of {}", a.status.as_str(), a.department.name),
            None => "not on the roster".to_string(),
        };
        let (reporter, about) = (caller.person.as_ref(), subject.as_ref());
        // Only ever to the reporter and the office: never a room. The office's copies are queued
        // with the report, once its number is known.
        let notify = |id: crate::model::ReportId| -> Vec<Outgoing> {
            self.settings
                .office
                .iter()
                .map(|office| {
                    dm(
                        format!("report:{id}:office:{office}"),
                        office,
                        Message::new()
                            .heading(format!("Misuse report #{id}"))
                            .paragraph(
                                Rich::new()
                                    .and_mention(&reporter)
                                    .and(" reports ")
                                    .and_mention(&about)
                                    .and(format!(" ({on_roster}):")),
                            )
                            .paragraph(Rich::text("").and_em(text.clone()))
                            .context(Rich::text("When handled: ").and_code(
                                office.command(&format!("ambassadors resolve {id} [note]")),
                            )),
                    )
                })
                .collect()
        };
        let report = self
            .store
            .add_report(
                caller.person.id,
                subject.id,
                &text,
                self.clock.now(),
                &notify,
            )
            .await?;
        Ok(vec![Reply::caller(Message::text(format!(
            "Thank you. Report #{} is recorded and on its way privately to the program office; only they see it, and they may contact you. Nothing was posted anywhere else.",
            report.id
        )))])
    }

    pub(crate) async fn reports_view(&self, caller: &Caller) -> Outcome {
        let reports = self.store.reports(true).await?;
        if reports.is_empty() {
            return Ok(vec![Reply::caller(Message::text(
                "No open misuse reports.",
            ))]);
        }
        let tz = self.settings.time_zone;
        let m = Message::new()
            .heading(format!("Open misuse reports — {}", reports.len()))
            .list(
                reports
                    .iter()
                    .map(|r| {
                        Rich::strong(format!("#{}", r.id))
                            .and(format!(
                                " {} · ",
                                r.created_at.with_timezone(&tz).date_naive()
                            ))
                            .and_mention(&r.reporter)
                            .and(" about ")
                            .and_mention(&r.subject)
                            .and(": ")
                            .and_em(r.text.clone())
                    })
                    .collect(),
            )
            .context(
                Rich::text("Mark one handled: ")
                    .and_code(caller.cmd("ambassadors resolve N [note]")),
            );
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn resolve(&self, caller: &Caller, id: i64, note: Option<&str>) -> Outcome {
        let note = note.map(sanitize_text).filter(|n| !n.is_empty());
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > self.settings.max_text_chars)
        {
            return Err(refuse(format!(
                "That note is too long; keep it under {} characters.",
                self.settings.max_text_chars
            )));
        }
        // The reporter hears of it, queued with the resolution (only when it is resolved now).
        let reporter = self
            .store
            .reports(false)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .map(|r| r.reporter);
        let notice: Vec<Outgoing> = reporter
            .iter()
            .map(|reporter| {
                dm(
                    format!("report:{id}:resolved"),
                    &reporter.account,
                    Message::text(format!(
                        "Your report #{id} was looked at and resolved by the program office. Thank you for speaking up."
                    )),
                )
            })
            .collect();
        match self
            .store
            .resolve_report(
                id,
                caller.person.id,
                note.as_deref(),
                self.clock.now(),
                &notice,
            )
            .await
        {
            Err(StoreError::NotFound(_)) => Err(refuse(
                Rich::text(format!("There is no report #{id}. Open ones: "))
                    .and_code(caller.cmd("ambassadors reports")),
            )),
            Err(e) => Err(e.into()),
            Ok(None) => {
                let when = self
                    .store
                    .reports(false)
                    .await?
                    .into_iter()
                    .find(|r| r.id == id);
                let mut text = Rich::text(format!("Report #{id} was already resolved"));
                if let Some(r) = when {
                    if let Some(by) = &r.resolved_by {
                        text = text.and(" by ").and_mention(by);
                    }
                    if let Some(at) = r.resolved_at {
                        text = text.and(format!(
                            " on {}",
                            at.with_timezone(&self.settings.time_zone).date_naive()
                        ));
                    }
                }
                Err(refuse(text.and(".")))
            }
            Ok(Some(_)) => Ok(vec![Reply::caller(Message::text(format!(
                "Report #{id} is resolved; the reporter is told by direct message."
            )))]),
        }
    }
}
