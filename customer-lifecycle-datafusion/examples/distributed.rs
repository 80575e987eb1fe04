//! The main crate's `clv` example on a Ballista cluster of separate
//! processes: the same JSON, computed by executors.
//!
//! ```text
//! cargo run --release -p customer-lifecycle-datafusion --features ballista --example distributed -- \
//!     --transactions PATH --time-unit days|weeks --calibration-end YYYY-MM-DD [--executors N]
//! ```
//!
//! It starts a scheduler and `N` executors (default 2) as processes of its
//! own on 127.0.0.1, with ports the system hands out; reads `PATH` (a
//! Parquet or CSV transaction log, or a directory of them whose files may
//! split a customer's rows in any way) on the cluster; computes there the
//! BTYD summary and the histogram of `(x, t_x, T)` patterns and of repeat
//! spend; fits BG/NBD, Pareto/NBD and Gamma-Gamma here, on the histogram;
//! and prints on standard output only what
//! `cargo run --example clv -- --transactions PATH --time-unit U --calibration-end D --order key`
//! prints for the same log: the fits and, per customer in key byte order,
//! the summary, the expected purchases in 39 time units, P(alive) and the
//! expected spend per purchase. A fit whose maximum runs off along a ridge
//! takes the main crate's `fit_on_ridge` point, and the penalty note, as
//! `clv` writes it, goes to standard error.
//!
//! The processes are stopped on every way out, errors included; if this
//! program is killed, they stop when their standard input closes. Bad
//! arguments, a bad value in the log (named) or a failed fit exit 1 with one
//! `error:` line.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitCode, Stdio};

use chrono::NaiveDate;
use customer_lifecycle::clv::{FitOptions, TimeUnit};
use customer_lifecycle_datafusion::cluster::{self, ExecutorOptions};
use customer_lifecycle_datafusion::{TransactionLog, btyd};
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, UInt32Type};
use serde::Serialize;

const USAGE: &str = "usage: distributed --transactions PATH --time-unit days|weeks \
                     --calibration-end YYYY-MM-DD [--executors N]";

/// The hidden roles this program plays as a cluster process.
const SCHEDULER_ROLE: &str = "--serve-scheduler";
const EXECUTOR_ROLE: &str = "--serve-executor";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some(SCHEDULER_ROLE) => serve(None),
        Some(EXECUTOR_ROLE) if args.len() == 3 => serve(Some((&args[1], &args[2]))),
        _ => run(&args).and_then(|json| write_output(&json)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {}", message.replace(['\n', '\r'], " "));
            ExitCode::FAILURE
        }
    }
}

fn write_output(json: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    let fail = |e: std::io::Error| format!("cannot write the output: {e}");
    out.write_all(json.as_bytes()).map_err(fail)?;
    out.write_all(b"\n").map_err(fail)?;
    out.flush().map_err(fail)
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("tokio: {e}"))
}

/// A cluster process: the scheduler (`None`; it prints its address on
/// standard output) or an executor of the scheduler at the address given,
/// with its work directory. It exits when its standard input closes (its
/// parent is gone).
fn serve(executor: Option<(&str, &str)>) -> Result<(), String> {
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    runtime()?.block_on(async {
        match executor {
            None => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
                let addr = listener.local_addr().map_err(|e| e.to_string())?;
                println!("{addr}");
                cluster::serve_scheduler(listener).await.map_err(|e| e.to_string())
            }
            Some((addr, work_dir)) => {
                let mut options = ExecutorOptions::loopback(addr);
                options.work_dir = Some(work_dir.to_owned());
                cluster::serve_executor(&options).await.map_err(|e| e.to_string())
            }
        }
    })
}

/// The cluster's processes, killed and reaped when dropped.
struct Processes(Vec<Child>);

impl Processes {
    /// How the first process that has stopped ended, if one has.
    fn stopped(&mut self) -> Option<std::process::ExitStatus> {
        self.0.iter_mut().find_map(|child| child.try_wait().ok().flatten())
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
}

/// Starts this program in a cluster role; only the scheduler's standard
/// output is read (its address).
fn spawn(processes: &mut Processes, args: &[&str], output: Stdio) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let child = Command::new(me)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(output)
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start a cluster process: {e}"))?;
    processes.0.push(child);
    Ok(())
}

struct Args {
    path: String,
    unit: TimeUnit,
    end: NaiveDate,
    executors: usize,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let (mut path, mut unit, mut end, mut executors) = (None, None, None, None);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().cloned().ok_or_else(|| format!("{flag} needs a value; {USAGE}"))?;
        match flag.as_str() {
            "--transactions" => path = Some(value),
            "--time-unit" => unit = Some(value),
            "--calibration-end" => end = Some(value),
            "--executors" => executors = Some(value),
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    let (Some(path), Some(unit), Some(end)) = (path, unit, end) else { return Err(USAGE.to_owned()) };
    let unit = match unit.as_str() {
        "days" => TimeUnit::Days,
        "weeks" => TimeUnit::Weeks,
        other => return Err(format!("--time-unit must be days or weeks, not {other:?}")),
    };
    let end = (end.len() == 10)
        .then(|| NaiveDate::parse_from_str(&end, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| format!("--calibration-end {end:?} is not a date YYYY-MM-DD"))?;
    let executors = match executors {
        None => 2,
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=64).contains(n))
            .ok_or_else(|| format!("--executors {n:?} is not a whole number from 1 to 64"))?,
    };
    Ok(Args { path, unit, end, executors })
}

fn run(args: &[String]) -> Result<String, String> {
    let args = parse(args)?;
    // The executors read the files: they need the path from anywhere.
    let path = std::fs::canonicalize(&args.path).map_err(|e| format!("cannot read {}: {e}", args.path))?;
    let path = path.to_str().ok_or_else(|| format!("{}: the path is not UTF-8", args.path))?.to_owned();
    // The executors' shuffle files, removed after they stop (declared first, dropped last).
    let work = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let mut processes = Processes(Vec::new());
    spawn(&mut processes, &[SCHEDULER_ROLE], Stdio::piped())?;
    let mut line = String::new();
    let stdout = processes.0[0].stdout.take().ok_or("the scheduler has no output")?;
    BufReader::new(stdout).read_line(&mut line).map_err(|e| format!("the scheduler: {e}"))?;
    let scheduler = line.trim().to_owned();
    if scheduler.is_empty() {
        return Err("the scheduler did not start".to_owned());
    }
    for k in 0..args.executors {
        let dir = work.path().join(k.to_string());
        spawn(&mut processes, &[EXECUTOR_ROLE, &scheduler, &dir.display().to_string()], Stdio::null())?;
    }
    let json = runtime()?.block_on(async {
        let job = compute(&scheduler, &path, &args);
        tokio::pin!(job);
        // A cluster process that stops (an executor that cannot reach the
        // scheduler, say) would leave the job waiting for ever.
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        loop {
            tokio::select! {
                result = &mut job => break result,
                _ = tick.tick() => {
                    if let Some(status) = processes.stopped() {
                        break Err(format!("a cluster process stopped: {status}"));
                    }
                }
            }
        }
    });
    drop(processes);
    drop(work);
    json
}

/// Runs the plans on the cluster at `scheduler` and returns the JSON text.
async fn compute(scheduler: &str, path: &str, args: &Args) -> Result<String, String> {
    let ctx = cluster::connect(scheduler, 2 * args.executors).await.map_err(|e| e.to_string())?;
    let log = TransactionLog::read(&ctx, path).await.map_err(|e| e.to_string())?;
    let histogram = btyd::histogram(&log, args.end, args.unit).await.map_err(|e| e.to_string())?;
    let fits = btyd::fit_all(&histogram, &FitOptions::default()).map_err(|e| e.to_string())?;
    for (model, penalty, failed) in &fits.penalties {
        eprintln!("note: {model}: {failed}; fitting with an L2 penalty of {penalty:e}");
    }
    let summary = btyd::summary(&log, args.end, args.unit).await.map_err(|e| e.to_string())?;
    let predictions = btyd::predictions(&summary, &fits, 39.0).map_err(|e| e.to_string())?;
    serde_json::to_string(&output(&fits, &predictions)).map_err(|e| e.to_string())
}

/// The `clv` example's JSON.
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

fn output(fits: &btyd::Fits, predictions: &RecordBatch) -> Output {
    let (b, p, g) = (&fits.bgnbd, &fits.pareto_nbd, &fits.gamma_gamma);
    let float =
        |name: &str| predictions.column_by_name(name).expect("a predictions column").as_primitive::<Float64Type>();
    let keys = predictions.column(0).as_string::<i32>();
    let frequency = predictions.column(1).as_primitive::<UInt32Type>();
    let (recency, t, monetary) = (float("recency"), float("T"), float("monetary_value"));
    let (expected, alive, value) = (float("expected_purchases"), float("p_alive"), float("expected_avg_value"));
    let customers = (0..predictions.num_rows())
        .map(|i| CustomerOut {
            customer_id: keys.value(i).to_owned(),
            frequency: frequency.value(i),
            recency: recency.value(i),
            t: t.value(i),
            monetary_value: monetary.value(i),
            expected_purchases_39: expected.value(i),
            p_alive: alive.value(i),
            expected_avg_value: value.value(i),
        })
        .collect();
    Output {
        bgnbd: BgNbdOut {
            r: b.model.r(),
            alpha: b.model.alpha(),
            a: b.model.a(),
            b: b.model.b(),
            log_likelihood: b.log_likelihood,
        },
        pareto_nbd: ParetoOut {
            r: p.model.r(),
            alpha: p.model.alpha(),
            s: p.model.s(),
            beta: p.model.beta(),
            log_likelihood: p.log_likelihood,
        },
        gamma_gamma: GammaGammaOut {
            p: g.model.p(),
            q: g.model.q(),
            v: g.model.v(),
            log_likelihood: g.log_likelihood,
            customers_used: g.customers_used as u64,
        },
        customers,
    }
}
