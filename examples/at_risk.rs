//! Cookbook recipe: at-risk customers.
//!
//! Reads a shop's own event log (by default the bundled
//! examples/data/shop.csv), describes every customer as of a day, and lists
//! the members of the ready segment "at risk of churn", most valuable first.
//!
//!     cargo run --example at_risk [-- FILE.csv|FILE.jsonl]

use std::error::Error;
use std::io::Write;
use std::path::Path;

use chrono::{TimeZone, Utc};
use customer_lifecycle::eventlog::{ingest, read_path};
use customer_lifecycle::segment::{FeatureTable, Value, ready_segments};
use customer_lifecycle::{CustomerBase, Policy};

fn main() -> Result<(), Box<dyn Error>> {
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/shop.csv");
    let path = std::env::args().nth(1).unwrap_or_else(|| bundled.to_owned());
    run(Path::new(&path), &mut std::io::stdout().lock())
}

/// Writes the at-risk customers of the event log in `path` to `out`.
///
/// # Errors
///
/// When the log cannot be read or ingested, or `out` cannot be written.
pub fn run(path: &Path, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    // The whole file is checked before anything is applied.
    let batch = read_path(path)?;
    let mut base = CustomerBase::new(Policy::default());
    ingest(&mut base, &batch)?;

    // Every customer's features as they stood at the start of July 2025.
    let as_of = Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap();
    let table = FeatureTable::from_base(&base, as_of)?;
    // More than one purchase and none for 60 days, or an open complaint,
    // and not yet churned (see `ready_segments`).
    let at_risk = ready_segments().into_iter().find(|s| s.name == "at risk of churn").ok_or("no such segment")?;
    let members = table.evaluate(&at_risk)?;

    let number = |name: &str, row: usize| match table.value(name, row) {
        Some(Value::Number(x)) => x,
        _ => 0.0,
    };
    let mut rows: Vec<usize> = members.rows().collect();
    rows.sort_by(|&a, &b| number("monetary", b).total_cmp(&number("monetary", a)));

    writeln!(out, "{} of {} customers are at risk of churn", members.len(), table.rows())?;
    writeln!(out, "customer,stage,recency_days,purchases,monetary,open_complaints")?;
    for row in rows {
        let stage = match table.value("stage", row) {
            Some(Value::Text(stage)) => stage,
            _ => String::new(),
        };
        let recency = table.value("recency_days", row).map(|v| v.to_string()).unwrap_or_default();
        writeln!(
            out,
            "{},{stage},{recency},{},{:.2},{}",
            table.labels()[row],
            number("frequency", row),
            number("monetary", row),
            number("open_complaints", row),
        )?;
    }
    Ok(())
}
