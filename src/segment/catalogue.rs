//! The crate's catalogue of features: every customer of a
//! [`CustomerBase`] described as of an instant
//! ([`FeatureTable::from_base`]: stage, recency, RFM, engagement, health,
//! influence, consent, attributes) and the CLV models' view joined as
//! columns ([`FeatureTable::add_model_features`]).
//!
//! This is the only code in [`segment`](super) that reaches into
//! [`score`](crate::score), [`relationship`](crate::relationship) and
//! [`clv`](crate::clv); the container it fills is in `table.rs`.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use customer_lifecycle::segment::{FeatureTable, Value};
//! use customer_lifecycle::{CustomerBase, NewCustomer, Policy};
//!
//! let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
//! let mut base = CustomerBase::new(Policy::default());
//! base.add_customer(NewCustomer::with_key("ana", t0))?;
//! let table = FeatureTable::from_base(&base, t0)?;
//! assert_eq!(table.labels(), ["ana"]);
//! assert_eq!(table.value("stage", 0), Some(Value::Text("prospect".into())));
//! # Ok::<(), customer_lifecycle::Error>(())
//! ```

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::definition::Value;
use super::table::{FeatureTable, TableError};
use crate::consent::{Profiled, may, net_revenue};
use crate::event::{EventKind, Feedback, Purpose};
use crate::{Channel, Customer, CustomerBase, CustomerId};

/// The values of `nps_category`, best first.
const NPS_CATEGORIES: [&str; 3] = ["promoter", "passive", "detractor"];

impl FeatureTable {
    /// Adds the CLV models' view of every customer of `base` as of the end
    /// of `day`: `p_alive`, `expected_purchases` (over the valuation's
    /// horizon) and `clv`, all profiling features, missing for customers
    /// who had not bought by then. The table's rows must be labelled as
    /// [`from_base`](Self::from_base) labels them.
    ///
    /// `p_alive` is the valuation's purchase model's. Use the default, the
    /// [`ModifiedBgNbd`](crate::clv::ModifiedBgNbd)
    /// ([`ModelValuation::fit`](crate::clv::ModelValuation::fit)): under the
    /// BG/NBD everyone who bought only once has `p_alive` 1, however long
    /// ago, so a segment such as `p_alive lt 0.3` would never hold a
    /// one-time buyer (see [`ModelChoice`](crate::clv::ModelChoice)).
    ///
    /// # Errors
    ///
    /// [`TableError::Model`] when the models cannot value the customers;
    /// [`TableError::Duplicate`] when the columns exist;
    /// [`TableError::NoLabelMatched`] when customers were valued and none of
    /// them is a row (rows labelled otherwise than `from_base` labels them).
    ///
    /// Take `day` as the day of the table's `as_of`, or the two describe
    /// different moments.
    pub fn add_model_features(
        &mut self,
        base: &CustomerBase,
        day: chrono::NaiveDate,
        valuation: &crate::clv::ModelValuation,
    ) -> Result<(), TableError> {
        let assessed = valuation.assess(base, day).map_err(TableError::Model)?;
        self.join_numbers("p_alive", assessed.iter().map(|(k, a)| (k, a.p_alive)), true)?;
        self.join_numbers("expected_purchases", assessed.iter().map(|(k, a)| (k, a.expected_purchases)), true)?;
        self.join_numbers("clv", assessed.iter().map(|(k, a)| (k, a.clv)), true)
    }

    /// The crate's own features of every customer of `base` as of `as_of`,
    /// one row per customer created at or before `as_of`, in the base's
    /// order, labelled by key (or id).
    ///
    /// | feature | type | meaning |
    /// |---|---|---|
    /// | `stage`, `phase` | string | snake-case names (`prospect`, …, `churned`; `acquisition`, `development`, `retention`); `phase` missing when dormant or churned |
    /// | `tenure_days` | number | whole days since the customer was created |
    /// | `recency_days` | number | whole days since the last purchase (missing: none) |
    /// | `frequency` | number | purchases up to `as_of` |
    /// | `monetary` | number | purchases less refunds up to `as_of`, in major units |
    /// | `complaints`, `open_complaints` | number | complaints made; still unresolved at `as_of` |
    /// | `nps` | number | the latest NPS answer (missing: none) |
    /// | `nps_category` | string | `promoter` (9–10), `passive` (7–8), `detractor` (0–6) |
    /// | `engagement_days` | number | whole days since the last engagement of any kind |
    /// | `engagement_days.<channel>` | number | the same on one channel (`engagement_days.twitter`) |
    /// | `referrals` | number | referrals they made |
    /// | `influence_rank` | number | PageRank along endorsement (follower → followed) times the number of customers: 1 is average |
    /// | `influence_percentile` | number | the share of other customers with a lower influence rank |
    /// | `reach_1`, `reach_2` | number | people within one and two hops along the direction of influence |
    /// | `rfm_r`, `rfm_f`, `rfm_m`, `rfm_code` | number | RFM quintile scores (1–5, 5 best) and their three-digit code, as of the day of `as_of` (missing: no purchase) |
    /// | `rfm_segment` | string | the named RFM segment of the default map (`"Champions"`, …, as [`RfmSegments::names`](crate::score::RfmSegments::names) spells them) |
    /// | `engagement` | number | the time-decayed engagement score with the default settings |
    /// | `health` | number | the composite health score, 0–100 |
    /// | `consent_profiling`, `consent_contact` | boolean | consent as of `as_of` and still now (not profiling features) |
    /// | `attribute.<name>` | any | the customer's attributes, as they stand now |
    ///
    /// `stage`, `phase`, `nps_category` and `rfm_segment` are closed: they
    /// carry their set of values ([`close_values`](Self::close_values)), and
    /// a segment comparing one of them in `eq`, `ne` or `in` with any other
    /// value (`"Loyal"` for `"loyal"`) is refused when evaluated.
    ///
    /// The CLV models' `p_alive`, `expected_purchases` and `clv` need fitted
    /// models and join with [`add_model_features`](Self::add_model_features).
    ///
    /// # As of `as_of`, and only then
    ///
    /// Every feature is the one the base held at `as_of`, whatever happened
    /// since: `from_base(base, t)` equals `from_base(b, t)`, where `b` is a
    /// base with the same policy holding only the customers created at or
    /// before `t` (in the same order) and only their events and explicit
    /// moves at or before `t` (in the order they were applied), advanced to
    /// `t`. So a customer loyal today who was new at `t` has `stage` `new`;
    /// a customer created after `t` has no row; a referral or follow of
    /// someone created after `t` does not count. The stage at `t` is read
    /// from the customer's history, or, where the base has not evaluated
    /// them up to `t`, found by running their rules to `t` (on a copy: the
    /// base is not changed).
    ///
    /// Two exceptions, stated in that law's terms:
    ///
    /// - **Consent** errs on the protective side: a customer counts as
    ///   allowing a purpose only if they allowed it at `as_of` *and* allow it
    ///   now (as if every later withdrawal had been made at `as_of`). So a
    ///   customer who has withheld profiling by `as_of` or since has no row
    ///   (they are counted in [`left_out`](FeatureTable::left_out)): they
    ///   are in no segment, move nobody's RFM quintiles, influence rank or
    ///   reach. `consent_contact` says whether a row's customer allows
    ///   contact in the same sense. Every feature but the consents is a
    ///   profiling feature.
    /// - **Attributes** are the values the base holds now: it keeps no
    ///   history of them, and they describe who the customer is (region,
    ///   tier, signup source) rather than what they did. (`b` holds the
    ///   customers with their current attributes, as a snapshot does.) Keep
    ///   anything that changes over time and must be read as of a date as
    ///   events, or join it as a column of your own.
    ///
    /// The order the events were applied in matters only where the base
    /// itself depends on it (see [`CustomerBase`]): a base fed in time
    /// order gives the law exactly.
    ///
    /// # Errors
    ///
    /// [`TableError::Money`] when a customer's purchases less refunds
    /// overflow.
    ///
    /// # Complexity
    ///
    /// O(customers + events), and a copy of each customer the base has not
    /// evaluated up to `as_of`.
    #[allow(clippy::too_many_lines)]
    pub fn from_base(base: &CustomerBase, as_of: DateTime<Utc>) -> Result<Self, TableError> {
        let Profiled { customers: present, left_out } =
            Profiled::among(base, base.customers().filter(|c| c.created_at() <= as_of), as_of);
        let row_of: HashMap<CustomerId, usize> = present.iter().enumerate().map(|(i, c)| (c.id(), i)).collect();
        let n = present.len();
        let mut table = FeatureTable::new(present.iter().map(|c| c.label()).collect());
        let days = |from: DateTime<Utc>| Some((as_of - from).num_days() as f64);
        let mut stage = Vec::with_capacity(n);
        let mut phase = Vec::with_capacity(n);
        let mut tenure = Vec::with_capacity(n);
        let mut recency = vec![None; n];
        let mut frequency = vec![Some(0.0); n];
        let mut monetary = vec![Some(0.0); n];
        let mut complaints = vec![Some(0.0); n];
        let mut open = vec![Some(0.0); n];
        let mut nps = vec![None; n];
        let mut category = vec![None; n];
        let mut engaged = vec![None; n];
        let mut by_channel: Vec<(String, Vec<Option<f64>>)> =
            Channel::NAMED.iter().map(|c| (format!("engagement_days.{}", c.name()), vec![None; n])).collect();
        let mut referrals = vec![Some(0.0); n];
        let mut consent = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut attributes: Vec<(String, Vec<Option<Value>>)> = Vec::new();
        for (row, customer) in present.iter().enumerate() {
            let stage_then = base.stage_at(customer.id(), as_of).unwrap_or_else(|| customer.stage());
            stage.push(Some(stage_then.name().to_owned()));
            phase.push(stage_then.phase().map(|p| p.name().to_owned()));
            tenure.push(days(customer.created_at()));
            let mut purchases = 0.0;
            let mut last_purchase = None;
            let mut open_ids = Vec::new();
            for event in base.events(customer.id()).into_iter().flatten().filter(|e| e.at <= as_of) {
                match event.kind {
                    EventKind::Purchase { .. } => {
                        purchases += 1.0;
                        last_purchase = Some(event.at);
                    }
                    EventKind::Complaint => {
                        complaints[row] = complaints[row].map(|c| c + 1.0);
                        open_ids.push(event.id);
                    }
                    EventKind::TicketResolved { ticket } => open_ids.retain(|&id| id != ticket),
                    EventKind::Feedback { feedback: Feedback::Nps(score) } => {
                        let s = score.get();
                        nps[row] = Some(f64::from(s));
                        let name = match s {
                            9..=10 => NPS_CATEGORIES[0],
                            7..=8 => NPS_CATEGORIES[1],
                            _ => NPS_CATEGORIES[2],
                        };
                        category[row] = Some(name.to_owned());
                    }
                    EventKind::Engagement { .. } => {
                        engaged[row] = days(event.at);
                        if let Some(i) = Channel::NAMED.iter().position(|c| *c == event.channel) {
                            by_channel[i].1[row] = days(event.at);
                        }
                    }
                    // Someone created after `as_of` was not yet in the base.
                    EventKind::Referral { invitee } if row_of.contains_key(&invitee) => {
                        referrals[row] = referrals[row].map(|r| r + 1.0);
                    }
                    _ => {}
                }
            }
            frequency[row] = Some(purchases);
            monetary[row] = Some(net_revenue(base, customer.id(), as_of)?.amount.to_f64());
            recency[row] = last_purchase.and_then(days);
            open[row] = Some(open_ids.len() as f64);
            consent.0.push(Some(true));
            consent.1.push(Some(may(base, customer, Purpose::Contact, as_of)));
            for (key, value) in customer.attributes() {
                let name = format!("attribute.{key}");
                let i = attributes.iter().position(|(k, _)| *k == name).unwrap_or_else(|| {
                    attributes.push((name, vec![None; n]));
                    attributes.len() - 1
                });
                attributes[i].1[row] = Some(attribute_value(value));
            }
        }
        let texts = [("stage", stage), ("phase", phase), ("nps_category", category)];
        let numbers = [
            ("tenure_days", tenure),
            ("recency_days", recency),
            ("frequency", frequency),
            ("monetary", monetary),
            ("complaints", complaints),
            ("open_complaints", open),
            ("nps", nps),
            ("engagement_days", engaged),
            ("referrals", referrals),
        ];
        for (name, values) in texts {
            table.add_texts(name, values, true).expect("distinct names of the right length");
        }
        for (name, values) in numbers {
            table.add_numbers(name, values, true).expect("distinct names of finite values");
        }
        for (name, values) in by_channel {
            table.add_numbers(&name, values, true).expect("distinct names of finite values");
        }
        for (name, values) in influence_columns(base, &present, &row_of, as_of) {
            table.add_numbers(name, values, true).expect("distinct names of finite values");
        }
        let (numbers, segments) = score_columns(base, &present, &row_of, as_of);
        for (name, values) in numbers {
            table.add_numbers(name, values, true).expect("distinct names of finite values");
        }
        table.add_texts("rfm_segment", segments, true).expect("distinct name");
        let stages = crate::Stage::ALL.map(crate::Stage::name);
        let phases = crate::Phase::ALL.map(crate::Phase::name);
        let rfm_names = crate::score::RfmSegments::default().names().to_vec();
        for (name, allowed) in [
            ("stage", stages.map(str::to_owned).to_vec()),
            ("phase", phases.map(str::to_owned).to_vec()),
            ("nps_category", NPS_CATEGORIES.map(str::to_owned).to_vec()),
            ("rfm_segment", rfm_names),
        ] {
            table.close_values(name, allowed).expect("the values come from these sets");
        }
        table.add_bools("consent_profiling", consent.0, false).expect("distinct name");
        table.add_bools("consent_contact", consent.1, false).expect("distinct name");
        for (name, values) in attributes {
            table.add_cells(&name, values, true).expect("attributes are finite");
        }
        table.left_out = left_out;
        Ok(table)
    }
}

/// Influence rank, its percentile and 1- and 2-hop reach from the base's own
/// follow and referral graph as of `as_of`, over the customers `present`
/// then; missing if the graph cannot be built.
///
/// The graph is [`Network::from_base`](crate::relationship::Network::from_base)'s
/// with its nodes and edges limited to the customers present at `as_of`:
/// that one holds every customer of the base, and a node too many changes
/// everyone's rank.
fn influence_columns(
    base: &CustomerBase,
    present: &[&Customer],
    row_of: &HashMap<CustomerId, usize>,
    as_of: DateTime<Utc>,
) -> [(&'static str, Vec<Option<f64>>); 4] {
    use crate::relationship::{
        Direction, EdgeKind, EdgeWeights, GraphError, Network, NetworkBuilder, PageRankOptions, pagerank, reach_counts,
    };
    let n = present.len();
    let network = || -> Result<Network<CustomerId>, GraphError> {
        let weights = EdgeWeights::default();
        let mut builder = NetworkBuilder::new();
        for customer in present {
            builder.add_node(customer.id());
        }
        for customer in present {
            let c = customer.id();
            for event in base.events(c).into_iter().flatten().filter(|e| e.at <= as_of) {
                match event.kind {
                    EventKind::Follow { of: Some(followed) } if row_of.contains_key(&followed) => {
                        builder.add_edge(followed, c, EdgeKind::Follows, weights.follows)?;
                    }
                    EventKind::Referral { invitee } if row_of.contains_key(&invitee) => {
                        builder.add_edge(c, invitee, EdgeKind::ReferredBy, weights.referral)?;
                    }
                    _ => {}
                }
            }
        }
        builder.build()
    };
    let built = network().ok().and_then(|network| {
        let options = PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() };
        let rank = pagerank(network.graph(), &options).ok()?;
        Some((network, rank))
    });
    let Some((network, rank)) = built else {
        return [
            ("influence_rank", vec![None; n]),
            ("influence_percentile", vec![None; n]),
            ("reach_1", vec![None; n]),
            ("reach_2", vec![None; n]),
        ];
    };
    // The network holds every present customer, in the base's order.
    let scale = network.graph().node_count() as f64;
    let column = |values: Vec<f64>| values.into_iter().map(Some).collect::<Vec<_>>();
    let reach =
        |hops| column(reach_counts(network.graph(), hops, Direction::Outgoing).into_iter().map(f64::from).collect());
    [
        ("influence_rank", column(rank.scores().iter().map(|p| p * scale).collect())),
        ("influence_percentile", column(rank.percentiles())),
        ("reach_1", reach(1)),
        ("reach_2", reach(2)),
    ]
}

/// RFM scores, engagement and health from [`score`](crate::score), by row
/// of `present` (who all allow profiling as of `as_of` and now: they alone
/// make up the population the RFM quintiles rank); RFM counts the purchases up to the instant `as_of`
/// and the recency in days to its day.
#[allow(clippy::type_complexity)]
fn score_columns(
    base: &CustomerBase,
    present: &[&Customer],
    row_of: &HashMap<CustomerId, usize>,
    as_of: DateTime<Utc>,
) -> ([(&'static str, Vec<Option<f64>>); 6], Vec<Option<String>>) {
    use crate::score::{Engagement, EngagementConfig, Health, Rfm, RfmSegments};
    let n = present.len();
    let row_of = |id: &CustomerId| row_of.get(id).copied();
    let mut rfm = [vec![None; n], vec![None; n], vec![None; n], vec![None; n]];
    let mut segment = vec![None; n];
    let purchases = present.iter().flat_map(|customer| {
        base.events(customer.id()).into_iter().flatten().filter_map(|event| match event.kind {
            EventKind::Purchase { amount } if event.at <= as_of => Some((customer.id(), event.at.date_naive(), amount)),
            _ => None,
        })
    });
    if let Ok(scores) = Rfm::from_records(purchases, as_of.date_naive()) {
        let names = RfmSegments::default();
        for row in scores.rows() {
            let Some(i) = row_of(&row.customer) else { continue };
            let s = row.score;
            for (column, value) in rfm.iter_mut().zip([s.r().into(), s.f().into(), s.m().into(), s.code().into()]) {
                column[i] = Some(value);
            }
            segment[i] = Some(names.segment(s).to_owned());
        }
    }
    let config = EngagementConfig::default();
    let mut engagement = vec![None; n];
    for score in Engagement::from_base(base, &config, as_of).scores {
        if let Some(i) = row_of(&score.customer) {
            engagement[i] = Some(score.score);
        }
    }
    let mut health = vec![None; n];
    for score in Health::from_base(base, &config, as_of).scores {
        if let Some(i) = row_of(&score.customer) {
            health[i] = Some(score.score);
        }
    }
    let [r, f, m, code] = rfm;
    (
        [("rfm_r", r), ("rfm_f", f), ("rfm_m", m), ("rfm_code", code), ("engagement", engagement), ("health", health)],
        segment,
    )
}

fn attribute_value(value: &crate::AttributeValue) -> Value {
    use crate::AttributeValue as A;
    match value {
        A::Text(s) => Value::Text(s.clone()),
        A::Integer(i) => Value::Number(*i as f64),
        A::Number(x) => Value::Number(*x),
        A::Bool(b) => Value::Bool(*b),
        A::Date(d) => Value::Text(d.to_string()),
    }
}
