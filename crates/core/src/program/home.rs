//! The viewer's home page (Slack's App Home tab): their kudos, their ambassador status with the
//! check-in open now or the next one, and for the program office coverage at a glance. Gathered by
//! [`Program::home`], laid out by the pure [`home_message`].

use super::checkin::local_time;
use super::coverage::CoverageReport;
use super::schedule::in_cadence;
use super::{Inbound, Program, percent};
use crate::command::Role;
use crate::message::{Button, FormKind, Message, Rich};
use crate::model::{Ambassador, AmbassadorStatus, Checkin, CheckinStatus, Kudos, PersonRef};
use crate::ports::{Clock, Store, StoreError};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// How many of the latest kudos received the home page shows.
pub const HOME_KUDOS: usize = 5;
/// How many uncovered departments the office's glance names.
pub const HOME_UNCOVERED: usize = 10;

/// The viewer's kudos.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeKudos {
    pub received: u32,
    pub given: u32,
    /// The latest received, newest first, at most [`HOME_KUDOS`].
    pub latest: Vec<Kudos>,
}

/// Where the viewer stands in the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HomeStatus {
    /// On the roster, active or paused.
    Ambassador {
        ambassador: Box<Ambassador>,
        /// The check-in that takes answers now.
        open: Option<Checkin>,
        /// When the next prompt goes out, when none is open (none while paused).
        next: Option<DateTime<Utc>>,
    },
    /// Not on the roster (or alumni); `applied`: an application is with the office or in draft.
    Member { applied: bool },
}

/// Coverage at a glance, for the program office.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfficeGlance {
    pub departments: u32,
    pub covered: u32,
    pub ambassadors: u32,
    /// Names of uncovered departments, the largest first, at most [`HOME_UNCOVERED`].
    pub uncovered: Vec<String>,
    /// How many departments are uncovered in all.
    pub uncovered_count: u32,
    /// Active ambassadors without a sign of life (check-in answer, activity, kudos given) within
    /// the lifecycle's nudge period.
    pub silent: u32,
    /// That period, in days.
    pub silent_days: i64,
}

/// Everything the home page shows, gathered from the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    pub viewer: PersonRef,
    pub kudos: HomeKudos,
    pub status: HomeStatus,
    pub office: Option<OfficeGlance>,
    /// `/` or `!`: how the viewer writes commands.
    pub prefix: char,
    /// The program's time zone, for the dates of kudos.
    pub time_zone: Tz,
}

/// The home page as a message (well under 100 blocks: about fifteen).
pub fn home_message(home: &Home) -> Message {
    let cmd = |c: &str| format!("{}{c}", home.prefix);
    let k = &home.kudos;
    let mut m = Message::new()
        .heading(format!("Hi {}!", home.viewer.display_name))
        .heading("Your kudos")
        .fields(vec![
            ("Received".into(), Rich::text(k.received.to_string())),
            ("Given".into(), Rich::text(k.given.to_string())),
        ]);
    if k.latest.is_empty() {
        m = m.paragraph("No kudos received yet — they will come!");
    } else {
        m = m.paragraph("Latest received:").list(
            k.latest
                .iter()
                .map(|k| {
                    Rich::text(format!(
                        "{} from ",
                        k.given_at.with_timezone(&home.time_zone).date_naive()
                    ))
                    .and_mention(&k.giver)
                    .and(": ")
                    .and_em(k.reason.clone())
                })
                .collect(),
        );
    }
    m = m
        .context(
            Rich::text("Thank someone: ")
                .and_code(cmd("kudos @person for <what they did>"))
                .and(" · all yours: ")
                .and_code(cmd("kudos mine")),
        )
        .divider();
    match &home.status {
        // The office's own page is about the program; not about joining it.
        HomeStatus::Member { .. } if home.office.is_some() => {}
        HomeStatus::Ambassador {
            ambassador: a,
            open,
            next,
        } => {
            m = m.heading("Your ambassador status");
            let status = match (a.status, a.checkins_paused_until) {
                (AmbassadorStatus::Paused, _) => "Paused".to_string(),
                (_, Some(until)) if next.is_some() || open.is_some() => {
                    format!("Active (check-ins paused until {until})")
                }
                _ => "Active".to_string(),
            };
            m = m.fields(vec![
                ("Department".into(), Rich::text(a.department.name.clone())),
                ("Region".into(), Rich::text(a.department.region.clone())),
                ("Ambassador since".into(), Rich::text(a.since.to_string())),
                ("Status".into(), Rich::text(status)),
            ]);
            let checkin = match (open, next) {
                (Some(c), _) => {
                    let closes = local_time(c.closes_at, &a.time_zone);
                    match c.status {
                        CheckinStatus::Answered => Rich::text("Check-in: ")
                            .and_strong("answered")
                            .and(format!(", thank you! You can add to it until {closes}: ")),
                        CheckinStatus::Skipped => {
                            Rich::text("Check-in: skipped this round; you can still answer until ")
                                .and(format!("{closes}: "))
                        }
                        _ => Rich::text("Check-in: ").and_strong("open now").and(format!(
                            " until {closes}. Answer in a direct message to me or with "
                        )),
                    }
                    .and_code(cmd("checkin <your answer>"))
                }
                (None, Some(at)) => Rich::text(format!(
                    "Next check-in: {} ({}).",
                    local_time(*at, &a.time_zone),
                    a.time_zone
                )),
                (None, None) if a.status == AmbassadorStatus::Paused => {
                    Rich::text("No check-ins while you are paused; the program office resumes you.")
                }
                (None, None) => Rich::text("No check-in is planned."),
            };
            m = m.paragraph(checkin);
            if open.is_some() {
                m = m.buttons(vec![
                    Button::form("Answer the check-in", FormKind::Checkin).primary(),
                ]);
            }
            m = m.context(
                Rich::text("Away? ")
                    .and_code(cmd("checkin pause until <YYYY-MM-DD>"))
                    .and(" · your record: ")
                    .and_code(cmd("ambassadors record"))
                    .and(" · stepping down: ")
                    .and_code(cmd("ambassadors stepdown")),
            );
        }
        HomeStatus::Member { applied } => {
            m = m
                .heading("Your ambassador status")
                .paragraph("You are not an ambassador. Ambassadors connect their department with the program office and help teams work in the open.")
                .list(vec![
                    Rich::text("Find your department's ambassador: ")
                        .and_code(cmd("ambassadors who <department>")),
                    Rich::text("All ambassadors: ").and_code(cmd("ambassadors list")),
                    if *applied {
                        Rich::text("Your application is with the program office; to take it back: ")
                            .and_code(cmd("ambassadors withdraw"))
                    } else {
                        Rich::text("Become one: ").and_code(cmd("ambassadors apply"))
                    },
                ]);
            if !*applied {
                m = m.buttons(vec![Button::form("Apply", FormKind::Application)]);
            }
        }
    }
    if let Some(o) = &home.office {
        if matches!(home.status, HomeStatus::Ambassador { .. }) {
            m = m.divider();
        }
        m = m.heading("Coverage at a glance").fields(vec![
            (
                "Departments with an ambassador".into(),
                Rich::text(format!(
                    "{} of {} ({}%)",
                    o.covered,
                    o.departments,
                    percent(u64::from(o.covered), u64::from(o.departments))
                )),
            ),
            (
                "Active ambassadors".into(),
                Rich::text(o.ambassadors.to_string()),
            ),
            (
                "Silent ambassadors".into(),
                Rich::text(format!("{} (nothing in {} days)", o.silent, o.silent_days)),
            ),
        ]);
        if o.uncovered_count == 0 && o.departments > 0 {
            m = m.paragraph("Every department has an ambassador.");
        } else if o.uncovered_count > 0 {
            let mut line = Rich::text("Uncovered: ").and(o.uncovered.join(", "));
            let more =
                o.uncovered_count as usize - o.uncovered.len().min(o.uncovered_count as usize);
            if more > 0 {
                line = line.and(format!(" and {more} more"));
            }
            m = m.paragraph(line);
        } else {
            m = m.paragraph(
                Rich::text("No departments yet: ")
                    .and_code(cmd("ambassadors dept add <name> <region> [headcount]")),
            );
        }
        m = m.context(
            Rich::text("More: ")
                .and_code(cmd("ambassadors coverage"))
                .and(" · ")
                .and_code(cmd("ambassadors checkins"))
                .and(" · ")
                .and_code(cmd("ambassadors applications")),
        );
        m = m.buttons(vec![
            Button::command("Coverage report", "ambassadors coverage"),
            Button::command("Check-ins", "ambassadors checkins"),
            Button::command("Applications", "ambassadors applications"),
        ]);
    }
    m
}

impl<S: Store, C: Clock> Program<S, C> {
    /// The home page of the person in `viewer` (its `sender`; `room` and `text` are unused).
    pub async fn home(&self, viewer: &Inbound) -> Result<Message, StoreError> {
        let prefix = viewer.sender.platform.command_prefix();
        let caller = self.caller(viewer, prefix, &[]).await?;
        let home = self.gather_home(&caller).await?;
        Ok(home_message(&home))
    }

    async fn gather_home(&self, caller: &super::Caller) -> Result<Home, StoreError> {
        let person = &caller.person;
        let now = self.clock.now();
        let received = self.store.kudos_received(person.id).await?;
        let (count, given) = self.store.kudos_counts(person.id).await?;
        let kudos = HomeKudos {
            received: count,
            given,
            latest: received.into_iter().rev().take(HOME_KUDOS).collect(),
        };
        let status = match &caller.ambassador {
            Some(a) => {
                let open = self.store.current_checkin(person.id, now).await?;
                let next = match (&open, a.status) {
                    (None, AmbassadorStatus::Active) => self.next_prompt(a, now),
                    _ => None,
                };
                HomeStatus::Ambassador {
                    ambassador: Box::new(a.clone()),
                    open,
                    next,
                }
            }
            None => HomeStatus::Member {
                applied: self.store.pending_application(person.id).await?.is_some(),
            },
        };
        let office = match caller.role {
            Role::Office => Some(self.glance(now).await?),
            _ => None,
        };
        Ok(Home {
            viewer: person.as_ref(),
            kudos,
            status,
            office,
            prefix: caller.prefix,
            time_zone: self.settings.time_zone,
        })
    }

    /// The next check-in prompt of an active ambassador: in their time zone, in the cadence, past
    /// a vacation pause.
    pub(crate) fn next_prompt(&self, a: &Ambassador, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let c = &self.settings.checkins;
        let tz: Tz = a.time_zone.parse().unwrap_or(self.settings.time_zone);
        let mut after = now;
        for _ in 0..200 {
            let at = c.schedule.next_after(tz, after)?;
            let day = at.with_timezone(&tz).date_naive();
            if in_cadence(day, c.every_weeks) && a.checkins_paused_until.is_none_or(|u| u < day) {
                return Some(at);
            }
            after = at;
        }
        None
    }

    async fn glance(&self, now: DateTime<Utc>) -> Result<OfficeGlance, StoreError> {
        let report = CoverageReport::build(self.store.coverage(None).await?, &self.settings);
        let mut uncovered: Vec<_> = report
            .lines
            .iter()
            .filter(|l| l.active.is_empty())
            .collect();
        uncovered.sort_by_key(|l| std::cmp::Reverse(l.department.headcount));
        let quiet = self.settings.lifecycle.nudge_after;
        let silent = self
            .store
            .last_active()
            .await?
            .iter()
            .filter(|life| {
                now - super::lifecycle::quiet_from(life, self.settings.time_zone) >= quiet
            })
            .count();
        Ok(OfficeGlance {
            departments: report.total.departments,
            covered: report.total.covered,
            ambassadors: report.total.ambassadors,
            uncovered_count: uncovered.len() as u32,
            uncovered: uncovered
                .iter()
                .take(HOME_UNCOVERED)
                .map(|l| l.department.name.clone())
                .collect(),
            silent: silent as u32,
            silent_days: quiet.num_days(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Block, render_plain};
    use crate::model::{Account, Department, Person, Platform};
    use chrono::{NaiveDate, TimeZone};

    fn slack(id: &str, name: &str) -> PersonRef {
        PersonRef {
            account: Account::new(Platform::Slack, id),
            display_name: name.into(),
        }
    }

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap()
    }

    fn kudos(id: i64, from: &str, reason: &str, day: u32) -> Kudos {
        Kudos {
            id,
            giver: slack(&format!("U{id}"), from),
            receivers: vec![slack("U2", "Bob")],
            reason: reason.into(),
            tags: vec![],
            given_at: at(day, 12),
            room: "C0GENERAL".into(),
        }
    }

    fn bob_in_finance(status: AmbassadorStatus) -> Ambassador {
        Ambassador {
            person: Person {
                id: 2,
                account: Account::new(Platform::Slack, "U2"),
                display_name: "Bob".into(),
                time_zone: None,
                time_zone_chosen: false,
            },
            department: Department {
                id: 1,
                name: "Finance".into(),
                region: "EMEA".into(),
                headcount: Some(120),
            },
            status,
            since: NaiveDate::from_ymd_opt(2024, 12, 2).unwrap(),
            until: None,
            time_zone: "Europe/Berlin".into(),
            checkins_paused_until: None,
        }
    }

    fn home(status: HomeStatus) -> Home {
        Home {
            viewer: slack("U2", "Bob"),
            kudos: HomeKudos {
                received: 7,
                given: 3,
                latest: vec![
                    kudos(1, "Ada", "“the release checklist”", 3),
                    kudos(3, "Carol", "fixing CI", 1),
                ],
            },
            status,
            office: None,
            prefix: '/',
            time_zone: Tz::UTC,
        }
    }

    fn open_checkin(status: CheckinStatus) -> Checkin {
        Checkin {
            round: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            person: 2,
            status,
            prompted_at: at(3, 8),
            closes_at: at(9, 8),
            reminded_at: None,
            answer: String::new(),
            answered_at: None,
            flagged: false,
        }
    }

    #[test]
    fn an_ambassador_sees_their_kudos_their_post_and_the_open_checkin() {
        let page = home_message(&home(HomeStatus::Ambassador {
            ambassador: Box::new(bob_in_finance(AmbassadorStatus::Active)),
            open: Some(open_checkin(CheckinStatus::Open)),
            next: None,
        }));
        let text = render_plain(&page);
        for wanted in [
            "*Hi Bob!*",
            "Received: 7",
            "Given: 3",
            "• 2025-03-03 from @Ada: _“the release checklist”_",
            "• 2025-03-01 from @Carol: _fixing CI_",
            "Department: Finance",
            "Region: EMEA",
            "Ambassador since: 2024-12-02",
            "Status: Active",
            // Closing time in the ambassador's zone (Berlin is UTC+1 in March).
            "Check-in: *open now* until Sunday 9 March, 09:00",
            "`/checkin <your answer>`",
        ] {
            assert!(text.contains(wanted), "{wanted:?} in\n{text}");
        }
        assert!(!text.contains("Coverage"), "{text}");
        assert!(!text.contains("not an ambassador"), "{text}");
        // Newest first, as given.
        assert!(text.find("@Ada").unwrap() < text.find("@Carol").unwrap());

        let answered = render_plain(&home_message(&home(HomeStatus::Ambassador {
            ambassador: Box::new(bob_in_finance(AmbassadorStatus::Active)),
            open: Some(open_checkin(CheckinStatus::Answered)),
            next: None,
        })));
        assert!(answered.contains("*answered*, thank you!"), "{answered}");
    }

    #[test]
    fn the_next_checkin_or_the_pause_is_shown_when_none_is_open() {
        let mut ambassador = bob_in_finance(AmbassadorStatus::Active);
        ambassador.checkins_paused_until = NaiveDate::from_ymd_opt(2025, 3, 12);
        let next = render_plain(&home_message(&home(HomeStatus::Ambassador {
            ambassador: Box::new(ambassador),
            open: None,
            next: Some(at(17, 8)),
        })));
        assert!(
            next.contains("Next check-in: Monday 17 March, 09:00 (Europe/Berlin)."),
            "{next}"
        );
        assert!(
            next.contains("Status: Active (check-ins paused until 2025-03-12)"),
            "{next}"
        );
        let paused = render_plain(&home_message(&home(HomeStatus::Ambassador {
            ambassador: Box::new(bob_in_finance(AmbassadorStatus::Paused)),
            open: None,
            next: None,
        })));
        assert!(paused.contains("Status: Paused"), "{paused}");
        assert!(
            paused.contains("No check-ins while you are paused"),
            "{paused}"
        );
    }

    #[test]
    fn a_member_learns_how_to_find_their_ambassador_and_apply() {
        let mut page = home(HomeStatus::Member { applied: false });
        page.kudos = HomeKudos {
            received: 0,
            given: 0,
            latest: vec![],
        };
        page.prefix = '!';
        let text = render_plain(&home_message(&page));
        for wanted in [
            "No kudos received yet",
            "You are not an ambassador",
            "`!ambassadors who <department>`",
            "`!ambassadors list`",
            "Become one: `!ambassadors apply`",
        ] {
            assert!(text.contains(wanted), "{wanted:?} in\n{text}");
        }
        let applied = render_plain(&home_message(&home(HomeStatus::Member { applied: true })));
        assert!(
            applied.contains("Your application is with the program office"),
            "{applied}"
        );
        assert!(!applied.contains("Become one"), "{applied}");
    }

    #[test]
    fn the_office_sees_coverage_at_a_glance_in_a_few_blocks() {
        let mut page = home(HomeStatus::Member { applied: false });
        page.office = Some(OfficeGlance {
            departments: 40,
            covered: 25,
            ambassadors: 31,
            uncovered: (1..=HOME_UNCOVERED).map(|i| format!("Dept {i}")).collect(),
            uncovered_count: 15,
            silent: 4,
            silent_days: 60,
        });
        let message = home_message(&page);
        let text = render_plain(&message);
        for wanted in [
            "Departments with an ambassador: 25 of 40 (63%)",
            "Active ambassadors: 31",
            "Silent ambassadors: 4 (nothing in 60 days)",
            "Uncovered: Dept 1, Dept 2,",
            "Dept 10 and 5 more",
            "`/ambassadors coverage`",
            "`/ambassadors checkins`",
        ] {
            assert!(text.contains(wanted), "{wanted:?} in\n{text}");
        }
        // The office's page is not an invitation to apply.
        assert!(!text.contains("not an ambassador"), "{text}");
        assert!(message.blocks.len() <= 20, "{}", message.blocks.len());
        assert!(
            !matches!(message.blocks.last(), Some(Block::Divider)),
            "no trailing divider"
        );

        page.office.as_mut().unwrap().uncovered = vec![];
        page.office.as_mut().unwrap().uncovered_count = 0;
        let all = render_plain(&home_message(&page));
        assert!(all.contains("Every department has an ambassador."), "{all}");
    }
}
