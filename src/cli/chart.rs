//! Log-log charts of measured series (the sweep's frontier and scaling plots), written as PNG
//! and SVG.

use super::plot::{register, FONT_NAME};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::error::Error;
use std::path::Path;

const SIZE: (u32, u32) = (900, 640);
const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// One named series: measured points (drawn as dots) and a line through some of them (e.g. a
/// Pareto frontier or a fitted power law).
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub line: Vec<(f64, f64)>,
}

/// A log-log chart.
pub struct Chart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: &'a [Series],
}

/// Draws `chart` into `stem.png` and `stem.svg`. Non-positive values cannot be drawn on log
/// axes and are left out.
pub fn draw_png_and_svg(stem: &Path, chart: &Chart) -> Result<(), String> {
    register()?;
    for extension in ["png", "svg"] {
        let path = stem.with_extension(extension);
        let drawn = if extension == "png" {
            draw_on(BitMapBackend::new(&path, SIZE).into_drawing_area(), chart)
        } else {
            draw_on(SVGBackend::new(&path, SIZE).into_drawing_area(), chart)
        };
        drawn.map_err(|e| format!("{}: cannot write the plot: {e}", path.display()))?;
    }
    Ok(())
}

fn draw_on<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let positive = |&(x, y): &(f64, f64)| x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite();
    let all: Vec<(f64, f64)> = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().chain(&s.line))
        .copied()
        .filter(positive)
        .collect();
    let range = |pick: fn(&(f64, f64)) -> f64| {
        let (lo, hi) = all
            .iter()
            .map(pick)
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if lo.is_finite() {
            lo / 1.5..hi * 1.5
        } else {
            1.0..10.0
        }
    };
    let mut ctx = ChartBuilder::on(&root)
        .caption(chart.title, (FONT_NAME, 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(range(|p| p.0).log_scale(), range(|p| p.1).log_scale())?;
    ctx.configure_mesh()
        .x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .label_style((FONT_NAME, 13))
        .axis_desc_style((FONT_NAME, 15))
        .x_label_formatter(&decade_label)
        .y_label_formatter(&decade_label)
        .draw()?;
    for (series, &color) in chart.series.iter().zip(COLORS.iter().cycle()) {
        let style = color.stroke_width(2);
        ctx.draw_series(
            series
                .points
                .iter()
                .copied()
                .filter(positive)
                .map(|p| Circle::new(p, 3, color.mix(0.6).filled())),
        )?;
        ctx.draw_series(LineSeries::new(
            series.line.iter().copied().filter(positive),
            style,
        ))?
        .label(series.name.clone())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    ctx.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT_NAME, 14))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Log-axis tick labels only at 1, 2 and 5 times a power of ten (the others stay blank).
fn decade_label(v: &f64) -> String {
    let exponent = v.log10().floor();
    let mantissa = v / 10f64.powf(exponent);
    let nice = [1.0, 2.0, 5.0]
        .iter()
        .any(|m| (mantissa - m).abs() < 1e-6 * m);
    match (nice, exponent) {
        (false, _) => String::new(),
        (true, e) if (0.0..6.0).contains(&e) => format!("{v:.0}"),
        (true, e) if (-3.0..0.0).contains(&e) => format!("{v}"),
        (true, _) => format!("{v:.0e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::decade_label;

    #[test]
    fn labels_only_at_one_two_five() {
        assert_eq!(decade_label(&200.0), "200");
        assert_eq!(decade_label(&0.05), "0.05");
        assert_eq!(decade_label(&1e-6), "1e-6");
        assert_eq!(decade_label(&300.0), "");
    }
}
