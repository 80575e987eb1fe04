use super::{Predicate, Segment};

/// Ready segments, defined in the segment language itself over the
/// features of [`FeatureTable::from_base`](super::FeatureTable::from_base):
///
/// - `"at risk of churn"`: customers with more than one purchase and no
///   purchase for 60 days or more, or with an unresolved complaint, who are
///   not yet churned;
/// - `"lapsing loyal"`: loyal customers and evangelists who have not bought
///   for more than 60 days, and never complained;
/// - `"promoters"`: customers whose latest NPS answer was 9 or 10;
/// - `"ambassador candidates"`: loyal customers (not yet evangelists) whose
///   latest answer was a promoter's and whose influence rank is in the top
///   tenth.
///
/// - one segment per named RFM segment of the default map
///   ([`RfmSegments`](crate::score::RfmSegments)), named `"RFM: Champions"`
///   and so on, each an `in` over the RFM codes the map gives the name.
///
/// Each is also a worked example of the JSON form.
///
/// # Example
///
/// ```
/// use customer_lifecycle::segment::ready_segments;
///
/// let names: Vec<String> = ready_segments().into_iter().map(|s| s.name).collect();
/// assert!(names.contains(&"ambassador candidates".to_owned()));
/// ```
pub fn ready_segments() -> Vec<Segment> {
    let mut segments = Segment::list_from_json(READY).expect("the ready segments are valid");
    let map = crate::score::RfmSegments::default();
    let groups = map.groups();
    for name in map.names() {
        let codes = groups.get(name.as_str()).map(Vec::as_slice).unwrap_or_default();
        let predicate = Predicate::field("rfm_code").is_in(codes.iter().map(|&c| f64::from(c)));
        segments.push(Segment::new(format!("RFM: {name}"), predicate));
    }
    segments
}

const READY: &str = r#"[
  {"name": "at risk of churn", "where": {"all": [
    {"field": "stage", "ne": "churned"},
    {"field": "stage", "ne": "prospect"},
    {"any": [
      {"all": [{"field": "frequency", "gt": 1}, {"field": "recency_days", "ge": 60}]},
      {"field": "open_complaints", "gt": 0}
    ]}
  ]}},
  {"name": "lapsing loyal", "where": {"all": [
    {"field": "stage", "in": ["loyal", "evangelist"]},
    {"field": "recency_days", "gt": 60},
    {"not": {"field": "complaints", "gt": 0}}
  ]}},
  {"name": "promoters", "where": {"field": "nps_category", "eq": "promoter"}},
  {"name": "ambassador candidates", "where": {"all": [
    {"field": "stage", "eq": "loyal"},
    {"field": "nps_category", "eq": "promoter"},
    {"field": "influence_percentile", "ge": 0.9}
  ]}}
]"#;
