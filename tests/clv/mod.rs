//! Integration tests of the `clv` module: merge laws of the purchase
//! aggregate, the published CDNOW fits, parameter recovery, and the example.

// Counts held in floats compare exactly.
#![allow(clippy::float_cmp)]

use chrono::NaiveDate;
use customer_lifecycle::Money;
use customer_lifecycle::clv::{ClvError, CustomerPurchases, PurchaseAggregate, Summary, TimeUnit};
use proptest::prelude::*;

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
        one.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        two.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
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
    assert_eq!((c.customer_id.as_str(), c.frequency, c.recency, c.t, c.monetary_value), ("ana", 1, 1.0, 10.0, 7.0));
    // Three hours east of UTC the 23:00 purchase falls on the next day, with
    // the 01:00 one of that day.
    let east = FixedOffset::east_opt(3 * 3600).unwrap();
    let s = Summary::from_base_with_offset(&base, day(10), TimeUnit::Days, east).unwrap();
    assert_eq!(s.customers[0].monetary_value, 12.0);
}

mod cdnow {
    //! The published fits on the CDNOW cohort (2,357 customers, 39 weeks).

    use customer_lifecycle::clv::{
        BgNbd, CustomerSummary, FitData, FitOptions, GammaGamma, ParetoNbd, SpendData, TimeUnit,
    };

    pub(super) fn customers() -> Vec<CustomerSummary> {
        let text = include_str!("../data/cdnow_summary.csv");
        text.lines()
            .skip(1)
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                CustomerSummary {
                    customer_id: f[0].to_owned(),
                    frequency: f[1].parse().unwrap(),
                    recency: f[2].parse().unwrap(),
                    t: f[3].parse().unwrap(),
                    monetary_value: f[4].parse().unwrap(),
                }
            })
            .collect()
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
