//! [`CustomerStore::apply_batch`]: one batch, one write transaction.

use std::collections::{HashMap, HashSet};

use redb::{ReadableTable, WriteTransaction};

use super::codec::{AttributeTimes, Key, Stored, encode_customer, encode_nums, encode_pairs, seal, unseal};
use super::{
    BatchReport, CAMPAIGNS, CHANNELS, CUSTOMERS, CustomerStore, EVENTS, FOLLOWERS, META, NAMES, REFERRERS, StoreError,
    corrupt, decode_counts, encode_counts, fault, followers_of, guarded, interned, load, load_num, meta_get, put_meta,
    referrers_of, translate,
};
use crate::eventlog::{EventBatch, KeyedKind, Resolution, ingest_disposable};
use crate::{AttributeValue, CustomerBase, EventId, EventKind};

/// The customers a batch works on, loaded into a base.
struct Loaded {
    /// Customers loaded with their records: those the batch names or whose
    /// events it repeats (`touched` first), then their referrers.
    full: Vec<Stored>,
    touched: usize,
    /// Customers that loaded records name, loaded without records: enough
    /// for the rules to read their first purchase.
    stubs: Vec<Stored>,
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
    /// O(n log n) for n events, plus the size of the customers the batch
    /// names and of their referrers; not the size of the store.
    pub fn apply_batch(&mut self, batch: &EventBatch) -> Result<BatchReport, StoreError> {
        guarded(|| {
            let txn = self.db.writable()?.begin_write()?;
            let report = self.apply_in(&txn, batch)?;
            fault::point("before_commit");
            txn.commit()?;
            fault::point("after_commit");
            Ok(report)
        })
    }

    fn load_for(txn: &WriteTransaction, batch: &EventBatch) -> Result<Loaded, StoreError> {
        let customers = txn.open_table(CUSTOMERS)?;
        let names = txn.open_table(NAMES)?;
        let events = txn.open_table(EVENTS)?;
        let referrers = txn.open_table(REFERRERS)?;
        let mut keys: Vec<&str> = Vec::new();
        for e in batch.events() {
            keys.push(&e.customer);
            match &e.kind {
                KeyedKind::Referral { invitee } => keys.push(invitee),
                KeyedKind::Follow { of: Some(of) } => keys.push(of),
                _ => {}
            }
        }
        keys.sort_unstable();
        keys.dedup();
        let mut full: Vec<Stored> = Vec::new();
        let mut have: HashSet<u32> = HashSet::new();
        for key in keys {
            if let Some(stored) = load(&customers, key)? {
                have.insert(stored.num);
                full.push(stored);
            }
        }
        // Whoever stored an event id the batch uses: a conflicting duplicate
        // may name another customer.
        for e in batch.events() {
            let id = EventId::from_key(&e.id);
            let bytes = id.as_uuid().as_bytes();
            if let Some(value) = events.get(bytes.as_slice())? {
                let owner = decode_owner(bytes, value.value())?;
                if have.insert(owner) {
                    full.push(load_num(&names, &customers, owner)?);
                }
            }
        }
        let touched = full.len();
        for i in 0..touched {
            for (referrer, _) in referrers_of(&referrers, full[i].num)? {
                if have.insert(referrer) {
                    full.push(load_num(&names, &customers, referrer)?);
                }
            }
        }
        let mut stubs = Vec::new();
        for stored in &full {
            for record in &stored.records {
                if let crate::base::Kind::Referral { invitee: n } | crate::base::Kind::Follow { of: Some(n) } =
                    record.kind
                    && have.insert(n)
                {
                    let mut stub = load_num(&names, &customers, n)?;
                    stub.records.clear();
                    stub.open_tickets.clear();
                    stubs.push(stub);
                }
            }
        }
        Ok(Loaded { full, touched, stubs })
    }

    // One transaction's steps in order: load, apply, write back.
    #[allow(clippy::too_many_lines)]
    fn apply_in(&self, txn: &WriteTransaction, batch: &EventBatch) -> Result<BatchReport, StoreError> {
        let Loaded { mut full, touched, stubs } = Self::load_for(txn, batch)?;
        // A key named before the instant it was first seen: the customer is
        // created at the earliest instant their key appears, whatever order
        // the batches come in.
        let mut first_seen: HashMap<&str, chrono::DateTime<chrono::Utc>> = HashMap::new();
        for e in batch.events() {
            let named = match &e.kind {
                KeyedKind::Referral { invitee: other } | KeyedKind::Follow { of: Some(other) } => Some(other.as_str()),
                _ => None,
            };
            for key in std::iter::once(e.customer.as_str()).chain(named) {
                let at = first_seen.entry(key).or_insert(e.at);
                *at = (*at).min(e.at);
            }
        }
        for stored in &mut full[..touched] {
            let key = stored.customer.key().expect("keyed customers");
            if let Some(&at) = first_seen.get(key)
                && at < stored.customer.created_at()
            {
                stored.customer.set_created_at(at);
                if stored.records.is_empty() {
                    // Nothing has happened to them: their rules stand at
                    // their creation.
                    stored.customer.engine.clock = at;
                }
            }
        }
        let (old_channels, old_campaigns) = interned(&txn.open_table(CHANNELS)?, &txn.open_table(CAMPAIGNS)?)?;
        let (channel_count, campaign_count) = (old_channels.len(), old_campaigns.len());

        // Store numbers to the work base's slots and back.
        let mut global: Vec<u32> = full.iter().chain(&stubs).map(|s| s.num).collect();
        let slot_of: HashMap<u32, u32> = global.iter().enumerate().map(|(i, &n)| (n, i as u32)).collect();
        let local = |num: u32| slot_of.get(&num).copied().ok_or_else(|| corrupt("names", &num));
        let mut work = CustomerBase::new(self.policy.clone());
        work.preload_interned(old_channels, old_campaigns);
        let mut old_stages = Vec::with_capacity(full.len());
        let mut old_ids: Vec<HashSet<EventId>> = Vec::with_capacity(full.len());
        let mut old_attributes = Vec::with_capacity(full.len());
        let mut times: Vec<AttributeTimes> = Vec::with_capacity(full.len());
        {
            let referrers = txn.open_table(REFERRERS)?;
            let mut lists = Vec::with_capacity(touched);
            for (i, stored) in full.into_iter().enumerate() {
                if i < touched {
                    lists.push(referrers_of(&referrers, stored.num)?);
                }
                old_stages.push(stored.customer.stage());
                old_ids.push(stored.records.iter().map(|r| r.id).collect());
                old_attributes.push(stored.customer.attributes().clone());
                times.push(stored.attribute_times);
                let records = translate(&stored.records, &local)?;
                work.load_slot(stored.customer, stored.initial_consent, records, stored.open_tickets);
            }
            for stub in stubs {
                work.load_slot(stub.customer, stub.initial_consent, Vec::new(), Vec::new());
            }
            for (slot, list) in lists.into_iter().enumerate() {
                let list = list.into_iter().map(|(r, at)| Ok((local(r)?, at))).collect::<Result<_, StoreError>>()?;
                work.set_referrers(slot as u32, list);
            }
        }
        let loaded = work.slot_count();
        // Resolved once; the work base is thrown away on error (the
        // transaction is dropped), so it needs no copy to roll back.
        let resolution = batch.resolve();
        let report = ingest_disposable(&mut work, batch, &resolution)?;
        times.resize_with(work.slot_count() as usize, AttributeTimes::new);
        keep_newer_attributes(&mut work, batch, &resolution, &mut times, &old_attributes);

        // Write back: the customers loaded with records, and the new ones.
        let mut meta = txn.open_table(META)?;
        let mut next = u32::from_le_bytes(meta_get(&meta, "next")?.try_into().map_err(|_| corrupt("meta", &"next"))?);
        let mut names = txn.open_table(NAMES)?;
        for slot in loaded..work.slot_count() {
            let key = work.slot_parts(slot).customer.key().expect("keyed customers").to_owned();
            names.insert(next, seal("names", Key::Num(next), key.as_bytes()).as_slice())?;
            global.push(next);
            next = next.checked_add(1).ok_or_else(|| corrupt("meta", &"next"))?;
        }
        put_meta(&mut meta, "next", &next.to_le_bytes())?;
        let to_global = |slot: u32| Ok(global[slot as usize]);
        let written: Vec<u32> = (0..old_stages.len() as u32).chain(loaded..work.slot_count()).collect();
        let mut counts = decode_counts(&meta_get(&meta, "counts")?).ok_or_else(|| corrupt("meta", &"counts"))?;
        for stage in &old_stages {
            counts[*stage as usize] -= 1;
        }
        let mut customers = txn.open_table(CUSTOMERS)?;
        let mut events = txn.open_table(EVENTS)?;
        let mut referrers = txn.open_table(REFERRERS)?;
        let mut new_ids: Vec<(EventId, u32)> = Vec::new();
        for (n, &slot) in written.iter().enumerate() {
            let parts = work.slot_parts(slot);
            let num = global[slot as usize];
            let key = parts.customer.key().expect("keyed customers");
            let records = translate(parts.records, &to_global)?;
            let payload = encode_customer(
                num,
                parts.customer,
                parts.initial_consent,
                parts.open_tickets,
                &times[slot as usize],
                &records,
            );
            customers.insert(key, seal("customers", Key::Text(key), &payload).as_slice())?;
            counts[parts.customer.stage() as usize] += 1;
            let old = old_ids.get(slot as usize);
            new_ids.extend(
                parts.records.iter().filter(|r| old.is_none_or(|ids| !ids.contains(&r.id))).map(|r| (r.id, num)),
            );
            if (slot as usize) < touched || slot >= loaded {
                let list: Vec<_> = parts.referrers.iter().map(|&(r, at)| (global[r as usize], at)).collect();
                if !list.is_empty() {
                    referrers.insert(num, seal("referrers", Key::Num(num), &encode_pairs(&list)).as_slice())?;
                }
            }
            fault::point_n("after_write", n + 1);
        }
        // In key order: consecutive inserts land in the same B-tree leaves
        // instead of one random leaf each.
        new_ids.sort_unstable_by_key(|&(id, _)| id.as_uuid().into_bytes());
        for (id, num) in new_ids {
            let bytes = id.as_uuid().as_bytes();
            events.insert(bytes.as_slice(), seal("events", Key::Id(bytes), &num.to_le_bytes()).as_slice())?;
        }
        put_meta(&mut meta, "counts", &encode_counts(&counts))?;
        let stored_events =
            u64::from_le_bytes(meta_get(&meta, "events")?.try_into().map_err(|_| corrupt("meta", &"events"))?);
        put_meta(&mut meta, "events", &(stored_events + report.events_applied as u64).to_le_bytes())?;

        // Who follows whom, for erasure.
        let mut followers = txn.open_table(FOLLOWERS)?;
        for resolved in resolution.events {
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
        Ok(BatchReport {
            customers_created: report.customers_created,
            events_applied: report.events_applied,
            duplicates: report.duplicates,
            attribute_updates: report.attribute_updates,
            customers_written: written.len(),
        })
    }
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
    old_attributes: &[std::collections::BTreeMap<String, AttributeValue>],
) {
    // The batch's updates come in time order: the last one per attribute is
    // its newest, and the value ingest left.
    let mut newest: HashMap<(u32, &str), (chrono::DateTime<chrono::Utc>, &str)> = HashMap::new();
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
                let old = old_attributes[slot as usize].get(name).cloned().expect("a stored time has its value");
                let customer = work.slot_parts(slot).customer.id();
                work.set_attribute(customer, name, old).expect("a stored value is valid");
            }
            _ => {
                stored.insert(name.to_owned(), (at, id.to_owned()));
            }
        }
    }
}

/// The owner number stored for an event id.
pub(super) fn decode_owner(id: &[u8], value: &[u8]) -> Result<u32, StoreError> {
    let payload = unseal("events", Key::Id(id), value)?;
    Ok(u32::from_le_bytes(
        payload.try_into().map_err(|_| StoreError::Corrupt { table: "events", key: Key::Id(id).label() })?,
    ))
}
