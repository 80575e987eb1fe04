//! `csv::FeatureCsv`: no panic, and every cell it returns is
//! there for its row (one label per row, numbers finite).
#![no_main]

use customer_lifecycle::csv::FeatureCsv;
use customer_lifecycle::segment::Value;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = FeatureCsv::new().from_reader(data) {
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
