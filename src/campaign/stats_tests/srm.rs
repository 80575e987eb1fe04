//! The sample-ratio mismatch check: did the arms get the share of units
//! they were meant to?

use serde::{Deserialize, Serialize};

use super::super::CampaignError;
use super::super::stats::chi_squared_sf;

/// The χ² goodness-of-fit test of observed arm sizes against the sizes their
/// weights call for.
///
/// A mismatch means the assignment or the logging is broken (a redirect
/// that drops some users, a bot filter that hits one arm): the experiment's
/// other numbers cannot be trusted, however significant. Every experiment
/// report should run it first.
///
/// # Formula
///
/// With k arms, observed sizes Oᵢ, weights wᵢ and total `T = ΣOᵢ`:
///
/// ```text
/// Eᵢ      = T · wᵢ / Σw
/// χ²      = Σ (Oᵢ − Eᵢ)² / Eᵢ
/// p_value = 1 − F_χ²(k − 1)(χ²)
/// mismatch = p_value < threshold          (0.001 by default)
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::SampleRatioTest;
///
/// // A 50/50 test that came out 5,000 against 5,400.
/// let srm = SampleRatioTest::new(&[5000, 5400], None)?;
/// assert!(srm.mismatch);
/// assert!(!SampleRatioTest::new(&[5000, 5050], None)?.mismatch);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleRatioTest {
    /// The statistic.
    pub chi2: f64,
    /// Its p-value, with k − 1 degrees of freedom.
    pub p_value: f64,
    /// Whether the p-value is below the threshold.
    pub mismatch: bool,
}

impl SampleRatioTest {
    /// The threshold that [`new`](SampleRatioTest::new) flags below.
    pub const DEFAULT_THRESHOLD: f64 = 0.001;

    /// The test of `observed` arm sizes against `weights` (equal when
    /// `None`), flagging p < [`DEFAULT_THRESHOLD`](Self::DEFAULT_THRESHOLD).
    ///
    /// # Errors
    ///
    /// As [`with_threshold`](SampleRatioTest::with_threshold).
    pub fn new(observed: &[u64], weights: Option<&[f64]>) -> Result<Self, CampaignError> {
        Self::with_threshold(observed, weights, Self::DEFAULT_THRESHOLD)
    }

    /// The test, flagging p < `threshold`.
    ///
    /// # Errors
    ///
    /// [`CampaignError::TooFewArms`] for fewer than two arms,
    /// [`CampaignError::WeightCount`] when the weights are not one per arm,
    /// [`CampaignError::InvalidWeight`] for a weight that is not finite and
    /// positive, [`CampaignError::EmptyGroup`] when no unit was observed,
    /// [`CampaignError::OutsideUnitInterval`] for a threshold outside (0, 1).
    ///
    /// # Complexity
    ///
    /// O(k) and one χ² distribution function.
    pub fn with_threshold(observed: &[u64], weights: Option<&[f64]>, threshold: f64) -> Result<Self, CampaignError> {
        if observed.len() < 2 {
            return Err(CampaignError::TooFewArms { arms: observed.len() });
        }
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(CampaignError::OutsideUnitInterval { name: "threshold", value: threshold });
        }
        let equal = vec![1.0; observed.len()];
        let weights = weights.unwrap_or(&equal);
        if weights.len() != observed.len() {
            return Err(CampaignError::WeightCount { weights: weights.len(), arms: observed.len() });
        }
        if let Some((index, &value)) = weights.iter().enumerate().find(|(_, w)| !(w.is_finite() && **w > 0.0)) {
            return Err(CampaignError::InvalidWeight { index, value });
        }
        let total: f64 = observed.iter().map(|&o| o as f64).sum();
        if total == 0.0 {
            return Err(CampaignError::EmptyGroup { group: "all arms" });
        }
        let weight_sum: f64 = weights.iter().sum();
        let chi2: f64 = observed
            .iter()
            .zip(weights)
            .map(|(&o, &w)| {
                let expected = total * w / weight_sum;
                (o as f64 - expected).powi(2) / expected
            })
            .sum();
        let p_value = chi_squared_sf(chi2, (observed.len() - 1) as f64);
        Ok(SampleRatioTest { chi2, p_value, mismatch: p_value < threshold })
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_it_cannot_test() {
        assert_eq!(SampleRatioTest::new(&[10], None), Err(CampaignError::TooFewArms { arms: 1 }));
        assert_eq!(SampleRatioTest::new(&[0, 0], None), Err(CampaignError::EmptyGroup { group: "all arms" }));
        assert!(matches!(
            SampleRatioTest::new(&[1, 2], Some(&[1.0, 0.0])),
            Err(CampaignError::InvalidWeight { index: 1, .. })
        ));
        assert!(matches!(SampleRatioTest::new(&[1, 2], Some(&[1.0])), Err(CampaignError::WeightCount { .. })));
    }

    #[test]
    fn exact_split_has_no_mismatch() {
        let t = SampleRatioTest::new(&[300, 100], Some(&[3.0, 1.0])).unwrap();
        assert_eq!(t.chi2, 0.0);
        assert_eq!(t.p_value, 1.0);
        assert!(!t.mismatch);
    }
}
