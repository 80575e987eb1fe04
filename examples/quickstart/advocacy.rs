//! Advocacy: network value, ambassador candidates and the leaking bucket.

use std::io::Write;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use customer_lifecycle::advocacy::{
    EvangelistCriteria, NetworkInputs, NetworkOptions, ambassador_candidates, leaking_bucket, network_value,
    retention_vs_acquisition,
};
use customer_lifecycle::clv::{FitOptions, ModelValuation, Summary, TimeUnit};
use customer_lifecycle::relationship::{Direction, EdgeWeights, Network, PageRankOptions, pagerank};
use customer_lifecycle::{CustomerBase, CustomerId};

/// Fits the models, values everyone with their network, and prints the top
/// ten, the ambassador candidates, the leaking bucket of the last four
/// quarters and the retention-versus-acquisition comparison.
pub fn section(
    out: &mut dyn Write,
    base: &CustomerBase,
    as_of: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    let today = as_of.date_naive();
    let summary = Summary::from_base(base, today, TimeUnit::Weeks)?;
    // The MBG/NBD and Gamma-Gamma models; CLV over a year, in thirteen
    // four-week periods at 1% a period.
    let valuation = ModelValuation::fit(&summary, 13, 4.0, 0.01, &FitOptions::default())?;
    let assessed = valuation.assess(base, today)?;

    let network = Network::<CustomerId>::from_base(base, as_of, EdgeWeights::default())?;
    let options = PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() };
    let rank = pagerank(network.graph(), &options)?;
    let inputs = NetworkInputs::from_base(
        base,
        as_of,
        |c| assessed.get(&c.label()).map_or(0.0, |a| a.clv),
        &network,
        &rank,
        options.damping,
    )?;
    let values = network_value(&inputs, &NetworkOptions::default())?;
    writeln!(
        out,
        "\nTop ten by network value (conversion rate {:.1}%, {:.2} per converted customer; {} left out for consent):",
        100.0 * values.conversion_rate,
        values.value_per_conversion,
        values.left_out
    )?;
    writeln!(
        out,
        "  {:<10} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "customer", "total", "own", "referral", "influence", "audience"
    )?;
    for v in values.ranked().iter().take(10) {
        let label = base.get(v.customer).map(customer_lifecycle::Customer::label).unwrap_or_default();
        writeln!(
            out,
            "  {label:<10} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>9.1}",
            v.total, v.own, v.referral, v.influence, v.audience
        )?;
    }

    let candidates = ambassador_candidates(base, &values, &EvangelistCriteria::default())?;
    writeln!(out, "\nAmbassador candidates: {} loyal customers, the first three:", candidates.len())?;
    for c in candidates.iter().take(3) {
        let label = base.get(c.customer).map(customer_lifecycle::Customer::label).unwrap_or_default();
        let verdict = if c.qualifies { "evangelist by the data" } else { "to develop" };
        writeln!(out, "  {label} ({verdict}): {}", c.reasons.join("; "))?;
    }

    // The last four whole quarters.
    let quarter_start = |d: NaiveDate| NaiveDate::from_ymd_opt(d.year(), (d.month0() / 3) * 3 + 1, 1).expect("valid");
    let mut boundaries = vec![quarter_start(today)];
    for _ in 0..4 {
        let first = boundaries[0];
        let previous = quarter_start(first.pred_opt().expect("not the first day"));
        boundaries.insert(0, previous);
    }
    let bucket = leaking_bucket(base, &boundaries, &valuation, 0.5)?;
    writeln!(out, "\nThe leaking bucket (lost: churned, or P(alive) fell below {}):", bucket.p_alive_threshold)?;
    write!(out, "{bucket}")?;

    let acquired_per_period =
        bucket.rows.iter().map(|r| r.acquired as f64).sum::<f64>() / (bucket.rows.len() as f64 * 13.0 / 4.0);
    let levers = retention_vs_acquisition(base, today, &valuation, acquired_per_period, 5.0)?;
    writeln!(
        out,
        "\nOver the next year, 5 points more retention are worth {:.2}, 5% more acquisition {:.2}: {} is the bigger lever.",
        levers.retention,
        levers.acquisition,
        levers.better_lever()
    )?;
    Ok(())
}
