//! Requests in reports: "You said, we did" and the weekly summary of those waiting.

use super::*;

impl<S: Store, C: Clock> Program<S, C> {
    /// The "You said, we did" section of a report on `[from, to)`: requests received, answered,
    /// done and the median time to a first answer, by region, and what was done (departments
    /// named, never people). `always`: say so when there were none (the quarterly report); else
    /// nothing is added for a period without requests (the digest).
    pub(crate) async fn you_said_we_did(
        &self,
        mut m: Message,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        always: bool,
    ) -> StoreResult<Message> {
        let all = self.store.requests(&RequestFilter::default()).await?;
        let (total, regions) = request_figures(&all, from, to);
        if total.is_empty() {
            if always {
                m = m.paragraph(
                    Rich::strong("You said, we did:").and(" no requests from ambassadors."),
                );
            }
            return Ok(m);
        }
        m = m.paragraph(
            Rich::strong("You said, we did:").and(format!(" requests {}.", total.describe())),
        );
        if regions.len() > 1 {
            m = m.list(
                regions
                    .values()
                    .map(|(name, f)| Rich::strong(name.clone()).and(format!(": {}", f.describe())))
                    .collect(),
            );
        }
        let tz = self.settings.time_zone;
        let mut done: Vec<&Request> = all
            .iter()
            .filter(|r| {
                r.status == RequestStatus::Done && r.closed_at.is_some_and(|t| t >= from && t < to)
            })
            .collect();
        done.sort_by_key(|r| (r.closed_at, r.id));
        if !done.is_empty() {
            m = m.paragraph("Done:").list(
                done.iter()
                    .take(10)
                    .map(|r| {
                        let mut line = Rich::text(format!(
                            "{} ({}), {}: ",
                            r.department,
                            r.region,
                            r.closed_at.expect("closed").with_timezone(&tz).date_naive()
                        ))
                        .and_em(gist(&r.text, 120));
                        if let Some(note) = &r.note {
                            line = line.and(format!(" — {}", gist(note, 160)));
                        }
                        line
                    })
                    .collect(),
            );
            if done.len() > 10 {
                m = m.paragraph(format!("… and {} more done.", done.len() - 10));
            }
        }
        Ok(m.context("Requests: received = asked in the period; answered = first answer from the office in the period; done = closed as done in the period; median over the requests first answered in the period."))
    }

    /// The weekly requests summary to the office: how many are open, and those waiting longer than
    /// `requests.acknowledge_within` for a first answer, each listed once.
    pub async fn plan_requests_summary(&self, occurrence: DateTime<Utc>) -> StoreResult<Effects> {
        let mut effects = Effects::default();
        let open = self.open_requests().await?;
        let wait = self.settings.requests.acknowledge_within;
        let mut overdue: Vec<&Request> = open
            .iter()
            .filter(|r| r.overdue_listed_at.is_none() && waiting(r, wait, occurrence))
            .collect();
        overdue.sort_by_key(|r| (r.created_at, r.id));
        let week_ago = occurrence - Duration::days(7);
        let new_this_week = open
            .iter()
            .filter(|r| r.created_at > week_ago && r.created_at <= occurrence)
            .count();
        if overdue.is_empty() && new_this_week == 0 {
            return Ok(effects);
        }
        let by_status = |s: RequestStatus| open.iter().filter(|r| r.status == s).count() as u64;
        let day = occurrence
            .with_timezone(&self.settings.time_zone)
            .date_naive();
        for office in &self.settings.office {
            let mut m = Message::new()
                .heading(format!("Requests — {day}"))
                .paragraph(format!(
                    "{} open: {} new, {} acknowledged, {} in progress. {} since last week.",
                    open.len(),
                    by_status(RequestStatus::New),
                    by_status(RequestStatus::Acknowledged),
                    by_status(RequestStatus::InProgress),
                    count(new_this_week as u64, "new request", "new requests"),
                ));
            if !overdue.is_empty() {
                m = m
                    .paragraph(Rich::strong(format!(
                        "Waiting more than {} for a first answer:",
                        human_duration(wait)
                    )))
                    .list(
                        overdue
                            .iter()
                            .map(|r| {
                                Rich::strong(format!("#{}", r.id))
                                    .and(format!(
                                        " {} ({}), asked {} by ",
                                        r.department,
                                        r.region,
                                        ago(occurrence - r.created_at)
                                    ))
                                    .and_mention(&r.ambassador)
                                    .and(": ")
                                    .and_em(gist(&r.text, 120))
                            })
                            .collect(),
                    );
            }
            effects.outbox.push(dm(
                format!("requests-summary:{}:{office}", occurrence.timestamp()),
                office,
                m.context(
                    Rich::new()
                        .and_code(office.command("ambassadors requests --oldest"))
                        .and(" · ")
                        .and_code(office.command("ambassadors requests --grouped")),
                ),
            ));
        }
        effects.requests_listed = overdue.iter().map(|r| r.id).collect();
        Ok(effects)
    }
}

/// Whether a request waits for the office's first answer longer than `wait` at `at`: the one
/// rule of the weekly summary and the office's Home glance.
pub fn waiting(r: &Request, wait: Duration, at: DateTime<Utc>) -> bool {
    r.status.is_open() && r.first_answer_at.is_none() && r.created_at + wait <= at
}
