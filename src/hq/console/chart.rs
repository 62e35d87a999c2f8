//! Charts drawn on the server as SVG, by hand with maud: bars (one row per label, this
//! period's bar over last year's) and lines (a period part by part, last year's line under
//! this period's). No chart library: the text is the browser's (Chinese
//! labels need no font shipped), the picture scales with the page, and the chart is a
//! few hundred bytes of markup that the page's tests can read.

use maud::{Markup, html};

/// One row of a chart: a label and two amounts (minor units).
pub struct Bar {
    pub label: String,
    pub current: i64,
    pub last_year: i64,
}

const WIDTH: i64 = 720;
const LABEL: i64 = 150;
const VALUE: i64 = 90;
const ROW: i64 = 34;
const TOP: i64 = 28;

/// A horizontal bar chart of `bars`, with a legend naming the two series.
pub fn bars(title: &str, legend: (&str, &str), bars: &[Bar]) -> Markup {
    let most = bars
        .iter()
        .flat_map(|b| [b.current, b.last_year])
        .max()
        .unwrap_or(0)
        .max(1);
    let span = WIDTH - LABEL - VALUE - 10;
    let length = |v: i64| (v.max(0) as i128 * span as i128 / most as i128) as i64;
    let height = TOP + ROW * bars.len().max(1) as i64 + 8;
    let short = |s: &str| -> String {
        if s.chars().count() > 18 {
            s.chars().take(17).chain(['…']).collect()
        } else {
            s.to_string()
        }
    };
    html! {
        svg.chart role="img" aria-label=(title) viewBox=(format!("0 0 {WIDTH} {height}"))
            xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            rect.cur x="8" y="8" width="12" height="10" {}
            text x="26" y="17" { (legend.0) }
            rect.ly x="160" y="8" width="12" height="10" {}
            text x="178" y="17" { (legend.1) }
            @for (i, b) in bars.iter().enumerate() {
                @let y = TOP + ROW * i as i64;
                text x=(LABEL - 6) y=(y + 18) text-anchor="end" { (short(&b.label)) }
                rect.cur x=(LABEL) y=(y + 3) width=(length(b.current)) height="13" {}
                rect.ly x=(LABEL) y=(y + 17) width=(length(b.last_year)) height="10" {}
                text x=(LABEL + length(b.current) + 4) y=(y + 14) { (super::money(b.current)) }
            }
        }
    }
}

/// One point of a line chart: its label (the part of the period) and two amounts.
pub struct Point {
    pub label: String,
    pub current: i64,
    pub last_year: i64,
}

const LINE_HEIGHT: i64 = 220;
const LEFT: i64 = 90;
const BOTTOM: i64 = 30;

/// A line chart of `points`: this period's line and last year's over it, the axis
/// labelled at the first, the last and about eight parts between.
pub fn lines(title: &str, legend: (&str, &str), points: &[Point]) -> Markup {
    let most = points
        .iter()
        .flat_map(|p| [p.current, p.last_year])
        .max()
        .unwrap_or(0)
        .max(1);
    let plot = (TOP, LINE_HEIGHT - BOTTOM);
    let span = WIDTH - LEFT - 20;
    let steps = points.len().saturating_sub(1).max(1) as i64;
    let x = |i: usize| LEFT + i as i64 * span / steps;
    let y = |v: i64| plot.1 - (v.max(0) as i128 * (plot.1 - plot.0) as i128 / most as i128) as i64;
    let path = |pick: fn(&Point) -> i64| -> String {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{},{}", x(i), y(pick(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let every = points.len().div_ceil(8).max(1);
    html! {
        svg.chart.lines role="img" aria-label=(title) viewBox=(format!("0 0 {WIDTH} {LINE_HEIGHT}"))
            xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            rect.cur x="8" y="8" width="12" height="10" {}
            text x="26" y="17" { (legend.0) }
            rect.ly x="160" y="8" width="12" height="10" {}
            text x="178" y="17" { (legend.1) }
            line.axis x1=(LEFT) y1=(plot.1) x2=(WIDTH - 20) y2=(plot.1) {}
            text x=(LEFT - 6) y=(plot.0 + 10) text-anchor="end" { (super::money(most)) }
            text x=(LEFT - 6) y=(plot.1) text-anchor="end" { "0" }
            polyline.ly points=(path(|p| p.last_year)) {}
            polyline.cur points=(path(|p| p.current)) {}
            @for (i, p) in points.iter().enumerate() {
                // The last part too, unless it would run into the one labelled before it.
                @if i % every == 0 || (i + 1 == points.len() && i % every > every / 2) {
                    text x=(x(i)) y=(LINE_HEIGHT - 10) text-anchor="middle" { (p.label) }
                }
            }
        }
    }
}
