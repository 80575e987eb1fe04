//! Streams a large simulated base into a `CustomerBase` and reports its size,
//! for the memory budget: 1,000,000 customers and about 10,000,000 events.
//!
//! ```text
//! cargo build --release --example scale
//! /usr/bin/time -v target/release/examples/scale --customers 1000000
//! /usr/bin/time -v target/release/examples/scale --customers 0   # the empty run, to subtract
//! ```
//!
//! Events are drawn one customer at a time and applied as they come, so they
//! are never all held at once.

use std::io::Write;
use std::time::Instant;

use customer_lifecycle::sim::{SimOptions, Simulator};
use customer_lifecycle::{CustomerBase, Policy};

#[path = "support/output.rs"]
mod output;

/// Runs, writing to standard output; on a failure (a closed output
/// included) prints one `error:` line and exits with status 1.
fn main() {
    if let Err(e) = run(&mut std::io::stdout().lock()) {
        output::fail_on(&*e);
    }
}

/// Parses `--customers N` (default 1,000,000) and runs.
fn run(out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut customers = 1_000_000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--customers" => customers = args.next().ok_or("--customers needs a number")?.parse()?,
            other => return Err(format!("unknown argument {other:?}; expected --customers N").into()),
        }
    }
    // Fewer engagement events than the default, for about ten events a customer.
    let config = SimOptions { customers, engagement_rate: 0.008, ..SimOptions::default() };
    let started = Instant::now();
    let sim = Simulator::new(config, 2024)?;
    let mut base = CustomerBase::new(Policy::default());
    let events = sim.populate(&mut base)?;
    base.advance_to(sim.end());
    let elapsed = started.elapsed();
    writeln!(out, "customers: {}", base.len())?;
    writeln!(out, "events: {events}")?;
    writeln!(out, "seconds (simulate + apply): {:.2}", elapsed.as_secs_f64())?;
    if let Some(peak) = peak_rss_kib() {
        writeln!(out, "peak RSS: {peak} KiB")?;
    }
    out.flush()?;
    Ok(())
}

/// The process's peak resident set, from Linux's /proc (None elsewhere).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
