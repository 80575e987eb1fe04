//! `csv::TransactionCsv::from_reader`: no panic, and every transaction it returns keeps
//! the documented rules (a non-empty key, an amount that is not negative).
#![no_main]

use customer_lifecycle::csv::TransactionCsv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(log) = TransactionCsv::new().from_reader(data).map(|log| log.to_transactions()) {
        for t in &log {
            assert!(!t.key.is_empty(), "empty key accepted: {t:?}");
            assert!(!t.amount.is_negative(), "negative amount accepted: {t:?}");
        }
    }
});
