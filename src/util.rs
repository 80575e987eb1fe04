//! Small helpers shared by several modules.

/// The first name seen a second time, for the CSV readers: a header must
/// name each column once, or a reader would silently pick one of two.
///
/// O(n) expected.
#[cfg(feature = "csv")]
pub(crate) fn first_duplicate<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::with_hasher(foldhash::fast::FixedState::default());
    names.into_iter().find(|&name| !seen.insert(name))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_count_the_others_strictly_below() {
        assert_eq!(percentiles(&[0.0, 0.0, 6.0, 10.0]), vec![0.0, 0.0, 2.0 / 3.0, 1.0]);
        assert_eq!(percentiles(&[3.0]), vec![1.0]);
        assert_eq!(percentiles(&[]), Vec::<f64>::new());
    }

    proptest::proptest! {
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
