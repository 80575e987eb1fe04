//! `Money::from_str`: no panic, and what it accepts prints as text that
//! parses back to the same amount (and so does every amount).
#![no_main]

use customer_lifecycle::Money;
use libfuzzer_sys::fuzz_target;

fn round_trips(money: Money) {
    assert_eq!(money.to_string().parse::<Money>(), Ok(money), "{money:?} does not read back");
    let json = serde_json::to_string(&money).expect("money serialises");
    assert_eq!(serde_json::from_str::<Money>(&json).ok(), Some(money), "{json} does not read back");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(bytes) = <[u8; 8]>::try_from(data.get(..8).unwrap_or_default()) {
        round_trips(Money::from_minor(i64::from_le_bytes(bytes)));
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(money) = text.parse::<Money>() {
        round_trips(money);
    }
});
