//! Grouping records by customer key in order of first appearance: the hash
//! look-ups per record that every whole-base computation over raw records
//! needs, kept in cache for large inputs.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use foldhash::fast::FixedState;

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
/// Large inputs are first split by the top bits of the key's hash into
/// partitions whose keys never meet, so that each partition's hash map
/// stays in cache; the first appearance of each key is kept as its record's
/// position, and one pass over the positions restores the global order.
///
/// # Complexity
///
/// O(n) expected for n records: one hash per record in each of two passes.
pub(crate) fn group_fold<K, R, A>(
    records: impl IntoIterator<Item = (K, R)>,
    expected: usize,
    mut start: impl FnMut() -> A,
    mut fold: impl FnMut(&mut A, R),
) -> Vec<(K, A)>
where
    K: Hash + Eq + Clone,
{
    let hint = expected;
    let state = FixedState::default();
    let parts = if hint >= PARTITION_FROM { 1usize << PARTITION_BITS } else { 1 };
    let mut partitions: Vec<Vec<(u32, K, R)>> =
        (0..parts).map(|_| Vec::with_capacity(hint / parts + hint / parts / 8)).collect();
    let mut count = 0u32;
    for (key, record) in records {
        let p = if parts == 1 { 0 } else { (state.hash_one(&key) >> (64 - PARTITION_BITS)) as usize };
        partitions[p].push((count, key, record));
        count = count.checked_add(1).expect("fewer than 2^32 records");
    }
    // Reserved for about eight records per key, so that large inputs seldom
    // copy the groups while they grow.
    let mut groups: Vec<(u32, K, A)> = Vec::with_capacity(hint / 8);
    let mut index: HashMap<K, u32, FixedState> = HashMap::with_hasher(FixedState::default());
    for partition in &mut partitions {
        index.clear();
        let offset = groups.len();
        for (position, key, record) in partition.drain(..) {
            let slot = if let Some(&slot) = index.get(&key) {
                slot as usize
            } else {
                let slot = groups.len() - offset;
                index.insert(key.clone(), slot as u32);
                groups.push((position, key, start()));
                slot
            };
            fold(&mut groups[offset + slot].2, record);
        }
        *partition = Vec::new();
    }
    if parts == 1 {
        // Already in order of first appearance.
        return groups.into_iter().map(|(_, k, a)| (k, a)).collect();
    }
    // Each group's first position is unique: a scatter and one scan order them.
    let mut at_position = vec![u32::MAX; count as usize];
    for (i, g) in groups.iter().enumerate() {
        at_position[g.0 as usize] = i as u32;
    }
    let mut slots: Vec<Option<(K, A)>> = groups.into_iter().map(|(_, k, a)| Some((k, a))).collect();
    at_position
        .into_iter()
        .filter(|&i| i != u32::MAX)
        .map(|i| slots[i as usize].take().expect("each group once"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
