//! [`CustomerStore`]: the customer base kept durably on disk, in a `redb`
//! embedded database, for a shop that runs it every day.
//!
//! Each customer is one record of their derived state, checkpointed: key,
//! creation, consent, attributes, stage, transitions with reasons and the
//! rules' running summary, in a compact binary codec; so opening a store
//! replays nothing and reading a customer reads one record. Their events
//! are rows of their own, keyed by (customer number, sequence) in time
//! order, so a day's batch appends rows. The id index maps a 64-bit hash of
//! each event id to its owner (for duplicates and for the purchase a refund
//! names), in log-structured runs: each commit writes its new ids as one
//! run with a Bloom filter, and runs of a size merge in tiers. Side tables
//! map who referred and who follows whom (the facts that tie customers
//! together), interned channel and campaign names, and the store's metadata
//! (policy, format version, stage counts, the instants the time rules were
//! advanced to). Every value carries a format version byte (an event row
//! folds it into its checksum instead) and an XXH3 checksum of its table,
//! key and payload, verified on every read: a
//! damaged value is a [`StoreError::Corrupt`], never a different answer.
//!
//! A batch ([`CustomerStore::apply_batch`]) is one write transaction: all or
//! nothing, durable when the call returns. It loads the checkpointed state
//! of the customers the batch names (and of whoever referred them, whose
//! credits their first purchase may move) into an in-memory
//! [`CustomerBase`], applies the batch there with
//! [`eventlog::ingest`](crate::eventlog::ingest) (the same validation and
//! the same rules engine as the base), and writes back what changed. When
//! every new event of a customer comes after their clock, the events are
//! applied to the checkpoint without reading their older events; a late
//! event loads that customer's history (and their referrers') and revises
//! it exactly as the base does: the store after any batches equals the
//! base given the same events.
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
mod ids;
mod overlay;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

pub use error::StoreError;

use codec::{Key, Stored, decode_nums, decode_pairs, decode_record, decode_state, seal, unseal, unseal_row};

use crate::base::Record;
use crate::customer::Customer;
use crate::{AttributeValue, CampaignId, Consent, CustomerBase, CustomerId, Policy, Stage, StageCounts, Transition};

pub(crate) const CUSTOMERS: TableDefinition<&str, &[u8]> = TableDefinition::new("customers");
pub(crate) const NAMES: TableDefinition<u32, &[u8]> = TableDefinition::new("names");
/// Event rows, keyed by a number handed out in increasing order as rows
/// are written (the next is the metadata's `rows`): a batch's rows are
/// appended at the table's right edge, in full pages, instead of landing
/// among each customer's older rows. A customer's state lists their rows'
/// keys; each row's checksum covers its customer and sequence.
pub(crate) const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
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
    /// The working memory of the last batch, emptied, for the next.
    spare: batch::Spare,
}

/// The database, opened for writing or only for reading.
enum Db {
    Write(Database),
    Read(redb::ReadOnlyDatabase),
    /// Opened for reading only, repaired in memory.
    Repaired(Database),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Write(_) => "Db::Write",
            Db::Read(_) => "Db::Read",
            Db::Repaired(_) => "Db::Repaired",
        })
    }
}

impl Db {
    fn begin_read(&self) -> Result<redb::ReadTransaction, redb::TransactionError> {
        match self {
            Db::Write(db) | Db::Repaired(db) => db.begin_read(),
            Db::Read(db) => db.begin_read(),
        }
    }

    fn writable(&mut self) -> Result<&mut Database, StoreError> {
        match self {
            Db::Write(db) => Ok(db),
            Db::Read(_) | Db::Repaired(_) => Err(StoreError::ReadOnly),
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
    /// Customer records written: those whose state the batch changed (the
    /// customers it names, and referrers whose credits moved).
    pub customers_written: usize,
    /// Customers whose older events the batch read, to revise their
    /// history (late events, and the referrers whose credits those move)
    /// or to compare a repeated event id; the others took their new events
    /// on their checkpointed state alone.
    pub histories_loaded: usize,
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
    decode_value(key, CustomerId::from_key(key), value.value()).map(Some)
}

/// The customer stored under `key` (whose id is `id`) from their value as
/// stored, once it passes its checks.
fn decode_value(key: &str, id: CustomerId, value: &[u8]) -> Result<Stored, StoreError> {
    let payload = unseal("customers", Key::Text(key), value)?;
    decode_state(key, id, payload).ok_or_else(|| corrupt("customers", &key))
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
    Ok(load_num_with_value(names, customers, num)?.0)
}

/// [`load_num`], with their value as stored (a batch writes the state back
/// only when it changed).
fn load_num_with_value(
    names: &impl ReadableTable<u32, &'static [u8]>,
    customers: &impl ReadableTable<&'static str, &'static [u8]>,
    num: u32,
) -> Result<(Stored, Vec<u8>), StoreError> {
    let key = key_of(names, num)?;
    let value = customers.get(key.as_str())?.ok_or_else(|| corrupt("customers", &key))?.value().to_vec();
    let stored = decode_value(&key, CustomerId::from_key(&key), &value)?;
    if stored.num != num {
        return Err(corrupt("customers", &key));
    }
    Ok((stored, value))
}

/// The event rows of a stored customer, in time order.
fn load_records(events: &impl ReadableTable<u64, &'static [u8]>, stored: &Stored) -> Result<Vec<Record>, StoreError> {
    let num = u64::from(stored.num);
    let mut records = Vec::with_capacity(stored.rows.len());
    for (seq, &row) in (0u32..).zip(&stored.rows) {
        let key = Key::Row(num, seq);
        let value = events.get(row)?.ok_or_else(|| corrupt("events", &key.label()))?;
        let payload = unseal_row(key, value.value())?;
        records.push(decode_record(payload, stored.epoch, seq).ok_or_else(|| corrupt("events", &key.label()))?);
    }
    Ok(records)
}

/// The key the next event row is stored under.
fn next_row(meta: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<u64, StoreError> {
    Ok(u64::from_le_bytes(meta_get(meta, "rows")?.try_into().map_err(|_| corrupt("meta", &"rows"))?))
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

/// The instants the store's time rules were advanced to, sorted.
fn advances(meta: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<Vec<DateTime<Utc>>, StoreError> {
    codec::decode_instants(&meta_get(meta, "advances")?).ok_or_else(|| corrupt("meta", &"advances"))
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
                    put_meta(&mut meta, "rows", &0u64.to_le_bytes())?;
                    put_meta(&mut meta, "advances", &codec::encode_instants(&[]))?;
                    txn.open_table(CUSTOMERS)?;
                    txn.open_table(NAMES)?;
                    txn.open_table(EVENTS)?;
                    put_meta(&mut meta, "runs", &ids::no_runs())?;
                    txn.open_table(ids::FILTERS)?;
                    txn.open_table(ids::SHARED_IDS)?;
                    txn.open_table(REFERRERS)?;
                    txn.open_table(FOLLOWERS)?;
                    txn.open_table(CHANNELS)?;
                    txn.open_table(CAMPAIGNS)?;
                }
                txn.commit()?;
            }
            std::fs::rename(&tmp, &file).map_err(|e| path_error(e.to_string()))?;
            let db = Db::Write(Database::open(&file)?);
            Ok(CustomerStore { db, policy, dir: dir.to_path_buf(), spare: batch::Spare::default() })
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
    /// As [`open`](Self::open). A store whose writer was killed is read as
    /// of its last commit, without the repair that the next writer makes.
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
                match Database::builder().open_read_only(&file) {
                    Ok(db) => Db::Read(db),
                    // Left by a writer that did not close (killed, say):
                    // repaired in memory, read as of its last commit; the
                    // file is repaired when a writer next opens it.
                    Err(redb::DatabaseError::RepairAborted) => {
                        let overlay = overlay::Overlay::open(&file)
                            .map_err(|e| StoreError::Database { message: e.to_string() })?;
                        Db::Repaired(Database::builder().create_with_backend(overlay)?)
                    }
                    Err(e) => return Err(e.into()),
                }
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
            Ok(CustomerStore { db, policy, dir: dir.to_path_buf(), spare: batch::Spare::default() })
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
                let stored = decode_value(key, CustomerId::from_key(key), value.value())?;
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
            let events = txn.open_table(EVENTS)?;
            let (channels, campaigns) = interned(&txn.open_table(CHANNELS)?, &txn.open_table(CAMPAIGNS)?)?;
            let advances = advances(&txn.open_table(META)?)?;
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
            base.preload_advances(advances);
            let mut lists = Vec::with_capacity(all.len());
            for stored in all {
                lists.push(referrers_of(&referrers, stored.num)?);
                let records = translate(&load_records(&events, &stored)?, &local)?;
                base.load_slot(stored.customer, stored.initial_consent, records, stored.open_tickets);
            }
            for (slot, list) in lists.into_iter().enumerate() {
                let list = list.into_iter().map(|(r, at)| Ok((local(r)?, at))).collect::<Result<_, StoreError>>()?;
                base.set_referrers(slot as u32, list);
            }
            Ok(base)
        })
    }

    /// Runs every customer's time rules up to `now` (dormancy, churn, a
    /// lapsed loyalty window): whoever crossed a window since their last
    /// update moves, dated the instant it closed; customers evaluated past
    /// `now` are left as they are. The instant is kept with the store:
    /// customers created later are evaluated up to it, and a history that a
    /// late event revises takes it again in its place, exactly as
    /// [`CustomerBase::advance_to`] does. One write transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError::ReadOnly`]; [`StoreError::Corrupt`] when a record
    /// fails its checks; [`StoreError::Database`]. The store is unchanged
    /// after an error.
    ///
    /// # Complexity
    ///
    /// O(customers + their moves): every state is read, those that move
    /// are written.
    pub fn advance_to(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        guarded(|| {
            let txn = self.db.writable()?.begin_write()?;
            {
                let mut meta = txn.open_table(META)?;
                let mut counts =
                    decode_counts(&meta_get(&meta, "counts")?).ok_or_else(|| corrupt("meta", &"counts"))?;
                let mut after: Option<String> = None;
                loop {
                    let chunk: Vec<Stored> = {
                        let table = txn.open_table(CUSTOMERS)?;
                        let range = match &after {
                            None => table.range::<&str>(..)?,
                            Some(key) => table
                                .range::<&str>((std::ops::Bound::Excluded(key.as_str()), std::ops::Bound::Unbounded))?,
                        };
                        let mut chunk = Vec::new();
                        for entry in range.take(4096) {
                            let (key, value) = entry?;
                            let key = key.value();
                            chunk.push(decode_value(key, CustomerId::from_key(key), value.value())?);
                        }
                        chunk
                    };
                    let Some(last) = chunk.last() else { break };
                    after = Some(last.customer.key().expect("keyed customers").to_owned());
                    let mut table = txn.open_table(CUSTOMERS)?;
                    for mut stored in chunk {
                        if stored.customer.engine.clock >= now {
                            continue;
                        }
                        let before = stored.customer.stage();
                        stored.customer.advance(now, &self.policy);
                        counts[before as usize] -= 1;
                        counts[stored.customer.stage() as usize] += 1;
                        let key = stored.customer.key().expect("keyed customers");
                        let payload = codec::encode_state(&stored);
                        table.insert(key, seal("customers", Key::Text(key), &payload).as_slice())?;
                    }
                }
                let mut instants = advances(&meta)?;
                if let Err(i) = instants.binary_search(&now) {
                    instants.insert(i, now);
                }
                put_meta(&mut meta, "advances", &codec::encode_instants(&instants))?;
                put_meta(&mut meta, "counts", &encode_counts(&counts))?;
            }
            txn.commit()?;
            Ok(())
        })
    }

    /// Where the file's bytes go, for measuring: one line per table with
    /// its entries' bytes, the database's metadata bytes (offsets, headers)
    /// and the unused bytes in its pages.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    #[doc(hidden)]
    pub fn space_report(&self) -> Result<String, StoreError> {
        use std::fmt::Write;
        guarded(|| {
            let txn = self.db.begin_read()?;
            let mut out = String::new();
            let mut line = |name: &str, stats: redb::TableStats| {
                let _ = writeln!(
                    out,
                    "{name:>10}: {:>12} stored, {:>12} metadata, {:>12} fragmented, {:>8} leaf pages",
                    stats.stored_bytes(),
                    stats.metadata_bytes(),
                    stats.fragmented_bytes(),
                    stats.leaf_pages()
                );
            };
            line("customers", txn.open_table(CUSTOMERS)?.stats()?);
            line("names", txn.open_table(NAMES)?.stats()?);
            line("events", txn.open_table(EVENTS)?.stats()?);
            let (_, runs) = ids::run_list(&txn.open_table(META)?)?;
            for (run, _) in runs {
                let name = ids::run_name(run);
                line(&name, txn.open_table(ids::run_table(&name))?.stats()?);
            }
            line("filters", txn.open_table(ids::FILTERS)?.stats()?);
            line("referrers", txn.open_table(REFERRERS)?.stats()?);
            line("followers", txn.open_table(FOLLOWERS)?.stats()?);
            Ok(out)
        })
    }

    /// Checks every page of the database (its own checksums) and every value
    /// (this crate's checksums); and the id index: each entry passes its
    /// run's filter and no event id is in two runs.
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
            self.to_base()?;
            // The id index, in a write transaction that is then dropped.
            let txn = self.db.writable()?.begin_write()?;
            let meta = txn.open_table(META)?;
            let index = ids::IdIndex::open(&txn, &meta)?;
            let checked = index.verify();
            drop(index);
            drop(meta);
            drop(txn);
            checked
        })
    }
}

/// `records` with the customers they name renumbered by `map`.
fn translate(records: &[Record], map: &impl Fn(u32) -> Result<u32, StoreError>) -> Result<Vec<Record>, StoreError> {
    records
        .iter()
        .map(|r| {
            let mut r = *r;
            if let Some(n) = r.kind.named_customer_mut() {
                *n = map(*n)?;
            }
            Ok(r)
        })
        .collect()
}
