//! `Policy` from JSON: no panic, and a policy it reads writes JSON that
//! reads back to the same policy (and its builder builds it again).
#![no_main]

use customer_lifecycle::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(policy) = serde_json::from_slice::<Policy>(data) {
        let json = serde_json::to_string(&policy).expect("policies serialise");
        assert_eq!(serde_json::from_str::<Policy>(&json).ok().as_ref(), Some(&policy), "{json}");
        assert_eq!(policy.to_builder().build().as_ref(), Ok(&policy));
    }
});
