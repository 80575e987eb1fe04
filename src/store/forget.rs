//! Erasure: [`CustomerStore::forget`] and [`CustomerStore::forget_all`].

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use redb::{Database, ReadableTable};

use super::codec::{Key, Stored, encode_nums, encode_pairs, encode_record, encode_state, id_hash, seal, seal_row};
use super::ids::{self, IdIndex};
use super::{
    CAMPAIGNS, CHANNELS, CUSTOMERS, CustomerStore, Db, EVENTS, FILE, FOLLOWERS, META, NAMES, REFERRERS, StoreError,
    advances, corrupt, db_error, decode_counts, encode_counts, fault, followers_of, guarded, load, load_num,
    load_records, meta_get, next_row, put_meta, referrers_of,
};
use crate::ForgetReport;
use crate::base::{Kind, Record, conversions_of, derive, explicit_moves};

/// Copies every entry of `table` from one transaction to another.
fn copy_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    from: &redb::ReadTransaction,
    to: &redb::WriteTransaction,
    table: redb::TableDefinition<'_, K, V>,
) -> Result<(), StoreError> {
    let source = from.open_table(table)?;
    let mut target = to.open_table(table)?;
    for entry in source.iter()? {
        let (key, value) = entry?;
        target.insert(key.value(), value.value())?;
    }
    Ok(())
}

impl CustomerStore {
    /// Erases one customer: see [`forget_all`](Self::forget_all), which
    /// this is without the compaction (their bytes leave the file at the
    /// next [`compact`](Self::compact) or `forget_all`).
    ///
    /// # Errors
    ///
    /// As [`forget_all`](Self::forget_all).
    pub fn forget(&mut self, key: &str) -> Result<ForgetReport, StoreError> {
        self.erase(&[key])
    }

    /// Erases customers, all or nothing: their key, consent, attributes,
    /// events and history, and the other customers' events that name them
    /// (referrals and follows of them). Only they and the customers whose
    /// facts name them are touched; those are derived again as if the
    /// forgotten had never existed (explicit moves that are no longer legal
    /// are dropped, as [`CustomerBase::forget`](crate::CustomerBase::forget)
    /// does). They are unreadable once the erasure commits; the file is
    /// then compacted, after which none of their keys, event ids, amounts or
    /// attribute values remain in it.
    ///
    /// Nothing remembers a forgotten key: a later batch that names the
    /// customer (re-ingesting an old file, say) creates them again.
    ///
    /// # Errors
    ///
    /// [`StoreError::UnknownCustomer`] naming the first key that is not
    /// stored (nothing is erased); [`StoreError::Corrupt`];
    /// [`StoreError::Database`].
    ///
    /// # Complexity
    ///
    /// The erasure: O(the forgotten's events + those of the customers whose
    /// facts name them). The compaction: up to the size of the file.
    pub fn forget_all<S: AsRef<str>>(&mut self, keys: &[S]) -> Result<ForgetReport, StoreError> {
        let report = self.erase(keys)?;
        fault::point("before_compact");
        self.compact()?;
        Ok(report)
    }

    /// Compacts the database: every live value is copied into a fresh file
    /// that then replaces the old one, so that no byte of a forgotten
    /// customer survives in a page the database merely marked free. The id
    /// index's runs are merged into one.
    ///
    /// # Errors
    ///
    /// [`StoreError::ReadOnly`]; [`StoreError::Path`] when the fresh file
    /// cannot replace the old; [`StoreError::Database`]. The store is
    /// unchanged after an error.
    ///
    /// # Complexity
    ///
    /// O(the live data).
    pub fn compact(&mut self) -> Result<(), StoreError> {
        guarded(|| {
            self.db.writable()?;
            let file = self.dir.join(FILE);
            let tmp = self.dir.join(format!("{FILE}.compact"));
            let path_error =
                |e: std::io::Error| StoreError::Path { path: self.dir.display().to_string(), reason: e.to_string() };
            let _ = std::fs::remove_file(&tmp);
            {
                let mut fresh = Database::create(&tmp)?;
                let from = self.db.begin_read()?;
                let to = fresh.begin_write()?;
                copy_table(&from, &to, CUSTOMERS)?;
                copy_table(&from, &to, NAMES)?;
                copy_table(&from, &to, EVENTS)?;
                copy_table(&from, &to, REFERRERS)?;
                copy_table(&from, &to, FOLLOWERS)?;
                copy_table(&from, &to, CHANNELS)?;
                copy_table(&from, &to, CAMPAIGNS)?;
                copy_table(&from, &to, META)?;
                // The id index as one run (this rewrites the runs' entry
                // in the metadata just copied).
                ids::compact_into(&from, &to)?;
                to.commit()?;
                // The copy leaves the file longer than its pages (regions
                // allocated ahead, holes that read as zeros): moving pages
                // down until nothing moves cuts it to what it holds.
                while fresh.compact().map_err(db_error)? {}
            }
            std::fs::rename(&tmp, &file).map_err(path_error)?;
            if let Ok(dir) = std::fs::File::open(&self.dir) {
                let _ = dir.sync_all();
            }
            self.db = Db::Write(Database::open(&file)?);
            Ok(())
        })
    }

    fn erase<S: AsRef<str>>(&mut self, keys: &[S]) -> Result<ForgetReport, StoreError> {
        guarded(|| self.erase_in(keys))
    }

    // One transaction's steps in order: the touched, then the forgotten.
    #[allow(clippy::too_many_lines)]
    fn erase_in<S: AsRef<str>>(&mut self, keys: &[S]) -> Result<ForgetReport, StoreError> {
        let txn = self.db.writable()?.begin_write()?;
        let mut report = ForgetReport::default();
        {
            let mut customers = txn.open_table(CUSTOMERS)?;
            let mut names = txn.open_table(NAMES)?;
            let mut events = txn.open_table(EVENTS)?;
            let mut referrers = txn.open_table(REFERRERS)?;
            let mut followers = txn.open_table(FOLLOWERS)?;
            let mut meta = txn.open_table(META)?;
            let mut index = IdIndex::open(&txn, &meta)?;
            let advances = advances(&meta)?;
            let mut counts = decode_counts(&meta_get(&meta, "counts")?).ok_or_else(|| corrupt("meta", &"counts"))?;
            let mut stored_events =
                u64::from_le_bytes(meta_get(&meta, "events")?.try_into().map_err(|_| corrupt("meta", &"events"))?);
            let mut next = next_row(&meta)?;

            let mut gone: Vec<(Stored, Vec<Record>)> = Vec::new();
            let mut gone_nums = HashSet::new();
            for key in keys {
                let key = key.as_ref();
                let stored =
                    load(&customers, key)?.ok_or_else(|| StoreError::UnknownCustomer { key: key.to_owned() })?;
                if gone_nums.insert(stored.num) {
                    let records = load_records(&events, &stored)?;
                    gone.push((stored, records));
                }
            }
            let mut affected = BTreeSet::new();
            for (g, _) in &gone {
                affected.extend(referrers_of(&referrers, g.num)?.into_iter().map(|(r, _)| r));
                affected.extend(followers_of(&followers, g.num)?);
            }
            affected.retain(|n| !gone_nums.contains(n));

            for num in affected {
                let stored = load_num(&names, &customers, num)?;
                let old_records = load_records(&events, &stored)?;
                let mut map = vec![u32::MAX; old_records.len()];
                let mut records: Vec<Record> = Vec::with_capacity(old_records.len());
                let mut dropped = Vec::new();
                for (pos, record) in old_records.iter().enumerate() {
                    let names_gone = match record.kind {
                        Kind::Referral { invitee } => gone_nums.contains(&invitee),
                        Kind::Follow { of: Some(of) } => gone_nums.contains(&of),
                        _ => false,
                    };
                    if names_gone {
                        report.references += 1;
                        stored_events -= 1;
                        dropped.push(record.id);
                        continue;
                    }
                    let mut record = *record;
                    match &mut record.kind {
                        Kind::Refund { purchase: p, .. } | Kind::TicketResolved { ticket: p } => {
                            *p = map[*p as usize];
                        }
                        _ => {}
                    }
                    map[pos] = records.len() as u32;
                    records.push(record);
                }
                let mut first: HashMap<u32, Option<DateTime<Utc>>> = HashMap::new();
                for record in &records {
                    if let Kind::Referral { invitee } = record.kind
                        && !first.contains_key(&invitee)
                    {
                        first.insert(invitee, load_num(&names, &customers, invitee)?.customer.first_purchase());
                    }
                }
                let conversions = conversions_of(&records, |invitee| first.get(&invitee).copied().flatten());
                let mut moves = explicit_moves(&stored.customer);
                let (customer, open_tickets) = loop {
                    match derive(
                        &stored.customer,
                        stored.initial_consent,
                        &records,
                        &moves,
                        &advances,
                        conversions.clone(),
                        &self.policy,
                    ) {
                        Ok(derived) => break derived,
                        Err((i, _)) => {
                            moves.remove(i);
                            report.dropped_moves += 1;
                        }
                    }
                };
                counts[stored.customer.stage() as usize] -= 1;
                counts[customer.stage() as usize] += 1;
                let key = customer.key().expect("keyed customers").to_owned();
                // Their rows are renumbered: all written afresh.
                let row_num = u64::from(num);
                for &row in &stored.rows {
                    events.remove(row)?;
                }
                let mut rows = Vec::with_capacity(records.len());
                for (seq, record) in (0u32..).zip(&records) {
                    let row = seal_row(Key::Row(row_num, seq), &encode_record(record, stored.epoch));
                    events.insert(next, row.as_slice())?;
                    rows.push(next);
                    next += 1;
                }
                for id in dropped {
                    // Another of their events may share the hash.
                    let hash = id_hash(id);
                    if !records.iter().any(|r| id_hash(r.id) == hash) {
                        index.remove(hash, num)?;
                    }
                }
                let new = Stored {
                    num,
                    rows,
                    epoch: stored.epoch,
                    customer,
                    initial_consent: stored.initial_consent,
                    open_tickets,
                    attribute_times: stored.attribute_times,
                };
                customers.insert(key.as_str(), seal("customers", Key::Text(&key), &encode_state(&new)).as_slice())?;
            }

            for (g, records) in &gone {
                for record in records {
                    match record.kind {
                        Kind::Referral { invitee } if !gone_nums.contains(&invitee) => {
                            let mut list = referrers_of(&referrers, invitee)?;
                            list.retain(|&(r, _)| r != g.num);
                            if list.is_empty() {
                                referrers.remove(invitee)?;
                            } else {
                                let value = seal("referrers", Key::Num(invitee), &encode_pairs(&list));
                                referrers.insert(invitee, value.as_slice())?;
                            }
                        }
                        Kind::Follow { of: Some(of) } if !gone_nums.contains(&of) => {
                            let mut list = followers_of(&followers, of)?;
                            list.retain(|&f| f != g.num);
                            if list.is_empty() {
                                followers.remove(of)?;
                            } else {
                                followers
                                    .insert(of, seal("followers", Key::Num(of), &encode_nums(&list)).as_slice())?;
                            }
                        }
                        _ => {}
                    }
                    index.remove(id_hash(record.id), g.num)?;
                }
                for &row in &g.rows {
                    events.remove(row)?;
                }
                let c = &g.customer;
                report.events += records.len();
                report.attributes += c.attributes().len();
                report.transitions += c.history().len();
                stored_events -= records.len() as u64;
                counts[c.stage() as usize] -= 1;
                customers.remove(c.key().expect("keyed customers"))?;
                names.remove(g.num)?;
                referrers.remove(g.num)?;
                followers.remove(g.num)?;
            }
            put_meta(&mut meta, "counts", &encode_counts(&counts))?;
            put_meta(&mut meta, "events", &stored_events.to_le_bytes())?;
            put_meta(&mut meta, "rows", &next.to_le_bytes())?;
            index.finish(&mut meta)?;
        }
        fault::point("forget_before_commit");
        txn.commit()?;
        Ok(report)
    }
}
