//! An A/B test's numbers from the command line, as one JSON object.
//!
//! ```text
//! cargo run --release --example experiment -- --ab 1000,100,1000,130
//! {"rate_a":0.1,"rate_b":0.13,"diff":0.03,"z":2.102740605622114,"p_value":0.03548845046490836,"ci95":[0.002067934439376369,0.05793206556062363]}
//! cargo run --release --example experiment -- --sample-size 0.10,0.05,0.05,0.80
//! {"n_per_arm":686}
//! ```
//!
//! `--ab N_A,CONV_A,N_B,CONV_B` runs the two-proportion z-test of B against
//! A (pooled standard error for z, unpooled for the 95% interval of the
//! difference); `--sample-size BASELINE,LIFT,ALPHA,POWER` gives the
//! customers needed per arm. Numbers print in shortest round-trip form.
//! Invalid input (or a sample size too large to count) exits with status 2
//! and a one-line error on stderr; a closed standard output, with status 1.

use customer_lifecycle::campaign::{ProportionTest, sample_size_per_arm};

/// The JSON line for the arguments (without the program name). Public so
/// the test suite can call it.
///
/// # Errors
///
/// The one-line message for a malformed call or invalid numbers.
pub fn run(args: &[String]) -> Result<String, String> {
    let [flag, values] = args else {
        return Err(usage());
    };
    let fields: Vec<&str> = values.split(',').map(str::trim).collect();
    match flag.as_str() {
        "--ab" => {
            let [n_a, conv_a, n_b, conv_b] = fields[..] else {
                return Err(format!("--ab takes four numbers N_A,CONV_A,N_B,CONV_B, not {values:?}"));
            };
            let test = ProportionTest::new(count(n_a)?, count(conv_a)?, count(n_b)?, count(conv_b)?)
                .map_err(|e| e.to_string())?;
            serde_json::to_string(&test).map_err(|e| e.to_string())
        }
        "--sample-size" => {
            let [baseline, lift, alpha, power] = fields[..] else {
                return Err(format!("--sample-size takes four numbers BASELINE,LIFT,ALPHA,POWER, not {values:?}"));
            };
            let n = sample_size_per_arm(real(baseline)?, real(lift)?, real(alpha)?, real(power)?)
                .map_err(|e| e.to_string())?;
            Ok(serde_json::json!({ "n_per_arm": n }).to_string())
        }
        _ => Err(usage()),
    }
}

fn usage() -> String {
    "usage: experiment --ab N_A,CONV_A,N_B,CONV_B | --sample-size BASELINE,LIFT,ALPHA,POWER".to_owned()
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
