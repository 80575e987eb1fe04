//! Corrections for testing several arms or metrics at once.

use serde::{Deserialize, Serialize};

use super::super::CampaignError;

/// How to adjust p-values for multiple comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Holm's step-down method (1979): controls the family-wise error rate,
    /// uniformly more powerful than Bonferroni.
    Holm,
    /// Benjamini & Hochberg's step-up method (1995): controls the false
    /// discovery rate.
    BenjaminiHochberg,
}

/// The adjusted p-values, in the order given.
///
/// Reject the hypotheses whose adjusted p-value is below your level. The
/// values equal statsmodels' `multipletests(method="holm")` and
/// `multipletests(method="fdr_bh")` corrected p-values.
///
/// # Formula
///
/// With the m p-values sorted ascending, p₍₁₎ ≤ … ≤ p₍ₘ₎:
///
/// ```text
/// Holm:  q₍ᵢ₎ = min(1, max_{j ≤ i} (m − j + 1) p₍ⱼ₎)
/// BH:    q₍ᵢ₎ = min(1, min_{j ≥ i} m p₍ⱼ₎ / j)
/// ```
///
/// # Errors
///
/// [`CampaignError::NoPValues`] for an empty slice and
/// [`CampaignError::InvalidPValue`] for a value outside [0, 1] (or NaN),
/// naming its position.
///
/// # Complexity
///
/// O(m log m).
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::{Correction, adjust_p_values};
///
/// let p = [0.01, 0.04, 0.03, 0.005];
/// assert_eq!(adjust_p_values(&p, Correction::Holm)?, [0.03, 0.06, 0.06, 0.02]);
/// let bh = adjust_p_values(&p, Correction::BenjaminiHochberg)?;
/// assert!((bh[1] - 0.04).abs() < 1e-12 && (bh[3] - 0.02).abs() < 1e-12);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
pub fn adjust_p_values(p_values: &[f64], correction: Correction) -> Result<Vec<f64>, CampaignError> {
    if p_values.is_empty() {
        return Err(CampaignError::NoPValues);
    }
    if let Some((index, &value)) = p_values.iter().enumerate().find(|(_, p)| !(0.0..=1.0).contains(*p)) {
        return Err(CampaignError::InvalidPValue { index, value });
    }
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    // Ties may go either way: tied p-values get the same adjusted value.
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let mut adjusted = vec![0.0; m];
    match correction {
        Correction::Holm => {
            let mut running = 0.0_f64;
            for (rank, &i) in order.iter().enumerate() {
                running = running.max((m - rank) as f64 * p_values[i]);
                adjusted[i] = running.min(1.0);
            }
        }
        Correction::BenjaminiHochberg => {
            let mut running = f64::INFINITY;
            for (rank, &i) in order.iter().enumerate().rev() {
                running = running.min(p_values[i] * m as f64 / (rank + 1) as f64);
                adjusted[i] = running.min(1.0);
            }
        }
    }
    Ok(adjusted)
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_p_values() {
        assert_eq!(adjust_p_values(&[], Correction::Holm), Err(CampaignError::NoPValues));
        assert!(matches!(
            adjust_p_values(&[0.1, f64::NAN], Correction::Holm),
            Err(CampaignError::InvalidPValue { index: 1, .. })
        ));
        assert!(adjust_p_values(&[1.5], Correction::BenjaminiHochberg).is_err());
    }

    #[test]
    fn adjusted_values_never_fall_below_the_raw_ones() {
        let p = [0.2, 0.001, 0.04, 0.04, 0.9, 0.03];
        for c in [Correction::Holm, Correction::BenjaminiHochberg] {
            let q = adjust_p_values(&p, c).unwrap();
            assert!(q.iter().zip(&p).all(|(q, p)| q >= p && *q <= 1.0));
            assert_eq!(q[2], q[3], "ties adjust alike");
        }
    }
}
