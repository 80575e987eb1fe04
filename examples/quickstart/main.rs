//! The main job on built-in data: simulate a customer base of about 10,000
//! people over two years, apply every event, and show where everyone stands.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Each section is a module of its own, printing one part of the picture.

mod advocacy;
mod campaign;
mod lifecycle;
mod relationship;
mod score;
mod segment;

use customer_lifecycle::sim::{SimConfig, Simulator};
use customer_lifecycle::{CustomerBase, Policy};

/// Simulates, applies and prints; public so the test suite can run it.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = Simulator::new(SimConfig::default(), 42)?;
    let mut base = CustomerBase::new(Policy::default());
    let events = sim.populate(&mut base)?;
    base.advance_to(sim.end());

    println!("Simulated {} people and {} events, as of {}.\n", base.len(), events, sim.end().date_naive());
    lifecycle::section(&base);
    score::section(&base, sim.end());
    relationship::section(&base, sim.end())?;
    segment::section(&base, sim.end())?;
    campaign::section(&base, sim.end())?;
    advocacy::section(&base, sim.end())?;
    Ok(())
}
