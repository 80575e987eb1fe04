//! Referrals: the referral forest (who brought whom), the customers and
//! revenue each customer's referrals brought down to a depth with decay, and
//! the viral coefficient per acquisition cohort.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::{Profiled, net_revenue};
use crate::{CustomerBase, CustomerId, EventKind, Money, MoneyError};

type FixedMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// The error of referral attribution.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferralError {
    /// A depth of zero: attribution needs at least the direct referrals.
    #[error("attribution depth must be at least 1, got {depth}")]
    InvalidDepth {
        /// The depth given.
        depth: u32,
    },
    /// A decay outside `[0, 1]`.
    #[error("decay {decay} is outside [0, 1]")]
    InvalidDecay {
        /// The decay given.
        decay: f64,
    },
    /// A revenue total overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// How far down the forest [`ReferralForest::attribution`] looks, and how
/// much less each level counts.
///
/// Defaults: depth 3, decay 0.5 (a referral's referral counts half).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReferralAttributionOptions {
    /// Levels below the customer that count (1 = direct referrals only).
    pub depth: u32,
    /// The weight of level k is `decay^(k−1)`, in `[0, 1]`.
    pub decay: f64,
}

impl Default for ReferralAttributionOptions {
    fn default() -> Self {
        ReferralAttributionOptions { depth: 3, decay: 0.5 }
    }
}

/// What one customer's referrals brought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// The referrer.
    pub customer: CustomerId,
    /// Customers they referred directly (their children in the forest).
    pub direct_referred: u32,
    /// Of those, the ones who bought.
    pub direct_converted: u32,
    /// Net revenue of the direct referrals.
    pub direct_revenue: Money,
    /// Customers down to the depth who bought.
    pub converted: u32,
    /// Net revenue of everyone down to the depth, undecayed.
    pub revenue: Money,
    /// Net revenue down to the depth, level k weighted by `decay^(k−1)`, in
    /// major units.
    pub credited_revenue: f64,
}

/// The length of the acquisition cohorts of
/// [`viral_coefficients`](ReferralForest::viral_coefficients) (not to be
/// confused with [`analytics::CohortPeriod`](crate::analytics::CohortPeriod),
/// the periods of a retention table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ViralPeriod {
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar years.
    Year,
}

impl ViralPeriod {
    /// The first day of the period that contains `day`.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use customer_lifecycle::relationship::ViralPeriod;
    ///
    /// let day = NaiveDate::from_ymd_opt(2024, 5, 16).unwrap(); // a Thursday
    /// assert_eq!(ViralPeriod::Week.start(day), NaiveDate::from_ymd_opt(2024, 5, 13).unwrap());
    /// assert_eq!(ViralPeriod::Month.start(day), NaiveDate::from_ymd_opt(2024, 5, 1).unwrap());
    /// assert_eq!(ViralPeriod::Year.start(day), NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
    /// ```
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            ViralPeriod::Week => day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday())),
            ViralPeriod::Month => day.with_day(1).expect("day 1 exists"),
            ViralPeriod::Year => NaiveDate::from_ymd_opt(day.year(), 1, 1).expect("1 January exists"),
        }
    }
}

/// The viral coefficient of one acquisition cohort.
///
/// # Formula
///
/// K = invitations / customers × conversions / invitations, which is
/// conversions / customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViralCoefficient {
    /// The first day of the cohort's period.
    pub cohort: NaiveDate,
    /// Customers acquired (first purchase) in the period.
    pub customers: u32,
    /// Referral events they sent.
    pub invitations: u32,
    /// Customers they brought (children in the forest) who bought.
    pub conversions: u32,
    /// invitations / customers.
    pub invitations_per_customer: f64,
    /// conversions / invitations (0 without invitations).
    pub conversion_rate: f64,
    /// The viral coefficient K.
    pub k: f64,
}

/// Who brought whom: each customer's referrer, if any, as of an instant.
///
/// A referral is *credited* when it happens no later than the invitee's
/// first purchase (referring an existing customer brings nobody), it is the
/// earliest such referral of that invitee (first touch wins; at equal instants,
/// the referrer added to the base first), and it does not close a cycle (an invitee
/// who is already an ancestor of the referrer keeps their place). Credited
/// referrals form a forest: a customer has at most one parent.
///
/// # Example
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::relationship::{ReferralAttributionOptions, ReferralForest};
/// use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, NewCustomer, Policy};
///
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let mut base = CustomerBase::new(Policy::default());
/// let ana = base.add_customer(NewCustomer::with_key("ana", t0))?;
/// let bo = base.add_customer(NewCustomer::with_key("bo", t0))?;
/// let event = |key: &str, customer, days, kind| Event {
///     id: EventId::from_key(key),
///     customer,
///     at: t0 + TimeDelta::days(days),
///     channel: Channel::Web,
///     kind,
/// };
/// base.apply(&event("r1", ana, 1, EventKind::Referral { invitee: bo }))?;
/// base.apply(&event("p1", bo, 2, EventKind::Purchase { amount: "40.00".parse()? }))?;
///
/// let forest = ReferralForest::from_base(&base, t0 + TimeDelta::days(30))?;
/// assert_eq!(forest.parent(bo), Some(ana));
/// let credit = forest.attribution(ReferralAttributionOptions::default())?;
/// assert_eq!(credit[0].customer, ana);
/// assert_eq!(credit[0].direct_revenue.to_string(), "40.00");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralForest {
    customers: Vec<CustomerId>,
    index: FixedMap<CustomerId, u32>,
    parent: Vec<Option<u32>>,
    child_offsets: Vec<usize>,
    children: Vec<u32>,
    revenue: Vec<Money>,
    first_purchase: Vec<Option<DateTime<Utc>>>,
    invitations: Vec<u32>,
    left_out: usize,
}

impl ReferralForest {
    /// How many customers [`from_base`](Self::from_base) left out for
    /// withheld profiling consent.
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// The forest of a base's referrals, counting events at or before
    /// `as_of`. Customers who withheld profiling consent at `as_of` or at
    /// their latest change are left out (no node: nobody's referrer or
    /// invitee), counted in [`left_out`](Self::left_out).
    ///
    /// # Errors
    ///
    /// [`ReferralError::Money`] when a customer's revenue overflows.
    ///
    /// # Complexity
    ///
    /// O(customers + events + r log r + r·h) for r referrals in forests of
    /// height h (the cycle check walks up the referrer's ancestors).
    pub fn from_base(base: &CustomerBase, as_of: DateTime<Utc>) -> Result<Self, ReferralError> {
        let Profiled { customers, left_out } = Profiled::as_of(base, as_of);
        let customers: Vec<CustomerId> = customers.into_iter().map(crate::Customer::id).collect();
        let n = customers.len();
        let index: FixedMap<CustomerId, u32> = customers.iter().enumerate().map(|(i, &c)| (c, i as u32)).collect();
        let mut revenue = vec![Money::ZERO; n];
        let mut first_purchase: Vec<Option<DateTime<Utc>>> = vec![None; n];
        let mut invitations = vec![0u32; n];
        // (when, order applied, referrer, invitee)
        let mut referrals = Vec::new();
        for (i, &c) in customers.iter().enumerate() {
            let net = net_revenue(base, c, as_of)?;
            (revenue[i], first_purchase[i]) = (net.amount, net.first_purchase);
            for event in base.events(c).into_iter().flatten().filter(|e| e.at <= as_of) {
                if let EventKind::Referral { invitee } = event.kind {
                    invitations[i] += 1;
                    if let Some(&j) = index.get(&invitee) {
                        referrals.push((event.at, referrals.len(), i as u32, j));
                    }
                }
            }
        }
        referrals.sort_unstable();
        let mut parent: Vec<Option<u32>> = vec![None; n];
        for &(at, _, referrer, invitee) in &referrals {
            let inv = invitee as usize;
            if parent[inv].is_some() || first_purchase[inv].is_some_and(|first| first < at) {
                continue;
            }
            let mut up = Some(referrer);
            let mut closes_cycle = false;
            while let Some(a) = up {
                if a == invitee {
                    closes_cycle = true;
                    break;
                }
                up = parent[a as usize];
            }
            if !closes_cycle {
                parent[inv] = Some(referrer);
            }
        }
        let mut child_offsets = vec![0usize; n + 1];
        for p in parent.iter().flatten() {
            child_offsets[*p as usize + 1] += 1;
        }
        for i in 0..n {
            child_offsets[i + 1] += child_offsets[i];
        }
        let mut cursor = child_offsets.clone();
        let mut children = vec![0u32; child_offsets[n]];
        for (child, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[cursor[*p as usize]] = child as u32;
                cursor[*p as usize] += 1;
            }
        }
        Ok(ReferralForest {
            customers,
            index,
            parent,
            child_offsets,
            children,
            revenue,
            first_purchase,
            invitations,
            left_out,
        })
    }

    /// Who brought this customer, if anyone.
    pub fn parent(&self, customer: CustomerId) -> Option<CustomerId> {
        let &i = self.index.get(&customer)?;
        self.parent[i as usize].map(|p| self.customers[p as usize])
    }

    /// The customers this customer brought, in the base's order.
    pub fn children(&self, customer: CustomerId) -> impl Iterator<Item = CustomerId> + '_ {
        let range = self.index.get(&customer).map_or(0..0, |&i| self.child_range(i));
        self.children[range].iter().map(|&c| self.customers[c as usize])
    }

    /// Customers nobody brought but who brought someone: the roots of the
    /// referral trees.
    pub fn roots(&self) -> impl Iterator<Item = CustomerId> + '_ {
        (0..self.customers.len() as u32)
            .filter(|&i| self.parent[i as usize].is_none() && !self.child_range(i).is_empty())
            .map(|i| self.customers[i as usize])
    }

    /// A customer's net revenue (purchases less refunds) as of the forest's
    /// instant.
    pub fn revenue(&self, customer: CustomerId) -> Option<Money> {
        self.index.get(&customer).map(|&i| self.revenue[i as usize])
    }

    fn child_range(&self, i: u32) -> std::ops::Range<usize> {
        self.child_offsets[i as usize]..self.child_offsets[i as usize + 1]
    }

    /// What each referrer's referrals brought, for every customer who brought
    /// at least one, in the base's order.
    ///
    /// # Formula
    ///
    /// credited(c) = Σ_{k=1..depth} decay^(k−1) · Σ_{x at level k below c}
    /// revenue(x); `revenue` and `converted` are the same sums undecayed.
    ///
    /// # Errors
    ///
    /// [`ReferralError::InvalidDepth`], [`ReferralError::InvalidDecay`];
    /// [`ReferralError::Money`] on overflow.
    ///
    /// # Complexity
    ///
    /// O(Σ over referrers of their descendants down to `depth`) ≤ O(n · depth).
    pub fn attribution(&self, options: ReferralAttributionOptions) -> Result<Vec<Attribution>, ReferralError> {
        let ReferralAttributionOptions { depth, decay } = options;
        if depth == 0 {
            return Err(ReferralError::InvalidDepth { depth });
        }
        if !(0.0..=1.0).contains(&decay) {
            return Err(ReferralError::InvalidDecay { decay });
        }
        let mut out = Vec::new();
        let mut level = Vec::new();
        let mut next = Vec::new();
        for c in 0..self.customers.len() as u32 {
            if self.child_range(c).is_empty() {
                continue;
            }
            let mut credit = Attribution {
                customer: self.customers[c as usize],
                direct_referred: 0,
                direct_converted: 0,
                direct_revenue: Money::ZERO,
                converted: 0,
                revenue: Money::ZERO,
                credited_revenue: 0.0,
            };
            level.clear();
            level.push(c);
            let mut weight = 1.0;
            for k in 1..=depth {
                next.clear();
                for &p in &level {
                    next.extend_from_slice(&self.children[self.child_range(p)]);
                }
                if next.is_empty() {
                    break;
                }
                let level_revenue = Money::try_sum(next.iter().map(|&x| self.revenue[x as usize]))?;
                let level_converted =
                    next.iter().filter(|&&x| self.first_purchase[x as usize].is_some()).count() as u32;
                if k == 1 {
                    credit.direct_referred = next.len() as u32;
                    credit.direct_converted = level_converted;
                    credit.direct_revenue = level_revenue;
                }
                credit.converted += level_converted;
                credit.revenue = credit.revenue.checked_add(level_revenue)?;
                credit.credited_revenue += weight * level_revenue.to_f64();
                weight *= decay;
                std::mem::swap(&mut level, &mut next);
            }
            out.push(credit);
        }
        Ok(out)
    }

    /// The viral coefficient of each acquisition cohort (customers grouped by
    /// the period of their first purchase), oldest first. Customers who never
    /// bought belong to no cohort.
    ///
    /// # Complexity
    ///
    /// O(n log c) for c cohorts.
    pub fn viral_coefficients(&self, period: ViralPeriod) -> Vec<ViralCoefficient> {
        let mut cohorts: BTreeMap<NaiveDate, (u32, u32, u32)> = BTreeMap::new();
        for i in 0..self.customers.len() {
            let Some(first) = self.first_purchase[i] else { continue };
            let entry = cohorts.entry(period.start(first.date_naive())).or_default();
            entry.0 += 1;
            entry.1 += self.invitations[i];
            entry.2 += self.children[self.child_range(i as u32)]
                .iter()
                .filter(|&&x| self.first_purchase[x as usize].is_some())
                .count() as u32;
        }
        cohorts
            .into_iter()
            .map(|(cohort, (customers, invitations, conversions))| {
                let per_customer = f64::from(invitations) / f64::from(customers);
                let rate = if invitations == 0 { 0.0 } else { f64::from(conversions) / f64::from(invitations) };
                ViralCoefficient {
                    cohort,
                    customers,
                    invitations,
                    conversions,
                    invitations_per_customer: per_customer,
                    conversion_rate: rate,
                    k: f64::from(conversions) / f64::from(customers),
                }
            })
            .collect()
    }
}

#[cfg(test)]
// Customers are single letters, as in the diagrams of the tests.
#[allow(clippy::many_single_char_names)]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;
    use crate::{Channel, Event, EventId, NewCustomer, Policy};

    struct World {
        base: CustomerBase,
        t0: DateTime<Utc>,
        n: u32,
    }

    impl World {
        fn new(names: &[&str]) -> (World, Vec<CustomerId>) {
            let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
            let mut base = CustomerBase::new(Policy::default());
            let ids = names.iter().map(|k| base.add_customer(NewCustomer::with_key(*k, t0)).unwrap()).collect();
            (World { base, t0, n: 0 }, ids)
        }

        fn at(&self, days: i64) -> DateTime<Utc> {
            self.t0 + TimeDelta::days(days)
        }

        fn apply(&mut self, customer: CustomerId, days: i64, kind: EventKind) {
            self.n += 1;
            let event = Event {
                id: EventId::from_key(&format!("e{}", self.n)),
                customer,
                at: self.at(days),
                channel: Channel::Web,
                kind,
            };
            self.base.apply(&event).unwrap();
        }

        fn buy(&mut self, customer: CustomerId, days: i64, amount: &str) {
            self.apply(customer, days, EventKind::Purchase { amount: amount.parse().unwrap() });
        }

        fn refer(&mut self, customer: CustomerId, days: i64, invitee: CustomerId) {
            self.apply(customer, days, EventKind::Referral { invitee });
        }
    }

    #[test]
    fn hand_computed_attribution() {
        // a → b → d, a → c, b → e; d bought 10, b 20, c 5 (refunded 2), e nothing.
        let (mut world, ids) = World::new(&["a", "b", "c", "d", "e"]);
        let [a, b, c, d, e] = ids[..] else { unreachable!() };
        world.buy(a, 0, "1.00");
        world.refer(a, 1, b);
        world.refer(a, 1, c);
        world.buy(b, 2, "20.00");
        world.refer(b, 3, d);
        world.refer(b, 3, e);
        world.buy(c, 3, "5.00");
        world.buy(d, 4, "10.00");
        let forest = ReferralForest::from_base(&world.base, world.at(10)).unwrap();
        assert_eq!(forest.parent(d), Some(b));
        assert_eq!(forest.children(a).collect::<Vec<_>>(), [b, c]);
        assert_eq!(forest.roots().collect::<Vec<_>>(), [a]);

        let credit = forest.attribution(ReferralAttributionOptions { depth: 2, decay: 0.5 }).unwrap();
        assert_eq!(credit.len(), 2);
        let ca = &credit[0];
        assert_eq!((ca.customer, ca.direct_referred, ca.direct_converted), (a, 2, 2));
        assert_eq!(ca.direct_revenue, Money::from_minor(2500));
        assert_eq!((ca.converted, ca.revenue), (3, Money::from_minor(3500)));
        assert!((ca.credited_revenue - (25.0 + 0.5 * 10.0)).abs() < 1e-12);
        let cb = &credit[1];
        assert_eq!(
            (cb.customer, cb.direct_referred, cb.direct_converted, cb.revenue),
            (b, 2, 1, Money::from_minor(1000))
        );
        // Depth 1 is the direct level only.
        let direct = forest.attribution(ReferralAttributionOptions { depth: 1, decay: 0.0 }).unwrap();
        assert_eq!(direct[0].revenue, Money::from_minor(2500));
        assert!(forest.attribution(ReferralAttributionOptions { depth: 0, decay: 0.5 }).is_err());
        assert!(forest.attribution(ReferralAttributionOptions { depth: 2, decay: 1.5 }).is_err());
        // As of day 3, d had not bought yet.
        let early = ReferralForest::from_base(&world.base, world.at(3)).unwrap();
        assert_eq!(early.attribution(ReferralAttributionOptions::default()).unwrap()[1].converted, 0);
    }

    #[test]
    fn first_touch_no_existing_customers_no_cycles() {
        let (mut world, ids) = World::new(&["a", "b", "c"]);
        let [a, b, c] = ids[..] else { unreachable!() };
        world.buy(c, 0, "3.00");
        world.refer(a, 1, b);
        world.refer(b, 2, a); // would close a cycle
        world.refer(c, 2, b); // b already has a referrer
        world.refer(a, 3, c); // c was already a customer
        let forest = ReferralForest::from_base(&world.base, world.at(5)).unwrap();
        assert_eq!(forest.parent(b), Some(a));
        assert_eq!(forest.parent(a), None);
        assert_eq!(forest.parent(c), None);
    }

    #[test]
    fn viral_coefficient_per_month() {
        let (mut world, ids) = World::new(&["a", "b", "c", "d", "e"]);
        let [a, b, c, d, e] = ids[..] else { unreachable!() };
        // January cohort: a and b; a sends 3 invitations, 2 of which convert.
        world.buy(a, 0, "1.00");
        world.buy(b, 5, "1.00");
        world.refer(a, 10, c);
        world.refer(a, 10, d);
        world.refer(a, 11, e);
        world.buy(c, 40, "1.00");
        world.buy(d, 45, "1.00");
        let forest = ReferralForest::from_base(&world.base, world.at(100)).unwrap();
        let kc = forest.viral_coefficients(ViralPeriod::Month);
        assert_eq!(kc.len(), 2);
        assert_eq!(kc[0].cohort, NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        assert_eq!((kc[0].customers, kc[0].invitations, kc[0].conversions), (2, 3, 2));
        assert!((kc[0].invitations_per_customer - 1.5).abs() < 1e-12);
        assert!((kc[0].conversion_rate - 2.0 / 3.0).abs() < 1e-12);
        assert!((kc[0].k - 1.0).abs() < 1e-12);
        assert_eq!((kc[1].cohort.month(), kc[1].customers, kc[1].invitations, kc[1].k), (2, 2, 0, 0.0));
        let weeks = forest.viral_coefficients(ViralPeriod::Week);
        assert_eq!(weeks[0].cohort, NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        assert_eq!(ViralPeriod::Week.start(NaiveDate::from_ymd_opt(2024, 1, 7).unwrap()).day(), 1);
        assert_eq!(ViralPeriod::Year.start(NaiveDate::from_ymd_opt(2024, 5, 7).unwrap()).month(), 1);
    }
}
