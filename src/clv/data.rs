//! The columns the fits run over: distinct histories with counts, so that
//! customers who share a history share one likelihood term.

use serde::{Deserialize, Serialize};

use crate::clv::{ClvError, CustomerSummary, TimeUnit};

/// Purchase histories `(x, t_x, T)` for the purchase-process models, stored
/// as distinct patterns with their counts, sorted by `x`.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::FitData;
///
/// let data = FitData::from_rows([(0, 0.0, 10.0, 1.0), (2, 4.0, 10.0, 1.0), (0, 0.0, 10.0, 3.0)])?;
/// assert_eq!(data.patterns(), 2);
/// assert_eq!(data.customers(), 5.0);
/// // Saved as its rows; loading validates them again.
/// let json = serde_json::to_string(&data)?;
/// assert_eq!(serde_json::from_str::<FitData>(&json)?, data);
/// assert!(serde_json::from_str::<FitData>(r#"{"rows":[[0,1.0,2.0,1.0]],"time_unit":null}"#).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FitRows", into = "FitRows")]
pub struct FitData {
    pub(crate) x: Vec<u32>,
    pub(crate) t_x: Vec<f64>,
    pub(crate) t: Vec<f64>,
    pub(crate) count: Vec<f64>,
    pub(crate) time_unit: Option<TimeUnit>,
    /// The distinct values of `T` and, per pattern, the index of its own:
    /// histories observed daily share few values, so the likelihoods take
    /// each logarithm once per value rather than once per pattern.
    pub(crate) t_levels: Levels,
    /// As `t_levels`, for `t_x`.
    pub(crate) t_x_levels: Levels,
}

/// The distinct values of a column and each row's index into them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Levels {
    pub values: Vec<f64>,
    pub index: Vec<u32>,
}

impl Levels {
    fn of(column: &[f64]) -> Levels {
        let mut values = column.to_vec();
        values.sort_unstable_by(f64::total_cmp);
        values.dedup();
        let index = column
            .iter()
            .map(|v| values.binary_search_by(|probe| probe.total_cmp(v)).expect("value is present") as u32)
            .collect();
        Levels { values, index }
    }
}

/// The serialised form of [`FitData`]: its rows and time unit.
#[derive(Serialize, Deserialize)]
struct FitRows {
    rows: Vec<(u32, f64, f64, f64)>,
    time_unit: Option<TimeUnit>,
}

impl From<FitData> for FitRows {
    fn from(data: FitData) -> Self {
        FitRows { rows: data.rows().collect(), time_unit: data.time_unit }
    }
}

impl TryFrom<FitRows> for FitData {
    type Error = ClvError;

    fn try_from(rows: FitRows) -> Result<Self, ClvError> {
        let data = FitData::from_rows(rows.rows)?;
        Ok(match rows.time_unit {
            Some(unit) => data.with_time_unit(unit),
            None => data,
        })
    }
}

impl FitData {
    /// Collects `(x, t_x, T, count)` rows: `x` repeat purchases, the last at
    /// `t_x`, observed for `T` since the first; `count` customers (or a
    /// weight) with that history. Equal histories are combined.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] naming the row when a value is not finite,
    /// `t_x` is negative or after `T`, `t_x` is not 0 for `x = 0`, or the
    /// count is not positive.
    ///
    /// # Complexity
    ///
    /// O(n log n) for n rows.
    pub fn from_rows(rows: impl IntoIterator<Item = (u32, f64, f64, f64)>) -> Result<FitData, ClvError> {
        let mut all: Vec<(u32, f64, f64, f64)> = Vec::new();
        for (row, (x, t_x, t, count)) in rows.into_iter().enumerate() {
            let bad = |reason| Err(ClvError::InvalidData { row, reason });
            if !(t_x.is_finite() && t.is_finite() && count.is_finite()) {
                return bad("non-finite value");
            }
            if t_x < 0.0 || t_x > t {
                return bad("recency must lie in [0, T]");
            }
            if x == 0 && t_x != 0.0 {
                return bad("recency must be 0 without repeat purchases");
            }
            if count <= 0.0 {
                return bad("count must be positive");
            }
            all.push((x, t_x, t, count));
        }
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)));
        let mut data = FitData {
            x: Vec::new(),
            t_x: Vec::new(),
            t: Vec::new(),
            count: Vec::new(),
            time_unit: None,
            t_levels: Levels::default(),
            t_x_levels: Levels::default(),
        };
        for (x, t_x, t, count) in all {
            let n = data.x.len();
            if n > 0 && data.x[n - 1] == x && data.t_x[n - 1] == t_x && data.t[n - 1] == t {
                data.count[n - 1] += count;
            } else {
                data.x.push(x);
                data.t_x.push(t_x);
                data.t.push(t);
                data.count.push(count);
            }
        }
        data.t_levels = Levels::of(&data.t);
        data.t_x_levels = Levels::of(&data.t_x);
        Ok(data)
    }

    /// The histories of summarised customers, one each.
    ///
    /// # Errors
    ///
    /// As [`from_rows`](Self::from_rows).
    pub fn from_summary(customers: &[CustomerSummary]) -> Result<FitData, ClvError> {
        FitData::from_rows(customers.iter().map(|c| (c.frequency, c.recency, c.t, 1.0)))
    }

    /// Records the time unit of `t_x` and `T`, which fits carry along.
    #[must_use]
    pub fn with_time_unit(mut self, time_unit: TimeUnit) -> Self {
        self.time_unit = Some(time_unit);
        self
    }

    /// The time unit, when recorded.
    pub fn time_unit(&self) -> Option<TimeUnit> {
        self.time_unit
    }

    /// The distinct `(x, t_x, T, count)` rows, sorted by `x`.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = (u32, f64, f64, f64)> + '_ {
        (0..self.x.len()).map(|i| (self.x[i], self.t_x[i], self.t[i], self.count[i]))
    }

    /// The number of distinct `(x, t_x, T)` patterns.
    pub fn patterns(&self) -> usize {
        self.x.len()
    }

    /// The total count (customers).
    pub fn customers(&self) -> f64 {
        self.count.iter().sum()
    }

    /// Whether there is no data.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Runs of equal `x`: `(x, start, end)` index ranges into the columns.
    pub(crate) fn groups(&self) -> impl Iterator<Item = (u32, usize, usize)> + '_ {
        runs(&self.x)
    }

    /// The data in canonical units, as the fits search them: times divided
    /// by the weighted mean `T`, counts by their total, so that neither the
    /// time unit nor the scale of the weights reaches the search. Returns
    /// the copy, the time scale and the total weight. Needs some `T > 0`
    /// ([`check_identifiable`](Self::check_identifiable)).
    pub(crate) fn canonical(&self) -> (FitData, f64, f64) {
        let (shares, weight) = shares(&self.count);
        let time = self.t.iter().zip(&shares).map(|(t, w)| t * w).sum::<f64>();
        let per = |column: &[f64]| column.iter().map(|v| v / time).collect::<Vec<f64>>();
        let levels = |levels: &Levels| Levels { values: per(&levels.values), index: levels.index.clone() };
        let data = FitData {
            x: self.x.clone(),
            t_x: per(&self.t_x),
            t: per(&self.t),
            count: shares,
            time_unit: self.time_unit,
            t_levels: levels(&self.t_levels),
            t_x_levels: levels(&self.t_x_levels),
        };
        (data, time, weight)
    }

    pub(crate) fn check_identifiable(&self) -> Result<(), ClvError> {
        if self.is_empty() {
            return Err(ClvError::Unidentifiable { reason: "no customers" });
        }
        if self.x.iter().all(|&x| x == 0) {
            return Err(ClvError::Unidentifiable { reason: "no repeat purchases (all frequencies are zero)" });
        }
        if self.t.iter().all(|&t| t == 0.0) {
            return Err(ClvError::Unidentifiable { reason: "no observation time (every T is zero)" });
        }
        Ok(())
    }
}

/// Spend histories `(x, m̄)` for the Gamma-Gamma model: repeat purchases and
/// their mean value, as distinct pairs with counts.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::SpendData;
///
/// let data = SpendData::from_rows([(2, 20.0, 1.0), (1, 35.5, 2.0), (2, 20.0, 1.0)])?;
/// assert_eq!(data.patterns(), 2);
/// # Ok::<(), customer_lifecycle::clv::ClvError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendData {
    pub(crate) x: Vec<u32>,
    pub(crate) mean: Vec<f64>,
    pub(crate) count: Vec<f64>,
}

impl SpendData {
    /// Collects `(x, m̄, count)` rows with `x ≥ 1` and `m̄ > 0`.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] naming the row when `x` is 0, `m̄` is not a
    /// positive finite number, or the count is not positive.
    ///
    /// # Complexity
    ///
    /// O(n log n) for n rows.
    pub fn from_rows(rows: impl IntoIterator<Item = (u32, f64, f64)>) -> Result<SpendData, ClvError> {
        let mut all = Vec::new();
        for (row, (x, mean, count)) in rows.into_iter().enumerate() {
            let bad = |reason| Err(ClvError::InvalidData { row, reason });
            if x == 0 {
                return bad("the spend model needs at least one repeat purchase");
            }
            if !(mean.is_finite() && mean > 0.0) {
                return bad("mean value must be positive and finite");
            }
            if !(count.is_finite() && count > 0.0) {
                return bad("count must be positive");
            }
            all.push((x, mean, count));
        }
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut data = SpendData { x: Vec::new(), mean: Vec::new(), count: Vec::new() };
        for (x, mean, count) in all {
            let n = data.x.len();
            if n > 0 && data.x[n - 1] == x && data.mean[n - 1] == mean {
                data.count[n - 1] += count;
            } else {
                data.x.push(x);
                data.mean.push(mean);
                data.count.push(count);
            }
        }
        Ok(data)
    }

    /// The customers with at least one repeat purchase and a positive mean
    /// repeat value, one each; the others are left out (see
    /// [`customers`](Self::customers) for how many were used).
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] for a non-finite mean value.
    pub fn from_summary(customers: &[CustomerSummary]) -> Result<SpendData, ClvError> {
        if let Some(row) = customers.iter().position(|c| !c.monetary_value.is_finite()) {
            return Err(ClvError::InvalidData { row, reason: "non-finite mean value" });
        }
        SpendData::from_rows(
            customers
                .iter()
                .filter(|c| c.frequency > 0 && c.monetary_value > 0.0)
                .map(|c| (c.frequency, c.monetary_value, 1.0)),
        )
    }

    /// The data in canonical units, as the fit searches them: mean values
    /// divided by their weighted mean, counts by their total. Returns the
    /// copy, the money scale and the total weight.
    pub(crate) fn canonical(&self) -> (SpendData, f64, f64) {
        let (shares, weight) = shares(&self.count);
        let money = self.mean.iter().zip(&shares).map(|(m, w)| m * w).sum::<f64>();
        let data = SpendData { x: self.x.clone(), mean: self.mean.iter().map(|m| m / money).collect(), count: shares };
        (data, money, weight)
    }

    /// The distinct `(x, m̄, count)` rows, sorted by `x`.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = (u32, f64, f64)> + '_ {
        (0..self.x.len()).map(|i| (self.x[i], self.mean[i], self.count[i]))
    }

    /// The number of distinct `(x, m̄)` pairs.
    pub fn patterns(&self) -> usize {
        self.x.len()
    }

    /// The total count (customers).
    pub fn customers(&self) -> f64 {
        self.count.iter().sum()
    }

    /// Whether there is no data.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Runs of equal `x`: `(x, start, end)` index ranges into the columns.
    pub(crate) fn groups(&self) -> impl Iterator<Item = (u32, usize, usize)> + '_ {
        runs(&self.x)
    }
}

/// Each count's share of the total, and the total; the counts are first
/// divided by the largest, so that a total beyond `f64` still gives shares.
fn shares(count: &[f64]) -> (Vec<f64>, f64) {
    let largest = count.iter().fold(0.0f64, |m, &c| m.max(c));
    let relative: Vec<f64> = count.iter().map(|c| c / largest).collect();
    let sum: f64 = relative.iter().sum();
    (relative.iter().map(|r| r / sum).collect(), sum * largest)
}

/// Runs of equal values in `x` (sorted columns keep each value's rows
/// together): `(value, start, end)` index ranges.
fn runs(x: &[u32]) -> impl Iterator<Item = (u32, usize, usize)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        let &value = x.get(start)?;
        let end = start + x[start..].iter().take_while(|&&v| v == value).count();
        let run = (value, start, end);
        start = end;
        Some(run)
    })
}
