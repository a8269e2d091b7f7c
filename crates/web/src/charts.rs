//! Progress charts as accessible SVG, drawn with `plotters`: a measure's totals over time on
//! its severity bands, with the caseness line. Each chart carries a title and a description
//! for screen readers, and the page puts the same figures in a table beside it.

use chrono::{DateTime, Utc};
use plotters::prelude::*;

use crate::when::When;

/// One instrument's chart.
#[derive(Debug)]
pub struct ChartSpec<'a> {
    /// Element id prefix, unique on the page.
    pub id: &'a str,
    pub title: &'a str,
    /// The highest possible total.
    pub max: i32,
    /// Lower edges of the severity bands above the lowest, e.g. PHQ-9: 5, 10, 15, 20.
    pub band_edges: &'a [i32],
    /// The lowest possible total (10 for a ProQOL-5 subscale).
    pub min: i32,
    /// The caseness threshold drawn as a line, where the measure has one.
    pub caseness: Option<i32>,
    pub points: &'a [(DateTime<Utc>, i32)],
    /// How the reader has dates written, and in which zone.
    pub when: &'a When,
    pub zone: chrono_tz::Tz,
}

const BAND_FILLS: [RGBColor; 5] = [
    RGBColor(0xea, 0xf4, 0xea),
    RGBColor(0xf6, 0xf3, 0xdf),
    RGBColor(0xfa, 0xec, 0xdc),
    RGBColor(0xf8, 0xe1, 0xd8),
    RGBColor(0xf3, 0xd6, 0xd6),
];

/// The chart's drawing size in pixels. The page shows it at most this wide (`svg.chart` in
/// app.css), so its labels are [`LABEL_PX`] on a wide screen and about 80% of that on a
/// 390-pixel phone (where the chart is about 290 pixels wide): 12.8 pixels, where a 480-pixel
/// drawing gave 9.6 (the browser walk measures the drawn size of every label).
const CHART_WIDTH: u32 = 360;
const CHART_HEIGHT: u32 = 220;
/// Axis label size, in the drawing's pixels.
const LABEL_PX: u32 = 16;

/// The chart as an SVG element, or `None` with fewer than one point.
pub fn progress_svg(spec: &ChartSpec<'_>) -> Option<String> {
    let (first, last) = (spec.points.first()?.0, spec.points.last()?.0);
    let span = (last - first).num_seconds().max(86_400);
    let mut svg = String::new();
    {
        let backend = SVGBackend::with_string(&mut svg, (CHART_WIDTH, CHART_HEIGHT));
        let root = backend.into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d(0..span, spec.min..spec.max)
            .ok()?;
        // Severity bands behind the line.
        let mut lower = spec.min;
        for (i, upper) in spec.band_edges.iter().copied().chain([spec.max + 1]).enumerate() {
            let fill = BAND_FILLS[i.min(BAND_FILLS.len() - 1)];
            chart
                .draw_series([Rectangle::new(
                    [(0, lower), (span, upper.min(spec.max))],
                    fill.filled(),
                )])
                .ok()?;
            lower = upper;
        }
        chart
            .configure_mesh()
            .disable_x_mesh()
            .label_style(("sans-serif", LABEL_PX))
            .y_labels(6)
            .x_labels(4)
            .x_label_formatter(&|secs| {
                let at = first + chrono::Duration::seconds(*secs);
                When::axis_day(at.with_timezone(&spec.zone).date_naive())
            })
            .draw()
            .ok()?;
        if let Some(line) = spec.caseness {
            let colour = RGBColor(0x8a, 0x3b, 0x12);
            chart
                .draw_series(LineSeries::new([(0, line), (span, line)], colour.stroke_width(2)))
                .ok()?;
        }
        let line = RGBColor(0x1d, 0x5f, 0xa1);
        let coords: Vec<(i64, i32)> =
            spec.points.iter().map(|(at, v)| ((*at - first).num_seconds(), *v)).collect();
        chart.draw_series(LineSeries::new(coords.iter().copied(), line.stroke_width(3))).ok()?;
        chart
            .draw_series(coords.iter().map(|&(x, y)| Circle::new((x, y), 4, line.filled())))
            .ok()?;
        root.present().ok()?;
    }
    let latest = spec.points.last().map_or(0, |p| p.1);
    let caseness =
        spec.caseness.map(|c| format!("; the caseness line is at {c}")).unwrap_or_default();
    let description = format!(
        "{} from {} to {}: {} scores, first {}, latest {}{caseness}.",
        spec.title,
        spec.when.day(first, spec.zone),
        spec.when.day(last, spec.zone),
        spec.points.len(),
        spec.points.first().map_or(0, |p| p.1),
        latest,
    );
    // Name the picture for assistive technology.
    let labelled = svg.replacen(
        "<svg ",
        &format!(
            "<svg role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" class=\"chart\" ",
            id = spec.id
        ),
        1,
    );
    let end_of_open_tag = labelled.find('>')? + 1;
    Some(format!(
        "{}<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>{}",
        &labelled[..end_of_open_tag],
        escape(spec.title),
        escape(&description),
        &labelled[end_of_open_tag..],
        id = spec.id
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn a_chart_is_an_svg_named_for_screen_readers_with_no_inline_styles() {
        let day = |d| Utc.with_ymd_and_hms(2027, 1, d, 12, 0, 0).single().expect("instant");
        let points = [(day(1), 17), (day(8), 14), (day(15), 11)];
        let svg = progress_svg(&ChartSpec {
            id: "phq9",
            title: "PHQ-9 over time",
            min: 0,
            max: 27,
            band_edges: &[5, 10, 15, 20],
            caseness: Some(10),
            points: &points,
            when: &When::new(crate::when::Clock::TwelveHour, day(20)),
            zone: chrono_tz::UTC,
        })
        .expect("an svg");
        assert!(svg.starts_with("<svg role=\"img\" aria-labelledby=\"phq9-title phq9-desc\""));
        assert!(svg.contains("<title id=\"phq9-title\">PHQ-9 over time</title>"));
        assert!(svg.contains("first 17, latest 11"));
        assert!(!svg.contains("style="), "the page's CSP forbids inline styles");
    }
}
