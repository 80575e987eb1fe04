//! An experiment's numbers from the command line, as one JSON object.
//!
//! ```text
//! cargo run --release --example experiment -- --ab 1000,100,1000,130
//! {"rate_a":0.1,"rate_b":0.13,"diff":0.03,"z":2.102740605622114,"p_value":0.03548845046490836,"ci95":[0.002067934439376369,0.05793206556062363]}
//! cargo run --release --example experiment -- --sample-size 0.10,0.05,0.05,0.80
//! {"n_per_arm":686}
//! cargo run --release --example experiment -- --proportions 1000,100,1000,130 --effect relative
//! {"effect":0.30000000000000004,"se":0.16284962388657825,"ci95":[-0.019375372265961532,0.6193753722659616],"p_value":0.06559733260260601}
//! ```
//!
//! One mode per call; the options named with a mode may follow it, in any
//! order, each at most once:
//!
//! - `--ab N_A,CONV_A,N_B,CONV_B`: the two-proportion z-test of B against A
//!   (pooled standard error for z, unpooled for the 95% interval of the
//!   difference): `{"rate_a", "rate_b", "diff", "z", "p_value", "ci95"}`.
//! - `--sample-size BASELINE,LIFT,ALPHA,POWER`: the customers needed per
//!   arm, `{"n_per_arm"}`.
//! - `--means N_A,SUM_A,SUMSQ_A,N_B,SUM_B,SUMSQ_B [--effect absolute|relative]
//!   [--sequential NSTAR]`: `{"effect", "se", "ci95", "p_value"}` for B
//!   against A ([`EffectTest`]): s² = (SUMSQ − SUM²/N)/(N − 1); the relative
//!   effect `m_B/m_A − 1` has the delta-method variance; Welch–Satterthwaite
//!   degrees of freedom for both effects; two-sided p; ci95 = effect ± t·se.
//!   With `--sequential NSTAR`, `ci95` is the asymptotic confidence
//!   sequence tuned for N* = NSTAR at α = 0.05 ([`ConfidenceSequence`]) and
//!   `p_value` is null.
//! - `--proportions N_A,X_A,N_B,X_B [--effect …] [--sequential NSTAR]`: the
//!   same on 0/1 outcomes, with the per-unit variance p(1 − p).
//! - `--bayes-proportions N_A,X_A,N_B,X_B`: `{"effect", "ci95",
//!   "chance_to_win", "risk"}` for the relative lift under an improper flat
//!   prior ([`BayesianEffect`]).
//! - `--srm OBSERVED_A,OBSERVED_B[,...] [--weights W_A,W_B[,...]]`: the
//!   sample-ratio mismatch test, `{"chi2", "p_value", "mismatch"}`
//!   ([`SampleRatioTest`]; mismatch when p < 0.001).
//! - `--adjust holm|bh P1,P2,...`: `{"adjusted": [...]}` in input order
//!   ([`adjust_p_values`]), as statsmodels' `multipletests` with
//!   `holm` or `fdr_bh`.
//! - `--cuped FILE.csv`: a CSV with columns `arm,y,x` (by header name; other
//!   columns ignored; `arm` exactly `A` or `B`): `{"theta", "effect", "se",
//!   "ci95", "p_value", "variance_reduction"}` for B minus A ([`Cuped`]:
//!   θ pooled over both arms, Welch–Satterthwaite degrees of freedom for
//!   the interval and p-value on the adjusted values).
//!
//! Numbers print in shortest round-trip form. Any error — a malformed call,
//! a number that does not parse, input the statistics refuse, a file that
//! cannot be read or has a bad line — exits with status 2 and one `error:`
//! line on stderr naming what was wrong (and for a file, the line); a
//! sample size too large to count is such an error. A closed standard
//! output stops the program with status 1.
//!
//! [`EffectTest`]: customer_lifecycle::campaign::EffectTest
//! [`ConfidenceSequence`]: customer_lifecycle::campaign::ConfidenceSequence
//! [`BayesianEffect`]: customer_lifecycle::campaign::BayesianEffect
//! [`SampleRatioTest`]: customer_lifecycle::campaign::SampleRatioTest
//! [`adjust_p_values`]: customer_lifecycle::campaign::adjust_p_values
//! [`Cuped`]: customer_lifecycle::campaign::Cuped

use customer_lifecycle::campaign::{
    BayesianEffect, ConfidenceSequence, Correction, CrossSums, Cuped, Effect, EffectTest, Moments, Proportion,
    ProportionTest, SampleRatioTest, Sums, adjust_p_values, sample_size_per_arm,
};
use serde::Serialize;

/// α of the confidence sequence of `--sequential`.
const SEQUENTIAL_ALPHA: f64 = 0.05;

/// The JSON line for the arguments (without the program name). Public so
/// the test suite can call it.
///
/// # Errors
///
/// The one-line message for a malformed call, invalid numbers or a bad file.
pub fn run(args: &[String]) -> Result<String, String> {
    let [flag, values, options @ ..] = args else {
        return Err(usage());
    };
    let (allowed, positional): (&[&str], usize) = match flag.as_str() {
        "--means" | "--proportions" => (&["--effect", "--sequential"], 0),
        "--srm" => (&["--weights"], 0),
        "--adjust" => (&[], 1),
        _ => (&[], 0),
    };
    let options = Options::parse(options, allowed, positional)?;
    let output = match flag.as_str() {
        "--ab" => {
            let [n_a, conv_a, n_b, conv_b] = list(values, 4, "--ab", "N_A,CONV_A,N_B,CONV_B")?[..] else {
                unreachable!("list checks the count")
            };
            let a = Proportion { conversions: count(conv_a)?, n: count(n_a)? };
            let b = Proportion { conversions: count(conv_b)?, n: count(n_b)? };
            let test = ProportionTest::new(a, b).map_err(|e| e.to_string())?;
            json(&test)?
        }
        "--sample-size" => {
            let [baseline, lift, alpha, power] = list(values, 4, "--sample-size", "BASELINE,LIFT,ALPHA,POWER")?[..]
            else {
                unreachable!("list checks the count")
            };
            let n = sample_size_per_arm(real(baseline)?, real(lift)?, real(alpha)?, real(power)?)
                .map_err(|e| e.to_string())?;
            json(&SampleSize { n_per_arm: n })?
        }
        "--means" => {
            let fields = list(values, 6, "--means", "N_A,SUM_A,SUMSQ_A,N_B,SUM_B,SUMSQ_B")?;
            let arm = |at: usize| -> Result<Moments, String> {
                let sums = Sums { n: count(fields[at])?, sum: real(fields[at + 1])?, sum_sq: real(fields[at + 2])? };
                Ok(sums.moments())
            };
            effect_json(arm(0)?, arm(3)?, &options)?
        }
        "--proportions" => {
            let (a, b) = proportions(values, "--proportions")?;
            effect_json(a, b, &options)?
        }
        "--bayes-proportions" => {
            let (a, b) = proportions(values, "--bayes-proportions")?;
            let post = BayesianEffect::new(a, b, Effect::Relative).map_err(|e| e.to_string())?;
            json(&Posterior {
                effect: post.effect,
                ci95: post.ci95,
                chance_to_win: post.chance_to_win,
                risk: post.risk,
            })?
        }
        "--srm" => {
            let observed = values.split(',').map(|v| count(v.trim())).collect::<Result<Vec<u64>, String>>()?;
            let weights = match options.weights {
                Some(w) => Some(w.split(',').map(|v| real(v.trim())).collect::<Result<Vec<f64>, String>>()?),
                None => None,
            };
            let test = SampleRatioTest::new(&observed, weights.as_deref()).map_err(|e| e.to_string())?;
            json(&test)?
        }
        "--adjust" => {
            let correction = match values.as_str() {
                "holm" => Correction::Holm,
                "bh" => Correction::BenjaminiHochberg,
                other => return Err(format!("--adjust takes holm or bh, not {other:?}")),
            };
            let [p_values] = options.rest[..] else {
                return Err("--adjust takes a method and a list of p-values: --adjust holm|bh P1,P2,...".to_owned());
            };
            let p = p_values.split(',').map(|v| real(v.trim())).collect::<Result<Vec<f64>, String>>()?;
            json(&Adjusted { adjusted: adjust_p_values(&p, correction).map_err(|e| e.to_string())? })?
        }
        "--cuped" => {
            let (a, b) = read_cuped(values)?;
            let c = Cuped::new(a, b).map_err(|e| e.to_string())?;
            json(&CupedOut {
                theta: c.theta,
                effect: c.effect,
                se: c.se,
                ci95: c.ci95,
                p_value: c.p_value,
                variance_reduction: c.variance_reduction,
            })?
        }
        _ => return Err(usage()),
    };
    Ok(output)
}

// The outputs, as structs so that the keys print in the contract's order.

#[derive(Serialize)]
struct SampleSize {
    n_per_arm: u64,
}

#[derive(Serialize)]
struct EffectOut {
    effect: f64,
    se: f64,
    ci95: [f64; 2],
    p_value: Option<f64>,
}

#[derive(Serialize)]
struct Posterior {
    effect: f64,
    ci95: [f64; 2],
    chance_to_win: f64,
    risk: f64,
}

#[derive(Serialize)]
struct Adjusted {
    adjusted: Vec<f64>,
}

#[derive(Serialize)]
struct CupedOut {
    theta: f64,
    effect: f64,
    se: f64,
    ci95: [f64; 2],
    p_value: f64,
    variance_reduction: f64,
}

fn json<T: Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}

/// The options that follow a mode.
#[derive(Default)]
struct Options<'a> {
    effect: Effect,
    sequential: Option<f64>,
    weights: Option<&'a str>,
    /// Positional values after the mode's own (only `--adjust` takes one).
    rest: Vec<&'a str>,
}

impl<'a> Options<'a> {
    fn parse(args: &'a [String], allowed: &[&str], positional: usize) -> Result<Self, String> {
        let mut options = Options::default();
        let mut seen: Vec<&str> = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if !arg.starts_with("--") {
                if options.rest.len() == positional {
                    return Err(format!("unexpected argument {arg:?}; {}", usage()));
                }
                options.rest.push(arg);
                continue;
            }
            if !allowed.contains(&arg.as_str()) {
                return Err(format!("{arg} does not go with this mode; {}", usage()));
            }
            if seen.contains(&arg.as_str()) {
                return Err(format!("{arg} is given twice"));
            }
            seen.push(arg);
            let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
            match arg.as_str() {
                "--effect" => {
                    options.effect = match value.as_str() {
                        "absolute" => Effect::Absolute,
                        "relative" => Effect::Relative,
                        other => return Err(format!("--effect takes absolute or relative, not {other:?}")),
                    }
                }
                "--sequential" => options.sequential = Some(real(value)?),
                "--weights" => options.weights = Some(value),
                _ => unreachable!("only allowed options reach here"),
            }
        }
        Ok(options)
    }
}

/// The fixed-horizon or sequential effect of B against A, as the contract's
/// JSON.
fn effect_json(a: Moments, b: Moments, options: &Options<'_>) -> Result<String, String> {
    let test = match options.sequential {
        Some(n_star) => {
            let sequence = ConfidenceSequence::new(n_star, SEQUENTIAL_ALPHA).map_err(|e| e.to_string())?;
            EffectTest::sequential(a, b, options.effect, sequence)
        }
        None => EffectTest::new(a, b, options.effect),
    }
    .map_err(|e| e.to_string())?;
    json(&EffectOut { effect: test.effect, se: test.se, ci95: test.ci95, p_value: test.p_value })
}

fn proportions(values: &str, flag: &str) -> Result<(Moments, Moments), String> {
    let fields = list(values, 4, flag, "N_A,X_A,N_B,X_B")?;
    let arm = |n: &str, x: &str| Moments::of_proportion(count(n)?, count(x)?).map_err(|e| e.to_string());
    Ok((arm(fields[0], fields[1])?, arm(fields[2], fields[3])?))
}

/// Reads the `arm,y,x` file into each arm's sums (`x` the covariate).
fn read_cuped(path: &str) -> Result<(CrossSums, CrossSums), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(std::io::BufReader::new(file));
    let headers = reader.headers().map_err(|e| format!("{path}: {e}"))?.clone();
    let column = |name: &str| -> Result<usize, String> {
        let mut found = headers.iter().enumerate().filter(|(_, h)| h.trim_start_matches('\u{feff}') == name);
        match (found.next(), found.next()) {
            (Some((i, _)), None) => Ok(i),
            (Some(_), Some(_)) => Err(format!("{path}: column {name:?} appears twice in the header")),
            (None, _) => Err(format!("{path}: the header has no column {name:?} (it needs arm,y,x)")),
        }
    };
    let (arm, y, x) = (column("arm")?, column("y")?, column("x")?);
    let (mut a, mut b) = (CrossSums::default(), CrossSums::default());
    for record in reader.records() {
        let record = record.map_err(|e| format!("{path}: {e}"))?;
        let line = record.position().map_or(0, csv::Position::line);
        let number = |at: usize, name: &str| -> Result<f64, String> {
            real(record[at].trim()).map_err(|e| format!("{path}: line {line}, column {name:?}: {e}"))
        };
        let (yv, xv) = (number(y, "y")?, number(x, "x")?);
        match &record[arm] {
            "A" => a.push(xv, yv),
            "B" => b.push(xv, yv),
            other => return Err(format!("{path}: line {line}, column \"arm\": {other:?} is neither A nor B")),
        }
    }
    Ok((a, b))
}

/// Splits a comma-separated list that must have `n` entries.
fn list<'a>(values: &'a str, n: usize, flag: &str, names: &str) -> Result<Vec<&'a str>, String> {
    let fields: Vec<&str> = values.split(',').map(str::trim).collect();
    if fields.len() == n { Ok(fields) } else { Err(format!("{flag} takes {n} numbers {names}, not {values:?}")) }
}

fn usage() -> String {
    "usage: experiment --ab N_A,CONV_A,N_B,CONV_B | --sample-size BASELINE,LIFT,ALPHA,POWER \
     | --means N_A,SUM_A,SUMSQ_A,N_B,SUM_B,SUMSQ_B [--effect absolute|relative] [--sequential NSTAR] \
     | --proportions N_A,X_A,N_B,X_B [--effect absolute|relative] [--sequential NSTAR] \
     | --bayes-proportions N_A,X_A,N_B,X_B | --srm O_A,O_B[,...] [--weights W_A,W_B[,...]] \
     | --adjust holm|bh P1,P2,... | --cuped FILE.csv"
        .to_owned()
}

fn count(text: &str) -> Result<u64, String> {
    text.parse().map_err(|_| format!("{text:?} is not a count (a whole number, not negative)"))
}

fn real(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("{text:?} is not a finite number")),
    }
}

#[path = "support/output.rs"]
mod output;

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(line) => {
            if let Err(e) = output::print_line(&line) {
                output::fail(format_args!("cannot write the output: {e}"), 1);
            }
        }
        Err(message) => output::fail(message, 2),
    }
}
