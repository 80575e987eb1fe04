//! Three segments, defined in JSON, over the simulated base.

use std::io::Write;

use chrono::{DateTime, Utc};
use customer_lifecycle::CustomerBase;
use customer_lifecycle::segment::{FeatureTable, Segment};

const DEFINITIONS: &str = r#"[
  {"name": "lapsing loyal", "where": {"all": [
    {"field": "stage", "in": ["loyal", "evangelist"]},
    {"field": "recency_days", "gt": 60},
    {"not": {"field": "complaints", "gt": 0}}]}},
  {"name": "social fans who never bought", "where": {"all": [
    {"field": "stage", "eq": "prospect"},
    {"any": [{"field": "engagement_days.twitter", "le": 30}, {"field": "engagement_days.facebook", "le": 30}]}]}},
  {"name": "big spenders gone quiet", "where": {"all": [
    {"field": "monetary", "ge": 500},
    {"field": "stage", "in": ["dormant", "churned"]}]}}
]"#;

/// Prints each segment's size and a few members.
pub fn section(
    out: &mut dyn Write,
    base: &CustomerBase,
    as_of: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    let table = FeatureTable::from_base(base, as_of)?;
    let segments = Segment::list_from_json(DEFINITIONS)?;
    let members = table.evaluate_all(&segments)?;
    writeln!(
        out,
        "\nSegments (defined in JSON; {} customers withheld profiling consent and are in none):",
        table.left_out()
    )?;
    for (segment, members) in segments.iter().zip(&members) {
        let sample: Vec<&str> = table.labels_of(members).into_iter().take(3).collect();
        writeln!(out, "  {:<30} {:>6} customers, e.g. {}", segment.name, members.len(), sample.join(", "))?;
    }
    Ok(())
}
