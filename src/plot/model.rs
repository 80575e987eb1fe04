//! The analyst's charts: how a purchase model tracks the repeat
//! transactions, predicts the holdout, scores the frequency × recency
//! plane, and reproduces the spread of repeat purchases.
//!
//! The crate's purchase models share no trait; these charts take their
//! predictions as closures (or, for period transactions, data simulated
//! from the fitted model), so BG/NBD, modified BG/NBD and Pareto/NBD are
//! drawn alike.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeDelta};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::draw::{
    Axis, HEIGHT, HeatMap, LegendAt, Margins, Ticks, WIDTH, body, colour, frame, heat_map, legend, line_swatch, padded,
    percent, render, short, swatch, thousands,
};
use super::{PlotError, Svg, check_finite};
use crate::Transaction;
use crate::clv::{FitData, History, HoldoutRow, TimeUnit};

/// `"week"` or `"weeks"`, and so on.
fn unit_name(unit: TimeUnit, plural: bool) -> &'static str {
    match (unit, plural) {
        (TimeUnit::Days, false) => "day",
        (TimeUnit::Days, true) => "days",
        (TimeUnit::Weeks, false) => "week",
        (TimeUnit::Weeks, true) => "weeks",
    }
}

/// Repeat transactions of a calibration cohort per period, actual and as a
/// purchase model expects them, across calibration and holdout: the data
/// of the [`tracking`] chart.
///
/// # Formula
///
/// The cohort is every customer whose first purchase is on or before the
/// calibration end; a repeat transaction is a distinct purchase day after
/// the first, up to the holdout end. Periods are one time unit long and
/// whole periods end at the calibration end: the first period is the one
/// that holds the cohort's first purchase day, and the last one, ending at
/// the holdout end, may be short. A customer who first bought on day
/// `d` is expected to have made `E[X(τ)]` repeat purchases by the end of a
/// day `τ` time units after `d` (the model's expectation for a new
/// customer), so the cohort's expected cumulative count at the end of
/// period `k` is `Σ_i E[X((end_k − d_i) / unit)]`, and the expected count
/// in the period is its increase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    /// The model's name, for the title.
    pub model: String,
    /// The length of a period.
    pub time_unit: TimeUnit,
    /// The first day of the first period (on or before the first purchase).
    pub start: NaiveDate,
    /// The last calibration day.
    pub calibration_end: NaiveDate,
    /// Actual repeat transactions per period.
    pub actual: Vec<f64>,
    /// Expected repeat transactions per period.
    pub expected: Vec<f64>,
}

impl Tracking {
    /// The tracking data of `log` (in any order) split at
    /// `calibration_end`, up to `holdout_end`, with `expected_new(τ)` the
    /// model's expected repeat purchases in the first `τ` time units after
    /// a first purchase (`expected_purchases_new` of each model).
    ///
    /// # Errors
    ///
    /// [`PlotError::InvalidOption`] unless `holdout_end` is after
    /// `calibration_end`; [`PlotError::Empty`] when nobody bought on or
    /// before the calibration end; [`PlotError::NonFinite`] when the model
    /// gives a value that is not finite.
    ///
    /// # Complexity
    ///
    /// O(n log n + p × d) for n transactions, p periods and d distinct
    /// first-purchase days.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::Transaction;
    /// use customer_lifecycle::clv::{ParetoNbd, PurchaseModel, TimeUnit};
    /// use customer_lifecycle::plot::Tracking;
    ///
    /// let t = |key: &str, date: &str| Transaction { key: key.into(), date: date.parse().unwrap(), amount: "1".parse().unwrap() };
    /// let log = [t("a", "2024-01-01"), t("a", "2024-01-09"), t("b", "2024-01-03"), t("a", "2024-01-20")];
    /// let model = ParetoNbd::new(0.55, 10.6, 0.61, 11.7)?;
    /// let d = |s: &str| s.parse().unwrap();
    /// let tracking = Tracking::from_transactions("Pareto/NBD", &log, d("2024-01-14"), d("2024-01-28"), TimeUnit::Weeks, |tau| model.expected_purchases_new(tau))?;
    /// assert_eq!(tracking.actual, [0.0, 1.0, 1.0, 0.0]);
    /// assert_eq!(tracking.expected.len(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_transactions(
        model: impl Into<String>,
        log: &[Transaction],
        calibration_end: NaiveDate,
        holdout_end: NaiveDate,
        time_unit: TimeUnit,
        expected_new: impl Fn(f64) -> f64,
    ) -> Result<Tracking, PlotError> {
        if holdout_end <= calibration_end {
            let days = (holdout_end - calibration_end).num_days() as f64;
            return Err(PlotError::InvalidOption {
                name: "holdout_end",
                value: days,
                reason: "must be after the calibration end (value: days after it)",
            });
        }
        let mut days: HashMap<&str, Vec<NaiveDate>, foldhash::fast::FixedState> = HashMap::default();
        for t in log.iter().filter(|t| t.date <= holdout_end) {
            days.entry(t.key.as_str()).or_default().push(t.date);
        }
        let mut firsts: Vec<NaiveDate> = Vec::new();
        let mut repeats: Vec<NaiveDate> = Vec::new();
        for list in days.values_mut() {
            list.sort_unstable();
            list.dedup();
            if list[0] <= calibration_end {
                firsts.push(list[0]);
                repeats.extend_from_slice(&list[1..]);
            }
        }
        let Some(&first) = firsts.iter().min() else {
            return Err(PlotError::Empty { what: "the calibration cohort" });
        };
        // Whole periods end at the calibration end, so that the marker
        // falls between two of them; the first period may begin before
        // the first purchase.
        let length = time_unit.days().round().max(1.0) as i64;
        let calibration_days = (calibration_end - first).num_days() + 1;
        let periods_before = (calibration_days + length - 1) / length;
        let start = calibration_end + TimeDelta::days(1 - periods_before * length);
        let periods = ((holdout_end - start).num_days() / length + 1) as usize;
        let mut actual = vec![0.0; periods];
        for day in repeats {
            actual[((day - start).num_days() / length) as usize] += 1.0;
        }
        firsts.sort_unstable();
        let mut cohorts: Vec<(NaiveDate, f64)> = Vec::new();
        for day in firsts {
            match cohorts.last_mut() {
                Some((d, n)) if *d == day => *n += 1.0,
                _ => cohorts.push((day, 1.0)),
            }
        }
        let mut expected = Vec::with_capacity(periods);
        let mut before = 0.0;
        for k in 0..periods as i64 {
            let end = (start + TimeDelta::days((k + 1) * length - 1)).min(holdout_end);
            let cumulative: f64 = cohorts
                .iter()
                .filter(|(d, _)| *d <= end)
                .map(|(d, n)| n * expected_new((end - *d).num_days() as f64 / time_unit.days()))
                .sum();
            expected.push(cumulative - before);
            before = cumulative;
        }
        check_finite("expected repeat transactions", expected.iter().copied())?;
        Ok(Tracking { model: model.into(), time_unit, start, calibration_end, actual, expected })
    }
}

/// Model tracking: the cohort's repeat transactions, cumulative (top) and
/// per period (bottom), actual against what the model expects, across the
/// calibration and holdout periods, with the calibration end marked. 800 ×
/// 640 pixels.
///
/// # Errors
///
/// [`PlotError::Empty`] without periods; [`PlotError::Mismatch`] when the
/// two series differ in length; [`PlotError::NonFinite`] for a value that
/// is not finite.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::TimeUnit;
/// use customer_lifecycle::plot::{Tracking, tracking};
///
/// let data = Tracking {
///     model: "BG/NBD".into(),
///     time_unit: TimeUnit::Weeks,
///     start: "2024-01-01".parse()?,
///     calibration_end: "2024-01-14".parse()?,
///     actual: vec![3.0, 5.0, 4.0, 2.0],
///     expected: vec![3.5, 4.2, 3.6, 3.0],
/// };
/// let svg = tracking(&data)?;
/// assert!(svg.as_str().contains("calibration end"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn tracking(data: &Tracking) -> Result<Svg, PlotError> {
    let periods = data.actual.len();
    if periods == 0 {
        return Err(PlotError::Empty { what: "the tracking data" });
    }
    if data.expected.len() != periods {
        let reason = format!("{periods} actual periods but {} expected", data.expected.len());
        return Err(PlotError::Mismatch { reason });
    }
    check_finite("actual repeat transactions", data.actual.iter().copied())?;
    check_finite("expected repeat transactions", data.expected.iter().copied())?;
    let running = |v: &[f64]| {
        v.iter()
            .scan(0.0, |sum, x| {
                *sum += x;
                Some(*sum)
            })
            .collect::<Vec<f64>>()
    };
    let (cum_actual, cum_expected) = (running(&data.actual), running(&data.expected));
    let unit = data.time_unit;
    let length = unit.days();
    let start = data.start;
    let cut = ((data.calibration_end - start).num_days() + 1) as f64 / length;
    let date = move |x: f64| (start + TimeDelta::days((x * length).round() as i64)).format("%Y-%m-%d").to_string();
    let title = format!("Tracking: repeat transactions, actual and expected by {}", data.model);
    render(WIDTH, 640, &title, |root, area| {
        let (top, bottom) = area.split_vertically(310);
        let per_period = format!("repeat transactions per {}", unit_name(unit, false));
        let panels = [
            (&top, cum_actual.as_slice(), cum_expected.as_slice(), "cumulative repeat transactions".to_owned(), true),
            (&bottom, data.actual.as_slice(), data.expected.as_slice(), per_period, false),
        ];
        for (panel, actual, expected, y_desc, cumulative) in panels {
            let most = actual.iter().chain(expected).copied().fold(0.0, f64::max);
            let x_desc = format!("date ({} since {start})", unit_name(unit, true));
            let x = Axis::new(0.0..periods as f64, x_desc, Ticks::auto(6, date));
            let y = Axis::new(padded(0.0, most), y_desc, Ticks::auto(5, thousands));
            let mut chart = frame(root, panel, &x, &y, Margins { left: 80, bottom: 50 })?;
            // Cumulative counts stand at each period's end, per-period ones at its start.
            let at = |k: usize| if cumulative { k as f64 + 1.0 } else { k as f64 };
            let (a, e) = (colour(0), colour(3));
            chart
                .draw_series(LineSeries::new(actual.iter().enumerate().map(|(k, v)| (at(k), *v)), a.stroke_width(2)))?
                .label("actual")
                .legend(line_swatch(a));
            chart
                .draw_series(DashedLineSeries::new(
                    expected.iter().enumerate().map(|(k, v)| (at(k), *v)),
                    8,
                    5,
                    e.stroke_width(2),
                ))?
                .label(format!("expected ({})", data.model))
                .legend(line_swatch(e));
            let top_y = y.range.end;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(cut, 0.0), (cut, top_y)],
                BLACK.stroke_width(1),
            )))?;
            if cumulative {
                let label = Text::new("← calibration end", (cut, top_y * 0.95), body());
                chart.draw_series(std::iter::once(label))?;
                legend(&mut chart, LegendAt::UpperLeft)?;
            }
        }
        Ok(())
    })
}

/// Calibration against holdout: the customers' mean purchases in the
/// holdout, actual and predicted, by their repeat purchases in the
/// calibration period (from [`holdout_table`](crate::clv::holdout_table);
/// the last group holds that many or more).
///
/// # Errors
///
/// [`PlotError::Empty`] without rows; [`PlotError::NonFinite`] for a mean
/// that is not finite.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{HoldoutRow, TimeUnit};
///
/// let rows = [HoldoutRow { frequency: 0, customers: 10, actual: 0.5, predicted: 0.4 }, HoldoutRow { frequency: 1, customers: 4, actual: 1.5, predicted: 1.2 }];
/// let svg = customer_lifecycle::plot::calibration_holdout(&rows, "Pareto/NBD", TimeUnit::Weeks, 26.0)?;
/// assert!(svg.as_str().contains("mean purchases in the 26-week holdout"));
/// # Ok::<(), customer_lifecycle::plot::PlotError>(())
/// ```
pub fn calibration_holdout(
    rows: &[HoldoutRow],
    model: &str,
    time_unit: TimeUnit,
    holdout_length: f64,
) -> Result<Svg, PlotError> {
    if rows.is_empty() {
        return Err(PlotError::Empty { what: "the holdout table" });
    }
    check_finite("holdout means", rows.iter().flat_map(|r| [r.actual, r.predicted]))?;
    let n = rows.len();
    let labels = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (i as f64, if i + 1 == n { format!("{}+", r.frequency) } else { r.frequency.to_string() }))
        .collect();
    let most = rows.iter().flat_map(|r| [r.actual, r.predicted]).fold(0.0, f64::max);
    let title = format!("Calibration against holdout ({model})");
    render(WIDTH, HEIGHT, &title, |root, area| {
        let x = Axis::new(-0.5..n as f64 - 0.5, "repeat purchases in the calibration period", Ticks::At(labels));
        let y_desc = format!("mean purchases in the {}-{} holdout", short(holdout_length), unit_name(time_unit, false));
        let y = Axis::new(padded(0.0, most), y_desc, Ticks::auto(6, short));
        let mut chart = frame(root, area, &x, &y, Margins::default())?;
        for (k, (name, pick)) in
            [("actual", (|r: &HoldoutRow| r.actual) as fn(&HoldoutRow) -> f64), ("predicted", |r| r.predicted)]
                .into_iter()
                .enumerate()
        {
            let c = colour(if k == 0 { 0 } else { 3 });
            let points: Vec<(f64, f64)> = rows.iter().enumerate().map(|(i, r)| (i as f64, pick(r))).collect();
            chart.draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?;
            let label = if k == 0 { name.to_owned() } else { format!("{name} ({model})") };
            chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, 5, c.filled())))?
                .label(label)
                .legend(swatch(c));
        }
        legend(&mut chart, LegendAt::UpperLeft)
    })
}

/// What a [`FrequencyRecency`] grid holds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GridQuantity {
    /// Expected purchases in the next `horizon` time units.
    ExpectedPurchases {
        /// The horizon, in the grid's time unit.
        horizon: f64,
    },
    /// The probability that the customer is still alive.
    PAlive,
}

/// A purchase model's prediction over the frequency × recency plane for
/// customers observed for `t` time units: the data of the
/// [`frequency_recency`] chart.
///
/// Recency runs from 0 to `t` in `recency_bins` equal bins, each valued at
/// its centre; a customer without repeat purchases has recency 0, so the
/// frequency-0 row has only its first cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequencyRecency {
    /// The model's name, for the title.
    pub model: String,
    /// What the values are.
    pub quantity: GridQuantity,
    /// The unit of `t`, the recency and the horizon.
    pub time_unit: TimeUnit,
    /// The customers' observation time `T`.
    pub t: f64,
    /// `values[x][bin]`, for `x = 0..=max_frequency`; `None` where no
    /// customer can be.
    pub values: Vec<Vec<Option<f64>>>,
}

impl FrequencyRecency {
    /// Evaluates `value(x, t_x, t)` (the model's prediction for that history)
    /// on the grid.
    ///
    /// # Errors
    ///
    /// [`PlotError::InvalidOption`] for `t` not positive and finite, more
    /// than 100 frequencies or bins, no bin, or a horizon not positive and
    /// finite; [`PlotError::NonFinite`] when the model gives a value that is
    /// not finite.
    ///
    /// # Complexity
    ///
    /// `1 + max_frequency × recency_bins` predictions.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::{ParetoNbd, PurchaseModel, TimeUnit};
    /// use customer_lifecycle::plot::{FrequencyRecency, GridQuantity};
    ///
    /// let model = ParetoNbd::new(0.55, 10.6, 0.61, 11.7)?;
    /// let grid = FrequencyRecency::new("Pareto/NBD", GridQuantity::PAlive, TimeUnit::Weeks, 3, 39.0, 4, |h| model.p_alive(h))?;
    /// assert_eq!(grid.values.len(), 4);
    /// assert_eq!(grid.values[0][1], None);
    /// assert!(grid.values[3][3].unwrap() > grid.values[3][0].unwrap()); // recent buyers are likelier alive
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        model: impl Into<String>,
        quantity: GridQuantity,
        time_unit: TimeUnit,
        max_frequency: u32,
        t: f64,
        recency_bins: usize,
        value: impl Fn(History) -> f64,
    ) -> Result<FrequencyRecency, PlotError> {
        if !(t.is_finite() && t > 0.0) {
            return Err(PlotError::InvalidOption { name: "t", value: t, reason: "must be positive and finite" });
        }
        if max_frequency > 100 {
            let value = f64::from(max_frequency);
            return Err(PlotError::InvalidOption { name: "max_frequency", value, reason: "must be at most 100" });
        }
        if !(1..=100).contains(&recency_bins) {
            let value = recency_bins as f64;
            return Err(PlotError::InvalidOption { name: "recency_bins", value, reason: "must be 1 to 100" });
        }
        if let GridQuantity::ExpectedPurchases { horizon } = quantity
            && !(horizon.is_finite() && horizon > 0.0)
        {
            return Err(PlotError::InvalidOption {
                name: "horizon",
                value: horizon,
                reason: "must be positive and finite",
            });
        }
        let width = t / recency_bins as f64;
        let values: Vec<Vec<Option<f64>>> = (0..=max_frequency)
            .map(|x| {
                (0..recency_bins)
                    .map(|j| match (x, j) {
                        (0, 0) => Some(value(History { frequency: 0, recency: 0.0, age: t })),
                        (0, _) => None,
                        _ => Some(value(History { frequency: x, recency: (j as f64 + 0.5) * width, age: t })),
                    })
                    .collect()
            })
            .collect();
        check_finite("the grid", values.iter().flatten().flatten().copied())?;
        Ok(FrequencyRecency { model: model.into(), quantity, time_unit, t, values })
    }
}

fn two_decimals(v: f64) -> String {
    format!("{v:.2}")
}

fn whole_percent(v: f64) -> String {
    percent(v, 0)
}

/// The frequency/recency matrix of expected purchases or of P(alive): a
/// heat map with repeat purchases up the side (0 at the bottom) and
/// recency along the bottom, for customers observed for `T` time units.
///
/// # Errors
///
/// [`PlotError::Empty`] for an empty grid; [`PlotError::NonFinite`] for a
/// value that is not finite.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{BgNbd, PurchaseModel, TimeUnit};
/// use customer_lifecycle::plot::{FrequencyRecency, GridQuantity, frequency_recency};
///
/// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let quantity = GridQuantity::ExpectedPurchases { horizon: 1.0 };
/// let grid = FrequencyRecency::new("BG/NBD", quantity, TimeUnit::Weeks, 10, 39.0, 13, |h| model.expected_purchases(h, 1.0))?;
/// let svg = frequency_recency(&grid)?;
/// assert!(svg.as_str().contains("Expected purchases in the next 1 week (BG/NBD)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn frequency_recency(grid: &FrequencyRecency) -> Result<Svg, PlotError> {
    let bins = grid.values.first().map_or(0, Vec::len);
    if bins == 0 {
        return Err(PlotError::Empty { what: "the frequency/recency grid" });
    }
    if grid.values.iter().any(|row| row.len() != bins) {
        return Err(PlotError::Mismatch { reason: "the grid's rows differ in length".to_owned() });
    }
    check_finite("the grid", grid.values.iter().flatten().flatten().copied())?;
    let unit = grid.time_unit;
    let width = grid.t / bins as f64;
    let values: Vec<Vec<Option<f64>>> = grid.values.iter().rev().cloned().collect();
    let names: Vec<String> = (0..grid.values.len()).rev().map(|x| x.to_string()).collect();
    let every = bins.div_ceil(13);
    let centre = |j: usize| {
        let x = (j as f64 + 0.5) * width;
        if width >= 2.0 { format!("{x:.0}") } else { short(x) }
    };
    let columns = (0..bins).map(|j| if j % every == 0 { centre(j) } else { String::new() });
    let roomy = bins <= 10 && grid.values.len() <= 12;
    let (title, scale_desc, range, write) = match grid.quantity {
        GridQuantity::ExpectedPurchases { horizon } => {
            let most = grid.values.iter().flatten().flatten().copied().fold(0.0, f64::max);
            let h = short(horizon);
            let unit_h = unit_name(unit, (horizon - 1.0).abs() > f64::EPSILON);
            (
                format!("Expected purchases in the next {h} {unit_h} ({})", grid.model),
                format!("expected purchases in {h} {unit_h}"),
                (0.0, if most > 0.0 { most } else { 1.0 }),
                two_decimals as fn(f64) -> String,
            )
        }
        GridQuantity::PAlive => (
            format!("Probability of being alive, P(alive) ({})", grid.model),
            "P(alive) (%)".to_owned(),
            (0.0, 1.0),
            whole_percent as fn(f64) -> String,
        ),
    };
    let cell = |_: usize, _: usize, v: f64| write(v);
    let scale = move |v: f64| match grid.quantity {
        GridQuantity::PAlive => format!("{:.0}", 100.0 * v),
        _ => short(v),
    };
    let map = HeatMap {
        columns: columns.collect(),
        rows: names,
        x_desc: format!(
            "recency: {} from first to last purchase (bin centres; T = {})",
            unit_name(unit, true),
            short(grid.t)
        ),
        y_desc: "repeat purchases (frequency)".to_owned(),
        scale_desc,
        values: &values,
        range,
        cell_text: if roomy { Some(&cell) } else { None },
        scale_format: &scale,
        margins: Margins { left: 80, bottom: 56 },
    };
    render(WIDTH, HEIGHT, &title, |root, area| heat_map(root, area, &map))
}

/// How many customers made 0, 1, 2, … repeat purchases, actual and
/// simulated from a fitted model: the data of the [`period_transactions`]
/// chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodTransactions {
    /// The model's name, for the title.
    pub model: String,
    /// Actual customers with `x` repeat purchases at index `x`; the last
    /// entry counts that many or more.
    pub actual: Vec<f64>,
    /// The same from the simulation, scaled to the actual number of
    /// customers.
    pub simulated: Vec<f64>,
}

impl PeriodTransactions {
    /// Counts the customers of `actual` and of `simulated` (data simulated
    /// from the fitted model, e.g. with each model's `simulate` at the
    /// actual customers' `T`) by repeat purchases `0..max_frequency`, and
    /// `max_frequency` or more. The simulated counts are scaled to the
    /// actual number of customers.
    ///
    /// # Errors
    ///
    /// [`PlotError::Empty`] when either holds no customer.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::clv::FitData;
    /// use customer_lifecycle::plot::PeriodTransactions;
    ///
    /// let actual = FitData::from_rows([(0, 0.0, 30.0, 60.0), (1, 10.0, 30.0, 25.0), (4, 28.0, 30.0, 15.0)])?;
    /// let simulated = FitData::from_rows([(0, 0.0, 30.0, 100.0), (2, 10.0, 30.0, 100.0)])?;
    /// let counts = PeriodTransactions::new("BG/NBD", &actual, &simulated, 3)?;
    /// assert_eq!(counts.actual, [60.0, 25.0, 0.0, 15.0]);
    /// assert_eq!(counts.simulated, [50.0, 0.0, 50.0, 0.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        model: impl Into<String>,
        actual: &FitData,
        simulated: &FitData,
        max_frequency: u32,
    ) -> Result<PeriodTransactions, PlotError> {
        let count = |data: &FitData| {
            let mut out = vec![0.0; max_frequency as usize + 1];
            for (x, _, _, n) in data.rows() {
                out[x.min(max_frequency) as usize] += n;
            }
            out
        };
        let (a, mut s) = (count(actual), count(simulated));
        let (na, ns): (f64, f64) = (a.iter().sum(), s.iter().sum());
        if na <= 0.0 {
            return Err(PlotError::Empty { what: "the actual customers" });
        }
        if ns <= 0.0 {
            return Err(PlotError::Empty { what: "the simulated customers" });
        }
        for v in &mut s {
            *v *= na / ns;
        }
        Ok(PeriodTransactions { model: model.into(), actual: a, simulated: s })
    }
}

/// Period transactions: how many customers made 0, 1, 2, … repeat
/// purchases, actual and simulated from the fitted model, side by side.
///
/// # Errors
///
/// [`PlotError::Empty`] without counts; [`PlotError::Mismatch`] when the
/// two series differ in length; [`PlotError::NonFinite`] for a count that
/// is not finite.
///
/// # Example
///
/// ```
/// use customer_lifecycle::plot::{PeriodTransactions, period_transactions};
///
/// let counts = PeriodTransactions { model: "Pareto/NBD".into(), actual: vec![60.0, 25.0, 15.0], simulated: vec![58.0, 27.5, 14.5] };
/// let svg = period_transactions(&counts)?;
/// assert!(svg.as_str().contains("2+"));
/// # Ok::<(), customer_lifecycle::plot::PlotError>(())
/// ```
pub fn period_transactions(counts: &PeriodTransactions) -> Result<Svg, PlotError> {
    let n = counts.actual.len();
    if n == 0 {
        return Err(PlotError::Empty { what: "the period transactions" });
    }
    if counts.simulated.len() != n {
        let reason = format!("{} actual counts but {} simulated", n, counts.simulated.len());
        return Err(PlotError::Mismatch { reason });
    }
    check_finite("period transactions", counts.actual.iter().chain(&counts.simulated).copied())?;
    let most = counts.actual.iter().chain(&counts.simulated).copied().fold(0.0, f64::max);
    let labels = (0..n).map(|i| (i as f64, if i + 1 == n { format!("{i}+") } else { i.to_string() })).collect();
    let title = format!("Period transactions: actual and simulated by {}", counts.model);
    render(WIDTH, HEIGHT, &title, |root, area| {
        let x = Axis::new(-0.5..n as f64 - 0.5, "repeat purchases in the calibration period", Ticks::At(labels));
        let y = Axis::new(padded(0.0, most), "customers", Ticks::auto(6, thousands));
        let mut chart = frame(root, area, &x, &y, Margins::default())?;
        let series: [(&str, &[f64], f64); 2] =
            [("actual", &counts.actual, -0.38), ("simulated", &counts.simulated, 0.02)];
        for (k, (name, values, offset)) in series.into_iter().enumerate() {
            let c = colour(usize::from(k != 0));
            let label = if k == 0 { name.to_owned() } else { format!("{name} ({})", counts.model) };
            chart
                .draw_series(values.iter().enumerate().map(|(i, &v)| {
                    let x = i as f64 + offset;
                    Rectangle::new([(x, 0.0), (x + 0.36, v)], c.filled())
                }))?
                .label(label)
                .legend(swatch(c));
        }
        legend(&mut chart, LegendAt::UpperRight)
    })
}
