//! The structured driver of `CustomerBase` (the model and its laws are in
//! `driver/ops.rs`, shared with the fuzz target `base_driver`), run here by
//! proptest on random bytes for a few hundred cases.

mod ops;

use proptest::prelude::*;

use ops::{Run, Tally};

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_calls_keep_the_laws(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        Run::from_bytes(&bytes).check(&mut Tally::default());
    }
}

/// The laws are only worth checking if the model reaches both outcomes of
/// the calls that matter: a driver whose events were all refused would pass
/// vacuously.
#[test]
fn the_driver_reaches_accepted_and_refused_calls() {
    let mut tally = Tally::default();
    // A fixed stream of bytes (a linear congruential generator), so the test
    // is deterministic.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..200 {
        let bytes: Vec<u8> = (0..3000)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                (state >> 56) as u8
            })
            .collect();
        Run::from_bytes(&bytes).check(&mut tally);
    }
    for what in [
        "add_customer",
        "purchase",
        "refund",
        "ticket_resolved",
        "referral",
        "follow",
        "transition",
        "set_attribute",
        "forget",
        "resend",
    ] {
        let (accepted, refused) = tally.get(what);
        assert!(accepted > 0 && refused > 0, "{what}: {accepted} accepted, {refused} refused; tally {tally:?}");
    }
}
