//! A one-page report of charts: simulates a customer base (or reads a
//! transaction log) and writes `DIR/index.html`, one self-contained page
//! with every chart as an inline `<svg>` and a sentence under each, plus
//! one SVG file per chart.
//!
//! ```text
//! cargo run --release --features plot --example report -- --out DIR [--seed N]
//! cargo run --release --features plot --example report -- --out DIR \
//!     --transactions log.csv --calibration-end 1997-09-30 --time-unit weeks
//! ```
//!
//! Without `--transactions` it simulates a base with the simulator's default
//! configuration (seed 42 unless `--seed` says otherwise) and draws all
//! twelve charts: `ladder.svg`, `flows.svg`, `cohorts.svg`,
//! `leaking_bucket.svg`, `rfm_segments.svg`, `tracking.svg`,
//! `calibration_holdout.svg`, `fr_expected.svg`, `fr_p_alive.svg`,
//! `period_transactions.svg`, `ab_test.svg` and `best_time.svg`. The model
//! charts fit a Pareto/NBD on a calibration period and hold out the last 26
//! weeks. With a transaction log (`customer_id,date,amount`, as the `clv`
//! example reads it) it draws the charts that need only transactions (the
//! RFM segments and the model charts, calibrated up to `--calibration-end`
//! and held out to the log's last day), and the page lists the charts left
//! out. Progress goes to stderr; bad usage exits 2, bad input exits 1, each
//! with one `error:` line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{FixedOffset, NaiveDate, TimeDelta};
use customer_lifecycle::advocacy::leaking_bucket;
use customer_lifecycle::analytics::{CohortPeriod, CohortTable, Funnel, TransitionMatrix};
use customer_lifecycle::campaign::{Arm, AttributionOptions, Audience, Experiment, TimingProfile};
use customer_lifecycle::clv::{
    FitData, FitOptions, HoldoutData, ModelValuation, ParetoNbd, PurchaseModel, Summary, TimeUnit, holdout_table,
};
use customer_lifecycle::plot::{self, FrequencyRecency, GridQuantity, PeriodTransactions, Svg, Tracking};
use customer_lifecycle::score::{Rfm, RfmSegments};
use customer_lifecycle::sim::{CampaignSim, SimConfig, Simulator};
use customer_lifecycle::{
    CampaignId, Customer, CustomerBase, CustomerId, EventKind, Policy, Purpose, Transaction, TransactionCsv, Window,
};

const USAGE: &str = "usage: report --out DIR [--seed N] | report --out DIR --transactions FILE.csv \
                     --calibration-end YYYY-MM-DD --time-unit days|weeks";

/// Why the report was not written: bad usage (exit 2) or bad input (exit 1).
#[derive(Debug)]
pub enum Failure {
    /// The command line is wrong.
    Usage(String),
    /// The data could not be read, fitted or drawn, or the files written.
    Input(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(index) => {
            eprintln!("wrote {}", index.display());
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Input(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn input(e: impl std::fmt::Display) -> Failure {
    Failure::Input(e.to_string())
}

/// One chart of the page.
struct Chart {
    file: &'static str,
    heading: &'static str,
    svg: Svg,
    caption: String,
}

/// Runs the example on its arguments and returns the path of `index.html`.
///
/// # Errors
///
/// [`Failure::Usage`] for a bad command line, [`Failure::Input`] for data
/// that cannot be read, fitted or drawn, or files that cannot be written.
pub fn run(args: &[String]) -> Result<PathBuf, Failure> {
    let (mut out, mut seed, mut transactions, mut end, mut unit) = (None, None, None, None, None);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().cloned().ok_or_else(|| Failure::Usage(format!("{flag} needs a value; {USAGE}")));
        match flag.as_str() {
            "--out" => out = Some(value()?),
            "--seed" => seed = Some(value()?),
            "--transactions" => transactions = Some(value()?),
            "--calibration-end" => end = Some(value()?),
            "--time-unit" => unit = Some(value()?),
            other => return Err(Failure::Usage(format!("unknown argument {other:?}; {USAGE}"))),
        }
    }
    let out = PathBuf::from(out.ok_or_else(|| Failure::Usage(format!("--out is required; {USAGE}")))?);
    let (intro, charts, left_out) = match transactions {
        None => {
            if end.is_some() || unit.is_some() {
                return Err(Failure::Usage(format!("--calibration-end and --time-unit need --transactions; {USAGE}")));
            }
            let seed = match seed {
                None => 42,
                Some(s) => s.parse().map_err(|_| Failure::Usage(format!("--seed {s:?} is not a whole number")))?,
            };
            simulated(seed)?
        }
        Some(path) => {
            if seed.is_some() {
                return Err(Failure::Usage(format!("--seed is for the simulated base only; {USAGE}")));
            }
            let unit = match unit.as_deref() {
                Some("days") => TimeUnit::Days,
                Some("weeks") => TimeUnit::Weeks,
                _ => return Err(Failure::Usage(format!("--time-unit must be days or weeks; {USAGE}"))),
            };
            let end = end.ok_or_else(|| Failure::Usage(format!("--calibration-end is required; {USAGE}")))?;
            let calibration_end = parse_day(&end).ok_or_else(|| {
                Failure::Usage(format!("--calibration-end {end:?} is not a calendar date YYYY-MM-DD"))
            })?;
            from_log(&path, calibration_end, unit)?
        }
    };
    std::fs::create_dir_all(&out).map_err(|e| input(format!("cannot create {}: {e}", out.display())))?;
    for chart in &charts {
        chart.svg.write_to(out.join(chart.file)).map_err(input)?;
    }
    let index = out.join("index.html");
    std::fs::write(&index, page(&intro, &charts, &left_out))
        .map_err(|e| input(format!("cannot write {}: {e}", index.display())))?;
    Ok(index)
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if shape { NaiveDate::parse_from_str(text, "%Y-%m-%d").ok() } else { None }
}

type Report = (String, Vec<Chart>, Vec<&'static str>);

/// All twelve charts of a simulated base.
fn simulated(seed: u64) -> Result<Report, Failure> {
    eprintln!("simulating a base (seed {seed})…");
    let sim = Simulator::new(SimConfig::default(), seed).map_err(input)?;
    let mut base = CustomerBase::new(Policy::default());
    sim.populate(&mut base).map_err(input)?;
    let end = sim.end();
    base.advance_to(end);
    let last_day = (end - TimeDelta::seconds(1)).date_naive();
    let start = sim.config().start;
    let mut charts = Vec::new();

    let funnel = Funnel::from_base(&base, Window::new(start, end).map_err(input)?);
    charts.push(Chart {
        file: "ladder.svg",
        heading: "The ladder",
        svg: plot::ladder(&funnel).map_err(input)?,
        caption: format!(
            "How many customers stand at each ladder stage on {last_day} (bar width), and of those who first \
             reached a stage since {}, the share who went on to the next.",
            start.date_naive()
        ),
    });

    let year = Window::new(end - TimeDelta::days(364), end).map_err(input)?;
    let flows = TransitionMatrix::from_base(&base, year);
    charts.push(Chart {
        file: "flows.svg",
        heading: "Stage flows",
        svg: plot::stage_flows(&flows).map_err(input)?,
        caption: format!(
            "Where the customers who stood at each stage on {} stood a year later: each row's cells are the \
             share (colour) and number (text) of that stage's customers found at each stage on {}.",
            year.start().date_naive(),
            year.end().date_naive()
        ),
    });

    let cohorts = CohortTable::from_base(&base, CohortPeriod::Quarter, last_day);
    charts.push(Chart {
        file: "cohorts.svg",
        heading: "Retention cohorts",
        svg: plot::cohorts(&cohorts).map_err(input)?,
        caption: "Customers grouped by the quarter of their first purchase: the share of each cohort that bought \
                  again in each quarter since (the last quarter may be partial)."
            .to_owned(),
    });

    eprintln!("valuing customers for the leaking bucket…");
    let today = end.date_naive();
    let summary = Summary::from_base(&base, today, TimeUnit::Weeks).map_err(input)?;
    // A year ahead in thirteen four-week periods at 1% a period, with the
    // modified BG/NBD, which lets one-time buyers lapse.
    let valuation = ModelValuation::fit(&summary, 13, 4.0, 0.01, &FitOptions::default()).map_err(input)?;
    let boundaries: Vec<NaiveDate> = (0..=4).rev().map(|k| quarter_start(today, k)).collect();
    let bucket = leaking_bucket(&base, &boundaries, &valuation, 0.5).map_err(input)?;
    charts.push(Chart {
        file: "leaking_bucket.svg",
        heading: "The leaking bucket",
        svg: plot::leaking_bucket(&bucket).map_err(input)?,
        caption: format!(
            "Per quarter, the customers won (first purchase), the customers lost (churned, or whose P(alive) \
             under a modified BG/NBD fit fell below {}), and the net change.",
            bucket.p_alive_threshold
        ),
    });

    let log = transactions_of(&base);
    let rfm = Rfm::from_base(&base, last_day).map_err(input)?;
    charts.push(rfm_chart(rfm.as_of(), plot::rfm_segments(&rfm, &RfmSegments::default()).map_err(input)?));

    let calibration_end = last_day - TimeDelta::weeks(26);
    charts.extend(model_charts(&log, calibration_end, last_day, TimeUnit::Weeks, seed)?);

    eprintln!("running a campaign with a holdout…");
    let (arms, timing) = campaign(&base, end, seed)?;
    charts.push(Chart {
        file: "ab_test.svg",
        heading: "A/B test",
        svg: plot::ab_test(&arms).map_err(input)?,
        caption: "A simulated two-week email offer against a holdout: each arm's conversion rate with its 95% \
                  interval, and the offer's uplift in percentage points with its 95% interval (a difference \
                  whose interval excludes zero is significant at the 5% level)."
            .to_owned(),
    });
    charts.push(Chart {
        file: "best_time.svg",
        heading: "Best time to engage",
        svg: plot::best_time(&timing).map_err(input)?,
        caption: "For each channel, the share of touches answered within a week, by the hour of the week the touch \
                  was made (UTC)."
            .to_owned(),
    });

    let intro = format!(
        "A simulated base: {} people over {} days from {} (the simulator's default configuration, seed {seed}).",
        thousands(base.len()),
        sim.config().days,
        start.date_naive()
    );
    Ok((intro, charts, Vec::new()))
}

/// The first day of the quarter `back` quarters before the one holding `day`.
fn quarter_start(day: NaiveDate, back: u32) -> NaiveDate {
    use chrono::Datelike;
    let index = day.year() * 4 + day.month0() as i32 / 3 - back as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(4), index.rem_euclid(4) as u32 * 3 + 1, 1).expect("a valid quarter")
}

/// The purchases of the customers who allow profiling, as a transaction log.
fn transactions_of(base: &CustomerBase) -> Vec<Transaction> {
    let mut log = Vec::new();
    for customer in base.customers().filter(|c| c.consent().allows(Purpose::Profiling)) {
        for event in base.events(customer.id()).into_iter().flatten() {
            if let EventKind::Purchase { amount } = event.kind {
                log.push(Transaction { key: customer.label(), date: event.at.date_naive(), amount });
            }
        }
    }
    log
}

fn rfm_chart(as_of: NaiveDate, svg: Svg) -> Chart {
    Chart {
        file: "rfm_segments.svg",
        heading: "RFM segments",
        svg,
        caption: format!(
            "Customers scored by recency, frequency and monetary value (quintiles) as of {as_of}, grouped into the \
             standard named segments: how many customers (left) and how much revenue (right) each holds."
        ),
    }
}

/// The five model charts of a Pareto/NBD fitted on the log up to
/// `calibration_end`, held out to `holdout_end`.
fn model_charts(
    log: &[Transaction],
    calibration_end: NaiveDate,
    holdout_end: NaiveDate,
    unit: TimeUnit,
    seed: u64,
) -> Result<Vec<Chart>, Failure> {
    eprintln!("fitting a Pareto/NBD up to {calibration_end}…");
    let records = log.iter().map(|t| (t.key.as_str(), t.date, t.amount));
    let split = HoldoutData::from_records(records, calibration_end, holdout_end, unit).map_err(input)?;
    let data = FitData::from_summary(&split.calibration.customers).map_err(input)?;
    let model = ParetoNbd::fit(&data, &FitOptions::default()).map_err(input)?.model;
    let name = "Pareto/NBD";
    let units = if unit == TimeUnit::Days { "days" } else { "weeks" };
    let mut charts = Vec::new();

    let tracking = Tracking::from_transactions(name, log, calibration_end, holdout_end, unit, |tau| {
        model.expected_purchases_new(tau)
    })
    .map_err(input)?;
    charts.push(Chart {
        file: "tracking.svg",
        heading: "Model tracking",
        svg: plot::tracking(&tracking).map_err(input)?,
        caption: format!(
            "Repeat transactions of the customers who bought by {calibration_end}, cumulative (top) and per \
             {} (bottom): actual, and as the Pareto/NBD fitted up to the calibration end expects them; the \
             holdout runs to {holdout_end}.",
            &units[..units.len() - 1]
        ),
    });

    let rows = holdout_table(&split, 7, &model);
    charts.push(Chart {
        file: "calibration_holdout.svg",
        heading: "Calibration against holdout",
        svg: plot::calibration_holdout(&rows, name, unit, split.holdout_length).map_err(input)?,
        caption: "Customers grouped by their repeat purchases in the calibration period: their mean purchases in \
                  the holdout, actual and as the Pareto/NBD predicts them (the last group: seven or more)."
            .to_owned(),
    });

    let t = split.calibration.customers.iter().map(|c| c.t).fold(0.0, f64::max);
    let max_x = split.calibration.customers.iter().map(|c| c.frequency).max().unwrap_or(0).clamp(1, 10);
    let horizon = if unit == TimeUnit::Days { 28.0 } else { 4.0 };
    let expected = FrequencyRecency::new(name, GridQuantity::ExpectedPurchases { horizon }, unit, max_x, t, 10, |h| {
        model.expected_purchases(h, horizon)
    })
    .map_err(input)?;
    charts.push(Chart {
        file: "fr_expected.svg",
        heading: "Frequency/recency: expected purchases",
        svg: plot::frequency_recency(&expected).map_err(input)?,
        caption: format!(
            "The Pareto/NBD's expected purchases in the next {horizon} {units} for a customer first seen {t:.0} \
             {units} before the calibration end, by repeat purchases and recency (time of the last purchase); \
             a customer without repeat purchases has recency 0."
        ),
    });
    let alive =
        FrequencyRecency::new(name, GridQuantity::PAlive, unit, max_x, t, 10, |h| model.p_alive(h)).map_err(input)?;
    charts.push(Chart {
        file: "fr_p_alive.svg",
        heading: "Frequency/recency: P(alive)",
        svg: plot::frequency_recency(&alive).map_err(input)?,
        caption: format!(
            "The Pareto/NBD's probability that the same customer is still buying: frequent buyers who have not \
             bought for a long time ({units} since the last purchase = {t:.0} − recency) are probably gone."
        ),
    });

    // Simulate each group of customers with the same T, so that the
    // simulated customers are observed as long as the actual ones.
    let mut by_t: Vec<(f64, f64)> = Vec::new();
    for (_, _, t, n) in data.rows() {
        match by_t.iter_mut().find(|(u, _)| u.to_bits() == t.to_bits()) {
            Some((_, m)) => *m += n,
            None => by_t.push((t, n)),
        }
    }
    let mut rows = Vec::new();
    for (k, (t, n)) in by_t.into_iter().enumerate() {
        if t > 0.0 {
            let simulated = model.simulate(n.round() as usize, t, seed.wrapping_add(k as u64)).map_err(input)?;
            rows.extend(simulated.rows());
        } else {
            rows.push((0, 0.0, t, n));
        }
    }
    let simulated = FitData::from_rows(rows).map_err(input)?;
    let counts = PeriodTransactions::new(name, &data, &simulated, 7).map_err(input)?;
    charts.push(Chart {
        file: "period_transactions.svg",
        heading: "Period transactions",
        svg: plot::period_transactions(&counts).map_err(input)?,
        caption: "How many customers made 0, 1, 2, … repeat purchases in the calibration period (the last bar: \
                  seven or more), actual and simulated from the fitted Pareto/NBD for customers observed as long."
            .to_owned(),
    });
    Ok(charts)
}

/// A two-week email offer from `start` to the consenting customers, one in
/// five held out; the arms' outcomes and the timing profile of the base
/// with the campaign in it.
fn campaign(
    base: &CustomerBase,
    start: chrono::DateTime<chrono::Utc>,
    seed: u64,
) -> Result<(Vec<customer_lifecycle::campaign::ArmOutcome>, TimingProfile), Failure> {
    let mut base = base.clone();
    let audience: Audience =
        base.customers().filter(|c| c.consent().allows(Purpose::Contact)).map(Customer::id).collect();
    let test = Experiment::new(7, vec![Arm::holdout("holdout", 1), Arm::treatment("offer", 4)]).map_err(input)?;
    let run = CampaignSim { conversion_lift: 0.04, ..CampaignSim::new(CampaignId::from_key("spring-promo"), start) };
    let ids: Vec<CustomerId> = audience.iter().collect();
    for event in run.events(&ids, Some(&test), seed).map_err(input)? {
        base.apply(&event).map_err(input)?;
    }
    let window = AttributionOptions::default().window;
    let arms = test.outcomes(&base, Some(&audience), run.start, run.end() + window).map_err(input)?;
    let utc = FixedOffset::east_opt(0).expect("zero is a valid offset");
    let timing = TimingProfile::new(&base, utc, TimeDelta::days(7), None).map_err(input)?;
    Ok((arms, timing))
}

/// The charts that need only transactions, from a log.
fn from_log(path: &str, calibration_end: NaiveDate, unit: TimeUnit) -> Result<Report, Failure> {
    eprintln!("reading {path}…");
    let log = TransactionCsv::new().read_path(path).map_err(|e| {
        // The reader names the file when it cannot open it, not on a bad line.
        let message = e.to_string();
        input(if message.contains(path) { message } else { format!("{path}: {message}") })
    })?;
    let last = log.iter().map(|t| t.date).max().ok_or_else(|| input(format!("{path}: no transactions")))?;
    if last <= calibration_end {
        return Err(input(format!(
            "{path}: no transaction after the calibration end {calibration_end}, nothing to hold out"
        )));
    }
    let mut charts = Vec::new();
    let rfm = Rfm::from_records(log.iter().map(|t| (t.key.clone(), t.date, t.amount)), last).map_err(input)?;
    charts.push(rfm_chart(last, plot::rfm_segments(&rfm, &RfmSegments::default()).map_err(input)?));
    charts.extend(model_charts(&log, calibration_end, last, unit, 42)?);
    let intro = format!(
        "The transaction log {}: {} purchases up to {last}; the models are calibrated up to {calibration_end} \
         and held out after it.",
        Path::new(path).file_name().map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned()),
        thousands(log.len())
    );
    let left_out = vec![
        "the ladder (needs the customers' stages)",
        "stage flows (needs the customers' stages)",
        "retention cohorts (drawn from a customer base)",
        "the leaking bucket (needs the customers' stages)",
        "the A/B test (needs an experiment)",
        "best time to engage (needs touches and responses)",
    ];
    Ok((intro, charts, left_out))
}

/// `n` with commas between thousands.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `&`, `<`, `>` and `"` as HTML entities.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The self-contained page: no script, no external reference.
fn page(intro: &str, charts: &[Chart], left_out: &[&str]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Customer lifecycle report</title>\n<style>\n\
         body { font-family: sans-serif; max-width: 860px; margin: 2em auto; padding: 0 1em; color: #222; }\n\
         figure { margin: 2.5em 0; }\n svg { max-width: 100%; height: auto; }\n\
         figcaption { font-size: 15px; line-height: 1.45; margin-top: 0.4em; }\n</style>\n</head>\n<body>\n\
         <h1>Customer lifecycle report</h1>\n",
    );
    let _ = writeln!(html, "<p>{}</p>", escape(intro));
    if !left_out.is_empty() {
        html.push_str("<p>Left out, as a transaction log cannot draw them:</p>\n<ul>\n");
        for item in left_out {
            let _ = writeln!(html, "<li>{}</li>", escape(item));
        }
        html.push_str("</ul>\n");
    }
    for chart in charts {
        let _ = writeln!(
            html,
            "<figure id=\"{}\">\n<h2>{}</h2>\n{}\n<figcaption>{}</figcaption>\n</figure>",
            chart.file.trim_end_matches(".svg"),
            escape(chart.heading),
            chart.svg.as_str().trim_end(),
            escape(&chart.caption)
        );
    }
    html.push_str("</body>\n</html>\n");
    html
}
