//! The companion's plans against the main crate's in-memory results.
//!
//! A seeded simulated log (the main crate's `sim`) is written as Parquet in
//! three layouts (one file; 7 files split by row; 3 files dealing rows out
//! in turn, so that the same-day purchases added next to each other land
//! in different files), each with other column types, and DataFusion with
//! 1, 4 and 7 target partitions must give exactly the in-memory summary,
//! histograms and fits.
//!
//! Tolerance: none. Every count and sum is an integer on both sides and
//! every float is computed from those integers by the same operations, so
//! the comparisons are of bits, predictions included.

// Bit-for-bit equality of floats is what these tests check.
#![allow(clippy::float_cmp)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use customer_lifecycle::clv::{
    BgNbd, BgNbdFit, CustomerSummary, FitData, FitOptions, History, ParetoNbd, ParetoNbdFit, PurchaseModel, SpendData,
    Summary, TimeUnit,
};
use customer_lifecycle::sim::{SimOptions, Simulator};
use customer_lifecycle::{EventKind, Money};
use customer_lifecycle_datafusion::{Error, TransactionLog, ValueProblem, btyd, functions, to_parquet};
use datafusion::arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{SessionConfig, SessionContext};

/// One purchase: key, instant, amount.
type Row = (String, DateTime<Utc>, Money);

/// The purchases of 1,500 simulated customers over the simulator's default
/// period, plus, for every 25th purchase, a second one on the same day
/// placed right after it.
fn simulated_log() -> Vec<Row> {
    let sim = Simulator::new(SimOptions { customers: 1_500, ..SimOptions::default() }, 16).unwrap();
    let keys: HashMap<_, _> = sim.customers().map(|c| (c.id, c.key.unwrap())).collect();
    let mut rows = Vec::new();
    for (i, event) in sim.events_by_customer().enumerate() {
        if let EventKind::Purchase { amount, .. } = event.kind {
            let key = keys[&event.customer].clone();
            rows.push((key.clone(), event.at, amount));
            if i % 25 == 0 {
                rows.push((key, event.at, Money::from_minor(amount.minor_units() / 3 + 7)));
            }
        }
    }
    assert!(rows.len() > 5_000, "{} purchases", rows.len());
    rows
}

fn calibration_end(rows: &[Row]) -> NaiveDate {
    let first = rows.iter().map(|r| r.1).min().unwrap().date_naive();
    let last = rows.iter().map(|r| r.1).max().unwrap().date_naive();
    // Two thirds in: later purchases are read but do not count.
    first + (last - first) * 2 / 3
}

/// The three layouts' column types.
#[derive(Clone, Copy)]
enum Types {
    /// `date` Date32, `amount` Decimal128(12, 2).
    DateDecimal,
    /// `date` a UTC timestamp in milliseconds, `amount` Float64.
    TimestampFloat,
    /// `date` and `amount` as strings.
    Text,
}

fn batch(rows: &[&Row], types: Types) -> RecordBatch {
    let keys: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0.as_str())));
    let (date, amount): (ArrayRef, ArrayRef) = match types {
        Types::DateDecimal => (
            Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| Date32Type::from_naive_date(r.1.date_naive())))),
            Arc::new(
                Decimal128Array::from_iter_values(rows.iter().map(|r| i128::from(r.2.minor_units())))
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
        Types::TimestampFloat => (
            Arc::new(
                TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.1.timestamp_millis()))
                    .with_timezone("UTC"),
            ),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2.minor_units() as f64 / 100.0))),
        ),
        Types::Text => (
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1.date_naive().to_string()))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2.to_string()))),
        ),
    };
    let schema = Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, false),
        Field::new("date", date.data_type().clone(), false),
        Field::new("amount", amount.data_type().clone(), false),
        Field::new("note", DataType::Utf8, false),
    ]);
    let note: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|_| "ignored")));
    RecordBatch::try_new(Arc::new(schema), vec![keys, date, amount, note]).unwrap()
}

fn write(path: &Path, rows: &[&Row], types: Types) {
    let batch = batch(rows, types);
    let mut writer = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// Writes the three layouts under `dir`; returns their paths.
fn layouts(dir: &Path, rows: &[Row]) -> Vec<(String, &'static str)> {
    let all: Vec<&Row> = rows.iter().collect();
    let one = dir.join("one.parquet");
    write(&one, &all, Types::DateDecimal);
    let seven = dir.join("seven");
    std::fs::create_dir(&seven).unwrap();
    for (k, chunk) in all.chunks(all.len().div_ceil(7)).enumerate() {
        write(&seven.join(format!("part-{k}.parquet")), chunk, Types::TimestampFloat);
    }
    let dealt = dir.join("dealt");
    std::fs::create_dir(&dealt).unwrap();
    for k in 0..3 {
        let part: Vec<&Row> = all.iter().copied().skip(k).step_by(3).collect();
        write(&dealt.join(format!("part-{k}.parquet")), &part, Types::Text);
    }
    vec![
        (one.display().to_string(), "one file"),
        (seven.display().to_string(), "7 files by row"),
        (dealt.display().to_string(), "same-day rows split across files"),
    ]
}

fn context(partitions: usize) -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    functions::register_all(&ctx);
    ctx
}

/// The main crate's in-memory results for one time unit.
struct Expected {
    end: NaiveDate,
    unit: TimeUnit,
    /// Sorted by key.
    customers: Vec<CustomerSummary>,
    fit_data: FitData,
    spend: SpendData,
    bg: BgNbdFit,
    pn: ParetoNbdFit,
}

fn expected(rows: &[Row], unit: TimeUnit) -> Expected {
    let end = calibration_end(rows);
    let options = FitOptions::default();
    let summary = Summary::from_records(rows.iter().map(|r| (r.0.as_str(), r.1.date_naive(), r.2)), end, unit).unwrap();
    let mut customers = summary.customers;
    customers.sort_by(|a, b| a.key.cmp(&b.key));
    let fit_data = FitData::from_summary(&customers).unwrap().with_time_unit(unit);
    let spend = SpendData::from_summary(&customers).unwrap();
    let bg = BgNbd::fit(&fit_data, &options).unwrap();
    let pn = ParetoNbd::fit(&fit_data, &options).unwrap();
    // Some customers bought twice on a day, and some after the end.
    assert!(customers.iter().any(|c| c.frequency > 0 && c.monetary_value > 0.0));
    Expected { end, unit, customers, fit_data, spend, bg, pn }
}

/// The summary and both histograms of the log at `path`, read through
/// `ctx`, equal the in-memory ones; with `fits`, so do the fits, P(alive),
/// and the predictions written to Parquet under `dir` read back whole.
async fn check(ctx: &SessionContext, path: &str, what: &str, e: &Expected, fits: bool, dir: &Path) {
    let (end, unit, customers) = (e.end, e.unit, &e.customers);
    let log = TransactionLog::read(ctx, path).await.unwrap();
    let summary = btyd::summary(&log, end, unit).await.unwrap();
    assert_eq!(summary.num_rows(), customers.len(), "{what}");
    let key = summary.column(0).as_any().downcast_ref::<StringArray>().unwrap();
    let f64s = |k: usize| summary.column(k).as_any().downcast_ref::<Float64Array>().unwrap().clone();
    let (recency, t, monetary) = (f64s(2), f64s(3), f64s(4));
    let frequency = summary.column(1).as_any().downcast_ref::<datafusion::arrow::array::UInt32Array>().unwrap();
    for (i, c) in customers.iter().enumerate() {
        assert_eq!(key.value(i), c.key, "{what}");
        assert_eq!(frequency.value(i), c.frequency, "{what}: {}", c.key);
        assert_eq!(recency.value(i).to_bits(), c.recency.to_bits(), "{what}: {}", c.key);
        assert_eq!(t.value(i).to_bits(), c.t.to_bits(), "{what}: {}", c.key);
        assert_eq!(monetary.value(i).to_bits(), c.monetary_value.to_bits(), "{what}: {}", c.key);
    }
    let histogram = btyd::histogram(&log, end, unit).await.unwrap();
    assert_eq!(histogram.customers, customers.len() as u64, "{what}");
    assert_eq!(histogram.fit, e.fit_data, "{what}");
    assert_eq!(histogram.spend, e.spend, "{what}");
    if !fits {
        return;
    }
    let fits = btyd::fit_all(&histogram, &FitOptions::default()).unwrap();
    let (b, p) = (fits.bgnbd.model, fits.pareto_nbd.model);
    let (bg, pn) = (&e.bg, &e.pn);
    let bits = |v: [f64; 5]| v.map(f64::to_bits);
    assert_eq!(
        bits([b.r(), b.alpha(), b.a(), b.b(), fits.bgnbd.log_likelihood]),
        bits([bg.model.r(), bg.model.alpha(), bg.model.a(), bg.model.b(), bg.log_likelihood]),
        "{what}"
    );
    assert_eq!(
        bits([p.r(), p.alpha(), p.s(), p.beta(), fits.pareto_nbd.log_likelihood]),
        bits([pn.model.r(), pn.model.alpha(), pn.model.s(), pn.model.beta(), pn.log_likelihood]),
        "{what}"
    );
    let predictions = btyd::predictions(&summary, &fits, 39.0).unwrap();
    let alive = predictions.column(5).as_any().downcast_ref::<Float64Array>().unwrap();
    for (i, c) in customers.iter().enumerate() {
        let expected = bg.model.p_alive(History::from(c));
        assert_eq!(alive.value(i).to_bits(), expected.to_bits(), "{what}");
    }
    let out = dir.join("predictions.parquet");
    to_parquet(&predictions, out.to_str().unwrap()).unwrap();
    let back =
        ctx.read_parquet(out.to_str().unwrap(), datafusion::prelude::ParquetReadOptions::default()).await.unwrap();
    assert_eq!(back.count().await.unwrap(), customers.len(), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_equal_the_in_memory_results_bit_for_bit() {
    let rows = simulated_log();
    let dir = tempfile::tempdir().unwrap();
    let paths = layouts(dir.path(), &rows);
    for unit in [TimeUnit::Weeks, TimeUnit::Days] {
        let expected = expected(&rows, unit);
        for (path, layout) in &paths {
            for partitions in [1, 4, 7] {
                let what = format!("{layout}, {partitions} partitions, {unit:?}");
                check(&context(partitions), path, &what, &expected, partitions == 4, dir.path()).await;
            }
        }
    }
}

/// The same plans on a local Ballista cluster (a scheduler and two
/// executors on loopback) give the same results, bit for bit.
#[cfg(feature = "ballista")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_local_ballista_cluster_gives_the_in_memory_results() {
    use customer_lifecycle_datafusion::cluster::LocalCluster;
    let rows = simulated_log();
    let dir = tempfile::tempdir().unwrap();
    let paths = layouts(dir.path(), &rows);
    let cluster = LocalCluster::start(2, 2).await.unwrap();
    let expected = expected(&rows, TimeUnit::Weeks);
    for (path, layout) in &paths {
        for partitions in [1, 4] {
            let ctx = cluster.context(partitions).await.unwrap();
            check(&ctx, path, &format!("Ballista, {layout}, {partitions} partitions"), &expected, true, dir.path())
                .await;
        }
    }
}

fn csv(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

async fn summary_of(path: &str) -> Result<RecordBatch, Error> {
    let ctx = context(2);
    let log = TransactionLog::read(&ctx, path).await?;
    btyd::summary(&log, NaiveDate::from_ymd_opt(2024, 1, 31).unwrap(), TimeUnit::Days).await
}

/// Bad CSV rows, the column, the key and the value they are refused with.
const BAD_ROWS: [(&str, &str, Option<&str>, &str, ValueProblem); 7] = [
    ("a,2024-01-01,1.00\na,2024-1-02,2\n", "date", Some("a"), "2024-1-02", ValueProblem::NotACalendarDate),
    ("a,2024-01-01,1.005\n", "amount", Some("a"), "1.005", ValueProblem::NotADecimal),
    (
        "a,2024-01-01,1\n\"q \"\"x\"\"\",2024-02-30,1\n",
        "date",
        Some("q \"x\""),
        "2024-02-30",
        ValueProblem::NotACalendarDate,
    ),
    // After the calibration end, but still read and refused, as the main
    // crate's reader does.
    ("a,2024-01-01,1\nb,2024-03-01,-4.00\n", "amount", Some("b"), "-4.00", ValueProblem::Negative),
    ("a,2024-01-01,1\nc,2024-01-02,\n", "amount", Some("c"), "null", ValueProblem::Missing),
    ("a,2024-01-01,99999999999999999999\n", "amount", Some("a"), "99999999999999999999", ValueProblem::TooLarge),
    // An empty CSV cell is read as null.
    (",2024-01-01,1\n", "customer_id", None, "null", ValueProblem::Missing),
];

/// Runs `summary` on each of [`BAD_ROWS`] written as a CSV file under `dir`
/// and checks the typed error.
async fn check_bad_rows<F, Fut>(dir: &Path, summary: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<RecordBatch, Error>>,
{
    for (k, (rows, column, key, value, problem)) in BAD_ROWS.into_iter().enumerate() {
        let path = csv(dir, &format!("bad{k}.csv"), &format!("customer_id,date,amount\n{rows}"));
        match summary(path.clone()).await {
            Err(Error::Value { source_name, error }) => {
                assert_eq!(source_name, path);
                assert_eq!(
                    (error.column, error.customer_id.as_deref(), error.value.as_str(), error.problem),
                    (column, key, value, problem),
                    "{rows}"
                );
            }
            other => panic!("{rows}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn bad_values_are_named_with_their_file_column_and_customer() {
    let dir = tempfile::tempdir().unwrap();
    check_bad_rows(dir.path(), |path| async move { summary_of(&path).await }).await;
    let missing = csv(dir.path(), "missing.csv", "customer_id,day,amount\na,2024-01-01,1\n");
    assert!(matches!(summary_of(&missing).await, Err(Error::Schema { column: "date", .. })));
    let nowhere = dir.path().join("nothing-here").display().to_string();
    assert!(matches!(summary_of(&nowhere).await, Err(Error::Source { .. })));
}

/// On a cluster the executors send the error as text; the client still
/// gets the typed error, key and value included.
#[cfg(feature = "ballista")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_values_on_a_ballista_cluster_are_typed_errors() {
    use customer_lifecycle_datafusion::cluster::LocalCluster;
    let dir = tempfile::tempdir().unwrap();
    let cluster = LocalCluster::start(2, 1).await.unwrap();
    let cluster = &cluster;
    check_bad_rows(dir.path(), |path| async move {
        let ctx = cluster.context(2).await?;
        let log = TransactionLog::read(&ctx, &path).await?;
        btyd::summary(&log, NaiveDate::from_ymd_opt(2024, 1, 31).unwrap(), TimeUnit::Days).await
    })
    .await;
}

/// A CSV file gives the main crate's `TransactionCsv` summary.
#[tokio::test]
async fn a_csv_log_reads_as_the_main_crate_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = "customer_id,date,amount,note\nb,2024-01-03,1.5,x\na,2024-01-01,10,y\na,2024-01-05,2.00,\n\
                a,2024-01-05,3.25,z\na,2024-03-01,9.99,late\nc,2024-02-01,5,late only\n";
    let path = csv(dir.path(), "log.csv", text);
    let log = customer_lifecycle::csv::TransactionCsv::new().from_reader(text.as_bytes()).unwrap().to_transactions();
    let end = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
    let mut expected = Summary::from_transactions(&log, end, TimeUnit::Days).unwrap().customers;
    expected.sort_by(|a, b| a.key.cmp(&b.key));
    let batch = summary_of(&path).await.unwrap();
    assert_eq!(batch.num_rows(), 2);
    let monetary = batch.column(4).as_any().downcast_ref::<Float64Array>().unwrap();
    assert_eq!(expected[0].key, "a");
    assert_eq!(monetary.value(0), expected[0].monetary_value);
    assert_eq!(monetary.value(0), 5.25);
}

/// RFM on every layout and partitioning equals the main crate's
/// tie-by-key RFM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfm_equals_the_in_memory_tie_by_key_scores() {
    use customer_lifecycle::score::{Rfm, RfmSegments};
    let rows = simulated_log();
    let as_of = calibration_end(&rows);
    let dir = tempfile::tempdir().unwrap();
    let paths = layouts(dir.path(), &rows);
    let segments = RfmSegments::default();
    let expected =
        Rfm::from_records_ties_by_key(rows.iter().map(|r| (r.0.clone(), r.1.date_naive(), r.2)), as_of).unwrap();
    let mut expected: Vec<_> = expected.rows().to_vec();
    expected.sort_by(|a, b| a.customer.cmp(&b.customer));
    for (path, layout) in &paths {
        for partitions in [1, 4, 7] {
            let ctx = context(partitions);
            let log = TransactionLog::read(&ctx, path).await.unwrap();
            let batch = customer_lifecycle_datafusion::rfm::rfm(&log, as_of, &segments).await.unwrap();
            assert_eq!(batch.num_rows(), expected.len(), "{layout}, {partitions}");
            let keys = batch.column(0).as_any().downcast_ref::<StringArray>().unwrap();
            let codes = batch.column(7).as_any().downcast_ref::<datafusion::arrow::array::UInt16Array>().unwrap();
            let cents = batch.column(3).as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().unwrap();
            let names = batch.column(8).as_any().downcast_ref::<StringArray>().unwrap();
            for (i, row) in expected.iter().enumerate() {
                assert_eq!(keys.value(i), row.customer, "{layout}, {partitions}");
                assert_eq!(codes.value(i), row.score.code(), "{layout}, {partitions}: {}", row.customer);
                assert_eq!(cents.value(i), row.monetary.minor_units());
                assert_eq!(names.value(i), segments.segment(row.score));
            }
        }
    }
}

/// The `distributed` example (a scheduler and two executor processes)
/// prints the `clv` example's JSON: the in-memory summary per customer in
/// key order and the in-memory fits, bit for bit; a log it cannot read
/// exits 1 with one `error:` line and nothing on standard output.
#[cfg(feature = "ballista")]
#[test]
fn the_distributed_example_prints_the_in_memory_results() {
    let rows = simulated_log();
    let dir = tempfile::tempdir().unwrap();
    let paths = layouts(dir.path(), &rows);
    let e = expected(&rows, TimeUnit::Weeks);
    // Examples sit beside the test binaries' directory.
    let example = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("examples/distributed");
    let end = e.end.to_string();
    let run = |path: &str| {
        std::process::Command::new(&example)
            .args(["--transactions", path, "--time-unit", "weeks", "--calibration-end", &end])
            .output()
            .unwrap()
    };
    let out = run(&paths[1].0);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let float = |v: &serde_json::Value| v.as_f64().unwrap().to_bits();
    let customers = json["customers"].as_array().unwrap();
    assert_eq!(customers.len(), e.customers.len());
    for (got, c) in customers.iter().zip(&e.customers) {
        assert_eq!(got["customer_id"], c.key.as_str());
        assert_eq!(got["frequency"].as_u64(), Some(u64::from(c.frequency)));
        assert_eq!(float(&got["recency"]), c.recency.to_bits());
        assert_eq!(float(&got["T"]), c.t.to_bits());
        assert_eq!(float(&got["monetary_value"]), c.monetary_value.to_bits());
        assert_eq!(float(&got["p_alive"]), e.bg.model.p_alive(History::from(c)).to_bits());
    }
    let b = &json["bgnbd"];
    assert_eq!(
        [float(&b["r"]), float(&b["alpha"]), float(&b["a"]), float(&b["b"]), float(&b["log_likelihood"])],
        [e.bg.model.r(), e.bg.model.alpha(), e.bg.model.a(), e.bg.model.b(), e.bg.log_likelihood].map(f64::to_bits)
    );
    assert_eq!(float(&json["pareto_nbd"]["log_likelihood"]), e.pn.log_likelihood.to_bits());
    let bad = csv(dir.path(), "bad.csv", "customer_id,date,amount\na,2024-01-01,1.005\n");
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("1.005"), "{stderr}");
    assert!(stderr.contains(r#"column "amount" of customer "a": "1.005""#), "{stderr}");
    assert!(!stderr.contains("Job "), "the typed error, not Ballista's text: {stderr}");
}
