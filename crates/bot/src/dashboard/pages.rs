//! The dashboard's pages, built from the program's figures (the same ones its chat views show):
//! each section a chart and the table of exactly its numbers.

use super::html::{Page, Section, Table};
use super::svg::{self, Bar, COVERED, INK, THIN, Tile, UNCOVERED};
use ambassador_core::program::{
    CoverageReport, DepartmentStatus, PARTICIPATION_WEEKS, RoundLine, Viewer, human_duration,
    percent,
};
use ambassador_core::{Clock, Program, Store, StoreResult};

/// How many weeks the recognition page covers unless asked for another of [`RECOGNITION_PERIODS`].
pub const RECOGNITION_WEEKS: u32 = 13;

/// A bar chart, or none when there is nothing to draw (the table says "None.").
fn bars_chart(label: &str, bars: &[Bar]) -> Option<String> {
    (!bars.is_empty()).then(|| svg::hbars(label, bars))
}

fn sign(status: DepartmentStatus) -> (&'static str, &'static str, &'static str) {
    match status {
        DepartmentStatus::Uncovered => (UNCOVERED, "✗", "uncovered"),
        DepartmentStatus::Thin => (THIN, "△", "thin"),
        DepartmentStatus::Covered => (COVERED, "✓", "covered"),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        String::new()
    } else {
        format!("{}%", percent(part, whole))
    }
}

/// Coverage: the map of departments by region, each region's totals, and how coverage changed
/// over 4 and 13 weeks.
pub async fn coverage<S: Store, C: Clock>(program: &Program<S, C>) -> StoreResult<Page> {
    let report = program.coverage_report().await?;
    let today = program.today();
    let days = [
        today,
        today - chrono::Duration::weeks(4),
        today - chrono::Duration::weeks(13),
    ];
    let history = program.coverage_on(&report, &days).await?;
    let mut page = coverage_page(&report, program);
    let mut change = Table::new(&[
        ("Region", false),
        ("In office today", true),
        ("4 weeks ago", true),
        ("Change since", true),
        ("13 weeks ago", true),
        ("Change since", true),
    ]);
    let signed = |now: u32, then: u32| {
        let d = i64::from(now) - i64::from(then);
        if d > 0 {
            format!("+{d}")
        } else {
            d.to_string()
        }
    };
    for (region, counts) in &history {
        let name = if region.is_empty() {
            "Whole organization".to_string()
        } else {
            region.clone()
        };
        change.row(vec![
            name,
            counts[0].to_string(),
            counts[1].to_string(),
            signed(counts[0], counts[1]),
            counts[2].to_string(),
            signed(counts[0], counts[2]),
        ]);
    }
    page.sections.push(Section {
        id: "change",
        heading: "Change since 4 and 13 weeks".into(),
        chart: None,
        table: change,
        note: Some(format!(
            "Departments with an ambassador in office on {}, {} and {}, by the ambassadors' term dates: a pause is not dated, so a paused ambassador counts here (unlike the tiles above, where only active ones do). Departments count in the region they are in now.",
            days[0], days[1], days[2]
        )),
    });
    Ok(page)
}

fn coverage_page<S: Store, C: Clock>(report: &CoverageReport, program: &Program<S, C>) -> Page {
    let thin_at = program.settings.thin_headcount_per_ambassador;
    let mut map = Table::new(&[
        ("Region", false),
        ("Department", false),
        ("People", true),
        ("Active ambassadors", true),
        ("Paused", true),
        ("People per ambassador", true),
        ("State", false),
    ]);
    let mut groups: Vec<(String, Vec<Tile>)> = Vec::new();
    for region in &report.regions {
        let mut tiles = Vec::new();
        for l in report.lines.iter().filter(|l| {
            ambassador_core::name_key(&l.department.region)
                == ambassador_core::name_key(&region.region)
        }) {
            let (colour, mark, word) = sign(l.status);
            let d = &l.department;
            tiles.push(Tile {
                label: d.name.clone(),
                colour,
                sign: mark,
                title: format!(
                    "{} ({}): {word}; {} active ambassador(s){}{}",
                    d.name,
                    d.region,
                    l.active.len(),
                    d.headcount
                        .map(|h| format!(", {h} people"))
                        .unwrap_or_default(),
                    l.per_ambassador
                        .map(|p| format!(", {p} per ambassador"))
                        .unwrap_or_default()
                ),
            });
            map.row(vec![
                d.region.clone(),
                d.name.clone(),
                opt(d.headcount),
                l.active.len().to_string(),
                l.paused.to_string(),
                opt(l.per_ambassador),
                word.to_string(),
            ]);
        }
        groups.push((region.region.clone(), tiles));
    }
    let mut regions = Table::new(&[
        ("Region", false),
        ("Departments", true),
        ("With an ambassador", true),
        ("Of them thin", true),
        ("Uncovered", true),
        ("Active ambassadors", true),
        ("People", true),
        ("People covered", true),
        ("People in thin", true),
    ]);
    let mut bars = Vec::new();
    for r in report.regions.iter().chain(std::iter::once(&report.total)) {
        let name = if r.region.is_empty() {
            "Whole organization".to_string()
        } else {
            r.region.clone()
        };
        let uncovered = r.departments - r.covered;
        regions.row(vec![
            name.clone(),
            r.departments.to_string(),
            r.covered.to_string(),
            r.thin.to_string(),
            uncovered.to_string(),
            r.ambassadors.to_string(),
            r.headcount.to_string(),
            share(r.headcount_covered, r.headcount),
            share(r.headcount_thin, r.headcount),
        ]);
        bars.push(Bar {
            label: name,
            parts: vec![
                (
                    f64::from(r.covered - r.thin),
                    COVERED,
                    format!("{} covered", r.covered - r.thin),
                ),
                (f64::from(r.thin), THIN, format!("{} thin", r.thin)),
                (
                    f64::from(uncovered),
                    UNCOVERED,
                    format!("{uncovered} uncovered"),
                ),
            ],
        });
    }
    let legend = format!(
        "✓ covered (blue), △ thin: more than {thin_at} people per active ambassador (light red), ✗ uncovered: no active ambassador (red)."
    );
    Page {
        path: "/dashboard/coverage",
        links: Vec::new(),
        query: String::new(),
        title: "Coverage".into(),
        intro: format!(
            "{} of {} departments have an active ambassador; {} ambassadors in {} regions. As /ambassadors coverage counts them.",
            report.total.covered,
            report.total.departments,
            report.total.ambassadors,
            report.regions.len()
        ),
        sections: vec![
            Section {
                id: "regions",
                heading: "Regions".into(),
                chart: bars_chart("Departments per region by state", &bars),
                table: regions,
                note: Some(
                    "People covered and in thin: shares of the known headcount of the region's departments."
                        .into(),
                ),
            },
            Section {
                id: "map",
                heading: "Departments".into(),
                chart: Some(svg::tiles(
                    "Coverage map: departments by region",
                    &groups,
                    16,
                )),
                table: map,
                note: Some(legend),
            },
        ],
    }
}

fn rate_point(r: &RoundLine) -> Option<f64> {
    if r.open {
        None
    } else {
        r.rate.percent().map(|p| p as f64)
    }
}

fn round_row(region: &str, r: &RoundLine) -> Vec<String> {
    vec![
        region.to_string(),
        format!("{}{}", r.round, if r.open { " (open)" } else { "" }),
        r.counts.prompted.to_string(),
        r.counts.answered.to_string(),
        r.counts.skipped.to_string(),
        r.counts.paused.to_string(),
        r.rate.shown(),
    ]
}

/// A round's row with its median time to answer (counted for the whole scope, not per region).
fn round_row_timed(region: &str, r: &RoundLine) -> Vec<String> {
    let mut row = round_row(region, r);
    row.push(
        r.median_to_answer
            .map(human_duration)
            .unwrap_or_else(|| "—".into()),
    );
    row
}

const ROUND_COLUMNS: [(&str, bool); 7] = [
    ("Region", false),
    ("Round", false),
    ("Prompted", true),
    ("Answered", true),
    ("Skipped", true),
    ("Paused", true),
    ("Response", true),
];

const ROUND_COLUMNS_TIMED: [(&str, bool); 8] = [
    ROUND_COLUMNS[0],
    ROUND_COLUMNS[1],
    ROUND_COLUMNS[2],
    ROUND_COLUMNS[3],
    ROUND_COLUMNS[4],
    ROUND_COLUMNS[5],
    ROUND_COLUMNS[6],
    ("Median time to answer", true),
];

/// Participation: the response rate per round, per region, and (for the office) who is quiet.
/// `region`: only that region (an ambassador's view).
pub async fn participation<S: Store, C: Clock>(
    program: &Program<S, C>,
    viewer: &Viewer,
    region: Option<&str>,
) -> StoreResult<Page> {
    let p = program.participation(viewer, region).await?;
    let scope = region.unwrap_or("all regions");
    let mut rounds = Table::new(&ROUND_COLUMNS_TIMED);
    for r in &p.rounds {
        rounds.row(round_row_timed(scope, r));
    }
    let points: Vec<(String, Option<f64>)> = p
        .rounds
        .iter()
        .map(|r| (r.round.to_string(), rate_point(r)))
        .collect();
    let mut by_region = Table::new(&ROUND_COLUMNS);
    let mut small = String::from("<div class=\"small-multiples\">");
    for (name, list) in &p.regions {
        for r in list {
            by_region.row(round_row(name, r));
        }
        let pts: Vec<(String, Option<f64>)> = list
            .iter()
            .map(|r| (r.round.to_string(), rate_point(r)))
            .collect();
        small.push_str(&format!(
            "<figure><figcaption>{}</figcaption>{}</figure>",
            super::html::esc(name),
            svg::line(&format!("Response rate per round in {name}"), &pts, true)
        ));
    }
    small.push_str("</div>");
    let counted = "Response: answered of those expected (prompted, less skipped and paused), once the round has closed; an open round is not counted. As /ambassadors checkins counts it.";
    let mut sections = vec![
        Section {
            id: "rounds",
            heading: format!("Response rate per round — {scope}"),
            chart: Some(svg::line("Response rate per closed round", &points, false)),
            table: rounds,
            note: Some(counted.into()),
        },
        Section {
            id: "regions",
            heading: "By region".into(),
            chart: Some(small),
            table: by_region,
            note: None,
        },
    ];
    if viewer.role == ambassador_core::command::Role::Office {
        let mut silent = Table::new(&[
            ("Ambassador", false),
            ("Department", false),
            ("Region", false),
            ("Quiet since", false),
        ]);
        let tz = program.settings.time_zone;
        for s in &p.silent {
            silent.row(vec![
                s.person.display_name.clone(),
                s.department.clone(),
                s.region.clone(),
                s.quiet_since.with_timezone(&tz).date_naive().to_string(),
            ]);
        }
        sections.push(Section {
            id: "silent",
            heading: "Quiet ambassadors".into(),
            chart: None,
            table: silent,
            note: Some(format!(
                "No check-in answer, activity or kudos given for {} or more, counted from their last sign of life, the start of their term or when the bot first knew them, whichever is latest.",
                human_duration(program.settings.lifecycle.nudge_after)
            )),
        });
    }
    Ok(Page {
        path: "/dashboard/participation",
        links: Vec::new(),
        query: String::new(),
        title: "Participation".into(),
        intro: format!(
            "Check-in rounds of the last {PARTICIPATION_WEEKS} weeks{}.",
            region
                .map(|r| format!(" in {r}, your region"))
                .unwrap_or_default()
        ),
        sections,
    })
}

/// The periods the recognition page offers, in weeks.
pub const RECOGNITION_PERIODS: [u32; 4] = [4, 13, 26, 52];

/// Recognition over `weeks` weeks: kudos per week, per region and department, the most generous
/// and most thanked, tags.
pub async fn recognition<S: Store, C: Clock>(
    program: &Program<S, C>,
    weeks: u32,
) -> StoreResult<Page> {
    let r = program.recognition(weeks).await?;
    let mut per_week = Table::new(&[("Week of", false), ("Kudos", true)]);
    for (week, n) in &r.weeks {
        per_week.row(vec![week.to_string(), n.to_string()]);
    }
    let points: Vec<(String, f64)> = r
        .weeks
        .iter()
        .map(|(w, n)| (w.format("%b %d").to_string(), *n as f64))
        .collect();
    let mut regions = Table::new(&[("Region", false), ("Kudos", true)]);
    let mut bars = Vec::new();
    for (name, n) in &r.regions {
        regions.row(vec![name.clone(), n.to_string()]);
        bars.push(Bar {
            label: name.clone(),
            parts: vec![(*n as f64, INK, format!("{n} kudos"))],
        });
    }
    let people = |list: &[(ambassador_core::PersonRef, u64)], what: &'static str| {
        let mut t = Table::new(&[("Person", false), (what, true)]);
        for (p, n) in list {
            t.row(vec![p.display_name.clone(), n.to_string()]);
        }
        t
    };
    let mut by_department =
        Table::new(&[("Department", false), ("Region", false), ("Kudos", true)]);
    for (name, region, n) in &r.departments {
        by_department.row(vec![name.clone(), region.clone(), n.to_string()]);
    }
    let department_bars: Vec<Bar> = r
        .departments
        .iter()
        .take(15)
        .map(|(name, _, n)| Bar {
            label: name.clone(),
            parts: vec![(*n as f64, INK, format!("{n} kudos"))],
        })
        .collect();
    let mut tags = Table::new(&[("Tag", false), ("Kudos", true)]);
    for (tag, n) in &r.tags {
        tags.row(vec![format!("#{tag}"), n.to_string()]);
    }
    let top_bars = |list: &[(ambassador_core::PersonRef, u64)]| {
        list.iter()
            .map(|(p, n)| Bar {
                label: p.display_name.clone(),
                parts: vec![(*n as f64, INK, n.to_string())],
            })
            .collect::<Vec<_>>()
    };
    Ok(Page {
        path: "/dashboard/recognition",
        query: format!("&weeks={weeks}"),
        title: "Recognition".into(),
        intro: format!(
            "{} kudos from {} to {}, the last {weeks} weeks (weeks start on Monday, {}). Other periods: {}.",
            r.total,
            r.from,
            r.to,
            program.settings.time_zone.name(),
            RECOGNITION_PERIODS
                .iter()
                .filter(|w| **w != weeks)
                .map(|w| format!("{w} weeks"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        links: RECOGNITION_PERIODS
            .iter()
            .map(|w| (format!("/dashboard/recognition?weeks={w}"), format!("{w} weeks"), *w == weeks))
            .collect(),
        sections: vec![
            Section {
                id: "weeks",
                heading: "Kudos per week".into(),
                chart: Some(svg::columns("Kudos per week", &points, (weeks as usize).div_ceil(7))),
                table: per_week,
                note: None,
            },
            Section {
                id: "regions",
                heading: "By region of the people thanked".into(),
                chart: bars_chart("Kudos by region", &bars),
                table: regions,
                note: Some(
                    "A kudos counts once in each region among the people it thanks (their roster entry's region).".into(),
                ),
            },
            Section {
                id: "departments",
                heading: "By department of the people thanked".into(),
                chart: bars_chart("Kudos by department (the 15 most)", &department_bars),
                table: by_department,
                note: Some(
                    "A kudos counts once in each department among the people it thanks (their roster entry's department); people not on the roster are not in a department.".into(),
                ),
            },
            Section {
                id: "receivers",
                heading: "Most thanked".into(),
                chart: bars_chart("Most thanked", &top_bars(&r.receivers)),
                table: people(&r.receivers, "Kudos received"),
                note: Some("People who opted out of being named are left out.".into()),
            },
            Section {
                id: "givers",
                heading: "Most generous".into(),
                chart: bars_chart("Most generous", &top_bars(&r.givers)),
                table: people(&r.givers, "Kudos given"),
                note: Some("People who opted out of being named are left out.".into()),
            },
            Section {
                id: "tags",
                heading: "Tags".into(),
                chart: None,
                table: tags,
                note: None,
            },
        ],
    })
}

/// Activity and announcements: the quarter's activities by region and tag (the people reached),
/// and for the office the latest announcements' acknowledgements by region.
pub async fn activity<S: Store, C: Clock>(
    program: &Program<S, C>,
    viewer: &Viewer,
    (year, quarter): (i32, u32),
    this: (i32, u32),
) -> StoreResult<Page> {
    let office = viewer.role == ambassador_core::command::Role::Office;
    let a = program.activity_overview(year, quarter, office).await?;
    let mut regions = Table::new(&[
        ("Region", false),
        ("Activities", true),
        ("People reached", true),
    ]);
    let mut bars = Vec::new();
    for (name, n, reached) in &a.regions {
        regions.row(vec![name.clone(), n.to_string(), reached.to_string()]);
        bars.push(Bar {
            label: name.clone(),
            parts: vec![(
                f64::from(*n),
                INK,
                format!("{n} activities, {reached} people reached"),
            )],
        });
    }
    let mut tags = Table::new(&[("Tag", false), ("Activities", true)]);
    let mut tag_bars = Vec::new();
    for (tag, n) in &a.tags {
        tags.row(vec![format!("#{tag}"), n.to_string()]);
        tag_bars.push(Bar {
            label: format!("#{tag}"),
            parts: vec![(f64::from(*n), INK, format!("{n} activities"))],
        });
    }
    let mut sections = vec![
        Section {
            id: "regions",
            heading: "Activities by region".into(),
            chart: bars_chart("Activities by region", &bars),
            table: regions,
            note: Some(
                "By the region of the ambassador who logged them; people reached: the sum of the audiences they gave. As the quarterly report counts them."
                    .into(),
            ),
        },
        Section {
            id: "tags",
            heading: "Activities by tag".into(),
            chart: bars_chart("Activities by tag", &tag_bars),
            table: tags,
            note: None,
        },
    ];
    if office {
        let tz = program.settings.time_zone;
        let mut receipts = Table::new(&[
            ("Sent", false),
            ("To", false),
            ("Announcement", false),
            ("Region", false),
            ("Received", true),
            ("Acknowledged", true),
            ("Shared", true),
        ]);
        let mut ack_bars = Vec::new();
        for line in &a.announcements {
            let sent = line
                .created_at
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M")
                .to_string();
            let text: String = line.text.chars().take(60).collect();
            for (region, n, acked, shared) in &line.regions {
                receipts.row(vec![
                    sent.clone(),
                    line.audience.clone(),
                    text.clone(),
                    region.clone(),
                    n.to_string(),
                    format!("{acked} ({})", share(u64::from(*acked), u64::from(*n))),
                    format!("{shared} ({})", share(u64::from(*shared), u64::from(*n))),
                ]);
            }
        }
        // Acknowledgement rates by region over the announcements shown.
        let mut by_region: std::collections::BTreeMap<&str, (u32, u32)> = Default::default();
        for line in &a.announcements {
            for (region, n, acked, _) in &line.regions {
                let e = by_region.entry(region.as_str()).or_default();
                e.0 += n;
                e.1 += acked;
            }
        }
        for (region, (n, acked)) in &by_region {
            ack_bars.push(Bar {
                label: region.to_string(),
                parts: vec![(
                    f64::from(percent(u64::from(*acked), u64::from(*n)) as u32),
                    INK,
                    format!("{acked} of {n} acknowledged"),
                )],
            });
        }
        sections.push(Section {
            id: "announcements",
            heading: "Announcements: acknowledged by region".into(),
            chart: bars_chart(
                "Share of announcements acknowledged, by region (%)",
                &ack_bars,
            ),
            table: receipts,
            note: Some(format!(
                "The latest {} announcements of the last 90 days, as /ambassadors announcements counts them (times in {}).",
                ambassador_core::program::ANNOUNCEMENTS_SHOWN,
                tz.name()
            )),
        });
    }
    // This quarter and the three before it.
    let mut quarters = vec![this];
    for _ in 0..3 {
        let (y, q) = *quarters.last().expect("one");
        quarters.push(if q == 1 { (y - 1, 4) } else { (y, q - 1) });
    }
    Ok(Page {
        path: "/dashboard/activity",
        links: quarters
            .iter()
            .map(|(y, q)| {
                (
                    format!("/dashboard/activity?quarter={y}-Q{q}"),
                    format!("{y}-Q{q}"),
                    (*y, *q) == (year, quarter),
                )
            })
            .collect(),
        query: format!("&quarter={year}-Q{quarter}"),
        title: "Activity".into(),
        intro: format!(
            "Activities logged in {year}-Q{quarter} ({} to {}){}.",
            a.from,
            a.to,
            if office {
                ", and the latest announcements"
            } else {
                ""
            }
        ),
        sections,
    })
}
