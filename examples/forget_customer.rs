//! Cookbook recipe: erasing a customer.
//!
//! Reads a shop's own event log (by default the bundled
//! examples/data/shop.csv) and erases one customer on request (by default
//! `c003`): their key, attributes, consent and events, and the other
//! customers' events that name them (follows and referrals of them).
//!
//!     cargo run --example forget_customer [-- FILE.csv|FILE.jsonl [KEY]]

use std::error::Error;
use std::io::Write;
use std::path::Path;

use customer_lifecycle::eventlog::{ingest, read_path};
use customer_lifecycle::{CustomerBase, CustomerId, Policy};

fn main() -> Result<(), Box<dyn Error>> {
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/shop.csv");
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| bundled.to_owned());
    let key = args.next().unwrap_or_else(|| "c003".to_owned());
    run(Path::new(&path), &key, &mut std::io::stdout().lock())
}

/// Erases the customer `key` from the base built from `path`, and writes
/// what was erased to `out`.
///
/// # Errors
///
/// When the log cannot be read or ingested, when no customer has the key,
/// or when `out` cannot be written.
pub fn run(path: &Path, key: &str, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let batch = read_path(path)?;
    let mut base = CustomerBase::new(Policy::default());
    ingest(&mut base, &batch)?;

    // Ids are derived from the shop's keys, so the key finds the customer.
    let id = CustomerId::from_key(key);
    let before = base.len();
    // Everyone else ends exactly as in a base that never held them: a
    // referrer's credit for them, and any stage it earned, is gone too.
    let erased = base.forget(id)?;

    writeln!(
        out,
        "erased {key}: {} events of their own, {} events of others naming them",
        erased.events, erased.references
    )?;
    writeln!(out, "customers: {before} before, {} after", base.len())?;
    writeln!(out, "still known: {}", base.get(id).is_some())?;
    Ok(())
}
