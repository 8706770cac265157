//! `/ambassadors coverage [region]`: the program office's main view. Which departments have no
//! ambassador, too few for their size, or enough; totals per region and for the whole organization.

use super::{Caller, Outcome, Program, Settings, count, percent, thousands};
use crate::message::{Message, Reply, Rich};
use crate::model::{Department, DepartmentCoverage, PersonRef, name_key};
use crate::ports::{Clock, Store};

/// Above this many departments in scope, the report lists only those that need attention.
const FULL_LISTING_MAX: usize = 40;
/// How many departments the "needs attention" table shows at most.
const ATTENTION_MAX: usize = 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DepartmentStatus {
    Uncovered,
    Thin,
    Covered,
}

impl DepartmentStatus {
    pub fn label(self) -> &'static str {
        match self {
            DepartmentStatus::Uncovered => "✗ uncovered",
            DepartmentStatus::Thin => "△ thin",
            DepartmentStatus::Covered => "✓ covered",
        }
    }
}

/// One department's line in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepartmentLine {
    pub department: Department,
    pub active: Vec<PersonRef>,
    pub paused: u32,
    pub status: DepartmentStatus,
    /// Headcount per active ambassador, when both are known.
    pub per_ambassador: Option<u32>,
}

/// Totals of a region, or of the whole organization.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegionTotals {
    pub region: String,
    pub departments: u32,
    /// Departments with at least one active ambassador (thin ones included).
    pub covered: u32,
    pub thin: u32,
    pub ambassadors: u32,
    /// Sum of known headcounts.
    pub headcount: u64,
    /// Sum of known headcounts of departments whose status is covered (thin ones not included).
    pub headcount_covered: u64,
    /// Sum of known headcounts of thin departments.
    pub headcount_thin: u64,
    pub without_headcount: u32,
}

impl RegionTotals {
    fn add(&mut self, line: &DepartmentLine) {
        self.departments += 1;
        self.ambassadors += line.active.len() as u32;
        if line.status != DepartmentStatus::Uncovered {
            self.covered += 1;
        }
        if line.status == DepartmentStatus::Thin {
            self.thin += 1;
        }
        match line.department.headcount {
            Some(h) => {
                self.headcount += u64::from(h);
                match line.status {
                    DepartmentStatus::Covered => self.headcount_covered += u64::from(h),
                    DepartmentStatus::Thin => self.headcount_thin += u64::from(h),
                    DepartmentStatus::Uncovered => {}
                }
            }
            None => self.without_headcount += 1,
        }
    }
}

/// The coverage of the organization (or one region), computed from the store's rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageReport {
    pub lines: Vec<DepartmentLine>,
    pub regions: Vec<RegionTotals>,
    pub total: RegionTotals,
}

impl CoverageReport {
    /// Pure: classifies every department and sums per region. `rows` come ordered by region.
    pub fn build(rows: Vec<DepartmentCoverage>, settings: &Settings) -> CoverageReport {
        let mut lines = Vec::with_capacity(rows.len());
        let mut regions: Vec<RegionTotals> = Vec::new();
        let mut total = RegionTotals::default();
        for row in rows {
            let active = row.active.len() as u32;
            let per_ambassador = match (row.department.headcount, active) {
                (Some(h), n) if n > 0 => Some(h.div_ceil(n)),
                _ => None,
            };
            let status = if active == 0 {
                DepartmentStatus::Uncovered
            } else if per_ambassador.is_some_and(|p| p > settings.thin_headcount_per_ambassador) {
                DepartmentStatus::Thin
            } else {
                DepartmentStatus::Covered
            };
            let line = DepartmentLine {
                department: row.department,
                active: row.active,
                paused: row.paused,
                status,
                per_ambassador,
            };
            match regions.last_mut() {
                Some(r) if same_name(&r.region, &line.department.region) => r.add(&line),
                _ => {
                    let mut r = RegionTotals {
                        region: line.department.region.clone(),
                        ..RegionTotals::default()
                    };
                    r.add(&line);
                    regions.push(r);
                }
            }
            total.add(&line);
            lines.push(line);
        }
        CoverageReport {
            lines,
            regions,
            total,
        }
    }

    /// Departments needing attention, most urgent first: uncovered by headcount, then thin by people
    /// per ambassador.
    pub fn attention(&self) -> Vec<&DepartmentLine> {
        let mut v: Vec<&DepartmentLine> = self
            .lines
            .iter()
            .filter(|l| l.status != DepartmentStatus::Covered)
            .collect();
        v.sort_by(|a, b| {
            a.status.cmp(&b.status).then_with(|| match a.status {
                DepartmentStatus::Uncovered => b.department.headcount.cmp(&a.department.headcount),
                _ => b.per_ambassador.cmp(&a.per_ambassador),
            })
        });
        v
    }

    /// The report as a message.
    pub fn render(&self, scope: Option<&str>, settings: &Settings, caller: &Caller) -> Message {
        let t = &self.total;
        let title = match scope {
            Some(r) => format!("Coverage — {r}"),
            None => "Coverage — whole organization".to_string(),
        };
        let mut m = Message::new().heading(title);
        if t.departments == 0 {
            return m.paragraph(
                Rich::text("No departments yet. The program office adds them with ")
                    .and_code(caller.cmd("ambassadors dept add <name> <region> [headcount]"))
                    .and(" or imports them from CSV."),
            );
        }
        m = m.paragraph(summary(t));
        if scope.is_none() {
            let rows = self
                .regions
                .iter()
                .map(|r| {
                    vec![
                        Rich::text(r.region.clone()),
                        Rich::text(format!("{} of {}", r.covered, r.departments)),
                        Rich::text(r.ambassadors.to_string()),
                        Rich::text(if r.headcount > 0 {
                            format!("{}%", percent(r.headcount_covered, r.headcount))
                        } else {
                            "—".into()
                        }),
                        Rich::text(if r.headcount > 0 {
                            format!("{}%", percent(r.headcount_thin, r.headcount))
                        } else {
                            "—".into()
                        }),
                        Rich::text(region_note(r, settings)),
                    ]
                })
                .collect();
            m = m.table(
                &[
                    "Region",
                    "With ambassador",
                    "Ambassadors",
                    "People covered",
                    "People in thin",
                    "",
                ],
                &[false, true, true, true, true, false],
                rows,
            );
        }
        if self.lines.len() <= FULL_LISTING_MAX {
            for region in &self.regions {
                let rows = self
                    .lines
                    .iter()
                    .filter(|l| same_name(&l.department.region, &region.region))
                    .map(department_row)
                    .collect();
                m = m
                    .paragraph(Rich::strong(region.region.clone()).and(format!(
                        " — {} of {} departments have an ambassador",
                        region.covered, region.departments
                    )))
                    .table(
                        &[
                            "Department",
                            "Ambassadors",
                            "People",
                            "Per ambassador",
                            "Status",
                        ],
                        &[false, false, true, true, false],
                        rows,
                    );
            }
        } else {
            let attention = self.attention();
            if attention.is_empty() {
                m = m.paragraph("Every department has enough ambassadors.");
            } else {
                let shown: Vec<Vec<Rich>> = attention
                    .iter()
                    .take(ATTENTION_MAX)
                    .map(|l| {
                        let mut row = department_row(l);
                        row.insert(1, Rich::text(l.department.region.clone()));
                        row
                    })
                    .collect();
                m = m
                    .paragraph(Rich::strong("Needs attention").and(format!(
                        " — {} uncovered, {} thin",
                        t.departments - t.covered,
                        t.thin
                    )))
                    .table(
                        &[
                            "Department",
                            "Region",
                            "Ambassadors",
                            "People",
                            "Per ambassador",
                            "Status",
                        ],
                        &[false, false, false, true, true, false],
                        shown,
                    );
                if attention.len() > ATTENTION_MAX {
                    m = m.context(format!(
                        "… and {} more that need attention.",
                        thousands((attention.len() - ATTENTION_MAX) as u64)
                    ));
                }
            }
            m = m.context(
                Rich::text(format!(
                    "{} not listed. Narrow it down: ",
                    count(
                        u64::from(t.covered - t.thin),
                        "well-covered department",
                        "well-covered departments"
                    )
                ))
                .and_code(caller.cmd("ambassadors coverage <region>")),
            );
        }
        m.context(format!(
            "thin: more than {} people per active ambassador. People covered: in covered departments only. Paused ambassadors do not count.",
            settings.thin_headcount_per_ambassador
        ))
    }
}

/// Equal names by key, without computing keys when the spelling is the same.
fn same_name(a: &str, b: &str) -> bool {
    a == b || name_key(a) == name_key(b)
}

fn summary(t: &RegionTotals) -> Rich {
    let mut r = Rich::strong(format!("{} of {}", t.covered, t.departments)).and(format!(
        " departments have an ambassador ({}%)",
        percent(u64::from(t.covered), u64::from(t.departments))
    ));
    if t.headcount > 0 {
        r = r
            .and(" · ")
            .and_strong(format!("{}%", percent(t.headcount_covered, t.headcount)))
            .and(format!(
                " of {} covered",
                count(t.headcount, "person", "people")
            ));
        if t.headcount_thin > 0 {
            r = r.and(format!(
                " · {}% in thin departments",
                percent(t.headcount_thin, t.headcount)
            ));
        }
    }
    r = r.and(format!(
        " · {}",
        count(
            u64::from(t.ambassadors),
            "active ambassador",
            "active ambassadors"
        )
    ));
    if t.without_headcount > 0 {
        r = r.and(format!(
            " · {} without headcount",
            count(u64::from(t.without_headcount), "department", "departments")
        ));
    }
    r
}

fn region_note(r: &RegionTotals, settings: &Settings) -> String {
    if r.ambassadors == 0 {
        "⚠ no ambassador".into()
    } else if r.ambassadors >= settings.many_ambassadors_per_region {
        "★ many ambassadors".into()
    } else if r.covered < r.departments {
        format!("{} uncovered", r.departments - r.covered)
    } else {
        String::new()
    }
}

fn department_row(l: &DepartmentLine) -> Vec<Rich> {
    let ambassadors = if l.active.is_empty() {
        Rich::text("—")
    } else {
        Rich::new().and_mentions(&l.active)
    };
    let ambassadors = if l.paused > 0 {
        ambassadors.and(format!(" ({} paused)", l.paused))
    } else {
        ambassadors
    };
    vec![
        Rich::text(l.department.name.clone()),
        ambassadors,
        Rich::text(
            l.department
                .headcount
                .map(|h| thousands(u64::from(h)))
                .unwrap_or_else(|| "?".into()),
        ),
        Rich::text(
            l.per_ambassador
                .map(|p| thousands(u64::from(p)))
                .unwrap_or_else(|| "—".into()),
        ),
        Rich::text(l.status.label()),
    ]
}

impl<S: Store, C: Clock> Program<S, C> {
    pub(crate) async fn coverage(&self, caller: &Caller, region: Option<&str>) -> Outcome {
        let region = match region {
            Some(name) => Some(self.region(caller, name).await?),
            None => None,
        };
        let rows = self.store.coverage(region.as_deref()).await?;
        let report = CoverageReport::build(rows, &self.settings);
        Ok(vec![Reply::caller(report.render(
            region.as_deref(),
            &self.settings,
            caller,
        ))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, Platform};

    fn dept(name: &str, region: &str, headcount: Option<u32>) -> Department {
        Department {
            id: 0,
            name: name.into(),
            region: region.into(),
            headcount,
        }
    }

    fn people(n: usize) -> Vec<PersonRef> {
        (0..n)
            .map(|i| PersonRef {
                account: Account::new(Platform::Console, format!("p{i}")),
                display_name: format!("p{i}"),
            })
            .collect()
    }

    fn row(d: Department, active: usize, paused: u32) -> DepartmentCoverage {
        DepartmentCoverage {
            department: d,
            active: people(active),
            paused,
        }
    }

    #[test]
    fn classifies_uncovered_thin_and_covered() {
        let settings = Settings::default(); // thin above 150 per ambassador
        let report = CoverageReport::build(
            vec![
                row(dept("A", "EMEA", Some(300)), 2, 0),
                row(dept("B", "EMEA", Some(301)), 2, 0),
                row(dept("C", "EMEA", Some(10)), 0, 1),
                row(dept("D", "APAC", None), 1, 0),
            ],
            &settings,
        );
        let status: Vec<_> = report.lines.iter().map(|l| l.status).collect();
        assert_eq!(
            status,
            [
                DepartmentStatus::Covered,
                DepartmentStatus::Thin,
                DepartmentStatus::Uncovered,
                DepartmentStatus::Covered
            ]
        );
        assert_eq!(report.lines[1].per_ambassador, Some(151));
        let emea = &report.regions[0];
        assert_eq!(
            (emea.departments, emea.covered, emea.thin, emea.ambassadors),
            (3, 2, 1, 4)
        );
        assert_eq!(
            (emea.headcount, emea.headcount_covered, emea.headcount_thin),
            (611, 300, 301)
        );
        assert_eq!(report.total.without_headcount, 1);
        assert_eq!(report.regions.len(), 2);
        let order: Vec<_> = report
            .attention()
            .iter()
            .map(|l| l.department.name.clone())
            .collect();
        assert_eq!(order, ["C", "B"]);
    }

    #[test]
    fn large_organizations_get_a_needs_attention_list() {
        let settings = Settings::default();
        // 100 departments in 4 regions: every 5th uncovered, every 7th thin, the rest covered.
        let rows = (0..100u32)
            .map(|i| {
                let active = if i % 5 == 0 { 0 } else { 1 };
                let headcount = if i % 7 == 0 { 1000 + i } else { 50 };
                row(
                    dept(
                        &format!("D{i:03}"),
                        &format!("R{}", i / 25),
                        Some(headcount),
                    ),
                    active,
                    0,
                )
            })
            .collect();
        let report = CoverageReport::build(rows, &settings);
        let caller = Caller {
            person: crate::model::Person {
                id: 1,
                account: Account::new(Platform::Console, "admin"),
                display_name: "admin".into(),
                time_zone: None,
                time_zone_chosen: false,
            },
            role: crate::command::Role::Office,
            ambassador: None,
            room: "general".into(),
            prefix: '/',
            bot: None,
            create_mentioned: false,
            direct: false,
            mentioned: Vec::new(),
        };
        let text = crate::message::render_plain(&report.render(None, &settings, &caller));
        assert!(
            text.contains("*80 of 100* departments have an ambassador (80%)"),
            "{text}"
        );
        assert!(
            text.contains("*Needs attention* — 20 uncovered, 12 thin"),
            "{text}"
        );
        // Uncovered first, the largest first: D070 (1070 people) heads the list.
        let first = text
            .lines()
            .skip_while(|l| !l.starts_with("Department"))
            .nth(1)
            .unwrap();
        assert!(
            first.starts_with("D070") && first.contains("✗ uncovered"),
            "{first}"
        );
        assert!(text.contains("… and 7 more that need attention."), "{text}");
        assert!(
            text.contains("68 well-covered departments not listed"),
            "{text}"
        );
        assert!(
            !text.contains("D001"),
            "well-covered departments are not listed"
        );
    }
}

/// The coverage report on the memory store: the figures the program office reads.
#[cfg(test)]
mod on_the_memory_store {
    use crate::testing::MemoryStore;
    use crate::{
        Account, AmbassadorStatus, Inbound, ManualClock, NewDepartment, OrgStore, PeopleStore,
        Platform, Program, RosterStore, Settings, render_plain,
    };
    use chrono::{NaiveDate, TimeZone, Utc};

    #[tokio::test]
    async fn the_report_counts_covered_thin_and_uncovered_departments() {
        let store = MemoryStore::new();
        let now = Utc.with_ymd_and_hms(2024, 5, 7, 10, 0, 0).unwrap();
        let program = Program::new(store.clone(), ManualClock::new(now), Settings::default());
        let since = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut departments = Vec::new();
        for (name, region, headcount) in [
            ("Finance", "EMEA", 120),
            ("Legal", "EMEA", 80),
            ("Platform Engineering", "EMEA", 400),
            ("Sales", "Americas", 300),
        ] {
            departments.push(
                store
                    .add_department(&NewDepartment {
                        name: name.to_owned(),
                        region: region.to_owned(),
                        headcount: Some(headcount),
                    })
                    .await
                    .unwrap(),
            );
        }
        for (id, name, department) in [
            ("ada", "Ada", 0),
            ("grace", "Grace", 2),
            ("linus", "Linus", 3),
        ] {
            let p = store
                .ensure_person(&Account::new(Platform::Console, id), name)
                .await
                .unwrap();
            store
                .add_ambassador(p.id, departments[department].id, "UTC", since)
                .await
                .unwrap();
        }
        // Linus is paused: Sales has nobody active.
        let linus = store
            .ensure_person(&Account::new(Platform::Console, "linus"), "Linus")
            .await
            .unwrap();
        store
            .set_ambassador_status(linus.id, AmbassadorStatus::Paused, since)
            .await
            .unwrap();

        let ask = Inbound {
            sender: Account::new(Platform::Console, "admin"),
            sender_name: "Program Office".to_owned(),
            room: "office".to_owned(),
            text: "/ambassadors coverage".to_owned(),
            bot: None,
            direct: false,
            create_mentioned: false,
        };
        let replies = program.handle(&ask).await.unwrap().unwrap();
        let report: String = replies
            .iter()
            .map(|r| render_plain(&r.message))
            .collect::<Vec<_>>()
            .join("\n");
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], "*Coverage — whole organization*");
        // Finance (120) is covered; Platform Engineering (400 for one ambassador) is thin; Legal
        // and Sales are not covered, Sales' paused ambassador not counted.
        assert_eq!(
            lines[1],
            "*2 of 4* departments have an ambassador (50%) · *13%* of 900 people covered · 44% in \
             thin departments · 2 active ambassadors"
        );
        assert!(report.contains("Sales       — (1 paused)     300               —  ✗ uncovered"));
        assert!(
            report.contains("Platform Engineering  @Grace          400             400  △ thin")
        );
        assert!(
            report.contains("Finance               @Ada            120             120  ✓ covered")
        );
    }
}
