//! [`CustomerStore`]: the customer base kept durably on disk, in a `redb`
//! embedded database, for a shop that runs it every day.
//!
//! Each customer is one record: their key, creation, consent, attributes,
//! their events in compact form, their explicit moves and their derived
//! state (stage, since, transitions with reasons), so that opening a store
//! replays nothing and reads one record per customer. Side tables map event
//! ids to their owner (for duplicates and for the purchase a refund names),
//! who referred and who follows whom (the facts that tie customers
//! together), interned channel and campaign names, and the store's metadata
//! (policy, format version, stage counts). Every value carries a format
//! version byte and an XXH3-64 checksum of its table, key and payload,
//! verified on every read: a damaged value is a
//! [`StoreError::Corrupt`], never a different answer.
//!
//! A batch ([`CustomerStore::apply_batch`]) is one write transaction: all or
//! nothing, durable when the call returns. It loads only the customers the
//! batch names (and whoever referred them, whose credits their first
//! purchase may move) into an in-memory [`CustomerBase`], applies the batch
//! there with [`eventlog::ingest`](crate::eventlog::ingest) (the same validation and the same rules
//! engine as the base), and writes back those customers. A late event
//! revises its customer's history, and their referrers', exactly as in the
//! base: the store after any batches equals the base given the same events.
//!
//! Erasure ([`forget`](CustomerStore::forget),
//! [`forget_all`](CustomerStore::forget_all)) touches the forgotten and the
//! customers whose facts name them, derived again as if the forgotten had
//! never existed; `forget_all` then compacts the file so that none of their
//! bytes remain. Nothing remembers a forgotten key: ingesting an old file
//! that names them creates them again.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::eventlog::read_jsonl;
//! use customer_lifecycle::store::CustomerStore;
//! use customer_lifecycle::{Policy, Stage};
//!
//! let dir = std::env::temp_dir().join(format!("store-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let mut store = CustomerStore::create(&dir, Policy::default())?;
//! let day1 = concat!(
//!     r#"{"id":"o1","customer":"ana","at":"2024-03-01T10:00:00Z","channel":"web","type":"purchase","amount":"20"}"#, "\n",
//!     r#"{"id":"r1","customer":"ana","at":"2024-03-02T10:00:00Z","channel":"web","type":"referral","invitee":"bo"}"#, "\n",
//! );
//! store.apply_batch(&read_jsonl(day1.as_bytes(), "day1.jsonl")?)?;
//! // A day late, ana's second purchase of the 1st of March arrives.
//! let day2 = r#"{"id":"o0","customer":"ana","at":"2024-03-01T09:00:00Z","channel":"store","type":"purchase","amount":"5"}"#;
//! store.apply_batch(&read_jsonl(day2.as_bytes(), "day2.jsonl")?)?;
//! drop(store);
//!
//! let mut store = CustomerStore::open(&dir)?; // replays nothing
//! let ana = store.get("ana")?.unwrap();
//! assert_eq!(ana.stage(), Stage::Repeat);
//! assert_eq!(store.stage_counts()?.get(Stage::Prospect), 1); // bo
//!
//! store.forget_all(&["ana"])?;
//! assert!(store.get("ana")?.is_none());
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod codec;
mod error;
#[doc(hidden)]
pub mod fault;
mod forget;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

pub use error::StoreError;

use codec::{Key, Stored, decode_customer, decode_nums, decode_pairs, seal, unseal};

use crate::base::Record;
use crate::customer::Customer;
use crate::{AttributeValue, CampaignId, Consent, CustomerBase, Policy, Stage, StageCounts, Transition};

pub(crate) const CUSTOMERS: TableDefinition<&str, &[u8]> = TableDefinition::new("customers");
pub(crate) const NAMES: TableDefinition<u32, &[u8]> = TableDefinition::new("names");
pub(crate) const EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("events");
pub(crate) const REFERRERS: TableDefinition<u32, &[u8]> = TableDefinition::new("referrers");
pub(crate) const FOLLOWERS: TableDefinition<u32, &[u8]> = TableDefinition::new("followers");
pub(crate) const CHANNELS: TableDefinition<u32, &[u8]> = TableDefinition::new("channels");
pub(crate) const CAMPAIGNS: TableDefinition<u32, &[u8]> = TableDefinition::new("campaigns");
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// The database file inside a store's directory.
const FILE: &str = "customers.redb";

/// A durable, incremental customer base in a directory: see the
/// [module docs](self).
#[derive(Debug)]
pub struct CustomerStore {
    db: Db,
    policy: Policy,
    dir: PathBuf,
}

/// The database, opened for writing or only for reading.
enum Db {
    Write(Database),
    Read(redb::ReadOnlyDatabase),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Write(_) => "Db::Write",
            Db::Read(_) => "Db::Read",
        })
    }
}

impl Db {
    fn begin_read(&self) -> Result<redb::ReadTransaction, redb::TransactionError> {
        match self {
            Db::Write(db) => db.begin_read(),
            Db::Read(db) => db.begin_read(),
        }
    }

    fn writable(&mut self) -> Result<&mut Database, StoreError> {
        match self {
            Db::Write(db) => Ok(db),
            Db::Read(_) => Err(StoreError::ReadOnly),
        }
    }
}

/// What [`CustomerStore::apply_batch`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BatchReport {
    /// Customers the batch created.
    pub customers_created: usize,
    /// Events now stored, the consent changes of `customer` records included.
    pub events_applied: usize,
    /// Events skipped as stored already with identical content, plus lines
    /// the reader skipped as exact repeats within the file.
    pub duplicates: usize,
    /// `customer` records that set attributes.
    pub attribute_updates: usize,
    /// Customer records written (those the batch named, and referrers whose
    /// credits were derived again).
    pub customers_written: usize,
}

/// A customer as the store keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCustomer {
    customer: Customer,
}

impl StoredCustomer {
    /// The shop's key.
    pub fn key(&self) -> &str {
        self.customer.key().unwrap_or_default()
    }

    /// Their current stage.
    pub fn stage(&self) -> Stage {
        self.customer.stage()
    }

    /// When they moved into their current stage, or their creation instant
    /// if they never moved.
    pub fn since(&self) -> DateTime<Utc> {
        since(&self.customer)
    }

    /// When the store first knew them.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.customer.created_at()
    }

    /// Their consent.
    pub fn consent(&self) -> &Consent {
        self.customer.consent()
    }

    /// Their attributes.
    pub fn attributes(&self) -> &BTreeMap<String, AttributeValue> {
        self.customer.attributes()
    }

    /// Every move they made, oldest first, with its reason.
    pub fn history(&self) -> &[Transition] {
        self.customer.history()
    }

    /// The customer, for whole-base code.
    pub fn customer(&self) -> &Customer {
        &self.customer
    }

    /// The customer, for whole-base code.
    pub fn into_customer(self) -> Customer {
        self.customer
    }
}

/// One customer's stage as of an instant: see [`CustomerStore::stages_as_of`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageAsOf {
    /// The shop's key.
    pub key: String,
    /// Their stage then.
    pub stage: Stage,
    /// When they moved into it, or their creation instant.
    pub since: DateTime<Utc>,
}

fn since(customer: &Customer) -> DateTime<Utc> {
    customer.history().last().map_or(customer.created_at(), |t| t.at)
}

/// The customer as of `t`: their history up to `t` (events after it
/// counted out) with the time rules run up to `t`; `None` before their
/// creation.
fn as_of(customer: &Customer, t: DateTime<Utc>, policy: &Policy) -> Option<Customer> {
    if customer.created_at() > t {
        return None;
    }
    if customer.engine.clock >= t {
        // The history is derived in time order, so its prefix up to `t` is
        // what the events up to `t` made of the customer.
        let mut then = customer.clone();
        then.truncate_history(t);
        return Some(then);
    }
    let mut ahead = customer.clone();
    ahead.evaluate_at(t, policy);
    Some(ahead)
}

/// Runs a database call, turning a panic inside it into
/// [`StoreError::Corrupt`]: the database can panic on a damaged page
/// instead of returning an error, and a damaged file must be an error,
/// never a crash.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(StoreError::Corrupt { table: "(pages)", key: message })
        }
    }
}

fn db_error(e: impl Into<redb::Error>) -> StoreError {
    StoreError::from(e.into())
}

/// Reads the metadata value `name`.
fn meta_get(table: &impl ReadableTable<&'static str, &'static [u8]>, name: &str) -> Result<Vec<u8>, StoreError> {
    let value = table.get(name)?.ok_or(StoreError::Corrupt { table: "meta", key: name.to_owned() })?;
    Ok(unseal("meta", Key::Text(name), value.value())?.to_vec())
}

fn corrupt(table: &'static str, key: &dyn std::fmt::Display) -> StoreError {
    StoreError::Corrupt { table, key: key.to_string() }
}

/// Loads the customer stored under `key`.
fn load(table: &impl ReadableTable<&'static str, &'static [u8]>, key: &str) -> Result<Option<Stored>, StoreError> {
    let Some(value) = table.get(key)? else { return Ok(None) };
    let payload = unseal("customers", Key::Text(key), value.value())?;
    let stored = decode_customer(payload).ok_or_else(|| corrupt("customers", &key))?;
    if stored.customer.key() != Some(key) {
        return Err(corrupt("customers", &key));
    }
    Ok(Some(stored))
}

/// The key of customer number `num`.
fn key_of(names: &impl ReadableTable<u32, &'static [u8]>, num: u32) -> Result<String, StoreError> {
    let value = names.get(num)?.ok_or_else(|| corrupt("names", &num))?;
    let payload = unseal("names", Key::Num(num), value.value())?;
    String::from_utf8(payload.to_vec()).map_err(|_| corrupt("names", &num))
}

/// Loads customer number `num`, who must exist.
fn load_num(
    names: &impl ReadableTable<u32, &'static [u8]>,
    customers: &impl ReadableTable<&'static str, &'static [u8]>,
    num: u32,
) -> Result<Stored, StoreError> {
    let key = key_of(names, num)?;
    let stored = load(customers, &key)?.ok_or_else(|| corrupt("customers", &key))?;
    if stored.num != num {
        return Err(corrupt("customers", &key));
    }
    Ok(stored)
}

/// Who referred customer `num`, and when first.
fn referrers_of(
    table: &impl ReadableTable<u32, &'static [u8]>,
    num: u32,
) -> Result<Vec<(u32, DateTime<Utc>)>, StoreError> {
    let Some(value) = table.get(num)? else { return Ok(Vec::new()) };
    decode_pairs(unseal("referrers", Key::Num(num), value.value())?).ok_or_else(|| corrupt("referrers", &num))
}

/// Who follows customer `num`.
fn followers_of(table: &impl ReadableTable<u32, &'static [u8]>, num: u32) -> Result<Vec<u32>, StoreError> {
    let Some(value) = table.get(num)? else { return Ok(Vec::new()) };
    decode_nums(unseal("followers", Key::Num(num), value.value())?).ok_or_else(|| corrupt("followers", &num))
}

/// The interned names of other channels and the campaigns, in code order.
fn interned(
    channels: &impl ReadableTable<u32, &'static [u8]>,
    campaigns: &impl ReadableTable<u32, &'static [u8]>,
) -> Result<(Vec<String>, Vec<CampaignId>), StoreError> {
    let mut names = Vec::new();
    for entry in channels.iter()? {
        let (code, value) = entry?;
        let code = code.value();
        if code as usize != names.len() {
            return Err(corrupt("channels", &code));
        }
        let payload = unseal("channels", Key::Num(code), value.value())?;
        names.push(String::from_utf8(payload.to_vec()).map_err(|_| corrupt("channels", &code))?);
    }
    let mut ids = Vec::new();
    for entry in campaigns.iter()? {
        let (code, value) = entry?;
        let code = code.value();
        let payload = unseal("campaigns", Key::Num(code), value.value())?;
        let bytes: [u8; 16] = payload.try_into().map_err(|_| corrupt("campaigns", &code))?;
        if code as usize != ids.len() {
            return Err(corrupt("campaigns", &code));
        }
        ids.push(CampaignId::from_uuid(uuid::Uuid::from_bytes(bytes)));
    }
    Ok((names, ids))
}

fn encode_counts(counts: &[u64; 8]) -> Vec<u8> {
    counts.iter().flat_map(|c| c.to_le_bytes()).collect()
}

fn decode_counts(payload: &[u8]) -> Option<[u64; 8]> {
    if payload.len() != 64 {
        return None;
    }
    let mut counts = [0u64; 8];
    for (c, chunk) in counts.iter_mut().zip(payload.chunks_exact(8)) {
        *c = u64::from_le_bytes(chunk.try_into().ok()?);
    }
    Some(counts)
}

fn put_meta(
    table: &mut redb::Table<'_, &'static str, &'static [u8]>,
    name: &str,
    payload: &[u8],
) -> Result<(), StoreError> {
    table.insert(name, seal("meta", Key::Text(name), payload).as_slice())?;
    Ok(())
}

impl CustomerStore {
    /// Creates a store in directory `dir` (created if needed) that runs
    /// `policy`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Path`] if `dir` holds a store already or cannot be
    /// created; [`StoreError::Database`] on I/O failure.
    pub fn create(dir: impl AsRef<Path>, policy: Policy) -> Result<Self, StoreError> {
        guarded(|| {
            let dir = dir.as_ref();
            let path_error = |reason: String| StoreError::Path { path: dir.display().to_string(), reason };
            std::fs::create_dir_all(dir).map_err(|e| path_error(e.to_string()))?;
            let file = dir.join(FILE);
            if file.exists() {
                return Err(path_error("a store exists there already".to_owned()));
            }
            // Written under a temporary name and renamed, so that a crash never
            // leaves a half-made store that `open` would take for one.
            let tmp = dir.join(format!("{FILE}.new"));
            let _ = std::fs::remove_file(&tmp);
            {
                let db = Database::create(&tmp)?;
                let txn = db.begin_write()?;
                {
                    let mut meta = txn.open_table(META)?;
                    put_meta(&mut meta, "format", &[codec::FORMAT])?;
                    let policy_json = serde_json::to_vec(&policy).expect("a policy serialises");
                    put_meta(&mut meta, "policy", &policy_json)?;
                    put_meta(&mut meta, "counts", &encode_counts(&[0; 8]))?;
                    put_meta(&mut meta, "next", &0u32.to_le_bytes())?;
                    put_meta(&mut meta, "events", &0u64.to_le_bytes())?;
                    txn.open_table(CUSTOMERS)?;
                    txn.open_table(NAMES)?;
                    txn.open_table(EVENTS)?;
                    txn.open_table(REFERRERS)?;
                    txn.open_table(FOLLOWERS)?;
                    txn.open_table(CHANNELS)?;
                    txn.open_table(CAMPAIGNS)?;
                }
                txn.commit()?;
            }
            std::fs::rename(&tmp, &file).map_err(|e| path_error(e.to_string()))?;
            let db = Db::Write(Database::open(&file)?);
            Ok(CustomerStore { db, policy, dir: dir.to_path_buf() })
        })
    }

    /// Opens the store in directory `dir`. Nothing is replayed: each
    /// customer's derived state is stored with them.
    ///
    /// # Errors
    ///
    /// [`StoreError::Path`] when `dir` holds no store;
    /// [`StoreError::Format`] for another format version;
    /// [`StoreError::Corrupt`] when the metadata fails its checks;
    /// [`StoreError::Database`] when the file cannot be opened.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(dir.as_ref(), false)
    }

    /// Opens the store in directory `dir` for reading only: the files are
    /// not written, and every call that would write is
    /// [`StoreError::ReadOnly`].
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open); [`StoreError::Database`] also when the
    /// database needs the repair that only a writer may make (after a crash:
    /// open it for writing once).
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(dir.as_ref(), true)
    }

    fn open_with(dir: &Path, read_only: bool) -> Result<Self, StoreError> {
        guarded(|| {
            let file = dir.join(FILE);
            if !file.is_file() {
                return Err(StoreError::Path { path: dir.display().to_string(), reason: "no store there".to_owned() });
            }
            let db = if read_only {
                Db::Read(Database::builder().open_read_only(&file)?)
            } else {
                Db::Write(Database::open(&file)?)
            };
            let txn = db.begin_read()?;
            let meta = txn.open_table(META)?;
            let format = meta_get(&meta, "format")?;
            if format != [codec::FORMAT] {
                return Err(StoreError::Format {
                    found: format.first().copied().unwrap_or(0),
                    expected: codec::FORMAT,
                });
            }
            let policy: Policy =
                serde_json::from_slice(&meta_get(&meta, "policy")?).map_err(|_| corrupt("meta", &"policy"))?;
            drop(meta);
            drop(txn);
            Ok(CustomerStore { db, policy, dir: dir.to_path_buf() })
        })
    }

    /// Whether `dir` holds a store.
    pub fn exists(dir: impl AsRef<Path>) -> bool {
        dir.as_ref().join(FILE).is_file()
    }

    /// The policy the store runs.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The customer with this key.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when their record fails its checks;
    /// [`StoreError::Database`].
    pub fn get(&self, key: &str) -> Result<Option<StoredCustomer>, StoreError> {
        guarded(|| {
            let txn = self.db.begin_read()?;
            let table = txn.open_table(CUSTOMERS)?;
            Ok(load(&table, key)?.map(|s| StoredCustomer { customer: s.customer }))
        })
    }

    /// How many customers stand at each stage (kept up to date by every
    /// commit: O(1)).
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when the counts fail their checks;
    /// [`StoreError::Database`].
    pub fn stage_counts(&self) -> Result<StageCounts, StoreError> {
        guarded(|| {
            let txn = self.db.begin_read()?;
            let meta = txn.open_table(META)?;
            let counts = decode_counts(&meta_get(&meta, "counts")?).ok_or_else(|| corrupt("meta", &"counts"))?;
            Ok(StageCounts::from_counts(counts.map(|c| c as usize)))
        })
    }

    /// How many customers the store holds.
    ///
    /// # Errors
    ///
    /// As [`stage_counts`](Self::stage_counts).
    pub fn len(&self) -> Result<usize, StoreError> {
        Ok(self.stage_counts()?.total())
    }

    /// Whether the store holds no customer.
    ///
    /// # Errors
    ///
    /// As [`stage_counts`](Self::stage_counts).
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// Every customer, in the byte order of their keys, read from one
    /// snapshot of the store.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the read cannot start; each item is an
    /// error when its record fails its checks.
    pub fn customers(&self) -> Result<impl Iterator<Item = Result<StoredCustomer, StoreError>> + use<>, StoreError> {
        let range = guarded(|| {
            let txn = self.db.begin_read()?;
            let table = txn.open_table(CUSTOMERS)?;
            Ok(table.range::<&str>(..)?)
        })?;
        Ok(range.map(|entry| {
            guarded(|| {
                let (key, value) = entry?;
                let key = key.value();
                let payload = unseal("customers", Key::Text(key), value.value())?;
                let stored = decode_customer(payload).ok_or_else(|| corrupt("customers", &key))?;
                if stored.customer.key() != Some(key) {
                    return Err(corrupt("customers", &key));
                }
                Ok(StoredCustomer { customer: stored.customer })
            })
        }))
    }

    /// Every customer created at or before `t`, in the byte order of their
    /// keys, with their stage as of `t`: counting only events at or before
    /// `t`, with the time rules run up to `t`; and when they moved into it.
    ///
    /// # Errors
    ///
    /// As [`customers`](Self::customers).
    ///
    /// # Complexity
    ///
    /// O(customers + their moves).
    pub fn stages_as_of(&self, t: DateTime<Utc>) -> Result<Vec<StageAsOf>, StoreError> {
        guarded(|| {
            let mut out = Vec::new();
            for customer in self.customers()? {
                let customer = customer?;
                if let Some(then) = as_of(&customer.customer, t, &self.policy) {
                    out.push(StageAsOf { key: customer.key().to_owned(), stage: then.stage(), since: since(&then) });
                }
            }
            Ok(out)
        })
    }

    /// A customer's moves, oldest first (ties in the order they were made);
    /// with `as_of`, those up to it, the time rules run up to it.
    ///
    /// # Errors
    ///
    /// [`StoreError::UnknownCustomer`]; [`StoreError::Corrupt`];
    /// [`StoreError::Database`].
    pub fn history(&self, key: &str, as_of: Option<DateTime<Utc>>) -> Result<Vec<Transition>, StoreError> {
        guarded(|| {
            let customer = self.get(key)?.ok_or_else(|| StoreError::UnknownCustomer { key: key.to_owned() })?;
            Ok(match as_of {
                None => customer.history().to_vec(),
                Some(t) => {
                    self::as_of(&customer.customer, t, &self.policy).map(|c| c.history().to_vec()).unwrap_or_default()
                }
            })
        })
    }

    /// The whole store as an in-memory [`CustomerBase`] (customers in key
    /// order), for the crate's whole-base analytics. Memory grows with the
    /// store; use [`customers`](Self::customers) to stream customers instead.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`]; [`StoreError::Database`].
    pub fn to_base(&self) -> Result<CustomerBase, StoreError> {
        guarded(|| {
            let txn = self.db.begin_read()?;
            let customers = txn.open_table(CUSTOMERS)?;
            let (channels, campaigns) = interned(&txn.open_table(CHANNELS)?, &txn.open_table(CAMPAIGNS)?)?;
            let referrers = txn.open_table(REFERRERS)?;
            let mut all: Vec<Stored> = Vec::new();
            for entry in customers.range::<&str>(..)? {
                let (key, _) = entry?;
                let key = key.value();
                all.push(load(&customers, key)?.ok_or_else(|| corrupt("customers", &key))?);
            }
            let slot_of: std::collections::HashMap<u32, u32> =
                all.iter().enumerate().map(|(i, s)| (s.num, i as u32)).collect();
            let local = |num: u32| slot_of.get(&num).copied().ok_or_else(|| corrupt("names", &num));
            let mut base = CustomerBase::new(self.policy.clone());
            base.preload_interned(channels, campaigns);
            let mut lists = Vec::with_capacity(all.len());
            for stored in all {
                lists.push(referrers_of(&referrers, stored.num)?);
                let records = translate(&stored.records, &local)?;
                base.load_slot(stored.customer, stored.initial_consent, records, stored.open_tickets);
            }
            for (slot, list) in lists.into_iter().enumerate() {
                let list = list.into_iter().map(|(r, at)| Ok((local(r)?, at))).collect::<Result<_, StoreError>>()?;
                base.set_referrers(slot as u32, list);
            }
            Ok(base)
        })
    }

    /// Checks every page of the database (its own checksums) and every value
    /// (this crate's checksums).
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] naming the first value that fails;
    /// [`StoreError::Database`].
    pub fn verify(&mut self) -> Result<(), StoreError> {
        guarded(|| {
            if !self.db.writable()?.check_integrity().map_err(db_error)? {
                return Err(corrupt("(pages)", &"integrity check"));
            }
            self.to_base().map(drop)
        })
    }
}

/// `records` with the customers they name renumbered by `map`.
fn translate(records: &[Record], map: &impl Fn(u32) -> Result<u32, StoreError>) -> Result<Vec<Record>, StoreError> {
    use crate::base::Kind;
    records
        .iter()
        .map(|r| {
            let mut r = *r;
            match &mut r.kind {
                Kind::Referral { invitee: n } | Kind::Follow { of: Some(n) } => *n = map(*n)?,
                _ => {}
            }
            Ok(r)
        })
        .collect()
}
