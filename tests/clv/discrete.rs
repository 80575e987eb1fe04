//! The discrete-time and contractual models against the papers' published
//! values, and parameter recovery from data they simulate.

use customer_lifecycle::clv::{BgBb, DiscretePattern, FitOptions, RetentionModel};

/// The donations data of Fader, Hardie & Shang (2010), Table 1.
fn donations() -> Vec<DiscretePattern> {
    let text = std::fs::read_to_string("tests/data/donations.csv").unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
            DiscretePattern { frequency: f[0] as u32, recency: f[1] as u32, periods: f[2] as u32, count: f[3] }
        })
        .collect()
}

/// Fader, Hardie & Shang (2010), section 4: α = 1.204, β = 0.750, γ = 0.657,
/// δ = 2.783 on the 11,104 donors, and P(alive in 2002) of 0.11 for a donor
/// who never gave again, 0.59 for (x, `t_x`) = (2, 4) and 0.93 for (6, 6).
#[test]
fn bgbb_reproduces_the_donations_fit() {
    let data = donations();
    assert_eq!(data.iter().map(|p| p.count).sum::<f64>(), 11_104.0);
    let fit = BgBb::fit(&data, &FitOptions::default()).unwrap();
    let m = fit.model;
    for (got, want) in [(m.alpha(), 1.204), (m.beta(), 0.750), (m.gamma(), 0.657), (m.delta(), 2.783)] {
        assert!((got - want).abs() < 5e-4, "{got} vs {want}");
    }
    // The paper reports LL = −33,225.6.
    assert!((fit.log_likelihood - -33_225.6).abs() < 0.1, "{}", fit.log_likelihood);
    let p = |frequency, recency| DiscretePattern { frequency, recency, periods: 6, count: 1.0 };
    for (pattern, want) in [(p(0, 0), 0.11), (p(2, 4), 0.59), (p(6, 6), 0.93)] {
        let got = m.p_alive(&pattern, 1);
        assert!((got - want).abs() < 0.005, "{pattern:?}: {got} vs {want}");
    }
    // Scale-free: the same fit from counts in thousands.
    let scaled: Vec<DiscretePattern> = data.iter().map(|p| DiscretePattern { count: p.count / 1000.0, ..*p }).collect();
    let small = BgBb::fit(&scaled, &FitOptions::default()).unwrap();
    assert!((small.model.alpha() - m.alpha()).abs() < 1e-6 * m.alpha());
    assert!((small.log_likelihood * 1000.0 - fit.log_likelihood).abs() < 1e-6 * fit.log_likelihood.abs());
}

#[cfg(feature = "sim")]
#[test]
fn bgbb_recovers_its_parameters() {
    let truth = BgBb::new(1.2, 0.75, 0.66, 2.8).unwrap();
    let sims = truth.simulate(20_000, 8, 11).unwrap();
    let fit = BgBb::fit(&sims, &FitOptions::default()).unwrap();
    let se = fit.standard_errors.unwrap();
    let got = [fit.model.alpha(), fit.model.beta(), fit.model.gamma(), fit.model.delta()];
    for (k, want) in [1.2, 0.75, 0.66, 2.8].into_iter().enumerate() {
        assert!((got[k] - want).abs() < 4.0 * se[k], "{k}: {} ± {} vs {want}", got[k], se[k]);
    }
}

/// Survivors per 1,000 in years 0–12 of the two cohorts of Fader & Hardie
/// (2007), Table 1 (after Berry & Linoff 2004); the models are calibrated on
/// years 0–7 and projected over 8–12.
const REGULAR: [f64; 13] = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0, 223.0, 207.0, 194.0, 183.0, 173.0];
const HIGH_END: [f64; 13] =
    [1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0, 468.0, 445.0, 427.0, 409.0, 394.0];

/// Fader & Hardie (2007): regular α = 0.704, β = 1.182; high end α = 0.668,
/// β = 3.806; projected from years 0–7, they stay within 2% of the starting
/// cohort over years 8–12 (the high-end cohort's year 12 is the farthest:
/// 378 projected against 394 observed).
#[test]
fn sbg_reproduces_how_to_project_customer_retention() {
    for (data, alpha, beta) in [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)] {
        let fit = RetentionModel::fit_sbg(&[&data[..8]], &FitOptions::default()).unwrap();
        assert!((fit.model.alpha() - alpha).abs() < 1e-3, "{}", fit.model.alpha());
        assert!((fit.model.beta() - beta).abs() < 1e-3, "{}", fit.model.beta());
        let projected = fit.model.projection(1000.0, 12);
        for year in 8..=12 {
            assert!((projected[year] - data[year]).abs() < 20.0, "year {year}: {} vs {}", projected[year], data[year]);
        }
        // c = 1 is the sBG: the BdW fit cannot do worse.
        let bdw = RetentionModel::fit_bdw(&[&data[..8]], &FitOptions::default()).unwrap();
        assert!(bdw.log_likelihood >= fit.log_likelihood - 1e-6);
    }
}

/// Cohorts that started later have been seen for fewer periods; fitted
/// together they share the parameters, and the likelihood is the sum.
#[test]
fn sbg_fits_several_cohorts_together() {
    let model = RetentionModel::sbg(0.9, 2.5).unwrap();
    let cohorts: Vec<Vec<f64>> = [8_u32, 6, 4, 2]
        .iter()
        .map(|&periods| model.projection(100_000.0, periods).iter().map(|n| n.round()).collect())
        .collect();
    let refs: Vec<&[f64]> = cohorts.iter().map(Vec::as_slice).collect();
    let fit = RetentionModel::fit_sbg(&refs, &FitOptions::default()).unwrap();
    assert!((fit.model.alpha() - 0.9).abs() < 0.01 && (fit.model.beta() - 2.5).abs() < 0.03, "{:?}", fit.model);
    let separate: f64 = refs.iter().map(|c| fit.model.log_likelihood(&[c]).unwrap()).sum();
    assert!((separate - fit.log_likelihood).abs() < 1e-9 * separate.abs());
}

#[cfg(feature = "csv")]
#[test]
fn example_prints_the_discrete_and_survivor_contracts() {
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        super::example_program::run(&args)
    };
    let out = run(&["--discrete", "tests/data/donations.csv", "--horizon", "3"]).unwrap();
    assert!(out.starts_with(r#"{"bgbb":{"alpha":"#), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let patterns = v["patterns"].as_array().unwrap();
    assert_eq!(patterns.len(), 22);
    // Input order, every field of the contract.
    assert_eq!((patterns[1]["frequency"].as_u64(), patterns[1]["recency"].as_u64()), (Some(1), Some(1)));
    assert!(out.contains(r#"{"frequency":0,"recency":0,"periods":6,"count":3464.0,"p_alive":"#));
    assert_eq!(patterns[0].as_object().unwrap().len(), 6);
    assert!(patterns[0]["expected_purchases"].as_f64().unwrap() > 0.0);
    let model = BgBb::new(
        v["bgbb"]["alpha"].as_f64().unwrap(),
        v["bgbb"]["beta"].as_f64().unwrap(),
        v["bgbb"]["gamma"].as_f64().unwrap(),
        v["bgbb"]["delta"].as_f64().unwrap(),
    )
    .unwrap();
    let last = DiscretePattern { frequency: 6, recency: 6, periods: 6, count: 1203.0 };
    assert_eq!(patterns[21]["expected_purchases"].as_f64().unwrap(), model.expected_purchases(&last, 3));
    assert_eq!(patterns[21]["p_alive"].as_f64().unwrap(), model.p_alive(&last, 1));

    let out = run(&["--survivors", "1000,631,468,382,326,289,262,241"]).unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["survival"].as_array().unwrap().len(), 13);
    assert_eq!(v["retention"].as_array().unwrap().len(), 12);
    assert_eq!(v["survival"][0].as_f64(), Some(1.0));
    assert!((v["sbg"]["alpha"].as_f64().unwrap() - 0.704).abs() < 1e-3);
    let r1 = v["retention"][0].as_f64().unwrap();
    assert_eq!(r1, v["survival"][1].as_f64().unwrap());

    for bad in [
        &["--survivors", "1000,631", "--horizon", "3"][..],
        &["--discrete", "tests/data/donations.csv", "--periods", "3"],
        &["--discrete", "tests/data/donations.csv", "--summary", "x.csv"],
        &["--survivors", "1000,abc"],
        &["--survivors", "1000,1200"],
        &["--discrete", "tests/data/cdnow_summary.csv"],
    ] {
        let err = run(bad).unwrap_err();
        assert!(!err.contains('\n'), "{bad:?}: {err}");
    }
}

/// The same model as lifetimes' `BetaGeoBetaBinomFitter` (values written by
/// `scripts/bgbb_lifetimes.py`): at lifetimes' fitted parameters, P(alive) at
/// the next opportunity and the expected donations in the next five agree to
/// 1e-9 relative for all 22 patterns, and the two fits agree to 1e-3
/// (two optimisers stopping at their own tolerances).
#[test]
fn bgbb_agrees_with_lifetimes() {
    let text = std::fs::read_to_string("tests/data/donations_lifetimes.json").unwrap();
    let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
    let param = |name: &str| reference["params"][name].as_f64().unwrap();
    let theirs = BgBb::new(param("alpha"), param("beta"), param("gamma"), param("delta")).unwrap();
    let data = donations();
    let alive = reference["p_alive_next"].as_array().unwrap();
    let expected = reference["expected_next_5"].as_array().unwrap();
    assert_eq!((alive.len(), expected.len()), (data.len(), data.len()));
    let close = |got: f64, want: f64, tolerance: f64| (got - want).abs() <= tolerance * want.abs().max(1e-12);
    for (i, pattern) in data.iter().enumerate() {
        let (got, want) = (theirs.p_alive(pattern, 1), alive[i].as_f64().unwrap());
        assert!(close(got, want, 1e-9), "pattern {i} P(alive): {got} vs lifetimes {want}");
        let (got, want) = (theirs.expected_purchases(pattern, 5), expected[i].as_f64().unwrap());
        assert!(close(got, want, 1e-9), "pattern {i} expected: {got} vs lifetimes {want}");
    }
    let ours = BgBb::fit(&data, &FitOptions::default()).unwrap().model;
    for (got, want) in [
        (ours.alpha(), theirs.alpha()),
        (ours.beta(), theirs.beta()),
        (ours.gamma(), theirs.gamma()),
        (ours.delta(), theirs.delta()),
    ] {
        assert!(close(got, want, 1e-3), "{got} vs lifetimes {want}");
    }
}

/// Subscribers who pay every month until they leave, in three monthly
/// cohorts, through `analytics::CohortTable`: the table's survivor counts
/// are the sBG's projection they were made from, and the fit recovers it.
#[test]
fn sbg_fits_the_cohorts_of_a_cohort_table() {
    use customer_lifecycle::analytics::{CohortPeriod, CohortTable};
    use customer_lifecycle::{CustomerId, Money};
    let model = RetentionModel::sbg(0.8, 2.0).unwrap();
    let day = |year: i32, month: u32| chrono::NaiveDate::from_ymd_opt(year, month, 1).unwrap();
    let mut log = Vec::new();
    let mut expected = Vec::new();
    for (cohort, start) in [1_u32, 2, 3].into_iter().enumerate() {
        // Observed up to June 2024 (partial, left out): 5 − cohort complete months.
        let months = 5 - cohort as u32;
        let counts: Vec<u64> = model.projection(20_000.0, 12).iter().map(|n| n.round() as u64).collect();
        // Subscribers who pay for exactly k months: counts[k - 1] − counts[k].
        let mut next = 0;
        for k in 1..=12 {
            for _ in 0..counts[k - 1] - counts[k] {
                for m in 0..k.min(months as usize + 1) as u32 {
                    log.push((
                        CustomerId::from_key(&format!("{cohort}-{next}")),
                        day(2024, start + m),
                        Money::from_minor(500),
                    ));
                }
                next += 1;
            }
        }
        for _ in 0..counts[12] {
            for m in 0..=months {
                log.push((
                    CustomerId::from_key(&format!("{cohort}-{next}")),
                    day(2024, start + m),
                    Money::from_minor(500),
                ));
            }
            next += 1;
        }
        expected.push((day(2024, start), counts[..months as usize].iter().map(|&n| n as f64).collect::<Vec<_>>()));
    }
    let table = CohortTable::from_records(&log, CohortPeriod::Month, day(2024, 6) + chrono::Days::new(9));
    let cohorts = table.survivors();
    assert_eq!(cohorts, expected);
    let counts: Vec<&[f64]> = cohorts.iter().map(|(_, n)| n.as_slice()).collect();
    let fit = RetentionModel::fit_sbg(&counts, &FitOptions::default()).unwrap();
    assert!((fit.model.alpha() - 0.8).abs() < 0.02 && (fit.model.beta() - 2.0).abs() < 0.05, "{:?}", fit.model);
}
