//! Fits BG/NBD, Pareto/NBD and Gamma-Gamma to a customer summary or a
//! transaction log and prints one JSON object with the three fits and a
//! prediction per customer.
//!
//! ```text
//! cargo run --release --example clv -- --summary tests/data/cdnow_summary.csv
//! cargo run --release --example clv -- --transactions log.csv --time-unit weeks --calibration-end 1997-09-30
//! cargo run --release --example clv -- --discrete tests/data/donations.csv --horizon 5
//! cargo run --release --example clv -- --survivors 1000,631,468,382,326,289,262,241 --periods 12
//! cargo run --release --example clv -- --summary tests/data/cdnow_summary.csv --covariates tests/data/cdnow_covariates.csv
//! cargo run --release --example clv -- --summary tests/data/cdnow_summary.csv --intervals 0.9 --draws 200 --seed 0
//! ```
//!
//! `--discrete FILE.csv` reads discrete-time patterns (columns
//! `frequency,recency,periods,count`, matched by name) and prints
//! `{"bgbb": {"alpha", "beta", "gamma", "delta", "log_likelihood"},
//! "patterns": [{"frequency", "recency", "periods", "count", "p_alive",
//! "expected_purchases"}]}`: the BG/BB fit, and per pattern in input order
//! P(alive) at the next opportunity and the expected transactions in the
//! next `--horizon` opportunities (default 5). `--survivors` takes one
//! cohort's survivor counts and prints `{"sbg": {"alpha", "beta",
//! "log_likelihood"}, "survival": [...], "retention": [...]}`: the sBG fit,
//! the fitted S(t) for t = 0..=`--periods` (default 12; S(0) = 1) and the
//! retention rates r(1), …, r(`--periods`).
//!
//! `--covariates COV.csv` (with `--summary` or `--transactions`) reads a
//! `customer_id` column and numeric covariate columns, one row per customer
//! (every customer fitted needs one; other rows are ignored), and fits the
//! BG/NBD and the Pareto/NBD with covariates in `CLVTools`' parameterisation:
//! both processes take every column unless `--purchase-covariates a,b` /
//! `--dropout-covariates c` name theirs. The `bgnbd` and `pareto_nbd`
//! objects then hold the parameters at covariate value 0, the covariate
//! fit's log-likelihood, `"covariates": {"purchase": {name: coef},
//! "dropout": {name: coef}}` and `"standard_errors": {"r", "alpha", …,
//! "purchase": {name: se}, "dropout": {name: se}}` on the natural scale
//! (`null` where the Hessian is not positive definite); the per-customer
//! predictions come from the BG/NBD at each customer's own parameters.
//!
//! `--intervals LEVEL` (in (0, 1)) adds `NAME_lower` and `NAME_upper` beside
//! each per-customer prediction `NAME` (`expected_purchases_39`, `p_alive`,
//! `expected_avg_value`): a parametric bootstrap of `--draws` parameter sets
//! (default 200) from the fits' normal approximations on the log scale,
//! seeded by `--seed` (default 0), with the percentiles at (1 ∓ LEVEL)/2
//! interpolated linearly (numpy's default).
//!
//! The summary file has the columns `customer_id,frequency,recency,T,monetary_value`;
//! the transaction log `customer_id,date,amount`, one purchase per row, dates
//! `YYYY-MM-DD`, amounts with at most two fraction digits. Customers appear
//! in the order of their first row in the file (rows after the calibration
//! end included in that ordering); those with no purchase on or before the
//! calibration end are left out. Bad input exits non-zero with a one-line
//! error naming the line. When spend does not vary between customers beyond
//! chance, so that the Gamma-Gamma's maximum is at q → ∞ (or far out on a
//! flat ridge), and likewise when dropout does not vary between customers
//! (the BG/NBD's maximum at a, b → ∞, the Pareto/NBD's at s, β → ∞), the
//! model is fitted with the weakest of a few tiny L2 penalties that settles
//! ([`fit_on_ridge`]), and a note goes to stderr: the predictions are then
//! within a hair of the likelihood's supremum, the parameters a point far
//! out on the ridge. A fit that fails otherwise is an error naming the
//! model, with exit status 1; so is a standard output closed early, with
//! one `error:` line.
//!
//! `--order key` (with `--summary` or `--transactions`) prints the customers
//! sorted by the bytes of their keys instead of in input order, the order a
//! partitioned computation can reproduce (`--order input` is the default).

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use customer_lifecycle::clv::{
    BgBb, BgNbd, BgNbdFit, ClvError, CovariateData, CovariateFit, CovariateKind, CovariateModel, CovariateOptions,
    CovariateSpec, CovariateTable, CustomerSummary, DiscretePattern, FitData, FitOptions, GammaGamma, History,
    Interval, IntervalOptions, ParetoNbd, ParetoNbdFit, Process, PurchaseModel, RetentionModel, SpendData, Summary,
    TimeUnit, fit_on_ridge, intervals, parametric_draws, spend_draws,
};
use customer_lifecycle::csv::{FeatureCsv, SummaryCsv, TransactionCsv};
use serde::Serialize;
use serde::ser::SerializeMap;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = run(&args).and_then(|json| write_output(&json, &mut std::io::stdout().lock()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line, whatever the underlying message held.
            eprintln!("error: {}", message.replace(['\n', '\r'], " "));
            ExitCode::FAILURE
        }
    }
}

/// Writes the JSON text and a newline, and flushes.
///
/// # Errors
///
/// A one-line message when the output cannot be written (for instance a
/// standard output closed early, `| head -c1`): the program stops there
/// and exits 1 instead of panicking.
pub fn write_output(json: &str, out: &mut impl Write) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write the output: {e}");
    out.write_all(json.as_bytes()).map_err(fail)?;
    out.write_all(b"\n").map_err(fail)?;
    out.flush().map_err(fail)
}

#[derive(Serialize)]
struct Output {
    bgnbd: BgNbdOut,
    pareto_nbd: ParetoOut,
    gamma_gamma: GammaGammaOut,
    customers: Vec<CustomerOut>,
}

#[derive(Serialize)]
struct BgNbdOut {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    log_likelihood: f64,
    /// With `--covariates`: the coefficients and the standard errors.
    #[serde(flatten)]
    covariates: Option<CovariatesOut>,
}

#[derive(Serialize)]
struct ParetoOut {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    log_likelihood: f64,
    /// With `--covariates`: the coefficients and the standard errors.
    #[serde(flatten)]
    covariates: Option<CovariatesOut>,
}

/// `{name: value}` in the order of the covariate file's header.
struct Named(Vec<(String, f64)>);

impl Serialize for Named {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct CovariatesOut {
    covariates: CoefficientsOut,
    /// `null` when the Hessian is not positive definite.
    standard_errors: Option<ErrorsOut>,
}

#[derive(Serialize)]
struct CoefficientsOut {
    purchase: Named,
    dropout: Named,
}

/// The standard errors: the four parameters by name, then the coefficients.
struct ErrorsOut {
    params: [(&'static str, f64); 4],
    purchase: Named,
    dropout: Named,
}

impl Serialize for ErrorsOut {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(6))?;
        for (name, value) in &self.params {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry("purchase", &self.purchase)?;
        map.serialize_entry("dropout", &self.dropout)?;
        map.end()
    }
}

#[derive(Serialize)]
struct GammaGammaOut {
    p: f64,
    q: f64,
    v: f64,
    log_likelihood: f64,
    customers_used: u64,
}

#[derive(Serialize)]
struct CustomerOut {
    customer_id: String,
    frequency: u32,
    recency: f64,
    #[serde(rename = "T")]
    t: f64,
    monetary_value: f64,
    expected_purchases_39: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_purchases_39_lower: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_purchases_39_upper: Option<f64>,
    p_alive: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    p_alive_lower: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p_alive_upper: Option<f64>,
    expected_avg_value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_avg_value_lower: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_avg_value_upper: Option<f64>,
}

const USAGE: &str = "usage: clv --summary FILE.csv | clv --transactions FILE.csv --time-unit days|weeks \
     --calibration-end YYYY-MM-DD [--order input|key] | clv --discrete FILE.csv [--horizon N] | clv --survivors N0,N1,... [--periods N]; \
     with --summary or --transactions: [--covariates COV.csv [--purchase-covariates a,b] [--dropout-covariates c]] \
     [--intervals LEVEL [--draws N] [--seed N]]";

/// The optional parts of a continuous-time run: covariates and intervals.
#[derive(Default)]
struct Extras {
    covariates: Option<String>,
    purchase: Option<String>,
    dropout: Option<String>,
    intervals: Option<String>,
    draws: Option<String>,
    seed: Option<String>,
}

/// What the extras ask for, parsed.
struct Plan {
    covariates: Option<(CovariateTable, CovariateSpec)>,
    intervals: Option<IntervalOptions>,
}

impl Extras {
    fn any(&self) -> bool {
        self.covariates.is_some()
            || self.purchase.is_some()
            || self.dropout.is_some()
            || self.intervals.is_some()
            || self.draws.is_some()
            || self.seed.is_some()
    }

    fn plan(&self) -> Result<Plan, String> {
        if self.covariates.is_none() && (self.purchase.is_some() || self.dropout.is_some()) {
            return Err(format!("--purchase-covariates and --dropout-covariates need --covariates; {USAGE}"));
        }
        if self.intervals.is_none() && (self.draws.is_some() || self.seed.is_some()) {
            return Err(format!("--draws and --seed need --intervals; {USAGE}"));
        }
        let intervals = match &self.intervals {
            None => None,
            Some(text) => {
                let level = text
                    .parse::<f64>()
                    .ok()
                    .filter(|l| *l > 0.0 && *l < 1.0)
                    .ok_or_else(|| format!("--intervals {text:?} is not a level in (0, 1)"))?;
                let draws = match &self.draws {
                    None => 200,
                    Some(text) => text
                        .parse::<usize>()
                        .ok()
                        .filter(|d| *d >= 2)
                        .ok_or_else(|| format!("--draws {text:?} is not a whole number of at least 2"))?,
                };
                let seed = match &self.seed {
                    None => 0,
                    Some(text) => text.parse::<u64>().map_err(|_| format!("--seed {text:?} is not a whole number"))?,
                };
                Some(IntervalOptions { level, draws, seed })
            }
        };
        let covariates = match &self.covariates {
            None => None,
            Some(path) => {
                let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
                let features =
                    FeatureCsv::new().from_reader(std::io::BufReader::new(file)).map_err(|e| format!("{path}: {e}"))?;
                let table = CovariateTable::from_features(&features, None).map_err(|e| format!("{path}: {e}"))?;
                let names = |list: &Option<String>| -> Vec<String> {
                    list.as_deref().map_or_else(
                        || table.names().to_vec(),
                        |l| l.split(',').map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect(),
                    )
                };
                let spec =
                    CovariateSpec { purchase: names(&self.purchase), dropout: names(&self.dropout), both: vec![] };
                Some((table, spec))
            }
        };
        Ok(Plan { covariates, intervals })
    }
}

/// Runs the example on its command-line arguments and returns the JSON text.
///
/// # Errors
///
/// A one-line message: bad arguments, an unreadable file, a bad line (named),
/// or a fit that failed.
pub fn run(args: &[String]) -> Result<String, String> {
    let mut summary = None;
    let mut transactions = None;
    let mut unit = None;
    let mut end = None;
    let (mut discrete, mut survivors, mut horizon, mut periods) = (None, None, None, None);
    let mut extras = Extras::default();
    let mut order = None;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().cloned().ok_or_else(|| format!("{flag} needs a value; {USAGE}"));
        match flag.as_str() {
            "--summary" => summary = Some(value()?),
            "--transactions" => transactions = Some(value()?),
            "--time-unit" => unit = Some(value()?),
            "--calibration-end" => end = Some(value()?),
            "--discrete" => discrete = Some(value()?),
            "--survivors" => survivors = Some(value()?),
            "--horizon" => horizon = Some(value()?),
            "--periods" => periods = Some(value()?),
            "--covariates" => extras.covariates = Some(value()?),
            "--purchase-covariates" => extras.purchase = Some(value()?),
            "--dropout-covariates" => extras.dropout = Some(value()?),
            "--intervals" => extras.intervals = Some(value()?),
            "--draws" => extras.draws = Some(value()?),
            "--seed" => extras.seed = Some(value()?),
            "--order" => order = Some(value()?),
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    let by_key = match order.as_deref() {
        None | Some("input") => false,
        Some("key") => true,
        Some(other) => return Err(format!("--order must be input or key, not {other:?}; {USAGE}")),
    };
    let continuous = summary.is_some()
        || transactions.is_some()
        || unit.is_some()
        || end.is_some()
        || extras.any()
        || order.is_some();
    match (discrete, survivors) {
        (Some(path), None) if !continuous && periods.is_none() => return discrete_json(&path, horizon.as_deref()),
        (None, Some(counts)) if !continuous && horizon.is_none() => return survivors_json(&counts, periods.as_deref()),
        (None, None) if horizon.is_none() && periods.is_none() => {}
        _ => return Err(USAGE.to_owned()),
    }
    let mut customers = match (summary, transactions) {
        (Some(path), None) if unit.is_none() && end.is_none() => {
            let file = std::fs::File::open(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
            SummaryCsv::new().from_reader(std::io::BufReader::new(file)).map_err(|e| format!("{path}: {e}"))?
        }
        (None, Some(path)) => {
            let unit = match unit.as_deref() {
                Some("days") => TimeUnit::Days,
                Some("weeks") => TimeUnit::Weeks,
                _ => return Err(format!("--time-unit must be days or weeks; {USAGE}")),
            };
            let end = end.ok_or_else(|| format!("--calibration-end is required; {USAGE}"))?;
            let calibration_end = parse_day(&end)
                .ok_or_else(|| format!("--calibration-end {end:?} is not a calendar date YYYY-MM-DD"))?;
            let log = TransactionCsv::new().from_path(&path).map_err(|e| format!("{path}: {e}"))?;
            let mut customers = Summary::from_log(&log, calibration_end, unit).map_err(|e| e.to_string())?.customers;
            // The contract orders customers by their first row in the file,
            // rows after the calibration end included: the order of the
            // log's keys.
            let first_row: HashMap<&str, usize> = log.keys().iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
            // One look-up per customer, not one per comparison.
            customers.sort_by_cached_key(|c| first_row[c.key.as_str()]);
            customers
        }
        _ => return Err(USAGE.to_owned()),
    };
    if by_key {
        // String order is byte order.
        customers.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    }
    let plan = extras.plan()?;
    let json = serde_json::to_string(&fit_all(customers, &plan)?).map_err(|e| e.to_string())?;
    Ok(json)
}

#[derive(Serialize)]
struct DiscreteOutput {
    bgbb: BgBbOut,
    patterns: Vec<PatternOut>,
}

#[derive(Serialize)]
struct BgBbOut {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
    log_likelihood: f64,
}

#[derive(Serialize)]
struct PatternOut {
    frequency: u32,
    recency: u32,
    periods: u32,
    count: f64,
    p_alive: f64,
    expected_purchases: f64,
}

/// `--discrete FILE.csv [--horizon N]`: the BG/BB fitted to the patterns of
/// `frequency,recency,periods,count`, with P(alive) at the next opportunity
/// and the expected transactions in the next N (default 5) per pattern, in
/// input order.
fn discrete_json(path: &str, horizon: Option<&str>) -> Result<String, String> {
    let horizon = match horizon {
        None => 5,
        Some(text) => text.parse::<u32>().map_err(|_| format!("--horizon {text:?} is not a whole number"))?,
    };
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let headers = reader.headers().map_err(|e| format!("{path}: {e}"))?.clone();
    let column = |name: &str| -> Result<usize, String> {
        let mut at = headers.iter().enumerate().filter(|(_, h)| h.trim().trim_start_matches('\u{feff}') == name);
        match (at.next(), at.next()) {
            (Some((i, _)), None) => Ok(i),
            (Some(_), Some(_)) => Err(format!("{path}: column {name:?} appears twice in the header")),
            (None, _) => {
                Err(format!("{path}: the header has no column {name:?} (it needs frequency,recency,periods,count)"))
            }
        }
    };
    let columns = [column("frequency")?, column("recency")?, column("periods")?, column("count")?];
    let mut patterns = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{path}: {e}"))?;
        let line = record.position().map_or(0, csv::Position::line);
        let cell = |k: usize, name: &str| -> Result<&str, String> {
            record.get(columns[k]).map(str::trim).ok_or_else(|| format!("{path}: line {line}: no {name:?} cell"))
        };
        let whole = |k: usize, name: &str| -> Result<u32, String> {
            let text = cell(k, name)?;
            text.parse().map_err(|_| format!("{path}: line {line}, column {name:?}: {text:?} is not a whole number"))
        };
        let count_text = cell(3, "count")?;
        let count =
            count_text.parse::<f64>().ok().filter(|c| c.is_finite() && *c > 0.0).ok_or_else(|| {
                format!("{path}: line {line}, column \"count\": {count_text:?} is not a positive number")
            })?;
        patterns.push(DiscretePattern {
            frequency: whole(0, "frequency")?,
            recency: whole(1, "recency")?,
            periods: whole(2, "periods")?,
            count,
        });
    }
    let fit = BgBb::fit(&patterns, &FitOptions::default()).map_err(|e| match e {
        // Name the file's line rather than the 0-based row.
        ClvError::InvalidData { row, reason } => format!("{path}: data row {}: {reason}", row + 1),
        other => format!("BG/BB: {other}"),
    })?;
    let model = fit.model;
    let output = DiscreteOutput {
        bgbb: BgBbOut {
            alpha: model.alpha(),
            beta: model.beta(),
            gamma: model.gamma(),
            delta: model.delta(),
            log_likelihood: fit.log_likelihood,
        },
        patterns: patterns
            .iter()
            .map(|p| PatternOut {
                frequency: p.frequency,
                recency: p.recency,
                periods: p.periods,
                count: p.count,
                p_alive: model.p_alive(p, 1),
                expected_purchases: model.expected_purchases(p, horizon),
            })
            .collect(),
    };
    serde_json::to_string(&output).map_err(|e| e.to_string())
}

#[derive(Serialize)]
struct SurvivorsOutput {
    sbg: SbgOut,
    survival: Vec<f64>,
    retention: Vec<f64>,
}

#[derive(Serialize)]
struct SbgOut {
    alpha: f64,
    beta: f64,
    log_likelihood: f64,
}

/// `--survivors N0,N1,... [--periods N]`: the sBG fitted to one cohort's
/// survivor counts, with the fitted S(0..=N) and r(1..=N) (default N = 12).
fn survivors_json(counts: &str, periods: Option<&str>) -> Result<String, String> {
    let periods = match periods {
        None => 12,
        Some(text) => text.parse::<u32>().map_err(|_| format!("--periods {text:?} is not a whole number"))?,
    };
    let survivors = counts
        .split(',')
        .map(|c| {
            let c = c.trim();
            c.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| format!("--survivors: {c:?} is not a number"))
        })
        .collect::<Result<Vec<f64>, String>>()?;
    let fit = RetentionModel::fit_sbg(&[&survivors], &FitOptions::default()).map_err(|e| format!("sBG: {e}"))?;
    let model = fit.model;
    let output = SurvivorsOutput {
        sbg: SbgOut { alpha: model.alpha(), beta: model.beta(), log_likelihood: fit.log_likelihood },
        survival: (0..=periods).map(|t| model.survival(t)).collect(),
        retention: (1..=periods).map(|t| model.retention(t)).collect(),
    };
    serde_json::to_string(&output).map_err(|e| e.to_string())
}

fn parse_day(text: &str) -> Option<chrono::NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if shape { chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok() } else { None }
}

/// The parameters, coefficients and standard errors of a covariate fit,
/// as the output writes them.
fn covariate_parts(fit: &CovariateFit, names: [&'static str; 4]) -> CovariatesOut {
    let coefficients = fit.model.coefficients();
    let pick = |values: &[f64], process: Process| {
        Named(
            coefficients
                .iter()
                .zip(values)
                .filter(|(c, _)| c.process == process)
                .map(|(c, v)| (c.name.clone(), *v))
                .collect(),
        )
    };
    let values: Vec<f64> = coefficients.iter().map(|c| c.value).collect();
    let out = CoefficientsOut { purchase: pick(&values, Process::Purchase), dropout: pick(&values, Process::Dropout) };
    let errors = fit.standard_errors.as_ref().map(|(base, coef)| ErrorsOut {
        params: std::array::from_fn(|i| (names[i], base[i])),
        purchase: pick(coef, Process::Purchase),
        dropout: pick(coef, Process::Dropout),
    });
    CovariatesOut { covariates: out, standard_errors: errors }
}

fn fit_all(customers: Vec<CustomerSummary>, plan: &Plan) -> Result<Output, String> {
    let data = FitData::from_summary(&customers).map_err(|e| e.to_string())?;
    let spend = SpendData::from_summary(&customers).map_err(|e| e.to_string())?;
    // Spend that varies between customers no more than chance explains has
    // its maximum at q → ∞, or so far out on a flat ridge that the search
    // does not settle; the weakest of a few L2 penalties that settles gives
    // the finite point on that ridge the output needs, with almost the same
    // predictions.
    let fit_spend = || on_ridge("Gamma-Gamma", |o| GammaGamma::fit(&spend, o));
    let (gg, (bgnbd, pareto_nbd, purchase)) = match &plan.covariates {
        None => {
            // Dropout that barely varies between customers puts the
            // BG/NBD's maximum at a, b → ∞ and the Pareto/NBD's at s, β → ∞
            // (one common dropout): as for the Gamma-Gamma, a finite point
            // on that ridge. The three fits are independent: the
            // Gamma-Gamma and the BG/NBD (one core each) run beside the
            // Pareto/NBD (which takes every core), and their notes and
            // errors come out in the order of the fits, as if run one
            // after the other.
            let ((gg, bg), pn) = std::thread::scope(|scope| {
                let side = scope.spawn(|| (fit_spend(), on_ridge("BG/NBD", |o| BgNbd::fit(&data, o))));
                let pn = on_ridge("Pareto/NBD", |o| ParetoNbd::fit(&data, o));
                (side.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), pn)
            });
            let gg = noted(gg)?;
            let bg = noted(bg)?;
            (gg, plain_fits(&bg, &noted(pn)?))
        }
        Some((table, spec)) => (noted(fit_spend())?, covariate_fits(&customers, table, spec)?),
    };
    let g = gg.model;
    let bounds = match plan.intervals {
        None => None,
        Some(io) => Some(bootstrap(&customers, &purchase, &gg, &spend, &io)?),
    };
    let customers = customers
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let expected_avg_value =
                g.expected_average_value(c.frequency, c.monetary_value).map_err(|e| format!("Gamma-Gamma: {e}"))?;
            let (expected_purchases_39, p_alive) = match &purchase {
                Purchase::Plain(b) => (b.expected_purchases(History::from(&c), 39.0), b.p_alive(History::from(&c))),
                Purchase::Covariates(both) => {
                    let (fit, cdata) = &**both;
                    let (row, (x, t_x, t)) = cdata.customer(i);
                    let m = fit.model.individual(row).map_err(|e| format!("BG/NBD: {e}"))?;
                    {
                        let history = History { frequency: x, recency: t_x, age: t };
                        (m.expected_purchases(history, 39.0), m.p_alive(history))
                    }
                }
            };
            let at = |k: usize| bounds.as_ref().map(|b: &Vec<[Interval; 3]>| b[i][k]);
            Ok(CustomerOut {
                expected_purchases_39,
                expected_purchases_39_lower: at(0).map(|v| v.lower),
                expected_purchases_39_upper: at(0).map(|v| v.upper),
                p_alive,
                p_alive_lower: at(1).map(|v| v.lower),
                p_alive_upper: at(1).map(|v| v.upper),
                expected_avg_value,
                expected_avg_value_lower: at(2).map(|v| v.lower),
                expected_avg_value_upper: at(2).map(|v| v.upper),
                customer_id: c.key,
                frequency: c.frequency,
                recency: c.recency,
                t: c.t,
                monetary_value: c.monetary_value,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Output {
        bgnbd,
        pareto_nbd,
        gamma_gamma: GammaGammaOut {
            p: g.p(),
            q: g.q(),
            v: g.v(),
            log_likelihood: gg.log_likelihood,
            customers_used: gg.customers_used as u64,
        },
        customers,
    })
}

/// [`fit_on_ridge`] with the default options, with a note for each
/// penalty it tried (which [`noted`] writes to standard error).
fn on_ridge<T>(name: &str, fit: impl Fn(&FitOptions) -> Result<T, ClvError>) -> Result<(T, Vec<String>), String> {
    let (fit, tried) = fit_on_ridge(&FitOptions::default(), fit).map_err(|e| format!("{name}: {e}"))?;
    let notes = tried
        .into_iter()
        .map(|(penalty, failed)| format!("{name}: {failed}; fitting with an L2 penalty of {penalty:e}"));
    Ok((fit, notes.collect()))
}

/// The fit of [`on_ridge`], its notes written to standard error.
fn noted<T>(fit: Result<(T, Vec<String>), String>) -> Result<T, String> {
    let (fit, notes) = fit?;
    for note in notes {
        eprintln!("note: {note}");
    }
    Ok(fit)
}

/// The output of the plain purchase fits.
fn plain_fits(bg: &BgNbdFit, pn: &ParetoNbdFit) -> (BgNbdOut, ParetoOut, Purchase) {
    let (b, p) = (bg.model, pn.model);
    let bgnbd = BgNbdOut {
        r: b.r(),
        alpha: b.alpha(),
        a: b.a(),
        b: b.b(),
        log_likelihood: bg.log_likelihood,
        covariates: None,
    };
    let pareto = ParetoOut {
        r: p.r(),
        alpha: p.alpha(),
        s: p.s(),
        beta: p.beta(),
        log_likelihood: pn.log_likelihood,
        covariates: None,
    };
    (bgnbd, pareto, Purchase::Plain(b))
}

/// The purchase fits with covariates; the per-customer predictions come
/// from the BG/NBD at each customer's own parameters.
fn covariate_fits(
    customers: &[CustomerSummary],
    table: &CovariateTable,
    spec: &CovariateSpec,
) -> Result<(BgNbdOut, ParetoOut, Purchase), String> {
    let cdata = CovariateData::new(customers, table, spec).map_err(|e| e.to_string())?;
    let copts = CovariateOptions::default();
    let bg = CovariateModel::fit(CovariateKind::BgNbd, &cdata, &copts).map_err(|e| format!("BG/NBD: {e}"))?;
    let pn = CovariateModel::fit(CovariateKind::ParetoNbd, &cdata, &copts).map_err(|e| format!("Pareto/NBD: {e}"))?;
    let (bp, pp) = (bg.model.params(), pn.model.params());
    let bgnbd = BgNbdOut {
        r: bp[0],
        alpha: bp[1],
        a: bp[2],
        b: bp[3],
        log_likelihood: bg.log_likelihood,
        covariates: Some(covariate_parts(&bg, ["r", "alpha", "a", "b"])),
    };
    let pareto = ParetoOut {
        r: pp[0],
        alpha: pp[1],
        s: pp[2],
        beta: pp[3],
        log_likelihood: pn.log_likelihood,
        covariates: Some(covariate_parts(&pn, ["r", "alpha", "s", "beta"])),
    };
    Ok((bgnbd, pareto, Purchase::Covariates(Box::new((bg, cdata)))))
}

/// The BG/NBD behind the per-customer predictions.
enum Purchase {
    Plain(BgNbd),
    Covariates(Box<(CovariateFit, CovariateData)>),
}

/// Per customer, the intervals of `[expected_purchases_39, p_alive,
/// expected_avg_value]` by the parametric bootstrap: purchase draw `d` and
/// spend draw `d` together.
fn bootstrap(
    customers: &[CustomerSummary],
    purchase: &Purchase,
    gg: &customer_lifecycle::clv::GammaGammaFit,
    spend: &SpendData,
    options: &IntervalOptions,
) -> Result<Vec<[Interval; 3]>, String> {
    let plain;
    let (fit, cdata) = match purchase {
        Purchase::Covariates(both) => (&both.0, &both.1),
        Purchase::Plain(_) => {
            let cdata = CovariateData::without_covariates(customers).map_err(|e| e.to_string())?;
            let fit = CovariateModel::fit(CovariateKind::BgNbd, &cdata, &CovariateOptions::default())
                .map_err(|e| format!("BG/NBD: {e}"))?;
            plain = (fit, cdata);
            (&plain.0, &plain.1)
        }
    };
    let draws = parametric_draws(fit, options).map_err(|e| format!("BG/NBD intervals: {e}"))?;
    let spend_models = spend_draws(gg, spend, options).map_err(|e| format!("Gamma-Gamma intervals: {e}"))?;
    intervals(options.level, customers.len(), options.draws, |d, i| {
        let (row, (x, t_x, t)) = cdata.customer(i);
        let m = draws[d].individual(row)?;
        let c = &customers[i];
        let value = spend_models[d].expected_average_value(c.frequency, c.monetary_value)?;
        Ok([
            m.expected_purchases(History { frequency: x, recency: t_x, age: t }, 39.0),
            m.p_alive(History { frequency: x, recency: t_x, age: t }),
            value,
        ])
    })
    .map_err(|e| format!("intervals: {e}"))
}
