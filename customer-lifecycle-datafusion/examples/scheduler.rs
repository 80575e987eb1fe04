//! A Ballista scheduler with the crate's functions compiled in.
//!
//! ```text
//! cargo run --release -p customer-lifecycle-datafusion --features ballista --example scheduler -- --bind 0.0.0.0:50050
//! ```
//!
//! Prints `scheduler listening on HOST:PORT` on standard output once it
//! listens (port 0 asks the system for a port), then serves until the
//! process is stopped. Bad arguments, or an address it cannot listen on,
//! exit 1 with one `error:` line.

use std::io::Write;
use std::process::ExitCode;

use customer_lifecycle_datafusion::cluster::serve_scheduler;

const USAGE: &str = "usage: scheduler --bind HOST:PORT";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {}", message.replace(['\n', '\r'], " "));
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let [flag, bind] = args else { return Err(USAGE.to_owned()) };
    if flag != "--bind" {
        return Err(USAGE.to_owned());
    }
    let listener =
        tokio::net::TcpListener::bind(bind.as_str()).await.map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "scheduler listening on {addr}").and_then(|()| out.flush()).map_err(|e| e.to_string())?;
    drop(out);
    serve_scheduler(listener).await.map_err(|e| e.to_string())
}
