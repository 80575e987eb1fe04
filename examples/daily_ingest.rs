//! Cookbook recipe: your own event log into a store, kept daily.
//!
//! Each day's run loads the base from its snapshot file (or starts an
//! empty one), ingests that day's export of the shop's own event log,
//! brings every customer's stage up to the end of the day, and writes the
//! snapshot back. Without arguments it keeps a store in the system's
//! temporary directory and runs two days on the bundled data: the history
//! so far (examples/data/shop.csv), then the next day
//! (examples/data/2025-07-01.csv).
//!
//!     cargo run --example daily_ingest [-- STORE FILE.csv|FILE.jsonl YYYY-MM-DD]

use std::error::Error;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use chrono::{NaiveDate, TimeDelta};
use customer_lifecycle::eventlog::{ingest, read_path};
use customer_lifecycle::{CustomerBase, Policy};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = &mut std::io::stdout().lock();
    if let [store, file, day] = args.as_slice() {
        return run(Path::new(store), Path::new(file), day.parse()?, out);
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let store = std::env::temp_dir().join("customer-lifecycle-daily.snapshot");
    if store.exists() {
        std::fs::remove_file(&store)?;
    }
    run(&store, &data.join("shop.csv"), "2025-06-30".parse()?, out)?;
    run(&store, &data.join("2025-07-01.csv"), "2025-07-01".parse()?, out)
}

/// One day's run: `file` (the day's events) into the base kept in `store`,
/// as of the end of `day`; what it did goes to `out`.
///
/// # Errors
///
/// When the store or the file cannot be read, when the file holds a bad
/// line or an event that contradicts one already stored (then the store is
/// left as it was), or when the store or `out` cannot be written.
pub fn run(store: &Path, file: &Path, day: NaiveDate, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let mut base = if store.exists() {
        CustomerBase::read_snapshot(BufReader::new(File::open(store)?))?
    } else {
        CustomerBase::new(Policy::default())
    };
    // The whole file is checked, then applied all or nothing. Events
    // already stored with the same content are skipped, so an export that
    // overlaps the previous one, or a day run twice, changes nothing.
    let batch = read_path(file)?;
    let report = ingest(&mut base, &batch)?;
    // The library never reads the clock: the day's end is given.
    let end_of_day = day.and_hms_opt(0, 0, 0).ok_or("midnight exists")?.and_utc() + TimeDelta::days(1);
    base.advance_to(end_of_day);

    // Write beside the store and rename, so a run that dies half-way leaves
    // yesterday's store intact.
    let partial = store.with_extension("partial");
    let mut writer = BufWriter::new(File::create(&partial)?);
    base.write_snapshot(&mut writer)?;
    writer.flush()?;
    writer.get_ref().sync_all()?;
    std::fs::rename(&partial, store)?;

    writeln!(
        out,
        "{day}: {} events applied, {} already stored; customers: {} new, {} in the store",
        report.events_applied,
        report.duplicates,
        report.customers_created,
        base.len()
    )?;
    Ok(())
}
