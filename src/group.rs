//! Grouping records by customer key in order of first appearance: the one
//! hash look-up per record that every whole-base computation over raw
//! records needs.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

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
