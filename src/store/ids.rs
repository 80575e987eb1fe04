//! The id index, log-structured: a 64-bit hash of each stored event id to
//! its owner (the customer number whose event it is), kept as *runs*.
//!
//! A commit writes the hashes it adds as one new run: a table of its own
//! (`ids N`), filled in hash order, so its pages are written once, full,
//! instead of rewriting the leaves of one big index that a day's ids land
//! all over. A run's entries are packed in blocks of up to [`BLOCK`]
//! sorted (hash, owner) pairs, twelve bytes each, one sealed value a
//! block, keyed by the block's least hash when it was written: a block
//! fills one database page, and a lookup reads the one block whose key is
//! the greatest at or below the hash and searches it. Each run has a blocked Bloom filter (`id filters`, sealed like
//! every value), kept in memory for the commit: a lookup probes the filters
//! and reads a run only where its filter says maybe. A hash lives in at
//! most one run (an addition looks the hash up first and updates the run
//! that holds it), so the runs' order never matters. A removal deletes the
//! entry from its run; the filter keeps its stale bit, which costs at most
//! a read. Hashes shared by several customers' events (a 64-bit collision)
//! are marked [`SHARED`] in their run and listed in `shared ids`, as
//! before.
//!
//! The number of runs stays bounded by size tiers: a run of `n` entries is
//! in tier ⌊log₄ n⌋, and when a tier holds [`FANOUT`] runs, the commit
//! merges them into one (which may then complete the next tier). A merge
//! reads and writes only the runs it merges, in hash order. Each entry is
//! thus rewritten about log₄(N / b) times over its life, for N entries in
//! the store and batches of b: the amortised cost of a commit of b new
//! ids is O(b · log₄(N / b)) sequential entry writes; a commit that
//! completes a tier pays for the whole merge at once. There are at most
//! `FANOUT - 1` runs per tier. [`compact`](super::CustomerStore::compact)
//! merges every run into one.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::codec::{self, Key, Reader, SHARED, decode_nums, put_varint, seal, unseal};
use super::{META, StoreError, corrupt, meta_get, put_meta};

/// The filters of the runs, by run number.
pub(crate) const FILTERS: TableDefinition<u32, &[u8]> = TableDefinition::new("id filters");
/// Owners of the hashes that several customers' events share.
pub(crate) const SHARED_IDS: TableDefinition<u64, &[u8]> = TableDefinition::new("shared ids");

/// Runs per tier that trigger a merge.
pub(super) const FANOUT: usize = 4;

/// Filter bits per entry and bits set per entry: about 1.5% false
/// positives for a filter of 64-bit blocks.
const BITS_PER_ENTRY: usize = 12;
const PROBES: u32 = 5;

/// Entries in a full block: a sealed block of its bound and 338
/// twelve-byte entries (4,073 bytes) and its eight-byte key fill one 4 KiB
/// leaf page of the database (a leaf spends 4 bytes on its header and 4 on
/// each value's length, leaving 4,080 for one value).
const BLOCK: usize = 338;
/// Bytes an entry: the hash and the owner, little-endian.
const ENTRY: usize = 12;

/// A run's table: blocks of entries by the least hash they cover.
pub(super) type RunTable<'t> = redb::Table<'t, u64, &'static [u8]>;

/// The name of run `run`'s table.
pub(super) fn run_name(run: u32) -> String {
    format!("ids {run}")
}

/// The definition of the run table called `name`.
pub(super) fn run_table(name: &str) -> TableDefinition<'_, u64, &'static [u8]> {
    TableDefinition::new(name)
}

/// A block of a run: the hashes from its key, `lower`, to `last`
/// (inclusive) and the entries among them. The blocks of a run tile the
/// hashes: the first covers from 0, each next one from its predecessor's
/// `last + 1`, the final one to `u64::MAX`. A block keeps its bounds when
/// removals empty it, so a lookup always lands in the one block that
/// covers its hash and can tell when it does not: a damaged key is an
/// error, never an entry that seems absent.
#[derive(Debug, PartialEq, Eq)]
struct Block {
    lower: u64,
    last: u64,
    entries: Vec<(u64, u32)>,
}

/// The sealed value of the block keyed `lower` covering to `last` with
/// `entries` (sorted by hash, within the bounds).
fn encode_block(lower: u64, last: u64, entries: &[(u64, u32)]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(8 + entries.len() * ENTRY);
    payload.extend_from_slice(&last.to_le_bytes());
    for &(hash, owner) in entries {
        payload.extend_from_slice(&hash.to_le_bytes());
        payload.extend_from_slice(&owner.to_le_bytes());
    }
    seal("ids", Key::Hash(lower), &payload)
}

/// The entry at `i` of a block's entries' bytes.
fn entry_at(entries: &[u8], i: usize) -> (u64, u32) {
    let e = &entries[i * ENTRY..(i + 1) * ENTRY];
    (u64::from_le_bytes(e[..8].try_into().expect("8")), u32::from_le_bytes(e[8..].try_into().expect("4")))
}

/// The bound and the entries' bytes of the block keyed `lower`, once its
/// checksum is right and it holds whole entries.
fn block_payload(lower: u64, value: &[u8]) -> Result<(u64, &[u8]), StoreError> {
    let payload = unseal("ids", Key::Hash(lower), value)?;
    let bad = || corrupt("ids", &Key::Hash(lower).label());
    if payload.len() < 8 || !(payload.len() - 8).is_multiple_of(ENTRY) {
        return Err(bad());
    }
    let (last, entries) = payload.split_at(8);
    let last = u64::from_le_bytes(last.try_into().expect("8"));
    if last < lower {
        return Err(bad());
    }
    Ok((last, entries))
}

/// The block keyed `lower`, checked: its entries sorted, distinct and
/// within its bounds.
fn decode_block(lower: u64, value: &[u8]) -> Result<Block, StoreError> {
    let (last, bytes) = block_payload(lower, value)?;
    let entries: Vec<(u64, u32)> = (0..bytes.len() / ENTRY).map(|i| entry_at(bytes, i)).collect();
    let within = entries.first().is_none_or(|e| e.0 >= lower) && entries.last().is_none_or(|e| e.0 <= last);
    if !within || !entries.windows(2).all(|w| w[0].0 < w[1].0) {
        return Err(corrupt("ids", &Key::Hash(lower).label()));
    }
    Ok(Block { lower, last, entries })
}

/// The key and value of the block covering `hash`: the last key at or
/// below it. A run's first block is keyed 0, so there is one.
fn covering(
    table: &impl ReadableTable<u64, &'static [u8]>,
    hash: u64,
) -> Result<(u64, redb::AccessGuard<'_, &'static [u8]>), StoreError> {
    let (lower, value) =
        table.range(..=hash)?.next_back().ok_or_else(|| corrupt("ids", &Key::Hash(hash).label()))??;
    Ok((lower.value(), value))
}

/// The owner stored for `hash` in a run, reading the one block that covers
/// it.
///
/// # Errors
///
/// [`StoreError::Corrupt`] when that block fails its checksum or does not
/// cover the hash (a damaged key).
fn lookup(table: &impl ReadableTable<u64, &'static [u8]>, hash: u64) -> Result<Option<u32>, StoreError> {
    let (lower, value) = covering(table, hash)?;
    let (last, entries) = block_payload(lower, value.value())?;
    if hash > last {
        return Err(corrupt("ids", &Key::Hash(lower).label()));
    }
    let (mut lo, mut hi) = (0, entries.len() / ENTRY);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let (at, owner) = entry_at(entries, mid);
        match at.cmp(&hash) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Ok(Some(owner)),
        }
    }
    Ok(None)
}

/// Sets the owner of `hash`, which the run holds, or removes its entry
/// (`None`), rewriting its block (an emptied block keeps its bounds).
fn update_entry(table: &mut RunTable<'_>, hash: u64, owner: Option<u32>) -> Result<(), StoreError> {
    let missing = || corrupt("ids", &Key::Hash(hash).label());
    let mut block = {
        let (lower, value) = covering(table, hash)?;
        decode_block(lower, value.value())?
    };
    if hash > block.last {
        return Err(missing());
    }
    let at = block.entries.binary_search_by_key(&hash, |e| e.0).map_err(|_| missing())?;
    match owner {
        Some(owner) => block.entries[at].1 = owner,
        None => {
            block.entries.remove(at);
        }
    }
    table.insert(block.lower, encode_block(block.lower, block.last, &block.entries).as_slice())?;
    Ok(())
}

/// Writes a run in hash order: entries into full blocks that tile the
/// hashes, and its filter.
struct RunWriter<'t> {
    table: RunTable<'t>,
    filter: Filter,
    /// The block being filled and the least hash it covers.
    block: Vec<(u64, u32)>,
    lower: u64,
    count: u64,
}

impl<'t> RunWriter<'t> {
    fn new(table: RunTable<'t>, entries: usize) -> Self {
        RunWriter { table, filter: Filter::new(entries), block: Vec::with_capacity(BLOCK), lower: 0, count: 0 }
    }

    /// Adds the next entry; hashes come in increasing order. A full block
    /// is written when the next hash shows where it ends.
    fn push(&mut self, hash: u64, owner: u32) -> Result<(), StoreError> {
        debug_assert!(self.block.last().is_none_or(|e| e.0 < hash));
        if self.block.len() == BLOCK {
            // The block holds a smaller hash, so `hash` is at least 1.
            self.write(hash - 1)?;
            self.lower = hash;
        }
        self.filter.insert(hash);
        self.block.push((hash, owner));
        self.count += 1;
        Ok(())
    }

    fn write(&mut self, last: u64) -> Result<(), StoreError> {
        self.table.insert(self.lower, encode_block(self.lower, last, &self.block).as_slice())?;
        self.block.clear();
        Ok(())
    }

    /// The table, its filter and its entry count.
    fn finish(mut self) -> Result<(RunTable<'t>, Filter, u64), StoreError> {
        if !self.block.is_empty() {
            self.write(u64::MAX)?;
        }
        Ok((self.table, self.filter, self.count))
    }
}

/// The blocks of a run table, in hash order, each checked as it is read.
fn blocks(
    table: &impl ReadableTable<u64, &'static [u8]>,
) -> Result<impl Iterator<Item = Result<Block, StoreError>> + '_, StoreError> {
    Ok(table.iter()?.map(|block| {
        let (lower, value) = block?;
        decode_block(lower.value(), value.value())
    }))
}

/// A blocked Bloom filter: each hash sets [`PROBES`] bits of one 64-bit
/// word, chosen by the hash's high bits (so hashes in order walk the words
/// in order). A "no" is always right; a "maybe" is wrong about 1.5% of the
/// time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Filter {
    words: Vec<u64>,
}

impl Filter {
    /// An empty filter sized for `entries`.
    pub(super) fn new(entries: usize) -> Self {
        Filter { words: vec![0; (entries * BITS_PER_ENTRY).div_ceil(64).max(1)] }
    }

    fn word(&self, hash: u64) -> usize {
        ((u128::from(hash) * self.words.len() as u128) >> 64) as usize
    }

    fn mask(hash: u64) -> u64 {
        // The bits within the word come from a remix of the hash,
        // independent of the high bits that chose the word.
        let mut m = hash ^ (hash >> 31);
        m = m.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        m ^= m >> 29;
        (0..PROBES).fold(0, |mask, i| mask | 1 << ((m >> (6 * i)) & 63))
    }

    pub(super) fn insert(&mut self, hash: u64) {
        let w = self.word(hash);
        self.words[w] |= Self::mask(hash);
    }

    pub(super) fn may_contain(&self, hash: u64) -> bool {
        let mask = Self::mask(hash);
        self.words[self.word(hash)] & mask == mask
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    pub(super) fn decode(payload: &[u8]) -> Option<Self> {
        if payload.is_empty() || !payload.len().is_multiple_of(8) {
            return None;
        }
        Some(Filter { words: payload.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8"))).collect() })
    }
}

/// The live runs, from the metadata: the next run number and each run's
/// number and entry count, oldest first.
pub(super) fn run_list(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<(u32, Vec<(u32, u64)>), StoreError> {
    let payload = meta_get(meta, "runs")?;
    decode_runs(&payload).ok_or_else(|| corrupt("meta", &"runs"))
}

fn encode_runs(next: u32, runs: &[(u32, u64)]) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, u64::from(next));
    put_varint(&mut out, runs.len() as u64);
    for &(run, entries) in runs {
        put_varint(&mut out, u64::from(run));
        put_varint(&mut out, entries);
    }
    out
}

fn decode_runs(payload: &[u8]) -> Option<(u32, Vec<(u32, u64)>)> {
    let mut r = Reader::new(payload);
    let next = u32::try_from(r.varint()?).ok()?;
    let n = r.varint()?;
    let mut runs = Vec::new();
    for _ in 0..n {
        let run = u32::try_from(r.varint()?).ok()?;
        if run >= next {
            return None;
        }
        runs.push((run, r.varint()?));
    }
    r.is_empty().then_some((next, runs))
}

/// The metadata of a store with no run.
pub(super) fn no_runs() -> Vec<u8> {
    encode_runs(0, &[])
}

/// A run's tier: ⌊log₄ entries⌋.
fn tier(entries: u64) -> u32 {
    entries.max(1).ilog2() / 2
}

/// Merges sources each sorted by hash (and holding distinct hashes) into
/// one stream in hash order, handed to `sink`.
pub(super) fn merge_sorted<I, V: Ord>(
    sources: Vec<I>,
    mut sink: impl FnMut(u64, V) -> Result<(), StoreError>,
) -> Result<(), StoreError>
where
    I: Iterator<Item = Result<(u64, V), StoreError>>,
{
    let mut sources = sources;
    let mut heap = BinaryHeap::with_capacity(sources.len());
    for (i, source) in sources.iter_mut().enumerate() {
        if let Some(entry) = source.next() {
            let (hash, value) = entry?;
            heap.push(Reverse((hash, value, i)));
        }
    }
    while let Some(Reverse((hash, value, i))) = heap.pop() {
        sink(hash, value)?;
        if let Some(entry) = sources[i].next() {
            let (hash, value) = entry?;
            heap.push(Reverse((hash, value, i)));
        }
    }
    Ok(())
}

/// The (hash, owner) entries of a run table, in hash order, each block
/// checked as it is read.
pub(super) fn entries(
    table: &impl ReadableTable<u64, &'static [u8]>,
) -> Result<impl Iterator<Item = Result<(u64, u32), StoreError>> + '_, StoreError> {
    Ok(blocks(table)?.flat_map(|block| match block {
        Ok(block) => block.entries.into_iter().map(Ok).collect::<Vec<_>>(),
        Err(e) => vec![Err(e)],
    }))
}

struct Run<'t> {
    num: u32,
    entries: u64,
    filter: Filter,
    table: RunTable<'t>,
}

/// The id index inside one write transaction.
pub(super) struct IdIndex<'t> {
    txn: &'t WriteTransaction,
    /// Oldest first.
    runs: Vec<Run<'t>>,
    next_run: u32,
    filters: redb::Table<'t, u32, &'static [u8]>,
    shared: redb::Table<'t, u64, &'static [u8]>,
    /// Hashes new to the index in this transaction, with their owners: the
    /// new run.
    pending: BTreeMap<u64, Vec<u32>>,
    changed: bool,
}

impl<'t> IdIndex<'t> {
    /// Opens the index: the runs' tables and their filters.
    pub(super) fn open(
        txn: &'t WriteTransaction,
        meta: &impl ReadableTable<&'static str, &'static [u8]>,
    ) -> Result<Self, StoreError> {
        let (next_run, list) = run_list(meta)?;
        let filters = txn.open_table(FILTERS)?;
        let mut runs = Vec::with_capacity(list.len());
        for (num, entries) in list {
            let value = filters.get(num)?.ok_or_else(|| corrupt("id filters", &num))?;
            let filter = Filter::decode(unseal("id filters", Key::Num(num), value.value())?)
                .ok_or_else(|| corrupt("id filters", &num))?;
            drop(value);
            let name = run_name(num);
            let table = txn.open_table(run_table(&name))?;
            runs.push(Run { num, entries, filter, table });
        }
        let shared = txn.open_table(SHARED_IDS)?;
        Ok(IdIndex { txn, runs, next_run, filters, shared, pending: BTreeMap::new(), changed: false })
    }

    /// The run and stored owner of `hash`.
    fn find(&self, hash: u64) -> Result<Option<(usize, u32)>, StoreError> {
        for (i, run) in self.runs.iter().enumerate().rev() {
            if run.filter.may_contain(hash) {
                #[cfg(test)]
                tests::RUN_READS.with(|n| n.set(n.get() + 1));
                if let Some(owner) = lookup(&run.table, hash)? {
                    return Ok(Some((i, owner)));
                }
            }
        }
        Ok(None)
    }

    fn owners_in(&self, hash: u64, owner: u32) -> Result<Vec<u32>, StoreError> {
        if owner != SHARED {
            return Ok(vec![owner]);
        }
        let list = self.shared.get(hash)?.ok_or_else(|| corrupt("shared ids", &Key::Hash(hash).label()))?;
        decode_nums(unseal("shared ids", Key::Hash(hash), list.value())?)
            .ok_or_else(|| corrupt("shared ids", &Key::Hash(hash).label()))
    }

    /// The owners of the events whose ids hash to `hash`.
    pub(super) fn owners(&self, hash: u64) -> Result<Vec<u32>, StoreError> {
        if let Some(owners) = self.pending.get(&hash) {
            return Ok(owners.clone());
        }
        match self.find(hash)? {
            Some((_, owner)) => self.owners_in(hash, owner),
            None => Ok(Vec::new()),
        }
    }

    /// Writes the owners of `hash` into run `i` (none: the entry goes).
    fn set_in_run(&mut self, i: usize, hash: u64, owners: &[u32]) -> Result<(), StoreError> {
        let run = &mut self.runs[i];
        match owners {
            [] => {
                update_entry(&mut run.table, hash, None)?;
                self.shared.remove(hash)?;
                run.entries = run.entries.saturating_sub(1);
                self.changed = true;
            }
            [owner] => {
                update_entry(&mut run.table, hash, Some(*owner))?;
                self.shared.remove(hash)?;
            }
            _ => {
                update_entry(&mut run.table, hash, Some(SHARED))?;
                let list = seal("shared ids", Key::Hash(hash), &codec::encode_nums(owners));
                self.shared.insert(hash, list.as_slice())?;
            }
        }
        Ok(())
    }

    /// Notes that customer `num` owns an event whose id hashes to `hash`:
    /// in the run that holds the hash, or else in the new run.
    pub(super) fn add(&mut self, hash: u64, num: u32) -> Result<(), StoreError> {
        if let Some(owners) = self.pending.get_mut(&hash) {
            if !owners.contains(&num) {
                owners.push(num);
            }
            return Ok(());
        }
        let Some((i, owner)) = self.find(hash)? else {
            self.pending.insert(hash, vec![num]);
            return Ok(());
        };
        let mut owners = self.owners_in(hash, owner)?;
        if owners.contains(&num) {
            return Ok(());
        }
        owners.push(num);
        self.set_in_run(i, hash, &owners)
    }

    /// Notes that customer `num` no longer owns an event whose id hashes
    /// to `hash`.
    pub(super) fn remove(&mut self, hash: u64, num: u32) -> Result<(), StoreError> {
        if let Some(owners) = self.pending.get_mut(&hash) {
            owners.retain(|&o| o != num);
            if owners.is_empty() {
                self.pending.remove(&hash);
            }
            return Ok(());
        }
        let Some((i, owner)) = self.find(hash)? else { return Ok(()) };
        let mut owners = self.owners_in(hash, owner)?;
        let before = owners.len();
        owners.retain(|&o| o != num);
        if owners.len() == before {
            return Ok(());
        }
        self.set_in_run(i, hash, &owners)
    }

    /// A fresh run number and its table.
    fn new_run(&mut self) -> Result<(u32, RunTable<'t>), StoreError> {
        let num = self.next_run;
        self.next_run = num.checked_add(1).ok_or_else(|| corrupt("meta", &"runs"))?;
        let name = run_name(num);
        Ok((num, self.txn.open_table(run_table(&name))?))
    }

    fn push_run(&mut self, num: u32, entries: u64, filter: Filter, table: RunTable<'t>) -> Result<(), StoreError> {
        self.filters.insert(num, seal("id filters", Key::Num(num), &filter.encode()).as_slice())?;
        self.runs.push(Run { num, entries, filter, table });
        self.changed = true;
        Ok(())
    }

    /// Merges the runs at `picked` (indices into the runs) into one.
    fn merge(&mut self, picked: &[usize]) -> Result<(), StoreError> {
        let mut merged = Vec::with_capacity(picked.len());
        for &i in picked.iter().rev() {
            merged.push(self.runs.remove(i));
        }
        let total: u64 = merged.iter().map(|r| r.entries).sum();
        let (num, table) = self.new_run()?;
        let mut writer = RunWriter::new(table, usize::try_from(total).unwrap_or(usize::MAX));
        {
            let sources = merged.iter().map(|r| entries(&r.table)).collect::<Result<Vec<_>, _>>()?;
            merge_sorted(sources, |hash, owner| writer.push(hash, owner))?;
        }
        let (table, filter, count) = writer.finish()?;
        for run in merged {
            self.filters.remove(run.num)?;
            self.txn.delete_table(run.table)?;
        }
        self.push_run(num, count, filter, table)
    }

    /// Writes the new run, merges full tiers and records the runs in the
    /// metadata.
    pub(super) fn finish(mut self, meta: &mut redb::Table<'_, &'static str, &'static [u8]>) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending);
        if !pending.is_empty() {
            let (num, table) = self.new_run()?;
            let mut writer = RunWriter::new(table, pending.len());
            for (&hash, owners) in &pending {
                if let [owner] = owners.as_slice() {
                    writer.push(hash, *owner)?;
                } else {
                    writer.push(hash, SHARED)?;
                    let list = seal("shared ids", Key::Hash(hash), &codec::encode_nums(owners));
                    self.shared.insert(hash, list.as_slice())?;
                }
            }
            let (table, filter, count) = writer.finish()?;
            self.push_run(num, count, filter, table)?;
        }
        // Runs that removals emptied go.
        while let Some(i) = self.runs.iter().position(|r| r.entries == 0) {
            let run = self.runs.remove(i);
            self.filters.remove(run.num)?;
            self.txn.delete_table(run.table)?;
            self.changed = true;
        }
        loop {
            let mut by_tier: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for (i, run) in self.runs.iter().enumerate() {
                by_tier.entry(tier(run.entries)).or_default().push(i);
            }
            let Some(full) = by_tier.into_values().find(|runs| runs.len() >= FANOUT) else { break };
            self.merge(&full)?;
        }
        if self.changed {
            let list: Vec<(u32, u64)> = self.runs.iter().map(|r| (r.num, r.entries)).collect();
            put_meta(meta, "runs", &encode_runs(self.next_run, &list))?;
        }
        Ok(())
    }

    /// Checks every run: each block's checksum, its entries in hash order,
    /// the run's length, its filter says maybe for each entry, shared
    /// hashes have their owners, and no hash is in two runs.
    pub(super) fn verify(&self) -> Result<(), StoreError> {
        for run in &self.runs {
            // The blocks tile the hashes: from 0, each from the one
            // before's bound, the last to the end.
            let mut next: Option<u64> = Some(0);
            let mut count = 0;
            for block in blocks(&run.table)? {
                let block = block?;
                if next != Some(block.lower) {
                    return Err(corrupt("ids", &Key::Hash(block.lower).label()));
                }
                next = block.last.checked_add(1);
                for &(hash, owner) in &block.entries {
                    count += 1;
                    if !run.filter.may_contain(hash) {
                        return Err(corrupt("id filters", &run.num));
                    }
                    self.owners_in(hash, owner)?;
                }
            }
            if next.is_some() || count != run.entries {
                return Err(corrupt("ids", &run_name(run.num)));
            }
        }
        let mut previous = None;
        let sources = self.runs.iter().map(|r| entries(&r.table)).collect::<Result<Vec<_>, _>>()?;
        merge_sorted(sources, |hash, _| {
            if previous == Some(hash) {
                return Err(corrupt("ids", &Key::Hash(hash).label()));
            }
            previous = Some(hash);
            Ok(())
        })
    }
}

/// Copies the id index of `from` into `to` as one run, with its filter
/// and the shared owners.
pub(super) fn compact_into(from: &redb::ReadTransaction, to: &WriteTransaction) -> Result<(), StoreError> {
    let meta = from.open_table(META)?;
    let (next_run, list) = run_list(&meta)?;
    drop(meta);
    let mut tables = Vec::with_capacity(list.len());
    for &(num, _) in &list {
        let name = run_name(num);
        tables.push(from.open_table(run_table(&name))?);
    }
    let total: u64 = list.iter().map(|&(_, entries)| entries).sum();
    let mut runs = Vec::new();
    if total > 0 {
        let name = run_name(next_run);
        let mut writer = RunWriter::new(to.open_table(run_table(&name))?, usize::try_from(total).unwrap_or(usize::MAX));
        let sources = tables.iter().map(|t| entries(t)).collect::<Result<Vec<_>, _>>()?;
        merge_sorted(sources, |hash, owner| writer.push(hash, owner))?;
        let (table, filter, count) = writer.finish()?;
        let mut filters = to.open_table(FILTERS)?;
        if count > 0 {
            filters.insert(next_run, seal("id filters", Key::Num(next_run), &filter.encode()).as_slice())?;
            runs.push((next_run, count));
        } else {
            to.delete_table(table)?;
        }
    } else {
        to.open_table(FILTERS)?;
    }
    let shared = from.open_table(SHARED_IDS)?;
    let mut target = to.open_table(SHARED_IDS)?;
    for entry in shared.iter()? {
        let (key, value) = entry?;
        target.insert(key.value(), value.value())?;
    }
    let next = if runs.is_empty() { next_run } else { next_run + 1 };
    let mut meta = to.open_table(META)?;
    put_meta(&mut meta, "runs", &encode_runs(next, &runs))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{TimeDelta, TimeZone, Utc};
    use proptest::prelude::*;

    use redb::ReadableTableMetadata;

    use super::*;
    use crate::Policy;
    use crate::eventlog::{EventBatch, KeyedEvent, KeyedKind};
    use crate::store::codec::id_hash;
    use crate::store::{CUSTOMERS, CustomerStore, EVENTS, NAMES, key_of, load, load_records};

    thread_local! {
        /// Reads of a run table by this thread.
        pub(super) static RUN_READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    struct Dir(std::path::PathBuf);

    impl Dir {
        fn new(name: &str) -> Self {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("cl-ids-{name}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            Dir(dir)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Event `i`: a purchase of customer `c{i % 7}`, a minute after the
    /// one before.
    fn event(i: usize) -> KeyedEvent {
        KeyedEvent {
            id: format!("e{i}"),
            customer: format!("c{}", i % 7),
            at: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(i as i64),
            channel: crate::Channel::Web,
            kind: KeyedKind::Purchase { amount: crate::Money::from_minor(100 + i as i64) },
        }
    }

    fn batch(range: std::ops::Range<usize>) -> EventBatch {
        EventBatch::new(format!("{range:?}.jsonl"), range.map(event).collect()).unwrap()
    }

    /// The index as (hash, owner's key) pairs, each entry once per run it
    /// is in, and the number of runs.
    fn index_of(store: &mut CustomerStore) -> (Vec<(u64, String)>, usize) {
        let txn = store.db.writable().unwrap().begin_write().unwrap();
        let meta = txn.open_table(META).unwrap();
        let names = txn.open_table(NAMES).unwrap();
        let index = IdIndex::open(&txn, &meta).unwrap();
        index.verify().unwrap();
        let mut out = Vec::new();
        for run in &index.runs {
            for entry in entries(&run.table).unwrap() {
                let (hash, value) = entry.unwrap();
                for owner in index.owners_in(hash, value).unwrap() {
                    out.push((hash, key_of(&names, owner).unwrap()));
                }
            }
        }
        out.sort();
        (out, index.runs.len())
    }

    /// The (hash, owner's key) of every stored event, from the rows.
    fn stored_ids(store: &CustomerStore) -> Vec<(u64, String)> {
        let txn = store.db.begin_read().unwrap();
        let customers = txn.open_table(CUSTOMERS).unwrap();
        let events = txn.open_table(EVENTS).unwrap();
        let mut out = BTreeSet::new();
        for entry in customers.iter().unwrap() {
            let key = entry.unwrap().0.value().to_owned();
            let stored = load(&customers, &key).unwrap().unwrap();
            for record in load_records(&events, &stored).unwrap() {
                out.insert((id_hash(record.id), key.clone()));
            }
        }
        out.into_iter().collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// However the events are cut into batches, the runs hold each
        /// stored id exactly once, with its owner, and stay few; after
        /// compaction, in one run.
        #[test]
        fn runs_merge_without_losing_or_duplicating_an_entry(cuts in prop::collection::vec(1usize..40, 1..25)) {
            let dir = Dir::new("merge");
            let mut store = CustomerStore::create(&dir.0, Policy::default()).unwrap();
            let mut start = 0;
            for (n, &len) in cuts.iter().enumerate() {
                store.apply_batch(&batch(start..start + len)).unwrap();
                // Every other batch repeats its last event: a duplicate.
                if n % 2 == 1 {
                    store.apply_batch(&batch(start + len - 1..start + len)).unwrap();
                }
                start += len;
            }
            let expected = stored_ids(&store);
            prop_assert_eq!(expected.len(), start);
            let (index, runs) = index_of(&mut store);
            prop_assert_eq!(&index, &expected);
            // At most FANOUT - 1 runs per tier, and these ids fit in tiers 0 to 5.
            prop_assert!(runs < (FANOUT - 1) * 6 + 1, "{} runs", runs);
            store.compact().unwrap();
            let (index, runs) = index_of(&mut store);
            prop_assert_eq!(&index, &expected);
            prop_assert_eq!(runs, 1);
        }
    }

    #[test]
    fn forget_removes_an_id_from_whichever_run_holds_it_and_later_commits_see_it_gone() {
        let dir = Dir::new("forget");
        let mut store = CustomerStore::create(&dir.0, Policy::default()).unwrap();
        // Batches of very different sizes: their runs sit in different tiers.
        for range in [0..70, 70..71, 71..90, 90..92, 92..93] {
            store.apply_batch(&batch(range)).unwrap();
        }
        let (before, runs) = index_of(&mut store);
        assert!(runs > 1, "{runs} runs");
        let c3: BTreeSet<u64> = before.iter().filter(|(_, k)| k == "c3").map(|&(h, _)| h).collect();
        assert!(!c3.is_empty());
        store.forget("c3").unwrap();
        let (after, _) = index_of(&mut store);
        let expected: Vec<_> = before.iter().filter(|(_, k)| k != "c3").cloned().collect();
        assert_eq!(after, expected);
        assert_eq!(after, stored_ids(&store));
        // Their ids are free again: re-ingesting creates them anew, once.
        store.apply_batch(&batch(0..93)).unwrap();
        let (again, _) = index_of(&mut store);
        assert_eq!(again, stored_ids(&store));
        assert_eq!(again.len(), 93);
        // Compaction leaves one run, or none for an empty index.
        let keys: Vec<String> = (0..7).map(|i| format!("c{i}")).collect();
        store.forget_all(&keys).unwrap();
        assert_eq!(index_of(&mut store), (Vec::new(), 0));
        // A run that removals empty goes.
        store.apply_batch(&batch(0..3)).unwrap();
        store.apply_batch(&batch(3..4)).unwrap();
        assert_eq!(index_of(&mut store).1, 2);
        store.forget("c3").unwrap();
        let (left, runs) = index_of(&mut store);
        assert_eq!((left.len(), runs), (3, 1));
    }

    #[test]
    fn new_ids_read_a_run_only_where_its_filter_is_wrong() {
        let dir = Dir::new("reads");
        let mut store = CustomerStore::create(&dir.0, Policy::default()).unwrap();
        for n in 0..8 {
            store.apply_batch(&batch(n * 500..(n + 1) * 500)).unwrap();
        }
        let runs = index_of(&mut store).1;
        assert!(runs >= 2, "{runs} runs");
        // 1,000 new ids, each looked up (for a duplicate) and added: about
        // 1.5% of the probes of each run say maybe.
        RUN_READS.with(|n| n.set(0));
        store.apply_batch(&batch(4_000..5_000)).unwrap();
        let reads = RUN_READS.with(std::cell::Cell::get);
        assert!(reads < 2 * 1_000 * runs * 4 / 100, "{reads} run reads for 1,000 new ids in {runs} runs");
        // A repeated id is found: one read at least.
        RUN_READS.with(|n| n.set(0));
        store.apply_batch(&batch(4_999..5_000)).unwrap();
        assert!(RUN_READS.with(std::cell::Cell::get) >= 1);
        assert_eq!(index_of(&mut store).0, stored_ids(&store));
    }

    /// Flips one bit in the first value of `table` (a run or the filters).
    fn flip_first_value(store: &mut CustomerStore, table: &str, bit: u32) {
        let txn = store.db.writable().unwrap().begin_write().unwrap();
        if table == "id filters" {
            let mut filters = txn.open_table(FILTERS).unwrap();
            let (num, mut value) = {
                let (k, v) = filters.first().unwrap().unwrap();
                (k.value(), v.value().to_vec())
            };
            let at = bit as usize / 8 % value.len();
            value[at] ^= 1 << (bit % 8);
            filters.insert(num, value.as_slice()).unwrap();
        } else {
            let mut run = txn.open_table(run_table(table)).unwrap();
            let (lower, mut value) = {
                let (k, v) = run.first().unwrap().unwrap();
                (k.value(), v.value().to_vec())
            };
            let at = bit as usize / 8 % value.len();
            value[at] ^= 1 << (bit % 8);
            run.insert(lower, value.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }

    #[test]
    fn a_flipped_bit_in_a_run_or_a_filter_is_a_typed_error() {
        // Thirty entries make a block of 377 bytes: every 31st of its bits.
        for (table, bits) in [("id filters", (0..96).step_by(1)), ("ids 0", (0..377 * 8).step_by(31))] {
            for bit in bits {
                let dir = Dir::new("flip");
                let mut store = CustomerStore::create(&dir.0, Policy::default()).unwrap();
                store.apply_batch(&batch(0..30)).unwrap();
                flip_first_value(&mut store, table, bit);
                // A filter is read by every commit; a run's entry when its
                // id comes again.
                let err = store.apply_batch(&batch(0..30)).unwrap_err();
                assert!(matches!(err, StoreError::Corrupt { .. }), "{table} bit {bit}: {err:?}");
                assert!(matches!(store.verify(), Err(StoreError::Corrupt { .. })), "{table} bit {bit}");
            }
        }
    }

    proptest! {
        /// A filter's "no" is never wrong, and it survives its encoding.
        #[test]
        fn a_filter_never_says_no_to_what_it_holds(hashes in prop::collection::vec(any::<u64>(), 0..500), probes in prop::collection::vec(any::<u64>(), 0..200)) {
            let mut filter = Filter::new(hashes.len());
            for &h in &hashes {
                filter.insert(h);
            }
            let filter = Filter::decode(&filter.encode()).unwrap();
            for &h in &hashes {
                prop_assert!(filter.may_contain(h));
            }
            // Not a law, a sanity bound: far fewer than all probes pass.
            let passed = probes.iter().filter(|&&h| filter.may_contain(h)).count();
            prop_assert!(probes.len() < 50 || passed < probes.len() / 4, "{passed} of {}", probes.len());
        }

        #[test]
        fn merging_sorted_sources_keeps_every_entry_once(mut all in prop::collection::btree_set(any::<u64>(), 0..300), cuts in prop::collection::vec(any::<u8>(), 0..300)) {
            let all: Vec<u64> = std::mem::take(&mut all).into_iter().collect();
            let mut sources: Vec<Vec<u64>> = vec![Vec::new(); 5];
            for (i, &h) in all.iter().enumerate() {
                sources[cuts.get(i).copied().unwrap_or(0) as usize % 5].push(h);
            }
            let mut out = Vec::new();
            merge_sorted(
                sources.into_iter().map(|s| s.into_iter().map(|h| Ok((h, !h)))).collect(),
                |h, v| { out.push((h, v)); Ok(()) },
            ).unwrap();
            prop_assert_eq!(out, all.iter().map(|&h| (h, !h)).collect::<Vec<_>>());
        }
    }

    proptest! {
        /// A block decodes to what was encoded, under its own key only; a
        /// flipped bit anywhere in it is an error; a lookup in a table of
        /// such blocks finds each entry and nothing else.
        #[test]
        fn blocks_round_trip_and_refuse_damage(
            set in prop::collection::btree_map(1..u64::MAX - 1, any::<u32>(), 0..=BLOCK),
            below in any::<u64>(),
            above in any::<u64>(),
            bit in any::<usize>(),
        ) {
            let entries: Vec<(u64, u32)> = set.into_iter().collect();
            let lower = entries.first().map_or(below, |e| e.0.saturating_sub(below % 3));
            let last = entries.last().map_or(lower, |e| e.0).saturating_add(above % 3);
            let value = encode_block(lower, last, &entries);
            prop_assert!(value.len() <= 4_080, "a full block overflows its page: {} bytes", value.len());
            prop_assert_eq!(decode_block(lower, &value).unwrap(), Block { lower, last, entries });
            prop_assert!(decode_block(lower ^ 1, &value).is_err(), "under another key");
            let mut bad = value.clone();
            bad[bit / 8 % value.len()] ^= 1 << (bit % 8);
            prop_assert!(decode_block(lower, &bad).is_err());
        }
    }

    #[test]
    fn a_block_out_of_order_or_out_of_bounds_is_refused_even_with_a_good_checksum() {
        assert!(decode_block(5, &encode_block(5, 20, &[(9, 1), (7, 2)])).is_err(), "unsorted");
        assert!(decode_block(8, &encode_block(8, 20, &[(7, 1), (9, 2)])).is_err(), "below the key");
        assert!(decode_block(5, &encode_block(5, 8, &[(7, 1), (9, 2)])).is_err(), "past the bound");
        assert!(decode_block(7, &encode_block(7, 20, &[(7, 1), (7, 2)])).is_err(), "repeated");
        assert!(decode_block(7, &encode_block(7, 6, &[])).is_err(), "a bound below the key");
        assert!(decode_block(7, &encode_block(7, 7, &[])).is_ok(), "an emptied block");
    }

    /// A bare database in a scratch directory (removed with the `Dir`).
    fn scratch_db(name: &str) -> (Dir, redb::Database) {
        let dir = Dir::new(name);
        std::fs::create_dir_all(&dir.0).unwrap();
        let db = redb::Database::create(dir.0.join("t.redb")).unwrap();
        (dir, db)
    }

    /// A run of 5,000 odd hashes, written in blocks, and the hashes.
    fn written_run(txn: &WriteTransaction) -> Vec<u64> {
        let mix = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i << 7);
        let mut hashes: Vec<u64> = (0..5_000).map(|i| mix(i) | 1).collect();
        hashes.sort_unstable();
        let mut writer = RunWriter::new(txn.open_table(run_table("ids 0")).unwrap(), hashes.len());
        for (i, &h) in hashes.iter().enumerate() {
            writer.push(h, i as u32).unwrap();
        }
        let (_, filter, count) = writer.finish().unwrap();
        assert_eq!(count, 5_000);
        assert!(hashes.iter().all(|&h| filter.may_contain(h)));
        hashes
    }

    #[test]
    fn a_run_written_in_blocks_answers_every_lookup_and_fills_its_pages() {
        let (_dir, db) = scratch_db("blocks");
        let txn = db.begin_write().unwrap();
        let hashes = written_run(&txn);
        {
            let mut table = txn.open_table(run_table("ids 0")).unwrap();
            for (i, &h) in hashes.iter().enumerate() {
                assert_eq!(lookup(&table, h).unwrap(), Some(i as u32));
                // Even hashes were never written.
                assert_eq!(lookup(&table, h & !1).unwrap(), None);
            }
            assert_eq!(lookup(&table, 0).unwrap(), None);
            assert_eq!(lookup(&table, u64::MAX).unwrap(), None);
            let stats = table.stats().unwrap();
            assert_eq!(stats.leaf_pages(), 5_000_u64.div_ceil(BLOCK as u64), "one page a block");
            // Updates and removals rewrite the block in place; a block
            // emptied keeps its bounds.
            update_entry(&mut table, hashes[10], Some(77)).unwrap();
            assert_eq!(lookup(&table, hashes[10]).unwrap(), Some(77));
            for &h in &hashes[..BLOCK] {
                update_entry(&mut table, h, None).unwrap();
                assert_eq!(lookup(&table, h).unwrap(), None);
            }
            assert_eq!(entries(&table).unwrap().count(), 5_000 - BLOCK);
            assert_eq!(lookup(&table, hashes[BLOCK]).unwrap(), Some(BLOCK as u32));
            assert!(update_entry(&mut table, hashes[0], None).is_err(), "an entry the run does not hold");
            let tiles: Vec<(u64, u64)> =
                blocks(&table).unwrap().map(|b| b.map(|b| (b.lower, b.last)).unwrap()).collect();
            assert_eq!(tiles.first().unwrap().0, 0);
            assert_eq!(tiles.last().unwrap().1, u64::MAX);
            assert!(tiles.windows(2).all(|w| w[0].1 + 1 == w[1].0));
        }
        txn.commit().unwrap();
    }

    #[test]
    fn a_block_under_a_damaged_key_makes_lookups_fail_rather_than_miss() {
        for moved in [1_i64, -1, 1 << 40, -(1 << 40)] {
            let (_dir, db) = scratch_db("rekey");
            let txn = db.begin_write().unwrap();
            let hashes = written_run(&txn);
            let mut table = txn.open_table(run_table("ids 0")).unwrap();
            // The second block, re-keyed as a damaged key would leave it.
            let second = hashes[BLOCK];
            let value = table.remove(second).unwrap().unwrap().value().to_vec();
            table.insert(second.wrapping_add_signed(moved), value.as_slice()).unwrap();
            // Its ids land in the block before, which does not cover them,
            // or in the moved block, whose checksum names its old key.
            for &h in &hashes[BLOCK..2 * BLOCK] {
                let answer = lookup(&table, h);
                assert!(matches!(answer, Err(StoreError::Corrupt { .. })), "moved by {moved}: {h}: {answer:?}");
            }
        }
    }

    #[test]
    fn the_false_positive_rate_is_about_one_and_a_half_percent() {
        let mut filter = Filter::new(10_000);
        let mix = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ i;
        for i in 0..10_000 {
            filter.insert(mix(i));
        }
        let passed = (10_000..110_000).filter(|&i| filter.may_contain(mix(i))).count();
        assert!(passed < 3_000, "{passed} false positives in 100,000");
    }

    #[test]
    fn a_store_of_the_format_before_the_blocks_is_a_typed_error() {
        let dir = Dir::new("format");
        let mut store = CustomerStore::create(&dir.0, Policy::default()).unwrap();
        let txn = store.db.writable().unwrap().begin_write().unwrap();
        put_meta(&mut txn.open_table(META).unwrap(), "format", &[4]).unwrap();
        txn.commit().unwrap();
        drop(store);
        assert_eq!(CustomerStore::open(&dir.0).unwrap_err(), StoreError::Format { found: 4, expected: 5 });
    }

    #[test]
    fn runs_round_trip_and_tiers_grow_by_four() {
        let runs = vec![(0, 5), (3, 1_000_000)];
        assert_eq!(decode_runs(&encode_runs(4, &runs)), Some((4, runs)));
        assert_eq!(decode_runs(&encode_runs(3, &[(3, 1)])), None, "a run at or past the next number");
        assert_eq!((tier(0), tier(3), tier(4), tier(15), tier(16)), (0, 0, 1, 1, 2));
    }
}
