//! The marketer's charts: the ladder, the stage flows, the retention
//! cohorts, the leaking bucket and the RFM segments.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{
    Axis, HEIGHT, HeatMap, LegendAt, Margins, TEXT, Ticks, WIDTH, body, centred, colour, frame, heat_map, legend,
    padded, percent, render, swatch, text, thousands,
};
use super::{PlotError, Svg, check_finite};
use crate::Stage;
use crate::advocacy::LeakingBucket;
use crate::analytics::{CohortPeriod, CohortTable, Funnel, TransitionMatrix};
use crate::score::{Rfm, RfmSegments};

/// The ladder as a funnel: one centred bar per ladder stage, as wide as the
/// customers standing at it now, and between each pair of stages the step
/// conversion over the funnel's window (of those who first reached the
/// stage, the share who went on to the next). Dormant and churned
/// customers, off the ladder, are counted in a note.
///
/// # Errors
///
/// [`PlotError::Empty`] when no customer stands on the ladder.
///
/// # Example
///
/// ```
/// use customer_lifecycle::analytics::Funnel;
/// use customer_lifecycle::{CustomerBase, NewCustomer, Policy, Window};
///
/// let mut base = CustomerBase::new(Policy::default());
/// let day = "2024-01-02T00:00:00Z".parse()?;
/// base.add_customer(NewCustomer::with_key("ana", day))?;
/// let funnel = Funnel::from_base(&base, Window::quarter(2024, 1)?);
/// let svg = customer_lifecycle::plot::ladder(&funnel)?;
/// assert!(svg.as_str().contains("prospect"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ladder(funnel: &Funnel) -> Result<Svg, PlotError> {
    let count = |stage: Stage| funnel.stages.iter().find(|(s, _)| *s == stage).map_or(0, |(_, n)| *n);
    let counts: Vec<u64> = Stage::LADDER.iter().map(|&s| count(s)).collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return Err(PlotError::Empty { what: "the ladder" });
    }
    let max = max as f64;
    let n = Stage::LADDER.len();
    let window = format!("{} to {}", funnel.window.start().date_naive(), funnel.window.end().date_naive());
    render(WIDTH, HEIGHT, "The ladder: customers per stage, and step conversion", |root, area| {
        let names = Stage::LADDER.iter().rev().map(|s| s.name().to_owned());
        let x = Axis::new(0.0..2.0 * max, "customers at each stage now (bar width)", Ticks::At(Vec::new()));
        let y = Axis::new(0.0..n as f64 + 0.7, "ladder stage", centred(names));
        let mut chart = frame(root, area, &x, &y, Margins { left: 110, bottom: 40 })?;
        let centre = 0.5 * max;
        let blue = colour(0);
        for (i, &c) in counts.iter().enumerate() {
            let y0 = (n - 1 - i) as f64;
            let half = 0.5 * c as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(centre - half, y0 + 0.12), (centre + half, y0 + 0.88)],
                blue.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                thousands(c as f64),
                (centre + half + 0.015 * max, y0 + 0.5),
                body(),
            )))?;
        }
        let at = 1.12 * max;
        let header = format!("step conversion, {window}");
        chart.draw_series(std::iter::once(Text::new(header, (at, n as f64 + 0.35), body())))?;
        for (k, step) in funnel.conversions.iter().enumerate().take(n - 1) {
            let line = match step.rate() {
                Some(rate) => format!("↓ {} of {} moved on", percent(rate, 1), thousands(step.reached as f64)),
                None => "↓ nobody reached it".to_owned(),
            };
            chart.draw_series(std::iter::once(Text::new(line, (at, (n - 1 - k) as f64), body())))?;
        }
        let dormant = count(Stage::Dormant) as f64;
        let churned = count(Stage::Churned) as f64;
        let note = format!("off the ladder now: {} dormant, {} churned", thousands(dormant), thousands(churned));
        chart.draw_series(std::iter::once(Text::new(note, (0.02 * max, n as f64 + 0.35), body())))?;
        Ok(())
    })
}

/// Stage flows between the two ends of a transition matrix's period, as a
/// heat map: a row per stage at the start, a column per stage at the end,
/// each cell coloured by its share of the row and labelled with its count.
/// Stages nobody stood at when the period began are left empty.
///
/// # Errors
///
/// [`PlotError::Empty`] when the matrix counts nobody.
///
/// # Example
///
/// ```
/// use customer_lifecycle::analytics::TransitionMatrix;
/// use customer_lifecycle::{CustomerBase, NewCustomer, Policy, Window};
///
/// let mut base = CustomerBase::new(Policy::default());
/// base.add_customer(NewCustomer::with_key("ana", "2023-12-01T00:00:00Z".parse()?))?;
/// let matrix = TransitionMatrix::from_base(&base, Window::quarter(2024, 1)?);
/// let svg = customer_lifecycle::plot::stage_flows(&matrix)?;
/// assert!(svg.as_str().contains("Stage flows from 2024-01-01 to 2024-04-01"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn stage_flows(matrix: &TransitionMatrix) -> Result<Svg, PlotError> {
    if matrix.counts.iter().flatten().all(|&n| n == 0) {
        return Err(PlotError::Empty { what: "the transition matrix" });
    }
    let (start, end) = (matrix.period.start().date_naive(), matrix.period.end().date_naive());
    let values: Vec<Vec<Option<f64>>> = matrix
        .counts
        .iter()
        .map(|row| {
            let total: u64 = row.iter().sum();
            row.iter().map(|&n| (total > 0).then(|| n as f64 / total as f64)).collect()
        })
        .collect();
    let names: Vec<String> = Stage::ALL.iter().map(|s| s.name().to_owned()).collect();
    let write = |r: usize, c: usize, _: f64| thousands(matrix.counts[r][c] as f64);
    let map = HeatMap {
        columns: names.clone(),
        rows: names,
        x_desc: format!("stage on {end} (cell: customers)"),
        y_desc: format!("stage on {start}"),
        scale_desc: "share of the row (%)".to_owned(),
        values: &values,
        range: (0.0, 1.0),
        cell_text: Some(&write),
        scale_format: &|v| format!("{:.0}", 100.0 * v),
        margins: Margins { left: 110, bottom: 56 },
    };
    render(WIDTH, HEIGHT, &format!("Stage flows from {start} to {end}"), |root, area| heat_map(root, area, &map))
}

/// Retention cohorts as a heat map: a row per acquisition cohort (oldest on
/// top), a column per period since acquisition, each cell the share of the
/// cohort that bought in that period. The colour scale runs to the highest
/// share after the first period, so that the first column (always 100%)
/// does not wash out the rest; cells say their share when there is room.
///
/// # Errors
///
/// [`PlotError::Empty`] for a table without cohorts.
///
/// # Example
///
/// ```
/// use customer_lifecycle::analytics::{CohortPeriod, CohortTable};
/// use customer_lifecycle::{CustomerId, Money};
///
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// let m = Money::from_minor(100);
/// let log = [(CustomerId::from_key("a"), d("2024-01-05"), m), (CustomerId::from_key("a"), d("2024-02-11"), m)];
/// let table = CohortTable::from_records(&log, CohortPeriod::Month, d("2024-03-15"));
/// let svg = customer_lifecycle::plot::cohorts(&table)?;
/// assert!(svg.as_str().contains("2024-01"));
/// # Ok::<(), customer_lifecycle::plot::PlotError>(())
/// ```
pub fn cohorts(table: &CohortTable) -> Result<Svg, PlotError> {
    if table.cohorts.is_empty() {
        return Err(PlotError::Empty { what: "the cohort table" });
    }
    let periods = table.cohorts.iter().map(|c| c.active.len()).max().unwrap_or(0).max(1);
    let values: Vec<Vec<Option<f64>>> = table
        .cohorts
        .iter()
        .map(|c| {
            (0..periods).map(|j| c.active.get(j).filter(|_| c.size > 0).map(|&a| a as f64 / c.size as f64)).collect()
        })
        .collect();
    let later = values.iter().flat_map(|row| row.iter().skip(1).flatten()).fold(0.0f64, |a, &b| a.max(b));
    let top = if later > 0.0 { later } else { 1.0 };
    let unit = table.period.plural();
    let label = |d: chrono::NaiveDate| match table.period {
        CohortPeriod::Quarter => {
            use chrono::Datelike;
            format!("{} Q{}", d.year(), d.month0() / 3 + 1)
        }
        period => period.label(d),
    };
    let rows: Vec<String> = table.cohorts.iter().map(|c| format!("{} (n={})", label(c.start), c.size)).collect();
    // Room for "100%" in a cell of the 560-pixel-wide plot.
    let roomy = periods <= 12 && table.cohorts.len() <= 16;
    let write = |_: usize, _: usize, v: f64| percent(v, 0);
    let map = HeatMap {
        columns: (0..periods).map(|j| j.to_string()).collect(),
        rows,
        x_desc: format!("{unit} since the first purchase"),
        y_desc: "cohort (period of first purchase)".to_owned(),
        scale_desc: "cohort buying in the period (%)".to_owned(),
        values: &values,
        range: (0.0, top),
        cell_text: if roomy { Some(&write) } else { None },
        scale_format: &|v| format!("{:.0}", 100.0 * v),
        margins: Margins { left: 170, bottom: 56 },
    };
    let title = format!("Retention by acquisition {}, as of {}", &unit[..unit.len() - 1], table.as_of);
    render(WIDTH, HEIGHT, &title, |root, area| heat_map(root, area, &map))
}

/// The leaking bucket: per period, the customers acquired (bars up), the
/// customers lost (bars down: churned, or P(alive) fell below the bucket's
/// threshold) and the net change (points joined by a line).
///
/// # Errors
///
/// [`PlotError::Empty`] for a bucket without periods.
///
/// # Example
///
/// ```
/// use customer_lifecycle::advocacy::{BucketRow, LeakingBucket};
///
/// let row = |start: &str, acquired: usize, lost: usize| BucketRow {
///     start: start.parse().unwrap(),
///     end: start.parse().unwrap(),
///     acquired,
///     lost,
///     churned: lost,
///     net: acquired as i64 - lost as i64,
///     value_gained: 0.0,
///     value_lost: 0.0,
///     revenue: 0.0,
///     revenue_at_risk: 0.0,
/// };
/// let bucket = LeakingBucket { rows: vec![row("2024-01-01", 120, 80), row("2024-04-01", 90, 110)], p_alive_threshold: 0.5, left_out: 0 };
/// let svg = customer_lifecycle::plot::leaking_bucket(&bucket)?;
/// assert!(svg.as_str().contains("2024-04-01"));
/// # Ok::<(), customer_lifecycle::plot::PlotError>(())
/// ```
pub fn leaking_bucket(bucket: &LeakingBucket) -> Result<Svg, PlotError> {
    if bucket.rows.is_empty() {
        return Err(PlotError::Empty { what: "the leaking bucket" });
    }
    let rows = &bucket.rows;
    let up = rows.iter().map(|r| r.acquired as f64).chain(rows.iter().map(|r| r.net as f64)).fold(0.0, f64::max);
    let down = rows.iter().map(|r| r.lost as f64).chain(rows.iter().map(|r| -r.net as f64)).fold(0.0, f64::max);
    let span = (up + down).max(1.0);
    let n = rows.len();
    render(WIDTH, HEIGHT, "The leaking bucket: customers acquired and lost per period", |root, area| {
        let labels = rows.iter().enumerate().map(|(i, r)| (i as f64, r.start.to_string())).collect();
        let x = Axis::new(-0.5..n as f64 - 0.5, "period starting", Ticks::At(labels));
        let y_range = -down - 0.12 * span..up + 0.4 * span;
        let y = Axis::new(y_range, "customers (lost below zero)", Ticks::auto(8, thousands));
        let mut chart = frame(root, area, &x, &y, Margins::default())?;
        let (acquired, lost, net) = (colour(0), colour(3), colour(6));
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let x = i as f64;
                Rectangle::new([(x - 0.36, 0.0), (x - 0.02, r.acquired as f64)], acquired.filled())
            }))?
            .label("acquired")
            .legend(swatch(acquired));
        let threshold = bucket.p_alive_threshold;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let x = i as f64;
                Rectangle::new([(x + 0.02, -(r.lost as f64)), (x + 0.36, 0.0)], lost.filled())
            }))?
            .label(format!("lost (churned, or P(alive) fell below {threshold})"))
            .legend(swatch(lost));
        chart.draw_series(std::iter::once(PathElement::new(vec![(-0.5, 0.0), (n as f64 - 0.5, 0.0)], BLACK)))?;
        chart.draw_series(LineSeries::new(rows.iter().enumerate().map(|(i, r)| (i as f64, r.net as f64)), net))?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| Circle::new((i as f64, r.net as f64), 5, net.filled())))?
            .label("net change")
            .legend(move |(x, y)| Circle::new((x + 7, y), 5, net.filled()));
        legend(&mut chart, LegendAt::UpperRight)
    })
}

/// RFM segments: the customers (left) and the revenue (right) of each
/// named segment of `segments`, in the map's order, empty segments
/// included. Revenue is the sum of the customers' monetary values, in the
/// currency's major units.
///
/// # Errors
///
/// [`PlotError::Empty`] when nobody was scored.
///
/// # Example
///
/// ```
/// use customer_lifecycle::Money;
/// use customer_lifecycle::score::{Rfm, RfmSegments};
///
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// let rfm = Rfm::from_records([("x", d("2024-01-01"), Money::from_minor(100))], d("2024-01-31"))?;
/// let svg = customer_lifecycle::plot::rfm_segments(&rfm, &RfmSegments::default())?;
/// assert!(svg.as_str().contains("Can&apos;t Lose Them"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rfm_segments<K>(rfm: &Rfm<K>, segments: &RfmSegments) -> Result<Svg, PlotError>
where
    K: std::hash::Hash + Eq + Clone,
{
    if rfm.rows().is_empty() {
        return Err(PlotError::Empty { what: "the RFM table" });
    }
    let sizes = rfm.segment_sizes(segments);
    let mut revenue = vec![0.0; sizes.len()];
    for row in rfm.rows() {
        let name = segments.segment(row.score);
        if let Some(i) = sizes.iter().position(|(s, _)| s == name) {
            revenue[i] += row.monetary.to_f64();
        }
    }
    check_finite("segment revenue", revenue.iter().copied())?;
    let title = format!("RFM segments as of {}: customers and revenue", rfm.as_of());
    render(WIDTH, HEIGHT, &title, |root, area| {
        let (width, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally(width * 56 / 100);
        let n = sizes.len();
        let names = sizes.iter().rev().map(|(name, _)| name.clone());
        let most = sizes.iter().map(|(_, c)| *c as f64).fold(0.0, f64::max);
        let x = Axis::new(padded(0.0, most * 1.25), "customers", Ticks::auto(5, thousands));
        let y = Axis::new(0.0..n as f64, "segment", centred(names));
        let mut chart = frame(root, &left, &x, &y, Margins { left: 170, bottom: 56 })?;
        let blue = colour(0);
        for (i, (_, c)) in sizes.iter().enumerate() {
            let y0 = (n - 1 - i) as f64;
            let c = *c as f64;
            chart.draw_series(std::iter::once(Rectangle::new([(0.0, y0 + 0.15), (c, y0 + 0.85)], blue.filled())))?;
            let label = text(TEXT, HPos::Left, VPos::Center);
            chart.draw_series(std::iter::once(Text::new(thousands(c), (c + 0.01 * most, y0 + 0.5), label)))?;
        }
        let top = revenue.iter().copied().fold(0.0, f64::max);
        let x = Axis::new(padded(0.0, top * 1.1), "revenue (currency units)", Ticks::auto(4, thousands));
        let y = Axis::new(0.0..n as f64, "", Ticks::At(Vec::new()));
        let mut chart = frame(root, &right, &x, &y, Margins { left: 12, bottom: 56 })?;
        let green = colour(2);
        chart.draw_series(revenue.iter().enumerate().map(|(i, &r)| {
            let y0 = (n - 1 - i) as f64;
            Rectangle::new([(0.0, y0 + 0.15), (r, y0 + 0.85)], green.filled())
        }))?;
        Ok(())
    })
}
