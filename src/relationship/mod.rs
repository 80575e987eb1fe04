//! Relationships and influence: the social graph of customers, how far each
//! one's word travels (k-hop reach), who carries the brand (influence rank),
//! what referrals brought, and how word of mouth spreads.
//!
//! The data structure is separate from the algorithms, one file each:
//!
//! | item | what it is |
//! |---|---|
//! | [`Graph`], [`GraphBuilder`] | a directed, weighted, typed graph in CSR form, indexed both ways |
//! | [`Network`], [`NetworkBuilder`] | a graph whose nodes carry keys: customer ids ([`Network::from_base`]) or strings |
//! | [`ReachCounter`], [`reach_counts`] | k-hop reach of a node or a set of nodes |
//! | [`pagerank`], [`personalized_pagerank`] | weighted PageRank with damping and restart |
//! | [`ReferralForest`] | who brought whom; attribution with decay; viral coefficient per cohort |
//! | [`simulate_spread`], [`LiveEdgeSamples`], [`celf`], [`greedy`] | independent-cascade diffusion: seeded Monte Carlo spread with a 95% interval; influence maximisation |
//! | `read_edge_list` | a [`Network`] of string ids from a CSV edge list whose header says whether it is a follow graph or plain directed edges (feature `csv`) |
//!
//! # Direction
//!
//! An edge `source → target` points the way word travels: from the followed
//! to the follower, from the referrer to the referred (see [`EdgeKind`]).
//! Reach and diffusion walk edges that way ([`Direction::Outgoing`]);
//! influence rank as endorsement flows the other way
//! ([`Direction::Incoming`]), so the followed rank high. An edge list read
//! from CSV (`read_edge_list`) says by its header which it is: a follow
//! graph (`follower,followed` or `follower_id,followed_id`), stored the same
//! way, or plain `source,target` edges, along which both rank and reach flow;
//! `EdgeListHeader` gives the directions to use.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::relationship::{
//!     pagerank, Direction, EdgeKind, NetworkBuilder, PageRankOptions, ReachCounter,
//! };
//!
//! // Word travels from ana to her followers bo and cy, and from bo to dee.
//! let mut builder = NetworkBuilder::new();
//! for (followed, follower) in [("ana", "bo"), ("ana", "cy"), ("bo", "dee")] {
//!     builder.add_edge(followed, follower, EdgeKind::Follows, 1.0)?;
//! }
//! let network = builder.build()?;
//! let ana = network.node("ana").unwrap();
//!
//! let mut reach = ReachCounter::new(network.graph(), Direction::Outgoing);
//! assert_eq!(reach.count(&[ana], 2)?, 3);
//!
//! let endorsement = PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() };
//! let rank = pagerank(network.graph(), &endorsement)?;
//! assert_eq!(rank.top(1)[0].0, ana);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # From a customer base
//!
//! The top customers by influence rank, how far their word travels in two
//! hops, and the revenue their referrals brought:
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use customer_lifecycle::relationship::{
//!     pagerank, ReferralAttributionOptions, Direction, EdgeWeights, Network, PageRankOptions, ReachCounter, ReferralForest,
//! };
//! use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, NewCustomer, Policy};
//!
//! let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
//! let mut base = CustomerBase::new(Policy::default());
//! let [ana, bo, cy, dee] = ["ana", "bo", "cy", "dee"].map(|k| base.add_customer(NewCustomer::with_key(k, t0)).unwrap());
//! let mut n = 0;
//! let mut event = |customer, kind| {
//!     n += 1;
//!     Event { id: EventId::from_key(&format!("e{n}")), customer, at: t0 + TimeDelta::days(n), channel: Channel::Web, kind }
//! };
//! for follower in [bo, cy, dee] {
//!     base.apply(&event(follower, EventKind::Follow { of: Some(ana) }))?;
//! }
//! base.apply(&event(dee, EventKind::Follow { of: Some(cy) }))?;
//! base.apply(&event(ana, EventKind::Referral { invitee: cy }))?;
//! base.apply(&event(cy, EventKind::Purchase { amount: "80.00".parse()? }))?;
//! let as_of = t0 + TimeDelta::days(30);
//!
//! let network = Network::from_base(&base, as_of, EdgeWeights::default())?;
//! let endorsement = PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() };
//! let rank = pagerank(network.graph(), &endorsement)?;
//! let mut reach = ReachCounter::new(network.graph(), Direction::Outgoing);
//! let forest = ReferralForest::from_base(&base, as_of)?;
//! let credit = forest.attribution(ReferralAttributionOptions::default())?;
//!
//! let mut rows = Vec::new();
//! for (node, score) in rank.top(10) {
//!     let id = network.keys()[node.index()];
//!     let brought = credit.iter().find(|c| c.customer == id).map(|c| c.revenue.to_string());
//!     rows.push((base.get(id).unwrap().label(), score, reach.count(&[node], 2)?, brought));
//! }
//! assert_eq!(rows[0].0, "ana");
//! assert_eq!(rows[0].2, 3); // bo, cy and dee hear from ana
//! assert_eq!(rows[0].3.as_deref(), Some("80.00")); // cy's purchase
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod diffusion;
#[cfg(feature = "csv")]
mod edgelist;
mod graph;
mod network;
mod rank;
mod reach;
mod referral;

pub use diffusion::{
    DiffusionError, LiveEdgeSamples, MonteCarloOptions, Selection, Spread, celf, greedy, simulate_spread,
};
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub use edgelist::{EdgeList, EdgeListError, EdgeListHeader, read_edge_list};
pub use graph::{Direction, Duplicates, EdgeKind, EdgeRef, Graph, GraphBuilder, GraphError, NodeIndex};
pub use network::{EdgeWeights, Network, NetworkBuilder};
pub use rank::{PageRank, PageRankOptions, RankError, pagerank, personalized_pagerank};
pub use reach::{ReachCounter, reach_counts};
pub use referral::{
    Attribution, ReferralAttributionOptions, ReferralError, ReferralForest, ViralCoefficient, ViralPeriod,
};
