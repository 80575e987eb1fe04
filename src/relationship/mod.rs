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
//! | [`Reach`], [`reach_counts`] | k-hop reach of a node or a set of nodes |
//! | [`pagerank`], [`personalized_pagerank`] | weighted PageRank with damping and restart |
//! | [`ReferralForest`] | who brought whom; attribution with decay; viral coefficient per cohort |
//! | [`simulate_spread`], [`LiveEdgeSamples`], [`celf`], [`greedy`] | independent-cascade diffusion: seeded Monte Carlo spread with a 95% interval; influence maximisation |
//! | `read_edge_list` | a [`Network`] of string ids from a CSV edge list (feature `csv`) |
//!
//! # Direction
//!
//! An edge `source → target` points the way word travels: from the followed
//! to the follower, from the referrer to the referred (see [`EdgeKind`]).
//! Reach and diffusion walk edges that way ([`Direction::Outgoing`]);
//! influence rank as endorsement flows the other way
//! ([`Direction::Incoming`]), so the followed rank high.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::relationship::{
//!     pagerank, Direction, EdgeKind, NetworkBuilder, PageRankOptions, Reach,
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
//! let mut reach = Reach::new(network.graph(), Direction::Outgoing);
//! assert_eq!(reach.count(&[ana], 2)?, 3);
//!
//! let endorsement = PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() };
//! let rank = pagerank(network.graph(), &endorsement)?;
//! assert_eq!(rank.top(1)[0].0, ana);
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

pub use diffusion::{DiffusionError, LiveEdgeSamples, Selection, Spread, celf, greedy, simulate_spread};
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub use edgelist::{EdgeListError, read_edge_list};
pub use graph::{Direction, Duplicates, EdgeKind, EdgeRef, Graph, GraphBuilder, GraphError, NodeIndex};
pub use network::{EdgeWeights, Network, NetworkBuilder};
pub use rank::{PageRank, PageRankOptions, RankError, pagerank, personalized_pagerank};
pub use reach::{Reach, reach_counts};
pub use referral::{Attribution, AttributionOptions, CohortPeriod, ReferralError, ReferralForest, ViralCoefficient};
