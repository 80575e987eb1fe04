//! The SVG charts: each parses as XML, draws the marks its input calls
//! for, names its title and axes, keeps text at 12 px or more and escapes
//! the data's text; and the `report` example writes its page.

use chrono::{NaiveDate, TimeZone, Utc};
use customer_lifecycle::advocacy::{BucketRow, LeakingBucket};
use customer_lifecycle::analytics::{
    CohortPeriod, CohortTable, FollowerConversion, Funnel, StepConversion, TransitionMatrix,
};
use customer_lifecycle::campaign::{ArmOutcome, HourOfWeek, Moments, TimingCell, TimingProfile};
use customer_lifecycle::clv::{BgNbd, FitData, History, HoldoutRow, ParetoNbd, PurchaseModel, TimeUnit};
use customer_lifecycle::plot::{self, FrequencyRecency, GridQuantity, PeriodTransactions, PlotError, Svg, Tracking};
use customer_lifecycle::score::{Rfm, RfmSegments};
use customer_lifecycle::{Channel, CustomerId, Money, Phase, Stage, Transaction, Window};

const BLUE: &str = "#0072B2";
const ORANGE: &str = "#E69F00";
const VERMILLION: &str = "#D55E00";
const GREEN: &str = "#009E73";
const EMPTY_CELL: &str = "#EEEEEE";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The parsed chart, with the checks every chart must pass: one `<svg>`
/// root of the expected size, every text at 12 px or more, the title and
/// the axis descriptions present.
struct Chart {
    source: String,
}

impl Chart {
    fn new(svg: &Svg, size: (u32, u32), words: &[&str]) -> Chart {
        let chart = Chart { source: svg.as_str().to_owned() };
        let doc = chart.doc();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("width"), Some(size.0.to_string().as_str()));
        assert_eq!(root.attribute("height"), Some(size.1.to_string().as_str()));
        for text in root.descendants().filter(|n| n.has_tag_name("text")) {
            let px: f64 = text.attribute("font-size").unwrap().parse().unwrap();
            assert!(px >= 12.0, "text {:?} at {px} px", text.text());
        }
        assert!(chart.scripts_and_links() == 0);
        let texts = chart.texts();
        for word in words {
            assert!(texts.iter().any(|t| t.contains(word)), "no text with {word:?} in {texts:?}");
        }
        chart
    }

    fn doc(&self) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(&self.source).expect("the chart is well-formed XML")
    }

    fn texts(&self) -> Vec<String> {
        let doc = self.doc();
        doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or("").trim().to_owned()).collect()
    }

    /// `tag` elements filled (or, for lines, stroked) with `colour`.
    fn count(&self, tag: &str, colour: &str) -> usize {
        let doc = self.doc();
        doc.descendants()
            .filter(|n| n.has_tag_name(tag))
            .filter(|n| {
                let paint = if tag == "polyline" { n.attribute("stroke") } else { n.attribute("fill") };
                paint.is_some_and(|p| p.eq_ignore_ascii_case(colour))
            })
            .count()
    }

    fn scripts_and_links(&self) -> usize {
        let doc = self.doc();
        doc.descendants()
            .filter(|n| n.has_tag_name("script") || n.attributes().any(|a| a.name() == "href" || a.name() == "src"))
            .count()
    }
}

fn funnel() -> Funnel {
    let counts = [100, 50, 30, 20, 10, 5, 7, 3];
    let step = |from, to, reached, moved_on| StepConversion { from, to, reached, moved_on };
    Funnel {
        window: Window::quarter(2024, 1).unwrap(),
        stages: Stage::ALL.iter().copied().zip(counts).collect(),
        phases: Phase::ALL.iter().map(|&p| (p, 0)).collect(),
        conversions: vec![
            step(Stage::Prospect, Stage::New, 200, 100),
            step(Stage::New, Stage::Satisfied, 80, 60),
            step(Stage::Satisfied, Stage::Repeat, 60, 30),
            step(Stage::Repeat, Stage::Loyal, 40, 10),
            step(Stage::Loyal, Stage::Evangelist, 0, 0),
        ],
        dwell: Vec::new(),
        followers: FollowerConversion {
            followers: 0,
            already_customers: 0,
            converted: 0,
            median_days_to_purchase: None,
            p90_days_to_purchase: None,
        },
        left_out: 0,
    }
}

#[test]
fn ladder_draws_a_bar_per_ladder_stage_and_each_step() {
    let chart = Chart::new(
        &plot::ladder(&funnel()).unwrap(),
        (800, 500),
        &["The ladder", "customers at each stage now", "ladder stage", "evangelist", "7 dormant, 3 churned"],
    );
    assert_eq!(chart.count("rect", BLUE), 6);
    let texts = chart.texts();
    for line in [
        "↓ 50.0% of 200 moved on",
        "↓ 75.0% of 80 moved on",
        "↓ 50.0% of 60 moved on",
        "↓ 25.0% of 40 moved on",
        "↓ nobody reached it",
    ] {
        assert!(texts.iter().any(|t| t == line), "{line:?} missing");
    }
    let mut nobody = funnel();
    nobody.stages.iter_mut().for_each(|(_, n)| *n = 0);
    assert_eq!(plot::ladder(&nobody), Err(PlotError::Empty { what: "the ladder" }));
}

#[test]
fn stage_flows_colour_the_rows_with_customers_and_leave_the_rest_empty() {
    let mut counts = [[0u64; 8]; 8];
    counts[0] = [6, 2, 0, 0, 0, 0, 0, 0];
    counts[3] = [0, 0, 0, 1234, 5, 0, 0, 1];
    let period = Window::new(
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap(),
    )
    .unwrap();
    let matrix = TransitionMatrix { period, counts, left_out: 0 };
    let chart = Chart::new(
        &plot::stage_flows(&matrix).unwrap(),
        (800, 500),
        &[
            "Stage flows from 2024-01-01 to 2024-07-01",
            "stage on 2024-01-01",
            "stage on 2024-07-01",
            "share of the row (%)",
        ],
    );
    assert_eq!(chart.count("rect", EMPTY_CELL), 6 * 8);
    let texts = chart.texts();
    assert_eq!(texts.iter().filter(|t| *t == "1,234").count(), 1);
    // Two rows of eight cells, each with its count.
    let cells = texts.iter().filter(|t| t.chars().all(|c| c.is_ascii_digit() || c == ',') && !t.is_empty()).count();
    assert!(cells >= 16, "{texts:?}");
    let empty = TransitionMatrix { counts: [[0; 8]; 8], ..matrix };
    assert!(matches!(plot::stage_flows(&empty), Err(PlotError::Empty { .. })));
}

#[test]
fn cohorts_show_a_cell_per_period_of_each_cohort() {
    let id = CustomerId::from_key;
    let m = Money::from_minor(100);
    let log = [
        (id("a"), day("2024-01-05"), m),
        (id("b"), day("2024-01-20"), m),
        (id("a"), day("2024-02-11"), m),
        (id("c"), day("2024-02-01"), m),
    ];
    let table = CohortTable::from_records(&log, CohortPeriod::Month, day("2024-03-15"));
    let chart = Chart::new(
        &plot::cohorts(&table).unwrap(),
        (800, 500),
        &[
            "Retention by acquisition month, as of 2024-03-15",
            "months since the first purchase",
            "cohort",
            "2024-01 (n=2)",
            "2024-02 (n=1)",
            "2024-03 (n=0)",
        ],
    );
    // Cohorts of 3, 2 and 1 periods, the last empty: 3 + 3 empty cells.
    assert_eq!(chart.count("rect", EMPTY_CELL), 1 + 3);
    let texts = chart.texts();
    assert_eq!(texts.iter().filter(|t| *t == "100%").count(), 2);
    assert_eq!(texts.iter().filter(|t| *t == "50%").count(), 1);
    assert_eq!(texts.iter().filter(|t| *t == "0%").count(), 2);
}

#[test]
fn leaking_bucket_draws_acquired_lost_and_net_per_period() {
    let row = |start: &str, acquired: usize, lost: usize| BucketRow {
        start: day(start),
        end: day(start),
        acquired,
        lost,
        churned: lost,
        net: acquired as i64 - lost as i64,
        value_gained: 0.0,
        value_lost: 0.0,
        revenue: 0.0,
        revenue_at_risk: 0.0,
    };
    let bucket = LeakingBucket {
        rows: vec![row("2024-01-01", 120, 80), row("2024-04-01", 90, 110), row("2024-07-01", 10, 0)],
        p_alive_threshold: 0.3,
        left_out: 0,
    };
    let chart = Chart::new(
        &plot::leaking_bucket(&bucket).unwrap(),
        (800, 500),
        &[
            "The leaking bucket",
            "customers (lost below zero)",
            "period starting",
            "2024-07-01",
            "P(alive) fell below 0.3",
            "net change",
        ],
    );
    // A bar per period and a legend swatch.
    assert_eq!(chart.count("rect", BLUE), 3 + 1);
    assert_eq!(chart.count("rect", VERMILLION), 3 + 1);
    assert_eq!(chart.count("circle", "#000000"), 3 + 1);
    let none = LeakingBucket { rows: Vec::new(), ..bucket };
    assert!(matches!(plot::leaking_bucket(&none), Err(PlotError::Empty { .. })));
}

#[test]
fn rfm_segments_draw_customers_and_revenue_per_segment_and_escape_names() {
    let m = Money::from_minor;
    let log = [("x", day("2024-01-01"), m(100)), ("y", day("2024-01-05"), m(2500)), ("x", day("2024-01-20"), m(1))];
    let rfm = Rfm::from_records(log, day("2024-01-31")).unwrap();
    let segments = RfmSegments::default();
    let svg = plot::rfm_segments(&rfm, &segments).unwrap();
    let chart = Chart::new(
        &svg,
        (800, 500),
        &["RFM segments as of 2024-01-31", "customers", "revenue (currency units)", "Can't Lose Them"],
    );
    let n = segments.names().len();
    assert_eq!(chart.count("rect", BLUE), n);
    assert_eq!(chart.count("rect", GREEN), n);
    assert!(svg.as_str().contains("Can&apos;t Lose Them"));
    let mine = RfmSegments::from_groups([(
        "<top> & co",
        (111..=555).filter(|c| customer_lifecycle::score::RfmScore::from_code(*c).is_ok()).collect::<Vec<u16>>(),
    )])
    .unwrap();
    let svg = plot::rfm_segments(&rfm, &mine).unwrap();
    let chart = Chart::new(&svg, (800, 500), &["<top> & co", "2"]);
    assert_eq!(chart.count("rect", BLUE), 1);
    assert!(svg.as_str().contains("&lt;top&gt; &amp; co"));
}

fn log() -> Vec<Transaction> {
    let t = |key: &str, date: &str| Transaction { key: key.into(), date: day(date), amount: "1".parse().unwrap() };
    vec![
        t("a", "2024-01-01"),
        t("a", "2024-01-09"),
        t("b", "2024-01-03"),
        t("a", "2024-01-20"),
        t("a", "2024-01-20"),
        t("c", "2024-01-16"),
    ]
}

#[test]
fn tracking_counts_the_cohorts_repeat_days_and_the_models_expectation() {
    let model = ParetoNbd::new(0.55, 10.6, 0.61, 11.7).unwrap();
    let tracking = Tracking::from_transactions(
        "Pareto/NBD",
        &log(),
        day("2024-01-14"),
        day("2024-01-28"),
        TimeUnit::Weeks,
        |tau| model.expected_purchases_new(tau),
    )
    .unwrap();
    // "c" first bought after the calibration end; "a" twice on the 20th is one day.
    assert_eq!(tracking.actual, [0.0, 1.0, 1.0, 0.0]);
    // Expected cumulative at the end of the second week (day 14): a at 13 days, b at 11.
    let two_weeks: f64 = tracking.expected[..2].iter().sum();
    let want = model.expected_purchases_new(13.0 / 7.0) + model.expected_purchases_new(11.0 / 7.0);
    assert!((two_weeks - want).abs() < 1e-12);
    assert!(tracking.expected.iter().all(|e| *e > 0.0));
    let chart = Chart::new(
        &plot::tracking(&tracking).unwrap(),
        (800, 640),
        &[
            "Tracking: repeat transactions, actual and expected by Pareto/NBD",
            "cumulative repeat transactions",
            "repeat transactions per week",
            "date (weeks since 2024-01-01)",
            "calibration end",
            "expected (Pareto/NBD)",
        ],
    );
    // The actual line in each panel, and its legend swatch.
    assert_eq!(chart.count("polyline", BLUE), 2 + 1);
    let bad = Tracking::from_transactions("m", &log(), day("2024-01-14"), day("2024-01-14"), TimeUnit::Weeks, |_| 0.0);
    assert!(matches!(bad, Err(PlotError::InvalidOption { name: "holdout_end", .. })));
    let late = Tracking::from_transactions("m", &log(), day("2023-01-14"), day("2024-01-14"), TimeUnit::Weeks, |_| 0.0);
    assert!(matches!(late, Err(PlotError::Empty { .. })));
    let nan =
        Tracking::from_transactions("m", &log(), day("2024-01-14"), day("2024-01-28"), TimeUnit::Days, |_| f64::NAN);
    assert!(matches!(nan, Err(PlotError::NonFinite { .. })));
    let short = Tracking { expected: vec![1.0], ..tracking };
    assert!(matches!(plot::tracking(&short), Err(PlotError::Mismatch { .. })));
}

#[test]
fn calibration_holdout_draws_a_point_per_group_for_each_series() {
    let row = |frequency, customers, actual, predicted| HoldoutRow { frequency, customers, actual, predicted };
    let rows = [row(0, 1411, 0.24, 0.23), row(1, 439, 0.70, 0.63), row(2, 214, 1.39, 1.19), row(7, 100, 3.56, 3.71)];
    let chart = Chart::new(
        &plot::calibration_holdout(&rows, "Pareto/NBD", TimeUnit::Weeks, 39.0).unwrap(),
        (800, 500),
        &[
            "Calibration against holdout (Pareto/NBD)",
            "mean purchases in the 39-week holdout",
            "repeat purchases in the calibration period",
            "7+",
            "predicted (Pareto/NBD)",
        ],
    );
    assert_eq!(chart.count("circle", BLUE), 4);
    assert_eq!(chart.count("circle", VERMILLION), 4);
    assert!(matches!(plot::calibration_holdout(&[], "m", TimeUnit::Days, 1.0), Err(PlotError::Empty { .. })));
    let nan = [row(0, 1, f64::NAN, 0.0)];
    assert!(matches!(plot::calibration_holdout(&nan, "m", TimeUnit::Days, 1.0), Err(PlotError::NonFinite { .. })));
}

#[test]
fn frequency_recency_grids_hold_the_models_values_and_draw_a_cell_each() {
    let model = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let grid = FrequencyRecency::new("BG/NBD", GridQuantity::PAlive, TimeUnit::Weeks, 3, 40.0, 4, |h| model.p_alive(h))
        .unwrap();
    assert_eq!(grid.values.len(), 4);
    assert_eq!(
        grid.values[0],
        [Some(model.p_alive(History { frequency: 0, recency: 0.0, age: 40.0 })), None, None, None]
    );
    assert_eq!(grid.values[2][1], Some(model.p_alive(History { frequency: 2, recency: 15.0, age: 40.0 })));
    let chart = Chart::new(
        &plot::frequency_recency(&grid).unwrap(),
        (800, 500),
        &[
            "P(alive) (BG/NBD)",
            "recency: weeks from first to last purchase",
            "T = 40",
            "repeat purchases (frequency)",
            "P(alive) (%)",
            "35",
        ],
    );
    assert_eq!(chart.count("rect", EMPTY_CELL), 3);
    assert_eq!(chart.texts().iter().filter(|t| t.ends_with('%') && t.len() <= 4).count(), 13);

    let horizon = GridQuantity::ExpectedPurchases { horizon: 4.0 };
    let grid =
        FrequencyRecency::new("BG/NBD", horizon, TimeUnit::Days, 2, 30.0, 3, |h| model.expected_purchases(h, 4.0))
            .unwrap();
    Chart::new(
        &plot::frequency_recency(&grid).unwrap(),
        (800, 500),
        &["Expected purchases in the next 4 days (BG/NBD)", "expected purchases in 4 days"],
    );

    let bad = |t, bins, q| FrequencyRecency::new("m", q, TimeUnit::Days, 2, t, bins, |_| 0.5);
    assert!(matches!(bad(0.0, 3, GridQuantity::PAlive), Err(PlotError::InvalidOption { name: "t", .. })));
    assert!(matches!(bad(10.0, 0, GridQuantity::PAlive), Err(PlotError::InvalidOption { name: "recency_bins", .. })));
    let zero = GridQuantity::ExpectedPurchases { horizon: 0.0 };
    assert!(matches!(bad(10.0, 3, zero), Err(PlotError::InvalidOption { name: "horizon", .. })));
    let nan = FrequencyRecency::new("m", GridQuantity::PAlive, TimeUnit::Days, 2, 10.0, 2, |_| f64::NAN);
    assert!(matches!(nan, Err(PlotError::NonFinite { .. })));
}

#[test]
fn period_transactions_scale_the_simulation_and_draw_bars_side_by_side() {
    let actual = FitData::from_rows([(0, 0.0, 30.0, 60.0), (1, 10.0, 30.0, 25.0), (4, 28.0, 30.0, 15.0)]).unwrap();
    let simulated = FitData::from_rows([(0, 0.0, 30.0, 100.0), (2, 10.0, 30.0, 100.0)]).unwrap();
    let counts = PeriodTransactions::new("Pareto/NBD", &actual, &simulated, 3).unwrap();
    assert_eq!(counts.actual, [60.0, 25.0, 0.0, 15.0]);
    assert_eq!(counts.simulated, [50.0, 0.0, 50.0, 0.0]);
    let chart = Chart::new(
        &plot::period_transactions(&counts).unwrap(),
        (800, 500),
        &[
            "Period transactions: actual and simulated by Pareto/NBD",
            "customers",
            "repeat purchases in the calibration period",
            "3+",
            "simulated (Pareto/NBD)",
        ],
    );
    assert_eq!(chart.count("rect", BLUE), 4 + 1);
    assert_eq!(chart.count("rect", ORANGE), 4 + 1);
    let nobody = FitData::from_rows(std::iter::empty()).unwrap();
    assert!(matches!(PeriodTransactions::new("m", &actual, &nobody, 3), Err(PlotError::Empty { .. })));
}

fn arm(name: &str, holdout: bool, customers: u64, conversions: u64) -> ArmOutcome {
    ArmOutcome {
        arm: name.into(),
        holdout,
        customers,
        conversions,
        revenue: Money::ZERO,
        revenue_per_customer: Moments { n: customers, mean: 0.0, variance: 0.0 },
        moved_up: 0,
    }
}

#[test]
fn ab_test_draws_each_arm_and_each_uplift_with_its_interval() {
    let arms = [arm("offer A", false, 1000, 130), arm("holdout", true, 1000, 100), arm("offer <B>", false, 1000, 90)];
    let svg = plot::ab_test(&arms).unwrap();
    let chart = Chart::new(
        &svg,
        (800, 500),
        &[
            "A/B test: conversion per arm, and uplift over holdout",
            "conversion rate (%, 95% interval)",
            "uplift (percentage points, 95% CI)",
            "offer A vs holdout",
            "offer <B> vs holdout",
        ],
    );
    // Three rates and two uplifts, in the arms' colours.
    let circles = chart.doc().descendants().filter(|n| n.has_tag_name("circle")).count();
    assert_eq!(circles, 5);
    assert_eq!(chart.count("circle", BLUE), 2);
    assert!(svg.as_str().contains("offer &lt;B&gt;"));
    // An empty arm is named but not drawn.
    let with_empty = [arm("holdout", true, 1000, 100), arm("offer", false, 0, 0)];
    let chart = Chart::new(&plot::ab_test(&with_empty).unwrap(), (800, 500), &["offer vs holdout"]);
    assert_eq!(chart.doc().descendants().filter(|n| n.has_tag_name("circle")).count(), 1);
    assert!(matches!(plot::ab_test(&[arm("a", true, 0, 0)]), Err(PlotError::Empty { .. })));
}

#[test]
fn best_time_draws_a_line_per_run_of_touched_hours_and_names_the_offset() {
    let cells = |touched: &dyn Fn(u8) -> bool| -> Vec<TimingCell> {
        (0..168u8)
            .map(|h| {
                let touches = if touched(h) { 20 } else { 0 };
                TimingCell {
                    hour: HourOfWeek::try_from(h).unwrap(),
                    touches,
                    responses: touches / 4,
                    ci95: [0.1, 0.45],
                }
            })
            .collect()
    };
    let profile = TimingProfile {
        offset_seconds: 0,
        channels: vec![
            (Channel::Email, cells(&|_| true)),
            (Channel::Other("<sms> & co".into()), cells(&|h| h < 24 || (48..72).contains(&h))),
            (Channel::Web, cells(&|_| false)),
        ],
    };
    let svg = plot::best_time(&profile).unwrap();
    let chart = Chart::new(
        &svg,
        (800, 500),
        &[
            "Best time to engage",
            "response rate (% of touches)",
            "hour of the week (UTC)",
            "Mon",
            "Sun",
            "email",
            "<sms> & co",
        ],
    );
    assert_eq!(chart.count("polyline", BLUE), 1 + 1);
    assert_eq!(chart.count("polyline", ORANGE), 2 + 1);
    assert_eq!(chart.doc().descendants().filter(|n| n.has_tag_name("polygon")).count(), 3);
    assert!(!chart.texts().iter().any(|t| t == "web"));
    assert!(svg.as_str().contains("&lt;sms&gt; &amp; co"));
    let east = TimingProfile { offset_seconds: 5 * 3600 + 1800, ..profile.clone() };
    Chart::new(&plot::best_time(&east).unwrap(), (800, 500), &["hour of the week (UTC+05:30)"]);
    let west = TimingProfile { offset_seconds: -3600, ..profile };
    Chart::new(&plot::best_time(&west).unwrap(), (800, 500), &["hour of the week (UTC−01:00)"]);
    let silent = TimingProfile { offset_seconds: 0, channels: vec![(Channel::Web, cells(&|_| false))] };
    assert!(matches!(plot::best_time(&silent), Err(PlotError::Empty { .. })));
}

#[test]
fn svg_writes_to_a_file_and_says_where_it_could_not() {
    let rows = [HoldoutRow { frequency: 0, customers: 10, actual: 0.5, predicted: 0.4 }];
    let svg = plot::calibration_holdout(&rows, "m", TimeUnit::Weeks, 13.0).unwrap();
    let dir = std::env::temp_dir().join(format!("plot-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    svg.write_to(dir.join("a.svg")).unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("a.svg")).unwrap(), svg.to_string());
    let missing = dir.join("no-such-dir").join("a.svg");
    assert!(matches!(svg.write_to(&missing), Err(PlotError::Write { path, .. }) if path == missing));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(all(feature = "sim", feature = "csv"))]
#[allow(dead_code)]
#[path = "../examples/report.rs"]
mod report;

#[cfg(all(feature = "sim", feature = "csv"))]
mod report_example {
    use super::report;
    use std::path::Path;

    const FILES: [&str; 12] = [
        "ladder.svg",
        "flows.svg",
        "cohorts.svg",
        "leaking_bucket.svg",
        "rfm_segments.svg",
        "tracking.svg",
        "calibration_holdout.svg",
        "fr_expected.svg",
        "fr_p_alive.svg",
        "period_transactions.svg",
        "ab_test.svg",
        "best_time.svg",
    ];

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("plot-report-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn check_page(dir: &Path, svgs: usize) -> String {
        let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
        assert_eq!(html.matches("<svg").count(), svgs);
        assert!(!html.contains("<script"));
        assert!(!html.contains(" src=") && !html.contains(" href="));
        assert_eq!(html.matches("<figcaption>").count(), svgs);
        html
    }

    #[test]
    fn report_writes_every_chart_and_a_page_showing_them() {
        let dir = temp("sim");
        let out = dir.to_string_lossy().into_owned();
        let index = report::run(&args(&["--out", &out])).unwrap();
        assert_eq!(index, dir.join("index.html"));
        for file in FILES {
            let svg = std::fs::read_to_string(dir.join(file)).unwrap();
            roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
        let html = check_page(&dir, 12);
        assert!(html.contains("seed 42"));
        assert!(html.matches("Pareto/NBD").count() >= 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn report_on_a_transaction_log_draws_what_transactions_allow_and_lists_the_rest() {
        use customer_lifecycle::sim::{SimConfig, Simulator};
        use customer_lifecycle::{CustomerBase, EventKind, Policy};
        use std::fmt::Write as _;

        let sim = Simulator::new(SimConfig { customers: 3000, ..SimConfig::default() }, 7).unwrap();
        let mut base = CustomerBase::new(Policy::default());
        sim.populate(&mut base).unwrap();
        let mut csv = String::from("customer_id,date,amount\n");
        for customer in base.customers() {
            for event in base.events(customer.id()).into_iter().flatten() {
                if let EventKind::Purchase { amount } = event.kind {
                    writeln!(csv, "{},{},{amount}", customer.label(), event.at.date_naive()).unwrap();
                }
            }
        }
        let dir = temp("log");
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log.csv");
        std::fs::write(&log, csv).unwrap();
        let out = dir.join("out");
        let (log, out_s) = (log.to_string_lossy().into_owned(), out.to_string_lossy().into_owned());
        let run = |extra: &[&str]| {
            let mut all = args(&["--out", &out_s, "--transactions", &log]);
            all.extend(args(extra));
            report::run(&all)
        };
        run(&["--calibration-end", "2024-06-30", "--time-unit", "weeks"]).unwrap();
        let html = check_page(&out, 6);
        assert!(html.contains("Left out"));
        assert!(html.contains("<li>the ladder (needs the customers' stages)</li>"));
        for file in [
            "rfm_segments.svg",
            "tracking.svg",
            "calibration_holdout.svg",
            "fr_expected.svg",
            "fr_p_alive.svg",
            "period_transactions.svg",
        ] {
            assert!(out.join(file).exists(), "{file}");
        }
        assert!(!out.join("ladder.svg").exists());

        let usage = |r: Result<_, report::Failure>| matches!(r, Err(report::Failure::Usage(_)));
        let input = |r: Result<_, report::Failure>| matches!(r, Err(report::Failure::Input(_)));
        assert!(usage(run(&["--calibration-end", "2024-06-31", "--time-unit", "weeks"])));
        assert!(usage(run(&["--calibration-end", "2024-06-30", "--time-unit", "months"])));
        assert!(usage(run(&["--calibration-end", "2024-06-30", "--time-unit", "weeks", "--seed", "1"])));
        assert!(usage(report::run(&args(&["--seed", "1"]))));
        assert!(usage(report::run(&args(&["--out", &out_s, "--seed", "x"]))));
        assert!(usage(report::run(&args(&["--out", &out_s, "--bogus"]))));
        assert!(input(run(&["--calibration-end", "2030-01-01", "--time-unit", "weeks"])));
        let missing = dir.join("missing.csv").to_string_lossy().into_owned();
        let args = args(&[
            "--out",
            &out_s,
            "--transactions",
            &missing,
            "--calibration-end",
            "2024-06-30",
            "--time-unit",
            "days",
        ]);
        assert!(input(report::run(&args)));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The chart embedded in the `plot` module's documentation is the one its
/// example draws. `PLOT_BLESS=1 cargo test --features plot plot::doc_chart`
/// rewrites it.
#[test]
fn doc_chart_is_what_the_doc_example_draws() {
    let row = |frequency, customers, actual, predicted| HoldoutRow { frequency, customers, actual, predicted };
    let rows = [row(0, 1411, 0.24, 0.23), row(1, 439, 0.70, 0.63), row(2, 214, 1.39, 1.19), row(3, 100, 1.56, 1.71)];
    let svg = plot::calibration_holdout(&rows, "BG/NBD", TimeUnit::Weeks, 39.0).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/plot/example.svg");
    if std::env::var_os("PLOT_BLESS").is_some() {
        svg.write_to(path).unwrap();
    }
    assert_eq!(std::fs::read_to_string(path).unwrap(), svg.as_str());
}

#[test]
fn tracking_periods_end_at_the_calibration_end() {
    // First purchase on a Wednesday, calibration ending on a Sunday: the
    // first week starts on the Monday before the first purchase.
    let log = [
        Transaction { key: "a".into(), date: day("2024-01-03"), amount: Money::ZERO },
        Transaction { key: "a".into(), date: day("2024-01-15"), amount: Money::ZERO },
        Transaction { key: "a".into(), date: day("2024-01-22"), amount: Money::ZERO },
    ];
    let tracking =
        Tracking::from_transactions("m", &log, day("2024-01-14"), day("2024-01-24"), TimeUnit::Weeks, |t| t).unwrap();
    assert_eq!(tracking.start, day("2024-01-01"));
    assert_eq!(tracking.actual, [0.0, 0.0, 1.0, 1.0]);
    // The last, short week ends at the holdout end: 24 − 3 = 21 days in all.
    let total: f64 = tracking.expected.iter().sum();
    assert!((total - 3.0).abs() < 1e-12);
}
