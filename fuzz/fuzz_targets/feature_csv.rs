//! `segment::read_feature_csv`: no panic, and every cell it returns is
//! there for its row (one label per row, numbers finite).
#![no_main]

use customer_lifecycle::segment::{Value, read_feature_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = read_feature_csv(data) {
        assert_eq!(table.labels().len(), table.rows());
        let names: Vec<String> = table.feature_names().map(str::to_owned).collect();
        for name in &names {
            for row in 0..table.rows() {
                if let Some(Value::Number(x)) = table.value(name, row) {
                    assert!(x.is_finite(), "{name} row {row}: {x}");
                }
            }
        }
    }
});
