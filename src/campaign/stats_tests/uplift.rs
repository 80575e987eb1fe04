//! [`Uplift`]: a treatment arm against its control on conversion, revenue
//! per customer and movement up the ladder, by the tests of this directory.

use serde::{Deserialize, Serialize};

use super::super::experiment::ArmOutcome;
use super::{Proportion, ProportionTest, WelchTest};

/// The uplift of a treatment arm over its control on conversion, revenue
/// per customer and movement up the ladder. Each test is `None` where it is
/// undefined (nobody or everybody converted or moved, no spread in spend, an
/// arm with fewer than two customers).
///
/// # Example
///
/// ```
/// use customer_lifecycle::Money;
/// use customer_lifecycle::campaign::{ArmOutcome, Moments, Uplift};
///
/// let arm = |name: &str, conversions, moved_up, mean| ArmOutcome {
///     arm: name.into(),
///     holdout: name == "control",
///     customers: 1000,
///     conversions,
///     revenue: Money::ZERO,
///     revenue_per_customer: Moments { n: 1000, mean, variance: 100.0 },
///     moved_up,
/// };
/// let uplift = Uplift::between(&arm("control", 100, 50, 5.0), &arm("offer", 130, 50, 6.0));
/// assert!((uplift.conversion.unwrap().diff - 0.03).abs() < 1e-12);
/// assert_eq!(uplift.revenue_per_customer.unwrap().diff, 1.0);
/// assert_eq!(uplift.moved_up.unwrap().diff, 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Uplift {
    /// Conversion rate, treatment against control.
    pub conversion: Option<ProportionTest>,
    /// Revenue per customer, treatment against control.
    pub revenue_per_customer: Option<WelchTest>,
    /// The share who moved up the ladder, treatment against control.
    pub moved_up: Option<ProportionTest>,
}

impl Uplift {
    /// `treatment` against `control`.
    pub fn between(control: &ArmOutcome, treatment: &ArmOutcome) -> Self {
        Uplift {
            conversion: ProportionTest::new(
                Proportion { conversions: control.conversions, n: control.customers },
                Proportion { conversions: treatment.conversions, n: treatment.customers },
            )
            .ok(),
            revenue_per_customer: WelchTest::new(control.revenue_per_customer, treatment.revenue_per_customer).ok(),
            moved_up: ProportionTest::new(
                Proportion { conversions: control.moved_up, n: control.customers },
                Proportion { conversions: treatment.moved_up, n: treatment.customers },
            )
            .ok(),
        }
    }
}
