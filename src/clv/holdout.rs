//! Holdout validation: fit on a calibration period, predict the holdout
//! period, and compare with what happened, grouped by calibration frequency
//! (the standard check in the literature, e.g. Fader, Hardie & Lee 2005,
//! figure 4).

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Money;
use crate::clv::{ClvError, History, PurchaseModel, Summary, TimeUnit};

/// A calibration summary and each calibration customer's purchases in the
/// holdout period that follows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutData {
    /// The calibration summary (purchases on or before its end).
    pub calibration: Summary,
    /// Distinct purchase days in the holdout period, per calibration
    /// customer, in the summary's order.
    pub holdout_purchases: Vec<u32>,
    /// The holdout period's length in the summary's time unit.
    pub holdout_length: f64,
}

impl HoldoutData {
    /// Splits `(customer key, day, amount)` purchase records at
    /// `calibration_end`: the summary covers the days up to it, the holdout
    /// the days after it up to `holdout_end`. Customers first seen in the
    /// holdout are not in the calibration cohort and are left out; records
    /// after `holdout_end` are ignored.
    ///
    /// # Errors
    ///
    /// [`ClvError::EmptyHoldout`] unless `holdout_end` is after
    /// `calibration_end`, and as [`Summary::from_records`].
    ///
    /// # Complexity
    ///
    /// O(n log n) for n records.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use customer_lifecycle::clv::{HoldoutData, TimeUnit};
    /// use customer_lifecycle::Money;
    ///
    /// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    /// let log = [
    ///     ("a", d("2024-01-01"), Money::ZERO),
    ///     ("a", d("2024-01-20"), Money::ZERO),
    ///     ("a", d("2024-01-20"), Money::ZERO),
    ///     ("b", d("2024-01-25"), Money::ZERO),
    /// ];
    /// let split = HoldoutData::from_records(log, d("2024-01-14"), d("2024-01-28"), TimeUnit::Weeks)?;
    /// assert_eq!(split.calibration.customers.len(), 1);
    /// assert_eq!(split.holdout_purchases, vec![1]);
    /// assert_eq!(split.holdout_length, 2.0);
    /// # Ok::<(), customer_lifecycle::clv::ClvError>(())
    /// ```
    pub fn from_records<K: AsRef<str>>(
        records: impl IntoIterator<Item = (K, NaiveDate, Money)>,
        calibration_end: NaiveDate,
        holdout_end: NaiveDate,
        time_unit: TimeUnit,
    ) -> Result<HoldoutData, ClvError> {
        if holdout_end <= calibration_end {
            return Err(ClvError::EmptyHoldout { calibration_end, holdout_end });
        }
        let mut calibration = Vec::new();
        let mut later = Vec::new();
        for (key, day, amount) in records {
            if day <= calibration_end {
                calibration.push((key, day, amount));
            } else if day <= holdout_end {
                later.push((key, day));
            }
        }
        let calibration = Summary::from_records(calibration, calibration_end, time_unit)?;
        // A fixed-seed hasher: the library never draws on operating-system
        // randomness.
        let index: HashMap<&str, usize, foldhash::fast::FixedState> =
            calibration.customers.iter().enumerate().map(|(i, c)| (c.key.as_str(), i)).collect();
        let mut days: Vec<(usize, NaiveDate)> =
            later.iter().filter_map(|(key, day)| index.get(key.as_ref()).map(|&i| (i, *day))).collect();
        days.sort_unstable();
        days.dedup();
        let mut holdout_purchases = vec![0u32; calibration.customers.len()];
        for (i, _) in days {
            holdout_purchases[i] += 1;
        }
        let holdout_length = (holdout_end - calibration_end).num_days() as f64 / time_unit.days();
        Ok(HoldoutData { calibration, holdout_purchases, holdout_length })
    }
}

/// One line of a holdout table: the customers with a given calibration
/// frequency (or at least it, on the last line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutRow {
    /// The calibration frequency (the lower bound on the last line).
    pub frequency: u32,
    /// How many customers.
    pub customers: usize,
    /// Their mean actual holdout purchases.
    pub actual: f64,
    /// Their mean predicted holdout purchases.
    pub predicted: f64,
}

/// The table of mean predicted versus actual holdout purchases grouped by
/// calibration frequency `0, 1, …, max_frequency − 1` and `max_frequency`
/// or more; empty groups are left out.
///
/// The prediction for a calibration customer is `model`'s expected
/// purchases over the holdout length given their calibration history: any
/// [`PurchaseModel`], including a `&dyn PurchaseModel`.
///
/// # Complexity
///
/// One prediction per customer.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use customer_lifecycle::clv::{BgNbd, HoldoutData, TimeUnit, holdout_table};
/// use customer_lifecycle::Money;
///
/// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
/// let log = [("a", d("2024-01-01"), Money::ZERO), ("a", d("2024-01-20"), Money::ZERO)];
/// let split = HoldoutData::from_records(log, d("2024-01-14"), d("2024-01-28"), TimeUnit::Weeks)?;
/// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let table = holdout_table(&split, 7, &model);
/// assert_eq!(table.len(), 1);
/// assert_eq!((table[0].frequency, table[0].customers, table[0].actual), (0, 1, 1.0));
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
pub fn holdout_table<M: PurchaseModel + ?Sized>(data: &HoldoutData, max_frequency: u32, model: &M) -> Vec<HoldoutRow> {
    let groups = max_frequency as usize + 1;
    let mut sums = vec![(0usize, 0.0f64, 0.0f64); groups];
    for (customer, &actual) in data.calibration.customers.iter().zip(&data.holdout_purchases) {
        let slot = customer.frequency.min(max_frequency) as usize;
        sums[slot].0 += 1;
        sums[slot].1 += f64::from(actual);
        sums[slot].2 += model.expected_purchases(History::from(customer), data.holdout_length);
    }
    sums.into_iter()
        .enumerate()
        .filter(|(_, (n, _, _))| *n > 0)
        .map(|(f, (n, actual, predicted))| HoldoutRow {
            frequency: f as u32,
            customers: n,
            actual: actual / n as f64,
            predicted: predicted / n as f64,
        })
        .collect()
}
