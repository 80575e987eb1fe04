//! `lifecycle`: a customer store that a shop runs every day, on the
//! command line.
//!
//! ```text
//! cargo run --example lifecycle -- ingest  --store DIR [--policy FILE.json] FILE...
//! cargo run --example lifecycle -- stages  --store DIR --as-of RFC3339
//! cargo run --example lifecycle -- history --store DIR --customer KEY [--as-of RFC3339]
//! cargo run --example lifecycle -- forget  --store DIR --customer KEY [KEY...]
//! ```
//!
//! - `ingest` creates the store in `DIR` if needed (with the default policy,
//!   or the JSON policy of `--policy`), and applies each keyed event log
//!   (`.jsonl` or `.csv`, see `customer_lifecycle::eventlog`) as one atomic
//!   batch, in the order given. Re-ingesting a file changes nothing; killed
//!   at any instant, the same command run again completes the work.
//! - `stages` prints CSV `customer,stage,since`: one row per customer created
//!   at or before `--as-of` (an RFC 3339 instant with an offset), their stage
//!   counting only events up to it with the time rules run up to it, and
//!   the instant they moved into it (or their creation), in UTC as
//!   `YYYY-MM-DDTHH:MM:SSZ` with fractional seconds only when non-zero;
//!   rows sorted by the key's UTF-8 bytes. It never writes to the store.
//! - `history` prints CSV `at,from,to,reason` for one customer, oldest
//!   first, `reason` the rule's snake-case name or `explicit: NOTE`.
//! - `forget` erases the customers, all or nothing, and compacts the store
//!   so that none of their bytes remain. Nothing remembers them: ingesting
//!   an old file that names them creates them again.
//!
//! `ingest` and `forget` print nothing on standard output. Exit status 0 on
//! success, 1 on bad input (a refused file, an unknown key, a damaged
//! store, a closed output), 2 on bad usage; errors are one `error:` line on
//! standard error.

use std::io::{self, Write};
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use customer_lifecycle::store::CustomerStore;
use customer_lifecycle::{Policy, Reason};

/// Why the command failed, and its exit status.
#[derive(Debug)]
pub struct Failure {
    /// The one line to print.
    pub message: String,
    /// 1 for bad input, 2 for bad usage.
    pub code: i32,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure { message: message.into(), code: 2 }
}

fn input(message: impl std::fmt::Display) -> Failure {
    Failure { message: format!("{message}"), code: 1 }
}

const USAGE: &str = "usage: lifecycle ingest --store DIR [--policy FILE.json] FILE... | stages --store DIR --as-of RFC3339 | history --store DIR --customer KEY [--as-of RFC3339] | forget --store DIR --customer KEY [KEY...]";

/// The parsed command line.
#[derive(Debug, Default)]
struct Args {
    store: Option<PathBuf>,
    policy: Option<PathBuf>,
    as_of: Option<DateTime<Utc>>,
    customers: Vec<String>,
    files: Vec<PathBuf>,
}

fn instant(value: &str) -> Result<DateTime<Utc>, Failure> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| usage(format!("invalid --as-of {value:?}: expected an RFC 3339 instant with an offset")))
}

fn parse(command: &str, rest: &[String]) -> Result<Args, Failure> {
    let mut args = Args::default();
    let mut rest = rest.iter().peekable();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().ok_or_else(|| usage(format!("{arg} needs a value")));
        match (command, arg.as_str()) {
            (_, "--store") => args.store = Some(PathBuf::from(value()?)),
            ("ingest", "--policy") => args.policy = Some(PathBuf::from(value()?)),
            ("stages" | "history", "--as-of") => args.as_of = Some(instant(value()?)?),
            ("history", "--customer") => args.customers.push(value()?.clone()),
            ("forget", "--customer") => {
                args.customers.push(value()?.clone());
                while let Some(key) = rest.next_if(|a| !a.starts_with("--")) {
                    args.customers.push(key.clone());
                }
            }
            ("ingest", file) if !file.starts_with("--") => args.files.push(PathBuf::from(file)),
            _ => return Err(usage(format!("unknown argument {arg:?} for {command}"))),
        }
    }
    if args.store.is_none() {
        return Err(usage(format!("{command} needs --store DIR")));
    }
    Ok(args)
}

/// `since` and `at` as the contract prints them.
fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn snake<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

fn write_error(e: impl std::fmt::Display) -> Failure {
    input(format!("cannot write the output: {e}"))
}

/// Runs the command on its arguments (without the program name), writing
/// its CSV to `out`.
///
/// # Errors
///
/// The [`Failure`] to report.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<(), Failure> {
    let Some((command, rest)) = args.split_first() else { return Err(usage(USAGE)) };
    if !matches!(command.as_str(), "ingest" | "stages" | "history" | "forget") {
        return Err(usage(USAGE));
    }
    let args = parse(command, rest)?;
    let dir = args.store.clone().expect("checked");
    match command.as_str() {
        "ingest" => {
            if args.files.is_empty() {
                return Err(usage("ingest needs at least one FILE"));
            }
            let policy = match &args.policy {
                Some(path) => {
                    let text = std::fs::read(path).map_err(|e| input(format!("{}: {e}", path.display())))?;
                    Some(
                        serde_json::from_slice::<Policy>(&text)
                            .map_err(|e| input(format!("{}: {e}", path.display())))?,
                    )
                }
                None => None,
            };
            let mut store = if CustomerStore::exists(&dir) {
                let store = CustomerStore::open(&dir).map_err(input)?;
                if policy.as_ref().is_some_and(|p| p != store.policy()) {
                    return Err(input(format!("{}: the store runs another policy", dir.display())));
                }
                store
            } else {
                CustomerStore::create(&dir, policy.unwrap_or_default()).map_err(input)?
            };
            for file in &args.files {
                let batch = customer_lifecycle::eventlog::read_path(file).map_err(input)?;
                store.apply_batch(&batch).map_err(input)?;
            }
            Ok(())
        }
        "stages" => {
            let as_of = args.as_of.ok_or_else(|| usage("stages needs --as-of RFC3339"))?;
            let store = CustomerStore::open_read_only(&dir).map_err(input)?;
            let rows = store.stages_as_of(as_of).map_err(input)?;
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(["customer", "stage", "since"]).map_err(write_error)?;
            for row in rows {
                csv.write_record([row.key.as_str(), &snake(&row.stage), &utc(row.since)]).map_err(write_error)?;
            }
            csv.flush().map_err(write_error)
        }
        "history" => {
            let [key] = args.customers.as_slice() else {
                return Err(usage("history needs one --customer KEY"));
            };
            let store = CustomerStore::open_read_only(&dir).map_err(input)?;
            let history = store.history(key, args.as_of).map_err(input)?;
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(["at", "from", "to", "reason"]).map_err(write_error)?;
            for t in history {
                let reason = match &t.reason {
                    Reason::Rule(rule) => snake(rule),
                    Reason::Explicit { note } => format!("explicit: {note}"),
                    other => snake(other),
                };
                csv.write_record([utc(t.at), snake(&t.from), snake(&t.to), reason]).map_err(write_error)?;
            }
            csv.flush().map_err(write_error)
        }
        _ => {
            if args.customers.is_empty() {
                return Err(usage("forget needs --customer KEY [KEY...]"));
            }
            let mut store = CustomerStore::open(&dir).map_err(input)?;
            store.forget_all(&args.customers).map_err(input)?;
            Ok(())
        }
    }
}

#[path = "support/output.rs"]
mod output;

fn main() {
    // The database may panic on a damaged page; the store turns that into
    // an error, and the one `error:` line below says what happened.
    std::panic::set_hook(Box::new(|_| {}));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = io::stdout();
    if let Err(failure) = run(&args, &mut stdout.lock()) {
        output::fail(failure.message, failure.code);
    }
}
