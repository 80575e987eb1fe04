//! Where everyone stands: stages, phases, ladder conversion, three journeys.

use customer_lifecycle::{CustomerBase, Phase, Reason, Rule, Stage};

/// Prints the stage and phase mix, the conversion between ladder steps, and
/// three customers' transition histories.
pub fn section(base: &CustomerBase) {
    let counts = base.stage_counts();
    let total = counts.total() as f64;
    println!("{:<12} {:>8} {:>8}", "stage", "people", "share");
    for (stage, n) in counts.iter() {
        println!("{:<12} {:>8} {:>7.1}%", stage.name(), n, 100.0 * n as f64 / total);
    }
    println!();
    println!("{:<12} {:>8} {:>8}", "phase", "people", "share");
    for phase in Phase::ALL {
        let n = counts.phase(phase);
        println!("{:<12} {:>8} {:>7.1}%", phase.name(), n, 100.0 * n as f64 / total);
    }
    let off = counts.off_ladder();
    println!("{:<12} {:>8} {:>7.1}%", "off ladder", off, 100.0 * off as f64 / total);

    // Of those who ever reached a stage, the share who later reached the next.
    println!("\n{:<24} {:>8} {:>8} {:>10}", "ladder step", "reached", "moved on", "conversion");
    for pair in Stage::LADDER.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let reached: Vec<_> = base.customers().filter_map(|c| c.first_reached(from).map(|t| (c, t))).collect();
        let moved = reached.iter().filter(|(c, t)| c.first_reached(to).is_some_and(|u| u >= *t)).count();
        let rate = if reached.is_empty() { 0.0 } else { 100.0 * moved as f64 / reached.len() as f64 };
        let step = format!("{} -> {}", from.name(), to.name());
        println!("{:<24} {:>8} {:>8} {:>9.1}%", step, reached.len(), moved, rate);
    }

    // Three customers' journeys: an evangelist, one who came back, one who was lost.
    println!("\nThree journeys:");
    let evangelist = base.customers().find(|c| c.stage() == Stage::Evangelist);
    let reactivated = base.customers().find(|c| {
        c.history().iter().any(|t| t.reason == Reason::Rule(Rule::Reactivation)) && c.stage() != Stage::Evangelist
    });
    let churned = base.customers().find(|c| c.stage() == Stage::Churned && c.history().len() > 3);
    for customer in [evangelist, reactivated, churned].into_iter().flatten() {
        println!("\n  {} ({} purchases, now {})", customer.label(), customer.purchase_count(), customer.stage());
        for t in customer.history() {
            let why = match &t.reason {
                Reason::Rule(rule) => format!("{rule:?}"),
                Reason::Explicit { note } => format!("explicit: {note}"),
                other => format!("{other:?}"),
            };
            println!("    {}  {:>10} -> {:<10}  {}", t.at.date_naive(), t.from.name(), t.to.name(), why);
        }
    }
}
