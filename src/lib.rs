//! Model your customers, the relationships between them, and each one's
//! journey from prospect to evangelist.
//!
//! Marketing that only counts followers fills a leaking bucket. This crate
//! keeps the ladder that matters — **prospect → new → satisfied → repeat →
//! loyal → evangelist**, with **dormant** and **churned** off to the side —
//! for every customer, derived from what they do, with the reason for every
//! move on record. It respects each customer's consent and can forget a
//! customer entirely. It never reads the clock and never draws operating-system
//! randomness: the same events give the same state, bit for bit.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, NewCustomer, Policy, Rule, Reason, Stage};
//!
//! let mut base = CustomerBase::new(Policy::default());
//! let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap();
//! let id = base.add_customer(NewCustomer::with_key("00042", t0))?;
//!
//! base.apply(&Event {
//!     id: EventId::from_key("order-9001"),
//!     customer: id,
//!     at: t0 + TimeDelta::hours(2),
//!     channel: Channel::Store,
//!     kind: EventKind::Purchase { amount: "49.90".parse()? },
//! })?;
//! base.advance_to(t0 + TimeDelta::days(45));
//!
//! let customer = base.get(id).unwrap();
//! assert_eq!(customer.key(), Some("00042"));
//! assert_eq!(customer.stage(), Stage::Satisfied); // a quiet month without complaint
//! assert_eq!(customer.history()[1].reason, Reason::Rule(Rule::Satisfaction));
//! # Ok::<(), customer_lifecycle::Error>(())
//! ```
//!
//! # Overview
//!
//! - [`CustomerBase`] is the store. Customers are added with [`NewCustomer`];
//!   [`Event`]s are applied with [`CustomerBase::apply`]; the clock moves
//!   with [`CustomerBase::advance_to`]. It answers with [`Customer`]s, their
//!   [`Stage`] and [`Transition`] history, and [`StageCounts`].
//! - [`Policy`] holds the rules that derive a stage from the events, each
//!   threshold configurable and validated.
//! - [`Stage`] and [`Phase`] are the ladder; [`Stage::can_move_to`] is the
//!   table of legal moves; a [`Reason`] says which [`Rule`] or explicit call
//!   moved a customer.
//! - [`CustomerId`], [`EventId`] and [`Money`] carry meaning in their types:
//!   ids are UUID newtypes (derived from your own keys with `from_key`),
//!   money is integer cents with checked arithmetic.
//! - [`Consent`] records, per [`Purpose`], what each customer allows;
//!   [`CustomerBase::forget`] erases a customer on request.
//! - [`Snapshot`] is the whole base as versioned JSON.
//! - [`Window`] is a half-open span of time, `[start, end)`: the periods that
//!   scores and analytics take.
//! - [`Error`] wraps every module's error; each refused call says what and
//!   where, and changes nothing.
//!
//! # Modules
//!
//! Most items live at the crate root. The catalogue modules hold what is
//! computed over a whole base:
//!
//! - [`score`]: RFM quintile scores and named segments
//!   ([`score::Rfm`], [`score::RfmSegments`]), F.R.Y. with the split of a
//!   revenue change ([`score::Fry`], [`score::FryDecomposition`]),
//!   time-decayed engagement ([`score::Engagement`]), NPS and CSAT
//!   ([`score::FeedbackScores`]) and a composite health score
//!   ([`score::Health`]). Each leaves out, and counts, the customers who
//!   withheld profiling consent.
//! - [`analytics`]: the funnel ([`analytics::Funnel`]), the stage
//!   transition matrix and its projection ([`analytics::TransitionMatrix`]),
//!   and the cohort retention table ([`analytics::CohortTable`]).
//! - [`clv`]: customer lifetime value models.
//!
//! [`sim`] generates seeded synthetic customer bases, and its documentation
//! states the generative story.
//!
//! # Cargo features
//!
//! - `sim` (default): the simulator, with `rand`, `rand_distr` and
//!   `rand_chacha`. Nothing else in the library depends on it.
//!
//! # Examples
//!
//! - `cargo run --example quickstart`: a simulated base of 10,000 people over
//!   two years: the stage and phase mix, the conversion between ladder steps,
//!   and three customers' journeys.
//! - `cargo run --release --example scale -- --customers 1000000`: a million
//!   customers streamed into a base, with the peak memory it took.
//! - `cargo run --release --example rfm -- --transactions FILE.csv --as-of
//!   YYYY-MM-DD`: RFM scores and segments of a transaction log, as CSV.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod analytics;
mod base;
pub mod clv;
mod customer;
mod error;
mod event;
mod group;
mod id;
mod lifecycle;
mod money;
pub mod score;
mod transactions;
mod window;

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
pub use window::{Window, WindowError};

#[cfg(feature = "sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
pub mod sim;

/// The README's examples, compiled and run as doc-tests so they never rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
