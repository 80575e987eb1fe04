use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AdvocacyError, NetworkValue, NetworkValues};
use crate::util::percentiles;
use crate::{Customer, CustomerBase, CustomerId, Feedback, Policy, Stage};

/// Who counts as an evangelist when the evidence includes what the base
/// alone cannot know: influence and network value, computed higher up.
///
/// A loyal customer qualifies on any one of:
///
/// - at least `min_converted_referrals` referred customers who bought;
/// - a promoter's latest answer and at least `min_public_advocacy` public
///   shares and mentions;
/// - an audience in the top `1 − min_influence_percentile` of customers;
/// - a network value in the top `1 − min_network_value_percentile`.
///
/// The defaults take the first two from the [`Policy`] defaults, so the two
/// agree, and set both percentiles at 0.95: in a power-law follow graph the
/// top twentieth of voices carries most of the word of mouth, and a
/// stricter cut would leave the largest base with few evangelists to court.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvangelistCriteria {
    /// Converted referrals that qualify.
    pub min_converted_referrals: u32,
    /// Public shares and mentions that, with promoter feedback, qualify.
    pub min_public_advocacy: u32,
    /// The audience percentile (the share of the other customers with a
    /// smaller audience) that qualifies, in `[0, 1]`.
    pub min_influence_percentile: f64,
    /// The network-value percentile that qualifies, in `[0, 1]`.
    pub min_network_value_percentile: f64,
}

impl Default for EvangelistCriteria {
    fn default() -> Self {
        let policy = Policy::default();
        EvangelistCriteria {
            min_converted_referrals: policy.evangelist_min_converted_referrals(),
            min_public_advocacy: policy.evangelist_min_public_advocacy(),
            min_influence_percentile: 0.95,
            min_network_value_percentile: 0.95,
        }
    }
}

/// A loyal customer worth developing into an evangelist, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The customer.
    pub customer: CustomerId,
    /// Their network value.
    pub value: NetworkValue,
    /// The evidence, in words.
    pub reasons: Vec<String>,
    /// Whether the evidence meets the [`EvangelistCriteria`].
    pub qualifies: bool,
}

fn is_promoter(customer: &Customer, policy: &Policy) -> bool {
    match customer.latest_feedback() {
        Some(Feedback::Nps(s)) => s.get() >= policy.promoter_min_nps(),
        Some(Feedback::Csat(s)) => s.get() >= policy.promoter_min_csat(),
        _ => false,
    }
}

/// Loyal customers who are not yet evangelists, ranked by network value
/// (highest first), each with the evidence for courting them and whether
/// it already meets `criteria`.
///
/// The stages and the evidence (converted referrals, latest feedback,
/// public shares) are the base's as they stand now, so compute `values` as
/// of the base's latest instant too ([`NetworkInputs::from_base`](super::NetworkInputs::from_base)
/// at it): values from an earlier date judged against today's stages mix
/// two moments.
///
/// # Errors
///
/// [`AdvocacyError::InvalidOption`] when a percentile is outside `[0, 1]`.
///
/// # Complexity
///
/// O(n log n) for n valued customers.
pub fn ambassador_candidates(
    base: &CustomerBase,
    values: &NetworkValues,
    criteria: &EvangelistCriteria,
) -> Result<Vec<Candidate>, AdvocacyError> {
    for (name, p) in [
        ("min_influence_percentile", criteria.min_influence_percentile),
        ("min_network_value_percentile", criteria.min_network_value_percentile),
    ] {
        if !(0.0..=1.0).contains(&p) {
            return Err(AdvocacyError::InvalidOption { name, value: p });
        }
    }
    let audience_pct = percentiles(&values.values.iter().map(|v| v.audience).collect::<Vec<_>>());
    let value_pct = percentiles(&values.values.iter().map(|v| v.total).collect::<Vec<_>>());
    let policy = base.policy();
    let mut candidates = Vec::new();
    for (i, value) in values.values.iter().enumerate() {
        let Some(customer) = base.get(value.customer).filter(|c| c.stage() == Stage::Loyal) else { continue };
        let mut reasons = vec![format!(
            "network value {:.2} (own {:.2}, referral {:.2}, influence {:.2}), above {:.0}% of the other customers",
            value.total,
            value.own,
            value.referral,
            value.influence,
            100.0 * value_pct[i]
        )];
        let referrals = customer.converted_referrals();
        let promoter = is_promoter(customer, policy);
        let advocacy = customer.public_advocacy();
        if referrals > 0 {
            reasons.push(format!("{referrals} referred customers bought"));
        }
        if promoter {
            reasons.push("promoter feedback".to_owned());
        }
        if advocacy > 0 {
            reasons.push(format!("{advocacy} public shares and mentions"));
        }
        if value.audience > 0.0 {
            reasons.push(format!(
                "word reaches about {:.1} people, above {:.0}% of the other customers",
                value.audience,
                100.0 * audience_pct[i]
            ));
        }
        let qualifies = referrals >= criteria.min_converted_referrals as usize
            || (promoter && advocacy >= criteria.min_public_advocacy)
            || (value.audience > 0.0 && audience_pct[i] >= criteria.min_influence_percentile)
            || value_pct[i] >= criteria.min_network_value_percentile;
        candidates.push(Candidate { customer: value.customer, value: *value, reasons, qualifies });
    }
    candidates.sort_by(|a, b| b.value.total.total_cmp(&a.value.total));
    Ok(candidates)
}

/// Runs the base to `at`, then moves every loyal customer whom the data
/// shows to be an evangelist ([`ambassador_candidates`] that qualify) to
/// [`Stage::Evangelist`], by an explicit move whose note gives the evidence.
/// The move stands until the base's own rules derive a different stage.
/// Compute `values` as of `at`, the instant the stages are judged at.
///
/// # Errors
///
/// [`AdvocacyError::InvalidOption`] for bad criteria (nothing is changed);
/// [`AdvocacyError::Base`] if the base refuses a move.
pub fn promote_evangelists(
    base: &mut CustomerBase,
    at: DateTime<Utc>,
    values: &NetworkValues,
    criteria: &EvangelistCriteria,
) -> Result<Vec<Candidate>, AdvocacyError> {
    // Check the criteria before touching the base.
    ambassador_candidates(base, values, criteria)?;
    base.advance_to(at);
    let promoted: Vec<Candidate> =
        ambassador_candidates(base, values, criteria)?.into_iter().filter(|c| c.qualifies).collect();
    let notes: HashMap<CustomerId, String> = promoted.iter().map(|c| (c.customer, c.reasons.join("; "))).collect();
    for candidate in &promoted {
        let note = format!("evangelist from data: {}", notes[&candidate.customer]);
        base.transition(candidate.customer, Stage::Evangelist, at, note).map_err(AdvocacyError::Base)?;
    }
    Ok(promoted)
}
