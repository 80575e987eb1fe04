//! Integration tests of the `score` and `analytics` modules: the quintile
//! laws, the exact F.R.Y. split, consent, and hand-computed cases.

use chrono::{Datelike, NaiveDate, TimeDelta};
use customer_lifecycle::analytics::{CohortPeriod, CohortTable, Funnel, TransitionMatrix};
use customer_lifecycle::score::{
    Engagement, EngagementConfig, FeedbackScores, Fry, FryDecomposition, FryFigures, Health, Interaction, Rfm,
    RfmSegments,
};
use customer_lifecycle::{
    Channel, CustomerId, EngagementAction, Event, EventId, EventKind, Money, Purpose, Stage, Window,
};
use proptest::prelude::*;

use crate::common::{Script, cid, day, t0};

fn date(offset: i64) -> NaiveDate {
    t0().date_naive() + TimeDelta::days(offset)
}

type Log = Vec<(u16, NaiveDate, Money)>;

fn log_strategy() -> impl Strategy<Value = Log> {
    prop::collection::vec((0u16..40, 0i64..120, 0i64..10_000), 1..300)
        .prop_map(|rows| rows.into_iter().map(|(k, d, c)| (k, date(d), Money::from_minor(c))).collect())
}

fn window(from: i64, to: i64) -> Window {
    Window::new(day(from), day(to)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn quintile_laws(log in log_strategy(), as_of in 0i64..130) {
        let Ok(rfm) = Rfm::from_records(log.clone(), date(as_of)) else { unreachable!() };
        let rows = rfm.rows();
        for pick in [|s: customer_lifecycle::score::RfmScore| s.r(), |s: customer_lifecycle::score::RfmScore| s.f(), |s: customer_lifecycle::score::RfmScore| s.m()] {
            let mut counts = [0usize; 5];
            for row in rows {
                let q = pick(row.score);
                prop_assert!((1..=5).contains(&q));
                counts[q as usize - 1] += 1;
            }
            // The tie rule ranks every customer apart, so with five or more
            // customers the quintiles hold ⌊n/5⌋ or ⌈n/5⌉ (± the lowest bin's
            // extra minimum): never more than one apart.
            if rows.len() >= 5 {
                prop_assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "{counts:?}");
            }
        }
        for a in rows {
            for b in rows {
                if a.monetary > b.monetary {
                    prop_assert!(a.score.m() >= b.score.m());
                }
                if a.frequency > b.frequency {
                    prop_assert!(a.score.f() >= b.score.f());
                }
                if a.recency_days < b.recency_days {
                    prop_assert!(a.score.r() >= b.score.r());
                }
            }
        }
        // Every customer with a purchase on or before the day is scored, once.
        let mut expected: Vec<u16> = Vec::new();
        for (k, d, _) in &log {
            if *d <= date(as_of) && !expected.contains(k) {
                expected.push(*k);
            }
        }
        let mut got: Vec<u16> = rows.iter().map(|r| r.customer).collect();
        got.sort_unstable();
        expected.sort_unstable();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn the_fry_split_adds_up_to_the_cent(
        a0 in 0u64..10_000, p0 in 0u64..50, c0 in 0i64..1_000_000,
        a1 in 0u64..10_000, p1 in 0u64..50, c1 in 0i64..1_000_000,
    ) {
        let fig = |a: u64, p: u64, c: i64| FryFigures {
            window: window(0, 1),
            active: a,
            purchases: if a == 0 { 0 } else { a + p },
            revenue: Money::from_minor(if a == 0 { 0 } else { c }),
            left_out: 0,
        };
        let (before, after) = (fig(a0, p0, c0), fig(a1, p1, c1));
        let d = FryDecomposition::between(&before, &after);
        prop_assert_eq!(d.change.minor_units(), after.revenue.minor_units() - before.revenue.minor_units());
        let sum = d.reach_effect.minor_units() + d.frequency_effect.minor_units() + d.yield_effect.minor_units();
        prop_assert_eq!(sum, d.change.minor_units());
    }
}

/// A base where `a` buys twice, engages and answers surveys; `b` buys once
/// and then withdraws profiling consent; `c` only follows; `d` does nothing.
fn scripted() -> Script {
    let mut s = Script::new();
    s.ok("c", 0, EventKind::Follow { of: None });
    s.ok("a", 1, EventKind::Follow { of: None });
    s.buy("a", 3);
    s.buy("b", 5);
    s.ok("a", 6, EventKind::Engagement { action: EngagementAction::Share });
    s.nps("a", 7, 10);
    s.buy("a", 20);
    s.nps("b", 21, 2);
    s.ok("b", 30, EventKind::ConsentChange { purpose: Purpose::Profiling, granted: false });
    s.base.advance_to(day(100));
    s
}

#[test]
fn withdrawn_consent_removes_a_customer_from_every_score() {
    let s = scripted();
    let base = &s.base;
    let b = cid("b");
    let q = window(0, 90);

    let rfm = Rfm::from_base(base, date(90)).unwrap();
    assert_eq!(rfm.left_out(), 1);
    assert!(rfm.rows().iter().all(|r| r.customer != b));
    assert_eq!(rfm.rows().len(), 1); // only a bought among those who consent

    let fry = Fry::from_base(base, q, |_| None).unwrap();
    assert_eq!((fry.figures.left_out, fry.figures.active, fry.figures.purchases), (1, 1, 2));
    assert!(fry.customers.iter().all(|c| c.customer != b));

    let engagement = Engagement::from_base(base, &EngagementConfig::default(), day(90));
    assert_eq!((engagement.left_out, engagement.scores.len()), (1, 3));
    assert!(engagement.scores.iter().all(|e| e.customer != b));

    let feedback = FeedbackScores::from_base(base, q);
    assert_eq!((feedback.left_out, feedback.nps.responses(), feedback.nps.detractors), (1, 1, 0));

    let health = Health::from_base(base, &EngagementConfig::default(), day(90));
    assert_eq!(health.left_out, 1);
    assert!(health.scores.iter().all(|h| h.customer != b));

    let funnel = Funnel::from_base(base, q);
    assert_eq!(funnel.left_out, 1);
    assert_eq!(funnel.conversions[0].reached, 3);

    let matrix = TransitionMatrix::from_base(base, Window::new(day(1), day(90)).unwrap());
    assert_eq!((matrix.left_out, matrix.counts.iter().flatten().sum::<u64>()), (1, 3));

    let cohorts = CohortTable::from_base(base, CohortPeriod::Month, date(90));
    assert_eq!((cohorts.left_out, cohorts.cohorts[0].size), (1, 1));
}

#[test]
fn engagement_by_hand() {
    // Half-life 10 days, email counts double, a share weighs 3.
    let config = EngagementConfig::new(10.0).unwrap().with_channel_weight(&Channel::Email, 2.0).unwrap();
    let mut s = Script::new();
    let event = |n: u32, at: i64, channel: Channel, action| Event {
        id: EventId::from_key(&format!("x{n}")),
        customer: cid("a"),
        at: day(at),
        channel,
        kind: EventKind::Engagement { action },
    };
    for e in [
        event(1, 0, Channel::Web, EngagementAction::Like),
        event(2, 10, Channel::Email, EngagementAction::Share),
        event(3, 20, Channel::Web, EngagementAction::Click),
        event(4, 25, Channel::Web, EngagementAction::Click),
    ] {
        s.base.apply(&e).unwrap();
    }
    let scores = Engagement::from_base(&s.base, &config, day(20));
    let a = &scores.scores[0];
    // like 20 days old: 1/4; email share 10 days old: 2 × 3 / 2 = 3; click now: 1; the later click not yet.
    assert_eq!(a.score, 0.25 + 3.0 + 1.0);
    assert_eq!(a.interactions, 3);
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(serde_json::from_str::<EngagementConfig>(&json).unwrap(), config);
}

#[test]
fn feedback_counts_each_customers_latest_answer() {
    let mut s = Script::new();
    s.nps("a", 1, 3);
    s.nps("a", 2, 9); // replaces the 3
    s.nps("b", 3, 7);
    s.nps("c", 4, 10);
    s.nps("d", 50, 0); // outside the window
    let f = FeedbackScores::from_base(&s.base, window(0, 30));
    assert_eq!((f.nps.promoters, f.nps.passives, f.nps.detractors), (2, 1, 0));
    assert!((f.nps.score().unwrap() - 200.0 / 3.0).abs() < 1e-12);
    let by_month = FeedbackScores::over_windows(&s.base, &[window(0, 30), window(30, 60)]);
    assert_eq!(by_month[1].nps.score(), Some(-100.0));
}

#[test]
fn funnel_and_transitions_by_hand() {
    let s = scripted();
    let funnel = Funnel::from_base(&s.base, window(0, 90));
    // Of a, c, d (b left out), a bought: prospect -> new 1 of 3.
    assert_eq!((funnel.conversions[0].reached, funnel.conversions[0].moved_on), (3, 1));
    // a was a prospect for 3 days: the only completed prospect stay.
    let prospect = funnel.dwell[Stage::Prospect as usize];
    assert_eq!((prospect.stays, prospect.median_days), (1, Some(3.0)));
    // a and c followed; a bought 2 days after following.
    let f = funnel.followers;
    assert_eq!((f.followers, f.already_customers, f.converted, f.median_days_to_purchase), (2, 0, 1, Some(2.0)));
    assert_eq!(funnel.stages.iter().map(|(_, n)| n).sum::<u64>(), 3);

    let m = TransitionMatrix::from_base(&s.base, Window::new(day(1), day(4)).unwrap());
    assert_eq!(m.counts[Stage::Prospect as usize][Stage::New as usize], 1);
    assert_eq!(m.counts[Stage::Prospect as usize][Stage::Prospect as usize], 2);
    let ahead = m.project(&m.mix_at_start(), 3);
    assert!((ahead.iter().sum::<f64>() - 3.0).abs() < 1e-12, "projection keeps the people");
    assert!((ahead[Stage::Prospect as usize] - 3.0 * (2.0f64 / 3.0).powi(3)).abs() < 1e-12);
}

#[test]
fn cohort_table_by_hand() {
    let id = |k: &str| CustomerId::from_key(k);
    let m = Money::from_minor(100);
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let log = [
        (id("a"), d("2024-01-31"), m),
        (id("b"), d("2024-03-01"), m),
        (id("a"), d("2024-04-01"), m),
        (id("c"), d("2024-02-15"), m),
        (id("b"), d("2024-09-01"), m), // after the as-of day
        (id("c"), d("2024-04-10"), m),
        (id("c"), d("2024-04-11"), m),
    ];
    let t = CohortTable::from_records(&log, CohortPeriod::Quarter, d("2024-06-30"));
    assert_eq!(t.cohorts.len(), 2);
    assert_eq!((t.cohorts[0].start, t.cohorts[0].size, t.cohorts[0].active.clone()), (d("2024-01-01"), 3, vec![3, 2]));
    assert_eq!((t.cohorts[1].size, t.cohorts[1].active.clone()), (0, vec![0]));
    assert_eq!(t.retention(0, 1), Some(2.0 / 3.0));
    assert_eq!(t.retention(1, 0), None);
    let printed = t.to_string();
    assert!(printed.contains("2024-Q1         3  100%   67%"), "{printed}");
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(serde_json::from_str::<CohortTable>(&json).unwrap(), t);
}

#[test]
fn rfm_segments_read_from_json() {
    let map: RfmSegments = serde_json::from_str(&serde_json::to_string(&RfmSegments::default()).unwrap()).unwrap();
    assert_eq!(map, RfmSegments::default());
    assert!(serde_json::from_str::<RfmSegments>(r#"[{"name":"all","codes":[111]}]"#).is_err());
}

#[test]
fn large_logs_score_as_small_ones() {
    // Past the size at which records are partitioned by key hash; a filter
    // hides the size, which keeps the single-map path: both must agree.
    let log: Vec<(u32, NaiveDate, Money)> = (0..200_000u32)
        .map(|i| ((i * 7_919) % 30_011, date(i64::from(i % 97)), Money::from_minor(i64::from(i % 1_013))))
        .collect();
    let partitioned = Rfm::from_records(log.iter().copied(), date(90)).unwrap();
    let plain = Rfm::from_records(log.iter().copied().filter(|_| true), date(90)).unwrap();
    assert_eq!(partitioned, plain);
    assert_eq!(partitioned.rows().len(), 30_011);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Whoever withdraws profiling consent, whenever, is in no score and no
    /// analytic, and each says how many it left out.
    #[test]
    fn withdrawn_consent_leaves_every_score(withdraw in prop::collection::vec(any::<bool>(), 4), when in 31i64..60) {
        let mut s = scripted_all_buy();
        let keys = ["a", "b", "c", "d"];
        for (key, &w) in keys.iter().zip(&withdraw) {
            if w {
                s.ok(key, when, EventKind::ConsentChange { purpose: Purpose::Profiling, granted: false });
            }
        }
        let gone: Vec<CustomerId> = keys.iter().zip(&withdraw).filter(|(_, w)| **w).map(|(k, _)| cid(k)).collect();
        let n = gone.len();
        let q = window(0, 90);
        let rfm = Rfm::from_base(&s.base, date(90)).unwrap();
        prop_assert_eq!(rfm.left_out(), n);
        prop_assert!(rfm.rows().iter().all(|r| !gone.contains(&r.customer)));
        prop_assert_eq!(rfm.rows().len(), 4 - n);
        let fry = Fry::from_base(&s.base, q, |_| None).unwrap();
        prop_assert_eq!((fry.figures.left_out, fry.figures.active), (n, (4 - n) as u64));
        let engagement = Engagement::from_base(&s.base, &EngagementConfig::default(), day(90));
        prop_assert!(engagement.left_out == n && engagement.scores.iter().all(|e| !gone.contains(&e.customer)));
        let health = Health::from_base(&s.base, &EngagementConfig::default(), day(90));
        prop_assert!(health.left_out == n && health.scores.iter().all(|h| !gone.contains(&h.customer)));
        let feedback = FeedbackScores::from_base(&s.base, q);
        prop_assert_eq!((feedback.left_out, feedback.nps.responses()), (n, (4 - n) as u64));
        prop_assert_eq!(Funnel::from_base(&s.base, q).left_out, n);
        prop_assert_eq!(TransitionMatrix::from_base(&s.base, window(1, 90)).left_out, n);
        let cohorts = CohortTable::from_base(&s.base, CohortPeriod::Month, date(90));
        prop_assert_eq!(cohorts.left_out, n);
        prop_assert_eq!(cohorts.cohorts.iter().map(|c| c.size).sum::<u64>(), (4 - n) as u64);
    }
}

/// Every one of `a`..`d` buys, engages and answers a survey in the first month.
fn scripted_all_buy() -> Script {
    let mut s = Script::new();
    for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
        let i = i as i64;
        s.buy(key, 1 + i);
        s.share(key, 5 + i);
        s.nps(key, 10 + i, 9);
    }
    s
}

#[test]
fn cohorts_reach_far_back() {
    // More than 64 periods before the as-of day: the long-history path.
    let (ana, bo) = (CustomerId::from_key("a"), CustomerId::from_key("b"));
    let m = Money::from_minor(100);
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let log = [
        (ana, d("2024-06-03"), m),
        (ana, d("2015-01-10"), m),
        (bo, d("2024-06-20"), m),
        (ana, d("2015-03-01"), m),
        (ana, d("2015-01-20"), m),
        (ana, d("2019-12-31"), m),
    ];
    let table = CohortTable::from_records(&log, CohortPeriod::Month, d("2024-06-30"));
    assert_eq!(table.cohorts.len(), 114);
    let first = &table.cohorts[0];
    assert_eq!((first.start, first.size, first.active.len()), (d("2015-01-01"), 1, 114));
    let active: Vec<usize> = (0..114).filter(|&j| first.active[j] == 1).collect();
    assert_eq!(active, [0, 2, 59, 113]);
    assert_eq!(first.active.iter().sum::<u64>(), 4);
    assert_eq!((table.cohorts[113].size, table.cohorts[113].active.clone()), (1, vec![1]));
}

/// Sums in input order, per customer in order of first appearance: the
/// plain definition the fast engagement and cohort paths must match exactly.
fn first_appearance<K: PartialEq + Copy>(keys: impl IntoIterator<Item = K>) -> Vec<K> {
    let mut order = Vec::new();
    for k in keys {
        if !order.contains(&k) {
            order.push(k);
        }
    }
    order
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn engagement_of_interactions_agrees_with_the_definition(
        rows in prop::collection::vec((0u8..20, -5i64..400, 0usize..8, 0usize..11), 0..200),
        half_life in 1.0f64..90.0,
    ) {
        let config = EngagementConfig::new(half_life)
            .unwrap()
            .with_channel_weight(&Channel::Email, 2.5)
            .unwrap()
            .with_channel_weight(&Channel::Other("tiktok".into()), 0.5)
            .unwrap();
        let as_of = day(365);
        let log: Vec<Interaction> = rows
            .iter()
            .map(|&(k, at, a, c)| Interaction {
                customer: cid(&format!("e{k}")),
                at: day(365 - at) - TimeDelta::seconds(at * 37),
                action: EngagementAction::ALL[a],
                channel: Channel::NAMED.get(c).cloned().unwrap_or_else(|| Channel::Other("tiktok".into())),
            })
            .collect();
        let scores = Engagement::from_interactions(&config, &log, as_of);
        let customers = first_appearance(log.iter().map(|x| x.customer));
        prop_assert_eq!(scores.scores.len(), customers.len());
        for (got, customer) in scores.scores.iter().zip(customers) {
            let (mut score, mut n) = (0.0, 0u64);
            for x in log.iter().filter(|x| x.customer == customer && x.at <= as_of) {
                score += config.value(x.action, &x.channel, x.at, as_of);
                n += 1;
            }
            prop_assert_eq!(got.customer, customer);
            prop_assert_eq!(got.score.to_bits(), score.to_bits());
            prop_assert_eq!(got.interactions, n);
        }
    }

    #[test]
    fn cohort_table_agrees_with_the_definition(
        rows in prop::collection::vec((0u8..20, 0i64..3000), 0..200),
        quarters in any::<bool>(),
    ) {
        let period = if quarters { CohortPeriod::Quarter } else { CohortPeriod::Month };
        let as_of = date(2500);
        let log: Vec<(CustomerId, NaiveDate, Money)> =
            rows.iter().map(|&(k, d)| (cid(&format!("c{k}")), date(d), Money::from_minor(100))).collect();
        let table = CohortTable::from_records(&log, period, as_of);
        // A running period number, month by month from year 0.
        let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
        let index = |d: NaiveDate| if quarters { months(d).div_euclid(3) } else { months(d) };
        let kept: Vec<_> = log.iter().filter(|r| r.1 <= as_of).collect();
        let customers = first_appearance(kept.iter().map(|r| r.0));
        let firsts: Vec<i64> =
            customers.iter().map(|&c| kept.iter().filter(|r| r.0 == c).map(|r| index(r.1)).min().unwrap()).collect();
        let Some(&lowest) = firsts.iter().min() else {
            prop_assert!(table.cohorts.is_empty());
            return Ok(());
        };
        let last = index(as_of);
        prop_assert_eq!(table.cohorts.len() as i64, last - lowest + 1);
        for (j, cohort) in table.cohorts.iter().enumerate() {
            let p = lowest + j as i64;
            let members: Vec<CustomerId> =
                customers.iter().zip(&firsts).filter(|&(_, &f)| f == p).map(|(&c, _)| c).collect();
            prop_assert_eq!(cohort.size, members.len() as u64);
            let active: Vec<u64> = (p..=last)
                .map(|q| members.iter().filter(|&&c| kept.iter().any(|r| r.0 == c && index(r.1) == q)).count() as u64)
                .collect();
            prop_assert_eq!(&cohort.active, &active);
        }
    }
}
