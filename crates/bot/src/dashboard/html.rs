//! The dashboard's HTML: one page shell with its style inline, sections of a chart and the table of
//! its numbers, plain pages for sign-in and refusals.

use std::fmt::Write;

pub use ambassador_core::escape_html as esc;

/// The numbers of a chart: what the table shows and the CSV download holds, cell for cell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<&'static str>,
    /// Which columns hold numbers (right-aligned).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[(&'static str, bool)]) -> Table {
        Table {
            columns: columns.iter().map(|c| c.0).collect(),
            numeric: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
    }
}

/// One part of a page: a heading, a chart, the table of its numbers, a note on how they are counted.
pub struct Section {
    /// Names its CSV download: `<page>.csv?table=<id>`.
    pub id: &'static str,
    pub heading: String,
    pub chart: Option<String>,
    pub table: Table,
    pub note: Option<String>,
}

/// A whole page.
pub struct Page {
    pub path: &'static str,
    /// Links under the introduction (the periods of a page): address, text, whether it is this one.
    pub links: Vec<(String, String, bool)>,
    /// What this page's CSV downloads add to their address to get the same numbers (`&weeks=13`).
    pub query: String,
    pub title: String,
    pub intro: String,
    pub sections: Vec<Section>,
}

/// The pages in the navigation bar: path, name, and whether the viewer may open it.
pub type Nav = Vec<(&'static str, &'static str, bool)>;

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#2d2d5a;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header a{color:#fff}header a[aria-current]{font-weight:bold;text-decoration:none}
header form{margin-left:auto}header button{background:none;border:1px solid #fff;color:#fff;border-radius:4px;padding:.2rem .6rem;cursor:pointer}
main{padding:1rem 1.2rem;max-width:1100px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}
.pair{display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start}
table{border-collapse:collapse;font-size:.9rem}caption{text-align:left;font-weight:bold;margin-bottom:.3rem}
th,td{border-bottom:1px solid #e4e4e4;padding:.25rem .5rem;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.85rem}.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;vertical-align:middle;margin-right:.3rem}
svg text{font-size:11px;fill:#333}svg .group{font-weight:bold;font-size:13px}
svg .sign{fill:#fff;font-size:13px;text-anchor:middle}svg .tile{fill:#fff;font-size:9px;text-anchor:middle}
svg .label{text-anchor:end}svg .tick{text-anchor:end;fill:#666}svg .tick-x{fill:#666;font-size:10px}svg .end{text-anchor:end}
svg .axis{stroke:#999}svg .grid{stroke:#ddd;stroke-dasharray:3 3}
.small-multiples{display:flex;flex-wrap:wrap;gap:1rem}.small-multiples figure{margin:0}
figcaption{font-size:.85rem;font-weight:bold}
.plain{max-width:36rem;margin:4rem auto;background:#fff;border:1px solid #ddd;border-radius:6px;padding:1.5rem}
.plain button{font-size:1rem;padding:.4rem 1rem}
"#;

/// Every page's head: no script, no external resource.
fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} — Ambassador Bot</title><style>{STYLE}</style></head>",
        esc(title)
    );
}

/// A page of sections, with the navigation and a sign-out button.
pub fn page(p: &Page, nav: &Nav, who: &str) -> String {
    let mut out = String::with_capacity(16 * 1024);
    head(&mut out, &p.title);
    out.push_str("<body><header><strong>Ambassador program</strong><nav>");
    for (path, name, allowed) in nav {
        if !allowed {
            continue;
        }
        let current = if *path == p.path {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(out, "<a href=\"{path}\"{current}>{name}</a> ");
    }
    let _ = write!(
        out,
        "</nav><span>{}</span><form method=\"post\" action=\"/dashboard/sign-out\"><button>Sign out</button></form></header><main><h1>{}</h1><p>{}</p>",
        esc(who),
        esc(&p.title),
        esc(&p.intro)
    );
    if !p.links.is_empty() {
        out.push_str("<p class=\"periods\">");
        for (href, text, current) in &p.links {
            if *current {
                let _ = write!(out, "<strong>{}</strong> ", esc(text));
            } else {
                let _ = write!(out, "<a href=\"{}\">{}</a> ", esc(href), esc(text));
            }
        }
        out.push_str("</p>");
    }
    for s in &p.sections {
        let _ = write!(
            out,
            "<section id=\"{}\"><h2>{}</h2><div class=\"pair\">",
            s.id,
            esc(&s.heading)
        );
        if let Some(chart) = &s.chart {
            let _ = write!(out, "<div class=\"chart\">{chart}</div>");
        }
        table(&mut out, &s.heading, &s.table);
        out.push_str("</div>");
        if let Some(note) = &s.note {
            let _ = write!(out, "<p class=\"note\">{}</p>", esc(note));
        }
        let _ = write!(
            out,
            "<p class=\"note\"><a href=\"{}.csv?table={}{}\" download>Download these numbers (CSV)</a></p></section>",
            p.path,
            s.id,
            esc(&p.query)
        );
    }
    out.push_str("</main></body></html>");
    out
}

fn table(out: &mut String, caption: &str, t: &Table) {
    let _ = write!(
        out,
        "<table data-table><caption>{} — numbers</caption><thead><tr>",
        esc(caption)
    );
    for (c, numeric) in t.columns.iter().zip(&t.numeric) {
        let class = if *numeric { " class=\"n\"" } else { "" };
        let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", esc(c));
    }
    out.push_str("</tr></thead><tbody>");
    if t.rows.is_empty() {
        let _ = write!(
            out,
            "<tr><td colspan=\"{}\">None.</td></tr>",
            t.columns.len()
        );
    }
    for row in &t.rows {
        out.push_str("<tr>");
        for (cell, numeric) in row.iter().zip(&t.numeric) {
            let class = if *numeric { " class=\"n\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", esc(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// A plain page: sign-in, refusals, errors; `body` is HTML made here, never raw input.
pub fn plain(title: &str, body: &str) -> String {
    let mut out = String::new();
    head(&mut out, title);
    let _ = write!(
        out,
        "<body><div class=\"plain\"><h1>{}</h1>{body}</div></body></html>",
        esc(title)
    );
    out
}

/// A table as CSV: the header, then its rows, every cell guarded against spreadsheet formulas.
pub fn csv(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    {
        let mut w = crate::safe_csv::Writer::from_writer(&mut buf);
        w.write_record(&t.columns)?;
        for row in &t.rows {
            w.write_record(row)?;
        }
        w.flush()?;
    }
    Ok(buf)
}
