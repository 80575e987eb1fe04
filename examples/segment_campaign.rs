//! Cookbook recipe: a segment exported for a campaign, and its A/B test.
//!
//! Reads a shop's own event log (by default the bundled
//! examples/data/shop.csv), takes the customers of a segment on the day a
//! campaign is planned, splits them into a holdout and a treatment arm by a
//! stable hash, exports the list (key and arm) for the mailing tool, and,
//! once the campaign's month is over, compares the arms.
//!
//!     cargo run --example segment_campaign [-- FILE.csv|FILE.jsonl]

use std::error::Error;
use std::io::Write;
use std::path::Path;

use chrono::{TimeDelta, TimeZone, Utc};
use customer_lifecycle::campaign::{Arm, Audience, Campaign, CampaignKind, Experiment, Uplift};
use customer_lifecycle::eventlog::{ingest, read_path};
use customer_lifecycle::segment::{FeatureTable, Segment};
use customer_lifecycle::{CampaignId, Channel, CustomerBase, CustomerId, Policy};

fn main() -> Result<(), Box<dyn Error>> {
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/shop.csv");
    let path = std::env::args().nth(1).unwrap_or_else(|| bundled.to_owned());
    run(Path::new(&path), &mut std::io::stdout().lock())
}

/// Writes the exported audience and then the test's result to `out`.
///
/// # Errors
///
/// When the log cannot be read or ingested, when the audience is empty or
/// has only one arm, or when `out` cannot be written.
pub fn run(path: &Path, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let batch = read_path(path)?;
    let mut base = CustomerBase::new(Policy::default());
    ingest(&mut base, &batch)?;

    // The segment, as the marketing team wrote it: repeat buyers who have
    // not bought for six weeks.
    let lapsing = Segment::from_json(
        r#"{"name": "lapsing repeat buyers", "where": {"all": [
            {"field": "frequency", "ge": 2},
            {"field": "recency_days", "ge": 42}]}}"#,
    )?;
    let start = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
    let table = FeatureTable::from_base(&base, start)?;
    let members = table.evaluate(&lapsing)?;
    // Table rows are labelled by key; the campaign names customers by id.
    let audience: Audience = table.labels_of(&members).into_iter().map(CustomerId::from_key).collect();
    let campaign = Campaign::builder(CampaignId::from_key("win-back-june"), "Win-back", CampaignKind::Promotion)
        .channel(Channel::Email)
        .period(start, start + TimeDelta::days(30))
        .audience(audience)
        .build()?;

    // Half of the audience is held out; the split is the same on every run.
    let test = Experiment::new(2025, vec![Arm::holdout("control", 1), Arm::treatment("offer", 1)])?;
    writeln!(out, "customer,arm")?;
    for key in table.labels_of(&members) {
        writeln!(out, "{key},{}", test.arm(CustomerId::from_key(key)).name)?;
    }

    // A month later: what each arm did in the campaign's period.
    let arms = test.outcomes(&base, campaign.audience(), campaign.start(), campaign.end())?;
    let ratio = test.sample_ratio(&arms)?;
    writeln!(out)?;
    writeln!(out, "{}: {} customers, sample ratio p = {:.3}", campaign.name(), members.len(), ratio.p_value)?;
    for arm in &arms {
        writeln!(out, "{}: {} customers, {} bought, revenue {}", arm.arm, arm.customers, arm.conversions, arm.revenue)?;
    }
    let uplift = Uplift::between(&arms[0], &arms[1]);
    match uplift.conversion {
        Some(t) => writeln!(out, "conversion: {:+.3} (p = {:.3})", t.diff, t.p_value)?,
        None => writeln!(out, "conversion: no test (nobody or everybody bought)")?,
    }
    Ok(())
}
