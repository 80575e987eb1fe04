//! The main job on built-in data: simulate a customer base of about 10,000
//! people over two years, apply every event, and show where everyone stands.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Each section is a module of its own, printing one part of the picture.
//! The same picture as charts on one page: `cargo run --release --features
//! plot --example report -- --out DIR` (the `report` example).

mod advocacy;
mod campaign;
mod lifecycle;
#[path = "../support/output.rs"]
mod output;
mod relationship;
mod score;
mod segment;

use std::io::Write;

use customer_lifecycle::sim::{SimOptions, Simulator};
use customer_lifecycle::{CustomerBase, Policy};

/// Runs, writing to standard output; on a failure (a closed output
/// included) prints one `error:` line and exits with status 1.
pub fn main() {
    let mut out = std::io::stdout().lock();
    if let Err(e) = run(&mut out).and_then(|()| Ok(out.flush()?)) {
        output::fail_on(&*e);
    }
}

/// Simulates, applies and writes the report to `out`; public so the test
/// suite can run it.
///
/// # Errors
///
/// A failed simulation, model fit or write.
pub fn run(out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let sim = Simulator::new(SimOptions::default(), 42)?;
    let mut base = CustomerBase::new(Policy::default());
    let events = sim.populate(&mut base)?;
    base.advance_to(sim.end());

    writeln!(out, "Simulated {} people and {} events, as of {}.\n", base.len(), events, sim.end().date_naive())?;
    lifecycle::section(out, &base)?;
    score::section(out, &base, sim.end())?;
    relationship::section(out, &base, sim.end())?;
    segment::section(out, &base, sim.end())?;
    campaign::section(out, &base, sim.end())?;
    advocacy::section(out, &base, sim.end())?;
    writeln!(out, "\nAs charts on one page: cargo run --release --features plot --example report -- --out report/")?;
    Ok(())
}
