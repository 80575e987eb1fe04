//! Lifecycle analytics over a whole [`CustomerBase`](crate::CustomerBase):
//! the [`Funnel`] (where customers stand, how many move on from each ladder
//! step, how long they stay, and whether followers become customers), the
//! stage [`TransitionMatrix`] of a period with its projection, and the
//! [`CohortTable`] of retention by acquisition period.
//!
//! Like the scores, the analytics take time explicitly, are deterministic,
//! and leave out customers who withheld profiling consent as of the end of
//! the period or at their latest change (they count in nobody's cohort or
//! stage), saying how many in a field named `left_out`.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::analytics::{CohortPeriod, CohortTable};
//! use customer_lifecycle::{CustomerId, Money};
//!
//! let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
//! let (ana, bo) = (CustomerId::from_key("ana"), CustomerId::from_key("bo"));
//! let log = [(ana, d("2024-01-05"), Money::from_minor(100)), (bo, d("2024-01-20"), Money::from_minor(100)), (ana, d("2024-02-11"), Money::from_minor(100))];
//! let table = CohortTable::from_records(&log, CohortPeriod::Month, d("2024-02-29"));
//! assert_eq!(table.cohorts[0].size, 2);
//! assert_eq!(table.retention(0, 1), Some(0.5));
//! ```

mod cohort;
mod funnel;
mod transitions;

pub use cohort::{Cohort, CohortPeriod, CohortTable};
pub use funnel::{FollowerConversion, Funnel, StageDwell, StepConversion};
pub use transitions::TransitionMatrix;

/// The value at quantile `p` (0..=1) of sorted `values`, by linear
/// interpolation between the closest ranks (numpy's default); `None` when
/// empty.
pub(crate) fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = p * last as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(last);
    let t = position - below as f64;
    Some(sorted[below] + (sorted[above] - sorted[below]) * t)
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[3.0], 0.9), Some(3.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert!((quantile(&[0.0, 10.0], 0.9).unwrap() - 9.0).abs() < 1e-12);
    }
}
