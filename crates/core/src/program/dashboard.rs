//! The figures of the web dashboard, by the same rules as the chat views: coverage as
//! `/ambassadors coverage` classifies it, participation as `/ambassadors checkins` counts it,
//! recognition from the kudos the store keeps (people who opted out left out of the names). The
//! binary draws them; nothing here knows HTML.

use super::checkin_views::{CheckinCounts, ResponseRate};
use super::coverage::CoverageReport;
use super::lifecycle::quiet_from;
use super::{Caller, Outcome, Program, count, refuse, resolve_local};
use crate::command::Role;
use crate::message::{Message, Reply};
use crate::model::{AmbassadorStatus, Person, PersonRef, RoundFigures, RoundId, SignIn, name_key};
use crate::ports::{Clock, Store, StoreResult};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Who looks at the dashboard, and what that lets them see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub person: Person,
    pub role: Role,
    /// The region of their roster entry (active or paused), for an ambassador.
    pub region: Option<String>,
}

/// One check-in round: its counts and response rate as `/ambassadors checkins` shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundLine {
    pub round: RoundId,
    /// Still taking answers: its rate is not counted yet.
    pub open: bool,
    pub counts: CheckinCounts,
    pub rate: ResponseRate,
    pub median_to_answer: Option<Duration>,
}

/// An ambassador who has been quiet for at least the nudge period (the office's Home tab counts
/// the same people).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silent {
    pub person: PersonRef,
    pub department: String,
    pub region: String,
    /// Where the quiet spell began: their last sign of life, their term's start, or when the bot
    /// first knew them, whichever is latest.
    pub quiet_since: DateTime<Utc>,
}

/// Check-in participation over the last [`PARTICIPATION_WEEKS`] weeks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Participation {
    /// Every round, oldest first.
    pub rounds: Vec<RoundLine>,
    /// The same per region (by name key, ordered), each with its rounds oldest first.
    pub regions: Vec<(String, Vec<RoundLine>)>,
    /// Quiet ambassadors, longest quiet first: for the office only (empty for anyone else).
    pub silent: Vec<Silent>,
}

/// How far back the participation page looks, like `/ambassadors checkins`.
pub const PARTICIPATION_WEEKS: i64 = 26;

/// Kudos over the last weeks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recognition {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Kudos given per week (weeks start on Monday, in the program's time zone), oldest first;
    /// weeks without kudos included.
    pub weeks: Vec<(NaiveDate, u64)>,
    /// Kudos per region of their receivers' roster entries (a kudos counts once in each region
    /// among its receivers; receivers not on the roster under "not on the roster").
    pub regions: Vec<(String, u64)>,
    /// Kudos per department of their receivers' roster entries (alumni included; a kudos counts
    /// once in each department among its receivers): (department, region, kudos), most first.
    pub departments: Vec<(String, String, u64)>,
    /// The most generous givers and the most thanked receivers, people who opted out left out.
    pub givers: Vec<(PersonRef, u64)>,
    pub receivers: Vec<(PersonRef, u64)>,
    /// Tags and how many kudos carried each, most used first.
    pub tags: Vec<(String, u64)>,
    pub total: u64,
}

/// How many people the recognition page names in each of its top lists.
pub const TOP_PEOPLE: usize = 10;

/// Activities of a quarter and the latest announcements' receipts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityOverview {
    pub year: i32,
    pub quarter: u32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Per region of the author's roster entry: activities logged and the people they reached
    /// (the sum of the audiences given), as the quarterly report counts them.
    pub regions: Vec<(String, u32, u64)>,
    /// Activities per tag, the most used first.
    pub tags: Vec<(String, u32)>,
    /// The latest announcements (up to [`ANNOUNCEMENTS_SHOWN`], of the last 90 days), newest
    /// first: when, to whom, what, and per region (received, acknowledged, shared), as
    /// `/ambassadors announcements` counts them.
    pub announcements: Vec<AnnouncementLine>,
}

/// One announcement and its receipts by region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnouncementLine {
    pub created_at: DateTime<Utc>,
    pub audience: String,
    pub text: String,
    pub regions: Vec<(String, u32, u32, u32)>,
}

/// How many announcements the activity page shows.
pub const ANNOUNCEMENTS_SHOWN: usize = 10;

impl<S: Store, C: Clock> Program<S, C> {
    /// `ambassadors dashboard`: a one-time sign-in link, by direct message (the link signs its
    /// holder in as the caller, so it never goes to a channel).
    pub(crate) async fn dashboard_link(&self, caller: &Caller) -> Outcome {
        let Some(base) = self.settings.dashboard.base_url.as_deref() else {
            return Err(refuse(
                "The web dashboard is not switched on here. The program office can set it up (`dashboard.base_url` in the bot's configuration).",
            ));
        };
        let valid_for = self.settings.dashboard.link_valid_for;
        let token = self
            .store
            .issue_sign_in_link(caller.person.id, self.clock.now(), valid_for)
            .await?;
        let url = format!(
            "{}/dashboard/sign-in?token={token}",
            base.trim_end_matches('/')
        );
        let minutes = valid_for.num_minutes().max(1);
        let link = Message::new()
            .heading("Your dashboard link")
            .paragraph(url)
            .context(format!(
                "It works once, within {}, and signs in as you: do not pass it on. You see {}.",
                count(minutes as u64, "minute", "minutes"),
                match caller.role {
                    Role::Office => "everything",
                    Role::Ambassador => {
                        "coverage, recognition, activity and your region's participation"
                    }
                    Role::Member => "coverage and recognition",
                }
            ));
        let mut replies = vec![Reply::caller_direct(link)];
        if !caller.direct {
            replies.push(Reply::caller(Message::text(
                "I sent you a sign-in link for the dashboard by direct message.",
            )));
        }
        Ok(replies)
    }

    /// Uses a sign-in link: a session for its person, or why not.
    pub async fn sign_in(&self, token: &str) -> StoreResult<SignIn> {
        self.store
            .redeem_sign_in_link(token, self.clock.now())
            .await
    }

    /// Who holds the session `token`, when it has not ended; the session counts as used now.
    pub async fn session_viewer(&self, token: &str) -> StoreResult<Option<Viewer>> {
        let idle = self.settings.dashboard.session_idle;
        match self
            .store
            .session_person(token, self.clock.now(), idle)
            .await?
        {
            Some(person) => {
                let ambassador = self.store.ambassador(person.id).await?;
                Ok(Some(self.viewer_of(person, ambassador)))
            }
            None => Ok(None),
        }
    }

    /// Ends the session `token`.
    pub async fn sign_out(&self, token: &str) -> StoreResult<()> {
        self.store.end_session(token).await
    }

    /// `person` as a viewer of the dashboard, with their roster entry if they have one: the
    /// office, an ambassador (active or paused) or a member.
    fn viewer_of(&self, person: Person, ambassador: Option<crate::model::Ambassador>) -> Viewer {
        let ambassador = ambassador.filter(|a| a.status != AmbassadorStatus::Alumni);
        let role = if self.settings.office.contains(&person.account) {
            Role::Office
        } else if ambassador.is_some() {
            Role::Ambassador
        } else {
            Role::Member
        };
        Viewer {
            person,
            role,
            region: ambassador.map(|a| a.department.region),
        }
    }

    /// Coverage of the whole organization, as `/ambassadors coverage` computes it.
    pub async fn coverage_report(&self) -> StoreResult<CoverageReport> {
        Ok(CoverageReport::build(
            self.store.coverage(None).await?,
            &self.settings,
        ))
    }

    /// For each of `days`, how many departments of each region of `report` had an ambassador in
    /// office that day by their term dates (a pause is not dated, so a paused ambassador counts),
    /// departments in the region they are in now: (region, one count per day), the regions of
    /// `report` in order, then the whole organization (region "").
    pub async fn coverage_on(
        &self,
        report: &CoverageReport,
        days: &[NaiveDate],
    ) -> StoreResult<Vec<(String, Vec<u32>)>> {
        let region_of: std::collections::HashMap<crate::model::DepartmentId, String> = report
            .lines
            .iter()
            .map(|l| (l.department.id, name_key(&l.department.region)))
            .collect();
        let mut rows: Vec<(String, Vec<u32>)> = report
            .regions
            .iter()
            .map(|r| (r.region.clone(), vec![0; days.len()]))
            .chain(std::iter::once((String::new(), vec![0; days.len()])))
            .collect();
        for (i, day) in days.iter().enumerate() {
            for id in self.store.departments_in_office_on(*day).await? {
                let Some(key) = region_of.get(&id) else {
                    continue;
                };
                if let Some(row) = rows.iter_mut().find(|r| name_key(&r.0) == *key) {
                    row.1[i] += 1;
                }
                if let Some(total) = rows.last_mut() {
                    total.1[i] += 1;
                }
            }
        }
        Ok(rows)
    }

    /// Participation in check-ins over the last [`PARTICIPATION_WEEKS`] weeks; with `region`, only
    /// that region's ambassadors. Quiet ambassadors are listed for the office only.
    pub async fn participation(
        &self,
        viewer: &Viewer,
        region: Option<&str>,
    ) -> StoreResult<Participation> {
        let now = self.clock.now();
        let from = self.today() - Duration::weeks(PARTICIPATION_WEEKS);
        let line = |f: &RoundFigures| {
            let counts = f.counts;
            let open = f.last_closes_at > now;
            RoundLine {
                round: f.round,
                open,
                counts,
                rate: ResponseRate::of_round(counts, open),
                median_to_answer: f.median_to_answer,
            }
        };
        // The rounds' figures and the quiet ambassadors (the office's only) are read side by side.
        let quiet = self.settings.lifecycle.nudge_after;
        let lives = async {
            if viewer.role == Role::Office {
                self.store.last_active(Some(now - quiet)).await
            } else {
                Ok(Vec::new())
            }
        };
        let (figures, lives) = tokio::try_join!(self.store.round_figures(from, region), lives)?;
        let mut rounds = Vec::new();
        let mut by_region: BTreeMap<String, (String, Vec<RoundLine>)> = BTreeMap::new();
        for f in figures {
            match &f.region {
                None => rounds.push(line(&f)),
                Some(name) => by_region
                    .entry(name_key(name))
                    .or_insert_with(|| (name.clone(), Vec::new()))
                    .1
                    .push(line(&f)),
            }
        }
        let regions = by_region.into_values().collect();
        let in_scope = |r: &str| region.is_none_or(|wanted| name_key(wanted) == name_key(r));
        let mut silent = Vec::new();
        for life in lives {
            let since = quiet_from(&life, self.settings.time_zone);
            let a = &life.ambassador;
            if now - since >= quiet && in_scope(&a.department.region) {
                silent.push(Silent {
                    person: a.person.as_ref(),
                    department: a.department.name.clone(),
                    region: a.department.region.clone(),
                    quiet_since: since,
                });
            }
        }
        silent.sort_by_key(|s| s.quiet_since);
        Ok(Participation {
            rounds,
            regions,
            silent,
        })
    }

    /// The activities of the quarter `year`-Q`quarter` by region and tag; with `announcements`,
    /// the latest announcements' receipts too (for the office).
    pub async fn activity_overview(
        &self,
        year: i32,
        quarter: u32,
        announcements: bool,
    ) -> StoreResult<ActivityOverview> {
        let (from, end) = super::quarter::quarter_days(year, quarter);
        let to = end.pred_opt().expect("a day before");
        let entries = self
            .store
            .activities(&crate::model::ActivityFilter {
                from: Some(from),
                to: Some(to),
                ..crate::model::ActivityFilter::default()
            })
            .await?;
        let mut regions: BTreeMap<String, (String, u32, u64)> = BTreeMap::new();
        for e in &entries {
            let region = &e.ambassador.department.region;
            let r = regions
                .entry(name_key(region))
                .or_insert_with(|| (region.clone(), 0, 0));
            r.1 += 1;
            r.2 += e.activity.audience.map(u64::from).unwrap_or(0);
        }
        let tags = super::activity::tags_counted(entries.iter())
            .into_iter()
            .map(|(t, n)| (t.to_string(), n))
            .collect();
        let announcements = if announcements {
            self.recent_announcements(ANNOUNCEMENTS_SHOWN)
                .await?
                .into_iter()
                .map(|(a, recipients)| AnnouncementLine {
                    created_at: a.created_at,
                    audience: a.audience,
                    text: a.text,
                    regions: super::announce::receipts_by_region(recipients.iter())
                        .into_iter()
                        .map(|(r, (n, acked, shared))| (r, n, acked, shared))
                        .collect(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(ActivityOverview {
            year,
            quarter,
            from,
            to,
            regions: regions.into_values().collect(),
            tags,
            announcements,
        })
    }

    /// Kudos over the `weeks` weeks up to today (the current week included).
    pub async fn recognition(&self, weeks: u32) -> StoreResult<Recognition> {
        let tz = self.settings.time_zone;
        let today = self.today();
        let this_week = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        let first = this_week - Duration::weeks(i64::from(weeks.max(1)) - 1);
        let start = |day: NaiveDate| resolve_local(tz, day.and_hms_opt(0, 0, 0).expect("midnight"));
        let bounds: Vec<DateTime<Utc>> = (0..=weeks.max(1))
            .map(|i| start(first + Duration::weeks(i64::from(i))))
            .collect();
        let figures = self.store.kudos_figures(&bounds, TOP_PEOPLE as u32).await?;
        let weeks_counted: Vec<(NaiveDate, u64)> = figures
            .per_period
            .iter()
            .enumerate()
            .map(|(i, n)| (first + Duration::weeks(i as i64), *n))
            .collect();
        let mut tags = figures.tags;
        tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut departments: Vec<(String, String, u64)> = figures
            .departments
            .into_iter()
            .map(|(d, n)| (d.name, d.region, n))
            .collect();
        departments.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        let regions = figures
            .regions
            .into_iter()
            .map(|(r, n)| {
                if r.is_empty() {
                    ("not on the roster".to_string(), n)
                } else {
                    (r, n)
                }
            })
            .collect();
        Ok(Recognition {
            from: first,
            to: this_week + Duration::days(6),
            regions,
            departments,
            total: weeks_counted.iter().map(|(_, n)| n).sum(),
            weeks: weeks_counted,
            givers: figures.givers,
            receivers: figures.receivers,
            tags,
        })
    }
}
