//! Network value, evangelists from data and the leaking bucket.

use customer_lifecycle::advocacy::{
    AdvocacyError, EvangelistCriteria, NetworkInputs, NetworkOptions, ambassador_candidates, leaking_bucket,
    network_value, promote_evangelists, rank_audience, retention_vs_acquisition,
};
use customer_lifecycle::clv::{
    BgNbd, FitOptions, GammaGamma, ModelChoice, ModelValuation, ModifiedBgNbd, Summary, TimeUnit,
};
use customer_lifecycle::relationship::{Direction, EdgeKind, NetworkBuilder, PageRankOptions, pagerank};
use customer_lifecycle::sim::{SimConfig, Simulator};
use customer_lifecycle::{CustomerBase, CustomerId, EventKind, Policy, Purpose, Reason, Stage};
use proptest::prelude::*;

use crate::common::{Script, cid, day};

/// A refers B, B refers C; D stands alone. B's word reaches five people.
fn hand_inputs() -> NetworkInputs {
    NetworkInputs {
        customers: ["A", "B", "C", "D"].map(cid).to_vec(),
        own_value: vec![10.0, 20.0, 30.0, 40.0],
        realised: vec![1.0, 2.0, 3.0, 4.0],
        converted: vec![true; 4],
        referrer: vec![None, Some(0), Some(1), None],
        audience: vec![0.0, 5.0, 0.0, 0.0],
        eligible: vec![true; 4],
    }
}

#[test]
fn network_value_by_hand() {
    let inputs = hand_inputs();
    let fixed = NetworkOptions { depth: 1, decay: 0.5, conversion_rate: Some(0.1), value_per_conversion: Some(50.0) };
    let v = network_value(&inputs, &fixed).unwrap();
    let (a, b, d) = (v.get(cid("A")).unwrap(), v.get(cid("B")).unwrap(), v.get(cid("D")).unwrap());
    assert_eq!((a.referral, b.referral), (22.0, 33.0), "one generation: the child's own value plus revenue");
    assert_eq!(b.influence, 25.0, "5 people × 0.1 × 50");
    assert_eq!(b.total, 20.0 + 33.0 + 25.0);
    assert_eq!(d.total, d.own, "no referrals and no audience: own value only");
    let deeper = network_value(&inputs, &NetworkOptions { depth: 2, ..fixed }).unwrap();
    assert_eq!(deeper.get(cid("A")).unwrap().referral, 22.0 + 0.5 * 33.0);
    // The defaults calibrate on the data: two referred customers bought and
    // the audiences add up to 5, and a converted customer is worth
    // (11 + 22 + 33 + 44) / 4.
    let estimated = network_value(&inputs, &NetworkOptions::default()).unwrap();
    assert_eq!(estimated.conversion_rate, 2.0 / 5.0);
    assert_eq!(estimated.value_per_conversion, 27.5);
    assert_eq!(estimated.ranked()[0].customer, cid("B"), "B's word is worth 5 × 0.4 × 27.5");
    let total_influence: f64 = estimated.values.iter().map(|v| v.influence).sum();
    assert!((total_influence - 2.0 * 27.5).abs() < 1e-9, "word of mouth is credited with the two conversions");
}

#[test]
fn withheld_consent_removes_a_customer_everywhere() {
    let mut inputs = hand_inputs();
    inputs.eligible[2] = false;
    let v = network_value(&inputs, &NetworkOptions { depth: 3, ..NetworkOptions::default() }).unwrap();
    assert_eq!(v.left_out, 1);
    assert!(v.get(cid("C")).is_none());
    assert_eq!(v.get(cid("B")).unwrap().referral, 0.0, "C contributes nothing");
    assert_eq!(v.get(cid("A")).unwrap().referral, 22.0);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let mut cycle = hand_inputs();
    cycle.referrer[0] = Some(2);
    assert!(matches!(network_value(&cycle, &NetworkOptions::default()), Err(AdvocacyError::ReferralCycle { .. })));
    let mut own = hand_inputs();
    own.referrer[3] = Some(3);
    assert!(matches!(network_value(&own, &NetworkOptions::default()), Err(AdvocacyError::BadReferrer { row: 3, .. })));
    let mut short = hand_inputs();
    short.audience.pop();
    assert!(matches!(
        network_value(&short, &NetworkOptions::default()),
        Err(AdvocacyError::Length { column: "audience", .. })
    ));
    let mut nan = hand_inputs();
    nan.own_value[1] = f64::NAN;
    assert!(matches!(network_value(&nan, &NetworkOptions::default()), Err(AdvocacyError::InvalidValue { row: 1, .. })));
    let bad = NetworkOptions { decay: 1.5, ..NetworkOptions::default() };
    assert!(matches!(network_value(&hand_inputs(), &bad), Err(AdvocacyError::InvalidOption { name: "decay", .. })));
}

#[test]
fn rank_audience_counts_followers_and_their_audiences() {
    // Influence edges (followed → follower): x is followed by f1, f2, f3;
    // y is followed by x alone.
    let mut b = NetworkBuilder::new();
    for f in ["f1", "f2", "f3"] {
        b.add_edge("x", f, EdgeKind::Follows, 1.0).unwrap();
    }
    b.add_edge("y", "x", EdgeKind::Follows, 1.0).unwrap();
    let network = b.build().unwrap();
    let options = PageRankOptions { flow: Direction::Incoming, tolerance: 1e-14, ..PageRankOptions::default() };
    let rank = pagerank(network.graph(), &options).unwrap();
    let audience = rank_audience(rank.scores(), 0.85);
    let of = |k: &str| audience[network.node(k).unwrap().index()];
    assert!((of("x") - 3.0).abs() < 1e-9, "{}", of("x"));
    assert!((of("y") - (1.0 + 0.85 * 3.0)).abs() < 1e-9, "{}", of("y"));
    assert!(of("f1").abs() < 1e-9);
}

proptest! {
    #[test]
    fn referral_value_never_falls_with_depth(parents in prop::collection::vec(prop::option::of(0usize..40), 1..40), decay in 0.0f64..=1.0) {
        let n = parents.len();
        // Referrers point to earlier rows only, so the referrals form a forest.
        let referrer: Vec<Option<u32>> = parents.iter().enumerate().map(|(i, p)| p.filter(|&p| p < i).map(|p| p as u32)).collect();
        let inputs = NetworkInputs {
            customers: (0..n).map(|i| cid(&i.to_string())).collect(),
            own_value: (0..n).map(|i| (i % 7) as f64).collect(),
            realised: (0..n).map(|i| (i % 3) as f64).collect(),
            converted: vec![true; n],
            referrer,
            audience: vec![0.0; n],
            eligible: vec![true; n],
        };
        let mut previous: Option<Vec<f64>> = None;
        for depth in 0..5 {
            let v = network_value(&inputs, &NetworkOptions { depth, decay, ..NetworkOptions::default() }).unwrap();
            let referral: Vec<f64> = v.values.iter().map(|x| x.referral).collect();
            if let Some(p) = &previous {
                prop_assert!(referral.iter().zip(p).all(|(now, before)| now >= before));
            }
            for x in &v.values {
                prop_assert!(x.total >= x.own);
            }
            previous = Some(referral);
        }
    }
}

fn loyal_script() -> Script {
    let mut s = Script::new();
    for who in ["a", "b"] {
        for d in [0, 40, 80, 100] {
            s.buy(who, d);
        }
    }
    s.nps("a", 101, 10);
    for d in [102, 103, 104] {
        s.share("b", d);
    }
    s
}

#[test]
fn candidates_are_loyal_non_evangelists_ranked_by_value_and_promotion_moves_them() {
    let mut s = loyal_script();
    let inputs = NetworkInputs {
        customers: ["a", "b", "c", "d"].map(cid).to_vec(),
        own_value: vec![50.0, 100.0, 10.0, 0.0],
        realised: vec![100.0; 4],
        converted: vec![true, true, false, false],
        referrer: vec![None; 4],
        audience: vec![0.0, 12.0, 0.0, 0.0],
        eligible: vec![true; 4],
    };
    let values = network_value(&inputs, &NetworkOptions::default()).unwrap();
    let criteria = EvangelistCriteria { min_network_value_percentile: 1.0, ..EvangelistCriteria::default() };
    let candidates = ambassador_candidates(&s.base, &values, &criteria).unwrap();
    assert_eq!(candidates.iter().map(|c| c.customer).collect::<Vec<_>>(), vec![cid("b"), cid("a")]);
    assert!(candidates[0].qualifies, "b's audience is above every other customer's");
    assert!(candidates[0].reasons.iter().any(|r| r.contains("3 public shares")), "{:?}", candidates[0].reasons);
    assert!(!candidates[1].qualifies, "a is a promoter but has not spoken up, and is not the most valuable");

    let promoted = promote_evangelists(&mut s.base, day(110), &values, &criteria).unwrap();
    assert_eq!(promoted.len(), 1);
    let b = s.base.get(cid("b")).unwrap();
    assert_eq!(b.stage(), Stage::Evangelist);
    assert!(
        matches!(&b.history().last().unwrap().reason, Reason::Explicit { note } if note.starts_with("evangelist from data"))
    );
    let bad = EvangelistCriteria { min_influence_percentile: 2.0, ..criteria };
    let before = s.base.clone();
    assert!(promote_evangelists(&mut s.base, day(120), &values, &bad).is_err());
    assert_eq!(s.base, before, "bad criteria change nothing");
}

fn simulated() -> (CustomerBase, ModelValuation, chrono::DateTime<chrono::Utc>) {
    let sim = Simulator::new(SimConfig { customers: 1_500, ..SimConfig::default() }, 11).unwrap();
    let mut base = CustomerBase::new(Policy::default());
    sim.populate(&mut base).unwrap();
    base.advance_to(sim.end());
    let valuation = ModelValuation {
        purchases: ModifiedBgNbd::new(0.8, 40.0, 0.5, 3.0).unwrap().into(),
        spend: GammaGamma::new(6.0, 4.0, 15.0).unwrap(),
        time_unit: TimeUnit::Days,
        periods: 4,
        period_length: 91.0,
        discount_rate: 0.02,
    };
    (base, valuation, sim.end())
}

#[test]
fn the_leaking_bucket_adds_up() {
    let (base, valuation, end) = simulated();
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let boundaries = [d("2024-01-01"), d("2024-04-01"), d("2024-07-01"), d("2024-10-01"), d("2025-01-01")];
    let bucket = leaking_bucket(&base, &boundaries, &valuation, 0.5).unwrap();
    assert_eq!(bucket.rows.len(), 4);
    let eligible: Vec<_> = base.customers().filter(|c| c.consent().allows(Purpose::Profiling)).collect();
    assert_eq!(bucket.left_out, base.len() - eligible.len());
    assert!(bucket.left_out > 0);
    for row in &bucket.rows {
        let acquired = eligible
            .iter()
            .filter(|c| c.first_purchase().is_some_and(|t| t.date_naive() >= row.start && t.date_naive() < row.end))
            .count();
        assert_eq!(row.acquired, acquired);
        assert_eq!(row.net, row.acquired as i64 - row.lost as i64);
        assert!(row.churned <= row.lost);
        assert!((0.0..=1.0).contains(&row.revenue_at_risk));
        assert!(row.value_gained >= 0.0 && row.value_lost >= 0.0);
        let revenue: f64 = eligible
            .iter()
            .flat_map(|c| base.events(c.id()).unwrap())
            .filter_map(|e| match e.kind {
                EventKind::Purchase { amount } if e.at.date_naive() >= row.start && e.at.date_naive() < row.end => {
                    Some(amount.to_f64())
                }
                _ => None,
            })
            .sum();
        assert!((row.revenue - revenue).abs() < 1e-6);
    }
    assert!(bucket.to_string().lines().count() == 5);
    assert!(leaking_bucket(&base, &boundaries[..1], &valuation, 0.5).is_err());
    assert!(leaking_bucket(&base, &[boundaries[1], boundaries[0]], &valuation, 0.5).is_err());

    // The same valuation feeds segments.
    let mut table = customer_lifecycle::segment::FeatureTable::from_base(&base, end).unwrap();
    table.add_model_features(&base, end.date_naive(), &valuation).unwrap();
    let at_risk = customer_lifecycle::segment::Segment::from_json(
        r#"{"name": "fading", "where": {"all": [{"field": "p_alive", "lt": 0.3}, {"field": "clv", "gt": 0}]}}"#,
    )
    .unwrap();
    let fading = table.evaluate(&at_risk).unwrap();
    assert!(!fading.is_empty() && fading.len() < base.len());
    let never_bought = base.customers().position(|c| c.purchase_count() == 0).unwrap();
    assert_eq!(table.value("p_alive", never_bought), None);

    let levers = retention_vs_acquisition(&base, end.date_naive(), &valuation, 150.0, 5.0).unwrap();
    assert!(levers.retention > 0.0 && levers.acquisition > 0.0);
    let doubled = retention_vs_acquisition(&base, end.date_naive(), &valuation, 150.0, 10.0).unwrap();
    assert!((doubled.acquisition - 2.0 * levers.acquisition).abs() < 1e-6 * levers.acquisition);
    assert!(doubled.retention >= levers.retention);
    let none = retention_vs_acquisition(&base, end.date_naive(), &valuation, 150.0, 0.0).unwrap();
    assert_eq!((none.retention, none.acquisition), (0.0, 0.0));
}

#[test]
fn inputs_from_a_base_respect_consent_and_referrals() {
    let mut s = Script::new();
    s.buy("a", 0);
    s.ok("a", 1, EventKind::Referral { invitee: cid("b") });
    s.buy("b", 2);
    s.ok("c", 3, EventKind::Follow { of: Some(cid("a")) });
    s.ok("d", 3, EventKind::ConsentChange { purpose: Purpose::Profiling, granted: false });
    let network = customer_lifecycle::relationship::Network::<CustomerId>::from_base(
        &s.base,
        day(10),
        customer_lifecycle::relationship::EdgeWeights::default(),
    )
    .unwrap();
    let options = PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() };
    let rank = pagerank(network.graph(), &options).unwrap();
    let inputs = NetworkInputs::from_base(&s.base, day(10), |_| 5.0, &network, &rank, 0.85).unwrap();
    assert_eq!(inputs.referrer, vec![None, Some(0), None, None]);
    assert_eq!(inputs.eligible, vec![true, true, true, false]);
    assert_eq!(inputs.realised[1], 25.0);
    let values = network_value(&inputs, &NetworkOptions::default()).unwrap();
    assert_eq!(values.left_out, 1);
    assert!(values.get(cid("d")).is_none());
    assert_eq!(values.get(cid("a")).unwrap().referral, 5.0 + 25.0);
    assert!(values.get(cid("a")).unwrap().audience > 0.0, "c follows a");

    // As of day 10, and only then: b withdraws profiling consent later and
    // is left out now; "late" was not yet a customer on day 10.
    s.ok("b", 20, EventKind::ConsentChange { purpose: Purpose::Profiling, granted: false });
    s.base.add_customer(customer_lifecycle::NewCustomer::with_key("late", day(15))).unwrap();
    let inputs = NetworkInputs::from_base(&s.base, day(10), |_| 5.0, &network, &rank, 0.85).unwrap();
    assert_eq!(inputs.customers, ["a", "b", "c", "d"].map(cid).to_vec());
    assert_eq!(inputs.eligible, vec![true, false, true, false]);
}

/// One purchase, long ago, and never again: the default valuation does not
/// keep them alive, so the leaking bucket counts them lost. Under the BG/NBD
/// (what `ModelValuation` held before) P(alive) is 1 for them, forever.
#[test]
fn a_one_time_buyer_long_gone_is_lost_by_default() {
    let (base, _, end) = simulated();
    let summary = Summary::from_base(&base, end.date_naive(), TimeUnit::Days).unwrap();
    let valuation = ModelValuation::fit(&summary, 4, 91.0, 0.02, &FitOptions::default()).unwrap();
    assert!(matches!(valuation.purchases, ModelChoice::ModifiedBgNbd(_)), "the default is the MBG/NBD");

    // A base of one: "once" bought on day 10 and never again; churn comes
    // only after a year, so P(alive) alone can count them lost in between.
    let mut s = Script::new();
    s.buy("a", 10);
    let d = |n: i64| day(n).date_naive();
    let (start, end) = (d(12), d(300));
    let p_alive = |valuation: &ModelValuation, day| valuation.assess(&s.base, day).unwrap()["a"].p_alive;
    let (before, after) = (p_alive(&valuation, d(11)), p_alive(&valuation, d(299)));
    assert!(after < before && after < 0.5, "P(alive) falls from {before} to {after}");
    let threshold = f64::midpoint(before, after);
    let bucket = leaking_bucket(&s.base, &[start, end], &valuation, threshold).unwrap();
    assert_eq!((bucket.rows[0].lost, bucket.rows[0].churned), (1, 0), "lost by P(alive), not churned");

    // The BG/NBD option stays, with its blind spot.
    let bg = ModelValuation { purchases: BgNbd::new(0.8, 40.0, 0.5, 3.0).unwrap().into(), ..valuation };
    assert_eq!(p_alive(&bg, d(299)), 1.0);
    assert_eq!(leaking_bucket(&s.base, &[start, end], &bg, threshold).unwrap().rows[0].lost, 0);

    // The same default reaches segments.
    let mut table = customer_lifecycle::segment::FeatureTable::from_base(&s.base, day(299)).unwrap();
    table.add_model_features(&s.base, d(299), &valuation).unwrap();
    let fading = customer_lifecycle::segment::Segment::from_json(
        r#"{"name": "fading", "where": {"field": "p_alive", "lt": 0.5}}"#,
    )
    .unwrap();
    assert_eq!(table.labels_of(&table.evaluate(&fading).unwrap()), vec!["a"]);
}
