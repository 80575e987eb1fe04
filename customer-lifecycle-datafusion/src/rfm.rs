//! RFM values, quintile scores and segments as a DataFusion plan, with
//! ties broken by customer key: the main crate's
//! `Rfm::from_records_ties_by_key` rule (row order means nothing in a
//! partitioned table, so the input-order rule cannot be reproduced).

use std::sync::Arc;

use chrono::NaiveDate;
use customer_lifecycle::score::{RfmScore, RfmSegments};
use datafusion::arrow::array::{
    ArrayRef, AsArray, Int64Array, RecordBatch, StringArray, UInt8Array, UInt16Array, UInt64Array,
};
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, Int32Type, Int64Type, Schema, UInt64Type,
};
use datafusion::functions_aggregate::expr_fn::{count, max, sum};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{ExprFunctionExt, cast, lit, when};
use datafusion::prelude::col;

use crate::error::Error;
use crate::read::TransactionLog;

/// The schema of [`rfm`]'s batch.
pub fn rfm_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, false),
        Field::new("recency_days", DataType::Int64, false),
        Field::new("frequency", DataType::UInt64, false),
        Field::new("monetary_cents", DataType::Int64, false),
        Field::new("r", DataType::UInt8, false),
        Field::new("f", DataType::UInt8, false),
        Field::new("m", DataType::UInt8, false),
        Field::new("code", DataType::UInt16, false),
        Field::new("segment", DataType::Utf8, false),
    ]))
}

/// `max(1, ⌈5(x − 1)/(n − 1)⌉)` for rank `x` of `n` (1 when `n < 2`): the
/// main crate's quintile of a rank.
fn quintile(x: u64, n: u64) -> u8 {
    if n < 2 { 1 } else { (5 * (x - 1)).div_ceil(n - 1).max(1) as u8 }
}

/// RFM of every customer with a purchase on or before `as_of`: whole days
/// from the last purchase day to `as_of`, the number of purchase records
/// and their sum in cents, the quintile scores with ties broken by key
/// bytes, the three-digit code and the segment of `segments`; customers
/// sorted by key bytes. Every row of the log is read and checked, later
/// ones included.
///
/// # Errors
///
/// [`Error::Value`] for a value the log's rules refuse,
/// [`Error::Overflow`] for a customer whose sum leaves 64-bit cents,
/// [`Error::DataFusion`] when the plan fails.
///
/// # Complexity
///
/// One hash aggregation over the log, three sorts of the customers for
/// their ranks; the driver receives one row per customer.
pub async fn rfm(log: &TransactionLog, as_of: NaiveDate, segments: &RfmSegments) -> Result<RecordBatch, Error> {
    let fail = |e: datafusion::error::DataFusionError| Error::from_datafusion(e, log.source_name());
    let end = Date32Type::from_naive_date(as_of);
    let day = || cast(col("date"), DataType::Int32);
    let in_period = || day().lt_eq(lit(end));
    let rank = |by: &str| {
        row_number()
            .order_by(vec![col(by).sort(true, false), col("customer_id").sort(true, false)])
            .build()
            .map(|e| e.alias(format!("rank_{by}")))
    };
    let frame = log
        .frame()
        .clone()
        .aggregate(
            vec![col("customer_id")],
            vec![
                max(when(in_period(), day()).end().map_err(fail)?).alias("last_day"),
                count(when(in_period(), lit(1)).end().map_err(fail)?).alias("frequency"),
                sum(when(in_period(), cast(col("amount_cents"), DataType::Decimal128(38, 0))).end().map_err(fail)?)
                    .alias("monetary"),
            ],
        )
        .and_then(|f| f.filter(col("frequency").gt(lit(0i64))))
        .and_then(|f| {
            f.select(vec![
                col("customer_id"),
                (lit(end) - col("last_day")).alias("recency_days"),
                col("frequency"),
                col("monetary"),
            ])
        })
        // One window node per ordering: DataFusion's physical planner wants
        // every expression of a window node to share its sort keys.
        .and_then(|f| f.window(vec![rank("recency_days")?]))
        .and_then(|f| f.window(vec![rank("frequency")?]))
        .and_then(|f| f.window(vec![rank("monetary")?]))
        .and_then(|f| f.sort(vec![col("customer_id").sort(true, false)]))
        .map_err(fail)?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await.map_err(fail)?;
    let all = concat_batches(&schema, &batches).map_err(|e| fail(e.into()))?;
    let get = |name: &str| all.column_by_name(name).cloned().expect("a column of the plan");
    let keys = get("customer_id");
    let keys = keys.as_string::<i32>();
    let recency = get("recency_days");
    let recency = recency.as_primitive::<Int32Type>();
    let frequency = get("frequency");
    let frequency = frequency.as_primitive::<Int64Type>();
    let monetary = get("monetary");
    let monetary = monetary.as_primitive::<Decimal128Type>();
    let ranks: Vec<ArrayRef> = ["rank_recency_days", "rank_frequency", "rank_monetary"].map(get).into();
    let rank = |k: usize, i: usize| ranks[k].as_primitive::<UInt64Type>().value(i);
    let n = all.num_rows() as u64;
    let mut rows = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..all.num_rows() {
        let cents = i64::try_from(monetary.value(i))
            .map_err(|_| Error::Overflow { customer_id: Some(keys.value(i).to_owned()) })?;
        let score = RfmScore::new(6 - quintile(rank(0, i), n), quintile(rank(1, i), n), quintile(rank(2, i), n))
            .expect("quintiles lie in 1..=5");
        rows.0.push(i64::from(recency.value(i)));
        rows.1.push(frequency.value(i) as u64);
        rows.2.push(cents);
        rows.3.push(score.r());
        rows.4.push(score.f());
        rows.5.push(score.m());
        rows.6.push(score.code());
        rows.7.push(segments.segment(score).to_owned());
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(keys.iter().map(Option::unwrap_or_default))),
        Arc::new(Int64Array::from(rows.0)),
        Arc::new(UInt64Array::from(rows.1)),
        Arc::new(Int64Array::from(rows.2)),
        Arc::new(UInt8Array::from(rows.3)),
        Arc::new(UInt8Array::from(rows.4)),
        Arc::new(UInt8Array::from(rows.5)),
        Arc::new(UInt16Array::from(rows.6)),
        Arc::new(StringArray::from(rows.7)),
    ];
    RecordBatch::try_new(rfm_schema(), columns).map_err(|e| fail(e.into()))
}
