//! Scores and analytics: RFM segments, F.R.Y. of the last two quarters with
//! the split of the revenue change, and the cohort retention table.

use std::io::Write;

use chrono::{DateTime, TimeDelta, Utc};
use customer_lifecycle::analytics::{CohortPeriod, CohortTable};
use customer_lifecycle::score::{Fry, FryDecomposition, Rfm, RfmSegments};
use customer_lifecycle::{CustomerBase, Window};

/// Prints the RFM segment sizes as of the last day before `end`, the F.R.Y.
/// figures of the last two full quarters before `end` with the
/// decomposition of the revenue change, and quarterly retention cohorts.
pub fn section(out: &mut dyn Write, base: &CustomerBase, end: DateTime<Utc>) -> std::io::Result<()> {
    let last_day = (end - TimeDelta::seconds(1)).date_naive();
    let rfm = Rfm::from_base(base, last_day).expect("simulated amounts do not overflow");
    writeln!(
        out,
        "\nRFM segments as of {last_day} ({} scored, {} left out for consent):",
        rfm.rows().len(),
        rfm.left_out()
    )?;
    let total = rfm.rows().len().max(1) as f64;
    for (segment, n) in rfm.segment_sizes(&RfmSegments::default()) {
        writeln!(out, "  {segment:<20} {n:>7} {:>6.1}%", 100.0 * n as f64 / total)?;
    }

    // The last two quarters that ended by `end`.
    let quarter_before = |w: Window| Window::quarter_of(w.start() - TimeDelta::seconds(1));
    let current = Window::quarter_of(end - TimeDelta::seconds(1));
    let last = if current.end() <= end { current } else { quarter_before(current) };
    let before = quarter_before(last);
    writeln!(out, "\nF.R.Y. by quarter:")?;
    writeln!(
        out,
        "  {:<12} {:>8} {:>10} {:>10} {:>14} {:>12}",
        "quarter", "reach", "purchases", "frequency", "revenue", "yield"
    )?;
    let mut figures = Vec::new();
    for quarter in [before, last] {
        let fry = Fry::from_base(base, quarter, |_| None).expect("simulated amounts do not overflow");
        let f = fry.figures;
        writeln!(
            out,
            "  {:<12} {:>8} {:>10} {:>10.3} {:>14} {:>12.2}",
            quarter.start().date_naive(),
            f.active,
            f.purchases,
            f.frequency(),
            f.revenue.to_string(),
            f.yield_per_purchase()
        )?;
        figures.push(f);
    }
    let split = FryDecomposition::between(&figures[0], &figures[1]);
    writeln!(
        out,
        "  revenue change {} = reach {} + frequency {} + yield {}",
        split.change, split.reach_effect, split.frequency_effect, split.yield_effect
    )?;

    let cohorts = CohortTable::from_base(base, CohortPeriod::Quarter, last_day);
    writeln!(out, "\nRetention by acquisition quarter (share buying in each quarter since):\n{cohorts}")?;
    Ok(())
}
