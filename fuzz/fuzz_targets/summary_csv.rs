//! `clv::read_summary_csv`: no panic, and every summary it returns keeps the
//! documented rules (finite, non-negative durations and value, recency at
//! most T).
#![no_main]

use customer_lifecycle::clv::read_summary_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = read_summary_csv(data) {
        for row in &rows {
            for x in [row.recency, row.t, row.monetary_value] {
                assert!(x.is_finite() && x >= 0.0, "{row:?}");
            }
            assert!(row.recency <= row.t, "{row:?}");
        }
    }
});
