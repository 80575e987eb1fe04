//! [`Membership`], the bitset of rows a segment selects: what evaluation
//! returns, what [`SegmentChange`](super::SegmentChange) and
//! [`MigrationMatrix`](super::MigrationMatrix) compare, and how a
//! [`FeatureTable`] marks the rows left out for consent.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::segment::Membership;
//!
//! let mut a = Membership::empty(100);
//! a.insert(3);
//! a.insert(70);
//! let everyone = Membership::full(100);
//! assert_eq!(everyone.and_not(&a).len(), 98);
//! assert_eq!(a.rows().collect::<Vec<_>>(), [3, 70]);
//! ```

use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::FeatureTable;

/// The rows of a [`FeatureTable`] that belong to a segment: a bitset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    words: Vec<u64>,
    rows: usize,
}

impl Membership {
    /// No row of a table of `rows` rows.
    pub fn empty(rows: usize) -> Self {
        Membership { words: vec![0; rows.div_ceil(64)], rows }
    }

    /// Every row of a table of `rows` rows.
    pub fn full(rows: usize) -> Self {
        let mut m = Membership { words: vec![u64::MAX; rows.div_ceil(64)], rows };
        m.trim();
        m
    }

    fn trim(&mut self) {
        if let (false, Some(last)) = (self.rows.is_multiple_of(64), self.words.last_mut()) {
            *last &= (1u64 << (self.rows % 64)) - 1;
        }
    }

    /// The number of rows of the table it belongs to.
    pub fn table_rows(&self) -> usize {
        self.rows
    }

    /// How many rows are members.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether no row is a member.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// Whether `row` is a member.
    pub fn contains(&self, row: usize) -> bool {
        row < self.rows && self.words[row / 64] >> (row % 64) & 1 == 1
    }

    /// Makes `row` a member.
    ///
    /// # Panics
    ///
    /// When `row` is outside the table.
    pub fn insert(&mut self, row: usize) {
        assert!(row < self.rows, "row {row} outside a table of {} rows", self.rows);
        self.words[row / 64] |= 1 << (row % 64);
    }

    /// The member rows, in order.
    pub fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut w = word;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(i * 64 + bit)
            })
        })
    }

    /// Rows in both.
    #[must_use]
    pub fn and(&self, other: &Membership) -> Membership {
        self.zip(other, |a, b| a & b)
    }

    /// Rows in either.
    #[must_use]
    pub fn or(&self, other: &Membership) -> Membership {
        self.zip(other, |a, b| a | b)
    }

    /// Rows in `self` but not in `other`.
    #[must_use]
    pub fn and_not(&self, other: &Membership) -> Membership {
        self.zip(other, |a, b| a & !b)
    }

    /// Rows not in `self`.
    #[must_use]
    pub fn complement(&self) -> Membership {
        let mut m = Membership { words: self.words.iter().map(|w| !w).collect(), rows: self.rows };
        m.trim();
        m
    }

    fn zip(&self, other: &Membership, f: impl Fn(u64, u64) -> u64) -> Membership {
        assert_eq!(self.rows, other.rows, "memberships of different tables");
        Membership { words: self.words.iter().zip(&other.words).map(|(&a, &b)| f(a, b)).collect(), rows: self.rows }
    }

    pub(super) fn from_fn(rows: usize, mut f: impl FnMut(usize) -> bool) -> Membership {
        let mut words = vec![0u64; rows.div_ceil(64)];
        for (i, word) in words.iter_mut().enumerate() {
            let base = i * 64;
            let end = (base + 64).min(rows);
            let mut w = 0u64;
            for row in base..end {
                w |= u64::from(f(row)) << (row - base);
            }
            *word = w;
        }
        Membership { words, rows }
    }
}
