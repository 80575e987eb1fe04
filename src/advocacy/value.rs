use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AdvocacyError;
use crate::consent::{may_profile, net_revenue};
use crate::relationship::{Network, PageRank, ReferralForest};
use crate::{Customer, CustomerBase, CustomerId};

/// What the network value of a set of customers is computed from, one row
/// per customer. Every column is an input computed elsewhere — the CLV
/// models, the referral forest, the influence rank — so this layer only
/// combines them (see [layers point down](crate#layers-point-down)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkInputs {
    /// The customers.
    pub customers: Vec<CustomerId>,
    /// Each one's own value: CLV over the chosen horizon and discount rate.
    pub own_value: Vec<f64>,
    /// Revenue realised so far (purchases less refunds), in major units.
    pub realised: Vec<f64>,
    /// Whether they have bought.
    pub converted: Vec<bool>,
    /// The row of the customer who referred them, if any (a forest).
    pub referrer: Vec<Option<u32>>,
    /// How many people their word reaches ([`rank_audience`] or a cascade
    /// estimate).
    pub audience: Vec<f64>,
    /// Whether they allow profiling; the others are left out of every output
    /// and contribute nothing to anyone else's value.
    pub eligible: Vec<bool>,
}

/// Settings of [`network_value`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkOptions {
    /// How many referral generations count (default 3).
    pub depth: u32,
    /// The weight of each further generation, in `[0, 1]` (default 0.5: a
    /// grandchild's value counts half, a great-grandchild's a quarter).
    pub decay: f64,
    /// The chance that a person reached by word of mouth becomes a customer;
    /// `None` (the default) calibrates it on the base: the referred customers
    /// who bought, divided by the audiences of all eligible customers added
    /// up, so that word of mouth is credited with as many conversions in
    /// total as referrals actually brought.
    pub conversion_rate: Option<f64>,
    /// The value of a converted customer; `None` (the default) takes the
    /// mean of own value plus realised revenue over the eligible customers
    /// who bought.
    pub value_per_conversion: Option<f64>,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions { depth: 3, decay: 0.5, conversion_rate: None, value_per_conversion: None }
    }
}

/// One customer's network value and its components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetworkValue {
    /// The customer.
    pub customer: CustomerId,
    /// Their own CLV.
    pub own: f64,
    /// What the customers they referred brought and will bring, down the
    /// generations, decayed.
    pub referral: f64,
    /// What their word is expected to bring: audience × conversion rate ×
    /// value per conversion.
    pub influence: f64,
    /// The people their word reaches.
    pub audience: f64,
    /// `own + referral + influence`.
    pub total: f64,
}

/// The network values of every eligible customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkValues {
    /// One entry per eligible customer, in input order.
    pub values: Vec<NetworkValue>,
    /// Customers left out because they withheld profiling consent.
    pub left_out: usize,
    /// The conversion rate used for influence.
    pub conversion_rate: f64,
    /// The value per converted customer used for influence.
    pub value_per_conversion: f64,
}

impl NetworkValues {
    /// The entries, highest total first (ties in input order).
    pub fn ranked(&self) -> Vec<NetworkValue> {
        let mut ranked = self.values.clone();
        ranked.sort_by(|a, b| b.total.total_cmp(&a.total));
        ranked
    }

    /// The entry of one customer.
    pub fn get(&self, customer: CustomerId) -> Option<&NetworkValue> {
        self.values.iter().find(|v| v.customer == customer)
    }
}

/// Each customer's network value: what they are worth counting the people
/// they bring.
///
/// # Formula
///
/// For customer `i`, with `vⱼ = ownⱼ + realisedⱼ` for eligible `j` (0 for the
/// others) and `Dₖ(i)` the customers `k` referral generations below `i`:
///
/// - `referral(i) = Σ_{k=1}^{depth} decay^{k−1} Σ_{j ∈ Dₖ(i)} vⱼ`
/// - `influence(i) = audience(i) × conversion_rate × value_per_conversion`
/// - `total(i) = own(i) + referral(i) + influence(i)`
///
/// A customer with no referrals and no audience is worth exactly their own
/// value, and referral value never falls as `depth` grows.
///
/// # Errors
///
/// [`AdvocacyError`] when the columns differ in length, a value is negative
/// or not finite, a referrer row is out of range or the referrals form a
/// cycle, or an option is out of range.
///
/// # Complexity
///
/// O(customers × depth).
pub fn network_value(inputs: &NetworkInputs, options: &NetworkOptions) -> Result<NetworkValues, AdvocacyError> {
    let n = inputs.customers.len();
    for (name, len) in [
        ("own_value", inputs.own_value.len()),
        ("realised", inputs.realised.len()),
        ("converted", inputs.converted.len()),
        ("referrer", inputs.referrer.len()),
        ("audience", inputs.audience.len()),
        ("eligible", inputs.eligible.len()),
    ] {
        if len != n {
            return Err(AdvocacyError::Length { column: name, found: len, expected: n });
        }
    }
    for (name, column) in
        [("own_value", &inputs.own_value), ("realised", &inputs.realised), ("audience", &inputs.audience)]
    {
        if let Some(row) = column.iter().position(|x| !(x.is_finite() && *x >= 0.0)) {
            return Err(AdvocacyError::InvalidValue { column: name, row, value: column[row] });
        }
    }
    if !(0.0..=1.0).contains(&options.decay) {
        return Err(AdvocacyError::InvalidOption { name: "decay", value: options.decay });
    }
    if let Some(rate) = options.conversion_rate.filter(|r| !(0.0..=1.0).contains(r)) {
        return Err(AdvocacyError::InvalidOption { name: "conversion_rate", value: rate });
    }
    if let Some(v) = options.value_per_conversion.filter(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(AdvocacyError::InvalidOption { name: "value_per_conversion", value: v });
    }
    let children = children_of(&inputs.referrer)?;

    let worth: Vec<f64> =
        (0..n).map(|i| if inputs.eligible[i] { inputs.own_value[i] + inputs.realised[i] } else { 0.0 }).collect();
    // referral_k(i) = Σ_{c child of i} (worth_c + decay · referral_{k−1}(c)), from the leaves up.
    let mut referral = vec![0.0; n];
    for _ in 0..options.depth {
        let previous = referral.clone();
        for i in 0..n {
            // A fold from +0.0: an empty float sum is −0.0.
            referral[i] =
                children[i].iter().fold(0.0, |sum, &c| sum + worth[c as usize] + options.decay * previous[c as usize]);
        }
    }

    let conversion_rate = options.conversion_rate.unwrap_or_else(|| {
        let converted =
            (0..n).filter(|&i| inputs.referrer[i].is_some() && inputs.eligible[i] && inputs.converted[i]).count();
        let audience: f64 = (0..n).filter(|&i| inputs.eligible[i]).map(|i| inputs.audience[i]).sum();
        if audience > 0.0 { (converted as f64 / audience).min(1.0) } else { 0.0 }
    });
    let value_per_conversion = options.value_per_conversion.unwrap_or_else(|| {
        let (sum, count) = (0..n)
            .filter(|&i| inputs.eligible[i] && inputs.converted[i])
            .fold((0.0, 0usize), |(s, c), i| (s + worth[i], c + 1));
        if count == 0 { 0.0 } else { sum / count as f64 }
    });
    let values = (0..n)
        .filter(|&i| inputs.eligible[i])
        .map(|i| {
            let own = inputs.own_value[i];
            let influence = inputs.audience[i] * conversion_rate * value_per_conversion;
            NetworkValue {
                customer: inputs.customers[i],
                own,
                referral: referral[i],
                influence,
                audience: inputs.audience[i],
                total: own + referral[i] + influence,
            }
        })
        .collect();
    Ok(NetworkValues {
        values,
        left_out: inputs.eligible.iter().filter(|&&e| !e).count(),
        conversion_rate,
        value_per_conversion,
    })
}

/// The children of each row, checking that the referrer column is a forest.
fn children_of(referrer: &[Option<u32>]) -> Result<Vec<Vec<u32>>, AdvocacyError> {
    let n = referrer.len();
    let mut children = vec![Vec::new(); n];
    for (row, parent) in referrer.iter().enumerate() {
        if let Some(p) = *parent {
            if p as usize >= n || p as usize == row {
                return Err(AdvocacyError::BadReferrer { row, referrer: p });
            }
            children[p as usize].push(row as u32);
        }
    }
    // Walking up from every row must reach a root: 0 unseen, 1 on the
    // current path, 2 known to reach a root.
    let mut state = vec![0u8; n];
    for start in 0..n {
        let mut path = Vec::new();
        let mut row = start;
        loop {
            match state[row] {
                2 => break,
                1 => return Err(AdvocacyError::ReferralCycle { row }),
                _ => {}
            }
            state[row] = 1;
            path.push(row);
            match referrer[row] {
                Some(p) => row = p as usize,
                None => break,
            }
        }
        for r in path {
            state[r] = 2;
        }
    }
    Ok(children)
}

/// The people each node's word reaches, approximated from its influence
/// rank: PageRank run along endorsement (follower → followed), so rank
/// gathers at those whose word travels.
///
/// # Formula
///
/// With `N` nodes, damping `d` and scores `π`, a node nobody endorses holds
/// the baseline `b = minⱼ N·πⱼ` (teleportation plus the dangling mass), and
///
/// `audience(i) = max(0, N·πᵢ − b) / (d · b)`.
///
/// When every follower passes all their endorsement to the nodes they
/// follow, this is `audience(i) = Σ_{j follows i} wⱼᵢ · (1 + d · audience(j))`:
/// one for each follower, plus their own audiences attenuated by `d` per
/// hop, so a node followed by three people who have no followers reaches
/// exactly three.
///
/// # Complexity
///
/// O(N).
pub fn rank_audience(scores: &[f64], damping: f64) -> Vec<f64> {
    let n = scores.len() as f64;
    let baseline = scores.iter().copied().fold(f64::INFINITY, f64::min) * n;
    let scale = damping * baseline;
    scores
        .iter()
        .map(|&p| if scale > 0.0 && scale.is_finite() { ((n * p - baseline) / scale).max(0.0) } else { 0.0 })
        .collect()
}

impl NetworkInputs {
    /// The inputs for every customer of `base` created at or before
    /// `as_of`, as of `as_of`: `own_value` from the caller's CLV for each
    /// customer, realised revenue and conversion from their events up to
    /// `as_of`, referrers from the [`ReferralForest`], audiences from an
    /// influence rank computed over `network` ([`rank_audience`] with
    /// `damping`), and eligibility from profiling consent, on the protective
    /// side: a customer is eligible only if they allowed profiling at
    /// `as_of` and still do (one who has withdrawn since is left out, as in
    /// [`FeatureTable::from_base`](crate::segment::FeatureTable::from_base)).
    ///
    /// # Errors
    ///
    /// [`AdvocacyError::Referral`] when the referral forest cannot be built;
    /// [`AdvocacyError::Money`] when a customer's purchases less refunds
    /// overflow.
    ///
    /// # Complexity
    ///
    /// O(customers + events).
    pub fn from_base(
        base: &CustomerBase,
        as_of: DateTime<Utc>,
        own_value: impl Fn(&Customer) -> f64,
        network: &Network<CustomerId>,
        rank: &PageRank,
        damping: f64,
    ) -> Result<NetworkInputs, AdvocacyError> {
        let forest = ReferralForest::from_base(base, as_of).map_err(AdvocacyError::Referral)?;
        let audience_by_node = rank_audience(rank.scores(), damping);
        let audience_of: HashMap<CustomerId, f64> = network.keys().iter().copied().zip(audience_by_node).collect();
        // Someone created after `as_of` was not yet a customer.
        let present: Vec<&Customer> = base.customers().filter(|c| c.created_at() <= as_of).collect();
        let n = present.len();
        let row_of: HashMap<CustomerId, u32> = present.iter().enumerate().map(|(i, c)| (c.id(), i as u32)).collect();
        let mut inputs = NetworkInputs {
            customers: Vec::with_capacity(n),
            own_value: Vec::with_capacity(n),
            realised: Vec::with_capacity(n),
            converted: Vec::with_capacity(n),
            referrer: Vec::with_capacity(n),
            audience: Vec::with_capacity(n),
            eligible: Vec::with_capacity(n),
        };
        for customer in present {
            let id = customer.id();
            let net = net_revenue(base, id, as_of)?;
            inputs.customers.push(id);
            inputs.own_value.push(own_value(customer).max(0.0));
            inputs.realised.push(net.amount.to_f64().max(0.0));
            inputs.converted.push(net.first_purchase.is_some());
            inputs.referrer.push(forest.parent(id).and_then(|p| row_of.get(&p).copied()));
            inputs.audience.push(audience_of.get(&id).copied().unwrap_or(0.0));
            inputs.eligible.push(may_profile(base, customer, as_of));
        }
        Ok(inputs)
    }
}
