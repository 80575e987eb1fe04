//! `segment::Segment` from JSON: no panic; a segment it reads has a JSON form
//! that reads back to the same segment; and evaluating or explaining it on a
//! small table does not panic either.
#![no_main]

use customer_lifecycle::segment::{FeatureTable, Segment};
use libfuzzer_sys::fuzz_target;

fn table() -> FeatureTable {
    let mut table = FeatureTable::new(vec!["a".into(), "b".into(), "c".into()]);
    table.add_numbers("recency_days", vec![Some(3.0), None, Some(-0.0)], true).unwrap();
    table.add_texts("stage", vec![Some("new".into()), Some("loyal".into()), None], true).unwrap();
    table.add_bools("vip", vec![Some(true), Some(false), None], false).unwrap();
    table
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut segments = Segment::list_from_json(text).unwrap_or_default();
    segments.extend(Segment::from_json(text));
    let table = table();
    for segment in &segments {
        let json = segment.to_value();
        assert_eq!(Segment::from_value(&json, "").as_ref(), Ok(segment), "{json}");
        assert_eq!(Segment::from_json(&json.to_string()).as_ref(), Ok(segment), "{json}");
        if let Ok(members) = table.evaluate(segment) {
            assert_eq!(members.table_rows(), table.rows());
        }
        for row in 0..table.rows() {
            let _ = table.explain(segment, row);
        }
    }
});
