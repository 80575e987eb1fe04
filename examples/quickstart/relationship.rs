//! Who carries the brand's word: influence rank, reach, referral revenue.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use customer_lifecycle::relationship::{
    Direction, EdgeWeights, Network, PageRankOptions, ReachCounter, ReferralAttributionOptions, ReferralForest,
    pagerank,
};
use customer_lifecycle::{CustomerBase, CustomerId};

/// Prints the top ten customers by influence rank, their 2-hop reach and
/// the revenue their referrals brought.
pub fn section(
    out: &mut dyn Write,
    base: &CustomerBase,
    as_of: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    let network = Network::<CustomerId>::from_base(base, as_of, EdgeWeights::default())?;
    // Rank follows endorsement: from follower to followed.
    let rank = pagerank(network.graph(), &PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() })?;
    // Reach follows the word: from followed to follower, referrer to referred.
    let mut reach = ReachCounter::new(network.graph(), Direction::Outgoing);
    let credit: HashMap<CustomerId, _> = ReferralForest::from_base(base, as_of)?
        .attribution(ReferralAttributionOptions::default())?
        .into_iter()
        .map(|a| (a.customer, a))
        .collect();
    writeln!(
        out,
        "\nTop ten by influence rank ({} people, {} relationships):",
        network.graph().node_count(),
        network.graph().edge_count()
    )?;
    writeln!(out, "  {:<10} {:>9} {:>8} {:>9} {:>14}", "customer", "rank", "2-hop", "referred", "their revenue")?;
    for (node, score) in rank.top(10) {
        let id = network.keys()[node.index()];
        let label = base.get(id).map(customer_lifecycle::Customer::label).unwrap_or_default();
        let (referred, revenue) =
            credit.get(&id).map_or((0, String::from("0.00")), |a| (a.converted, a.revenue.to_string()));
        writeln!(out, "  {label:<10} {score:>9.5} {:>8} {referred:>9} {revenue:>14}", reach.count(&[node], 2)?)?;
    }
    Ok(())
}
