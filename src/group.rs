//! Grouping records by customer key in order of first appearance: the one
//! hash look-up per record that every whole-base computation over raw
//! records needs.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use foldhash::fast::FixedState;

/// Dense slots `0, 1, 2, …` handed out to keys in the order they are first
/// seen.
#[derive(Debug)]
pub(crate) struct Slots<K> {
    index: HashMap<K, u32, FixedState>,
    keys: Vec<K>,
}

impl<K: Hash + Eq + Clone> Slots<K> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Slots {
            index: HashMap::with_capacity_and_hasher(capacity, FixedState::default()),
            keys: Vec::with_capacity(capacity),
        }
    }

    /// The key's slot, and whether it is new. An owned key is made only for
    /// a new one.
    #[inline]
    pub(crate) fn slot<Q>(&mut self, key: &Q) -> (usize, bool)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(&slot) = self.index.get(key) {
            return (slot as usize, false);
        }
        let slot = self.keys.len();
        let owned = key.to_owned();
        self.index.insert(owned.clone(), u32::try_from(slot).expect("fewer than 2^32 keys"));
        self.keys.push(owned);
        (slot, true)
    }

    /// The keys, by slot.
    pub(crate) fn into_keys(self) -> Vec<K> {
        self.keys
    }
}

/// Below this many records (by the caller's estimate) one hash map is
/// cache-resident anyway and partitioning would only add a pass.
const PARTITION_FROM: usize = 1 << 17;
/// Partitions when partitioning: 2^8, so that each one's share of a million
/// keys stays in cache.
const PARTITION_BITS: u32 = 8;
/// Records buffered at a time: the buffers are reused from chunk to chunk,
/// so memory stays small and no fresh pages are touched per record.
const CHUNK: usize = 1 << 20;

/// Groups `(key, record)` pairs by key and folds each group's records, in
/// input order, into an accumulator that starts as `start()`. The groups
/// come back in the order of each key's first record. `expected` is the
/// number of records expected (it chooses and sizes the partitions; any
/// value is correct).
///
/// Large inputs are read a chunk at a time; each chunk is split by the top
/// bits of the key's hash into partitions whose keys never meet, and each
/// partition is folded into its own hash map, which stays in cache. Each
/// group keeps the position of its first record, and one sort of those
/// positions restores the global order.
///
/// # Complexity
///
/// O(n + g log g) expected for n records in g groups.
pub(crate) fn group_fold<K, R, A>(
    records: impl IntoIterator<Item = (K, R)>,
    expected: usize,
    mut start: impl FnMut() -> A,
    mut fold: impl FnMut(&mut A, R),
) -> Vec<(K, A)>
where
    K: Hash + Eq + Clone,
{
    let state = FixedState::default();
    let parts = if expected >= PARTITION_FROM { 1usize << PARTITION_BITS } else { 1 };
    let per_part = expected.min(CHUNK) / parts;
    let mut buffers: Vec<Vec<(u32, K, R)>> = (0..parts).map(|_| Vec::with_capacity(per_part + per_part / 4)).collect();
    let mut indexes: Vec<HashMap<K, u32, FixedState>> =
        (0..parts).map(|_| HashMap::with_capacity_and_hasher(expected / parts / 8, FixedState::default())).collect();
    let mut groups: Vec<Vec<(u32, K, A)>> = (0..parts).map(|_| Vec::new()).collect();
    let mut records = records.into_iter();
    let mut position = 0u32;
    loop {
        let mut taken = 0;
        for (key, record) in records.by_ref().take(CHUNK) {
            let p = if parts == 1 { 0 } else { (state.hash_one(&key) >> (64 - PARTITION_BITS)) as usize };
            buffers[p].push((position, key, record));
            position = position.checked_add(1).expect("fewer than 2^32 records");
            taken += 1;
        }
        for ((buffer, index), groups) in buffers.iter_mut().zip(&mut indexes).zip(&mut groups) {
            for (position, key, record) in buffer.drain(..) {
                let slot = if let Some(&slot) = index.get(&key) {
                    slot as usize
                } else {
                    let slot = groups.len();
                    index.insert(key.clone(), slot as u32);
                    groups.push((position, key, start()));
                    slot
                };
                fold(&mut groups[slot].2, record);
            }
        }
        if taken < CHUNK {
            break;
        }
    }
    drop(indexes);
    if parts == 1 {
        // One partition is already in order of first appearance.
        return groups.into_iter().flatten().map(|(_, k, a)| (k, a)).collect();
    }
    let total: usize = groups.iter().map(Vec::len).sum();
    let mut order: Vec<u64> = Vec::with_capacity(total);
    let mut flat: Vec<Option<(K, A)>> = Vec::with_capacity(total);
    for (first, key, acc) in groups.into_iter().flatten() {
        order.push(u64::from(first) << 32 | flat.len() as u64);
        flat.push(Some((key, acc)));
    }
    order.sort_unstable();
    order.into_iter().map(|o| flat[(o & 0xffff_ffff) as usize].take().expect("each group once")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitioned_and_plain_grouping_agree() {
        let n = CHUNK + PARTITION_FROM + 10;
        let records = || (0..n).map(|i| ((i * 7919) % 5003, i));
        let partitioned = group_fold(records(), n, Vec::new, |v: &mut Vec<usize>, i| v.push(i));
        let plain = group_fold(records(), 0, Vec::new, |v: &mut Vec<usize>, i| v.push(i));
        assert_eq!(partitioned, plain);
        assert_eq!(partitioned.len(), 5003);
        assert!(partitioned.iter().all(|(_, v)| v.windows(2).all(|w| w[0] < w[1])), "records in input order");
        assert!(partitioned.windows(2).all(|w| w[0].1[0] < w[1].1[0]), "groups in order of first record");
        let small = group_fold([("b", 1), ("a", 2), ("b", 3)], 3, || 0, |a, r| *a += r);
        assert_eq!(small, [("b", 4), ("a", 2)]);
    }
}
