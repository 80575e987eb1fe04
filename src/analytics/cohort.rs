//! Cohort retention: customers grouped by the period of their first
//! purchase, and the share of each cohort still purchasing in each period
//! since.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::consent::{Profiled, end_of_day};
use crate::group::group_fold_ids;
use crate::{CustomerBase, CustomerId, Money};

/// The length of a cohort period: calendar months or quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CohortPeriod {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
}

impl CohortPeriod {
    /// A running number of the period that holds `date`.
    fn index(self, date: NaiveDate) -> i32 {
        let month = date.year() * 12 + date.month0() as i32;
        match self {
            CohortPeriod::Month => month,
            CohortPeriod::Quarter => month.div_euclid(3),
        }
    }

    /// The first day of the period with running number `index`.
    fn start(self, index: i32) -> NaiveDate {
        let month = match self {
            CohortPeriod::Month => index,
            CohortPeriod::Quarter => index * 3,
        };
        NaiveDate::from_ymd_opt(month.div_euclid(12), month.rem_euclid(12) as u32 + 1, 1).expect("a valid month")
    }
}

/// One acquisition cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cohort {
    /// The first day of the acquisition period.
    pub start: NaiveDate,
    /// Customers whose first purchase falls in it.
    pub size: u64,
    /// `active[j]`: of them, those who purchased in the `j`-th period after
    /// it (`active[0] == size`), up to the period of the as-of day.
    pub active: Vec<u64>,
}

/// The retention table: acquisition cohorts × periods since acquisition.
///
/// # Formula
///
/// A customer's cohort is the period of their first purchase on or before
/// the as-of day; they are *active* in period `j` of their cohort when they
/// purchased at least once in it. Retention is `active[j] / size`. Each
/// cohort has one entry per period up to the one that holds the as-of day
/// (the last may be partial).
///
/// Prints as a table of percentages, one row per cohort:
///
/// ```text
/// cohort       size     0     1     2
/// 2024-01         2  100%   50%    0%
/// 2024-02         1  100%    0%
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::analytics::{CohortPeriod, CohortTable};
/// use customer_lifecycle::{CustomerId, Money};
///
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// let id = CustomerId::from_key;
/// let m = Money::from_minor(100);
/// let log = [(id("a"), d("2024-01-05"), m), (id("b"), d("2024-01-20"), m), (id("a"), d("2024-02-11"), m), (id("c"), d("2024-02-01"), m)];
/// let table = CohortTable::from_records(&log, CohortPeriod::Month, d("2024-03-15"));
/// assert_eq!(table.cohorts[0].active, [2, 1, 0]);
/// assert_eq!(table.cohorts[1].active, [1, 0]);
/// assert!(table.to_string().contains("2024-01         2  100%   50%    0%"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortTable {
    /// The period length.
    pub period: CohortPeriod,
    /// The as-of day.
    pub as_of: NaiveDate,
    /// One row per acquisition period from the first to the as-of day's
    /// (empty cohorts included), oldest first.
    pub cohorts: Vec<Cohort>,
    /// Customers left out for withheld profiling consent.
    pub left_out: usize,
}

impl CohortTable {
    /// The table from `(customer, day, amount)` purchase records in any
    /// order; records after `as_of` are ignored. The records carry no
    /// consent: leave out those who withheld it before calling.
    ///
    /// # Complexity
    ///
    /// O(n + c × p) for n records of c customers over p periods.
    pub fn from_records(
        records: &[(CustomerId, NaiveDate, Money)],
        period: CohortPeriod,
        as_of: NaiveDate,
    ) -> CohortTable {
        let last = period.index(as_of);
        // Each customer's purchase periods as distances back from the as-of
        // period: the last 64 as bits; older ones, rare, listed aside, the
        // customer holding the list's number (0: none). A small accumulator
        // keeps the grouping in cache.
        let periods =
            records.iter().filter(|r| r.1 <= as_of).map(|&(customer, date, _)| (customer, last - period.index(date)));
        let mut older: Vec<Vec<i32>> = Vec::new();
        let groups = group_fold_ids(
            periods,
            records.len(),
            || (0u64, 0u32),
            |(recent, list), back| {
                if back < 64 {
                    *recent |= 1 << back;
                } else {
                    if *list == 0 {
                        older.push(Vec::new());
                        *list = older.len() as u32;
                    }
                    older[*list as usize - 1].push(back);
                }
            },
        );
        for list in &mut older {
            list.sort_unstable();
            list.dedup();
        }
        let older_of = |list: u32| if list == 0 { &[][..] } else { &older[list as usize - 1][..] };
        // The first period: the oldest listed one, or the highest bit.
        let first = |recent: u64, list: u32| match older_of(list).last() {
            Some(&back) => last - back,
            None => last - (63 - recent.leading_zeros() as i32),
        };
        let Some(lowest) = groups.iter().map(|&(_, (recent, list))| first(recent, list)).min() else {
            return CohortTable { period, as_of, cohorts: Vec::new(), left_out: 0 };
        };
        let mut cohorts: Vec<Cohort> = (lowest..=last)
            .map(|p| Cohort { start: period.start(p), size: 0, active: vec![0; (last - p) as usize + 1] })
            .collect();
        for (_, (recent, list)) in groups {
            let start = first(recent, list);
            let cohort = &mut cohorts[(start - lowest) as usize];
            cohort.size += 1;
            for &back in older_of(list) {
                cohort.active[(last - back - start) as usize] += 1;
            }
            let mut bits = recent;
            while bits != 0 {
                let back = bits.trailing_zeros() as i32;
                cohort.active[(last - back - start) as usize] += 1;
                bits &= bits - 1;
            }
        }
        CohortTable { period, as_of, cohorts, left_out: 0 }
    }

    /// The table of the purchase events of a base's consenting customers,
    /// each purchase's day taken in UTC.
    ///
    /// # Complexity
    ///
    /// As [`from_records`](Self::from_records), over the base's purchases.
    pub fn from_base(base: &CustomerBase, period: CohortPeriod, as_of: NaiveDate) -> CohortTable {
        let profiled = Profiled::as_of(base, end_of_day(as_of));
        let mut table = CohortTable::from_records(&profiled.purchases(base), period, as_of);
        table.left_out = profiled.left_out;
        table
    }

    /// The retention of cohort `cohort` (0 = oldest) in its `offset`-th
    /// period: `active[offset] / size`. `None` for an empty cohort or a
    /// period past the as-of day.
    pub fn retention(&self, cohort: usize, offset: usize) -> Option<f64> {
        let c = self.cohorts.get(cohort)?;
        let active = *c.active.get(offset)?;
        (c.size > 0).then(|| active as f64 / c.size as f64)
    }

    /// The cohorts as survivor counts for the contractual models
    /// ([`RetentionModel::fit_sbg`](crate::clv::RetentionModel::fit_sbg),
    /// [`fit_bdw`](crate::clv::RetentionModel::fit_bdw)): for each cohort,
    /// its start and `active[0], active[1], …` over its *complete* periods.
    ///
    /// The as-of day's period is left out of every cohort (it may be
    /// partial: customers who will still purchase in it would count as
    /// churned), and so are cohorts with no customers or fewer than two
    /// complete periods, which say nothing about churn. The counts are
    /// survivors when customers purchase in every period until they leave
    /// for good, as subscribers renewing each period do; a customer active
    /// again after a gap makes a count rise, and the fit then refuses that
    /// cohort ([`ClvError::InvalidData`](crate::clv::ClvError::InvalidData),
    /// `row` = its index in the returned list).
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::analytics::{CohortPeriod, CohortTable};
    /// use customer_lifecycle::clv::{FitOptions, RetentionModel};
    /// use customer_lifecycle::{CustomerId, Money};
    ///
    /// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    /// // Twelve subscribers from January 2024 who pay monthly until they
    /// // leave: 12, 9, 7, 6, 5 still paying in January to May.
    /// let mut log = Vec::new();
    /// for (i, months) in [5, 5, 5, 5, 5, 4, 3, 2, 2, 1, 1, 1].into_iter().enumerate() {
    ///     for month in 1..=months {
    ///         log.push((CustomerId::from_key(&i.to_string()), d(&format!("2024-{month:02}-01")), Money::from_minor(999)));
    ///     }
    /// }
    /// let table = CohortTable::from_records(&log, CohortPeriod::Month, d("2024-06-10"));
    /// let cohorts = table.survivors();
    /// assert_eq!(cohorts, [(d("2024-01-01"), vec![12.0, 9.0, 7.0, 6.0, 5.0])]);
    /// let counts: Vec<&[f64]> = cohorts.iter().map(|(_, n)| n.as_slice()).collect();
    /// let fit = RetentionModel::fit_sbg(&counts, &FitOptions::default())?;
    /// assert!(fit.model.survival(4) > 0.0);
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    ///
    /// # Complexity
    ///
    /// O(c × p) for c cohorts over p periods.
    pub fn survivors(&self) -> Vec<(NaiveDate, Vec<f64>)> {
        self.cohorts
            .iter()
            .filter(|c| c.size > 0 && c.active.len() > 2)
            .map(|c| (c.start, c.active[..c.active.len() - 1].iter().map(|&n| n as f64).collect()))
            .collect()
    }
}

impl fmt::Display for CohortTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.cohorts.first().map_or(0, |c| c.active.len());
        write!(f, "{:<10} {:>6}", "cohort", "size")?;
        for j in 0..width {
            write!(f, " {j:>5}")?;
        }
        writeln!(f)?;
        for c in &self.cohorts {
            let label = match self.period {
                CohortPeriod::Month => c.start.format("%Y-%m").to_string(),
                CohortPeriod::Quarter => format!("{}-Q{}", c.start.year(), c.start.month0() / 3 + 1),
            };
            write!(f, "{label:<10} {:>6}", c.size)?;
            for &n in &c.active {
                if c.size == 0 {
                    write!(f, " {:>5}", "-")?;
                } else {
                    write!(f, " {:>4.0}%", 100.0 * n as f64 / c.size as f64)?;
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
