//! Grouping records by customer key in order of first appearance: the hash
//! look-ups per record that every whole-base computation over raw records
//! needs, kept in cache for large inputs.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::fast::FixedState;

use crate::CustomerId;

/// Below this many records (by the caller's estimate) one hash map is
/// cache-resident anyway and partitioning would only add a pass.
const PARTITION_FROM: usize = 1 << 17;
/// Partitions when partitioning: 2^8, so that each one's map of a million
/// keys' share stays in cache.
const PARTITION_BITS: u32 = 8;

/// Groups `(key, record)` pairs by key and folds each group's records, in
/// input order, into an accumulator that starts as `start()`. The groups
/// come back in the order of each key's first record. `expected` is the
/// number of records expected (it sizes the partitions; any value is
/// correct).
///
/// Large inputs are first split by bits of the key's hash into partitions
/// whose keys never meet, so that each partition's hash map stays in cache;
/// one byte per record remembers its partition, and one pass over those
/// bytes restores the global order of first appearance.
///
/// # Complexity
///
/// O(n) expected for n records: one hash per record in each of two passes.
pub(crate) fn group_fold<K, R, A>(
    records: impl IntoIterator<Item = (K, R)>,
    expected: usize,
    start: impl FnMut() -> A,
    fold: impl FnMut(&mut A, R),
) -> Vec<(K, A)>
where
    K: Hash + Eq + Clone,
{
    group_fold_with(FixedState::default(), records, expected, start, fold)
}

/// [`group_fold`] for [`CustomerId`] keys, hashed by one multiplication of
/// the id's two halves instead of a general-purpose hasher fed byte by byte
/// (ids from keys and from the simulator are already uniformly spread; the
/// multiplication keeps caller-chosen ids such as sequential ones spread
/// too).
pub(crate) fn group_fold_ids<R, A>(
    records: impl IntoIterator<Item = (CustomerId, R)>,
    expected: usize,
    start: impl FnMut() -> A,
    fold: impl FnMut(&mut A, R),
) -> Vec<(CustomerId, A)> {
    group_fold_with(IdHashState, records, expected, start, fold)
}

fn group_fold_with<K, R, A, S>(
    state: S,
    records: impl IntoIterator<Item = (K, R)>,
    expected: usize,
    mut start: impl FnMut() -> A,
    mut fold: impl FnMut(&mut A, R),
) -> Vec<(K, A)>
where
    K: Hash + Eq + Clone,
    S: BuildHasher + Clone,
{
    let hint = expected;
    let parts = if hint >= PARTITION_FROM { 1usize << PARTITION_BITS } else { 1 };
    let mut partitions: Vec<Vec<(K, R)>> =
        (0..parts).map(|_| Vec::with_capacity(hint / parts + hint / parts / 8)).collect();
    // The partition of each record, in input order: a byte instead of a
    // four-byte position in every partitioned record, and no scatter array
    // as long as the input to put the groups back in order.
    let mut sequence: Vec<u8> = Vec::with_capacity(if parts == 1 { 0 } else { hint });
    for (key, record) in records {
        if parts == 1 {
            partitions[0].push((key, record));
        } else {
            // Bits 32..40 of the hash: the maps below take their buckets from
            // the low bits and their tags from the top seven, which must both
            // still vary within a partition.
            let p = (state.hash_one(&key) >> 32) as u8;
            sequence.push(p);
            partitions[p as usize].push((key, record));
        }
    }
    assert!(u32::try_from(sequence.len().max(partitions[0].len())).is_ok(), "fewer than 2^32 records");
    // Each partition's groups in order of their first record there, and
    // that record's place in the partition.
    let mut grouped: Vec<std::vec::IntoIter<(K, A)>> = Vec::with_capacity(parts);
    let mut firsts: Vec<Vec<u32>> = Vec::with_capacity(parts);
    let mut index: HashMap<K, u32, S> = HashMap::with_hasher(state);
    for partition in &mut partitions {
        index.clear();
        let mut groups: Vec<(K, A)> = Vec::new();
        let mut first: Vec<u32> = Vec::new();
        for (local, (key, record)) in partition.drain(..).enumerate() {
            let slot = if let Some(&slot) = index.get(&key) {
                slot as usize
            } else {
                let slot = groups.len();
                index.insert(key.clone(), slot as u32);
                groups.push((key, start()));
                first.push(local as u32);
                slot
            };
            fold(&mut groups[slot].1, record);
        }
        *partition = Vec::new();
        if parts == 1 {
            // Already in order of first appearance.
            return groups;
        }
        grouped.push(groups.into_iter());
        firsts.push(first);
    }
    // Walking the partition bytes counts each record's place in its
    // partition, and takes a partition's next group when its first record
    // comes by; the state per partition stays small enough for L1.
    let mut seen = vec![0u32; parts];
    let mut taken = vec![0usize; parts];
    let mut due: Vec<u32> = firsts.iter().map(|f| f.first().copied().unwrap_or(u32::MAX)).collect();
    let mut out = Vec::with_capacity(firsts.iter().map(Vec::len).sum());
    for &p in &sequence {
        let p = p as usize;
        if seen[p] == due[p] {
            out.push(grouped[p].next().expect("a group per first record"));
            taken[p] += 1;
            due[p] = firsts[p].get(taken[p]).copied().unwrap_or(u32::MAX);
        }
        seen[p] += 1;
    }
    out
}

/// Hashes a [`CustomerId`] by one folded multiplication of its halves.
#[derive(Clone, Copy, Default)]
struct IdHashState;

impl BuildHasher for IdHashState {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// See [`IdHashState`]. Only [`CustomerId`]s are hashed with it: their
/// bytes arrive in one `write` (after a length prefix, which is ignored).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Odd constants (digits of π) keep a zero half from zeroing the product.
        const A: u64 = 0x243f_6a88_85a3_08d3;
        const B: u64 = 0x1319_8a2e_0370_7345;
        for chunk in bytes.chunks(16) {
            let mut word = [0u8; 16];
            word[..chunk.len()].copy_from_slice(chunk);
            let word = u128::from_le_bytes(word);
            let product = u128::from((word as u64) ^ self.0 ^ A) * u128::from(((word >> 64) as u64) ^ B);
            self.0 = (product as u64) ^ ((product >> 64) as u64);
        }
    }

    fn write_usize(&mut self, _: usize) {}

    fn finish(&self) -> u64 {
        self.0
    }
}
#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Grouping by a linear search of the groups found so far: slow, and
    /// plainly in order of first appearance.
    fn by_scan<K: Eq + Clone>(records: &[(K, u32)]) -> Vec<(K, Vec<u32>)> {
        let mut groups: Vec<(K, Vec<u32>)> = Vec::new();
        for (key, record) in records {
            match groups.iter_mut().find(|(k, _)| k == key) {
                Some((_, rs)) => rs.push(*record),
                None => groups.push((key.clone(), vec![*record])),
            }
        }
        groups
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Both hashers, with and without partitions (a large `expected`
        /// partitions even a short input), group as the scan does. Ids
        /// differing in one half only test the id hash's mixing.
        #[test]
        fn grouping_agrees_with_a_scan(
            keys in prop::collection::vec((0u64..50, 0u64..3), 0..400),
            partitioned in any::<bool>(),
        ) {
            let expected = if partitioned { PARTITION_FROM } else { 0 };
            let records: Vec<(u64, u32)> = keys.iter().enumerate().map(|(i, &(k, _))| (k, i as u32)).collect();
            let push = |v: &mut Vec<u32>, r| v.push(r);
            prop_assert_eq!(group_fold(records.iter().copied(), expected, Vec::new, push), by_scan(&records));
            let ids: Vec<(CustomerId, u32)> = keys
                .iter()
                .enumerate()
                .map(|(i, &(lo, hi))| (CustomerId::from_uuid(uuid::Uuid::from_u64_pair(hi, lo)), i as u32))
                .collect();
            prop_assert_eq!(group_fold_ids(ids.iter().copied(), expected, Vec::new, push), by_scan(&ids));
        }
    }

    #[test]
    fn partitioned_and_plain_grouping_agree() {
        let n = PARTITION_FROM + 10;
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
