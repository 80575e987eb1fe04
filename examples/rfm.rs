//! RFM scores and segments of a transaction log, as CSV.
//!
//! ```text
//! cargo run --release --example rfm -- --transactions FILE.csv --as-of YYYY-MM-DD
//! ```
//!
//! The input has the columns `customer_id,date,amount` (others are
//! ignored); each row is one purchase. The output, on stdout, has one row
//! per customer with a purchase on or before the as-of day, in the order of
//! each customer's first row in the file (rows after the as-of day count for
//! that order and for nothing else):
//!
//! ```text
//! customer_id,recency_days,frequency,monetary,r,f,m,segment
//! ```
//!
//! with the key echoed as read, whole days since the last purchase, the
//! number of purchase rows, their sum with two decimals, the quintile scores
//! and the default segment. Bad input: exit status 1 and one line on stderr
//! naming the 1-based line of the file (the header is line 1).

use std::io::{self, Write};

use chrono::NaiveDate;
use customer_lifecycle::csv::TransactionCsv;
use customer_lifecycle::score::{Rfm, RfmSegments};

/// Runs the example on its arguments (without the program name), writing
/// the CSV to `out`.
///
/// # Errors
///
/// The one line to print: bad arguments, the reader's error naming the line
/// and column, or a failed write.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<(), String> {
    let (mut path, mut as_of) = (None, None);
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--transactions" => path = Some(value.clone()),
            "--as-of" => {
                as_of = Some(
                    NaiveDate::parse_from_str(value, "%Y-%m-%d")
                        .ok()
                        .filter(|_| value.len() == 10)
                        .ok_or_else(|| format!("invalid --as-of {value:?}: expected YYYY-MM-DD"))?,
                );
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let usage = "usage: rfm --transactions FILE.csv --as-of YYYY-MM-DD";
    let (path, as_of) = (path.ok_or(usage)?, as_of.ok_or(usage)?);

    let rfm = Rfm::read_path(&TransactionCsv::new(), &path, as_of).map_err(|e| e.to_string())?;
    let segments = RfmSegments::default();

    rfm.write_csv(&segments, &mut *out).and_then(|()| out.flush()).map_err(|e| format!("cannot write the output: {e}"))
}

#[path = "support/output.rs"]
mod output;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = io::stdout();
    if let Err(message) = run(&args, &mut stdout.lock()) {
        output::fail(message, 1);
    }
}
