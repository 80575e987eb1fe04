//! Where everyone stands: stages, phases, ladder conversion, three journeys.

use std::io::Write;

use customer_lifecycle::{
    CustomerBase, Stage,
    lifecycle::{Phase, Reason, Rule},
};

/// Prints the stage and phase mix, the conversion between ladder steps, and
/// three customers' transition histories.
pub fn section(out: &mut dyn Write, base: &CustomerBase) -> std::io::Result<()> {
    let counts = base.stage_counts();
    let total = counts.total() as f64;
    writeln!(out, "{:<12} {:>8} {:>8}", "stage", "people", "share")?;
    for (stage, n) in counts.iter() {
        writeln!(out, "{:<12} {:>8} {:>7.1}%", stage.name(), n, 100.0 * n as f64 / total)?;
    }
    writeln!(out)?;
    writeln!(out, "{:<12} {:>8} {:>8}", "phase", "people", "share")?;
    for phase in Phase::ALL {
        let n = counts.phase(phase);
        writeln!(out, "{:<12} {:>8} {:>7.1}%", phase.name(), n, 100.0 * n as f64 / total)?;
    }
    let off = counts.off_ladder();
    writeln!(out, "{:<12} {:>8} {:>7.1}%", "off ladder", off, 100.0 * off as f64 / total)?;

    // Of those who ever reached a stage, the share who later reached the next.
    writeln!(out, "\n{:<24} {:>8} {:>8} {:>10}", "ladder step", "reached", "moved on", "conversion")?;
    for pair in Stage::LADDER.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let reached: Vec<_> = base.customers().filter_map(|c| c.first_reached(from).map(|t| (c, t))).collect();
        let moved = reached.iter().filter(|(c, t)| c.first_reached(to).is_some_and(|u| u >= *t)).count();
        let rate = if reached.is_empty() { 0.0 } else { 100.0 * moved as f64 / reached.len() as f64 };
        let step = format!("{} -> {}", from.name(), to.name());
        writeln!(out, "{:<24} {:>8} {:>8} {:>9.1}%", step, reached.len(), moved, rate)?;
    }

    // Three customers' journeys: an evangelist, one who came back, one who was lost.
    writeln!(out, "\nThree journeys:")?;
    let evangelist = base.customers().find(|c| c.stage() == Stage::Evangelist);
    let reactivated = base.customers().find(|c| {
        c.history().iter().any(|t| t.reason == Reason::Rule(Rule::Reactivation)) && c.stage() != Stage::Evangelist
    });
    let churned = base.customers().find(|c| c.stage() == Stage::Churned && c.history().len() > 3);
    for customer in [evangelist, reactivated, churned].into_iter().flatten() {
        writeln!(out, "\n  {} ({} purchases, now {})", customer.label(), customer.purchase_count(), customer.stage())?;
        for t in customer.history() {
            let why = match &t.reason {
                Reason::Rule(rule) => format!("{rule:?}"),
                Reason::Explicit { note } => format!("explicit: {note}"),
                other => format!("{other:?}"),
            };
            writeln!(out, "    {}  {:>10} -> {:<10}  {}", t.at.date_naive(), t.from.name(), t.to.name(), why)?;
        }
    }
    Ok(())
}
