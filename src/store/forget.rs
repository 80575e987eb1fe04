//! Erasure: [`CustomerStore::forget`] and [`CustomerStore::forget_all`].

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::codec::{Key, Stored, encode_customer, encode_nums, encode_pairs, seal};
use super::{
    CUSTOMERS, CustomerStore, EVENTS, FOLLOWERS, META, NAMES, REFERRERS, StoreError, corrupt, decode_counts,
    encode_counts, fault, followers_of, guarded, load, load_num, meta_get, put_meta, referrers_of,
};
use crate::ForgetReport;
use crate::base::{Kind, Record, conversions_of, derive, explicit_moves};

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

    /// Compacts the database file: pages no commit uses any more are
    /// dropped, and with them the bytes of forgotten customers.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub fn compact(&mut self) -> Result<(), StoreError> {
        guarded(|| {
            let db = self.db.writable()?;
            while db.compact()? {}
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
            let mut counts = decode_counts(&meta_get(&meta, "counts")?).ok_or_else(|| corrupt("meta", &"counts"))?;
            let mut stored_events =
                u64::from_le_bytes(meta_get(&meta, "events")?.try_into().map_err(|_| corrupt("meta", &"events"))?);

            let mut gone: Vec<Stored> = Vec::new();
            let mut gone_nums = HashSet::new();
            for key in keys {
                let key = key.as_ref();
                let stored =
                    load(&customers, key)?.ok_or_else(|| StoreError::UnknownCustomer { key: key.to_owned() })?;
                if gone_nums.insert(stored.num) {
                    gone.push(stored);
                }
            }
            let mut affected = BTreeSet::new();
            for g in &gone {
                affected.extend(referrers_of(&referrers, g.num)?.into_iter().map(|(r, _)| r));
                affected.extend(followers_of(&followers, g.num)?);
            }
            affected.retain(|n| !gone_nums.contains(n));

            for num in affected {
                let stored = load_num(&names, &customers, num)?;
                let mut map = vec![u32::MAX; stored.records.len()];
                let mut records: Vec<Record> = Vec::with_capacity(stored.records.len());
                for (pos, record) in stored.records.iter().enumerate() {
                    let names_gone = match record.kind {
                        Kind::Referral { invitee } => gone_nums.contains(&invitee),
                        Kind::Follow { of: Some(of) } => gone_nums.contains(&of),
                        _ => false,
                    };
                    if names_gone {
                        report.references += 1;
                        stored_events -= 1;
                        events.remove(record.id.as_uuid().as_bytes().as_slice())?;
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
                        &[],
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
                let payload = encode_customer(
                    num,
                    &customer,
                    stored.initial_consent,
                    &open_tickets,
                    &stored.attribute_times,
                    &records,
                );
                customers.insert(key.as_str(), seal("customers", Key::Text(&key), &payload).as_slice())?;
            }

            for g in &gone {
                for record in &g.records {
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
                    events.remove(record.id.as_uuid().as_bytes().as_slice())?;
                }
                let c = &g.customer;
                report.events += g.records.len();
                report.attributes += c.attributes().len();
                report.transitions += c.history().len();
                stored_events -= g.records.len() as u64;
                counts[c.stage() as usize] -= 1;
                customers.remove(c.key().expect("keyed customers"))?;
                names.remove(g.num)?;
                referrers.remove(g.num)?;
                followers.remove(g.num)?;
            }
            put_meta(&mut meta, "counts", &encode_counts(&counts))?;
            put_meta(&mut meta, "events", &stored_events.to_le_bytes())?;
        }
        fault::point("forget_before_commit");
        txn.commit()?;
        Ok(report)
    }
}
