//! Grouping records by customer key in order of first appearance: the one
//! hash look-up per record that every whole-base computation over raw
//! records needs.

use std::collections::HashMap;
use std::hash::Hash;

type FixedMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Dense slots `0, 1, 2, …` handed out to keys in the order they are first
/// seen.
#[derive(Debug)]
pub(crate) struct Slots<K> {
    index: FixedMap<K, u32>,
    keys: Vec<K>,
}

impl<K: Hash + Eq + Clone> Slots<K> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Slots {
            index: FixedMap::with_capacity_and_hasher(capacity, foldhash::fast::FixedState::default()),
            keys: Vec::with_capacity(capacity),
        }
    }

    /// The key's slot, and whether it is new.
    #[inline]
    pub(crate) fn slot(&mut self, key: K) -> (usize, bool) {
        let next = self.keys.len() as u32;
        let slot = *self.index.entry(key.clone()).or_insert(next);
        let new = slot == next;
        if new {
            self.keys.push(key);
        }
        (slot as usize, new)
    }

    /// The keys, by slot.
    pub(crate) fn into_keys(self) -> Vec<K> {
        self.keys
    }
}
