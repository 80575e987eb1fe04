//! A Ballista executor with the crate's functions compiled in.
//!
//! ```text
//! cargo run --release -p customer-lifecycle-datafusion --features ballista --example executor -- \
//!     --scheduler 10.0.0.1:50050 [--bind 0.0.0.0:50051 --advertise 10.0.0.2] [--vcores N]
//! ```
//!
//! `--bind` is where its data server listens (default `127.0.0.1:0`: a
//! loopback port from the system); `--advertise` the host name the client
//! and the other executors reach it by (default the bind address, needed
//! with `0.0.0.0`); `--vcores` the tasks it runs at once (default one per
//! core). It serves until Ctrl-C or SIGTERM, then tells the scheduler and
//! drains its tasks. Bad arguments, or a scheduler it cannot reach, exit 1
//! with one `error:` line.

use std::process::ExitCode;

use customer_lifecycle_datafusion::cluster::{ExecutorOptions, serve_executor};

const USAGE: &str = "usage: executor --scheduler HOST:PORT [--bind HOST:PORT] [--advertise HOST] [--vcores N]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match options(&args) {
        Ok(options) => serve_executor(&options).await.map_err(|e| e.to_string()),
        Err(message) => Err(message),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {}", message.replace(['\n', '\r'], " "));
            ExitCode::FAILURE
        }
    }
}

fn options(args: &[String]) -> Result<ExecutorOptions, String> {
    let (mut scheduler, mut bind, mut advertise, mut vcores) = (None, None, None, None);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().cloned().ok_or_else(|| format!("{flag} needs a value; {USAGE}"))?;
        match flag.as_str() {
            "--scheduler" => scheduler = Some(value),
            "--bind" => bind = Some(value),
            "--advertise" => advertise = Some(value),
            "--vcores" => vcores = Some(value),
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    let scheduler = scheduler.ok_or_else(|| USAGE.to_owned())?;
    let mut options = ExecutorOptions::loopback(&scheduler);
    if let Some(bind) = bind {
        options.bind = bind.parse().map_err(|_| format!("--bind {bind:?} is not IP:PORT"))?;
    }
    options.advertise = advertise;
    if let Some(v) = vcores {
        options.vcores = v.parse().map_err(|_| format!("--vcores {v:?} is not a whole number"))?;
    }
    Ok(options)
}
