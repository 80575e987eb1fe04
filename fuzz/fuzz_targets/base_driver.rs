//! The structured driver: arbitrary calls on a `CustomerBase`, checking that
//! nothing panics, that a refused call changes nothing, and that the snapshot
//! round-trips. The model is the one the proptest in `tests/driver.rs` runs;
//! `cargo fuzz fmt base_driver <input>` prints the calls an input stands for.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/driver/ops.rs"]
#[allow(dead_code)]
mod ops;

fuzz_target!(|run: ops::Run| {
    run.check(&mut ops::Tally::default());
});
