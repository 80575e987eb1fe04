use serde::{Deserialize, Serialize};

/// An impossible [`Policy`] setting, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid policy: `{field}` {reason}")]
pub struct PolicyError {
    /// The field, as named in the JSON form.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

macro_rules! policy {
    ($( $(#[$doc:meta])* $field:ident : $ty:ty = $default:expr ;)*) => {
        /// The rules that derive a customer's [`Stage`](crate::Stage) from their
        /// events and the passage of time.
        ///
        /// A customer's stage is the first of these that holds, as of an
        /// instant `t`:
        ///
        /// 1. no purchase yet: `Prospect`;
        /// 2. no purchase for `churned_after_days`: `Churned`;
        /// 3. no purchase for `dormant_after_days`: `Dormant`;
        /// 4. otherwise the highest ladder stage whose condition holds, each
        ///    condition including those below it:
        ///    - `New`: at least one purchase;
        ///    - `Satisfied`: in good standing (no unresolved complaint, and the
        ///      latest feedback is not a detractor's) and either the latest
        ///      feedback is positive (NPS ≥ `satisfied_min_nps` or CSAT ≥
        ///      `satisfied_min_csat`), or the customer bought again, or
        ///      `satisfied_after_days` have passed since the first purchase;
        ///    - `Repeat`: at least `repeat_min_purchases` purchases. Buying
        ///      again is behaviour, not attitude, so a repeat customer stays
        ///      repeat whatever their standing;
        ///    - `Loyal`: in good standing, at least `loyal_min_purchases`
        ///      purchases, the first and the last at least
        ///      `loyal_min_span_days` apart, the last less than
        ///      `loyal_max_idle_days` ago;
        ///    - `Evangelist`: at least `evangelist_min_converted_referrals`
        ///      referred customers who made their first purchase after being
        ///      referred, or promoter feedback (NPS ≥ `promoter_min_nps` or
        ///      CSAT ≥ `promoter_min_csat`, the latest answer) together with at
        ///      least `evangelist_min_public_advocacy` public shares and mentions.
        ///
        /// A detractor answer is NPS ≤ `detractor_max_nps` or CSAT ≤
        /// `detractor_max_csat`. So an unresolved complaint or detractor
        /// feedback demotes a satisfied customer to `New` and a loyal customer
        /// or evangelist to `Repeat`, until it is resolved or a better answer
        /// comes; a customer who buys again after dormancy or churn is
        /// reactivated to the ladder stage their history earns. Windows are
        /// whole days of 86,400 seconds; "no purchase for D days" holds from
        /// the instant D days after the last purchase.
        ///
        /// Build one with [`Policy::builder`], or read it from JSON (every
        /// field optional, defaulting as documented; unknown fields are an
        /// error). Impossible settings are rejected with a [`PolicyError`]
        /// naming the field.
        ///
        /// # Example
        ///
        /// ```
        /// use customer_lifecycle::Policy;
        ///
        /// let policy = Policy::builder().dormant_after_days(60).churned_after_days(180).build()?;
        /// assert_eq!(policy.dormant_after_days(), 60);
        ///
        /// let from_json: Policy = serde_json::from_str(r#"{"dormant_after_days": 60, "churned_after_days": 180}"#)?;
        /// assert_eq!(from_json, policy);
        ///
        /// let err = Policy::builder().churned_after_days(30).build().unwrap_err();
        /// assert_eq!(err.field, "churned_after_days");
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(try_from = "PolicyBuilder", into = "PolicyBuilder")]
        pub struct Policy {
            $( $field: $ty, )*
        }

        /// Builds a [`Policy`]: every setting starts at its documented default.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct PolicyBuilder {
            $( $field: $ty, )*
        }

        impl Default for PolicyBuilder {
            fn default() -> Self {
                PolicyBuilder { $( $field: $default, )* }
            }
        }

        impl PolicyBuilder {
            $(
                $(#[$doc])*
                #[doc = concat!("\n\nDefault: `", stringify!($default), "`.")]
                #[must_use]
                pub fn $field(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*

            /// Checks the settings and returns the policy.
            ///
            /// # Errors
            ///
            /// [`PolicyError`] naming the first impossible field.
            pub fn build(self) -> Result<Policy, PolicyError> {
                self.validate()?;
                Ok(Policy { $( $field: self.$field, )* })
            }
        }

        impl Policy {
            $(
                $(#[$doc])*
                pub fn $field(&self) -> $ty {
                    self.$field
                }
            )*

            /// A builder starting from the defaults.
            pub fn builder() -> PolicyBuilder {
                PolicyBuilder::default()
            }

            /// A builder starting from this policy's settings.
            pub fn to_builder(&self) -> PolicyBuilder {
                PolicyBuilder { $( $field: self.$field, )* }
            }
        }

        impl From<Policy> for PolicyBuilder {
            fn from(policy: Policy) -> Self {
                policy.to_builder()
            }
        }
    };
}

policy! {
    /// Lowest NPS answer (0..=10) that counts as positive feedback.
    satisfied_min_nps: u8 = 7;
    /// Lowest CSAT answer (1..=5) that counts as positive feedback.
    satisfied_min_csat: u8 = 4;
    /// Days after the first purchase after which a customer in good standing
    /// counts as satisfied without feedback.
    satisfied_after_days: u32 = 30;
    /// Highest NPS answer that marks a detractor.
    detractor_max_nps: u8 = 6;
    /// Highest CSAT answer that marks a detractor.
    detractor_max_csat: u8 = 2;
    /// Lowest NPS answer that marks a promoter.
    promoter_min_nps: u8 = 9;
    /// Lowest CSAT answer that marks a promoter.
    promoter_min_csat: u8 = 5;
    /// Purchases that make a repeat customer (at least 2).
    repeat_min_purchases: u32 = 2;
    /// Purchases that a loyal customer has made at least.
    loyal_min_purchases: u32 = 4;
    /// Days that a loyal customer's first and last purchases span at least.
    loyal_min_span_days: u32 = 90;
    /// A loyal customer bought less than this many days ago.
    loyal_max_idle_days: u32 = 90;
    /// Converted referrals that make a loyal customer an evangelist.
    evangelist_min_converted_referrals: u32 = 2;
    /// Public shares and mentions that, with promoter feedback, make a loyal
    /// customer an evangelist.
    evangelist_min_public_advocacy: u32 = 3;
    /// Days without a purchase after which a customer is dormant.
    dormant_after_days: u32 = 120;
    /// Days without a purchase after which a customer has churned; more than
    /// `dormant_after_days`.
    churned_after_days: u32 = 365;
    /// How many days older than a customer's last update an event may be
    /// (`None`: any age). A late event revises the customer's history; a
    /// shop that wants to cap that work sets a bound, and older events are
    /// then refused with [`BaseError::OutOfOrder`](crate::error::BaseError::OutOfOrder).
    max_lateness_days: Option<u32> = None;
}

impl Default for Policy {
    fn default() -> Self {
        Policy::builder().build().expect("the default policy is valid")
    }
}

impl TryFrom<PolicyBuilder> for Policy {
    type Error = PolicyError;

    fn try_from(builder: PolicyBuilder) -> Result<Self, PolicyError> {
        builder.build()
    }
}

/// Windows are turned into durations; keep them far from chrono's limits.
const MAX_DAYS: u32 = 100 * 366;

impl PolicyBuilder {
    fn validate(&self) -> Result<(), PolicyError> {
        let fail = |field: &'static str, reason: String| Err(PolicyError { field, reason });
        for (field, value) in [
            ("satisfied_min_nps", self.satisfied_min_nps),
            ("detractor_max_nps", self.detractor_max_nps),
            ("promoter_min_nps", self.promoter_min_nps),
        ] {
            if value > 10 {
                return fail(field, format!("is {value}; NPS answers lie in 0..=10"));
            }
        }
        for (field, value) in [
            ("satisfied_min_csat", self.satisfied_min_csat),
            ("detractor_max_csat", self.detractor_max_csat),
            ("promoter_min_csat", self.promoter_min_csat),
        ] {
            if !(1..=5).contains(&value) {
                return fail(field, format!("is {value}; CSAT answers lie in 1..=5"));
            }
        }
        if self.detractor_max_nps >= self.satisfied_min_nps {
            return fail(
                "detractor_max_nps",
                format!("({}) must be below satisfied_min_nps ({})", self.detractor_max_nps, self.satisfied_min_nps),
            );
        }
        if self.promoter_min_nps < self.satisfied_min_nps {
            return fail(
                "promoter_min_nps",
                format!("({}) must be at least satisfied_min_nps ({})", self.promoter_min_nps, self.satisfied_min_nps),
            );
        }
        if self.detractor_max_csat >= self.satisfied_min_csat {
            return fail(
                "detractor_max_csat",
                format!("({}) must be below satisfied_min_csat ({})", self.detractor_max_csat, self.satisfied_min_csat),
            );
        }
        if self.promoter_min_csat < self.satisfied_min_csat {
            return fail(
                "promoter_min_csat",
                format!(
                    "({}) must be at least satisfied_min_csat ({})",
                    self.promoter_min_csat, self.satisfied_min_csat
                ),
            );
        }
        if self.repeat_min_purchases < 2 {
            return fail(
                "repeat_min_purchases",
                format!("is {}; a repeat customer has bought at least twice", self.repeat_min_purchases),
            );
        }
        if self.loyal_min_purchases < self.repeat_min_purchases {
            return fail(
                "loyal_min_purchases",
                format!(
                    "({}) must be at least repeat_min_purchases ({})",
                    self.loyal_min_purchases, self.repeat_min_purchases
                ),
            );
        }
        for (field, value) in [
            ("loyal_max_idle_days", self.loyal_max_idle_days),
            ("evangelist_min_converted_referrals", self.evangelist_min_converted_referrals),
            ("evangelist_min_public_advocacy", self.evangelist_min_public_advocacy),
            ("dormant_after_days", self.dormant_after_days),
        ] {
            if value == 0 {
                return fail(field, "must be at least 1".to_owned());
            }
        }
        for (field, value) in [
            ("satisfied_after_days", self.satisfied_after_days),
            ("loyal_min_span_days", self.loyal_min_span_days),
            ("loyal_max_idle_days", self.loyal_max_idle_days),
            ("churned_after_days", self.churned_after_days),
        ] {
            if value > MAX_DAYS {
                return fail(field, format!("is {value}; windows are at most {MAX_DAYS} days"));
            }
        }
        if let Some(days) = self.max_lateness_days.filter(|&d| d > MAX_DAYS) {
            return fail("max_lateness_days", format!("is {days}; windows are at most {MAX_DAYS} days"));
        }
        if self.churned_after_days <= self.dormant_after_days {
            return fail(
                "churned_after_days",
                format!(
                    "({}) must be longer than dormant_after_days ({})",
                    self.churned_after_days, self.dormant_after_days
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_round_trips() {
        let policy = Policy::default();
        let json = serde_json::to_string(&policy).unwrap();
        assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), policy);
        assert_eq!(serde_json::from_str::<Policy>("{}").unwrap(), policy);
    }

    #[test]
    fn impossible_settings_name_their_field() {
        let cases: Vec<(PolicyBuilder, &str)> = vec![
            (Policy::builder().satisfied_min_nps(11), "satisfied_min_nps"),
            (Policy::builder().promoter_min_nps(12), "promoter_min_nps"),
            (Policy::builder().satisfied_min_csat(0), "satisfied_min_csat"),
            (Policy::builder().detractor_max_nps(8), "detractor_max_nps"),
            (Policy::builder().promoter_min_nps(5), "promoter_min_nps"),
            (Policy::builder().detractor_max_csat(4), "detractor_max_csat"),
            (Policy::builder().promoter_min_csat(3), "promoter_min_csat"),
            (Policy::builder().repeat_min_purchases(1), "repeat_min_purchases"),
            (Policy::builder().loyal_min_purchases(1), "loyal_min_purchases"),
            (Policy::builder().dormant_after_days(0), "dormant_after_days"),
            (Policy::builder().loyal_max_idle_days(0), "loyal_max_idle_days"),
            (Policy::builder().evangelist_min_converted_referrals(0), "evangelist_min_converted_referrals"),
            (Policy::builder().churned_after_days(120), "churned_after_days"),
            (Policy::builder().churned_after_days(u32::MAX), "churned_after_days"),
        ];
        for (builder, field) in cases {
            let err = builder.build().unwrap_err();
            assert_eq!(err.field, field, "{err}");
            assert!(err.to_string().contains(field));
        }
    }

    #[test]
    fn json_is_validated_and_strict() {
        let err = serde_json::from_str::<Policy>(r#"{"churned_after_days": 10}"#).unwrap_err();
        assert!(err.to_string().contains("churned_after_days"), "{err}");
        assert!(serde_json::from_str::<Policy>(r#"{"dormant_days": 10}"#).is_err());
    }
}
