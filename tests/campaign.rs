//! Campaigns: hand-computed reports under each attribution model, the
//! experiment statistics against hand computations and textbook values, the
//! timing profile, the `experiment` example's contract, and the laws as
//! property tests.

// Exact float comparisons where the value is exact by construction.
#![allow(clippy::float_cmp)]

use chrono::{DateTime, FixedOffset, TimeDelta, Utc, Weekday};
use customer_lifecycle::campaign::{
    Arm, AttributionModel, AttributionOptions, Audience, BayesianEffect, Campaign, CampaignError, CampaignKind,
    CampaignReport, Correction, CrossSums, Effect, EffectTest, Experiment, HourOfWeek, Moments, Proportion,
    ProportionTest, Roi, Sums, TimingProfile, Uplift, WelchTest, adjust_p_values, assignment_hash, report,
    sample_size_per_arm,
};
use customer_lifecycle::{
    CampaignId, Channel, CustomerBase, CustomerId, EngagementAction, Event, EventId, EventKind, Money, NewCustomer,
    Policy, Purpose, Stage,
};
use proptest::prelude::*;

use crate::common::{cid, day, t0};

#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../examples/experiment.rs"]
mod experiment_example;

/// A base with customers `a` to `g`, created at day 0, and an event counter.
struct Plan {
    base: CustomerBase,
    next: u32,
}

impl Plan {
    fn new() -> Self {
        let mut base = CustomerBase::new(Policy::default());
        for key in ["a", "b", "c", "d", "e", "f", "g"] {
            base.add_customer(NewCustomer::with_key(key, t0())).unwrap();
        }
        Plan { base, next: 0 }
    }

    fn at(&mut self, who: &str, at: DateTime<Utc>, channel: Channel, kind: EventKind) {
        self.next += 1;
        let event = Event { id: EventId::from_key(&format!("p{}", self.next)), customer: cid(who), at, channel, kind };
        self.base.apply(&event).unwrap_or_else(|e| panic!("{e}"));
    }

    fn touch(&mut self, who: &str, days: i64, campaign: &str) {
        self.at(who, day(days), Channel::Email, EventKind::Touch { campaign: CampaignId::from_key(campaign) });
    }

    fn respond(&mut self, who: &str, at: DateTime<Utc>, campaign: &str) {
        let kind = EventKind::Response { campaign: CampaignId::from_key(campaign), action: EngagementAction::Click };
        self.at(who, at, Channel::Email, kind);
    }

    fn buy(&mut self, who: &str, days: i64, cents: i64) {
        self.at(who, day(days), Channel::Web, EventKind::Purchase { amount: Money::from_minor(cents) });
    }
}

fn campaign(key: &str, cost: i64) -> Campaign {
    Campaign::builder(CampaignId::from_key(key), key.to_uppercase(), CampaignKind::Promotion)
        .channel(Channel::Email)
        .period(day(300), day(310))
        .cost(Money::from_minor(cost))
        .build()
        .unwrap()
}

/// The scripted story behind the hand-computed reports (days; window seven
/// days; campaign X costs 100.00, Y nothing; both run days 300 to 310):
///
/// - a: a prospect who consents to contact on day 300, touched by X on day
///   301, clicks two hours later, buys 50.00 on day 303: X's, a new customer.
///   Everyone else never consented to contact (the default).
/// - b: a prospect touched by X on day 302, clicks on day 305, buys 40.00 on
///   day 312: outside the window.
/// - c: a prospect touched by X on day 302 and Y on day 304, buys 30.00 on
///   day 305: Y's under last touch, X's under first, half each under linear.
/// - d: new since a purchase on day 290, touched by X on day 301, buys 20.00
///   on day 302: X's, and up from new to repeat.
/// - e: touched by X on day 320, after its period: not counted.
/// - f: clicks X on day 305 without a touch: not reached.
/// - g: bought on day 1, dormant since day 121, touched by X on day 301, buys
///   60.00 on day 303: X's, and reactivated.
fn story() -> CustomerBase {
    let mut p = Plan::new();
    p.buy("g", 1, 1_000);
    p.buy("d", 290, 2_000);
    let grant = EventKind::ConsentChange { purpose: Purpose::Contact, granted: true };
    p.at("a", day(300), Channel::Web, grant);
    p.touch("a", 301, "x");
    p.respond("a", day(301) + TimeDelta::hours(2), "x");
    p.buy("a", 303, 5_000);
    p.touch("b", 302, "x");
    p.respond("b", day(305), "x");
    p.buy("b", 312, 4_000);
    p.touch("c", 302, "x");
    p.touch("c", 304, "y");
    p.buy("c", 305, 3_000);
    p.touch("d", 301, "x");
    p.buy("d", 302, 2_000);
    p.touch("e", 320, "x");
    p.buy("e", 321, 9_900);
    p.respond("f", day(305), "x");
    p.touch("g", 301, "x");
    p.buy("g", 303, 6_000);
    p.base
}

fn options(model: AttributionModel) -> AttributionOptions {
    AttributionOptions { model, window: TimeDelta::days(7) }
}

fn both(model: AttributionModel) -> (CampaignReport, CampaignReport) {
    let mut reports = report(&story(), &[campaign("x", 10_000), campaign("y", 0)], options(model)).unwrap();
    let y = reports.pop().unwrap();
    (reports.pop().unwrap(), y)
}

#[test]
fn last_touch_report_by_hand() {
    let (x, y) = both(AttributionModel::LastTouch);
    assert_eq!(x.campaign, CampaignId::from_key("x"));
    assert_eq!(x.audience, None);
    assert_eq!((x.reached, x.touches, x.responders, x.converted), (5, 5, 2, 3));
    assert_eq!(x.reached_without_consent, 4); // all but a
    assert_eq!(x.response_rate(), Some(0.4));
    assert_eq!(x.conversion_rate(), Some(0.6));
    assert_eq!(x.attributed_purchases, 3.0);
    assert_eq!(x.attributed_revenue, Money::from_minor(13_000)); // a 50 + d 20 + g 60
    assert_eq!(x.influenced_revenue, Money::from_minor(13_000));
    assert_eq!(x.cost, Money::from_minor(10_000));
    assert_eq!(x.roi, Roi::Ratio(0.3)); // (130 − 100) / 100
    // a and c went from prospect to new within seven days of X's touch.
    assert_eq!(x.new_customers, 2);
    assert_eq!(x.cost_per_new_customer, Some(Money::from_minor(5_000)));
    assert_eq!((x.moved_up, x.reactivated), (3, 1)); // a, c, d up; g back

    let row = |r: &CampaignReport, s: Stage| r.by_stage[s as usize];
    assert_eq!(x.by_stage.len(), 8);
    let prospects = row(&x, Stage::Prospect);
    assert_eq!((prospects.reached, prospects.responders, prospects.converted, prospects.moved_up), (3, 2, 1, 2));
    assert_eq!(prospects.attributed_revenue, Money::from_minor(5_000));
    let new = row(&x, Stage::New);
    assert_eq!((new.reached, new.converted, new.moved_up, new.attributed_revenue), (1, 1, 1, Money::from_minor(2_000)));
    let dormant = row(&x, Stage::Dormant);
    assert_eq!((dormant.reached, dormant.converted, dormant.moved_up), (1, 1, 0));
    assert_eq!(dormant.attributed_revenue, Money::from_minor(6_000));
    assert_eq!(row(&x, Stage::Repeat).reached, 0);

    assert_eq!((y.reached, y.converted, y.responders, y.reached_without_consent), (1, 1, 0, 1));
    assert_eq!(y.attributed_revenue, Money::from_minor(3_000));
    assert_eq!(y.roi, Roi::NoCost);
    assert_eq!(y.roi.ratio(), None);
    assert_eq!(y.new_customers, 1);
    assert_eq!(y.cost_per_new_customer, Some(Money::ZERO));
}

#[test]
fn first_touch_and_linear_reports_by_hand() {
    let (x, y) = both(AttributionModel::FirstTouch);
    assert_eq!(x.attributed_revenue, Money::from_minor(16_000));
    assert_eq!((x.converted, y.converted), (4, 0));
    assert_eq!(y.attributed_revenue, Money::ZERO);
    assert_eq!(x.roi, Roi::Ratio(0.6));

    let (x, y) = both(AttributionModel::Linear);
    assert_eq!(x.attributed_revenue, Money::from_minor(14_500)); // c's 30.00 split in two
    assert_eq!(x.influenced_revenue, Money::from_minor(16_000));
    assert_eq!(x.attributed_purchases, 3.5);
    assert_eq!((y.attributed_revenue, y.influenced_revenue), (Money::from_minor(1_500), Money::from_minor(3_000)));
    assert_eq!((x.converted, y.converted), (4, 1));
}

#[test]
fn a_campaign_alone_takes_the_credit_the_other_would_have_had() {
    let x = campaign("x", 10_000).report(&story(), options(AttributionModel::LastTouch)).unwrap();
    assert_eq!(x.attributed_revenue, Money::from_minor(16_000));
}

#[test]
fn audience_window_and_errors() {
    let base = story();
    let audience: Audience = ["a", "b", "e"].into_iter().map(cid).collect();
    let narrow = Campaign::builder(CampaignId::from_key("x"), "X", CampaignKind::Promotion)
        .period(day(300), day(310))
        .audience(audience)
        .build()
        .unwrap();
    let r = narrow.report(&base, AttributionOptions::default()).unwrap();
    assert_eq!((r.audience, r.reached, r.converted), (Some(3), 2, 1));

    // A one-day window (half-open) misses every purchase: d's came exactly
    // a day after the touch, the others later. Twenty-five hours catch d's.
    let short = AttributionOptions { model: AttributionModel::LastTouch, window: TimeDelta::days(1) };
    let r = campaign("x", 0).report(&base, short).unwrap();
    assert_eq!(r.attributed_revenue, Money::ZERO);
    let r = campaign("x", 0).report(&base, AttributionOptions { window: TimeDelta::hours(25), ..short }).unwrap();
    assert_eq!(r.attributed_revenue, Money::from_minor(2_000));

    let zero = AttributionOptions { window: TimeDelta::zero(), ..short };
    assert!(matches!(campaign("x", 0).report(&base, zero), Err(CampaignError::InvalidWindow { .. })));
    let twice = report(&base, &[campaign("x", 0), campaign("x", 1)], short);
    assert!(matches!(twice, Err(CampaignError::DuplicateCampaign { .. })));
    let unknown = campaign("never-touched", 500).report(&base, short).unwrap();
    assert_eq!((unknown.reached, unknown.roi), (0, Roi::Ratio(-1.0)));
    assert_eq!(unknown.response_rate(), None);

    let bad = Campaign::builder(CampaignId::from_key("z"), "Z", CampaignKind::Ad).period(day(2), day(1)).build();
    assert!(matches!(bad, Err(CampaignError::EndBeforeStart { .. })));
    let bad = Campaign::builder(CampaignId::from_key("z"), "Z", CampaignKind::Ad).cost(Money::from_minor(-1)).build();
    assert!(matches!(bad, Err(CampaignError::NegativeCost { .. })));
    let bad = Campaign::builder(CampaignId::from_key("z"), " ", CampaignKind::Ad).build();
    assert!(matches!(bad, Err(CampaignError::EmptyName { .. })));
}

#[test]
fn campaigns_and_reports_round_trip_through_json() {
    let x = campaign("x", 10_000);
    let json = serde_json::to_string(&x).unwrap();
    assert_eq!(serde_json::from_str::<Campaign>(&json).unwrap(), x);
    let open_ended = Campaign::builder(CampaignId::from_key("o"), "Open", CampaignKind::Other).build().unwrap();
    let text = serde_json::to_string(&open_ended).unwrap();
    assert_eq!(serde_json::from_str::<Campaign>(&text).unwrap(), open_ended);
    let negative = json.replace("\"100.00\"", "\"-1.00\"");
    assert!(serde_json::from_str::<Campaign>(&negative).is_err());
    let (r, _) = both(AttributionModel::Linear);
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<CampaignReport>(&json).unwrap(), r);
    assert!(serde_json::to_string(&Roi::NoCost).unwrap().contains("no_cost"));
}

#[test]
fn touches_and_responses_survive_snapshots_and_forgetting() {
    let mut base = story();
    let json = base.to_json();
    assert_eq!(CustomerBase::from_json(&json).unwrap(), base);
    let events: Vec<Event> = base.events(cid("c")).unwrap().collect();
    assert_eq!(events[1].kind, EventKind::Touch { campaign: CampaignId::from_key("y") });
    base.forget(cid("c")).unwrap();
    let (x, y) = {
        let mut r = report(&base, &[campaign("x", 10_000), campaign("y", 0)], AttributionOptions::default()).unwrap();
        let y = r.pop().unwrap();
        (r.pop().unwrap(), y)
    };
    assert_eq!((x.reached, y.reached), (4, 0));
}

// ---------------------------------------------------------------- experiments

#[test]
fn assignment_hash_test_vectors() {
    // Computed independently: the first eight bytes of
    // SHA-1("customer-lifecycle/experiment\0" ‖ seed (u64 BE) ‖ uuid bytes).
    let nil: CustomerId = "00000000-0000-0000-0000-000000000000".parse().unwrap();
    assert_eq!(assignment_hash(0, nil), 0x3ae9_88f5_48e2_4a67);
    let id: CustomerId = "67e55044-10b1-426f-9247-bb680e5fe0c8".parse().unwrap();
    assert_eq!(assignment_hash(42, id), 0xb5e8_80d0_0069_8b5a);
}

#[test]
fn experiments_validate_their_arms() {
    assert_eq!(Experiment::new(1, vec![]), Err(CampaignError::NoArms));
    assert!(matches!(Experiment::new(1, vec![Arm::treatment("a", 0)]), Err(CampaignError::ZeroWeight { .. })));
    let twins = vec![Arm::treatment("a", 1), Arm::holdout("a", 1)];
    assert!(matches!(Experiment::new(1, twins), Err(CampaignError::DuplicateArm { .. })));
    let heavy = vec![Arm::treatment("a", u32::MAX), Arm::holdout("b", 1)];
    assert!(matches!(Experiment::new(1, heavy), Err(CampaignError::WeightsTooLarge { .. })));
    let e = Experiment::new(9, vec![Arm::holdout("control", 1), Arm::treatment("offer", 9)]).unwrap();
    let json = serde_json::to_string(&e).unwrap();
    assert_eq!(serde_json::from_str::<Experiment>(&json).unwrap(), e);
    assert!(serde_json::from_str::<Experiment>(&json.replace("\"weight\":9", "\"weight\":0")).is_err());
}

#[test]
fn proportion_test_by_hand() {
    // 100/1000 against 130/1000: p̄ = 0.115, SE = √(0.115·0.885·0.002) =
    // 0.0142671, z = 0.03 / 0.0142671 = 2.10274; p = 2(1 − Φ(2.10274)) =
    // 0.0354885; unpooled SE = √(0.09/1000 + 0.1131/1000) = 0.0142513, so
    // the interval is 0.03 ∓ 1.959964 · 0.0142513.
    let t = ProportionTest::new(prop(100, 1000), prop(130, 1000)).unwrap();
    assert_eq!((t.rate_a, t.rate_b), (0.1, 0.13));
    assert!((t.diff - 0.03).abs() < 1e-15);
    assert!((t.z - 2.102_740_605_622_11).abs() < 1e-12);
    // statrs's Φ agrees with an independent erfc to about 1e-11 in relative
    // terms at this z.
    assert!((t.p_value - 0.035_488_450_466_47).abs() < 1e-11);
    assert!((t.ci95[0] - 0.002_067_934_439_376).abs() < 1e-12);
    assert!((t.ci95[1] - 0.057_932_065_560_624).abs() < 1e-12);
    // A zero difference: z = 0, p = 1.
    let t = ProportionTest::new(prop(5, 50), prop(20, 200)).unwrap();
    assert_eq!((t.z, t.p_value), (0.0, 1.0));
    // B below A: the signs flip, the p-value does not.
    let t = ProportionTest::new(prop(130, 1000), prop(100, 1000)).unwrap();
    assert!((t.z + 2.102_740_605_622_11).abs() < 1e-12 && (t.p_value - 0.035_488_450_466_47).abs() < 1e-11);
}

#[test]
fn proportion_test_errors() {
    assert!(matches!(ProportionTest::new(prop(0, 0), prop(1, 10)), Err(CampaignError::EmptyGroup { group: "a", .. })));
    assert!(matches!(ProportionTest::new(prop(11, 10), prop(1, 10)), Err(CampaignError::ConversionsAboveCount { .. })));
    assert!(matches!(ProportionTest::new(prop(0, 10), prop(0, 10)), Err(CampaignError::DegeneratePooledRate { .. })));
    assert!(matches!(ProportionTest::new(prop(10, 10), prop(20, 20)), Err(CampaignError::DegeneratePooledRate { .. })));
}

#[test]
fn sample_sizes_by_hand() {
    // 10% → 15%, α = 0.05, power 0.8: p̄ = 0.125,
    // (1.959964·√(2·0.125·0.875) + 0.841621·√(0.09 + 0.1275))² / 0.05²
    // = (0.916682 + 0.392506)² / 0.0025 = 685.60, rounded up: 686, the
    // figure the usual tables give without continuity correction.
    assert_eq!(sample_size_per_arm(0.10, 0.05, 0.05, 0.80), Ok(686));
    // 50% → 60% at power 0.9: 518.04 → 519; a fall from 20% to 15% at
    // α = 0.01: 1347.48 → 1348; 3% → 4%: 5300.74 → 5301.
    assert_eq!(sample_size_per_arm(0.5, 0.1, 0.05, 0.9), Ok(519));
    assert_eq!(sample_size_per_arm(0.2, -0.05, 0.01, 0.8), Ok(1348));
    assert_eq!(sample_size_per_arm(0.03, 0.01, 0.05, 0.8), Ok(5301));
    for (b, l, a, p) in [(0.0, 0.1, 0.05, 0.8), (0.95, 0.1, 0.05, 0.8), (0.1, 0.1, 1.0, 0.8), (0.1, 0.1, 0.05, 0.0)] {
        assert!(matches!(sample_size_per_arm(b, l, a, p), Err(CampaignError::OutsideUnitInterval { .. })));
    }
    assert!(sample_size_per_arm(f64::NAN, 0.1, 0.05, 0.8).is_err());
    assert_eq!(sample_size_per_arm(0.1, 0.0, 0.05, 0.8), Err(CampaignError::ZeroLift));
}

#[test]
fn sample_sizes_beyond_exact_counting_are_refused() {
    // A lift of 1e-7 still gives an exact count (about 1.4e14 < 2^53)…
    let n = sample_size_per_arm(0.1, 1e-7, 0.05, 0.8).unwrap();
    assert!((1e14..1e15).contains(&(n as f64)), "{n}");
    // …one of 1e-8 or 1e-10 does not (about 1.4e16 and 1.4e20: the latter
    // was Ok(u64::MAX)), nor does one that only just moves the baseline.
    for (lift, alpha, power) in [(1e-8, 0.05, 0.8), (1e-10, 0.05, 0.8), (1e-15, 0.05, 0.8), (1e-10, 1e-300, 0.999_999)]
    {
        match sample_size_per_arm(0.1, lift, alpha, power) {
            Err(CampaignError::SampleSizeTooLarge { baseline, lift: l, alpha: a, power: p, size }) => {
                assert_eq!((baseline, l, a, p), (0.1, lift, alpha, power));
                assert!(size > 2f64.powi(53), "{size}");
            }
            other => panic!("lift {lift}: {other:?}"),
        }
    }
    let message = sample_size_per_arm(0.1, 1e-10, 0.05, 0.8).unwrap_err().to_string();
    assert!(message.contains("baseline 0.1") && message.contains("lift 0.0000000001"), "{message}");
}

#[test]
fn welch_test_by_hand() {
    // A: 19 22 16 29 24 (mean 22, s² 24.5); B: 20 11 17 12 (mean 15, s² 18).
    // se² = 24.5/5 + 18/4 = 9.4, t = −7/√9.4 = −2.283148;
    // df = 9.4² / (4.9²/4 + 4.5²/3) = 88.36 / 12.7525 = 6.928837.
    // The p-value, 0.0567509, lies between the t table's two-sided 0.10
    // (t = 1.895 at 7 df) and 0.05 (t = 2.365) points, and was checked by
    // integrating the t density numerically.
    let a = Moments::from_values([19.0, 22.0, 16.0, 29.0, 24.0]);
    let b = Moments::from_values([20.0, 11.0, 17.0, 12.0]);
    assert_eq!((a.mean, a.variance, b.mean, b.variance), (22.0, 24.5, 15.0, 18.0));
    let w = WelchTest::new(a, b).unwrap();
    assert_eq!(w.diff, -7.0);
    assert!((w.t + 2.283_148_255_687_05).abs() < 1e-12);
    assert!((w.df - 6.928_837_482_846_50).abs() < 1e-10);
    assert!((w.p_value - 0.056_750_93).abs() < 1e-6);
    assert!(w.ci95[0] < -7.0 && w.ci95[1] > -7.0 && w.ci95[1] > 0.0);

    let one = Moments::from_values([1.0]);
    assert_eq!(WelchTest::new(one, b), Err(CampaignError::TooFewValues { group: "a", n: 1 }));
    let flat = Moments::from_values([3.0, 3.0, 3.0]);
    assert_eq!(WelchTest::new(flat, flat), Err(CampaignError::ZeroVariance));
    let broken = Moments { n: 5, mean: 1.0, variance: -1.0 };
    assert!(matches!(WelchTest::new(broken, b), Err(CampaignError::InvalidMoment { .. })));
}

#[test]
fn outcomes_and_uplift_from_a_base() {
    // Four customers with stable arms; the treated ones buy.
    let mut p = Plan::new();
    let e = Experiment::new(3, vec![Arm::holdout("control", 1), Arm::treatment("offer", 1)]).unwrap();
    let mut expected = [(0u64, 0u64, 0i64); 2];
    for (i, key) in ["a", "b", "c", "d", "e", "f", "g"].into_iter().enumerate() {
        let arm = e.assign(cid(key));
        expected[arm].0 += 1;
        if arm == 1 || i == 0 {
            p.buy(key, 10, 1_000 * (i as i64 + 1));
            expected[arm].1 += 1;
            expected[arm].2 += 1_000 * (i as i64 + 1);
        }
    }
    p.buy("a", 40, 500); // after the window
    let arms = e.outcomes(&p.base, None, day(5), day(20)).unwrap();
    let everyone: Audience = ["a", "b", "c", "d", "e", "f", "g"].into_iter().map(cid).collect();
    assert_eq!(e.outcomes(&p.base, Some(&everyone), day(5), day(20)).unwrap(), arms);
    let nobody = Audience::default();
    assert!(e.outcomes(&p.base, Some(&nobody), day(5), day(20)).unwrap().iter().all(|a| a.customers == 0));
    for (arm, (n, conversions, revenue)) in arms.iter().zip(expected) {
        assert_eq!((arm.customers, arm.conversions, arm.revenue), (n, conversions, Money::from_minor(revenue)));
        assert_eq!(arm.moved_up, conversions); // prospect → new
        assert_eq!(arm.revenue_per_customer.n, n);
        assert!((arm.revenue_per_customer.mean - revenue as f64 / 100.0 / n as f64).abs() < 1e-9);
    }
    assert!(arms[0].holdout && !arms[1].holdout);
    let uplift = Uplift::between(&arms[0], &arms[1]);
    if let Some(conversion) = uplift.conversion {
        assert_eq!(conversion.rate_b, arms[1].conversion_rate().unwrap());
    }
}

const N: usize = 100_000;

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn assignment_is_deterministic_and_balanced(seed in any::<u64>(), weights in prop::collection::vec(1u32..5, 2..4)) {
        let arms = weights.iter().enumerate().map(|(i, &w)| Arm::treatment(format!("arm{i}"), w)).collect();
        let e = Experiment::new(seed, arms).unwrap();
        let again = e.clone();
        let total: u32 = weights.iter().sum();
        let mut counts = vec![0usize; weights.len()];
        for i in 0..N {
            let id = CustomerId::from_key(&format!("customer-{i}"));
            let arm = e.assign(id);
            prop_assert_eq!(arm, again.assign(id));
            counts[arm] += 1;
        }
        for (count, weight) in counts.iter().zip(&weights) {
            let share = *count as f64 / N as f64;
            let expected = f64::from(*weight) / f64::from(total);
            prop_assert!((share - expected).abs() < 0.01, "share {} for expected {}", share, expected);
        }
    }
}

fn campaign_events() -> impl Strategy<Value = Vec<(u8, u8, i64, u16)>> {
    // (customer, what: 0..3 touch of campaign k0..k2, 3 purchase, 4 response, hour, cents)
    prop::collection::vec((0u8..3, 0u8..5, 0i64..2_000, 0u16..5_000), 0..80)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn attributed_revenue_never_exceeds_the_attributed_purchases(
        events in campaign_events(),
        model in prop::sample::select(vec![AttributionModel::LastTouch, AttributionModel::FirstTouch, AttributionModel::Linear]),
        window_hours in 1i64..400,
    ) {
        let mut p = Plan::new();
        let mut sorted = events;
        sorted.sort_by_key(|e| e.2);
        let mut total = 0i64;
        let mut purchases = 0usize;
        for (who, what, hour, cents) in sorted {
            let who = ["a", "b", "c"][usize::from(who)];
            let at = t0() + TimeDelta::hours(hour);
            let key = format!("k{what}");
            match what {
                0..=2 => p.at(who, at, Channel::Web, EventKind::Touch { campaign: CampaignId::from_key(&key) }),
                3 => {
                    p.at(who, at, Channel::Web, EventKind::Purchase { amount: Money::from_minor(i64::from(cents)) });
                    total += i64::from(cents);
                    purchases += 1;
                }
                _ => p.respond(who, at, "k1"),
            }
        }
        let campaigns: Vec<Campaign> = (0..3)
            .map(|k| Campaign::builder(CampaignId::from_key(&format!("k{k}")), "k", CampaignKind::Other).build().unwrap())
            .collect();
        let options = AttributionOptions { model, window: TimeDelta::hours(window_hours) };
        let reports = report(&p.base, &campaigns, options).unwrap();
        let mut credited = 0i64;
        let mut shares = 0.0;
        for r in &reports {
            prop_assert!(r.attributed_revenue <= r.influenced_revenue);
            if model != AttributionModel::Linear {
                prop_assert_eq!(r.attributed_revenue, r.influenced_revenue);
            }
            prop_assert!(r.converted <= r.reached && r.responders <= r.reached);
            credited += r.attributed_revenue.minor_units();
            shares += r.attributed_purchases;
        }
        prop_assert!(credited <= total);
        prop_assert!(shares <= purchases as f64 + 1e-9);
    }
}

// ---------------------------------------------------------------- timing

#[test]
fn timing_profile_by_hand() {
    // 2024-01-01 is a Monday. Ana is touched at 09:00 UTC and answers an
    // hour later; touched again at 09:30 and never answers; touched by SMS
    // on Tuesday 18:00 and answers three days later, after the two-day window.
    let mut p = Plan::new();
    let monday_9 = t0() + TimeDelta::hours(9);
    let sms = Channel::Other("sms".into());
    p.at("a", monday_9, Channel::Email, EventKind::Touch { campaign: CampaignId::from_key("n") });
    p.at(
        "a",
        monday_9 + TimeDelta::minutes(30),
        Channel::Email,
        EventKind::Touch { campaign: CampaignId::from_key("n") },
    );
    p.respond("a", monday_9 + TimeDelta::hours(1), "n");
    p.at("a", day(1) + TimeDelta::hours(18), sms.clone(), EventKind::Touch { campaign: CampaignId::from_key("n") });
    p.respond("a", day(4) + TimeDelta::hours(18), "n");
    let cet = FixedOffset::east_opt(3600).unwrap();
    let profile = TimingProfile::new(&p.base, cet, TimeDelta::days(2), None).unwrap();
    assert_eq!(profile.offset_seconds, 3600);
    let email = profile.cells(&Channel::Email).unwrap();
    assert_eq!(email.len(), 168);
    let ten = email[HourOfWeek::new(Weekday::Mon, 10).unwrap().index()];
    // The response answers the latest touch, 09:30 UTC; both are 10:xx CET.
    assert_eq!((ten.touches, ten.responses, ten.response_rate()), (2, 1, Some(0.5)));
    let sms_cell = profile.cells(&sms).unwrap()[HourOfWeek::new(Weekday::Tue, 19).unwrap().index()];
    assert_eq!((sms_cell.touches, sms_cell.responses), (1, 0));
    assert_eq!(profile.cells(&Channel::Phone), None);
    // Wilson for 1 of 2 at z = 1.96: (0.0945, 0.9055).
    assert!((ten.ci95[0] - 0.094_531).abs() < 1e-6 && (ten.ci95[1] - 0.905_469).abs() < 1e-6);
    let only_other = TimingProfile::new(&p.base, cet, TimeDelta::days(2), Some(&[CampaignId::from_key("z")])).unwrap();
    assert!(only_other.channels.is_empty());
    assert!(TimingProfile::new(&p.base, cet, TimeDelta::zero(), None).is_err());
}

#[test]
fn a_cell_with_three_touches_never_wins() {
    // Email on Monday 09:00: 3 of 3 answered (Wilson lower bound 0.4385);
    // web on Tuesday 09:00: 600 of 1,000 (lower bound 0.5693).
    let mut p = Plan::new();
    let campaign = CampaignId::from_key("n");
    for i in 0..3 {
        let at = t0() + TimeDelta::hours(9) + TimeDelta::minutes(i);
        p.at("a", at, Channel::Email, EventKind::Touch { campaign });
        p.respond("a", at, "n");
    }
    for i in 0..1000 {
        let at = day(1) + TimeDelta::hours(9) + TimeDelta::milliseconds(i);
        p.at("b", at, Channel::Web, EventKind::Touch { campaign });
        if i < 600 {
            p.respond("b", at, "n");
        }
    }
    let profile = TimingProfile::new(&p.base, FixedOffset::east_opt(0).unwrap(), TimeDelta::hours(1), None).unwrap();
    let best = profile.best(5);
    assert_eq!(best.len(), 2);
    assert_eq!((best[0].0, best[0].1.hour.to_string().as_str()), (&Channel::Web, "Tue 09:00"));
    assert!((best[0].1.ci95[0] - 0.5693).abs() < 1e-4);
    assert!((best[1].1.ci95[0] - 0.4385).abs() < 1e-4);
}

// ---------------------------------------------------------------- the example

#[cfg(feature = "csv")]
fn run(args: &[&str]) -> Result<serde_json::Value, String> {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    experiment_example::run(&args).map(|line| serde_json::from_str(&line).unwrap())
}

#[cfg(feature = "csv")]
#[test]
fn experiment_example_ab() {
    let out = experiment_example::run(&["--ab".to_owned(), "1000,100,1000,130".to_owned()]).unwrap();
    assert!(out.starts_with(r#"{"rate_a":0.1,"rate_b":0.13,"diff":"#), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 6);
    assert!((v["z"].as_f64().unwrap() - 2.102_740_605_622_11).abs() < 1e-12);
    assert!((v["p_value"].as_f64().unwrap() - 0.035_488_450_466_47).abs() < 1e-11);
    assert!((v["ci95"][0].as_f64().unwrap() - 0.002_067_934_439_376).abs() < 1e-12);
    // Shortest round-trip form: the printed number reads back to the same f64.
    let t = ProportionTest::new(prop(100, 1000), prop(130, 1000)).unwrap();
    assert_eq!(v["z"].as_f64().unwrap(), t.z);
    assert!(out.contains(&format!("\"z\":{}", t.z)));
}

#[cfg(feature = "csv")]
#[test]
fn experiment_example_sample_size() {
    assert_eq!(run(&["--sample-size", "0.10,0.05,0.05,0.80"]).unwrap(), serde_json::json!({ "n_per_arm": 686 }));
    assert_eq!(
        experiment_example::run(&["--sample-size".to_owned(), "0.5,0.1,0.05,0.9".to_owned()]).unwrap(),
        r#"{"n_per_arm":519}"#
    );
}

#[cfg(feature = "csv")]
#[test]
fn experiment_example_refuses_bad_input_in_one_line() {
    for args in [
        &["--ab", "-5,1,10,2"][..],
        &["--ab", "10,11,10,2"],
        &["--ab", "10,0,10,0"],
        &["--ab", "10,10,10,10"],
        &["--ab", "0,0,10,1"],
        &["--ab", "10,1,10"],
        &["--ab", "ten,1,10,2"],
        &["--sample-size", "0,0.05,0.05,0.8"],
        &["--sample-size", "0.1,0.05,1.5,0.8"],
        &["--sample-size", "0.1,0.05,0.05,1"],
        &["--sample-size", "0.1,0.95,0.05,0.8"],
        &["--sample-size", "0.1,0,0.05,0.8"],
        &["--sample-size", "0.1,NaN,0.05,0.8"],
        &["--sample-size", "0.1,1e-10,0.05,0.8"],
        &["--bogus", "1"],
        &[],
    ] {
        let error = run(args).unwrap_err();
        assert!(!error.is_empty() && !error.contains('\n'), "{args:?}: {error}");
    }
}

/// Every statistics mode of the example against values computed with numpy,
/// scipy and statsmodels by `scripts/experiment_fixtures.py`.
#[cfg(feature = "csv")]
#[test]
fn experiment_example_matches_scipy_and_statsmodels() {
    fn close(got: &serde_json::Value, want: &serde_json::Value, key: &str, case: &str) {
        match (got, want) {
            (serde_json::Value::Array(g), serde_json::Value::Array(w)) => {
                assert_eq!(g.len(), w.len(), "{case} {key}");
                for (g, w) in g.iter().zip(w) {
                    close(g, w, key, case);
                }
            }
            (serde_json::Value::Number(_), serde_json::Value::Number(_)) => {
                let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
                // p-values come from two implementations of Student's t and
                // χ² tails: relative agreement, down to the tiniest ones.
                let tolerance = if key == "p_value" || key == "adjusted" {
                    1e-7 * w.abs() + 1e-15
                } else {
                    1e-9 * w.abs().max(1e-3)
                };
                assert!((g - w).abs() <= tolerance, "{case} {key}: {g} vs {w}");
            }
            _ => assert_eq!(got, want, "{case} {key}"),
        }
    }
    let text = std::fs::read_to_string("tests/data/experiment_fixtures.json").unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let mut args: Vec<String> =
            case["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect();
        if args[0] == "--cuped" {
            args[1] = format!("tests/data/{}", args[1]);
        }
        let label = args.join(" ");
        let out: serde_json::Value = serde_json::from_str(&experiment_example::run(&args).unwrap()).unwrap();
        let (got, want) = (out.as_object().unwrap(), case["expected"].as_object().unwrap());
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{label}");
        for (key, value) in want {
            close(&got[key], value, key, &label);
        }
    }
}

#[cfg(feature = "csv")]
#[test]
fn experiment_example_keeps_its_json_keys_in_contract_order() {
    let out = experiment_example::run(&["--means".into(), "10,50,300,12,72,480".into()]).unwrap();
    assert!(out.starts_with(r#"{"effect":"#) && out.contains(r#","se":"#) && out.contains(r#""p_value":"#), "{out}");
    let out =
        experiment_example::run(&["--proportions".into(), "100,10,100,20".into(), "--sequential".into(), "500".into()])
            .unwrap();
    assert!(out.ends_with(r#""p_value":null}"#), "{out}");
    let out = experiment_example::run(&["--srm".into(), "5000,5400".into()]).unwrap();
    assert!(out.ends_with(r#""mismatch":true}"#), "{out}");
}

#[cfg(feature = "csv")]
#[test]
fn experiment_example_refuses_other_combinations() {
    let dir = std::env::temp_dir().join(format!("experiment-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_arm = dir.join("bad_arm.csv");
    std::fs::write(&bad_arm, "arm,y,x\nA,1,2\nB,2,3\nC,3,4\n").unwrap();
    let twice = dir.join("twice.csv");
    std::fs::write(&twice, "arm,y,x,y\nA,1,2,3\n").unwrap();
    let missing = dir.join("missing.csv");
    std::fs::write(&missing, "arm,outcome,x\nA,1,2\n").unwrap();
    let bad_arm = bad_arm.display().to_string();
    for (args, needle) in [
        (vec!["--srm", "10,12", "--effect", "relative"], "does not go with"),
        (vec!["--means", "10,50,300,12,72,480", "--weights", "1,1"], "does not go with"),
        (vec!["--ab", "1000,100,1000,130", "--sequential", "100"], "does not go with"),
        (vec!["--bayes-proportions", "100,10,100,12", "--effect", "absolute"], "does not go with"),
        (vec!["--proportions", "100,10,100,12", "--effect", "relative", "--effect", "absolute"], "twice"),
        (vec!["--proportions", "100,10,100,12", "--effect", "sideways"], "absolute or relative"),
        (vec!["--proportions", "100,10,100,12", "--sequential"], "needs a value"),
        (vec!["--proportions", "100,10,100,12", "--sequential", "0"], "N*"),
        (vec!["--proportions", "100,10,100,12", "extra"], "unexpected"),
        (vec!["--proportions", "100,0,100,12", "--effect", "relative"], "zero"),
        (vec!["--means", "1,5,25,12,72,480"], "at least two"),
        (vec!["--adjust", "hochberg", "0.1,0.2"], "holm or bh"),
        (vec!["--adjust", "holm"], "p-values"),
        (vec!["--adjust", "holm", "0.1,1.2"], "p-value 1"),
        (vec!["--srm", "10"], "at least two arms"),
        (vec!["--srm", "10,12", "--weights", "1,0"], "weight 1"),
        (vec!["--srm", "10,12", "--weights", "1,1,1"], "3 weights for 2 arms"),
        (vec!["--cuped", bad_arm.as_str()], "line 4"),
        (vec!["--cuped", twice.to_str().unwrap()], "twice"),
        (vec!["--cuped", missing.to_str().unwrap()], "no column \"y\""),
        (vec!["--cuped", "/nonexistent/file.csv"], "/nonexistent/file.csv"),
        (vec!["--means"], "usage"),
    ] {
        let error = run(&args).unwrap_err();
        assert!(error.contains(needle) && !error.contains('\n'), "{args:?}: {error}");
    }
}

/// Benjamini & Hochberg (1995), section 4: fifteen p-values from a trial of
/// treatments after myocardial infarction. At q = 0.05 their procedure
/// rejects the four smallest; Bonferroni (and so Holm, which rejects no
/// fewer) rejects the three smallest.
#[test]
fn corrections_match_benjamini_and_hochberg_1995() {
    let p = [
        0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590,
        1.0,
    ];
    let rejected = |q: &[f64]| q.iter().filter(|&&q| q <= 0.05).count();
    assert_eq!(rejected(&adjust_p_values(&p, Correction::BenjaminiHochberg).unwrap()), 4);
    assert_eq!(rejected(&adjust_p_values(&p, Correction::Holm).unwrap()), 3);
}

proptest! {
    /// Sums merge like the units they summarise: in any split, in any
    /// order (integer values keep every sum exact).
    #[test]
    fn sums_merge_in_any_split(values in proptest::collection::vec((-1000_i32..1000, -1000_i32..1000), 0..60), cut in 0_usize..60) {
        let pairs: Vec<(f64, f64)> = values.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect();
        let cut = cut.min(pairs.len());
        let whole = CrossSums::from_pairs(pairs.iter().copied());
        let (left, right) = (CrossSums::from_pairs(pairs[..cut].iter().copied()), CrossSums::from_pairs(pairs[cut..].iter().copied()));
        prop_assert_eq!(left + right, whole);
        prop_assert_eq!(right + left, whole);
        prop_assert_eq!(left.y() + right.y(), Sums::from_values(pairs.iter().map(|p| p.1)));
    }

    /// Refused inputs are refused, never answered with NaN.
    #[test]
    fn effects_are_finite_or_refused(n_a in 0_u64..50, x_a in 0_u64..60, n_b in 0_u64..50, x_b in 0_u64..60, relative: bool) {
        let kind = if relative { Effect::Relative } else { Effect::Absolute };
        if let (Ok(a), Ok(b)) = (Moments::of_proportion(n_a, x_a), Moments::of_proportion(n_b, x_b)) {
            if let Ok(test) = EffectTest::new(a, b, kind) {
                prop_assert!(test.effect.is_finite() && test.se > 0.0 && test.ci95[0] <= test.ci95[1]);
                prop_assert!((0.0..=1.0).contains(&test.p_value.unwrap()));
            }
            if let Ok(post) = BayesianEffect::new(a, b, kind) {
                prop_assert!((0.0..=1.0).contains(&post.chance_to_win) && post.risk >= 0.0);
            }
        }
    }
}

// ---------------------------------------------------------------- simulator

/// Without purchase history everyone is average, and the run by habit is
/// the plain run; with it, those who bought more buy more again.
#[cfg(feature = "sim")]
#[test]
fn the_simulator_runs_a_campaign_by_habit() {
    use customer_lifecycle::sim::CampaignSim;

    let ids: Vec<CustomerId> = (0..3000).map(|i| CustomerId::from_key(&format!("h{i}"))).collect();
    let mut base = CustomerBase::new(Policy::default());
    for &id in &ids {
        base.add_customer(NewCustomer::new(id, t0())).unwrap();
    }
    let start = t0() + TimeDelta::days(400);
    let run = CampaignSim::new(CampaignId::from_key("habit"), start);
    let plain: Vec<Event> = run.events(&ids, None, 3).unwrap().collect();
    assert_eq!(run.events_by_habit(&base, &ids, None, 3).unwrap().collect::<Vec<_>>(), plain);

    // The first third bought five times in the year before.
    for (i, &id) in ids.iter().enumerate().take(1000) {
        for k in 0..5 {
            let event = Event {
                id: EventId::from_key(&format!("habit-{i}-{k}")),
                customer: id,
                at: start - TimeDelta::days(300 - 50 * k),
                channel: Channel::Web,
                kind: EventKind::Purchase { amount: Money::from_minor(10_000) },
            };
            base.apply(&event).unwrap();
        }
    }
    let buyers = |range: std::ops::Range<usize>| {
        let wanted: std::collections::HashSet<CustomerId> = ids[range].iter().copied().collect();
        run.events_by_habit(&base, &ids, None, 3)
            .unwrap()
            .filter(|e| wanted.contains(&e.customer) && matches!(e.kind, EventKind::Purchase { .. }))
            .count()
    };
    // Chances scale by (5 + 1)/(5/3 + 1) = 2.25 and (0 + 1)/(5/3 + 1) = 0.375.
    assert!(buyers(0..1000) > 4 * buyers(1000..2000), "{} vs {}", buyers(0..1000), buyers(1000..2000));
}

#[cfg(feature = "sim")]
#[test]
fn the_simulator_runs_a_campaign_with_a_lift() {
    use customer_lifecycle::sim::CampaignSim;

    let ids: Vec<CustomerId> = (0..4000).map(|i| CustomerId::from_key(&format!("s{i}"))).collect();
    let mut base = CustomerBase::new(Policy::default());
    for &id in &ids {
        base.add_customer(NewCustomer::new(id, t0())).unwrap();
    }
    let test = Experiment::new(5, vec![Arm::holdout("holdout", 1), Arm::treatment("offer", 1)]).unwrap();
    let run = CampaignSim {
        base_conversion: 0.05,
        conversion_lift: 0.15,
        ..CampaignSim::new(CampaignId::from_key("sim"), day(10))
    };
    let events: Vec<Event> = run.events(&ids, Some(&test), 3).unwrap().collect();
    assert_eq!(events, run.events(&ids, Some(&test), 3).unwrap().collect::<Vec<_>>());
    for event in &events {
        assert!(event.at >= run.start && event.at < run.end() + TimeDelta::days(30), "{event:?}");
        if matches!(event.kind, EventKind::Touch { .. }) {
            assert!(!test.arm(event.customer).holdout);
        }
        base.apply(event).unwrap();
    }
    let arms = test.outcomes(&base, None, run.start, run.end() + TimeDelta::days(30)).unwrap();
    let uplift = Uplift::between(&arms[0], &arms[1]).conversion.unwrap();
    // 5% against 20%: the lift is unmistakable.
    assert!((uplift.rate_a - 0.05).abs() < 0.02 && (uplift.rate_b - 0.20).abs() < 0.03, "{uplift:?}");
    assert!(uplift.p_value < 1e-6);
    let promo =
        Campaign::builder(run.campaign, "sim", CampaignKind::Promotion).period(run.start, run.end()).build().unwrap();
    let report = promo.report(&base, AttributionOptions::default()).unwrap();
    assert_eq!(report.reached as u64, arms[1].customers);
    assert_eq!(report.touches as u64, 3 * arms[1].customers);
    // Each touch is answered with chance 0.2 by day and 0.1 by night, about
    // 0.158 on average; a customer with three answers at least one with
    // chance 1 − 0.842³ ≈ 0.40.
    let rate = report.response_rate().unwrap();
    assert!((0.35..0.45).contains(&rate), "{rate}");

    let bad = CampaignSim { response_rate: 1.5, ..run.clone() };
    assert!(bad.events(&ids, None, 1).is_err());
    let bad = CampaignSim { days: 0, ..run };
    assert!(bad.events(&ids, None, 1).is_err());
}

/// `conversions` out of `n`.
fn prop(conversions: u64, n: u64) -> Proportion {
    Proportion { conversions, n }
}
