//! `csv::SummaryCsv`: no panic, and every summary it returns keeps the
//! documented rules (finite, non-negative durations and value, recency at
//! most T).
#![no_main]

use customer_lifecycle::csv::SummaryCsv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = SummaryCsv::new().from_reader(data) {
        for row in &rows {
            for x in [row.recency, row.t, row.monetary_value] {
                assert!(x.is_finite() && x >= 0.0, "{row:?}");
            }
            assert!(row.recency <= row.t, "{row:?}");
        }
    }
});
