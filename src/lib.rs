//! # customer-lifecycle
//!
//! Model your customers, the relationships between them, and each one's
//! journey from prospect to evangelist.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod base;
mod customer;
mod error;
mod event;
mod id;
mod lifecycle;
mod money;
pub mod relationship;

pub use base::{Applied, BaseError, CustomerBase, ForgetReport, JournalEntry, Snapshot, SnapshotError, StageCounts};
pub use customer::{AttributeValue, Consent, ConsentState, Customer, NewCustomer};
pub use error::{Error, Result};
pub use event::{Channel, CsatScore, EngagementAction, Event, EventKind, Feedback, NpsScore, Purpose, ScoreRangeError};
pub use id::{CustomerId, EventId, ParseIdError};
pub use lifecycle::{Phase, Policy, PolicyBuilder, PolicyError, Reason, Rule, Stage, Transition};
pub use money::{Money, MoneyError};
pub use relationship::{Graph, GraphError, Network, NodeIndex, PageRank, RankError};
