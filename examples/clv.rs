//! Fits BG/NBD, Pareto/NBD and Gamma-Gamma to a customer summary or a
//! transaction log and prints one JSON object with the three fits and a
//! prediction per customer.
//!
//! ```text
//! cargo run --release --example clv -- --summary tests/data/cdnow_summary.csv
//! cargo run --release --example clv -- --transactions log.csv --time-unit weeks --calibration-end 1997-09-30
//! ```
//!
//! The summary file has the columns `customer_id,frequency,recency,T,monetary_value`;
//! the transaction log `customer_id,date,amount`, one purchase per row, dates
//! `YYYY-MM-DD`, amounts with at most two fraction digits. Customers appear
//! in the order of their first row in the file (rows after the calibration
//! end included in that ordering); those with no purchase on or before the
//! calibration end are left out. Bad input exits non-zero with a one-line
//! error naming the line. When spend does not vary between customers beyond
//! chance, so that the Gamma-Gamma's maximum is at q → ∞ (or far out on a
//! flat ridge), the Gamma-Gamma is fitted with the weakest of a few tiny L2
//! penalties that settles, and a note goes to stderr. A purchase model whose
//! likelihood has no finite maximum (it keeps rising towards a boundary or
//! along a ridge) is an error naming the model and the parameter, such as
//! `error: BG/NBD: the data cannot pin down a: …`, with exit status 1; so
//! is a standard output closed early, with one `error:` line.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use customer_lifecycle::TransactionCsv;
use customer_lifecycle::clv::{
    BgNbd, ClvError, CustomerSummary, FitData, FitOptions, GammaGamma, ParetoNbd, SpendData, Summary, TimeUnit,
    read_summary_csv,
};
use serde::Serialize;

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
}

#[derive(Serialize)]
struct ParetoOut {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    log_likelihood: f64,
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
    p_alive: f64,
    expected_avg_value: f64,
}

const USAGE: &str =
    "usage: clv --summary FILE.csv | clv --transactions FILE.csv --time-unit days|weeks --calibration-end YYYY-MM-DD";

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
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().cloned().ok_or_else(|| format!("{flag} needs a value; {USAGE}"));
        match flag.as_str() {
            "--summary" => summary = Some(value()?),
            "--transactions" => transactions = Some(value()?),
            "--time-unit" => unit = Some(value()?),
            "--calibration-end" => end = Some(value()?),
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    let customers = match (summary, transactions) {
        (Some(path), None) if unit.is_none() && end.is_none() => {
            let file = std::fs::File::open(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
            read_summary_csv(std::io::BufReader::new(file)).map_err(|e| format!("{path}: {e}"))?
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
            let log = TransactionCsv::new().read_path(&path).map_err(|e| format!("{path}: {e}"))?;
            let mut customers =
                Summary::from_transactions(&log, calibration_end, unit).map_err(|e| e.to_string())?.customers;
            // The contract orders customers by their first row in the file,
            // rows after the calibration end included.
            let mut first_row: HashMap<&str, usize> = HashMap::new();
            for (row, t) in log.iter().enumerate() {
                first_row.entry(t.key.as_str()).or_insert(row);
            }
            customers.sort_by_key(|c| first_row[c.customer_id.as_str()]);
            customers
        }
        _ => return Err(USAGE.to_owned()),
    };
    let json = serde_json::to_string(&fit_all(customers)?).map_err(|e| e.to_string())?;
    Ok(json)
}

fn parse_day(text: &str) -> Option<chrono::NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if shape { chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok() } else { None }
}

/// The L2 penalties tried, weakest first, for a Gamma-Gamma fit whose
/// maximum is at q → ∞.
const RIDGE_PENALTIES: [f64; 3] = [1e-12, 1e-9, 1e-6];

fn fit_all(customers: Vec<CustomerSummary>) -> Result<Output, String> {
    let options = FitOptions::default();
    let data = FitData::from_summary(&customers).map_err(|e| e.to_string())?;
    let bg = BgNbd::fit(&data, &options).map_err(|e| format!("BG/NBD: {e}"))?;
    let pn = ParetoNbd::fit(&data, &options).map_err(|e| format!("Pareto/NBD: {e}"))?;
    let spend = SpendData::from_summary(&customers).map_err(|e| e.to_string())?;
    let mut gg = GammaGamma::fit(&spend, &options);
    // Spend that varies between customers no more than chance explains has
    // its maximum at q → ∞, or so far out on a flat ridge that the search
    // does not settle; the weakest of a few L2 penalties that settles gives
    // the finite point on that ridge the output needs, with almost the same
    // predictions.
    for penalty in RIDGE_PENALTIES {
        let Err(failed @ (ClvError::Unbounded { .. } | ClvError::NotConverged { .. })) = &gg else {
            break;
        };
        eprintln!("note: Gamma-Gamma: {failed}; fitting with an L2 penalty of {penalty:e}");
        gg = GammaGamma::fit(&spend, &FitOptions { l2_penalty: penalty, ..options });
    }
    let gg = gg.map_err(|e| format!("Gamma-Gamma: {e}"))?;
    let (b, p, g) = (bg.model, pn.model, gg.model);
    let customers = customers
        .into_iter()
        .map(|c| {
            let expected_avg_value =
                g.expected_average_value(c.frequency, c.monetary_value).map_err(|e| format!("Gamma-Gamma: {e}"))?;
            Ok(CustomerOut {
                expected_purchases_39: b.expected_purchases(c.frequency, c.recency, c.t, 39.0),
                p_alive: b.p_alive(c.frequency, c.recency, c.t),
                expected_avg_value,
                customer_id: c.customer_id,
                frequency: c.frequency,
                recency: c.recency,
                t: c.t,
                monetary_value: c.monetary_value,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Output {
        bgnbd: BgNbdOut { r: b.r(), alpha: b.alpha(), a: b.a(), b: b.b(), log_likelihood: bg.log_likelihood },
        pareto_nbd: ParetoOut {
            r: p.r(),
            alpha: p.alpha(),
            s: p.s(),
            beta: p.beta(),
            log_likelihood: pn.log_likelihood,
        },
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
