//! # customer-lifecycle
//!
//! Model your customers, the relationships between them, and each one's
//! journey from prospect to evangelist.
//!
//! ## Predicting the future
//!
//! [`clv`] summarises a transaction log ([`Transaction`], read from CSV by
//! `TransactionCsv` with the default `csv` feature) into frequency, recency
//! and age per customer, fits the BG/NBD, Pareto/NBD and Gamma-Gamma models,
//! and predicts purchases, the probability that a customer is alive, spend
//! and lifetime value. The `clv` example runs the whole path on a file.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod base;
pub mod clv;
mod customer;
mod error;
mod event;
mod id;
mod lifecycle;
mod money;
mod transactions;

pub use base::{Applied, BaseError, CustomerBase, ForgetReport, JournalEntry, Snapshot, SnapshotError, StageCounts};
pub use customer::{AttributeValue, Consent, ConsentState, Customer, NewCustomer};
pub use error::{Error, Result};
pub use event::{Channel, CsatScore, EngagementAction, Event, EventKind, Feedback, NpsScore, Purpose, ScoreRangeError};
pub use id::{CustomerId, EventId, ParseIdError};
pub use lifecycle::{Phase, Policy, PolicyBuilder, PolicyError, Reason, Rule, Stage, Transition};
pub use money::{Money, MoneyError};
pub use transactions::Transaction;
#[cfg(feature = "csv")]
pub use transactions::csv::{CsvError, TransactionCsv};
