//! The campaign charts: an A/B test's result and the best time to engage.

use plotters::prelude::*;

use super::draw::{
    Axis, DrawResult, HEIGHT, LegendAt, Margins, Plot, Ticks, WIDTH, colour, frame, legend, line_swatch, padded,
    render, short,
};
use super::{PlotError, Svg};
use crate::campaign::{ArmOutcome, TimingProfile, Uplift, stats};

/// The Wilson score interval for `k` successes in `n > 0` trials, the
/// interval [`TimingProfile`] gives each cell (the campaign module's own).
fn wilson(k: u64, n: u64) -> [f64; 2] {
    let (lo, hi) = stats::wilson(k, n, stats::z_975());
    [lo, hi]
}

/// Draws a point with a vertical 95% interval, in colour `c`.
fn whisker(area: &Plot<'_>, x: f64, value: f64, [lo, hi]: [f64; 2], c: RGBColor) -> DrawResult {
    let style = c.stroke_width(2);
    area.draw(&PathElement::new(vec![(x, lo), (x, hi)], style))?;
    area.draw(&PathElement::new(vec![(x - 0.08, lo), (x + 0.08, lo)], style))?;
    area.draw(&PathElement::new(vec![(x - 0.08, hi), (x + 0.08, hi)], style))?;
    area.draw(&Circle::new((x, value), 6, c.filled()))?;
    Ok(())
}

/// The A/B result: each arm's conversion rate with its 95% Wilson interval
/// (left), and each treatment's uplift over the control — the first
/// holdout arm, or the first arm if none is a holdout — with the 95%
/// interval of the difference (right; the two-proportion test of
/// [`Uplift`]). An arm without customers, or an uplift the test cannot
/// give, is named without a mark.
///
/// # Errors
///
/// [`PlotError::Empty`] when no arm has a customer.
///
/// # Example
///
/// ```
/// use customer_lifecycle::Money;
/// use customer_lifecycle::campaign::{ArmOutcome, Moments};
///
/// let arm = |name: &str, conversions| ArmOutcome {
///     arm: name.into(),
///     holdout: name == "holdout",
///     customers: 1000,
///     conversions,
///     revenue: Money::ZERO,
///     revenue_per_customer: Moments { n: 1000, mean: 0.0, variance: 0.0 },
///     moved_up: 0,
/// };
/// let svg = customer_lifecycle::plot::ab_test(&[arm("holdout", 100), arm("offer", 130)])?;
/// assert!(svg.as_str().contains("offer vs holdout"));
/// # Ok::<(), customer_lifecycle::plot::PlotError>(())
/// ```
pub fn ab_test(arms: &[ArmOutcome]) -> Result<Svg, PlotError> {
    if arms.iter().all(|a| a.customers == 0) {
        return Err(PlotError::Empty { what: "the experiment's arms" });
    }
    let control = arms.iter().position(|a| a.holdout).unwrap_or(0);
    let rates: Vec<Option<(f64, [f64; 2])>> = arms
        .iter()
        .map(|a| {
            (a.customers > 0).then(|| (a.conversions as f64 / a.customers as f64, wilson(a.conversions, a.customers)))
        })
        .collect();
    let treatments: Vec<usize> = (0..arms.len()).filter(|&i| i != control).collect();
    let uplifts: Vec<Option<(f64, [f64; 2])>> = treatments
        .iter()
        .map(|&i| Uplift::between(&arms[control], &arms[i]).conversion.map(|t| (t.diff, t.ci95)))
        .collect();
    let title = format!("A/B test: conversion per arm, and uplift over {}", arms[control].arm);
    render(WIDTH, HEIGHT, &title, |root, area| {
        let (width, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally(width / 2);
        let top = rates.iter().flatten().map(|(_, ci)| ci[1]).fold(0.0, f64::max);
        let labels = arms.iter().enumerate().map(|(i, a)| (i as f64, a.arm.clone())).collect();
        let n = arms.len() as f64;
        let x = Axis::new(-0.5..n - 0.5, "arm", Ticks::At(labels));
        let y = Axis::new(padded(0.0, 100.0 * top), "conversion rate (%, 95% interval)", Ticks::auto(6, short));
        let chart = frame(root, &left, &x, &y, Margins { left: 70, bottom: 56 })?;
        let area = chart.plotting_area();
        for (i, rate) in rates.iter().enumerate() {
            if let Some((p, [lo, hi])) = rate {
                whisker(area, i as f64, 100.0 * p, [100.0 * lo, 100.0 * hi], colour(i))?;
            }
        }
        let bounds = uplifts.iter().flatten().flat_map(|(_, ci)| [100.0 * ci[0], 100.0 * ci[1]]);
        let (lo, hi) = bounds.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let pad = 0.1 * (hi - lo).max(0.1);
        let labels = treatments
            .iter()
            .enumerate()
            .map(|(k, &i)| (k as f64, format!("{} vs {}", arms[i].arm, arms[control].arm)))
            .collect();
        let m = treatments.len().max(1) as f64;
        let x = Axis::new(-0.5..m - 0.5, "comparison", Ticks::At(labels));
        let y = Axis::new(lo - pad..hi + pad, "uplift (percentage points, 95% CI)", Ticks::auto(6, short));
        let chart = frame(root, &right, &x, &y, Margins { left: 70, bottom: 56 })?;
        let area = chart.plotting_area();
        area.draw(&PathElement::new(vec![(-0.5, 0.0), (m - 0.5, 0.0)], BLACK.stroke_width(1)))?;
        for (k, (&i, uplift)) in treatments.iter().zip(&uplifts).enumerate() {
            if let Some((d, [lo, hi])) = uplift {
                whisker(area, k as f64, 100.0 * d, [100.0 * lo, 100.0 * hi], colour(i))?;
            }
        }
        Ok(())
    })
}

/// `UTC`, or `UTC+02:00` and the like.
fn offset_name(seconds: i32) -> String {
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '−' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The best time to engage: each channel's response rate by hour of the
/// week, one line per channel, Monday 00:00 to Sunday 24:00, read at the
/// profile's offset from UTC (the axis says which), over a pale band of
/// the cells' 95% intervals. Hours without touches leave a gap.
///
/// # Errors
///
/// [`PlotError::Empty`] when no channel has a touch.
///
/// # Example
///
/// ```
/// use customer_lifecycle::Channel;
/// use customer_lifecycle::campaign::{HourOfWeek, TimingCell, TimingProfile};
///
/// let cells = (0..168u8)
///     .map(|h| TimingCell { hour: HourOfWeek::try_from(h).unwrap(), touches: 10, responses: u64::from(h % 24 / 4), ci95: [0.0, 1.0] })
///     .collect();
/// let profile = TimingProfile { offset_seconds: 3600, channels: vec![(Channel::Email, cells)] };
/// let svg = customer_lifecycle::plot::best_time(&profile)?;
/// assert!(svg.as_str().contains("UTC+01:00"));
/// # Ok::<(), customer_lifecycle::plot::PlotError>(())
/// ```
pub fn best_time(profile: &TimingProfile) -> Result<Svg, PlotError> {
    let channels: Vec<_> = profile.channels.iter().filter(|(_, cells)| cells.iter().any(|c| c.touches > 0)).collect();
    if channels.is_empty() {
        return Err(PlotError::Empty { what: "the timing profile" });
    }
    let top = channels
        .iter()
        .flat_map(|(_, cells)| cells.iter().filter(|c| c.touches > 0).map(|c| c.ci95[1]))
        .fold(0.0, f64::max);
    let zone = offset_name(profile.offset_seconds);
    render(WIDTH, HEIGHT, "Best time to engage: response rate by hour of the week", |root, area| {
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let labels = days.iter().enumerate().map(|(d, name)| (24.0 * d as f64 + 12.0, (*name).to_owned())).collect();
        let x_desc = format!("hour of the week ({zone}), Monday 00:00 to Sunday 24:00");
        let x = Axis::new(0.0..168.0, x_desc, Ticks::At(labels));
        let y = Axis::new(padded(0.0, 100.0 * top), "response rate (% of touches)", Ticks::auto(6, short));
        let mut chart = frame(root, area, &x, &y, Margins::default())?;
        let grid = RGBColor(200, 200, 200);
        let y_top = y.range.end;
        chart.draw_series(
            (1..7).map(|d| PathElement::new(vec![(24.0 * f64::from(d), 0.0), (24.0 * f64::from(d), y_top)], grid)),
        )?;
        for (k, (channel, cells)) in channels.iter().enumerate() {
            let c = colour(k);
            // Runs of consecutive hours with touches: one line each, over
            // its band of 95% intervals.
            let mut runs: Vec<Vec<(f64, f64, [f64; 2])>> = vec![Vec::new()];
            for cell in cells {
                match cell.response_rate() {
                    Some(rate) if cell.touches > 0 => {
                        let x = cell.hour.index() as f64 + 0.5;
                        let ci = [100.0 * cell.ci95[0], 100.0 * cell.ci95[1]];
                        runs.last_mut().expect("never empty").push((x, 100.0 * rate, ci));
                    }
                    _ => {
                        if runs.last().is_some_and(|r| !r.is_empty()) {
                            runs.push(Vec::new());
                        }
                    }
                }
            }
            runs.retain(|r| !r.is_empty());
            for run in &runs {
                let band: Vec<(f64, f64)> = run
                    .iter()
                    .map(|(x, _, ci)| (*x, ci[1]))
                    .chain(run.iter().rev().map(|(x, _, ci)| (*x, ci[0])))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.15).filled())))?;
            }
            for (i, run) in runs.into_iter().enumerate() {
                let line = run.into_iter().map(|(x, y, _)| (x, y));
                let drawn = chart.draw_series(LineSeries::new(line, c.stroke_width(2)))?;
                if i == 0 {
                    drawn.label(channel.name().to_owned()).legend(line_swatch(c));
                }
            }
        }
        legend(&mut chart, LegendAt::UpperRight)
    })
}
