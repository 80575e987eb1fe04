//! The structured driver: arbitrary calls on a `CustomerBase`, checking that
//! nothing panics, that a refused call changes nothing, and that the snapshot
//! round-trips. The model is the one the proptest in `tests/driver.rs` runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/driver/ops.rs"]
#[allow(dead_code)]
mod ops;

fuzz_target!(|data: &[u8]| {
    ops::Run::from_bytes(data).check(&mut ops::Tally::default());
});
