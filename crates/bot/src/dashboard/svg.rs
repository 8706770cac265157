//! Small inline SVG charts, drawn here: no script, no font or file from elsewhere, so the dashboard
//! works on a network without the internet. Every chart is `role="img"` with a label, every mark
//! has a `<title>` (shown on hover), and the numbers are in the table beside it.

use super::html::esc;
use std::fmt::Write;

/// The colours of the three coverage states (colour-blind safe: they differ in lightness too, and
/// every tile also carries its state's sign).
pub const UNCOVERED: &str = "#b2182b";
pub const THIN: &str = "#f4a582";
pub const COVERED: &str = "#2166ac";
/// The colour of plain bars and lines.
pub const INK: &str = "#4a4a8a";

fn open(out: &mut String, width: u32, height: u32, label: &str, class: &str) {
    let _ = write!(
        out,
        r#"<svg class="{class}" role="img" aria-label="{}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(label)
    );
}

/// A tile of the coverage map.
pub struct Tile {
    pub label: String,
    pub colour: &'static str,
    pub sign: &'static str,
    pub title: String,
}

/// Tiles in rows of at most `per_row`, one block per group (a region), each block headed by its name.
pub fn tiles(label: &str, groups: &[(String, Vec<Tile>)], per_row: usize) -> String {
    const SIZE: u32 = 44;
    const GAP: u32 = 4;
    const HEAD: u32 = 22;
    let per_row = per_row.max(1);
    let width = (SIZE + GAP) * per_row as u32 + GAP;
    let height: u32 = groups
        .iter()
        .map(|(_, t)| HEAD + (t.len().div_ceil(per_row).max(1) as u32) * (SIZE + GAP))
        .sum::<u32>()
        + GAP;
    let mut out = String::new();
    open(&mut out, width, height, label, "map");
    let mut y = GAP;
    for (name, list) in groups {
        let _ = write!(
            out,
            r#"<text x="{GAP}" y="{}" class="group">{}</text>"#,
            y + 15,
            esc(name)
        );
        y += HEAD;
        for (i, tile) in list.iter().enumerate() {
            let (col, row) = ((i % per_row) as u32, (i / per_row) as u32);
            let (x, ty) = (GAP + col * (SIZE + GAP), y + row * (SIZE + GAP));
            let short: String = tile.label.chars().take(5).collect();
            let _ = write!(
                out,
                r#"<g><title>{}</title><rect x="{x}" y="{ty}" width="{SIZE}" height="{SIZE}" rx="4" fill="{}"/><text x="{}" y="{}" class="sign">{}</text><text x="{}" y="{}" class="tile">{}</text></g>"#,
                esc(&tile.title),
                tile.colour,
                x + SIZE / 2,
                ty + 18,
                tile.sign,
                x + SIZE / 2,
                ty + 35,
                esc(&short),
            );
        }
        y += (list.len().div_ceil(per_row).max(1) as u32) * (SIZE + GAP);
    }
    out.push_str("</svg>");
    out
}

/// One bar of a horizontal bar chart: its label and its parts (value, colour, what it is).
pub struct Bar {
    pub label: String,
    pub parts: Vec<(f64, &'static str, String)>,
}

/// Horizontal bars, parts stacked, scaled to the largest total.
pub fn hbars(label: &str, bars: &[Bar]) -> String {
    const LABEL_W: u32 = 170;
    const BAR_W: u32 = 420;
    const ROW: u32 = 24;
    let max = bars
        .iter()
        .map(|b| b.parts.iter().map(|p| p.0).sum::<f64>())
        .fold(0.0, f64::max);
    let height = ROW * bars.len().max(1) as u32 + 8;
    let mut out = String::new();
    open(&mut out, LABEL_W + BAR_W + 70, height, label, "bars");
    for (i, bar) in bars.iter().enumerate() {
        let y = 4 + ROW * i as u32;
        let name: String = bar.label.chars().take(24).collect();
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" class="label">{}</text>"#,
            LABEL_W - 6,
            y + 15,
            esc(&name)
        );
        let mut x = f64::from(LABEL_W);
        let mut total = 0.0;
        for (value, colour, what) in &bar.parts {
            let w = if max > 0.0 {
                value / max * f64::from(BAR_W)
            } else {
                0.0
            };
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y}" width="{w:.1}" height="{}" fill="{colour}"><title>{}: {}</title></rect>"#,
                ROW - 6,
                esc(&bar.label),
                esc(what)
            );
            x += w;
            total += value;
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" class="value">{}</text>"#,
            x + 4.0,
            y + 15,
            number(total)
        );
    }
    out.push_str("</svg>");
    out
}

/// Vertical bars over time (kudos per week), labelled under every `label_every`-th bar.
pub fn columns(label: &str, points: &[(String, f64)], label_every: usize) -> String {
    const H: u32 = 160;
    const BASE: u32 = 180;
    let step = if points.len() > 30 { 14 } else { 28 };
    let width = 40 + step * points.len().max(1) as u32;
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let mut out = String::new();
    open(&mut out, width, BASE + 24, label, "columns");
    let _ = write!(
        out,
        r#"<line x1="30" y1="{BASE}" x2="{width}" y2="{BASE}" class="axis"/><text x="26" y="{}" class="tick">{}</text>"#,
        BASE - H + 4,
        number(max)
    );
    for (i, (name, value)) in points.iter().enumerate() {
        let h = if max > 0.0 {
            value / max * f64::from(H)
        } else {
            0.0
        };
        let x = 34 + step * i as u32;
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{:.1}" width="{}" height="{h:.1}" fill="{INK}"><title>{}: {}</title></rect>"#,
            f64::from(BASE) - h,
            step - 4,
            esc(name),
            number(*value)
        );
        if i % label_every.max(1) == 0 {
            let _ = write!(
                out,
                r#"<text x="{x}" y="{}" class="tick-x">{}</text>"#,
                BASE + 16,
                esc(name)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A line of percentages (0 to 100) over time; a point without a value breaks the line.
pub fn line(label: &str, points: &[(String, Option<f64>)], small: bool) -> String {
    // `left` leaves room for the "100%" label.
    let (w, h, pad, left) = if small {
        (220u32, 90u32, 16u32, 34u32)
    } else {
        (560, 200, 30, 40)
    };
    let mut out = String::new();
    open(
        &mut out,
        w,
        h + 20,
        label,
        if small { "line small" } else { "line" },
    );
    let x_of = |i: usize| {
        let n = points.len().max(2) - 1;
        f64::from(left) + (f64::from(w - left - pad)) * i as f64 / n as f64
    };
    let y_of = |v: f64| f64::from(h) - (v.clamp(0.0, 100.0) / 100.0) * f64::from(h - pad);
    let _ = write!(
        out,
        r#"<line x1="{left}" y1="{h}" x2="{}" y2="{h}" class="axis"/><line x1="{left}" y1="{pad}" x2="{}" y2="{pad}" class="grid"/><text x="{}" y="{}" class="tick">100%</text><text x="{}" y="{h}" class="tick">0%</text>"#,
        w - pad,
        w - pad,
        left - 4,
        pad + 4,
        left - 4,
    );
    let mut path = String::new();
    for (i, (name, value)) in points.iter().enumerate() {
        if let Some(v) = value {
            let _ = write!(
                path,
                "{}{:.1},{:.1}",
                if path.is_empty() || points[i - 1].1.is_none() {
                    " M"
                } else {
                    " L"
                },
                x_of(i),
                y_of(*v)
            );
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{INK}"><title>{}: {}%</title></circle>"#,
                x_of(i),
                y_of(*v),
                esc(name),
                number(*v)
            );
        }
    }
    if !path.is_empty() {
        let _ = write!(
            out,
            r#"<path d="{}" fill="none" stroke="{INK}" stroke-width="2"/>"#,
            path.trim()
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            out,
            r#"<text x="{left}" y="{}" class="tick-x">{}</text><text x="{}" y="{}" class="tick-x end">{}</text>"#,
            h + 16,
            esc(&first.0),
            w - pad,
            h + 16,
            esc(&last.0)
        );
    }
    out.push_str("</svg>");
    out
}

/// A number as a chart shows it: whole numbers without decimals, others with one.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_names_and_say_what_they_show() {
        let svg = hbars(
            "Departments by state",
            &[Bar {
                label: "R&D <east>".into(),
                parts: vec![(3.0, COVERED, "3 covered".into())],
            }],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(r#"aria-label="Departments by state""#));
        assert!(svg.contains("R&amp;D &lt;east&gt;"));
        assert!(!svg.contains("<east>"));
        let line = line(
            "Response",
            &[
                ("2027-01-04".into(), Some(50.0)),
                ("2027-01-11".into(), None),
                ("2027-01-18".into(), Some(75.0)),
            ],
            false,
        );
        // The missing round breaks the line into two moves.
        assert_eq!(line.matches(" M").count() + line.matches("\"M").count(), 2);
        assert_eq!(line.matches("<circle").count(), 2);
    }
}
