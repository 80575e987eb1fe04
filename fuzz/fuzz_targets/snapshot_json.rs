//! `CustomerBase::from_json`: no panic, and a base it reads writes a snapshot
//! that reads back to an equal base.
#![no_main]

use customer_lifecycle::CustomerBase;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(base) = CustomerBase::from_json(text) {
        let json = base.to_json();
        let back = CustomerBase::from_json(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert!(back == base, "the snapshot read back differs: {json}");
    }
});
