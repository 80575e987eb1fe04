//! Integration tests of the `clv` module: merge laws of the purchase
//! aggregate, the published CDNOW fits, parameter recovery, and the example.

// Counts and exact day arithmetic are compared exactly on purpose; the
// model checks use the literature's one-letter parameter names.
#![allow(clippy::float_cmp, clippy::many_single_char_names)]

mod fits;

use chrono::NaiveDate;
use customer_lifecycle::Money;
use customer_lifecycle::clv::{ClvError, CustomerPurchases, PurchaseAggregate, Summary, TimeUnit};
use proptest::prelude::*;

/// The `clv` example, compiled in so that its logic runs on the shipped data.
#[cfg(feature = "csv")]
#[allow(dead_code)]
#[path = "../../examples/clv.rs"]
mod example_program;

mod discrete;

#[cfg(feature = "csv")]
mod covariates;

fn day(offset: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::TimeDelta::days(offset)
}

type Log = Vec<(String, NaiveDate, Money)>;

fn log_strategy() -> impl Strategy<Value = Log> {
    prop::collection::vec((0u8..6, 0i64..90, 0i64..5_000), 0..60).prop_map(|rows| {
        rows.into_iter().map(|(k, d, cents)| (format!("c{k}"), day(d), Money::from_minor(cents))).collect()
    })
}

fn aggregate(log: &[(String, NaiveDate, Money)]) -> PurchaseAggregate {
    PurchaseAggregate::from_records(log.iter().map(|(k, d, m)| (k.as_str(), *d, *m))).unwrap()
}

fn part(log: &Log, from: i64, to: i64) -> Log {
    log.iter().filter(|r| r.1 >= day(from) && r.1 < day(to)).cloned().collect()
}

fn sorted(agg: &PurchaseAggregate) -> Vec<CustomerPurchases> {
    let mut customers = agg.customers().to_vec();
    customers.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    customers
}

proptest! {
    #[test]
    fn merging_the_parts_equals_one_pass(log in log_strategy(), cut in 0i64..91) {
        let whole = aggregate(&log);
        let early = aggregate(&part(&log, 0, cut));
        let late = aggregate(&part(&log, cut, 91));
        let merged = early.merge(&late).unwrap();
        let reversed = late.merge(&early).unwrap();
        prop_assert_eq!(merged.span(), whole.span());
        prop_assert_eq!(sorted(&merged), sorted(&whole));
        prop_assert_eq!(sorted(&reversed), sorted(&whole));
        let end = day(95);
        let mut one = Summary::from_records(log.iter().cloned(), end, TimeUnit::Weeks).unwrap().customers;
        let mut two = merged.summary(end, TimeUnit::Weeks).unwrap().customers;
        one.sort_by(|a, b| a.key.cmp(&b.key));
        two.sort_by(|a, b| a.key.cmp(&b.key));
        prop_assert_eq!(one, two);
    }

    #[test]
    fn merge_is_associative_with_identity(log in log_strategy(), a in 0i64..91, b in 0i64..91) {
        let (a, b) = (a.min(b), a.max(b));
        let x = aggregate(&part(&log, 0, a));
        let y = aggregate(&part(&log, a, b));
        let z = aggregate(&part(&log, b, 91));
        let left = x.merge(&y).unwrap().merge(&z).unwrap();
        let right = x.merge(&y.merge(&z).unwrap()).unwrap();
        prop_assert_eq!(&left, &right);
        prop_assert_eq!(&x.merge(&PurchaseAggregate::new()).unwrap(), &x);
        prop_assert_eq!(&PurchaseAggregate::new().merge(&x).unwrap(), &x);
    }

    #[test]
    fn overlapping_ranges_do_not_merge(log in log_strategy()) {
        let whole = aggregate(&log);
        let result = whole.merge(&whole);
        if whole.span().is_some() {
            let is_overlap = matches!(result, Err(ClvError::OverlappingRanges { .. }));
            prop_assert!(is_overlap);
        } else {
            prop_assert_eq!(result.unwrap(), whole);
        }
    }
}

/// The aggregate by the definition, from a map of each key's days' sums:
/// customers in the order of their first record, and the span.
type Span = Option<(NaiveDate, NaiveDate)>;
fn aggregate_by_definition(log: &[(String, NaiveDate, Money)]) -> (Vec<CustomerPurchases>, Span) {
    use std::collections::{BTreeMap, HashMap};
    let mut order: Vec<&str> = Vec::new();
    let mut days: HashMap<&str, BTreeMap<NaiveDate, i64>> = HashMap::new();
    for (key, date, amount) in log {
        let customer = days.entry(key.as_str()).or_insert_with(|| {
            order.push(key.as_str());
            BTreeMap::new()
        });
        *customer.entry(*date).or_insert(0) += amount.minor_units();
    }
    let customers: Vec<CustomerPurchases> = order
        .iter()
        .map(|key| {
            let sums = &days[key];
            let (&first_day, &first) = sums.first_key_value().unwrap();
            CustomerPurchases {
                customer_id: (*key).to_owned(),
                first_day,
                first_day_amount: Money::from_minor(first),
                last_day: *sums.last_key_value().unwrap().0,
                days: sums.len() as u32,
                total: Money::from_minor(sums.values().sum()),
            }
        })
        .collect();
    let span = customers
        .iter()
        .map(|c| (c.first_day, c.last_day))
        .reduce(|(lo, hi), (first, last)| (lo.min(first), hi.max(last)));
    (customers, span)
}

proptest! {
    /// The aggregate agrees with its definition on logs longer than the
    /// look-up batches, with keys short and long (inline heads end at 16
    /// bytes; the long keys share their first 16), with NULs and
    /// multi-byte characters, repeated within a
    /// batch, with $0 purchases and same-day records, over spans of a few
    /// days to centuries, with amounts small and huge.
    #[test]
    fn the_aggregate_follows_its_definition(
        rows in prop::collection::vec(
            ("[a-c]{1,2}|[ab\u{0}é]{14,17}|customer-1234567[a-c]{1,2}", 0i64..40, 0i64..1_000),
            0..400,
        ),
        span_days in prop_oneof![Just(1i64), Just(40), Just(80_000)],
        huge_amounts in any::<bool>(),
    ) {
        // Amounts of 2^40 cents and more leave too few bits beside the sort
        // key, so the aggregate sorts sixteen-byte rows instead of eight.
        let scale = if huge_amounts { 1i64 << 40 } else { 1 };
        let log: Log = rows
            .into_iter()
            .map(|(key, d, cents)| (key, day(d * span_days / 40 - span_days / 2), Money::from_minor(cents * scale)))
            .collect();
        let (customers, span) = aggregate_by_definition(&log);
        let owned = PurchaseAggregate::from_records(log.clone()).unwrap();
        prop_assert_eq!(owned.customers(), &customers[..]);
        prop_assert_eq!(owned.span(), span);
        prop_assert_eq!(aggregate(&log), owned);
    }
}

#[test]
fn a_negative_amount_is_reported_before_an_overflow() {
    let big = Money::from_minor(i64::MAX);
    let log = [("a", day(0), big), ("a", day(1), big), ("b", day(2), Money::from_minor(-5))];
    let err = PurchaseAggregate::from_records(log).unwrap_err();
    assert!(matches!(err, ClvError::NegativeAmount { ref customer_id, .. } if customer_id == "b"), "{err:?}");
    let err = PurchaseAggregate::from_records(log.into_iter().take(2)).unwrap_err();
    assert!(matches!(err, ClvError::Money(_)), "{err:?}");
    let same_day = [("a", day(0), big), ("a", day(0), Money::from_minor(1))];
    assert!(matches!(PurchaseAggregate::from_records(same_day), Err(ClvError::Money(_))));
}

#[test]
fn summary_from_a_customer_base_uses_utc_days() {
    use chrono::{FixedOffset, TimeZone, Utc};
    use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, NewCustomer, Policy};

    let mut base = CustomerBase::new(Policy::default());
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let ana = base.add_customer(NewCustomer::with_key("ana", t0)).unwrap();
    let buy = |n: u32, at: chrono::DateTime<Utc>, cents: i64| Event {
        id: EventId::from_key(&format!("o{n}")),
        customer: ana,
        at,
        channel: Channel::Web,
        kind: EventKind::Purchase { amount: Money::from_minor(cents) },
    };
    base.apply(&buy(1, t0 + chrono::TimeDelta::hours(1), 1000)).unwrap();
    base.apply(&buy(2, t0 + chrono::TimeDelta::hours(23), 500)).unwrap();
    base.apply(&buy(3, t0 + chrono::TimeDelta::hours(25), 700)).unwrap();
    let s = Summary::from_base(&base, day(10), TimeUnit::Days).unwrap();
    assert_eq!(s.customers.len(), 1);
    let c = &s.customers[0];
    assert_eq!((c.key.as_str(), c.frequency, c.recency, c.t, c.monetary_value), ("ana", 1, 1.0, 10.0, 7.0));
    // Three hours east of UTC the 23:00 purchase falls on the next day, with
    // the 01:00 one of that day.
    let east = FixedOffset::east_opt(3 * 3600).unwrap();
    let s = Summary::from_base_with_offset(&base, day(10), TimeUnit::Days, east).unwrap();
    assert_eq!(s.customers[0].monetary_value, 12.0);
}

mod cdnow {
    //! The published fits on the CDNOW cohort (2,357 customers, 39 weeks).

    use customer_lifecycle::clv::{
        BgNbd, CustomerSummary, FitData, FitOptions, GammaGamma, History, ModifiedBgNbd, ParetoNbd, PurchaseModel,
        SpendData, TimeUnit, read_summary_csv,
    };

    pub(super) fn customers() -> Vec<CustomerSummary> {
        read_summary_csv(include_str!("../data/cdnow_summary.csv").as_bytes()).expect("the shipped CDNOW file reads")
    }

    pub(super) fn data() -> FitData {
        FitData::from_summary(&customers()).unwrap().with_time_unit(TimeUnit::Weeks)
    }

    pub(super) fn assert_close(name: &str, fitted: f64, published: f64) {
        let rel = (fitted - published).abs() / published.abs();
        assert!(rel <= 2e-3, "{name}: fitted {fitted}, published {published} (relative {rel:.2e})");
    }

    /// Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An
    /// Alternative to the Pareto/NBD Model", Marketing Science 24(2): r = 0.243,
    /// α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.
    #[test]
    fn bgnbd_matches_fader_hardie_lee_2005() {
        let data = data();
        assert_eq!(data.customers(), 2357.0);
        let fit = BgNbd::fit(&data, &FitOptions::default()).unwrap();
        let m = fit.model;
        assert_close("r", m.r(), 0.243);
        assert_close("alpha", m.alpha(), 4.414);
        assert_close("a", m.a(), 0.793);
        assert_close("b", m.b(), 2.426);
        assert!((fit.log_likelihood - -9582.4).abs() <= 0.05, "LL {}", fit.log_likelihood);
        assert_eq!(fit.time_unit, Some(TimeUnit::Weeks));
        let se = fit.standard_errors.unwrap();
        assert!(se.iter().all(|s| s.is_finite() && *s > 0.0));
        eprintln!("bgnbd {m:?} ll {} se {se:?} report {:?}", fit.log_likelihood, fit.report);
        // The paper's worked example: a customer with x = 2, t_x = 30.43,
        // T = 38.86 is expected to make 1.226 purchases in the next 39 weeks.
        let published = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        assert_close(
            "E[X(39)]",
            published.expected_purchases(History { frequency: 2, recency: 30.43, age: 38.86 }, 39.0),
            1.226,
        );
    }

    /// The MBG/NBD (Batislam, Denizel & Filiztekin 2007) on CDNOW as `BTYDplus`
    /// (Platzer, `mbgcnbd` with k = 1) reports it, and the Python
    /// `lifetimes` package checks against, to three decimals: r = 0.525,
    /// α = 6.183, a = 0.891, b = 1.614.
    #[test]
    fn modified_bgnbd_matches_btydplus() {
        let data = data();
        let fit = ModifiedBgNbd::fit(&data, &FitOptions::default()).unwrap();
        let m = fit.model;
        for (name, fitted, published) in
            [("r", m.r(), 0.525), ("alpha", m.alpha(), 6.183), ("a", m.a(), 0.891), ("b", m.b(), 1.614)]
        {
            assert!((fitted - published).abs() <= 5e-4, "{name}: fitted {fitted}, published {published}");
        }
        assert_eq!(fit.log_likelihood, m.log_likelihood(&data));
        eprintln!("mbg/nbd {m:?} ll {} se {:?} report {:?}", fit.log_likelihood, fit.standard_errors, fit.report);
    }

    /// Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for
    /// Customer Base Analysis", JMR 42(4), and Fader & Hardie (2013), "The
    /// Gamma-Gamma Model of Monetary Value": p = 6.25, q = 3.74, γ = 15.44 on
    /// the 946 repeat buyers; LL ≈ −4055.92 with the p·x·ln x term on this
    /// file (values rounded to cents).
    #[test]
    fn gamma_gamma_matches_fader_hardie_2013() {
        let data = SpendData::from_summary(&customers()).unwrap();
        assert_eq!(data.customers(), 946.0);
        let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
        let m = fit.model;
        assert_close("p", m.p(), 6.25);
        assert_close("q", m.q(), 3.74);
        assert_close("v", m.v(), 15.44);
        assert!((fit.log_likelihood - -4055.92).abs() <= 0.05, "LL {}", fit.log_likelihood);
        eprintln!("gamma-gamma {m:?} ll {} se {:?} report {:?}", fit.log_likelihood, fit.standard_errors, fit.report);
    }

    /// Fader & Hardie (2005), "A Note on Implementing the Pareto/NBD Model in
    /// MATLAB" (also Fader, Hardie & Lee 2005): r = 0.553, α = 10.578,
    /// s = 0.606, β = 11.669, LL = −9595.0.
    #[test]
    fn pareto_nbd_matches_fader_hardie_2005() {
        let fit = ParetoNbd::fit(&data(), &FitOptions::default()).unwrap();
        let m = fit.model;
        assert_close("r", m.r(), 0.553);
        assert_close("alpha", m.alpha(), 10.578);
        assert_close("s", m.s(), 0.606);
        assert_close("beta", m.beta(), 11.669);
        assert!((fit.log_likelihood - -9595.0).abs() <= 0.05, "LL {}", fit.log_likelihood);
        eprintln!("pareto/nbd {m:?} ll {} se {:?} report {:?}", fit.log_likelihood, fit.standard_errors, fit.report);
    }
}

#[cfg(feature = "sim")]
mod recovery {
    //! Simulate 20,000 customers over 104 weeks from known parameters with three seeds and
    //! recover each parameter within 3 standard errors and 15%.

    use customer_lifecycle::clv::{
        BgNbd, FitOptions, GammaGamma, ModelChoice, ModifiedBgNbd, ParetoNbd, PurchaseModel,
    };

    fn check(name: &str, truth: &[f64], fitted: &[f64], errors: &[f64]) {
        for i in 0..truth.len() {
            let off = (fitted[i] - truth[i]).abs();
            assert!(off <= 3.0 * errors[i], "{name}[{i}]: {} vs {} (se {})", fitted[i], truth[i], errors[i]);
            assert!(off <= 0.15 * truth[i], "{name}[{i}]: {} vs {}", fitted[i], truth[i]);
        }
    }

    /// Through the trait: one generic check for every purchase model,
    /// parameters matched by name.
    fn recovers<M: PurchaseModel>(truth: &M) {
        let want = truth.parameters();
        for seed in [1, 2, 3] {
            let data = truth.simulate(20_000, 104.0, seed).unwrap();
            let fit = M::fit(&data, &FitOptions::default()).unwrap();
            let got = fit.model.parameters();
            assert_eq!(got.iter().map(|p| p.0).collect::<Vec<_>>(), want.iter().map(|p| p.0).collect::<Vec<_>>());
            let values = |named: &[(&str, f64)]| named.iter().map(|p| p.1).collect::<Vec<_>>();
            check(truth.name(), &values(&want), &values(&got), &fit.standard_errors.unwrap());
        }
    }

    #[test]
    fn every_purchase_model_recovers_its_parameters() {
        recovers(&BgNbd::new(0.5, 6.0, 0.7, 2.5).unwrap());
        recovers(&ModifiedBgNbd::new(0.5, 6.0, 0.7, 2.5).unwrap());
        recovers(&ParetoNbd::new(0.6, 8.0, 0.8, 12.0).unwrap());
        // The run-time choice fits its default, the MBG/NBD.
        recovers(&ModelChoice::from(ModifiedBgNbd::new(0.5, 6.0, 0.7, 2.5).unwrap()));
    }

    /// The closed forms for a new customer's expected purchases agree with
    /// the simulators they are meant to describe: the mean of 400,000
    /// simulated customers lies within 4 standard errors.
    #[test]
    fn expected_purchases_of_new_customers_match_simulation() {
        let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let mbg = ModifiedBgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
        for t in [3.0, 78.0] {
            let simulated = [bg.simulate(400_000, t, 7).unwrap(), mbg.simulate(400_000, t, 7).unwrap()];
            let formula = [bg.expected_purchases_new(t), mbg.expected_purchases_new(t)];
            for (data, expected) in simulated.iter().zip(formula) {
                let n = data.customers();
                let mean = data.rows().map(|(x, _, _, c)| f64::from(x) * c).sum::<f64>() / n;
                let var = data.rows().map(|(x, _, _, c)| (f64::from(x) - mean).powi(2) * c).sum::<f64>() / n;
                let se = (var / n).sqrt();
                assert!((mean - expected).abs() <= 4.0 * se, "t {t}: simulated {mean} ± {se}, formula {expected}");
            }
        }
    }

    #[test]
    fn gamma_gamma_recovers_its_parameters() {
        let truth = GammaGamma::new(6.0, 4.0, 15.0).unwrap();
        let frequencies: Vec<u32> = (0..20_000u32).map(|i| 1 + i % 9).collect();
        for seed in [1, 2, 3] {
            let data = truth.simulate(&frequencies, seed).unwrap();
            let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
            let m = fit.model;
            check("gamma-gamma", &[6.0, 4.0, 15.0], &[m.p(), m.q(), m.v()], &fit.standard_errors.unwrap());
        }
    }
}

mod robustness {
    //! No NaN or infinity anywhere on a wide grid, and the monotonicity the
    //! theory promises.

    use customer_lifecycle::clv::{
        BgNbd, ClvError, FitData, GammaGamma, History, ModifiedBgNbd, ParetoNbd, PurchaseModel, SpendData,
    };

    const VALUES: [f64; 5] = [0.01, 0.1, 1.0, 10.0, 100.0];
    const HISTORIES: [(u32, f64, f64); 8] = [
        (0, 0.0, 0.0),
        (0, 0.0, 500.0),
        (1, 0.5, 500.0),
        (10, 50.0, 100.0),
        (1000, 10.0, 500.0),
        (1000, 499.0, 500.0),
        (1000, 500.0, 500.0),
        (3, 0.0, 0.0),
    ];

    fn grid() -> impl Iterator<Item = [f64; 4]> {
        (0..625usize).map(|i| [VALUES[i % 5], VALUES[i / 5 % 5], VALUES[i / 25 % 5], VALUES[i / 125]])
    }

    #[test]
    fn predictions_and_likelihoods_stay_finite() {
        let data = FitData::from_rows(HISTORIES.iter().map(|&(x, tx, t)| (x, tx, t, 1.0))).unwrap();
        for [p1, p2, p3, p4] in grid() {
            let bg = BgNbd::new(p1, p2, p3, p4).unwrap();
            let pn = ParetoNbd::new(p1, p2, p3, p4).unwrap();
            let mbg = ModifiedBgNbd::new(p1, p2, p3, p4).unwrap();
            assert!(bg.log_likelihood(&data).is_finite(), "{bg:?}");
            assert!(mbg.log_likelihood(&data).is_finite(), "{mbg:?}");
            assert!(pn.log_likelihood(&data).is_finite(), "{pn:?}");
            for &(x, tx, t) in &HISTORIES {
                let h = History { frequency: x, recency: tx, age: t };
                for (name, value) in [
                    ("bg p_alive", bg.p_alive(h)),
                    ("bg expected", bg.expected_purchases(h, 39.0)),
                    ("bg new", bg.expected_purchases_new(39.0)),
                    ("pn p_alive", pn.p_alive(h)),
                    ("pn expected", pn.expected_purchases(h, 39.0)),
                    ("pn new", pn.expected_purchases_new(39.0)),
                    ("mbg p_alive", mbg.p_alive(h)),
                    ("mbg expected", mbg.expected_purchases(h, 39.0)),
                    ("mbg new", mbg.expected_purchases_new(39.0)),
                ] {
                    assert!(value.is_finite() && value >= 0.0, "{name} {value} at {bg:?} ({x}, {tx}, {t})");
                }
            }
            let gg = GammaGamma::new(p1, p2, p3).unwrap();
            let spend = SpendData::from_rows([(1, 0.01, 1.0), (1000, 1000.0, 1.0), (7, 20.0, 1.0)]).unwrap();
            assert!(gg.log_likelihood(&spend).is_finite(), "{gg:?}");
            if p2 > 1.0 {
                assert!(gg.expected_average_value(1000, 1000.0).unwrap().is_finite());
            }
        }
    }

    /// DERT and the PMF are finite and in range on every 53rd point of the
    /// grid (a spread over all four parameters), for a slow and a fast
    /// discount rate. The BG models' DERT integrates their expected
    /// purchases, which are only about 1e-6 accurate next to their
    /// removable singularity at `a = 1`: there it may be a typed error,
    /// never a NaN.
    #[test]
    fn dert_and_the_pmf_stay_finite() {
        for [p1, p2, p3, p4] in grid().step_by(53) {
            let models: [&dyn PurchaseModel; 3] = [
                &BgNbd::new(p1, p2, p3, p4).unwrap(),
                &ParetoNbd::new(p1, p2, p3, p4).unwrap(),
                &ModifiedBgNbd::new(p1, p2, p3, p4).unwrap(),
            ];
            for model in models {
                for &(frequency, recency, age) in &HISTORIES {
                    let h = History { frequency, recency, age };
                    for delta in [0.001, 0.1] {
                        let dert = model.dert(h, delta);
                        let near_one = p3 == 1.0 && model.name() != "Pareto/NBD";
                        let typed = near_one && matches!(dert, Err(ClvError::NonFiniteResult { .. }));
                        assert!(
                            typed || dert.as_ref().is_ok_and(|d| d.is_finite() && *d >= 0.0),
                            "{} {:?} {h:?} δ {delta}: {dert:?}",
                            model.name(),
                            model.parameters()
                        );
                    }
                }
                for x in [0, 1, 10] {
                    let p = model.purchases_pmf(x, 39.0);
                    assert!((0.0..=1.0).contains(&p), "{} {:?} P(X = {x}) = {p}", model.name(), model.parameters());
                }
            }
        }
    }

    #[test]
    fn predictions_are_monotone() {
        let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let pn = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
        let mbg = ModifiedBgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
        for x in [1u32, 2, 5, 20] {
            let mut last = [0.0; 3];
            for k in 0..=39 {
                let tx = f64::from(k);
                let h = History { frequency: x, recency: tx, age: 39.0 };
                let now = [bg.p_alive(h), pn.p_alive(h), mbg.p_alive(h)];
                assert!(
                    now.iter().zip(last).all(|(n, l)| *n >= l),
                    "P(alive) must fall as the gap since the last purchase grows"
                );
                last = now;
            }
        }
        let mut last = [0.0; 3];
        for x in 0..60u32 {
            let tx = if x == 0 { 0.0 } else { 39.0 };
            let h = History { frequency: x, recency: tx, age: 39.0 };
            let now = [bg.expected_purchases(h, 39.0), pn.expected_purchases(h, 39.0), mbg.expected_purchases(h, 39.0)];
            assert!(now.iter().zip(last).all(|(n, l)| *n > l), "x {x}: {now:?} after {last:?}");
            last = now;
        }
    }
}

#[cfg(feature = "csv")]
mod example {
    //! The `clv` example's contract, on the CDNOW file and on small logs.

    use std::fmt::Write as _;

    use super::example_program::run;

    fn temp_file(name: &str, text: &str) -> String {
        let path = std::env::temp_dir().join(format!("clv-example-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn fits_the_cdnow_summary() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cdnow_summary.csv");
        let json = run(&args(&["--summary", path])).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let r = value["bgnbd"]["r"].as_f64().unwrap();
        assert!((r - 0.243).abs() < 0.243 * 2e-3);
        assert!((value["pareto_nbd"]["log_likelihood"].as_f64().unwrap() + 9595.0).abs() < 0.05);
        assert_eq!(value["gamma_gamma"]["customers_used"], 946);
        let customers = value["customers"].as_array().unwrap();
        assert_eq!(customers.len(), 2357);
        assert_eq!(customers[0]["customer_id"], "1");
        assert_eq!(customers[0]["T"].as_f64(), Some(38.86));
        let p_alive = customers[0]["p_alive"].as_f64().unwrap();
        assert!(p_alive > 0.0 && p_alive <= 1.0);
        // Numbers are printed in shortest round-trip form.
        let text = json.split("\"r\":").nth(1).unwrap().split(',').next().unwrap();
        assert_eq!(text.parse::<f64>().unwrap().to_string(), text);
        let p = value["gamma_gamma"]["p"].as_f64().unwrap();
        let (q, v) = (value["gamma_gamma"]["q"].as_f64().unwrap(), value["gamma_gamma"]["v"].as_f64().unwrap());
        let m = customers[0]["monetary_value"].as_f64().unwrap();
        let expected = (q - 1.0) / (p * 2.0 + q - 1.0) * p * v / (q - 1.0) + p * 2.0 / (p * 2.0 + q - 1.0) * m;
        assert!((customers[0]["expected_avg_value"].as_f64().unwrap() - expected).abs() < 1e-9);
    }

    /// `--order key` sorts the customers by key bytes and changes nothing
    /// else; the default stays the input order; other values are refused.
    #[test]
    fn order_key_sorts_customers_by_key_bytes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cdnow_summary.csv");
        let ids = |value: &serde_json::Value| -> Vec<String> {
            value["customers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["customer_id"].as_str().unwrap().to_owned())
                .collect()
        };
        let input: serde_json::Value = serde_json::from_str(&run(&args(&["--summary", path])).unwrap()).unwrap();
        let by_key: serde_json::Value =
            serde_json::from_str(&run(&args(&["--summary", path, "--order", "key"])).unwrap()).unwrap();
        // Input order is numeric here; byte order puts "10" before "2".
        assert_eq!(ids(&input)[..3], ["1", "2", "3"]);
        assert_eq!(ids(&by_key)[..4], ["1", "10", "100", "1000"]);
        let mut sorted = ids(&input);
        sorted.sort();
        assert_eq!(ids(&by_key), sorted);
        // The same fits and the same customers, only reordered.
        assert_eq!(input["bgnbd"], by_key["bgnbd"]);
        assert_eq!(input["gamma_gamma"], by_key["gamma_gamma"]);
        let mut reordered = input["customers"].as_array().unwrap().clone();
        reordered.sort_by(|x, y| x["customer_id"].as_str().cmp(&y["customer_id"].as_str()));
        assert_eq!(&reordered, by_key["customers"].as_array().unwrap());
        let refused = run(&args(&["--summary", path, "--order", "random"])).unwrap_err();
        assert!(refused.contains("--order must be input or key"), "{refused}");
    }

    /// A log of 400 customers from a small deterministic generator: each
    /// joins in the first 60 days, buys at its own rate and stops at its
    /// own time; the calibration ends on day 151. With `own_spend`, each
    /// customer spends around their own typical amount; without, every
    /// purchase's amount comes from one distribution for all.
    fn simulated_log(own_spend: bool, seed: u64) -> String {
        // c5's first row in the file is after the calibration end: it still
        // sets c5's place in the output (the example's contract).
        let mut log = String::from("customer_id,date,amount\nc5,2024-12-02,1.00\n");
        let mut state = 0x2545_f491_4f6c_dd1du64 ^ seed;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for c in 0..400u32 {
            let first = (uniform() * 60.0) as u32;
            // Rates vary over two orders of magnitude and gaps are
            // exponential, as in the models.
            let gap = 2.0 * (uniform() * 4.5).exp();
            let life = -(1.0 - uniform()).ln() * 20.0 * (uniform() * 3.0).exp();
            let typical = if own_spend { 5.0 * (uniform() * 3.0).exp() } else { 20.0 };
            let mut day = f64::from(first);
            while day < f64::from(first) + life {
                let amount = typical * (0.4 + 1.2 * uniform());
                writeln!(log, "c{c},{},{amount:.2}", date(day as u32)).unwrap();
                // Without own spend, one purchase a day at most: a day's
                // sum of several purchases would vary with the customer's
                // rate.
                let step = -(1.0 - uniform()).ln() * gap;
                day += if own_spend { step } else { step.max(1.0) };
            }
        }
        log.push_str("late,2024-12-01,3.00\n");
        log
    }

    #[test]
    fn summarises_a_transaction_log() {
        let path = temp_file("log.csv", &simulated_log(true, 0));
        let json =
            run(&args(&["--transactions", &path, "--time-unit", "weeks", "--calibration-end", "2024-05-31"])).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let customers = value["customers"].as_array().unwrap();
        assert_eq!(customers.len(), 400, "the customer first seen after the calibration end is left out");
        assert_eq!(customers[0]["customer_id"], "c5");
        assert_eq!(customers[1]["customer_id"], "c0");
        assert!(value["bgnbd"]["log_likelihood"].as_f64().unwrap().is_finite());
    }

    /// Spend with no heterogeneity between customers often puts the
    /// Gamma-Gamma's maximum at q → ∞ (when the sample's spread of mean
    /// values is below what chance explains): the library says so, and the
    /// example still prints a fit (a finite point on the ridge). Either way
    /// the predicted value per purchase is close to the common mean.
    #[test]
    fn prints_a_fit_when_spend_does_not_vary_between_customers() {
        use customer_lifecycle::clv::{ClvError, FitOptions, GammaGamma, SpendData, Summary, TimeUnit};
        let end = chrono::NaiveDate::from_ymd_opt(2024, 5, 31).unwrap();
        let mut unbounded = 0;
        for seed in 1..=6 {
            let log = simulated_log(false, seed);
            let transactions = customer_lifecycle::TransactionCsv::new().read(log.as_bytes()).unwrap();
            let summary = Summary::from_transactions(&transactions, end, TimeUnit::Weeks).unwrap();
            let spend = SpendData::from_summary(&summary.customers).unwrap();
            if let Err(err) = GammaGamma::fit(&spend, &FitOptions::default()) {
                assert!(matches!(err, ClvError::Unbounded { parameter: "q", .. }), "{err}");
                unbounded += 1;
            }
            let path = temp_file(&format!("flat-{seed}.csv"), &log);
            let json =
                run(&args(&["--transactions", &path, "--time-unit", "weeks", "--calibration-end", "2024-05-31"]))
                    .unwrap();
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert!(value["gamma_gamma"]["q"].as_f64().unwrap().is_finite());
            for c in value["customers"].as_array().unwrap() {
                let predicted = c["expected_avg_value"].as_f64().unwrap();
                assert!((predicted - 20.0).abs() < 2.0, "seed {seed}: {c}");
            }
        }
        assert!(unbounded > 0, "some samples have their maximum at q → ∞");
    }

    /// A summary whose BG/NBD maximum is at a boundary (every repeat
    /// buyer active until late: no sign of dropout): the example stops with
    /// an error naming the model and the parameter (exit 1), instead of
    /// printing a fit.
    #[test]
    fn a_fit_without_a_maximum_is_an_error_naming_the_model_and_the_parameter() {
        let mut text = String::from("customer_id,frequency,recency,T,monetary_value\n");
        for (n, (x, recency)) in [(50, (0, 0.0)), (20, (3, 15.0)), (30, (1, 2.0))]
            .into_iter()
            .enumerate()
            .flat_map(|(k, (count, history))| (0..count).map(move |i| (k * 100 + i, history)))
        {
            writeln!(text, "c{n},{x},{recency},20,{}", if x == 0 { 0.0 } else { 10.0 + f64::from(n as u32 % 7) })
                .unwrap();
        }
        let path = temp_file("boundary.csv", &text);
        let err = run(&args(&["--summary", &path])).unwrap_err();
        assert!(err.starts_with("BG/NBD: ") && err.contains("cannot pin down"), "{err}");
        assert!(["r", "alpha", "a", "b"].iter().any(|p| err.contains(&format!("pin down {p}:"))), "{err}");
    }

    /// A standard output closed early (`| head -c1`) is a one-line error,
    /// not a panic: the writer reports it and `main` exits 1.
    #[test]
    fn a_closed_output_is_an_error_not_a_panic() {
        struct Closed;
        impl std::io::Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
        }
        let err = super::example_program::write_output("{}", &mut Closed).unwrap_err();
        assert!(err.starts_with("cannot write the output") && !err.contains('\n'), "{err}");
        let mut out = Vec::new();
        super::example_program::write_output("{\"a\":1}", &mut out).unwrap();
        assert_eq!(out, b"{\"a\":1}\n");
    }

    fn date(day: u32) -> String {
        (chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::TimeDelta::days(i64::from(day))).to_string()
    }

    #[test]
    fn bad_input_is_a_one_line_error_naming_the_line() {
        for (row, what) in
            [("a,2020-02-30,1", "line 3"), ("a,2020-01-01 10:00,1", "line 3"), ("a,2020-01-01,-2", "line 3")]
        {
            let path = temp_file("bad.csv", &format!("customer_id,date,amount\nb,2020-01-01,1\n{row}\n"));
            let err = run(&args(&["--transactions", &path, "--time-unit", "weeks", "--calibration-end", "2020-03-01"]))
                .unwrap_err();
            assert!(err.contains(what) && !err.contains('\n'), "{err}");
        }
        let path = temp_file("ok.csv", "customer_id,date,amount\nb,2020-01-01,1\n");
        for end in ["2020-02-30", "2020-03-01T00:00", "20200301"] {
            let err =
                run(&args(&["--transactions", &path, "--time-unit", "weeks", "--calibration-end", end])).unwrap_err();
            assert!(err.contains("--calibration-end"), "{err}");
        }
        assert!(run(&args(&["--summary"])).is_err());
    }
}
