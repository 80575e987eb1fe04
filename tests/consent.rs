//! The consent law over every whole-base output: a customer who withheld
//! profiling consent as of the computation's time, or at their latest
//! change, appears in none of them, and each counts them as `left_out`.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use customer_lifecycle::advocacy::{NetworkInputs, NetworkOptions, leaking_bucket, network_value};
use customer_lifecycle::analytics::{CohortPeriod, CohortTable, Funnel, TransitionMatrix};
use customer_lifecycle::clv::{FitOptions, ModelValuation, Summary, TimeUnit};
use customer_lifecycle::relationship::{Direction, EdgeWeights, Network, PageRankOptions, ReferralForest, pagerank};
use customer_lifecycle::score::{Engagement, EngagementConfig, FeedbackScores, Fry, Health, Rfm};
use customer_lifecycle::segment::FeatureTable;
use customer_lifecycle::sim::{SimConfig, Simulator};
use customer_lifecycle::{CustomerBase, CustomerId, Policy, Purpose, Window};
use proptest::prelude::*;

/// A simulated base where many withdraw profiling consent, and its end.
fn simulated(seed: u64) -> (CustomerBase, DateTime<Utc>) {
    let config = SimConfig { customers: 1_500, profiling_withdrawal_share: 0.3, ..SimConfig::default() };
    let sim = Simulator::new(config, seed).unwrap();
    let mut base = CustomerBase::new(Policy::default());
    sim.populate(&mut base).unwrap();
    base.advance_to(sim.end());
    (base, sim.end())
}

/// The customers the law leaves out as of `t`, found without the crate's
/// own helper: withheld at `t` or now.
fn withheld(base: &CustomerBase, t: DateTime<Utc>) -> HashSet<CustomerId> {
    base.customers()
        .filter(|c| {
            !c.consent().allows(Purpose::Profiling) || !base.consent_at(c.id(), t).unwrap().allows(Purpose::Profiling)
        })
        .map(customer_lifecycle::Customer::id)
        .collect()
}

/// The last instant of a day.
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc() - TimeDelta::nanoseconds(1)
}

/// Every whole-base output as of `t` (with `t`'s day for the day-based
/// ones): none holds a withheld customer, and each counts them.
#[allow(clippy::too_many_lines)]
fn check_law(base: &CustomerBase, t: DateTime<Utc>) -> Result<(), TestCaseError> {
    let day = t.date_naive();
    let gone = withheld(base, end_of(day));
    let gone_at_t = withheld(base, t);
    let n = gone.len();
    prop_assume!(n > 0 && n < base.len());
    let labels: HashSet<String> =
        gone.iter().map(|&id| base.get(id).map(customer_lifecycle::Customer::label).unwrap()).collect();
    let start = t - TimeDelta::days(90);
    let window = Window::new(start, t).unwrap();

    let rfm = Rfm::from_base(base, day).unwrap();
    prop_assert_eq!(rfm.left_out(), n);
    prop_assert!(rfm.rows().iter().all(|r| !gone.contains(&r.customer)));
    let fry = Fry::from_base(base, window, |_| None).unwrap();
    prop_assert_eq!(fry.figures.left_out, gone_at_t.len());
    prop_assert!(fry.customers.iter().all(|c| !gone_at_t.contains(&c.customer)));
    let config = EngagementConfig::default();
    let engagement = Engagement::from_base(base, &config, t);
    prop_assert_eq!(engagement.left_out, gone_at_t.len());
    prop_assert!(engagement.scores.iter().all(|s| !gone_at_t.contains(&s.customer)));
    let health = Health::from_base(base, &config, t);
    prop_assert_eq!(health.left_out, gone_at_t.len());
    prop_assert!(health.scores.iter().all(|s| !gone_at_t.contains(&s.customer)));
    prop_assert_eq!(FeedbackScores::from_base(base, window).left_out, gone_at_t.len());
    let funnel = Funnel::from_base(base, window);
    prop_assert_eq!(funnel.left_out, gone_at_t.len());
    prop_assert_eq!(funnel.stages.iter().map(|s| s.1).sum::<u64>(), (base.len() - gone_at_t.len()) as u64);
    let transitions = TransitionMatrix::from_base(base, window);
    prop_assert_eq!(transitions.left_out, gone_at_t.len());
    let present_before =
        base.customers().filter(|c| c.created_at() < start && !gone_at_t.contains(&c.id())).count() as u64;
    prop_assert_eq!(transitions.counts.iter().flatten().sum::<u64>(), present_before);
    let cohorts = CohortTable::from_base(base, CohortPeriod::Month, day);
    prop_assert_eq!(cohorts.left_out, n);
    let buyers = base
        .customers()
        .filter(|c| !gone.contains(&c.id()) && c.first_purchase().is_some_and(|f| f.date_naive() <= day))
        .count();
    prop_assert_eq!(cohorts.cohorts.iter().map(|c| c.size).sum::<u64>(), buyers as u64);

    let table = FeatureTable::from_base(base, t).unwrap();
    let created = |set: &HashSet<CustomerId>| set.iter().filter(|&&id| base.get(id).unwrap().created_at() <= t).count();
    prop_assert_eq!(table.left_out(), created(&gone_at_t));
    prop_assert!(table.labels().iter().all(|l| !gone_at_t.iter().any(|&id| base.get(id).unwrap().label() == *l)));

    let network = Network::from_base(base, t, EdgeWeights::default()).unwrap();
    prop_assert_eq!(network.left_out(), gone_at_t.len());
    prop_assert!(network.keys().iter().all(|k| !gone_at_t.contains(k)));
    let forest = ReferralForest::from_base(base, t).unwrap();
    prop_assert_eq!(forest.left_out(), gone_at_t.len());
    prop_assert!(gone_at_t.iter().all(|&id| forest.revenue(id).is_none()));
    prop_assert!(base.customers().all(|c| forest.parent(c.id()).is_none_or(|p| !gone_at_t.contains(&p))));

    let summary = Summary::from_base(base, day, TimeUnit::Weeks).unwrap();
    prop_assert_eq!(summary.left_out, n);
    prop_assert!(summary.customers.iter().all(|c| !labels.contains(&c.key)));
    let valuation = ModelValuation::fit(&summary, 13, 4.0, 0.01, &FitOptions::default()).unwrap();
    let assessed = valuation.assess(base, day).unwrap();
    prop_assert!(assessed.keys().all(|label| !labels.contains(label)));

    let options = PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() };
    let rank = pagerank(network.graph(), &options).unwrap();
    let inputs =
        NetworkInputs::from_base(base, t, |c| assessed.get(&c.label()).map_or(0.0, |a| a.clv), &network, &rank, 0.85)
            .unwrap();
    let values = network_value(&inputs, &NetworkOptions::default()).unwrap();
    prop_assert_eq!(values.left_out, created(&gone_at_t));
    prop_assert!(values.values.iter().all(|v| !gone_at_t.contains(&v.customer)));

    let quarter = |d: NaiveDate| NaiveDate::from_ymd_opt(d.year(), (d.month0() / 3) * 3 + 1, 1).unwrap();
    let last = quarter(day);
    let first = quarter(quarter(last.pred_opt().unwrap()).pred_opt().unwrap());
    let bucket = leaking_bucket(base, &[first, last], &valuation, 0.5).unwrap();
    prop_assert_eq!(bucket.left_out, withheld(base, end_of(last.pred_opt().unwrap())).len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// On simulated bases, at the end and part way through.
    #[test]
    fn withheld_profiling_is_in_no_whole_base_output(seed in 0u64..1_000, back in 0i64..120) {
        let (base, end) = simulated(seed);
        check_law(&base, end - TimeDelta::days(back))?;
    }
}
