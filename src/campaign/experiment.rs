//! Experiments: stable assignment of customers to arms, the outcome per arm,
//! and the tests that compare arms.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::report::is_up;
use super::stats::{normal_quantile, normal_sf, students_t_quantile, students_t_sf, z_975};
use super::{Audience, CampaignError};
use std::collections::HashMap;

use super::stats_tests::{CrossSums, SampleRatioTest};
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
/// # Ok::<(), customer_lifecycle::ParseIdError>(())
/// ```
pub fn assignment_hash(seed: u64, customer: CustomerId) -> u64 {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(ASSIGNMENT_DOMAIN);
    sha.update(&seed.to_be_bytes());
    sha.update(customer.as_uuid().as_bytes());
    let digest = sha.digest().bytes();
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

/// Count, mean and sample variance (divided by n − 1) of some values.
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::Moments;
///
/// let m = Moments::from_values([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
/// assert_eq!((m.n, m.mean), (8, 5.0));
/// assert!((m.variance - 32.0 / 7.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// How many values.
    pub n: u64,
    /// Their mean (0 when there are none).
    pub mean: f64,
    /// Their sample variance, Σ(x − mean)² / (n − 1) (0 for fewer than two).
    pub variance: f64,
}

impl Moments {
    /// The moments of `values`, by Welford's update.
    pub fn from_values<I: IntoIterator<Item = f64>>(values: I) -> Self {
        let mut w = Welford::default();
        for x in values {
            w.push(x);
        }
        w.moments()
    }

    /// A proportion, `conversions` out of `n`, as moments of 0/1 outcomes
    /// with the per-unit variance p(1 − p) (divided by n, not n − 1: the
    /// binomial variance).
    ///
    /// # Errors
    ///
    /// [`CampaignError::EmptyGroup`] for n = 0 and
    /// [`CampaignError::ConversionsAboveCount`].
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::campaign::Moments;
    ///
    /// let m = Moments::of_proportion(200, 50)?;
    /// assert_eq!((m.n, m.mean, m.variance), (200, 0.25, 0.1875));
    /// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
    /// ```
    pub fn of_proportion(n: u64, conversions: u64) -> Result<Self, CampaignError> {
        if n == 0 {
            return Err(CampaignError::EmptyGroup { group: "arm" });
        }
        if conversions > n {
            return Err(CampaignError::ConversionsAboveCount { group: "arm", conversions, n });
        }
        let p = conversions as f64 / n as f64;
        Ok(Moments { n, mean: p, variance: p * (1.0 - p) })
    }

    pub(crate) fn check(&self, group: &'static str) -> Result<(), CampaignError> {
        if self.n < 2 {
            return Err(CampaignError::TooFewValues { group, n: self.n });
        }
        if !self.mean.is_finite() {
            return Err(CampaignError::InvalidMoment { group, what: "mean", extra: "", value: self.mean });
        }
        if !(self.variance.is_finite() && self.variance >= 0.0) {
            let extra = " and not negative";
            return Err(CampaignError::InvalidMoment { group, what: "variance", extra, value: self.variance });
        }
        Ok(())
    }
}

/// Welford's running mean and sum of squared deviations.
#[derive(Debug, Clone, Copy, Default)]
struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    fn moments(self) -> Moments {
        let variance = if self.n > 1 { self.m2 / (self.n - 1) as f64 } else { 0.0 };
        Moments { n: self.n, mean: self.mean, variance }
    }
}

/// A group's conversions out of its size, one side of a
/// [`ProportionTest`] (named fields, so the two counts cannot be swapped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proportion {
    /// How many converted.
    pub conversions: u64,
    /// How many there were.
    pub n: u64,
}

/// The two-proportion z-test of group B against group A, with the 95%
/// confidence interval of the difference.
///
/// Serialises with exactly the fields below, `ci95` as `[lo, hi]`.
///
/// # Formula
///
/// ```text
/// rate_a = conv_a / n_a,  rate_b = conv_b / n_b,  p̄ = (conv_a + conv_b) / (n_a + n_b)
/// diff    = rate_b − rate_a
/// z       = diff / √(p̄(1 − p̄)(1/n_a + 1/n_b))
/// p_value = 2(1 − Φ(|z|))
/// ci95    = diff ∓ z₀.₉₇₅ √(rate_a(1 − rate_a)/n_a + rate_b(1 − rate_b)/n_b)
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::{Proportion, ProportionTest};
///
/// let a = Proportion { conversions: 100, n: 1000 };
/// let b = Proportion { conversions: 130, n: 1000 };
/// let test = ProportionTest::new(a, b)?;
/// assert_eq!(test.rate_a, 0.1);
/// assert!((test.diff - 0.03).abs() < 1e-12);
/// assert!((test.z - 2.1027).abs() < 1e-4);
/// assert!(test.p_value < 0.05);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProportionTest {
    /// Group A's conversion rate, `conv_a / n_a`.
    pub rate_a: f64,
    /// Group B's conversion rate, `conv_b / n_b`.
    pub rate_b: f64,
    /// `rate_b − rate_a`.
    pub diff: f64,
    /// The statistic, with the pooled standard error.
    pub z: f64,
    /// The two-sided p-value.
    pub p_value: f64,
    /// The 95% confidence interval of `diff`, with the unpooled standard error.
    pub ci95: [f64; 2],
}

impl ProportionTest {
    /// The test of group `b`'s conversions against group `a`'s.
    ///
    /// # Errors
    ///
    /// [`CampaignError::EmptyGroup`] for n = 0,
    /// [`CampaignError::ConversionsAboveCount`], and
    /// [`CampaignError::DegeneratePooledRate`] when the pooled rate is 0 or 1.
    pub fn new(a: Proportion, b: Proportion) -> Result<Self, CampaignError> {
        let (n_a, conv_a, n_b, conv_b) = (a.n, a.conversions, b.n, b.conversions);
        for (group, n, conversions) in [("a", n_a, conv_a), ("b", n_b, conv_b)] {
            if n == 0 {
                return Err(CampaignError::EmptyGroup { group });
            }
            if conversions > n {
                return Err(CampaignError::ConversionsAboveCount { group, conversions, n });
            }
        }
        let (na, nb) = (n_a as f64, n_b as f64);
        let (rate_a, rate_b) = (conv_a as f64 / na, conv_b as f64 / nb);
        let pooled = (conv_a as f64 + conv_b as f64) / (na + nb);
        if conv_a + conv_b == 0 || conv_a + conv_b == n_a + n_b {
            return Err(CampaignError::DegeneratePooledRate { rate: pooled });
        }
        let diff = rate_b - rate_a;
        let z = diff / (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
        let p_value = 2.0 * normal_sf(z.abs());
        let half = z_975() * (rate_a * (1.0 - rate_a) / na + rate_b * (1.0 - rate_b) / nb).sqrt();
        Ok(ProportionTest { rate_a, rate_b, diff, z, p_value, ci95: [diff - half, diff + half] })
    }
}

/// Welch's t-test of group B's mean against group A's, for unequal
/// variances, with the 95% confidence interval of the difference.
///
/// # Formula
///
/// With s² the sample variances and `F_df` Student's t distribution:
///
/// ```text
/// diff    = mean_b − mean_a,  se = √(s_a²/n_a + s_b²/n_b),  t = diff / se
/// df      = se⁴ / ((s_a²/n_a)²/(n_a − 1) + (s_b²/n_b)²/(n_b − 1))   (Welch–Satterthwaite)
/// p_value = 2(1 − F_df(|t|))
/// ci95    = diff ∓ t₀.₉₇₅,df · se
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::{Moments, WelchTest};
///
/// let a = Moments::from_values([19.0, 22.0, 16.0, 29.0, 24.0]);
/// let b = Moments::from_values([20.0, 11.0, 17.0, 12.0]);
/// let test = WelchTest::new(a, b)?;
/// assert!((test.t - -2.2831).abs() < 1e-4);
/// assert!((test.df - 6.9288).abs() < 1e-4);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WelchTest {
    /// `mean_b − mean_a`.
    pub diff: f64,
    /// The statistic.
    pub t: f64,
    /// The Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// The two-sided p-value.
    pub p_value: f64,
    /// The 95% confidence interval of `diff`.
    pub ci95: [f64; 2],
}

impl WelchTest {
    /// The test of `b` against `a`.
    ///
    /// # Errors
    ///
    /// [`CampaignError::TooFewValues`] for a group of fewer than two values,
    /// [`CampaignError::InvalidMoment`] for a non-finite mean or variance or
    /// a negative variance, [`CampaignError::ZeroVariance`] when both
    /// variances are zero.
    pub fn new(a: Moments, b: Moments) -> Result<Self, CampaignError> {
        a.check("a")?;
        b.check("b")?;
        let (va, vb) = (a.variance / a.n as f64, b.variance / b.n as f64);
        let se2 = va + vb;
        if se2 == 0.0 {
            return Err(CampaignError::ZeroVariance);
        }
        let se = se2.sqrt();
        let diff = b.mean - a.mean;
        let t = diff / se;
        let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
        let p_value = 2.0 * students_t_sf(t.abs(), df);
        let half = students_t_quantile(0.975, df) * se;
        Ok(WelchTest { diff, t, df, p_value, ci95: [diff - half, diff + half] })
    }
}

/// The customers needed in each of two arms to detect an absolute `lift`
/// over a `baseline` conversion rate with a two-sided test at level `alpha`
/// and the given `power`.
///
/// # Formula
///
/// ```text
/// p₁ = baseline,  p₂ = baseline + lift,  p̄ = (p₁ + p₂)/2
/// n  = ⌈(z₁₋α/₂ √(2p̄(1 − p̄)) + z_power √(p₁(1 − p₁) + p₂(1 − p₂)))² / (p₂ − p₁)²⌉
/// ```
///
/// # Errors
///
/// [`CampaignError::OutsideUnitInterval`] when the baseline, baseline +
/// lift, alpha or power is not strictly between 0 and 1;
/// [`CampaignError::ZeroLift`]; [`CampaignError::SampleSizeTooLarge`] when
/// the size is above 2⁵³ (a lift too small for any real population), or not
/// finite.
///
/// # Example
///
/// ```
/// use customer_lifecycle::campaign::sample_size_per_arm;
///
/// // From 10% to 15% at α = 0.05 with 80% power.
/// assert_eq!(sample_size_per_arm(0.10, 0.05, 0.05, 0.80)?, 686);
/// # Ok::<(), customer_lifecycle::campaign::CampaignError>(())
/// ```
pub fn sample_size_per_arm(baseline: f64, lift: f64, alpha: f64, power: f64) -> Result<u64, CampaignError> {
    let p1 = baseline;
    let p2 = baseline + lift;
    for (name, value) in [("baseline", p1), ("baseline + lift", p2), ("alpha", alpha), ("power", power)] {
        // Written so that NaN fails too.
        if !(value > 0.0 && value < 1.0) {
            return Err(CampaignError::OutsideUnitInterval { name, value });
        }
    }
    // A lift too small to change the baseline's float is no lift either.
    #[allow(clippy::float_cmp)]
    if p1 == p2 {
        return Err(CampaignError::ZeroLift);
    }
    let mean = p1.midpoint(p2);
    let z_alpha = normal_quantile(1.0 - alpha / 2.0);
    let z_power = normal_quantile(power);
    let root = z_alpha * (2.0 * mean * (1.0 - mean)).sqrt() + z_power * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    let n = (root * root / ((p2 - p1) * (p2 - p1))).ceil();
    // Past 2^53 a float skips whole customers, and beyond u64 the cast
    // would saturate: refuse rather than print a wrong count.
    if n.is_nan() || n > 2f64.powi(53) {
        return Err(CampaignError::SampleSizeTooLarge { baseline, lift, alpha, power, size: n });
    }
    Ok(n as u64)
}

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
