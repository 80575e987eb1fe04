//! `csv::EdgeListCsv`: no panic.
#![no_main]

use customer_lifecycle::csv::EdgeListCsv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = EdgeListCsv::new().from_reader(data);
});
