//! Nominations: anyone names someone for the office to invite.

use super::checkin::dm;
use super::{Caller, Outcome, Program, refuse};
use crate::command::Mention;
use crate::message::{Message, Reply, Rich};
use crate::model::{Account, AmbassadorStatus, sanitize_text};
use crate::ports::{Clock, Outgoing, Store, StoreError};

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn nominate(
        &self,
        caller: &Caller,
        mention: &Mention,
        reason: &str,
    ) -> Outcome {
        let reason = sanitize_text(reason);
        if reason.is_empty() {
            return Err(refuse(
                "Say why: what have they done that makes them a good ambassador?",
            ));
        }
        if reason.chars().count() > self.settings.max_text_chars {
            return Err(refuse(format!(
                "That is {} characters; a nomination takes up to {}. Nothing was recorded.",
                reason.chars().count(),
                self.settings.max_text_chars
            )));
        }
        let account = Account::new(caller.person.account.platform, mention.0.clone());
        if caller.bot.as_ref() == Some(&account) {
            return Err(refuse("Thank you, but I am happy as the program's bot."));
        }
        let person = self.mentioned(caller, mention).await?;
        if person.id == caller.person.id {
            return Err(refuse(
                Rich::text("To put yourself forward, apply: ")
                    .and_code(caller.cmd("ambassadors apply")),
            ));
        }
        let p = person.as_ref();
        if let Some(a) = self.store.ambassador(person.id).await?
            && a.status != AmbassadorStatus::Alumni
        {
            return Err(refuse(Rich::new().and_mention(&p).and(format!(
                " is already the ambassador of {}.",
                a.department.name
            ))));
        }
        // Invited to apply only when they have no application under way; the invitation is
        // queued with the nomination.
        let pending = self.store.pending_application(person.id).await?;
        let now = self.clock.now();
        let invitation: Vec<Outgoing> = if pending.is_none() {
            vec![dm(
                format!(
                    "nomination:{}:by:{}:{}",
                    person.id,
                    caller.person.id,
                    now.timestamp_micros()
                ),
                &p.account,
                Message::new()
                    .heading("You were nominated as ambassador")
                    .paragraph(
                        Rich::new()
                            .and_mention(&caller.person.as_ref())
                            .and(" suggested you as an InnerSource ambassador: ")
                            .and_em(reason.clone()),
                    )
                    .paragraph(
                        Rich::text("Interested? Apply with ")
                            .and_code(p.account.command("ambassadors apply"))
                            .and(" — a few questions, answered here. No pressure if now is not the time."),
                    ),
            )]
        } else {
            Vec::new()
        };
        match self
            .store
            .add_nomination(person.id, caller.person.id, &reason, now, &invitation)
            .await
        {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(refuse(
                    Rich::text("You have already nominated ")
                        .and_mention(&p)
                        .and("; the program office has it."),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(vec![Reply::caller(Message::text(
            Rich::text("Thank you! The program office will see your nomination of ")
                .and_mention(&p)
                .and(if pending.is_some() {
                    " with their application."
                } else {
                    " with the applications, and I am inviting them to apply by direct message."
                }),
        ))])
    }
}
