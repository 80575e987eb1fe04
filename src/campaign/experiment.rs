//! Experiments: the stable assignment of customers to arms
//! ([`assignment_hash`], [`Experiment`]) and what happened in each arm
//! ([`ArmOutcome`], [`Covariate`]). The tests that compare arms are in
//! `stats_tests/`, one file per test.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::report::is_up;
use super::stats_tests::{CrossSums, Moments, SampleRatioTest, Welford};
use super::{Audience, CampaignError};
use crate::base::{Kind, Record};
use crate::{Customer, CustomerBase, CustomerId, Money, Window};

/// The prefix hashed before the seed and the customer id.
const ASSIGNMENT_DOMAIN: &[u8] = b"customer-lifecycle/experiment\0";

/// The 64-bit assignment hash of a customer under a seed.
///
/// It is the first eight bytes, read big-endian, of the SHA-1 digest (FIPS
/// 180-4) of the bytes of `"customer-lifecycle/experiment"`, a zero byte, the
/// seed as eight big-endian bytes, and the customer's UUID as its sixteen
/// bytes. It depends on nothing else — no process, machine or release — so a
/// customer's arm never changes while the seed and arms stay the same.
///
/// # Example
///
/// ```
/// use customer_lifecycle::CustomerId;
/// use customer_lifecycle::campaign::assignment_hash;
///
/// let id: CustomerId = "00000000-0000-0000-0000-000000000000".parse()?;
/// assert_eq!(assignment_hash(0, id), 0x3ae9_88f5_48e2_4a67);
/// # Ok::<(), customer_lifecycle::error::ParseIdError>(())
/// ```
pub fn assignment_hash(seed: u64, customer: CustomerId) -> u64 {
    use sha1::Digest;
    let mut sha = sha1::Sha1::new();
    sha.update(ASSIGNMENT_DOMAIN);
    sha.update(seed.to_be_bytes());
    sha.update(customer.as_uuid().as_bytes());
    let digest = sha.finalize();
    u64::from_be_bytes(digest[..8].try_into().expect("a SHA-1 digest has 20 bytes"))
}

/// One arm of an experiment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arm {
    /// Its name, unique within the experiment.
    pub name: String,
    /// Its relative weight: an arm of weight 3 gets three times the
    /// customers of an arm of weight 1.
    pub weight: u32,
    /// A holdout (no-touch) control: its customers are not to be touched.
    pub holdout: bool,
}

impl Arm {
    /// An arm that gets the campaign.
    pub fn treatment(name: impl Into<String>, weight: u32) -> Self {
        Arm { name: name.into(), weight, holdout: false }
    }

    /// A holdout control arm, left untouched.
    pub fn holdout(name: impl Into<String>, weight: u32) -> Self {
        Arm { name: name.into(), weight, holdout: true }
    }
}

/// An experiment: arms with weights and a seed, and the deterministic
/// assignment of every customer to one arm.
///
/// # Formula
///
/// With `h` = [`assignment_hash`]`(seed, customer)` and `W` the sum of the
/// weights, the customer's bucket is `⌊h · W / 2⁶⁴⌋`, in `0..W`; arm `i`
/// holds the buckets from the sum of the weights before it up to, not
/// including, that sum plus its own weight.
///
/// # Example
///
/// ```
/// use customer_lifecycle::CustomerId;
/// use customer_lifecycle::campaign::{Arm, Experiment};
///
/// let test = Experiment::new(2024, vec![Arm::holdout("control", 1), Arm::treatment("offer", 1)])?;
/// let ana = CustomerId::from_key("ana");
/// assert_eq!(test.assign(ana), test.assign(ana)); // the same on every run and machine
/// let treated = (0..10_000).filter(|i| test.assign(CustomerId::from_key(&i.to_string())) == 1).count();
/// assert!((4_800..5_200).contains(&treated));
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ExperimentSpec", into = "ExperimentSpec")]
pub struct Experiment {
    seed: u64,
    arms: Vec<Arm>,
    /// The cumulative weights: arm i holds buckets `ends[i-1]..ends[i]`.
    ends: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExperimentSpec {
    seed: u64,
    arms: Vec<Arm>,
}

impl TryFrom<ExperimentSpec> for Experiment {
    type Error = CampaignError;

    fn try_from(spec: ExperimentSpec) -> Result<Self, CampaignError> {
        Experiment::new(spec.seed, spec.arms)
    }
}

impl From<Experiment> for ExperimentSpec {
    fn from(e: Experiment) -> Self {
        ExperimentSpec { seed: e.seed, arms: e.arms }
    }
}

impl Experiment {
    /// An experiment with these arms.
    ///
    /// # Errors
    ///
    /// [`CampaignError::NoArms`], [`CampaignError::ZeroWeight`],
    /// [`CampaignError::DuplicateArm`], [`CampaignError::WeightsTooLarge`].
    pub fn new(seed: u64, arms: Vec<Arm>) -> Result<Self, CampaignError> {
        if arms.is_empty() {
            return Err(CampaignError::NoArms);
        }
        let mut ends = Vec::with_capacity(arms.len());
        let mut total: u64 = 0;
        for (i, arm) in arms.iter().enumerate() {
            if arm.weight == 0 {
                return Err(CampaignError::ZeroWeight { arm: arm.name.clone() });
            }
            if arms[..i].iter().any(|a| a.name == arm.name) {
                return Err(CampaignError::DuplicateArm { arm: arm.name.clone() });
            }
            total += u64::from(arm.weight);
            ends.push(u32::try_from(total).map_err(|_| CampaignError::WeightsTooLarge { total })?);
        }
        Ok(Experiment { seed, arms, ends })
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The arms.
    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }

    /// The index of the customer's arm.
    ///
    /// # Complexity
    ///
    /// One SHA-1 of 54 bytes and O(arms).
    pub fn assign(&self, customer: CustomerId) -> usize {
        let total = u128::from(*self.ends.last().expect("at least one arm"));
        let bucket = ((u128::from(assignment_hash(self.seed, customer)) * total) >> 64) as u32;
        self.ends.iter().position(|&end| bucket < end).expect("the bucket is below the total")
    }

    /// The customer's arm.
    pub fn arm(&self, customer: CustomerId) -> &Arm {
        &self.arms[self.assign(customer)]
    }

    /// What happened in each arm between `from` (included) and `to`
    /// (excluded), over the customers of `base` created before `to` — those
    /// of `population` if one is given (the experiment's audience), every
    /// one otherwise.
    ///
    /// # Errors
    ///
    /// [`CampaignError::Money`] if an arm's revenue overflows.
    ///
    /// # Complexity
    ///
    /// O(customers × SHA-1 + events + transitions).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use customer_lifecycle::campaign::{Arm, Experiment};
    /// use customer_lifecycle::{CustomerBase, NewCustomer, Policy};
    ///
    /// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let mut base = CustomerBase::new(Policy::default());
    /// for i in 0..100 {
    ///     base.add_customer(NewCustomer::with_key(i.to_string(), t0))?;
    /// }
    /// let test = Experiment::new(1, vec![Arm::holdout("control", 1), Arm::treatment("offer", 3)])?;
    /// let arms = test.outcomes(&base, None, t0, t0 + TimeDelta::days(30))?;
    /// assert_eq!(arms[0].customers + arms[1].customers, 100);
    /// assert_eq!(arms[1].conversions, 0);
    /// # Ok::<(), customer_lifecycle::Error>(())
    /// ```
    pub fn outcomes(
        &self,
        base: &CustomerBase,
        population: Option<&Audience>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ArmOutcome>, CampaignError> {
        let mut arms: Vec<(ArmOutcome, Welford)> = self
            .arms
            .iter()
            .map(|a| {
                let outcome = ArmOutcome {
                    arm: a.name.clone(),
                    holdout: a.holdout,
                    customers: 0,
                    conversions: 0,
                    revenue: Money::ZERO,
                    revenue_per_customer: Moments { n: 0, mean: 0.0, variance: 0.0 },
                    moved_up: 0,
                };
                (outcome, Welford::default())
            })
            .collect();
        for (index, customer, records) in self.members(base, population, to) {
            let (arm, spend) = &mut arms[index];
            let (revenue, purchases) = purchases_within(records, from, to)?;
            let bought = purchases > 0;
            arm.customers += 1;
            arm.conversions += u64::from(bought);
            arm.revenue = arm.revenue.checked_add(revenue)?;
            arm.moved_up += u64::from(customer.history().iter().any(|t| t.at >= from && t.at < to && is_up(t)));
            spend.push(revenue.to_f64());
        }
        Ok(arms
            .into_iter()
            .map(|(mut arm, spend)| {
                arm.revenue_per_customer = spend.moments();
                arm
            })
            .collect())
    }
    /// The sample-ratio mismatch test of `outcomes` (one per arm, as
    /// [`outcomes`](Experiment::outcomes) returns them) against the arms'
    /// weights: run it before reading any other number of the experiment.
    ///
    /// # Errors
    ///
    /// [`CampaignError::WeightCount`] when `outcomes` are not one per arm,
    /// and the errors of [`SampleRatioTest::new`] (fewer than two arms, no
    /// customer at all).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use customer_lifecycle::campaign::{Arm, Experiment};
    /// use customer_lifecycle::{CustomerBase, NewCustomer, Policy};
    ///
    /// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let mut base = CustomerBase::new(Policy::default());
    /// for i in 0..2000 {
    ///     base.add_customer(NewCustomer::with_key(i.to_string(), t0))?;
    /// }
    /// let test = Experiment::new(3, vec![Arm::holdout("control", 1), Arm::treatment("offer", 3)])?;
    /// let arms = test.outcomes(&base, None, t0, t0 + TimeDelta::days(30))?;
    /// assert!(!test.sample_ratio(&arms)?.mismatch); // stable hashing splits 1:3
    /// # Ok::<(), customer_lifecycle::Error>(())
    /// ```
    pub fn sample_ratio(&self, outcomes: &[ArmOutcome]) -> Result<SampleRatioTest, CampaignError> {
        if outcomes.len() != self.arms.len() {
            return Err(CampaignError::WeightCount { weights: self.arms.len(), arms: outcomes.len() });
        }
        let observed: Vec<u64> = outcomes.iter().map(|o| o.customers).collect();
        let weights: Vec<f64> = self.arms.iter().map(|a| f64::from(a.weight)).collect();
        SampleRatioTest::new(&observed, Some(&weights))
    }

    /// Per arm, the outcome and a pre-period covariate of every member, for
    /// a regression-adjusted test ([`Cuped`](crate::campaign::Cuped)): `y`
    /// is what the customer spent between `from` (included) and `to`
    /// (excluded), in major units, and `x` the `covariate`. The members are
    /// those of [`outcomes`](Experiment::outcomes).
    ///
    /// # Errors
    ///
    /// [`CampaignError::Money`] if a customer's spend overflows, and
    /// [`CampaignError::MissingCovariate`] for a member without a value in
    /// [`Covariate::Values`].
    ///
    /// # Complexity
    ///
    /// O(customers × SHA-1 + events).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use customer_lifecycle::campaign::{Arm, Covariate, Experiment};
    /// use customer_lifecycle::{CustomerBase, NewCustomer, Policy, Window};
    ///
    /// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let mut base = CustomerBase::new(Policy::default());
    /// for i in 0..10 {
    ///     base.add_customer(NewCustomer::with_key(i.to_string(), t0))?;
    /// }
    /// let test = Experiment::new(1, vec![Arm::holdout("control", 1), Arm::treatment("offer", 1)])?;
    /// let start = t0 + TimeDelta::days(90);
    /// let before = Window::new(t0, start)?;
    /// let arms = test.revenue_sums(&base, None, start, start + TimeDelta::days(30), &Covariate::Spend(before))?;
    /// assert_eq!(arms[0].n + arms[1].n, 10);
    /// # Ok::<(), customer_lifecycle::Error>(())
    /// ```
    pub fn revenue_sums(
        &self,
        base: &CustomerBase,
        population: Option<&Audience>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        covariate: &Covariate<'_>,
    ) -> Result<Vec<CrossSums>, CampaignError> {
        let mut arms = vec![CrossSums::default(); self.arms.len()];
        for (index, customer, records) in self.members(base, population, to) {
            let (spend, _) = purchases_within(records, from, to)?;
            let x = match covariate {
                Covariate::Spend(window) => purchases_within(records, window.start(), window.end())?.0.to_f64(),
                Covariate::Purchases(window) => purchases_within(records, window.start(), window.end())?.1 as f64,
                Covariate::Values(values) => {
                    *values.get(&customer.id()).ok_or(CampaignError::MissingCovariate { customer: customer.id() })?
                }
            };
            arms[index].push(x, spend.to_f64());
        }
        Ok(arms)
    }

    /// The customers of `base` created before `to` (and in `population`, if
    /// given), each with the index of their arm.
    fn members<'b>(
        &'b self,
        base: &'b CustomerBase,
        population: Option<&'b Audience>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = (usize, &'b Customer, &'b [Record])> + 'b {
        base.records()
            .filter(move |(c, _)| c.created_at() < to && population.is_none_or(|p| p.contains(c.id())))
            .map(|(c, records)| (self.assign(c.id()), c, records))
    }
}

/// A pre-period quantity per customer: the covariate of a regression
/// adjustment (see [`Experiment::revenue_sums`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Covariate<'a> {
    /// What the customer spent on purchases within the window, in major
    /// units (refunds not deducted, as in [`ArmOutcome::revenue`]).
    Spend(Window),
    /// How many purchases the customer made within the window.
    Purchases(Window),
    /// A value per customer computed elsewhere: an RFM score, the purchases
    /// or value a fitted model predicts (the "CUPAC" idea). Every member
    /// needs one.
    Values(&'a HashMap<CustomerId, f64>),
}

/// What a customer spent on purchases in `[from, to)`, and how many they made.
fn purchases_within(records: &[Record], from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(Money, u64), CampaignError> {
    let mut spend = Money::ZERO;
    let mut count = 0;
    for record in records.iter().filter(|r| r.at >= from && r.at < to) {
        if let Kind::Purchase(amount) = record.kind {
            spend = spend.checked_add(amount)?;
            count += 1;
        }
    }
    Ok((spend, count))
}

/// What happened in one arm of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmOutcome {
    /// The arm's name.
    pub arm: String,
    /// Whether it is a holdout control.
    pub holdout: bool,
    /// Customers assigned to it.
    pub customers: u64,
    /// Of them, who bought in the window.
    pub conversions: u64,
    /// What they spent in the window.
    pub revenue: Money,
    /// The mean and variance of the spend per customer, in major units.
    pub revenue_per_customer: Moments,
    /// Of them, who moved up the ladder in the window.
    pub moved_up: u64,
}

impl ArmOutcome {
    /// `conversions / customers`; `None` for an empty arm.
    pub fn conversion_rate(&self) -> Option<f64> {
        (self.customers > 0).then(|| self.conversions as f64 / self.customers as f64)
    }
}
