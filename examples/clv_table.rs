//! Cookbook recipe: a CLV table from a transaction CSV.
//!
//! Reads `customer_id,date,amount` rows (by default the bundled
//! examples/data/transactions.csv), fits the default purchase and spend
//! models, and prints one CSV row per customer, most valuable first.
//!
//!     cargo run --example clv_table [-- FILE.csv]

use std::error::Error;
use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use customer_lifecycle::TransactionCsv;
use customer_lifecycle::clv::{
    FitOptions, History, ModelValuation, PurchaseModel, Summary, TimeUnit, lifetime_value_by_periods,
};

fn main() -> Result<(), Box<dyn Error>> {
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/transactions.csv");
    let path = std::env::args().nth(1).unwrap_or_else(|| bundled.to_owned());
    run(Path::new(&path), &mut std::io::stdout().lock())
}

/// Writes the CLV table of the transactions in `path` to `out`.
///
/// # Errors
///
/// When the file cannot be read or holds a bad line, when a model cannot be
/// fitted, or when `out` cannot be written.
pub fn run(path: &Path, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    // Every line is checked; an error names its line and column.
    let log = TransactionCsv::new().read_path(path)?;
    // The models see the purchases up to the end of this day.
    let end: NaiveDate = "2025-06-30".parse()?;
    let summary = Summary::from_transactions(&log, end, TimeUnit::Weeks)?;
    // The modified BG/NBD for purchases and the Gamma-Gamma for spend,
    // valued a year ahead: 13 periods of 4 weeks at 1% a period.
    let valuation = ModelValuation::fit(&summary, 13, 4.0, 0.01, &FitOptions::default())?;
    let model = &valuation.purchases;

    let mut rows = Vec::with_capacity(summary.customers.len());
    for c in &summary.customers {
        let history = History::from(c);
        let value = valuation.spend.expected_average_value(c.frequency, c.monetary_value)?;
        let clv = lifetime_value_by_periods(
            |horizon| model.expected_purchases(history, horizon),
            value,
            valuation.periods,
            valuation.period_length,
            valuation.discount_rate,
        )?;
        let expected = model.expected_purchases(history, valuation.horizon());
        rows.push((c.key.as_str(), c.frequency, model.p_alive(history), expected, clv));
    }
    rows.sort_by(|a, b| b.4.total_cmp(&a.4).then(a.0.cmp(b.0)));

    writeln!(out, "customer_id,repeat_purchases,p_alive,expected_purchases,clv")?;
    for (key, repeats, p_alive, expected, clv) in rows {
        writeln!(out, "{key},{repeats},{p_alive:.3},{expected:.2},{clv:.2}")?;
    }
    Ok(())
}
