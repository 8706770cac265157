//! Announcements from the program office to the active ambassadors, acknowledged ("got it",
//! "shared with my department"), with one reminder and the office's view of who received them.

use super::checkin::local_time;
use super::dashboard::ANNOUNCEMENTS_SHOWN;
use super::{Caller, Outcome, Program, percent, refuse};
use crate::command::ScopeArg;
use crate::message::{Message, Reply, Rich};
use crate::model::{
    AmbassadorStatus, Announcement, AnnouncementRecipient, Effects, NewAnnouncement, RosterFilter,
    sanitize_text,
};
use crate::ports::{Clock, Destination, Outgoing, Store, StoreResult};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// The longest announcement, in characters.
const ANNOUNCE_MAX: usize = 3000;
/// How far back the views look.
const RECENT_DAYS: i64 = 90;

/// A stable 64-bit FNV-1a hash (the same on every build and platform, unlike `DefaultHasher`).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn snippet(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    if first.chars().count() > 60 || text.lines().count() > 1 {
        format!("{}…", first.chars().take(60).collect::<String>())
    } else {
        first.to_string()
    }
}

impl<S: Store, C: Clock> Program<S, C> {
    fn announcement_message(
        &self,
        a: &NewAnnouncement,
        author: &crate::model::PersonRef,
    ) -> Message {
        Message::new()
            .heading("📣 From the program office")
            .paragraph(a.text.clone())
            .context(
                Rich::text("From ")
                    .and_mention(author)
                    .and(format!(" to {}. Reply ", a.audience))
                    .and_code("/ambassadors ack")
                    .and(" when you have read it, or ")
                    .and_code("/ambassadors ack shared")
                    .and(" once you have passed it on to your department."),
            )
    }

    pub(crate) async fn announce(
        &self,
        caller: &Caller,
        scope: Option<ScopeArg>,
        text: &str,
    ) -> Outcome {
        let text = sanitize_text(text);
        if text.is_empty() {
            return Err(refuse("What should I announce? The text is empty."));
        }
        let len = text.chars().count();
        if len > ANNOUNCE_MAX {
            return Err(refuse(format!(
                "That announcement is {len} characters; keep it under {ANNOUNCE_MAX} (link to the details). Nothing was sent."
            )));
        }
        let mut filter = RosterFilter {
            status: Some(AmbassadorStatus::Active),
            ..RosterFilter::default()
        };
        let audience = match scope {
            None => "all ambassadors".to_string(),
            Some(ScopeArg::Region(name)) => {
                let region = self.region(caller, &name).await?;
                filter.region = Some(region.clone());
                format!("the ambassadors of {region}")
            }
            Some(ScopeArg::Department(name)) => {
                let d = self.department(caller, &name).await?;
                filter.department = Some(d.id);
                format!("the ambassadors of {}", d.name)
            }
        };
        let recipients = self.store.roster(&filter).await?;
        if recipients.is_empty() {
            return Err(refuse(format!(
                "There is no active ambassador among {audience}: nothing was sent."
            )));
        }
        let now = self.clock.now();
        let new = NewAnnouncement {
            // The same text to the same audience in the same millisecond is one announcement
            // (a double submit); anything else gets its own key.
            key: format!(
                "{}-{}-{:016x}",
                now.timestamp_millis(),
                caller.person.id,
                fnv1a(&format!("{audience}\u{1f}{text}"))
            ),
            author: caller.person.id,
            text,
            audience: audience.clone(),
            created_at: now,
            recipients: recipients.iter().map(|a| a.person.id).collect(),
        };
        let message = self.announcement_message(&new, &caller.person.as_ref());
        let effects = Effects {
            outbox: recipients
                .iter()
                .map(|a| Outgoing {
                    key: format!("announce:{}:{}", new.key, a.person.id),
                    to: Destination::Direct(a.person.account.clone()),
                    message: message.clone(),
                })
                .collect(),
            announcement: Some(new),
            ..Effects::default()
        };
        self.store.apply(&effects, now).await?;
        let n = recipients.len();
        Ok(vec![Reply::caller(
            Message::text(format!(
                "📣 Sent to {} ({audience}).",
                super::count(n as u64, "active ambassador", "active ambassadors")
            ))
            .context(
                Rich::text(format!(
                    "Those who have not acknowledged it after {} get one reminder. Follow it with ",
                    super::checkin_views::human_duration(self.settings.announce_remind_after)
                ))
                .and_code(caller.cmd("ambassadors announcements"))
                .and("."),
            ),
        )])
    }

    /// The caller's recent announcements with their own receipt, newest first.
    async fn my_announcements(
        &self,
        caller: &Caller,
    ) -> StoreResult<Vec<(Announcement, AnnouncementRecipient)>> {
        let recent = self
            .store
            .announcements(self.clock.now() - Duration::days(RECENT_DAYS))
            .await?;
        let ids: Vec<_> = recent.iter().map(|a| a.id).collect();
        let mine: BTreeMap<_, _> = self
            .store
            .announcement_recipients(&ids)
            .await?
            .into_iter()
            .filter(|r| r.ambassador.person.id == caller.person.id)
            .map(|r| (r.announcement, r))
            .collect();
        Ok(recent
            .into_iter()
            .filter_map(|a| mine.get(&a.id).cloned().map(|r| (a, r)))
            .collect())
    }

    pub(crate) async fn ack(&self, caller: &Caller, shared: bool) -> Outcome {
        let mine = self.my_announcements(caller).await?;
        let target = mine.iter().find(|(_, r)| {
            if shared {
                r.shared_at.is_none()
            } else {
                r.acked_at.is_none()
            }
        });
        let Some((a, _)) = target else {
            return Err(refuse(if mine.is_empty() {
                "You have no announcement to acknowledge."
            } else if shared {
                "You have already marked every recent announcement as shared. Thank you!"
            } else {
                "You have acknowledged every announcement. Thank you!"
            }));
        };
        self.store
            .acknowledge_announcement(a.id, caller.person.id, shared, self.clock.now())
            .await?;
        let open = mine
            .iter()
            .filter(|(x, r)| x.id != a.id && r.acked_at.is_none())
            .count();
        let tz = caller
            .ambassador
            .as_ref()
            .map(|x| x.time_zone.clone())
            .unwrap_or_default();
        let mut m = Message::text(format!(
            "Thanks! {} “{}” from {}.",
            if shared {
                "Noted that you shared"
            } else {
                "Acknowledged"
            },
            snippet(&a.text),
            local_time(a.created_at, &tz)
        ));
        if open > 0 {
            m = m.context(
                Rich::text(format!("{open} more open: ")).and_code(caller.cmd("ambassadors inbox")),
            );
        }
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn inbox(&self, caller: &Caller) -> Outcome {
        let open = self.store.open_announcements(caller.person.id).await?;
        if open.is_empty() {
            return Ok(vec![Reply::caller(Message::text(
                "Your inbox is empty: every announcement is acknowledged.",
            ))]);
        }
        let tz = caller
            .ambassador
            .as_ref()
            .map(|x| x.time_zone.clone())
            .unwrap_or_default();
        let items = open
            .iter()
            .map(|a| {
                Rich::strong(local_time(a.created_at, &tz))
                    .and(", from ")
                    .and_mention(&a.author)
                    .and(format!(": {}", a.text))
            })
            .collect();
        Ok(vec![Reply::caller(
            Message::new()
                .heading(format!("Open announcements ({})", open.len()))
                .list(items)
                .context(
                    Rich::text("Acknowledge the newest with ")
                        .and_code(caller.cmd("ambassadors ack"))
                        .and(" or ")
                        .and_code(caller.cmd("ambassadors ack shared"))
                        .and("."),
                ),
        )])
    }

    /// Announcements of the last [`RECENT_DAYS`] days, newest first (at most `most`), each with its
    /// recipients (what `/ambassadors announcements` and the dashboard's activity page show).
    pub(crate) async fn recent_announcements(
        &self,
        most: usize,
    ) -> StoreResult<Vec<(Announcement, Vec<AnnouncementRecipient>)>> {
        let recent = self
            .store
            .announcements(self.clock.now() - Duration::days(RECENT_DAYS))
            .await?;
        let shown: Vec<Announcement> = recent.into_iter().take(most).collect();
        let ids: Vec<_> = shown.iter().map(|a| a.id).collect();
        let mut recipients: BTreeMap<crate::model::AnnouncementId, Vec<AnnouncementRecipient>> =
            BTreeMap::new();
        for r in self.store.announcement_recipients(&ids).await? {
            recipients.entry(r.announcement).or_default().push(r);
        }
        Ok(shown
            .into_iter()
            .map(|a| {
                let mine = recipients.remove(&a.id).unwrap_or_default();
                (a, mine)
            })
            .collect())
    }

    pub(crate) async fn announcements_view(&self, caller: &Caller) -> Outcome {
        let now = self.clock.now();
        let recent = self.recent_announcements(ANNOUNCEMENTS_SHOWN).await?;
        let mut m = Message::new().heading("Announcements");
        if recent.is_empty() {
            return Ok(vec![Reply::caller(
                m.paragraph(
                    Rich::text("No announcements in the last 90 days. Send one with ")
                        .and_code(caller.cmd("ambassadors announce <text>")),
                ),
            )]);
        }
        let tz = self.settings.time_zone.name().to_string();
        for (a, mine) in &recent {
            let by_region = receipts_by_region(mine.iter());
            let (n, acked, shared) = by_region
                .values()
                .fold((0, 0, 0), |t, v| (t.0 + v.0, t.1 + v.1, t.2 + v.2));
            m = m.paragraph(
                Rich::strong(format!(
                    "{} · {}",
                    local_time(a.created_at, &tz),
                    a.audience
                ))
                .and(format!(": {}", snippet(&a.text))),
            );
            m = m.table(
                &["Region", "Received", "Acknowledged", "Shared"],
                &[false, true, true, true],
                by_region
                    .iter()
                    .map(|(region, (r, k, s))| {
                        vec![
                            Rich::text(region.clone()),
                            Rich::text(r.to_string()),
                            Rich::text(format!("{k} ({}%)", percent(u64::from(*k), u64::from(*r)))),
                            Rich::text(format!("{s} ({}%)", percent(u64::from(*s), u64::from(*r)))),
                        ]
                    })
                    .chain(std::iter::once(vec![
                        Rich::text("All"),
                        Rich::text(n.to_string()),
                        Rich::text(format!(
                            "{acked} ({}%)",
                            percent(u64::from(acked), u64::from(n))
                        )),
                        Rich::text(format!(
                            "{shared} ({}%)",
                            percent(u64::from(shared), u64::from(n))
                        )),
                    ]))
                    .collect(),
            );
            if now - a.created_at >= self.settings.announce_remind_after {
                let silent: Vec<_> = mine
                    .iter()
                    .filter(|r| r.acked_at.is_none())
                    .map(|r| r.ambassador.person.as_ref())
                    .collect();
                if !silent.is_empty() {
                    m = m.context(
                        Rich::text("Not acknowledged, even after a reminder: ")
                            .and_mentions(&silent),
                    );
                }
            }
        }
        Ok(vec![Reply::caller(m)])
    }

    pub(crate) async fn plan_announcement_reminders(
        &self,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<Effects> {
        // This occurrence is `announce_remind_after` after one or more announcements: remind of
        // every announcement made up to then.
        let made_until =
            occurrence - self.settings.announce_remind_after + Duration::microseconds(1);
        let due = self.store.announcement_reminders_due(made_until).await?;
        let mut effects = Effects::default();
        for (a, r) in due {
            if r.ambassador.status != AmbassadorStatus::Active {
                continue;
            }
            let p = &r.ambassador.person;
            effects.announcement_reminded.push((a.id, p.id));
            effects.outbox.push(Outgoing {
                key: format!("announce:{}:{}:reminder", a.key, p.id),
                to: Destination::Direct(p.account.clone()),
                message: Message::text(
                    Rich::text(format!(
                        "A reminder: the program office's announcement of {} is waiting for you: “{}” ",
                        local_time(a.created_at, &r.ambassador.time_zone),
                        snippet(&a.text)
                    ))
                    .and_code(p.account.command("ambassadors inbox"))
                    .and(" shows it; ")
                    .and_code(p.account.command("ambassadors ack"))
                    .and(" acknowledges it."),
                ),
            });
        }
        Ok(effects)
    }
}

/// Recipients by region: (received, acknowledged, shared), the one count of the chat view and the
/// dashboard.
pub(crate) fn receipts_by_region<'a>(
    recipients: impl Iterator<Item = &'a AnnouncementRecipient>,
) -> BTreeMap<String, (u32, u32, u32)> {
    let mut by_region: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    for r in recipients {
        let e = by_region
            .entry(r.ambassador.department.region.clone())
            .or_default();
        e.0 += 1;
        e.1 += u32::from(r.acked_at.is_some());
        e.2 += u32::from(r.shared_at.is_some());
    }
    by_region
}
