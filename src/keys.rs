//! A table from string keys to dense slots: 0, 1, 2, … in order of first
//! appearance.
//!
//! Grouping a transaction log by customer key does one look-up per record,
//! and at a million records those look-ups are most of the work. A
//! `HashMap<Box<str>, u32>` pays a second cache miss on every hit, to
//! compare against the key's separate heap allocation. Here each entry holds
//! the key's first 16 bytes inline, zero-padded, with its length, so a key of
//! up to 16 bytes (most customer ids) is compared by two integer compares on
//! the line the probe already loaded; longer keys are compared in full
//! against the stored key only when head and length match. The table itself
//! is [`hashbrown::HashTable`]; what the caller keeps per key lives in its
//! own vectors, indexed by slot.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

/// The bytes kept inline per key.
const HEAD: usize = 16;

/// A key in the table: its head, length and slot, 24 bytes.
struct Entry {
    head: [u64; 2],
    len: u32,
    slot: u32,
}

/// A key's hash and inline head, computed ahead of its look-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prepared {
    hash: u64,
    head: [u64; 2],
    len: u32,
}

/// String keys to dense slots, hashed by `S`, the keys kept in `K` (see
/// [`KeyStore`]): owned `String`s, `&str`s borrowed from the input while it
/// is parsed (no allocation per key), or copies in one [`KeyArena`]. See
/// the module docs.
pub(crate) struct KeyTable<K = Vec<String>, S = FixedState> {
    table: HashTable<Entry>,
    keys: K,
    state: S,
}

impl<K: Default, S: Default> Default for KeyTable<K, S> {
    fn default() -> Self {
        KeyTable { table: HashTable::new(), keys: K::default(), state: S::default() }
    }
}

/// Where a [`KeyTable`] keeps its keys, indexed by slot.
pub(crate) trait KeyStore {
    /// The number of keys.
    fn count(&self) -> usize;
    /// The key at `slot`.
    fn key(&self, slot: usize) -> &str;
    /// Makes room for `more` keys (only the file readers reserve).
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    fn reserve_keys(&mut self, more: usize);
}

/// A [`KeyStore`] that can keep keys borrowed for `'k`.
pub(crate) trait KeyStoreFrom<'k>: KeyStore {
    /// Adds `key` at the next slot.
    fn push_key(&mut self, key: &'k str);
}

impl<K: AsRef<str>> KeyStore for Vec<K> {
    fn count(&self) -> usize {
        self.len()
    }

    fn key(&self, slot: usize) -> &str {
        self[slot].as_ref()
    }

    fn reserve_keys(&mut self, more: usize) {
        self.reserve(more);
    }
}

impl<'k, K: AsRef<str> + From<&'k str>> KeyStoreFrom<'k> for Vec<K> {
    fn push_key(&mut self, key: &'k str) {
        self.push(K::from(key));
    }
}

/// Keys copied end to end into one growing buffer, with where each ends:
/// one allocation for all the keys of a table instead of one per key, for
/// a table that outlives the text its keys come from.
#[derive(Debug, Default, Clone)]
#[cfg_attr(not(feature = "csv"), allow(dead_code))]
pub(crate) struct KeyArena {
    text: String,
    ends: Vec<usize>,
}

impl KeyStore for KeyArena {
    fn count(&self) -> usize {
        self.ends.len()
    }

    fn key(&self, slot: usize) -> &str {
        let from = if slot == 0 { 0 } else { self.ends[slot - 1] };
        &self.text[from..self.ends[slot]]
    }

    fn reserve_keys(&mut self, more: usize) {
        self.ends.reserve(more);
        // Customer ids are mostly short: 8 bytes a key is a guess.
        self.text.reserve(8 * more);
    }
}

impl KeyStoreFrom<'_> for KeyArena {
    fn push_key(&mut self, key: &str) {
        self.text.push_str(key);
        self.ends.push(self.text.len());
    }
}

/// The first 16 bytes of `key` as two little-endian words, zero-padded: by
/// overlapping fixed-size reads rather than a copy of variable length, which
/// would cost a call to `memcpy` per record.
#[inline]
fn head(key: &[u8]) -> [u64; 2] {
    let word = |at: usize| u64::from_le_bytes(key[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| u64::from(u32::from_le_bytes(key[at..at + 4].try_into().expect("4 bytes")));
    let n = key.len();
    if n >= HEAD {
        [word(0), word(8)]
    } else if n > 8 {
        // The last 8 bytes, shifted down past the ones `word(0)` holds.
        [word(0), word(n - 8) >> (8 * (HEAD - n))]
    } else if n == 8 {
        [word(0), 0]
    } else if n >= 4 {
        [half(0) | ((half(n - 4) >> (8 * (8 - n))) << 32), 0]
    } else {
        let mut lo = 0u64;
        for (i, &b) in key.iter().enumerate() {
            lo |= u64::from(b) << (8 * i);
        }
        [lo, 0]
    }
}

/// The hash of an entry's key, to grow the table: from the entry itself when
/// its head holds the whole key, without a cache miss on the key.
fn rehash<K: KeyStore, S: BuildHasher>(state: &S, keys: &K, e: &Entry) -> u64 {
    let len = e.len as usize;
    if len <= HEAD {
        let bytes = (u128::from(e.head[0]) | (u128::from(e.head[1]) << 64)).to_le_bytes();
        state.hash_one(&bytes[..len])
    } else {
        state.hash_one(keys.key(e.slot as usize).as_bytes())
    }
}

impl<K: KeyStore, S: BuildHasher> KeyTable<K, S> {
    /// The number of distinct keys seen.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.count()
    }

    /// What a look-up of `key` needs from its bytes: its hash and inline
    /// head. Preparing a batch of keys, then finding them, then updating
    /// what they index, in short loops of their own, lets the processor
    /// overlap the cache misses of each step across keys, which one long
    /// loop doing everything per key does not.
    #[inline]
    pub(crate) fn prepare(&self, key: &str) -> Prepared {
        let bytes = key.as_bytes();
        Prepared {
            hash: self.state.hash_one(bytes),
            head: head(bytes),
            len: u32::try_from(bytes.len()).expect("keys shorter than 4 GiB"),
        }
    }

    /// The slot of `key`, if it has one. `prepared` is
    /// [`prepare(key)`](Self::prepare).
    #[inline]
    pub(crate) fn find(&self, key: &str, prepared: Prepared) -> Option<u32> {
        debug_assert!(prepared == self.prepare(key));
        let Prepared { hash, head, len } = prepared;
        let keys = &self.keys;
        let eq =
            |e: &Entry| e.len == len && e.head == head && (len as usize <= HEAD || keys.key(e.slot as usize) == key);
        self.table.find(hash, eq).map(|e| e.slot)
    }

    /// The slot of `key`, giving it the next slot when it is new.
    /// `prepared` is [`prepare(key)`](Self::prepare).
    ///
    /// # Panics
    ///
    /// At 2^32 distinct keys.
    pub(crate) fn insert<'k>(&mut self, key: &'k str, prepared: Prepared) -> u32
    where
        K: KeyStoreFrom<'k>,
    {
        if let Some(slot) = self.find(key, prepared) {
            return slot;
        }
        let Prepared { hash, head, len } = prepared;
        let slot = u32::try_from(self.keys.count()).expect("fewer than 2^32 keys");
        let KeyTable { table, keys, state } = self;
        table.insert_unique(hash, Entry { head, len, slot }, |e| rehash(state, keys, e));
        keys.push_key(key);
        slot
    }

    #[cfg(feature = "csv")]
    /// The slots of `keys`, appended to `out` in order, new keys taking the
    /// next slots in order: what [`insert`](Self::insert) of each key in
    /// turn gives, done in three short loops (prepare every key, find every
    /// key, insert those not found) so that the cache misses of one key
    /// overlap those of the next. `prepared` is scratch space.
    ///
    /// # Panics
    ///
    /// As [`insert`](Self::insert).
    pub(crate) fn insert_all<'k>(&mut self, keys: &[&'k str], prepared: &mut Vec<Prepared>, out: &mut Vec<u32>)
    where
        K: KeyStoreFrom<'k>,
    {
        prepared.clear();
        prepared.extend(keys.iter().map(|key| self.prepare(key)));
        let from = out.len();
        out.extend(keys.iter().zip(prepared.iter()).map(|(key, &p)| self.find(key, p).unwrap_or(u32::MAX)));
        // A key not found is new here, or first seen earlier in `keys`.
        for ((key, &p), slot) in keys.iter().zip(prepared.iter()).zip(&mut out[from..]) {
            if *slot == u32::MAX {
                *slot = self.insert(key, p);
            }
        }
    }

    /// Makes room for `more` keys at least without growing the table, and
    /// returns how many keys it holds before it grows: the hash table
    /// rounds its size up, and whatever the caller keeps per key can be
    /// sized to match (the keys here are), so that no vector regrows (a
    /// regrown large vector faults in fresh pages and is copied).
    pub(crate) fn reserve(&mut self, more: usize) -> usize {
        let KeyTable { table, keys, state } = self;
        table.reserve(more, |e| rehash(state, keys, e));
        let room = table.capacity();
        keys.reserve_keys(room.saturating_sub(keys.count()));
        room
    }

    /// The keys, indexed by slot.
    pub(crate) fn into_keys(self) -> K {
        self.keys
    }

    #[cfg(feature = "csv")]
    /// Joins the tables of consecutive pieces of one input, numbering every
    /// key by its first appearance in the whole input: the first table's
    /// slots stay, and each later table's keys not seen in an earlier table
    /// take the next slots, in their slot order. Returns every key, owned,
    /// in joined slot order, and for each later table the joined slot of
    /// each of its slots.
    ///
    /// The look-ups of every later key in the earlier tables, and the
    /// copies of the keys, run on the thread pool; only the numbering, one
    /// pass over a vector of slots, runs alone. The result does not depend
    /// on the number of threads.
    ///
    /// # Panics
    ///
    /// When `tables` is empty, and at 2^32 distinct keys.
    pub(crate) fn join(tables: &[Self]) -> (Vec<String>, Vec<Vec<u32>>)
    where
        K: Sync,
        S: Sync,
    {
        // Keys looked up per task (tiny in the unit tests, so that their
        // tables are cut too).
        const BLOCK: usize = if cfg!(test) { 3 } else { 1 << 14 };
        assert!(!tables.is_empty(), "one table at least");
        // Per later table, in blocks of its keys: the first earlier table
        // that holds each key, and the key's slot there.

        let blocks: Vec<(usize, usize)> = (1..tables.len())
            .flat_map(|t| (0..tables[t].keys.count().div_ceil(BLOCK)).map(move |b| (t, b * BLOCK)))
            .collect();
        let found = crate::util::par_map(&blocks, |&(t, from)| {
            (from..(from + BLOCK).min(tables[t].keys.count()))
                .map(|slot| {
                    let key = tables[t].keys.key(slot);
                    tables[..t].iter().enumerate().find_map(|(earlier, table)| {
                        table.find(key, table.prepare(key)).map(|slot| (earlier as u32, slot))
                    })
                })
                .collect::<Vec<_>>()
        });
        // The numbering, in input order; `base[t]` is the first slot new
        // in table `t`, so its key at slot `s` is new when it is joined to
        // `base[t]` or later.
        let mut next = u32::try_from(tables[0].keys.count()).expect("fewer than 2^32 keys");
        let mut base = vec![0; tables.len()];
        let mut remaps: Vec<Vec<u32>> = Vec::with_capacity(tables.len() - 1);
        let mut hits = blocks.iter().zip(&found).peekable();
        for t in 1..tables.len() {
            base[t] = next;
            let mut remap = Vec::with_capacity(tables[t].keys.count());
            while let Some((_, block)) = hits.next_if(|((bt, _), _)| *bt == t) {
                for hit in block {
                    remap.push(match *hit {
                        Some((0, slot)) => slot,
                        Some((earlier, slot)) => remaps[earlier as usize - 1][slot as usize],
                        None => {
                            next = next.checked_add(1).expect("fewer than 2^32 keys");
                            next - 1
                        }
                    });
                }
            }
            remaps.push(remap);
        }
        // Each table's new keys, copied on the pool, then put in order;
        // every vector sized once (the counts are known), as a vector
        // collected from a filter would regrow.
        let indices: Vec<usize> = (0..tables.len()).collect();
        let owned = crate::util::par_map(&indices, |&t| {
            let new = |slot: usize| t == 0 || remaps[t - 1][slot] >= base[t];
            let end = base.get(t + 1).copied().unwrap_or(next);
            let mut owned = Vec::with_capacity((end - base[t]) as usize);
            let keys = (0..tables[t].keys.count()).filter(|&slot| new(slot));
            owned.extend(keys.map(|slot| tables[t].keys.key(slot).to_owned()));
            owned
        });
        let mut keys = Vec::with_capacity(next as usize);
        for piece in owned {
            keys.extend(piece);
        }
        (keys, remaps)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Slots agree with a plain map's order of first appearance, for
        /// keys short and long, with trailing NULs (which the zero padding
        /// must not confuse with shorter keys) and multi-byte characters.
        #[test]
        fn slots_follow_first_appearance(keys in prop::collection::vec("[ab\u{0}é]{0,3}|[ab]{15,18}|x{0,40}", 0..300)) {
            let mut table: KeyTable = KeyTable::default();
            // The same keys copied into one arena.
            let mut arena: KeyTable<KeyArena> = KeyTable::default();
            let mut reference: HashMap<&str, u32> = HashMap::new();
            for key in &keys {
                let next = reference.len() as u32;
                let expected = *reference.entry(key.as_str()).or_insert(next);
                let known = table.find(key, table.prepare(key));
                prop_assert_eq!(known, (expected < next).then_some(expected));
                prop_assert_eq!(table.insert(key, table.prepare(key)), expected);
                prop_assert_eq!(arena.insert(key, arena.prepare(key)), expected);
            }
            prop_assert_eq!(table.len(), reference.len());
            let arena = arena.into_keys();
            prop_assert_eq!(arena.count(), reference.len());
            for (slot, name) in (0..arena.count()).map(|slot| (slot, arena.key(slot))) {
                prop_assert_eq!(reference[name], slot as u32);
            }
            for (slot, name) in table.into_keys().iter().enumerate() {
                prop_assert_eq!(reference[name.as_str()], slot as u32);
            }
        }
    }

    #[cfg(feature = "csv")]
    proptest! {
        /// Batched insertion and the join of pieces number keys exactly as
        /// one insertion after another over the whole input does.
        #[test]
        fn batches_and_pieces_number_keys_as_one_pass(
            keys in prop::collection::vec("[abc]{0,2}|[ab]{17}", 0..200),
            cuts in prop::collection::vec(0usize..200, 0..4),
            batch in 1usize..9,
        ) {
            let mut one: KeyTable = KeyTable::default();
            let expected: Vec<u32> = keys.iter().map(|k| one.insert(k, one.prepare(k))).collect();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(keys.len())).collect();
            cuts.push(0);
            cuts.push(keys.len());
            cuts.sort_unstable();
            let mut tables = Vec::new();
            let mut local = Vec::new();
            for piece in cuts.windows(2).map(|w| &keys[w[0]..w[1]]) {
                let mut table: KeyTable<Vec<&str>> = KeyTable::default();
                let (mut prepared, mut slots) = (Vec::new(), Vec::new());
                for chunk in piece.chunks(batch) {
                    let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
                    table.insert_all(&chunk, &mut prepared, &mut slots);
                }
                tables.push(table);
                local.push(slots);
            }
            let (joined, remaps) = KeyTable::join(&tables);
            let mut got = local[0].clone();
            for (slots, remap) in local[1..].iter().zip(&remaps) {
                got.extend(slots.iter().map(|&s| remap[s as usize]));
            }
            prop_assert_eq!(got, expected);
            prop_assert_eq!(joined, one.into_keys());
        }
    }

    #[test]
    fn heads_are_the_zero_padded_prefix() {
        let text: Vec<u8> = (1..=40).collect();
        for n in 0..=text.len() {
            let mut padded = [0u8; HEAD];
            let k = n.min(HEAD);
            padded[..k].copy_from_slice(&text[..k]);
            let lo = u64::from_le_bytes(padded[..8].try_into().unwrap());
            let hi = u64::from_le_bytes(padded[8..].try_into().unwrap());
            assert_eq!(head(&text[..n]), [lo, hi], "length {n}");
        }
    }

    /// Hashes every key to the same value, so that every look-up compares
    /// against every key: equality alone must tell keys apart.
    #[derive(Default)]
    struct Collide;

    impl std::hash::Hasher for Collide {
        fn write(&mut self, _: &[u8]) {}

        fn finish(&self) -> u64 {
            0
        }
    }

    #[test]
    fn equality_tells_keys_apart_when_hashes_collide() {
        let mut table: KeyTable<Vec<String>, std::hash::BuildHasherDefault<Collide>> = KeyTable::default();
        let mut slot = |key: &str| table.insert(key, table.prepare(key));
        let keys = ["ab", "ab\0", "", "\0", "0123456789abcdef", "0123456789abcdefX", "0123456789abcdefY", "é"];
        assert_eq!(keys.map(&mut slot), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(keys.map(&mut slot), [0, 1, 2, 3, 4, 5, 6, 7]);
        let many: Vec<String> = (0..100).map(|i| format!("0123456789abcdef-{i}")).collect();
        for (i, key) in many.iter().enumerate() {
            assert_eq!(slot(key), 8 + i as u32);
        }
        assert_eq!(slot(&many[42]), 50);
        assert_eq!(table.into_keys()[50], many[42]);
    }
}
