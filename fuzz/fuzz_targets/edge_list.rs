//! `relationship::read_edge_list`: no panic.
#![no_main]

use customer_lifecycle::relationship::read_edge_list;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_edge_list(data);
});
