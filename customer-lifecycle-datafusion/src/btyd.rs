//! The BTYD computations as DataFusion plans: the per-customer summary, the
//! histogram of `(x, t_x, T)` patterns and of repeat spend that the model
//! fits need, the fits themselves, and per-customer predictions.
//!
//! The rules are the main crate's (`customer_lifecycle::clv::Summary`):
//! purchases on one calendar day are one purchase day with their amounts
//! summed; only days on or before the calibration end count; a customer
//! with none is left out; `x` is the purchase days − 1, `t_x` the days
//! from the first purchase day to the last, `T` the days from the first to
//! the calibration end, both divided by the time unit's length in days;
//! the monetary value is the mean of the repeat days' sums. Every count and
//! sum is computed in integers (days, cents), and the floats from them in
//! the same operations as the main crate, so the results are bit for bit
//! the in-memory ones whatever the partitioning.

use std::sync::Arc;

use chrono::NaiveDate;
use customer_lifecycle::clv::{
    BgNbd, BgNbdFit, ClvError, FitData, FitOptions, GammaGamma, GammaGammaFit, History, ParetoNbd, ParetoNbdFit,
    PurchaseModel, SpendData, TimeUnit, fit_on_ridge,
};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray, UInt32Array};
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::{DataType, Date32Type, Decimal128Type, Field, Int32Type, Int64Type, Schema};
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::expr_fn::{count, first_value, max, min, sum};
use datafusion::logical_expr::{Expr, GroupingSet, cast, lit, when};
use datafusion::prelude::{DataFrame, col};

use crate::error::Error;
use crate::read::TransactionLog;

/// Cents summed in 38-digit decimals: a sum that leaves 64 bits is caught
/// (and reported) instead of wrapping.
const WIDE: DataType = DataType::Decimal128(38, 0);

fn days_from_epoch(day: NaiveDate) -> i32 {
    Date32Type::from_naive_date(day)
}

fn df(source: &str) -> impl Fn(datafusion::error::DataFusionError) -> Error + '_ {
    move |e| Error::from_datafusion(e, source)
}

/// The per-customer purchase plan at `calibration_end`: `customer_id`,
/// `first_day` and `last_day` (`Int32`, days from 1970-01-01), `days`
/// (`Int64`, distinct purchase days), `total_cents` and `first_day_cents`
/// (38-digit decimals), one row per customer with a purchase on or before
/// the calibration end, in no particular order.
///
/// Every row of the log is read (and checked) whatever its date, as the
/// main crate's readers do: the calibration end applies after the
/// per-day aggregation, not as a filter on the scan.
///
/// # Errors
///
/// [`Error::DataFusion`] when DataFusion refuses the plan.
pub fn customer_purchases(log: &TransactionLog, calibration_end: NaiveDate) -> Result<DataFrame, Error> {
    let fail = df(log.source_name());
    let end = lit(days_from_epoch(calibration_end));
    let in_period = || col("day").lt_eq(end.clone());
    let when_in = |e: Expr| when(in_period(), e).end();
    log.frame()
        .clone()
        .aggregate(
            vec![col("customer_id"), cast(col("date"), DataType::Int32).alias("day")],
            vec![sum(cast(col("amount_cents"), WIDE)).alias("day_cents")],
        )
        .and_then(|f| {
            f.aggregate(
                vec![col("customer_id")],
                vec![
                    // The first day overall is in the period whenever any
                    // day is: days after the end are later.
                    min(col("day")).alias("first_day"),
                    first_value(col("day_cents"), vec![col("day").sort(true, false)]).alias("first_day_cents"),
                    max(when_in(col("day"))?).alias("last_day"),
                    count(when_in(lit(1))?).alias("days"),
                    sum(when_in(col("day_cents"))?).alias("total_cents"),
                ],
            )
        })
        .and_then(|f| f.filter(col("first_day").lt_eq(end.clone())))
        .map_err(fail)
}

/// The `(x, t_x, T)` histogram and the repeat-spend histogram of a log:
/// what the BG/NBD, Pareto/NBD and Gamma-Gamma fits need, with one row per
/// distinct pattern instead of one per customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The purchase patterns with their counts, in the time unit.
    pub fit: FitData,
    /// The `(x, m̄)` pairs of customers with a repeat purchase of positive
    /// value, with their counts (the main crate's `SpendData::from_summary`
    /// rule).
    pub spend: SpendData,
    /// The customers summarised.
    pub customers: u64,
}

/// The data frame of both histograms: grouping set 1 counts
/// `(x, t_x_days, t_days)`, grouping set 2 counts `(x, repeat_cents)`.
fn histogram_plan(log: &TransactionLog, calibration_end: NaiveDate) -> Result<DataFrame, Error> {
    let end = days_from_epoch(calibration_end);
    let repeat = cast(col("total_cents"), WIDE) - cast(col("first_day_cents"), WIDE);
    customer_purchases(log, calibration_end)?
        .select(vec![
            (col("days") - lit(1i64)).alias("x"),
            (col("last_day") - col("first_day")).alias("t_x_days"),
            (lit(end) - col("first_day")).alias("t_days"),
            when(
                col("days").gt(lit(1i64)).and(repeat.clone().gt(lit(ScalarValue::Decimal128(Some(0), 38, 0)))),
                repeat,
            )
            .end()
            .map_err(df(log.source_name()))?
            .alias("repeat_cents"),
        ])
        .and_then(|f| {
            f.aggregate(
                vec![Expr::GroupingSet(GroupingSet::GroupingSets(vec![
                    vec![col("x"), col("t_x_days"), col("t_days")],
                    vec![col("x"), col("repeat_cents")],
                ]))],
                vec![count(lit(1)).alias("n")],
            )
        })
        .map_err(df(log.source_name()))
}

/// Both histograms of `log` at `calibration_end`, in `time_unit`, computed
/// by DataFusion in one pass over the per-customer aggregate.
///
/// # Errors
///
/// [`Error::Value`] for a value of the log its rules refuse,
/// [`Error::Overflow`] for a repeat spend beyond 64-bit cents,
/// [`Error::DataFusion`] when the plan fails.
///
/// # Complexity
///
/// Two hash aggregations over the log (per customer and day, then per
/// customer), one over the customers; the driver receives one row per
/// distinct pattern.
pub async fn histogram(
    log: &TransactionLog,
    calibration_end: NaiveDate,
    time_unit: TimeUnit,
) -> Result<Histogram, Error> {
    let batches = histogram_plan(log, calibration_end)?.collect().await.map_err(df(log.source_name()))?;
    let unit = time_unit.days();
    let mut fit_rows = Vec::new();
    let mut spend_rows = Vec::new();
    let mut customers = 0u64;
    for batch in &batches {
        let x = column(batch, "x")?;
        let t_x = column(batch, "t_x_days")?;
        let t = column(batch, "t_days")?;
        let repeat = column(batch, "repeat_cents")?;
        let n = column(batch, "n")?;
        let (x, t_x, t, n) = (
            x.as_primitive::<Int64Type>(),
            t_x.as_primitive::<Int32Type>(),
            t.as_primitive::<Int32Type>(),
            n.as_primitive::<Int64Type>(),
        );
        let repeat = repeat.as_primitive::<Decimal128Type>();
        for i in 0..batch.num_rows() {
            let count = n.value(i);
            let frequency = u32::try_from(x.value(i)).map_err(|_| Error::Overflow { customer_id: None })?;
            if t_x.is_valid(i) {
                customers += count as u64;
                fit_rows.push((frequency, f64::from(t_x.value(i)) / unit, f64::from(t.value(i)) / unit, count as f64));
            } else if repeat.is_valid(i) {
                let cents = i64::try_from(repeat.value(i)).map_err(|_| Error::Overflow { customer_id: None })?;
                spend_rows.push((frequency, mean_value(cents, frequency), count as f64));
            }
        }
    }
    let model = |error| Error::Model { model: "histogram", error };
    Ok(Histogram {
        fit: FitData::from_rows(fit_rows).map_err(model)?.with_time_unit(time_unit),
        spend: SpendData::from_rows(spend_rows).map_err(model)?,
        customers,
    })
}

/// The mean repeat value in major units, as the main crate computes it.
fn mean_value(repeat_cents: i64, frequency: u32) -> f64 {
    if frequency == 0 { 0.0 } else { repeat_cents as f64 / 100.0 / f64::from(frequency) }
}

fn column(batch: &RecordBatch, name: &str) -> Result<ArrayRef, Error> {
    batch.column_by_name(name).cloned().ok_or_else(|| {
        Error::DataFusion(Box::new(datafusion::error::DataFusionError::Internal(format!("no column {name}"))))
    })
}

/// The names of [`summary`]'s columns, in order.
const SUMMARY_COLUMNS: [&str; 5] = ["customer_id", "frequency", "recency", "T", "monetary_value"];

/// The schema of [`summary`]'s batch.
pub fn summary_schema() -> Arc<Schema> {
    let types = [DataType::Utf8, DataType::UInt32, DataType::Float64, DataType::Float64, DataType::Float64];
    Arc::new(Schema::new(
        SUMMARY_COLUMNS.into_iter().zip(types).map(|(name, t)| Field::new(name, t, false)).collect::<Vec<_>>(),
    ))
}

/// The per-customer summary (`customer_id`, `frequency`, `recency`, `T`,
/// `monetary_value`), customers sorted by the bytes of their keys: the
/// main crate's `Summary` in the order a partitioned table can reproduce.
///
/// # Errors
///
/// [`Error::Value`] for a value the log's rules refuse,
/// [`Error::Overflow`] for a customer whose purchases sum beyond 64-bit
/// cents, [`Error::DataFusion`] when the plan fails.
///
/// # Complexity
///
/// The plan of [`customer_purchases`] and a sort of the customers; the
/// driver receives one row per customer.
pub async fn summary(
    log: &TransactionLog,
    calibration_end: NaiveDate,
    time_unit: TimeUnit,
) -> Result<RecordBatch, Error> {
    let fail = df(log.source_name());
    let frame =
        customer_purchases(log, calibration_end)?.sort(vec![col("customer_id").sort(true, false)]).map_err(&fail)?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await.map_err(&fail)?;
    let all = concat_batches(&schema, &batches).map_err(|e| fail(e.into()))?;
    let key = column(&all, "customer_id")?;
    let key = key.as_string::<i32>();
    let first = column(&all, "first_day")?;
    let first = first.as_primitive::<Int32Type>();
    let last = column(&all, "last_day")?;
    let last = last.as_primitive::<Int32Type>();
    let days = column(&all, "days")?;
    let days = days.as_primitive::<Int64Type>();
    let total = column(&all, "total_cents")?;
    let total = total.as_primitive::<Decimal128Type>();
    let first_cents = column(&all, "first_day_cents")?;
    let first_cents = first_cents.as_primitive::<Decimal128Type>();
    let end = days_from_epoch(calibration_end);
    let unit = time_unit.days();
    let n = all.num_rows();
    let (mut frequency, mut recency, mut t, mut monetary) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let overflow = || Error::Overflow { customer_id: Some(key.value(i).to_owned()) };
        let total = i64::try_from(total.value(i)).map_err(|_| overflow())?;
        let first_cents = i64::try_from(first_cents.value(i)).map_err(|_| overflow())?;
        let x = u32::try_from(days.value(i) - 1).map_err(|_| overflow())?;
        frequency.push(x);
        recency.push(f64::from(last.value(i) - first.value(i)) / unit);
        t.push(f64::from(end - first.value(i)) / unit);
        monetary.push(mean_value(total - first_cents, x));
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(key.iter().map(Option::unwrap_or_default))),
        Arc::new(UInt32Array::from(frequency)),
        Arc::new(Float64Array::from(recency)),
        Arc::new(Float64Array::from(t)),
        Arc::new(Float64Array::from(monetary)),
    ];
    RecordBatch::try_new(summary_schema(), columns).map_err(|e| fail(e.into()))
}

/// The L2 penalties tried, weakest first, for a fit whose maximum runs off
/// along a ridge: the main crate's [`fit_on_ridge`] rule.
pub use customer_lifecycle::clv::RIDGE_PENALTIES;

/// The three fits of the `clv` example.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fits {
    /// BG/NBD.
    pub bgnbd: BgNbdFit,
    /// Pareto/NBD.
    pub pareto_nbd: ParetoNbdFit,
    /// Gamma-Gamma.
    pub gamma_gamma: GammaGammaFit,
    /// Each L2 penalty a fit needed (see [`RIDGE_PENALTIES`]), in the
    /// order tried: the model's name, the penalty, and the error of the
    /// fit that called for it. Empty when every fit settled without one.
    pub penalties: Vec<(&'static str, f64, String)>,
}

/// Fits BG/NBD and Pareto/NBD to the pattern histogram and the Gamma-Gamma
/// to the spend histogram, on the driver, each by the main crate's
/// [`fit_on_ridge`], as the `clv` example does: when a maximum runs off
/// along a ridge (no heterogeneity to estimate), the weakest of
/// [`RIDGE_PENALTIES`] that settles is used.
///
/// # Errors
///
/// [`Error::Model`] naming the model whose fit failed.
pub fn fit_all(histogram: &Histogram, options: &FitOptions) -> Result<Fits, Error> {
    let mut penalties = Vec::new();
    let mut settle = |model: &'static str, tried: Vec<(f64, ClvError)>| {
        penalties.extend(tried.into_iter().map(|(penalty, failed)| (model, penalty, failed.to_string())));
    };
    let model = |model: &'static str| move |error| Error::Model { model, error };
    let (bgnbd, tried) = fit_on_ridge(options, |o| BgNbd::fit(&histogram.fit, o)).map_err(model("BG/NBD"))?;
    settle("BG/NBD", tried);
    let (pareto_nbd, tried) =
        fit_on_ridge(options, |o| ParetoNbd::fit(&histogram.fit, o)).map_err(model("Pareto/NBD"))?;
    settle("Pareto/NBD", tried);
    let (gamma_gamma, tried) =
        fit_on_ridge(options, |o| GammaGamma::fit(&histogram.spend, o)).map_err(model("Gamma-Gamma"))?;
    settle("Gamma-Gamma", tried);
    Ok(Fits { bgnbd, pareto_nbd, gamma_gamma, penalties })
}

/// The schema of [`predictions`]' batch.
pub fn predictions_schema() -> Arc<Schema> {
    let mut fields: Vec<Field> = summary_schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    for name in ["p_alive", "expected_purchases", "expected_avg_value", "clv"] {
        fields.push(Field::new(name, DataType::Float64, false));
    }
    Arc::new(Schema::new(fields))
}

/// Whether `given` has [`summary`]'s columns, by name and type, in order.
fn check_summary_schema(given: &Schema) -> Result<(), Error> {
    let expected = summary_schema();
    let wrong = SUMMARY_COLUMNS.into_iter().enumerate().find(|&(k, _)| {
        given
            .fields()
            .get(k)
            .is_none_or(|f| f.name() != expected.field(k).name() || f.data_type() != expected.field(k).data_type())
    });
    let schema = |column, reason| Err(Error::Schema { source_name: "the summary batch".to_owned(), column, reason });
    if let Some((k, column)) = wrong {
        return schema(column, format!("is not column {k} of type {}", expected.field(k).data_type()));
    }
    if given.fields().len() > SUMMARY_COLUMNS.len() {
        return schema("monetary_value", "is followed by columns the summary does not have".to_owned());
    }
    Ok(())
}

/// Per-customer predictions from a [`summary`] batch and the fits: the
/// summary's columns, then `p_alive` (BG/NBD), `expected_purchases` in the
/// next `horizon` time units (BG/NBD), `expected_avg_value` (Gamma-Gamma)
/// and `clv`, their product (undiscounted value over the horizon).
///
/// # Errors
///
/// [`Error::Model`] when the Gamma-Gamma refuses a customer's history,
/// [`Error::Schema`] naming the first column where the batch is not a
/// summary batch.
#[allow(clippy::many_single_char_names)] // the literature's x, t_x, T, m̄
pub fn predictions(summary: &RecordBatch, fits: &Fits, horizon: f64) -> Result<RecordBatch, Error> {
    let bad = |e: datafusion::arrow::error::ArrowError| Error::from_datafusion(e.into(), "summary");
    check_summary_schema(&summary.schema())?;
    let x = summary.column(1).as_primitive::<datafusion::arrow::datatypes::UInt32Type>();
    let (t_x, t, m) = (
        summary.column(2).as_primitive::<datafusion::arrow::datatypes::Float64Type>(),
        summary.column(3).as_primitive::<datafusion::arrow::datatypes::Float64Type>(),
        summary.column(4).as_primitive::<datafusion::arrow::datatypes::Float64Type>(),
    );
    let (b, g) = (&fits.bgnbd.model, &fits.gamma_gamma.model);
    let n = summary.num_rows();
    let (mut alive, mut purchases, mut value, mut clv) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let (x, m) = (x.value(i), m.value(i));
        let history = History { frequency: x, recency: t_x.value(i), age: t.value(i) };
        let e = b.expected_purchases(history, horizon);
        let v = g.expected_average_value(x, m).map_err(|error| Error::Model { model: "Gamma-Gamma", error })?;
        alive.push(b.p_alive(history));
        purchases.push(e);
        value.push(v);
        clv.push(e * v);
    }
    let mut columns: Vec<ArrayRef> = summary.columns().to_vec();
    for c in [alive, purchases, value, clv] {
        columns.push(Arc::new(Float64Array::from(c)));
    }
    RecordBatch::try_new(predictions_schema(), columns).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_that_is_not_a_summary_is_named_by_its_first_wrong_column() {
        assert!(check_summary_schema(&summary_schema()).is_ok());
        let mut fields: Vec<Field> = summary_schema().fields().iter().map(|f| f.as_ref().clone()).collect();
        let column_of = |fields: &[Field]| match check_summary_schema(&Schema::new(fields.to_vec())) {
            Err(Error::Schema { column, .. }) => Some(column),
            _ => None,
        };
        fields.push(Field::new("extra", DataType::Utf8, true));
        assert_eq!(column_of(&fields), Some("monetary_value"));
        fields.truncate(4);
        assert_eq!(column_of(&fields), Some("monetary_value"));
        fields[2] = Field::new("recency", DataType::Float32, false);
        assert_eq!(column_of(&fields), Some("recency"));
        fields[1] = Field::new("x", DataType::UInt32, false);
        assert_eq!(column_of(&fields), Some("frequency"));
        // Nullability alone is no reason to refuse.
        let nullable: Vec<Field> =
            summary_schema().fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect();
        assert!(check_summary_schema(&Schema::new(nullable)).is_ok());
    }
}
