//! Evaluates segments over a feature table and prints their members.
//!
//! ```text
//! cargo run --release --example segments -- --features FILE.csv --definitions FILE.json
//! cargo run --release --example segments                       # the ready segments on a simulated base
//! ```
//!
//! The feature table has a `customer_id` column and one column per feature; a
//! cell is a number only if it matches `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`,
//! only an empty cell is missing, and every other cell is a string. The
//! definitions file holds one segment or a list, in the crate's JSON form,
//! naming the table's columns as fields. The output is one JSON object,
//! `{"<segment name>": ["<customer_id>", …], …}`, segments in definition
//! order and members in input order. Without `--features`, the segments run
//! over a simulated base with the crate's own feature names
//! (`FeatureTable::from_base`). Bad input exits non-zero with a one-line
//! error naming the line or the path in the definition.

use std::fmt::Write as _;

use customer_lifecycle::segment::{FeatureTable, Segment, read_feature_csv, ready_segments};
use customer_lifecycle::sim::{SimConfig, Simulator};
use customer_lifecycle::{CustomerBase, Policy};

#[path = "support/output.rs"]
mod output;

/// Runs with the process's arguments, printing the result or a one-line
/// error (exit status 1, also when standard output is closed).
pub fn main() {
    let result = run(std::env::args().skip(1))
        .and_then(|json| output::print_line(&json).map_err(|e| format!("cannot write the output: {e}")));
    if let Err(message) = result {
        output::fail(message, 1);
    }
}

/// The whole job: arguments in, the JSON object out.
///
/// # Errors
///
/// A one-line message for bad arguments, files, tables or definitions.
pub fn run(args: impl IntoIterator<Item = String>) -> Result<String, String> {
    let mut features = None;
    let mut definitions = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a file"));
        match arg.as_str() {
            "--features" => features = Some(value()?),
            "--definitions" => definitions = Some(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --features FILE.csv --definitions FILE.json"
                ));
            }
        }
    }
    let segments = match &definitions {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            Segment::list_from_json(&text).map_err(|e| format!("{path}: {e}"))?
        }
        None => ready_segments(),
    };
    let table = match &features {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            read_feature_csv(std::io::BufReader::new(file)).map_err(|e| format!("{path}: {e}"))?
        }
        None => simulated_table()?,
    };
    let members = table.evaluate_all(&segments).map_err(|e| match &definitions {
        Some(path) => format!("{path}: {e}"),
        None => e.to_string(),
    })?;
    let mut out = String::from("{");
    for (i, (segment, members)) in segments.iter().zip(&members).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let ids: Vec<&str> = table.labels_of(members);
        let _ = write!(out, "{}: {}", json(&segment.name), serde_json::to_string(&ids).expect("strings serialise"));
    }
    out.push('}');
    Ok(out)
}

fn json(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

fn simulated_table() -> Result<FeatureTable, String> {
    let sim = Simulator::new(SimConfig::default(), 42).map_err(|e| e.to_string())?;
    let mut base = CustomerBase::new(Policy::default());
    sim.populate(&mut base).map_err(|e| e.to_string())?;
    base.advance_to(sim.end());
    FeatureTable::from_base(&base, sim.end()).map_err(|e| e.to_string())
}
