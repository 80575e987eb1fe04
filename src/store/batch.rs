//! [`CustomerStore::apply_batch`]: one batch, one write transaction.
//!
//! The customers a batch touches are loaded into a work [`CustomerBase`]
//! in one of two ways. *Whole*: their checkpointed state and every event
//! row, so the base can revise their history. *Partial*: their state only;
//! the base takes their new events on its fast path, one step of the rules
//! each, and the new events become rows after their stored ones. A
//! customer is loaded whole when the batch holds an event of theirs at or
//! before their clock, names one of their stored events (a refund's
//! purchase, a resolution's ticket, a repeated id) or names their key
//! before their creation; and so are the referrers of a customer loaded
//! whole, whose credits a revision may move. Anything else the base finds
//! it needs the history for (events at one instant that arrive out of
//! their order, a first purchase that credits a referrer's past) it
//! refuses on a partial slot and names; the store then loads those
//! customers whole and applies the batch again, within the same
//! transaction, so the result is always the base's.

use std::collections::BTreeMap;

use foldhash::fast::FixedState;

use chrono::{DateTime, Utc};
use redb::{ReadableTable, WriteTransaction};

use super::codec::{AttributeTimes, Key, StateParts, Stored, encode_nums, encode_pairs, id_hash, put_state_parts};
use super::codec::{append_row, seal, seal_with, sealed_payload};
use super::ids::IdIndex;
use super::{
    BatchReport, CAMPAIGNS, CHANNELS, CUSTOMERS, CustomerStore, EVENTS, FOLLOWERS, META, NAMES, REFERRERS, StoreError,
    advances, corrupt, decode_counts, decode_value, encode_counts, fault, followers_of, guarded, interned,
    load_num_with_value, load_records, meta_get, next_row, put_meta, referrers_of, translate,
};
use crate::base::{Kind, Record, SlotBuffer};
use crate::customer::Customer;
use crate::eventlog::{EventBatch, Resolution, ingest_disposable};
use crate::{AttributeValue, CustomerBase, CustomerId, EventId, EventKind, Stage};

/// How many slots are encoded ahead of the writing at a time (few in the
/// unit tests, so that their batches go through several chunks).
const WRITE_CHUNK: usize = if cfg!(test) { 97 } else { 8192 };

/// A stored customer loaded for a batch.
struct Loaded {
    stored: Stored,
    /// Their event rows, when loaded whole.
    records: Option<Vec<Record>>,
    /// Who referred them, when the batch names them (then their list may
    /// change and is written back).
    referrers: Option<Vec<(u32, DateTime<Utc>)>>,
    /// Their state's value as stored, to write back only what changed.
    value: Vec<u8>,
    /// Their stage as stored.
    stage: Stage,
    /// The earliest instant the batch names their key, for those it names.
    seen: Option<DateTime<Utc>>,
    /// Their attributes as stored, kept when the batch sets some (the
    /// customer themselves moves into the work base).
    attributes: Option<BTreeMap<String, AttributeValue>>,
}

/// The working memory a store keeps from one batch to the next, emptied:
/// the list of loaded customers and the work base's slots, the largest
/// buffers of a batch (a few hundred bytes a customer each), are not given
/// back to the system and faulted in again by every batch of a long run.
#[derive(Default)]
pub(super) struct Spare {
    loaded: Vec<Loaded>,
    slots: SlotBuffer,
}

impl std::fmt::Debug for Spare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spare").field("loaded", &self.loaded.capacity()).field("slots", &self.slots.capacity()).finish()
    }
}

/// The maps of a batch's work: a fixed fast hasher (their keys are
/// numbers and ids the store made, and nothing depends on their order).
type HashMap<K, V> = std::collections::HashMap<K, V, FixedState>;
type HashSet<K> = std::collections::HashSet<K, FixedState>;

/// A batch's working memory, freed once it is written.
type Leftovers = (Working, CustomerBase, Resolution);

/// The customers a batch works on, by store number.
#[derive(Default)]
struct Working {
    loaded: Vec<Loaded>,
    index: HashMap<u32, usize>,
    /// How many of the customers the batch names are stored (they come
    /// first in `loaded`).
    named: usize,
}

impl Working {
    fn get(&self, num: u32) -> Option<&Loaded> {
        self.index.get(&num).map(|&i| &self.loaded[i])
    }

    fn push(&mut self, (stored, value): (Stored, Vec<u8>)) -> usize {
        let i = self.loaded.len();
        self.index.insert(stored.num, i);
        let stage = stored.customer.stage();
        self.loaded.push(Loaded { stored, records: None, referrers: None, value, stage, seen: None, attributes: None });
        i
    }
}

impl CustomerStore {
    /// Applies a batch of keyed events as one write transaction: all or
    /// nothing, durable when the call returns. The rules are those of
    /// [`eventlog::ingest`](crate::eventlog::ingest) on a
    /// [`CustomerBase`]: customers named for the first time are created at
    /// the earliest instant the batch names them; an event stored with the
    /// same content is skipped and one with other content refuses the
    /// batch; a late event revises its customer's history (and their
    /// referrers'); a refund or resolution whose purchase or ticket is
    /// neither stored nor in the batch refuses it.
    ///
    /// # Errors
    ///
    /// [`StoreError::Batch`] naming the file, line, field and keys of the
    /// refused line; [`StoreError::Corrupt`] when a record it reads fails
    /// its checks; [`StoreError::Database`]. The store is unchanged after an
    /// error.
    ///
    /// # Complexity
    ///
    /// O(n log n) for n events, plus the states of the customers the batch
    /// names and of their referrers; plus the histories of the customers
    /// with late events (and of their referrers). Not the size of the
    /// store. The batch's new event ids go into the id index as one new
    /// run; a commit that completes a size tier merges its runs, which
    /// amortises to O(n log₄(N / n)) sequential index writes per batch for
    /// N stored events (see the module docs).
    pub fn apply_batch(&mut self, batch: &EventBatch) -> Result<BatchReport, StoreError> {
        guarded(|| {
            let txn = self.db.writable()?.begin_write()?;
            let spare = std::mem::take(&mut self.spare);
            let (report, leftovers) = self.apply_in(&txn, batch, spare)?;
            fault::point("before_commit");
            // Freeing the batch's working memory takes a while: with the
            // `parallel` feature it is done beside the commit. The two
            // largest buffers are kept, emptied, for the next batch.
            let free = move || {
                let (working, work, resolution) = leftovers;
                let mut loaded = working.loaded;
                loaded.clear();
                drop((working.index, resolution));
                Spare { loaded, slots: work.into_slot_buffer() }
            };
            let (spare, committed) = crate::util::join(free, || txn.commit());
            self.spare = spare;
            committed?;
            fault::point("after_commit");
            Ok(report)
        })
    }

    /// Loads the customers `resolution` touches: whole those in `whole` and
    /// those the rules above say, partial the others.
    fn load_for(
        txn: &WriteTransaction,
        snapshot: &redb::ReadTransaction,
        index: &IdIndex<'_>,
        resolution: &Resolution,
        whole: &HashSet<u32>,
        mut spare: Vec<Loaded>,
    ) -> Result<Working, StoreError> {
        let customers = txn.open_table(CUSTOMERS)?;
        let names = txn.open_table(NAMES)?;
        let events = txn.open_table(EVENTS)?;
        let referrers = txn.open_table(REFERRERS)?;
        let named = resolution.customers.len();
        let mut work = Working {
            loaded: {
                spare.clear();
                spare.reserve(named);
                spare
            },
            index: HashMap::with_capacity_and_hasher(named, FixedState::default()),
            named: 0,
        };
        let mut full: HashSet<u32> = whole.clone();
        // Each stored customer's number and clock by id: one probe per event
        // below tells whether it is late.
        let mut by_id: HashMap<CustomerId, (u32, DateTime<Utc>)> =
            HashMap::with_capacity_and_hasher(named, FixedState::default());
        for (seen, found) in resolution.customers.iter().zip(load_named(&snapshot.open_table(CUSTOMERS)?, resolution)) {
            let Some((stored, value)) = found? else { continue };
            if seen.at < stored.customer.created_at() {
                full.insert(stored.num);
            }
            by_id.insert(seen.id, (stored.num, stored.customer.engine.clock));
            let i = work.push((stored, value));
            work.loaded[i].seen = Some(seen.at);
        }
        work.named = work.loaded.len();
        // Whoever stored an id the batch uses: a duplicate is told from a
        // conflict by comparing with their stored event. Looked up once per
        // hash, in hash order: consecutive lookups walk the index's pages
        // from left to right.
        let mut hashes: Vec<u64> = crate::util::par_map_min(&resolution.events, 4096, |r| id_hash(r.event.id));
        crate::util::radix_sort_by_key(&mut hashes, 64, |&h| h);
        hashes.dedup();
        for hash in hashes {
            for owner in index.owners(hash)? {
                full.insert(owner);
                if work.get(owner).is_none() {
                    let (stored, value) = load_num_with_value(&names, &customers, owner)?;
                    by_id.insert(stored.customer.id(), (owner, stored.customer.engine.clock));
                    work.push((stored, value));
                }
            }
        }
        let stored_targets = named_outside(resolution);
        for resolved in &resolution.events {
            let event = &resolved.event;
            let Some(&(num, clock)) = by_id.get(&event.customer) else { continue };
            let names_stored = match event.kind {
                EventKind::Refund { purchase: named, .. } | EventKind::TicketResolved { ticket: named } => {
                    stored_targets.contains(&named)
                }
                _ => false,
            };
            if event.at <= clock || names_stored {
                full.insert(num);
            }
        }
        // Who referred the touched customers: their credits may move. Not
        // for a customer who takes the batch on their state alone, bought
        // before and is nobody's invitee in the batch: their first purchase
        // stays where it is and their list does not change, so neither the
        // list nor their referrers are read. Loading one whole makes their
        // referrers whole too, which may need the list of a customer passed
        // over before: repeated until nothing changes.
        let invitees: HashSet<u32> = resolution
            .events
            .iter()
            .filter_map(|r| match r.event.kind {
                EventKind::Referral { invitee } => by_id.get(&invitee).map(|&(num, _)| num),
                _ => None,
            })
            .collect();
        load_referrers(&mut work, &mut full, &invitees, snapshot, &referrers, &names, &customers)?;
        // Histories of those loaded whole, and the customers they name
        // (whose first purchases their credits read).
        let mut i = 0;
        while i < work.loaded.len() {
            if full.contains(&work.loaded[i].stored.num) && work.loaded[i].records.is_none() {
                let records = load_records(&events, &work.loaded[i].stored)?;
                for record in &records {
                    if let Kind::Referral { invitee: n } | Kind::Follow { of: Some(n) } = record.kind
                        && work.get(n).is_none()
                    {
                        work.push(load_num_with_value(&names, &customers, n)?);
                    }
                }
                work.loaded[i].records = Some(records);
            }
            i += 1;
        }
        Ok(work)
    }

    // One transaction's steps in order: load, apply, write back. Returns
    // the working memory with the report, for the caller to free.
    #[allow(clippy::too_many_lines)]
    fn apply_in(
        &self,
        txn: &WriteTransaction,
        batch: &EventBatch,
        spare: Spare,
    ) -> Result<(BatchReport, Leftovers), StoreError> {
        let Spare { loaded: mut spare, slots: mut spare_slots } = spare;
        // Resolved once: every event id is computed here and nowhere else.
        let resolution = batch.resolve();
        let (old_channels, old_campaigns) = interned(&txn.open_table(CHANNELS)?, &txn.open_table(CAMPAIGNS)?)?;
        let (channel_count, campaign_count) = (old_channels.len(), old_campaigns.len());
        let advances = advances(&txn.open_table(META)?)?;
        let mut index = IdIndex::open(txn, &txn.open_table(META)?)?;
        let mut whole: HashSet<u32> = HashSet::default();
        // The last commit, which is what this transaction has read so far
        // (it writes nothing before the loop ends), read through its own
        // transaction: reads of it on several threads overlap, while the
        // write transaction's table read from the pool was measured no
        // faster than one thread.
        let snapshot = self.db.begin_read()?;
        let (working, mut work, report) = loop {
            let mut working = Self::load_for(txn, &snapshot, &index, &resolution, &whole, spare)?;
            let mut work =
                self.work_base(&mut working, &resolution, &old_channels, &old_campaigns, &advances, spare_slots)?;
            // The work base is thrown away on error (the transaction is
            // dropped), so it needs no copy to roll back.
            match ingest_disposable(&mut work, batch, &resolution) {
                Ok(report) => break (working, work, report),
                Err(e) => {
                    let wanted = work.take_wants_history();
                    if wanted.is_empty() {
                        return Err(e.into());
                    }
                    let before = whole.len();
                    whole.extend(wanted.into_iter().map(|slot| working.loaded[slot as usize].stored.num));
                    if whole.len() == before {
                        return Err(e.into());
                    }
                    spare = working.loaded;
                    spare_slots = work.into_slot_buffer();
                }
            }
        };
        drop(snapshot);
        let loaded = working.loaded.len() as u32;
        let mut times: Vec<AttributeTimes> = working.loaded.iter().map(|l| l.stored.attribute_times.clone()).collect();
        times.resize_with(work.slot_count() as usize, AttributeTimes::new);
        keep_newer_attributes(&mut work, batch, &resolution, &mut times, &working);

        // Numbers for the new customers.
        let mut meta = txn.open_table(META)?;
        let mut next = u32::from_le_bytes(meta_get(&meta, "next")?.try_into().map_err(|_| corrupt("meta", &"next"))?);
        let mut names = txn.open_table(NAMES)?;
        let mut global: Vec<u32> = working.loaded.iter().map(|l| l.stored.num).collect();
        for slot in loaded..work.slot_count() {
            let key = work.slot_parts(slot).customer.key().expect("keyed customers").to_owned();
            names.insert(next, seal("names", Key::Num(next), key.as_bytes()).as_slice())?;
            global.push(next);
            next = next.checked_add(1).ok_or_else(|| corrupt("meta", &"next"))?;
        }
        put_meta(&mut meta, "next", &next.to_le_bytes())?;

        let mut counts = decode_counts(&meta_get(&meta, "counts")?).ok_or_else(|| corrupt("meta", &"counts"))?;
        let mut customers = txn.open_table(CUSTOMERS)?;
        let mut events = txn.open_table(EVENTS)?;
        let mut referrers = txn.open_table(REFERRERS)?;
        let mut new_ids: Vec<(u64, u32)> = Vec::new();
        let mut written = 0;
        // The rows each slot (re)writes take keys in slot order, from the
        // table's right edge.
        let mut firsts = Vec::with_capacity(work.slot_count() as usize);
        let mut first = next_row(&meta)?;
        for slot in 0..work.slot_count() {
            firsts.push(first);
            let records = work.slot_parts(slot).records;
            let (_, from) = rewritten_from(records, working.loaded.get(slot as usize));
            first += (records.len() - from as usize) as u64;
        }
        // Encoded and sealed on the thread pool, a chunk of slots ahead of
        // their writing here, in slot order.
        let slots: Vec<u32> = (0..work.slot_count()).collect();
        let encode = |chunk: &[u32]| {
            crate::util::par_map_min(chunk, 256, |&slot| {
                (slot, rewrite(&work, &working, &global, &times[slot as usize], slot, firsts[slot as usize]))
            })
        };
        // A chunk's rows and states go to their two tables side by side
        // (the tables are separate B-trees of one transaction); each table's
        // writes stay in slot order.
        let write = |chunk: Vec<(u32, Rewrite)>| -> Result<(), StoreError> {
            let write_rows = || -> Result<(), StoreError> {
                for (slot, rewrite) in &chunk {
                    let old_rows = working.loaded.get(*slot as usize).map_or(&[][..], |l| l.stored.rows.as_slice());
                    for &row in old_rows.get(rewrite.cut..).unwrap_or_default() {
                        events.remove(row)?;
                    }
                    for (row, key) in rewrite.rows().zip(firsts[*slot as usize]..) {
                        events.insert(key, row)?;
                    }
                }
                Ok(())
            };
            let write_states = || -> Result<(), StoreError> {
                for (slot, rewrite) in &chunk {
                    let parts = work.slot_parts(*slot);
                    let num = global[*slot as usize];
                    let old = working.loaded.get(*slot as usize);
                    new_ids.extend(rewrite.new_ids.iter().map(|&hash| (hash, num)));
                    if let Some(value) = &rewrite.state {
                        customers.insert(parts.customer.key().expect("keyed customers"), value.as_slice())?;
                        if let Some(l) = old {
                            counts[l.stage as usize] -= 1;
                        }
                        counts[parts.customer.stage() as usize] += 1;
                        written += 1;
                        fault::point_n("after_write", written);
                    }
                    let list: Vec<_> = parts.referrers.iter().map(|&(r, at)| (global[r as usize], at)).collect();
                    let known = old.map(|l| l.referrers.as_ref());
                    match known {
                        // Loaded without their list: the batch cannot change it.
                        Some(None) => {}
                        Some(Some(before)) if *before == list => {}
                        _ if list.is_empty() && known.is_none() => {}
                        _ => {
                            if list.is_empty() {
                                referrers.remove(num)?;
                            } else {
                                referrers
                                    .insert(num, seal("referrers", Key::Num(num), &encode_pairs(&list)).as_slice())?;
                            }
                        }
                    }
                }
                Ok(())
            };
            let (rows, states) = crate::util::join(write_rows, write_states);
            rows.and(states)
        };
        crate::util::pipeline(&slots, WRITE_CHUNK, encode, write)?;
        // In hash order: the filters' words and any run read are walked
        // from left to right.
        new_ids.sort_unstable();
        new_ids.dedup();
        for (hash, num) in new_ids {
            index.add(hash, num)?;
        }
        index.finish(&mut meta)?;
        put_meta(&mut meta, "counts", &encode_counts(&counts))?;
        put_meta(&mut meta, "rows", &first.to_le_bytes())?;
        let stored_events =
            u64::from_le_bytes(meta_get(&meta, "events")?.try_into().map_err(|_| corrupt("meta", &"events"))?);
        put_meta(&mut meta, "events", &(stored_events + report.events_applied as u64).to_le_bytes())?;

        // Who follows whom, for erasure.
        let mut followers = txn.open_table(FOLLOWERS)?;
        for resolved in &resolution.events {
            if let EventKind::Follow { of: Some(of) } = resolved.event.kind {
                let follower = global[work.slot_of(resolved.event.customer).expect("applied") as usize];
                let followed = global[work.slot_of(of).expect("applied") as usize];
                let mut list = followers_of(&followers, followed)?;
                if !list.contains(&follower) {
                    list.push(follower);
                    followers
                        .insert(followed, seal("followers", Key::Num(followed), &encode_nums(&list)).as_slice())?;
                }
            }
        }

        // Names interned by this batch.
        let (channel_names, campaign_ids) = work.interned();
        let mut channels = txn.open_table(CHANNELS)?;
        for (code, name) in (0u32..).zip(channel_names).skip(channel_count) {
            channels.insert(code, seal("channels", Key::Num(code), name.as_bytes()).as_slice())?;
        }
        let mut campaigns = txn.open_table(CAMPAIGNS)?;
        for (code, id) in (0u32..).zip(campaign_ids).skip(campaign_count) {
            campaigns.insert(code, seal("campaigns", Key::Num(code), id.as_uuid().as_bytes()).as_slice())?;
        }
        let report = BatchReport {
            customers_created: report.customers_created,
            events_applied: report.events_applied,
            duplicates: report.duplicates,
            attribute_updates: report.attribute_updates,
            customers_written: written,
            histories_loaded: working.loaded.iter().filter(|l| l.records.is_some() && l.stored.count() > 0).count(),
        };
        Ok((report, (working, work, resolution)))
    }

    /// The work base of the loaded customers, in their order: slot `i` is
    /// `working.loaded[i]`. The customers move into it (a batch is loaded
    /// afresh if it must be applied again); the stored attributes of those
    /// the batch sets attributes of stay with `working`.
    fn work_base(
        &self,
        working: &mut Working,
        resolution: &Resolution,
        channels: &[String],
        campaigns: &[crate::CampaignId],
        advances: &[DateTime<Utc>],
        slots: SlotBuffer,
    ) -> Result<CustomerBase, StoreError> {
        let mut work = CustomerBase::with_slot_buffer(self.policy.clone(), slots);
        // Sized once: the customers loaded and those the batch creates, and
        // every event of the batch.
        work.reserve(working.loaded.len() + resolution.customers.len() - working.named, resolution.events.len());
        work.preload_interned(channels.to_vec(), campaigns.to_vec());
        work.preload_advances(advances.to_vec());
        let updated: HashSet<CustomerId> = resolution.attributes.iter().map(|u| u.customer).collect();
        let local = |num: u32| working.index.get(&num).map(|&i| i as u32).ok_or_else(|| corrupt("names", &num));
        for (slot, l) in working.loaded.iter_mut().enumerate() {
            let mut customer = std::mem::replace(&mut l.stored.customer, Customer::vacant());
            if updated.contains(&customer.id()) {
                l.attributes = Some(customer.attributes().clone());
            }
            // A key named before the instant it was first seen: the customer
            // is created at the earliest instant their key appears, whatever
            // order the batches come in.
            if let Some(at) = l.seen
                && at < customer.created_at()
            {
                customer.set_created_at(at);
                if l.stored.count() == 0 {
                    // Nothing has happened to them: their rules stand at
                    // their creation.
                    customer.engine.clock = at;
                }
            }
            if let Some(records) = &l.records {
                let records = translate(records, &local)?;
                work.load_slot(customer, l.stored.initial_consent, records, l.stored.open_tickets.clone());
            } else {
                work.load_slot(customer, l.stored.initial_consent, Vec::new(), Vec::new());
                if l.stored.count() > 0 {
                    work.mark_partial(slot as u32);
                }
            }
        }
        for (slot, l) in working.loaded.iter().enumerate() {
            if let Some(list) = &l.referrers {
                let list = list.iter().map(|&(r, at)| Ok((local(r)?, at))).collect::<Result<_, StoreError>>()?;
                work.set_referrers(slot as u32, list);
            }
        }
        Ok(work)
    }
}

/// Reads who referred the customers loaded so far, unless settled (see
/// [`CustomerStore::load_for`]), loading those referrers, until nothing
/// changes: a referrer of a customer loaded whole is loaded whole too.
fn load_referrers(
    work: &mut Working,
    full: &mut HashSet<u32>,
    invitees: &HashSet<u32>,
    snapshot: &redb::ReadTransaction,
    referrers: &impl ReadableTable<u32, &'static [u8]>,
    names: &impl ReadableTable<u32, &'static [u8]>,
    customers: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<(), StoreError> {
    let touched = work.loaded.len();
    let settled = |l: &Loaded, full: &HashSet<u32>| {
        !full.contains(&l.stored.num)
            && !invitees.contains(&l.stored.num)
            && l.stored.customer.first_purchase().is_some()
    };
    // The lists the first pass below reads, read on the thread pool from
    // the snapshot (the transaction has written nothing yet).
    let first_pass: Vec<usize> = (0..touched).filter(|&i| !settled(&work.loaded[i], full)).collect();
    let snapshot_referrers = snapshot.open_table(REFERRERS)?;
    let mut prefetched: HashMap<usize, Vec<(u32, DateTime<Utc>)>> = first_pass
        .iter()
        .zip(crate::util::par_map_min(&first_pass, 1024, |&i| {
            referrers_of(&snapshot_referrers, work.loaded[i].stored.num)
        }))
        .map(|(&i, list)| list.map(|list| (i, list)))
        .collect::<Result<_, StoreError>>()?;
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..touched {
            let num = work.loaded[i].stored.num;
            let whole = full.contains(&num);
            if work.loaded[i].referrers.is_some() || settled(&work.loaded[i], full) {
                continue;
            }
            let list = match prefetched.remove(&i) {
                Some(list) => list,
                None => referrers_of(referrers, num)?,
            };
            for &(referrer, _) in &list {
                if whole && full.insert(referrer) {
                    changed = true;
                }
                if work.get(referrer).is_none() {
                    work.push(load_num_with_value(names, customers, referrer)?);
                }
            }
            work.loaded[i].referrers = Some(list);
        }
    }
    Ok(())
}

/// Which of a slot's `records` a batch (re)writes, given what was loaded
/// of them: `(offset, from)`, the records from `from` on, as the rows from
/// sequence `offset + from` on; `offset` is the position of the slot's
/// first record among the customer's rows.
fn rewritten_from(records: &[Record], old: Option<&Loaded>) -> (u32, u32) {
    match old {
        None => (0, 0),
        Some(Loaded { records: None, stored, .. }) => (stored.count(), 0),
        Some(Loaded { records: Some(old_records), .. }) => {
            (0, old_records.iter().zip(records).take_while(|(a, b)| a.id == b.id).count() as u32)
        }
    }
}

/// A slot's new rows and state, made on the thread pool and written to the
/// tables on the committing thread, in slot order.
struct Rewrite {
    /// Where the rewritten rows start among the customer's stored rows:
    /// those from here on are removed.
    cut: usize,
    /// The sealed rows one after the other, stored under consecutive keys
    /// from the slot's first.
    rows: Vec<u8>,
    /// Where each row ends in `rows`.
    ends: Vec<usize>,
    /// The hashes of the event ids new to the store.
    new_ids: Vec<u64>,
    /// The sealed state, when it changed.
    state: Option<Vec<u8>>,
}

impl Rewrite {
    /// The sealed rows, in order.
    fn rows(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, &end)| &self.rows[start..end])
    }
}

/// Encodes and seals slot `slot`'s rows from sequence `offset + from` on
/// (see [`rewritten_from`]), under keys from `first`, and their state.
fn rewrite(
    work: &CustomerBase,
    working: &Working,
    global: &[u32],
    attribute_times: &AttributeTimes,
    slot: u32,
    first: u64,
) -> Rewrite {
    let parts = work.slot_parts(slot);
    let num = global[slot as usize];
    let key = parts.customer.key().expect("keyed customers");
    let old = working.loaded.get(slot as usize);
    let (offset, from) = rewritten_from(parts.records, old);
    let cut = (offset + from) as usize;
    let old_rows = old.map_or(&[][..], |l| l.stored.rows.as_slice());
    let fresh = parts.records.len() - from as usize;
    let mut rows = Vec::with_capacity(cut.min(old_rows.len()) + fresh);
    rows.extend_from_slice(&old_rows[..cut.min(old_rows.len())]);
    let epoch = old.map_or_else(|| parts.customer.created_at().timestamp(), |l| l.stored.epoch);
    let old_ids: HashSet<EventId> = match old {
        Some(Loaded { records: Some(r), .. }) => r.iter().map(|r| r.id).collect(),
        _ => HashSet::default(),
    };
    let mut sealed = Vec::with_capacity(fresh * 40);
    let mut ends = Vec::with_capacity(fresh);
    let mut new_ids = Vec::with_capacity(fresh);
    for (pos, record) in parts.records.iter().enumerate().skip(from as usize) {
        let seq = offset + pos as u32;
        let mut record = *record;
        // Customers by store number (as `translate` renumbers them),
        // positions among all their rows.
        if let Some(n) = record.kind.named_customer_mut() {
            *n = global[*n as usize];
        }
        if let Kind::Refund { purchase: p, .. } | Kind::TicketResolved { ticket: p } = &mut record.kind {
            *p += offset;
        }
        rows.push(first + ends.len() as u64);
        append_row(&mut sealed, Key::Row(u64::from(num), seq), &record, epoch);
        ends.push(sealed.len());
        if !old_ids.contains(&record.id) {
            new_ids.push(id_hash(record.id));
        }
    }
    let mut open_tickets = old.filter(|l| l.records.is_none()).map_or_else(Vec::new, |l| l.stored.open_tickets.clone());
    open_tickets.extend(parts.open_tickets.iter().map(|&p| p + offset));
    let state = seal_with("customers", Key::Text(key), 256, |out| {
        put_state_parts(
            out,
            &StateParts {
                num,
                rows: &rows,
                epoch,
                customer: parts.customer,
                initial_consent: &parts.initial_consent,
                open_tickets: &open_tickets,
                attribute_times,
            },
        );
    });
    let state = old.is_none_or(|l| sealed_payload(&l.value) != sealed_payload(&state)).then_some(state);
    Rewrite { cut, rows: sealed, ends, new_ids, state }
}

/// The purchases and tickets that the batch's refunds and resolutions name
/// but does not hold: their owners' histories are read.
fn named_outside(resolution: &Resolution) -> HashSet<EventId> {
    let mut named: HashSet<EventId> = resolution
        .events
        .iter()
        .filter_map(|r| match r.event.kind {
            EventKind::Refund { purchase: named, .. } | EventKind::TicketResolved { ticket: named } => Some(named),
            _ => None,
        })
        .collect();
    if !named.is_empty() {
        for resolved in &resolution.events {
            named.remove(&resolved.event.id);
        }
    }
    named
}

/// A stored customer's state and its value as stored.
type Found = Result<Option<(Stored, Vec<u8>)>, StoreError>;

/// The stored states of the customers `resolution` names, in its order
/// (`None` for those not stored), with their values as stored: read in key
/// order (the table's), in consecutive runs of keys on the thread pool (a
/// cold store is read from the file page by page, and the threads' reads
/// overlap), and checked and decoded there.
fn load_named(
    customers: &(impl ReadableTable<&'static str, &'static [u8]> + Sync),
    resolution: &Resolution,
) -> Vec<Found> {
    crate::util::par_map_min(&resolution.customers, 1024, |seen| {
        let Some(value) = customers.get(seen.key.as_str())? else { return Ok(None) };
        let value = value.value().to_vec();
        Ok(Some((decode_value(&seen.key, seen.id, &value)?, value)))
    })
}

/// Attributes by time, not by arrival: each attribute the batch sets keeps
/// the value of the newest `customer` record (by instant, then event key)
/// among the stored one and the batch's, so a record that arrives late does
/// not override a newer one. `times` (by slot) records the winner's instant
/// and key.
fn keep_newer_attributes(
    work: &mut CustomerBase,
    batch: &EventBatch,
    resolution: &Resolution,
    times: &mut [AttributeTimes],
    working: &Working,
) {
    // The batch's updates come in time order: the last one per attribute is
    // its newest, and the value ingest left.
    let mut newest: HashMap<(u32, &str), (DateTime<Utc>, &str)> = HashMap::default();
    for update in &resolution.attributes {
        let slot = work.slot_of(update.customer).expect("ingested");
        let line = &batch.events()[update.index];
        for name in update.attributes.keys() {
            newest.insert((slot, name.as_str()), (line.at, line.id.as_str()));
        }
    }
    for ((slot, name), (at, id)) in newest {
        let stored = &mut times[slot as usize];
        match stored.get(name) {
            Some((t, k)) if (*t, k.as_str()) > (at, id) => {
                let old = working.loaded[slot as usize]
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(name))
                    .cloned()
                    .expect("a stored time has its value");
                let customer = work.slot_parts(slot).customer.id();
                work.set_attribute(customer, name, old).expect("a stored value is valid");
            }
            _ => {
                stored.insert(name.to_owned(), (at, id.to_owned()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{TimeDelta, TimeZone};
    use redb::ReadableTable;

    use super::*;
    use crate::eventlog::{KeyedEvent, KeyedKind};
    use crate::{Channel, Money, Policy};

    fn day(n: i64) -> EventBatch {
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + TimeDelta::days(n);
        let events = (0..40)
            .map(|i| KeyedEvent {
                id: format!("d{n}-{i}"),
                customer: format!("c{}", (i * 7 + n) % 13),
                at: start + TimeDelta::minutes(i),
                channel: Channel::Web,
                kind: KeyedKind::Purchase { amount: Money::from_minor(100 + i) },
            })
            .collect();
        EventBatch::new(format!("day-{n}.jsonl"), events).unwrap()
    }

    fn rows(store: &CustomerStore) -> BTreeMap<u64, Vec<u8>> {
        let txn = store.db.begin_read().unwrap();
        let events = txn.open_table(EVENTS).unwrap();
        events.iter().unwrap().map(|e| e.unwrap()).map(|(k, v)| (k.value(), v.value().to_vec())).collect()
    }

    /// A batch big enough to be cut into pieces for the thread pool:
    /// purchases and referrals among 1,500 customers, at `n` days and,
    /// when `late`, a day earlier for every tenth line.
    fn big_day(n: i64, late: bool) -> EventBatch {
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + TimeDelta::days(n);
        let events = (0..4000)
            .map(|i: i64| KeyedEvent {
                id: format!("b{n}-{i}"),
                customer: format!("c{}", (i * 37 + n) % 1500),
                at: start + TimeDelta::seconds(i * 7) - TimeDelta::days(i64::from(late && i % 10 == 0)),
                channel: Channel::Web,
                kind: if i % 5 == 0 {
                    KeyedKind::Referral { invitee: format!("c{}", (i * 11 + 3) % 1500) }
                } else {
                    KeyedKind::Purchase { amount: Money::from_minor(100 + i) }
                },
            })
            .collect();
        EventBatch::new(format!("big-{n}.jsonl"), events).unwrap()
    }

    #[test]
    fn the_tables_do_not_depend_on_the_number_of_threads() {
        let run = |threads: usize| {
            crate::util::on_threads(threads, || {
                let dir = std::env::temp_dir().join(format!("cl-store-threads-{threads}-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                let mut store = CustomerStore::create(&dir, Policy::default()).unwrap();
                for n in 0..3 {
                    store.apply_batch(&big_day(n * 2, n > 0)).unwrap();
                }
                let txn = store.db.begin_read().unwrap();
                let customers: Vec<(String, Vec<u8>)> = txn
                    .open_table(CUSTOMERS)
                    .unwrap()
                    .iter()
                    .unwrap()
                    .map(|e| e.unwrap())
                    .map(|(k, v)| (k.value().to_owned(), v.value().to_vec()))
                    .collect();
                drop(txn);
                let events = rows(&store);
                drop(store);
                let _ = std::fs::remove_dir_all(&dir);
                (customers, events)
            })
        };
        let one = run(1);
        assert_eq!(one.0.len(), 1500);
        assert_eq!(one, run(3));
    }

    #[test]
    fn a_day_on_time_appends_rows_after_the_stored_ones_and_leaves_those_untouched() {
        let dir = std::env::temp_dir().join(format!("cl-store-append-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut store = CustomerStore::create(&dir, Policy::default()).unwrap();
        for n in 0..3 {
            store.apply_batch(&day(n)).unwrap();
        }
        let before = rows(&store);
        let report = store.apply_batch(&day(3)).unwrap();
        assert_eq!(report.histories_loaded, 0);
        let after = rows(&store);
        assert_eq!(after.len(), before.len() + 40);
        for (key, value) in &before {
            assert_eq!(after.get(key), Some(value), "row {key} rewritten");
        }
        let last = *before.keys().next_back().unwrap();
        assert!(after.keys().filter(|k| !before.contains_key(k)).all(|&k| k > last));
        // A late event rewrites its customer's later rows under new keys
        // and drops the old ones: the table holds exactly the live rows.
        let late = EventBatch::new(
            "late.jsonl",
            vec![KeyedEvent {
                id: "late".to_owned(),
                customer: "c0".to_owned(),
                at: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 30).unwrap(),
                channel: Channel::Web,
                kind: KeyedKind::Purchase { amount: Money::from_minor(5) },
            }],
        )
        .unwrap();
        store.apply_batch(&late).unwrap();
        assert_eq!(rows(&store).len(), after.len() + 1);
        let c0 = store.get("c0").unwrap().unwrap();
        assert_eq!(c0.customer().first_purchase(), Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()));
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
