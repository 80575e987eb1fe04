//! The simulator: deterministic, valid, and realistic enough for the quickstart.

use customer_lifecycle::sim::{SimOptions, Simulator};
use customer_lifecycle::{CustomerBase, Policy, Stage};

#[test]
fn the_same_seed_gives_the_same_events_and_another_seed_others() {
    let config = SimOptions { customers: 300, ..SimOptions::default() };
    let a = Simulator::new(config.clone(), 1).unwrap().events();
    let b = Simulator::new(config.clone(), 1).unwrap().events();
    let c = Simulator::new(config, 2).unwrap().events();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.windows(2).all(|w| w[0].at <= w[1].at), "events() is in time order");
}

#[test]
fn time_ordered_and_per_customer_streams_are_both_accepted() {
    let sim = Simulator::new(SimOptions { customers: 500, ..SimOptions::default() }, 3).unwrap();
    let mut streamed = CustomerBase::new(Policy::default());
    let n = sim.populate(&mut streamed).unwrap();
    let mut ordered = CustomerBase::new(Policy::default());
    for c in sim.customers() {
        ordered.add_customer(c).unwrap();
    }
    let events = sim.events();
    assert_eq!(ordered.apply_all(events.iter().cloned()).unwrap(), n);
    assert!(events.iter().all(|e| e.at < sim.end()));
    assert_eq!(ordered.event_count(), streamed.event_count());
}

#[test]
fn every_stage_holds_at_least_one_percent_by_default() {
    // The quickstart's base: default settings, seed 42.
    let sim = Simulator::new(SimOptions::default(), 42).unwrap();
    let mut base = CustomerBase::new(Policy::default());
    sim.populate(&mut base).unwrap();
    base.advance_to(sim.end());
    let counts = base.stage_counts();
    for (stage, n) in counts.iter() {
        assert!(n * 100 >= counts.total(), "{stage}: {n} of {}", counts.total());
    }
    assert!(counts.get(Stage::Evangelist) > 0);
}

#[test]
fn impossible_settings_are_refused() {
    let err = Simulator::new(SimOptions { buyer_share: 1.5, ..SimOptions::default() }, 0).unwrap_err();
    assert_eq!(err.field, "buyer_share");
    let err = Simulator::new(SimOptions { purchase_rate: 0.0, ..SimOptions::default() }, 0).unwrap_err();
    assert_eq!(err.field, "purchase_rate");
    let err = Simulator::new(SimOptions { days: 0, ..SimOptions::default() }, 0).unwrap_err();
    assert_eq!(err.field, "days");
}
