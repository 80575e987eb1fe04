//! From a transaction log to the per-customer summary the models fit:
//! frequency, recency, age `T` and mean repeat value, with purchases on the
//! same calendar day collapsed into one as the literature does.
//!
//! [`PurchaseAggregate`] is the mergeable intermediate (see [aggregates merge](crate#aggregates-merge)):
//! it is built from the purchases of one date range, merges with the
//! aggregate of a disjoint range, and turns into a [`Summary`] once a
//! calibration end and a time unit are chosen.

use std::collections::HashMap;

use chrono::{Datelike, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::clv::ClvError;
use crate::consent::{Profiled, end_of_day_at};
use crate::keys::KeyTable;
use crate::util::radix_sort_by_key;
use crate::{CustomerBase, EventKind, Money, Transaction, TransactionLog};

type FixedMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// The unit in which durations (recency, `T`, prediction horizons) are
/// expressed: whole-day differences divided by the unit's length in days, so
/// a week is 7 days, not a calendar week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeUnit {
    /// One day.
    Days,
    /// Seven days.
    Weeks,
}

impl TimeUnit {
    /// The unit's length in days.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
        }
    }
}

/// One customer's summary over a calibration period.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::CustomerSummary;
///
/// let c: CustomerSummary = serde_json::from_str(
///     r#"{"customer_id":"7","frequency":2,"recency":30.43,"T":38.86,"monetary_value":22.35}"#,
/// )?;
/// assert_eq!((c.key.as_str(), c.t), ("7", 38.86));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// The customer's key as it appeared in the log (the shop's own key,
    /// not a [`CustomerId`](crate::CustomerId)); `customer_id` in serde
    /// and CSV.
    #[serde(rename = "customer_id")]
    pub key: String,
    /// Repeat purchases: distinct purchase days − 1.
    pub frequency: u32,
    /// Time from the first purchase day to the last one.
    pub recency: f64,
    /// Time from the first purchase day to the calibration end (`T`).
    #[serde(rename = "T")]
    pub t: f64,
    /// Mean of the repeat days' purchase sums, in major units; 0 without
    /// repeat purchases.
    pub monetary_value: f64,
}

/// The summary of every customer who bought on or before the calibration
/// end, in the order of their first purchase record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The unit of `recency` and `T`.
    pub time_unit: TimeUnit,
    /// The last day counted.
    pub calibration_end: NaiveDate,
    /// One entry per customer.
    pub customers: Vec<CustomerSummary>,
    /// Customers [`from_base`](Summary::from_base) left out for withheld
    /// profiling consent (0 for a summary of records).
    #[serde(default)]
    pub left_out: usize,
}

/// One customer's purchases in an aggregate: enough to merge with a later
/// range and to summarise at any calibration end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPurchases {
    /// The customer's key.
    pub customer_id: String,
    /// The first purchase day.
    pub first_day: NaiveDate,
    /// The sum of the purchases on the first day.
    pub first_day_amount: Money,
    /// The last purchase day.
    pub last_day: NaiveDate,
    /// Distinct purchase days.
    pub days: u32,
    /// The sum of all purchases.
    pub total: Money,
}

/// The mergeable per-customer purchase aggregate of one date range.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use customer_lifecycle::clv::{PurchaseAggregate, TimeUnit};
/// use customer_lifecycle::Money;
///
/// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
/// let early = PurchaseAggregate::from_records([("ana", d("2024-01-01"), Money::from_minor(500))])?;
/// let late = PurchaseAggregate::from_records([("ana", d("2024-01-08"), Money::from_minor(700))])?;
/// let both = early.merge(&late)?;
/// let summary = both.summary(d("2024-01-15"), TimeUnit::Weeks)?;
/// assert_eq!(summary.customers[0].frequency, 1);
/// assert_eq!(summary.customers[0].recency, 1.0);
/// assert_eq!(summary.customers[0].t, 2.0);
/// assert_eq!(summary.customers[0].monetary_value, 7.0);
/// assert!(both.merge(&late).is_err()); // overlapping ranges
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseAggregate {
    span: Option<(NaiveDate, NaiveDate)>,
    customers: Vec<CustomerPurchases>,
}

impl PurchaseAggregate {
    /// The aggregate of no purchases, the identity of [`merge`](Self::merge).
    pub fn new() -> Self {
        Self::default()
    }

    /// Aggregates `(customer key, day, amount)` purchase records given in any
    /// order; each record is one purchase, and the purchases of one customer
    /// on one day are one purchase day with their amounts summed.
    ///
    /// # Errors
    ///
    /// [`ClvError::NegativeAmount`] for a negative amount (a zero amount is
    /// a valid free order), [`ClvError::Money`] when a customer's total
    /// overflows.
    ///
    /// # Complexity
    ///
    /// O(n) expected for n records: one hash look-up per record (with the
    /// look-ups of a batch of records overlapped), then a radix sort of
    /// `(customer, day)` rows that puts each customer's days in order.
    pub fn from_records<K: AsRef<str>>(
        records: impl IntoIterator<Item = (K, NaiveDate, Money)>,
    ) -> Result<Self, ClvError> {
        /// Records looked up per batch: enough for the processor to overlap
        /// reading their keys, few enough to stay in L1.
        const BATCH: usize = 64;
        let mut records = records.into_iter();
        let mut table: KeyTable = KeyTable::default();
        // A row per record: (customer slot << 32 | day biased to sort as
        // unsigned, amount).
        let mut rows: Vec<(u64, i64)> = Vec::with_capacity(capacity_for(&records));
        let mut span: Option<(i32, i32)> = None;
        let mut largest: i64 = 0;
        let mut batch: Vec<(K, i32, i64)> = Vec::with_capacity(BATCH);
        let mut prepared = Vec::with_capacity(BATCH);
        let mut slots = Vec::with_capacity(BATCH);
        loop {
            batch.clear();
            prepared.clear();
            for (key, day, amount) in records.by_ref().take(BATCH) {
                if amount.is_negative() {
                    return Err(ClvError::NegativeAmount { customer_id: key.as_ref().to_owned(), date: day, amount });
                }
                let day = day.num_days_from_ce();
                span = Some(span.map_or((day, day), |(lo, hi)| (lo.min(day), hi.max(day))));
                largest = largest.max(amount.minor_units());
                batch.push((key, day, amount.minor_units()));
            }
            if batch.is_empty() {
                break;
            }
            // Touching each key's first byte in a loop that does nothing
            // else lets the processor have many of their cache misses in
            // flight at once; hashing them next then reads from cache.
            let touched =
                batch.iter().fold(0u8, |t, (key, _, _)| t ^ key.as_ref().as_bytes().first().copied().unwrap_or(0));
            std::hint::black_box(touched);
            prepared.extend(batch.iter().map(|(key, _, _)| table.prepare(key.as_ref())));
            // The table's look-ups in a pass of their own, short enough for
            // the processor to overlap their cache misses across records.
            slots.clear();
            slots.extend(batch.iter().zip(&prepared).map(|((key, _, _), &p)| table.find(key.as_ref(), p)));
            for (((key, day, amount), &prepared), &slot) in batch.iter().zip(&prepared).zip(&slots) {
                // New in this batch, or seen earlier in it, when not found.
                let slot = slot.unwrap_or_else(|| table.insert(key.as_ref(), prepared));
                rows.push(((u64::from(slot) << 32) | u64::from(day.cast_unsigned() ^ (1 << 31)), *amount));
            }
        }
        PurchaseAggregate::from_rows(rows, span, largest, table.into_keys())
    }

    /// The aggregate of rows packed as `(customer slot << 32 | day from the
    /// common era biased to sort as unsigned, amount)`, the slots numbering
    /// `keys` in order of first row, the days spanning `span` and no amount
    /// above `largest` (none below 0).
    fn from_rows(
        mut rows: Vec<(u64, i64)>,
        span: Option<(i32, i32)>,
        largest: i64,
        keys: Vec<String>,
    ) -> Result<Self, ClvError> {
        let Some((lo, hi)) = span else {
            return Ok(PurchaseAggregate::new());
        };
        // Rows are re-packed with only the bits slots and days need, and
        // ordered by customer slot (the order of first records), then day:
        // the rows of one customer's day are then adjacent.
        let layout = Layout { lo, day_bits: bit_width(u64::from(hi.abs_diff(lo))) };
        let key_bits = bit_width(keys.len() as u64 - 1) + layout.day_bits;
        let amount_bits = 64 - key_bits;
        let customers = if amount_bits < 64 && bit_width(largest.cast_unsigned()) <= amount_bits {
            // The amounts fit beside the keys: sort eight bytes a row, not
            // sixteen.
            let mut packed: Vec<u64> =
                rows.iter().map(|&(row, amount)| (layout.key(row) << amount_bits) | amount.cast_unsigned()).collect();
            drop(rows);
            let mask = (1u64 << amount_bits) - 1;
            radix_sort_by_key(&mut packed, key_bits, |v| v >> amount_bits);
            layout.customers(&packed, |v| v >> amount_bits, |v| (v & mask).cast_signed(), keys)?
        } else {
            for row in &mut rows {
                row.0 = layout.key(row.0);
            }
            radix_sort_by_key(&mut rows, key_bits, |row| row.0);
            layout.customers(&rows, |row| row.0, |row| row.1, keys)?
        };
        Ok(PurchaseAggregate { span: Some((date(lo), date(hi))), customers })
    }

    /// The first and last purchase day covered, or `None` when empty.
    pub fn span(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.span
    }

    /// The customers, in the order of their first record (for a merge: the
    /// left side's customers, then the right side's new ones).
    pub fn customers(&self) -> &[CustomerPurchases] {
        &self.customers
    }

    /// Merges the aggregates of two disjoint date ranges into the aggregate
    /// of their union. Associative, with [`new`](Self::new) as identity;
    /// commutative up to the order of customers.
    ///
    /// # Errors
    ///
    /// [`ClvError::OverlappingRanges`] when the purchase-day spans share a
    /// day (a day's purchases could not then be collapsed correctly), and
    /// [`ClvError::Money`] when a total overflows.
    ///
    /// # Complexity
    ///
    /// O(n + m) expected, for the two sides' customer counts.
    pub fn merge(&self, other: &PurchaseAggregate) -> Result<PurchaseAggregate, ClvError> {
        let (left_span, right_span) = match (self.span, other.span) {
            (None, _) => return Ok(other.clone()),
            (_, None) => return Ok(self.clone()),
            (Some(a), Some(b)) => (a, b),
        };
        if left_span.0 <= right_span.1 && right_span.0 <= left_span.1 {
            return Err(ClvError::OverlappingRanges { left: left_span, right: right_span });
        }
        let self_first = left_span.1 < right_span.0;
        let mut customers = self.customers.clone();
        let mut index: FixedMap<&str, usize> =
            self.customers.iter().enumerate().map(|(i, c)| (c.customer_id.as_str(), i)).collect();
        let mut appended = Vec::new();
        for theirs in &other.customers {
            match index.get(theirs.customer_id.as_str()) {
                Some(&i) => {
                    let ours = &customers[i];
                    let (early, late) = if self_first { (ours, theirs) } else { (theirs, ours) };
                    customers[i] = CustomerPurchases {
                        customer_id: ours.customer_id.clone(),
                        first_day: early.first_day,
                        first_day_amount: early.first_day_amount,
                        last_day: late.last_day,
                        days: early.days + late.days,
                        total: early.total.checked_add(late.total)?,
                    };
                }
                None => appended.push(theirs.clone()),
            }
        }
        index.clear();
        customers.extend(appended);
        let span = (left_span.0.min(right_span.0), left_span.1.max(right_span.1));
        Ok(PurchaseAggregate { span: Some(span), customers })
    }

    /// The summary at `calibration_end` in `time_unit`.
    ///
    /// # Errors
    ///
    /// [`ClvError::PurchaseAfterCalibrationEnd`] when the aggregate holds a
    /// purchase after `calibration_end` (filter the records first, or use
    /// [`Summary::from_records`]).
    ///
    /// # Complexity
    ///
    /// O(n) for n customers.
    pub fn summary(&self, calibration_end: NaiveDate, time_unit: TimeUnit) -> Result<Summary, ClvError> {
        self.clone().into_summary(calibration_end, time_unit)
    }

    /// As [`summary`](Self::summary), consuming the aggregate so that the
    /// customer keys move instead of being copied.
    ///
    /// # Errors
    ///
    /// As [`summary`](Self::summary).
    ///
    /// # Complexity
    ///
    /// O(n) for n customers.
    pub fn into_summary(self, calibration_end: NaiveDate, time_unit: TimeUnit) -> Result<Summary, ClvError> {
        if let Some((_, last)) = self.span
            && last > calibration_end
        {
            return Err(ClvError::PurchaseAfterCalibrationEnd { date: last, calibration_end });
        }
        let unit = time_unit.days();
        let customers = self
            .customers
            .into_iter()
            .map(|c| {
                let repeat_days = c.days - 1;
                let monetary_value = if repeat_days == 0 {
                    0.0
                } else {
                    (c.total.minor_units() - c.first_day_amount.minor_units()) as f64 / 100.0 / f64::from(repeat_days)
                };
                CustomerSummary {
                    key: c.customer_id,
                    frequency: repeat_days,
                    recency: (c.last_day - c.first_day).num_days() as f64 / unit,
                    t: (calibration_end - c.first_day).num_days() as f64 / unit,
                    monetary_value,
                }
            })
            .collect();
        Ok(Summary { time_unit, calibration_end, customers, left_out: 0 })
    }
}

/// Room for an iterator's items: its upper bound when it has one (a
/// filtered log yields at most its length), up to 2^24 rows to start with.
fn capacity_for(records: &impl Iterator) -> usize {
    let (lower, upper) = records.size_hint();
    upper.unwrap_or(lower).min(lower.max(1 << 24))
}

/// How a `(customer slot, day)` row is packed for sorting: the slot above
/// `day_bits` bits of days since `lo` (days from the common era).
struct Layout {
    lo: i32,
    day_bits: u32,
}

impl Layout {
    /// The sort key of a row packed as `slot << 32 | biased day`.
    fn key(&self, row: u64) -> u64 {
        let day = (row as u32).wrapping_sub(self.lo.cast_unsigned() ^ (1 << 31));
        ((row >> 32) << self.day_bits) | u64::from(day)
    }

    /// Each customer's purchases from rows sorted by `key`, whose amounts
    /// are `amount`, in slot order.
    fn customers<T>(
        &self,
        rows: &[T],
        key: impl Fn(&T) -> u64,
        amount: impl Fn(&T) -> i64,
        keys: Vec<String>,
    ) -> Result<Vec<CustomerPurchases>, ClvError> {
        let mut customers = Vec::with_capacity(keys.len());
        let mut keys = keys.into_iter();
        let day_mask = (1u64 << self.day_bits) - 1;
        let day_of = |key: u64| date(self.lo + (key & day_mask) as i32);
        let mut i = 0;
        while i < rows.len() {
            let first = key(&rows[i]);
            let slot = first >> self.day_bits;
            let mut first_sum: i64 = 0;
            let mut last = first;
            let mut days = 0u32;
            let mut total: i64 = 0;
            while i < rows.len() && key(&rows[i]) >> self.day_bits == slot {
                let day = key(&rows[i]);
                let mut day_sum: i64 = 0;
                while i < rows.len() && key(&rows[i]) == day {
                    day_sum = day_sum.checked_add(amount(&rows[i])).ok_or_else(overflow)?;
                    i += 1;
                }
                if days == 0 {
                    first_sum = day_sum;
                }
                last = day;
                days += 1;
                total = total.checked_add(day_sum).ok_or_else(overflow)?;
            }
            customers.push(CustomerPurchases {
                customer_id: keys.next().expect("a key per slot"),
                first_day: day_of(first),
                first_day_amount: Money::from_minor(first_sum),
                last_day: day_of(last),
                days,
                total: Money::from_minor(total),
            });
        }
        Ok(customers)
    }
}

/// The bits needed to hold `n`.
fn bit_width(n: u64) -> u32 {
    u64::BITS - n.leading_zeros()
}

fn overflow() -> ClvError {
    ClvError::Money(crate::MoneyError::Overflow { operation: "add" })
}

fn date(days_from_ce: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days_from_ce).expect("taken from a valid date")
}

impl Summary {
    /// The summary at `calibration_end` of `(customer key, day, amount)`
    /// purchase records in any order. Records after `calibration_end` are
    /// ignored; customers with no purchase on or before it are left out.
    ///
    /// # Errors
    ///
    /// As [`PurchaseAggregate::from_records`].
    ///
    /// # Complexity
    ///
    /// O(n log n) for n records.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use customer_lifecycle::clv::{Summary, TimeUnit};
    /// use customer_lifecycle::Money;
    ///
    /// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    /// let log = [
    ///     ("b", d("2024-01-03"), Money::from_minor(100)),
    ///     ("a", d("2024-01-01"), Money::from_minor(1000)),
    ///     ("a", d("2024-01-05"), Money::from_minor(200)),
    ///     ("a", d("2024-01-05"), Money::from_minor(300)), // same day: one purchase
    ///     ("a", d("2024-03-01"), Money::from_minor(999)), // after the calibration end
    /// ];
    /// let s = Summary::from_records(log, d("2024-01-10"), TimeUnit::Days)?;
    /// assert_eq!(s.customers[0].key, "b");
    /// let a = &s.customers[1];
    /// assert_eq!((a.frequency, a.recency, a.t, a.monetary_value), (1, 4.0, 9.0, 5.0));
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    pub fn from_records<K: AsRef<str>>(
        records: impl IntoIterator<Item = (K, NaiveDate, Money)>,
        calibration_end: NaiveDate,
        time_unit: TimeUnit,
    ) -> Result<Summary, ClvError> {
        PurchaseAggregate::from_records(records.into_iter().filter(|r| r.1 <= calibration_end))?
            .into_summary(calibration_end, time_unit)
    }

    /// As [`from_records(log.records(), …)`](Self::from_records), faster:
    /// the log's customers are already numbered.
    ///
    /// # Errors
    ///
    /// As [`PurchaseAggregate::from_records`].
    ///
    /// # Complexity
    ///
    /// O(n) for n rows: no hashing, a radix sort.
    ///
    /// # Example
    ///
    /// ```
    /// # #[cfg(feature = "csv")] {
    /// use customer_lifecycle::TransactionCsv;
    /// use customer_lifecycle::clv::{Summary, TimeUnit};
    ///
    /// let text = "customer_id,date,amount\nana,2024-01-05,12.50\nbo,2024-01-06,3\nana,2024-01-09,1\n";
    /// let log = TransactionCsv::new().read_log(text.as_bytes())?;
    /// let end = "2024-01-10".parse()?;
    /// let summary = Summary::from_log(&log, end, TimeUnit::Days)?;
    /// assert_eq!(summary, Summary::from_records(log.records(), end, TimeUnit::Days)?);
    /// assert_eq!(summary.customers[0].frequency, 1);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_log(
        log: &TransactionLog,
        calibration_end: NaiveDate,
        time_unit: TimeUnit,
    ) -> Result<Summary, ClvError> {
        // The customers renumbered in order of their first row on or before
        // the calibration end, as `from_records` numbers them.
        let mut slot = vec![u32::MAX; log.keys().len()];
        let mut keys = Vec::new();
        let mut rows: Vec<(u64, i64)> = Vec::with_capacity(log.len());
        let mut span: Option<(i32, i32)> = None;
        let mut largest: i64 = 0;
        for r in log.rows() {
            if r.date > calibration_end {
                continue;
            }
            if r.amount.is_negative() {
                return Err(ClvError::NegativeAmount {
                    customer_id: log.key(r).to_owned(),
                    date: r.date,
                    amount: r.amount,
                });
            }
            let s = &mut slot[r.customer as usize];
            if *s == u32::MAX {
                *s = keys.len() as u32;
                keys.push(log.key(r).to_owned());
            }
            let day = r.date.num_days_from_ce();
            span = Some(span.map_or((day, day), |(lo, hi)| (lo.min(day), hi.max(day))));
            largest = largest.max(r.amount.minor_units());
            rows.push(((u64::from(*s) << 32) | u64::from(day.cast_unsigned() ^ (1 << 31)), r.amount.minor_units()));
        }
        PurchaseAggregate::from_rows(rows, span, largest, keys)?.into_summary(calibration_end, time_unit)
    }

    /// As [`from_records`](Self::from_records), over parsed [`Transaction`]s.
    ///
    /// # Errors
    ///
    /// As [`PurchaseAggregate::from_records`].
    pub fn from_transactions(
        transactions: &[Transaction],
        calibration_end: NaiveDate,
        time_unit: TimeUnit,
    ) -> Result<Summary, ClvError> {
        Summary::from_records(
            transactions.iter().map(|t| (t.key.as_str(), t.date, t.amount)),
            calibration_end,
            time_unit,
        )
    }

    /// The summary of the purchase events in a [`CustomerBase`], with each
    /// event's calendar day taken in UTC. Customers are keyed by their
    /// external key, or their id when they have none, and appear in the
    /// order they were added. Refunds are not purchases and are ignored.
    /// Customers who withheld profiling consent at the end of
    /// `calibration_end` or at their latest change are left out, counted
    /// in [`left_out`](Summary::left_out).
    ///
    /// # Errors
    ///
    /// As [`PurchaseAggregate::from_records`].
    ///
    /// # Complexity
    ///
    /// O(e log e) for e purchase events.
    pub fn from_base(
        base: &CustomerBase,
        calibration_end: NaiveDate,
        time_unit: TimeUnit,
    ) -> Result<Summary, ClvError> {
        Summary::from_base_with_offset(base, calibration_end, time_unit, FixedOffset::east_opt(0).expect("zero"))
    }

    /// As [`from_base`](Self::from_base), with calendar days taken at a fixed
    /// offset from UTC.
    ///
    /// # Errors
    ///
    /// As [`PurchaseAggregate::from_records`].
    pub fn from_base_with_offset(
        base: &CustomerBase,
        calibration_end: NaiveDate,
        time_unit: TimeUnit,
        offset: FixedOffset,
    ) -> Result<Summary, ClvError> {
        let profiled = Profiled::as_of(base, end_of_day_at(calibration_end, offset));
        let mut records = Vec::new();
        for customer in profiled.customers {
            let key = customer.key().map_or_else(|| customer.id().to_string(), str::to_owned);
            for event in base.events(customer.id()).into_iter().flatten() {
                if let EventKind::Purchase { amount } = event.kind {
                    records.push((key.clone(), event.at.with_timezone(&offset).date_naive(), amount));
                }
            }
        }
        let mut summary = Summary::from_records(records, calibration_end, time_unit)?;
        summary.left_out = profiled.left_out;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// The summary of a log is the summary of its records, customers
        /// whose first row comes after the calibration end included.
        #[test]
        fn from_log_is_from_records(records in prop::collection::vec((0u8..12, 0u64..60, -1i64..5000), 0..200)) {
            let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
            let end = NaiveDate::from_ymd_opt(2024, 2, 15).unwrap();
            let log = TransactionLog::from_records(records.iter().map(|&(k, d, a)| {
                (format!("c{k}"), start + chrono::Days::new(d), Money::from_minor(if a < 0 && d % 7 != 0 { 1 } else { a }))
            }));
            for unit in [TimeUnit::Days, TimeUnit::Weeks] {
                prop_assert_eq!(Summary::from_log(&log, end, unit), Summary::from_records(log.records(), end, unit));
            }
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn contract_cases() {
        let m = Money::from_minor;
        let log = vec![
            ("x", d("2024-01-01"), m(0)),
            ("x", d("2024-01-01"), m(0)),
            ("y", d("2024-01-10"), m(500)),
            ("x", d("2024-01-15"), m(0)),
            ("x", d("2024-01-08"), m(700)),
            ("y", d("2024-01-10"), m(500)),
        ];
        let s = Summary::from_records(log, d("2024-01-15"), TimeUnit::Weeks).unwrap();
        assert_eq!(s.customers.len(), 2);
        let x = &s.customers[0];
        assert_eq!((x.frequency, x.recency, x.t), (2, 2.0, 2.0));
        assert!((x.monetary_value - 3.5).abs() < 1e-12, "the $0 day counts");
        let y = &s.customers[1];
        assert_eq!((y.frequency, y.recency, y.t, y.monetary_value), (0, 0.0, 5.0 / 7.0, 0.0));
    }

    #[test]
    fn rejects_negative_amounts_and_late_purchases() {
        let err = PurchaseAggregate::from_records([("a", d("2024-01-01"), Money::from_minor(-1))]).unwrap_err();
        assert!(matches!(err, ClvError::NegativeAmount { ref customer_id, .. } if customer_id == "a"));
        let agg = PurchaseAggregate::from_records([("a", d("2024-02-01"), Money::ZERO)]).unwrap();
        assert!(matches!(
            agg.summary(d("2024-01-31"), TimeUnit::Days),
            Err(ClvError::PurchaseAfterCalibrationEnd { .. })
        ));
    }

    #[test]
    fn amounts_at_the_edge_of_the_packed_rows_stay_exact() {
        // Two customers over four days: one bit of slot, two of day, so 61
        // bits are left for amounts beside the sort key.
        for amount in [(1i64 << 61) - 1, 1 << 61, i64::MAX] {
            let log = [
                ("a", d("2024-01-04"), Money::from_minor(amount)),
                ("b", d("2024-01-01"), Money::from_minor(7)),
                ("a", d("2024-01-02"), Money::ZERO),
            ];
            let agg = PurchaseAggregate::from_records(log).unwrap();
            let a = &agg.customers()[0];
            assert_eq!((a.customer_id.as_str(), a.days, a.total.minor_units()), ("a", 2, amount));
            assert_eq!((a.first_day, a.first_day_amount, a.last_day), (d("2024-01-02"), Money::ZERO, d("2024-01-04")));
            assert_eq!(agg.customers()[1].total, Money::from_minor(7));
            assert_eq!(agg.span(), Some((d("2024-01-01"), d("2024-01-04"))));
        }
    }

    #[test]
    fn merge_of_empty_is_identity() {
        let agg = PurchaseAggregate::from_records([("a", d("2024-02-01"), Money::ZERO)]).unwrap();
        assert_eq!(agg.merge(&PurchaseAggregate::new()).unwrap(), agg);
        assert_eq!(PurchaseAggregate::new().merge(&agg).unwrap(), agg);
    }
}
