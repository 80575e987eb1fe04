//! Small helpers shared by several modules.

/// The settings rule of the crate, written once: an options struct
/// (`…Options`, public fields, `Default`) gets `new()` (the defaults) and
/// one chainable setter per field, named after it, as in
/// `PageRankOptions::new().damping(0.9).max_iterations(50)`. Checks happen
/// where the options are used, which returns the error.
macro_rules! options_setters {
    ($options:ident { $($field:ident: $type:ty),* $(,)? }) => {
        impl $options {
            /// The defaults.
            pub fn new() -> Self {
                Self::default()
            }

            $(
                #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
                #[must_use]
                pub fn $field(mut self, $field: $type) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}
pub(crate) use options_setters;

/// The first name seen a second time, for the CSV readers: a header must
/// name each column once, or a reader would silently pick one of two.
///
/// O(n) expected.
#[cfg(feature = "csv")]
pub(crate) fn first_duplicate<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::with_hasher(foldhash::fast::FixedState::default());
    names.into_iter().find(|&name| !seen.insert(name))
}

/// The number of threads the whole-base computations may use: rayon's
/// (the current pool's, inside `ThreadPool::install`) with the `parallel`
/// feature, else one.
pub(crate) fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// `f` of each item, in item order: on the thread pool with the `parallel`
/// feature, else one after the other. The results, and so anything merged
/// from them in order, do not depend on the number of threads.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        items.par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.iter().map(f).collect()
    }
}

/// `f` on a pool of `threads` threads, for the tests that results do not
/// depend on the number of threads.
#[cfg(test)]
pub(crate) fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    #[cfg(feature = "parallel")]
    {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool").install(f)
    }
    #[cfg(not(feature = "parallel"))]
    {
        let _ = threads;
        f()
    }
}

/// How many pieces [`line_pieces`] cuts a body of `len` bytes into when
/// asked for `pieces` with at least `least` bytes a piece: one for a body
/// under `least`, else `pieces`, but none under half of `least`.
#[cfg(feature = "csv")]
pub(crate) fn piece_count(len: usize, pieces: usize, least: usize) -> usize {
    if len >= least { pieces.clamp(1, len / (least / 2).max(1)) } else { 1 }
}

/// `body` cut into at most `pieces` consecutive ranges of whole lines
/// (each but the last ends just after a `\n`), none shorter than about
/// `least / 2` bytes unless there is only one: the pieces a text reader
/// parses at once.
#[cfg(feature = "csv")]
pub(crate) fn line_pieces(body: &[u8], pieces: usize, least: usize) -> Vec<(usize, usize)> {
    let pieces = piece_count(body.len(), pieces, least);
    let mut cuts = vec![0];
    for i in 1..pieces {
        let at = (body.len() * i / pieces).max(*cuts.last().expect("a cut"));
        let cut = memchr::memchr(b'\n', &body[at..]).map_or(body.len(), |nl| at + nl + 1);
        cuts.push(cut);
    }
    cuts.push(body.len());
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

/// As [`par_map`], handing each thread at least `min` items at a time.
pub(crate) fn par_map_min<T: Sync, R: Send>(items: &[T], min: usize, f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        items.par_iter().with_min_len(min).map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        let _ = min;
        items.iter().map(f).collect()
    }
}

/// Sorts `items` by `compare` on the thread pool with the `parallel`
/// feature. Unstable: for items no two of which compare equal (the result is
/// then the one order, whatever the threads).
pub(crate) fn par_sort_unstable_by<T: Send>(items: &mut [T], compare: impl Fn(&T, &T) -> std::cmp::Ordering + Sync) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        items.par_sort_unstable_by(compare);
    }
    #[cfg(not(feature = "parallel"))]
    items.sort_unstable_by(compare);
}

/// Runs `a` and `b`, side by side on the thread pool with the `parallel`
/// feature, one after the other without it; returns both results.
pub(crate) fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    #[cfg(feature = "parallel")]
    return rayon::join(a, b);
    #[cfg(not(feature = "parallel"))]
    (a(), b())
}

/// Runs `produce` on consecutive chunks of `items` and `consume` on each
/// product, in order. With the `parallel` feature the next chunk is produced
/// on the thread pool while the one before is consumed, so a consumer that
/// must take one chunk at a time, in order (a database writer), overlaps
/// with the work that feeds it; it may run on a pool thread. Stops at the
/// first error `consume` returns.
#[cfg_attr(not(feature = "store"), allow(dead_code))]
pub(crate) fn pipeline<T: Sync, P: Send, E: Send>(
    items: &[T],
    chunk: usize,
    produce: impl Fn(&[T]) -> P + Sync + Send,
    mut consume: impl FnMut(P) -> Result<(), E> + Send,
) -> Result<(), E> {
    let mut chunks = items.chunks(chunk.max(1));
    let Some(first) = chunks.next() else { return Ok(()) };
    let mut pending = produce(first);
    for next in chunks {
        let (done, produced) = join(|| consume(pending), || produce(next));
        done?;
        pending = produced;
    }
    consume(pending)
}

/// Fills `out` in `blocks` fixed consecutive blocks (the same cut as
/// [`pieces`], whatever the number of threads), calling `f(start, block)`
/// with each block's first index; the blocks run on the thread pool with
/// the `parallel` feature. Returns each block's `f` result in block order,
/// so a total summed from them in order does not depend on the threads.
pub(crate) fn par_fill_blocks<T: Send, R: Send>(
    out: &mut [T],
    blocks: usize,
    f: impl Fn(usize, &mut [T]) -> R + Sync + Send,
) -> Vec<R> {
    let blocks = blocks.max(1);
    let n = out.len();
    let mut cut: Vec<(usize, &mut [T])> = Vec::with_capacity(blocks);
    let mut rest = out;
    for i in 0..blocks {
        let (from, to) = (i * n / blocks, (i + 1) * n / blocks);
        let (block, tail) = rest.split_at_mut(to - from);
        cut.push((from, block));
        rest = tail;
    }
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        cut.into_par_iter().map(|(from, block)| f(from, block)).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        cut.into_iter().map(|(from, block)| f(from, block)).collect()
    }
}

/// `items` cut into `pieces` consecutive slices (at least one) of nearly
/// equal length.
pub(crate) fn pieces<T>(items: &[T], pieces: usize) -> Vec<&[T]> {
    let pieces = pieces.max(1);
    let n = items.len();
    (0..pieces).map(|i| &items[i * n / pieces..(i + 1) * n / pieces]).collect()
}

/// Percentiles as the share of the other values strictly below: the top
/// gets 1, ties share the lower value, and the lowest get 0. A lone value is
/// the top.
///
/// O(n log n).
pub(crate) fn percentiles(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let others = values.len().saturating_sub(1) as f64;
    values.iter().map(|v| if others == 0.0 { 1.0 } else { sorted.partition_point(|s| s < v) as f64 / others }).collect()
}

/// Sorts `values` by `key`, stably, where every key is below 2^`bits`: a
/// least-significant-digit radix sort, with one pass to count every digit,
/// then one scatter per digit that varies. Digits are at most 11 bits wide,
/// so the counts of a pass stay in L1.
///
/// O(n · ⌈bits / 11⌉), with sequential reads and at most 2^11 write streams.
pub(crate) fn radix_sort_by_key<T: Copy + Default>(values: &mut Vec<T>, bits: u32, key: impl Fn(&T) -> u64) {
    const MAX_DIGIT: u32 = 11;
    debug_assert!(bits <= 64 && values.iter().all(|v| bits == 64 || key(v) >> bits == 0));
    if values.len() < 2 || bits == 0 {
        return;
    }
    let passes = bits.div_ceil(MAX_DIGIT);
    let width = bits.div_ceil(passes);
    let buckets = 1usize << width;
    let mask = (buckets - 1) as u64;
    let mut counts = vec![0usize; buckets * passes as usize];
    for v in values.iter() {
        let k = key(v);
        for pass in 0..passes as usize {
            counts[pass * buckets + ((k >> (pass as u32 * width)) & mask) as usize] += 1;
        }
    }
    let mut buffer = vec![T::default(); values.len()];
    for pass in 0..passes as usize {
        let count = &mut counts[pass * buckets..(pass + 1) * buckets];
        if count.contains(&values.len()) {
            // Every value has the same digit here: the order stands.
            continue;
        }
        let mut next = 0;
        for c in count.iter_mut() {
            let here = *c;
            *c = next;
            next += here;
        }
        let shift = pass as u32 * width;
        for v in values.iter() {
            let digit = ((key(v) >> shift) & mask) as usize;
            buffer[count[digit]] = *v;
            count[digit] += 1;
        }
        std::mem::swap(values, &mut buffer);
    }
}

/// Parses exactly `YYYY-MM-DD` (four-digit year) naming a real day, for the
/// CSV readers.
///
/// The ten bytes are read directly (the fast path: a real day in years
/// 0000–9999); anything else goes to [`parse_ymd_general`], so both accept
/// and refuse exactly the same texts.
///
/// O(1).
#[cfg(feature = "csv")]
pub(crate) fn parse_ymd(text: &str) -> Option<chrono::NaiveDate> {
    parse_ymd_fast(text.as_bytes()).or_else(|| parse_ymd_general(text))
}

/// The fast path of [`parse_ymd`]: `Some` only for a real day written
/// `YYYY-MM-DD`, `None` for everything it does not vouch for.
#[cfg(feature = "csv")]
fn parse_ymd_fast(b: &[u8]) -> Option<chrono::NaiveDate> {
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = b else {
        return None;
    };
    let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
    let year = ((digit(y0)? * 10 + digit(y1)?) * 10 + digit(y2)?) * 10 + digit(y3)?;
    let month = digit(m0)? * 10 + digit(m1)?;
    let day = digit(d0)? * 10 + digit(d1)?;
    // chrono's calendar check (month 1–12, the month's length, leap
    // years) without its format-string machinery; years below 10,000 are
    // all in its range.
    chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// The general path of [`parse_ymd`]: chrono's parser behind a shape check
/// (chrono alone would take `+2020-01-01` or `2020-1-01`).
#[cfg(feature = "csv")]
fn parse_ymd_general(text: &str) -> Option<chrono::NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy as _;

    #[test]
    fn percentiles_count_the_others_strictly_below() {
        assert_eq!(percentiles(&[0.0, 0.0, 6.0, 10.0]), vec![0.0, 0.0, 2.0 / 3.0, 1.0]);
        assert_eq!(percentiles(&[3.0]), vec![1.0]);
        assert_eq!(percentiles(&[]), Vec::<f64>::new());
    }

    /// Every day of years 0000 to 9999 and of both ends of each month, as
    /// chrono writes it, reads back through the fast path itself; the next
    /// day after each month's end is refused by both paths.
    #[cfg(feature = "csv")]
    #[test]
    fn the_date_fast_path_reads_every_real_day_of_four_digit_years() {
        let first = chrono::NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
        let last = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        let mut day = first;
        let mut count = 0;
        loop {
            let text = day.format("%Y-%m-%d").to_string();
            assert_eq!(parse_ymd_fast(text.as_bytes()), Some(day), "{text}");
            assert_eq!(parse_ymd_general(&text), Some(day), "{text}");
            count += 1;
            if day == last {
                break;
            }
            day = day.succ_opt().unwrap();
        }
        assert_eq!(count, 3_652_425);
        for text in [
            "2023-02-29",
            "2024-02-30",
            "1900-02-29",
            "2100-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-01-32",
        ] {
            assert_eq!((parse_ymd_fast(text.as_bytes()), parse_ymd(text)), (None, None), "{text}");
        }
        for text in ["2000-02-29", "2400-02-29", "0000-02-29"] {
            assert!(parse_ymd_fast(text.as_bytes()).is_some(), "{text}");
        }
    }

    /// The pipeline hands every product to the consumer exactly once, in
    /// item order, for any chunk size and thread count; the first error
    /// stops it, after the products before it and none after.
    #[test]
    fn the_pipeline_consumes_in_order_and_stops_at_the_first_error() {
        let items: Vec<u32> = (0..1000).collect();
        for threads in [1, 2, 3] {
            for chunk in [0, 1, 7, 256, 1000, 5000] {
                let mut seen = Vec::new();
                let done: Result<(), ()> = on_threads(threads, || {
                    pipeline(
                        &items,
                        chunk,
                        |c| c.iter().map(|i| i * 2).collect::<Vec<_>>(),
                        |p| {
                            seen.extend(p);
                            Ok(())
                        },
                    )
                });
                assert_eq!(done, Ok(()));
                assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>(), "chunk {chunk}, {threads} threads");

                let mut seen = Vec::new();
                let done = on_threads(threads, || {
                    pipeline(&items, chunk, <[u32]>::to_vec, |p| {
                        for i in p {
                            if i == 500 {
                                return Err(i);
                            }
                            seen.push(i);
                        }
                        Ok(())
                    })
                });
                assert_eq!(done, Err(500));
                assert_eq!(seen, (0..500).collect::<Vec<_>>(), "chunk {chunk}, {threads} threads");
            }
        }
        let mut calls = 0;
        let none = pipeline(&[] as &[u32], 4, <[u32]>::to_vec, |_| {
            calls += 1;
            Err(())
        });
        assert_eq!(none, Ok(()));
        assert_eq!(calls, 0);
    }

    proptest::proptest! {
        /// The parallel sort gives the sequential sort's order on distinct
        /// keys, whatever the threads.
        #[test]
        fn the_parallel_sort_is_the_sort(mut keys in proptest::collection::hash_set("[a-c]{0,6}", 0..3000).prop_map(|s| s.into_iter().collect::<Vec<_>>()), threads in 1usize..4) {
            let mut expected = keys.clone();
            expected.sort_unstable();
            on_threads(threads, || par_sort_unstable_by(&mut keys, |a, b| a.as_bytes().cmp(b.as_bytes())));
            proptest::prop_assert_eq!(keys, expected);
        }

        /// The date reader with its fast path agrees with the general
        /// (chrono) path on arbitrary text, on text shaped like a date with
        /// any digits, and on any byte swapped into a real date; the fast
        /// path never vouches for a text the general path refuses.
        #[cfg(feature = "csv")]
        #[test]
        fn the_date_fast_path_agrees_with_chrono(
            any in "\\PC{0,12}",
            shaped in "[0-9]{4}-[0-9]{2}-[0-9]{2}",
            near in "[0-9+ -]{0,4}[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,3}[ T0-9:]{0,2}",
            days in 0i64..3_652_425,
            at in 0usize..10,
            byte in proptest::prelude::any::<u8>(),
        ) {
            let real = (chrono::NaiveDate::from_ymd_opt(0, 1, 1).unwrap() + chrono::TimeDelta::days(days)).format("%Y-%m-%d").to_string();
            let mut bytes = real.clone().into_bytes();
            bytes[at] = byte;
            let swapped = String::from_utf8_lossy(&bytes).into_owned();
            for text in [&any, &shaped, &near, &real, &swapped] {
                let general = parse_ymd_general(text);
                proptest::prop_assert_eq!(parse_ymd(text), general, "{:?}", text);
                if let Some(fast) = parse_ymd_fast(text.as_bytes()) {
                    proptest::prop_assert_eq!(Some(fast), general, "{:?}", text);
                }
            }
        }

        /// The radix sort agrees with the standard (stable) sort at every
        /// width, including widths that split into uneven digits and keys
        /// that share some digits; records with equal keys keep their order.
        #[test]
        fn radix_sort_sorts_stably(bits in 0u32..=64, raw in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..600), shared in proptest::prelude::any::<u64>()) {
            let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
            // Half the keys keep the high half of `shared`, so some digits
            // are constant, and many keys repeat.
            let mut values: Vec<(u64, usize)> = raw
                .iter()
                .enumerate()
                .map(|(i, &v)| (if i % 2 == 0 { v & mask } else { ((shared & !0xFF) | (v & 0xFF)) & mask }, i))
                .collect();
            let mut expected = values.clone();
            expected.sort_by_key(|v| v.0);
            radix_sort_by_key(&mut values, bits, |v| v.0);
            proptest::prop_assert_eq!(values, expected);
        }
    }
}
