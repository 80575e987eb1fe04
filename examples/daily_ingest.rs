//! Cookbook recipe: your own event log into a store, kept daily.
//!
//! Each day's run opens the store (a directory; created on the first day),
//! applies that day's export of the shop's own event log as one atomic
//! batch, and brings every customer's stage up to the end of the day.
//! Without arguments it keeps a store in the system's temporary directory
//! and runs two days on the bundled data: the history so far
//! (examples/data/shop.csv), then the next day
//! (examples/data/2025-07-01.csv).
//!
//!     cargo run --example daily_ingest [-- STORE_DIR FILE.csv|FILE.jsonl YYYY-MM-DD]

use std::error::Error;
use std::io::Write;
use std::path::Path;

use chrono::{NaiveDate, TimeDelta};
use customer_lifecycle::Policy;
use customer_lifecycle::eventlog::read_path;
use customer_lifecycle::store::CustomerStore;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = &mut std::io::stdout().lock();
    if let [store, file, day] = args.as_slice() {
        return run(Path::new(store), Path::new(file), day.parse()?, out);
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let store = std::env::temp_dir().join("customer-lifecycle-daily");
    if store.exists() {
        std::fs::remove_dir_all(&store)?;
    }
    run(&store, &data.join("shop.csv"), "2025-06-30".parse()?, out)?;
    run(&store, &data.join("2025-07-01.csv"), "2025-07-01".parse()?, out)
}

/// One day's run: `file` (the day's events) into the store in directory
/// `dir`, as of the end of `day`; what it did goes to `out`.
///
/// # Errors
///
/// When the store or the file cannot be read, when the file holds a bad
/// line or an event that contradicts one already stored (then the store is
/// left as it was), or when the store or `out` cannot be written.
pub fn run(dir: &Path, file: &Path, day: NaiveDate, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let mut store = if CustomerStore::exists(dir) {
        CustomerStore::open(dir)?
    } else {
        CustomerStore::create(dir, Policy::default())?
    };
    // The whole file is checked, then committed all or nothing, durably:
    // a run that dies half-way leaves yesterday's store. Events already
    // stored with the same content are skipped, so an export that overlaps
    // the previous one, or a day run twice, changes nothing.
    let batch = read_path(file)?;
    let report = store.apply_batch(&batch)?;
    // The library never reads the clock: the day's end is given.
    let end_of_day = day.and_hms_opt(0, 0, 0).ok_or("midnight exists")?.and_utc() + TimeDelta::days(1);
    store.advance_to(end_of_day)?;

    writeln!(
        out,
        "{day}: {} events applied, {} already stored; customers: {} new, {} in the store",
        report.events_applied,
        report.duplicates,
        report.customers_created,
        store.len()?
    )?;
    Ok(())
}
