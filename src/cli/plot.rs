//! The alignment figure (PNG or SVG, by extension).
//!
//! Left: the signals against time (up to three features), and x next to the warped y(φ(t)).
//! Right: the warp φ drawn over the cost landscape `‖x(t_i) − y(τ)‖²` (knots t_i across,
//! τ on a grid over y's time range up), with the straight warp φ̄ for reference.

use decdtw::Problem;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::error::Error;
use std::path::Path;

/// DejaVu Sans (see `assets/DejaVuSans-LICENSE.txt`): plotters draws text with a font it is
/// given, so the figure looks the same on any machine.
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
pub const FONT_NAME: &str = "sans-serif";

/// Makes the built-in font the one plotters draws [`FONT_NAME`] with.
pub fn register() -> Result<(), String> {
    register_font(FONT_NAME, FontStyle::Normal, FONT)
        .map_err(|_| "the built-in font cannot be read".to_string())
}

const SIZE: (u32, u32) = (1500, 720);
/// Most knots (heatmap columns) and τ values (rows) drawn in the cost landscape.
const MAX_COLUMNS: usize = 300;
const ROWS: usize = 200;
/// Most features drawn in the signal panels.
const MAX_FEATURES: usize = 3;
const FEATURE_COLORS: [RGBColor; MAX_FEATURES] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
];
/// Anchors of the viridis colour map (low → high cost).
const VIRIDIS: [(f64, f64, f64); 5] = [
    (68.0, 1.0, 84.0),
    (59.0, 82.0, 139.0),
    (33.0, 145.0, 140.0),
    (94.0, 201.0, 98.0),
    (253.0, 231.0, 37.0),
];

/// What to draw: a problem, its warp and, when known, the warp that generated y.
pub struct Figure<'a> {
    pub problem: &'a Problem,
    pub phi: &'a [f64],
    pub truth: Option<&'a [f64]>,
    pub title: String,
}

enum Format {
    Png,
    Svg,
}

fn format(path: &Path) -> Result<Format, String> {
    match super::extension(path).as_str() {
        "png" => Ok(Format::Png),
        "svg" => Ok(Format::Svg),
        _ => Err(format!(
            "{}: the plot must be a .png or .svg file",
            path.display()
        )),
    }
}

/// Checks that `path` names a format the figure can be written in (before any work is done).
pub fn check_path(path: &Path) -> Result<(), String> {
    format(path).map(|_| ())
}

/// Draws `figure` into `path`.
pub fn draw(path: &Path, figure: &Figure) -> Result<(), String> {
    register()?;
    let drawn = match format(path)? {
        Format::Png => draw_on(BitMapBackend::new(path, SIZE).into_drawing_area(), figure),
        Format::Svg => draw_on(SVGBackend::new(path, SIZE).into_drawing_area(), figure),
    };
    drawn.map_err(|e| format!("{}: cannot write the plot: {e}", path.display()))
}

fn draw_on<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    figure: &Figure,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(&figure.title, (FONT_NAME, 24))?;
    let (left, right) = root.split_horizontally(SIZE.0 * 47 / 100);
    let (top, bottom) = left.split_vertically(root.dim_in_pixel().1 / 2);
    signals_panel(&top, figure.problem)?;
    aligned_panel(&bottom, figure)?;
    landscape_panel(&right, figure)?;
    root.present()?;
    Ok(())
}

/// x and y, each against its own time axis.
fn signals_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    problem: &Problem,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let (x, y) = (problem.x(), problem.y());
    let features = x.dim().min(MAX_FEATURES);
    let curves = (0..features)
        .map(|k| {
            let dark = x
                .times()
                .iter()
                .copied()
                .zip(column(x.values(), x.dim(), k));
            let light = y
                .times()
                .iter()
                .copied()
                .zip(column(y.values(), y.dim(), k));
            [
                (format!("x[{k}]"), dark.collect()),
                (format!("y[{k}]"), light.collect()),
            ]
        })
        .collect();
    let time = padded(x.start().min(y.start()), x.end().max(y.end()));
    feature_panel(
        area,
        "signals: x (dark) and y (light)",
        "time",
        time,
        curves,
    )
}

/// x(t) next to the warped y(φ(t)), at the knots: they overlap where the alignment is good.
fn aligned_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &Figure,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let problem = figure.problem;
    let features = problem.x().dim().min(MAX_FEATURES);
    let knots = problem.knots();
    let x_at: Vec<Vec<f64>> = (0..knots.len()).map(|i| problem.x_at_knot(i)).collect();
    let y_at: Vec<Vec<f64>> = figure.phi.iter().map(|&tau| problem.y_at(tau)).collect();
    let at_knots = |rows: &[Vec<f64>], k: usize| -> Vec<(f64, f64)> {
        knots.iter().zip(rows).map(|(&t, v)| (t, v[k])).collect()
    };
    let curves = (0..features)
        .map(|k| {
            [
                (format!("x[{k}](t)"), at_knots(&x_at, k)),
                (format!("y[{k}](φ(t))"), at_knots(&y_at, k)),
            ]
        })
        .collect();
    let time = padded(knots[0], knots[knots.len() - 1]);
    feature_panel(
        area,
        "x(t) and the warped y(φ(t))",
        "t (time of x)",
        time,
        curves,
    )
}

/// A labelled polyline.
type Curve = (String, Vec<(f64, f64)>);

/// One dark (x) and one light (y) curve per feature, in that feature's colour.
fn feature_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    time_label: &str,
    time: std::ops::Range<f64>,
    curves: Vec<[Curve; 2]>,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let values = value_range(
        curves
            .iter()
            .flatten()
            .flat_map(|(_, p)| p.iter().map(|q| q.1)),
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT_NAME, 18))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(time, values)?;
    chart
        .configure_mesh()
        .x_desc(time_label)
        .y_desc("value")
        .label_style((FONT_NAME, 13))
        .draw()?;
    for (pair, &color) in curves.into_iter().zip(&FEATURE_COLORS) {
        let [(x_label, x_points), (y_label, y_points)] = pair;
        draw_line(&mut chart, x_points, color.stroke_width(2), x_label)?;
        draw_line(
            &mut chart,
            y_points,
            color.mix(0.45).stroke_width(2),
            y_label,
        )?;
    }
    draw_legend(&mut chart)
}

/// The cost landscape with the warp, the straight warp φ̄ with the expected slope and, when known, the true warp.
fn landscape_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &Figure,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let problem = figure.problem;
    let knots = problem.knots();
    let (t0, t1) = (knots[0], knots[knots.len() - 1]);
    let (tau0, tau1) = (problem.y().start(), problem.y().end());
    let mut chart = ChartBuilder::on(area)
        .caption(
            "warp φ over the cost ‖x(t) − y(τ)‖² (dark = low)",
            (FONT_NAME, 18),
        )
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(t0..t1, tau0..tau1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("t (time of x)")
        .y_desc("τ (time of y)")
        .label_style((FONT_NAME, 13))
        .draw()?;
    chart.draw_series(heatmap(problem))?;

    let reference = knots
        .iter()
        .zip(problem.reference_warp())
        .map(|(&t, &tau)| (t, tau))
        .filter(|&(_, tau)| tau0 <= tau && tau <= tau1);
    draw_line(
        &mut chart,
        reference,
        WHITE.mix(0.8).stroke_width(1),
        "straight warp (expected slope)".into(),
    )?;
    if let Some(truth) = figure.truth {
        let points: Vec<(f64, f64)> = knots.iter().copied().zip(truth.iter().copied()).collect();
        chart
            .draw_series(DashedLineSeries::new(points, 8, 5, WHITE.stroke_width(2)))?
            .label("true warp")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], WHITE.stroke_width(2)));
    }
    let path = knots.iter().copied().zip(figure.phi.iter().copied());
    draw_line(
        &mut chart,
        path,
        RGBColor(230, 25, 25).stroke_width(3),
        "φ (optimal warp)".into(),
    )?;
    chart
        .configure_series_labels()
        .background_style(BLACK.mix(0.55))
        .border_style(WHITE)
        .label_font((FONT_NAME, 14).into_font().color(&WHITE))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    Ok(())
}

/// One rectangle per (shown knot, τ row), coloured by `‖x(t_i) − y(τ)‖²`.
fn heatmap(problem: &Problem) -> Vec<Rectangle<(f64, f64)>> {
    let knots = problem.knots();
    let stride = knots.len().div_ceil(MAX_COLUMNS);
    let shown: Vec<usize> = (0..knots.len()).step_by(stride).collect();
    let (tau0, tau1) = (problem.y().start(), problem.y().end());
    let h = (tau1 - tau0) / ROWS as f64;
    let mut cells = Vec::with_capacity(shown.len() * ROWS);
    for (c, &i) in shown.iter().enumerate() {
        let x_i = problem.x_at_knot(i);
        let left = c
            .checked_sub(1)
            .map_or(knots[i], |p| 0.5 * (knots[shown[p]] + knots[i]));
        let right = shown
            .get(c + 1)
            .map_or(knots[i], |&n| 0.5 * (knots[i] + knots[n]));
        for r in 0..ROWS {
            let tau = tau0 + (r as f64 + 0.5) * h;
            let cost: f64 = x_i
                .iter()
                .zip(problem.y_at(tau))
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            let bottom = tau0 + r as f64 * h;
            cells.push(((left, bottom), (right, bottom + h), cost));
        }
    }
    let max_cost = cells.iter().map(|c| c.2).fold(0.0, f64::max);
    cells
        .into_iter()
        .map(|(a, b, cost)| {
            // √ of the normalised cost: the colour follows the distance ‖x − y‖.
            let level = if max_cost > 0.0 {
                (cost / max_cost).sqrt()
            } else {
                0.0
            };
            Rectangle::new([a, b], viridis(level).filled())
        })
        .collect()
}

fn viridis(level: f64) -> RGBColor {
    let scaled = level.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let i = (scaled.floor() as usize).min(VIRIDIS.len() - 2);
    let a = scaled - i as f64;
    let (lo, hi) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: f64, q: f64| (p + a * (q - p)).round() as u8;
    RGBColor(mix(lo.0, hi.0), mix(lo.1, hi.1), mix(lo.2, hi.2))
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn draw_line<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    points: impl IntoIterator<Item = (f64, f64)>,
    style: ShapeStyle,
    label: String,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    chart
        .draw_series(LineSeries::new(points, style))?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    Ok(())
}

fn draw_legend<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT_NAME, 13))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}

/// Feature `k` of row-major `values` with `d` features.
fn column(values: &[f64], d: usize, k: usize) -> impl Iterator<Item = f64> + '_ {
    values.iter().skip(k).step_by(d).copied()
}

/// A range around `[lo, hi]` with 5 % room on each side (and some room when `lo == hi`).
fn padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else {
        0.5 * lo.abs().max(1.0)
    };
    lo - pad..hi + pad
}

fn value_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    padded(lo, hi)
}
