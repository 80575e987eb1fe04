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
//! The store and its vocabulary live at the crate root. Around them, one
//! module per question:
//!
//! - [`score`]: RFM quintile scores and named segments, F.R.Y. with the
//!   split of a revenue change, time-decayed engagement, NPS and CSAT, and a
//!   composite health score.
//! - [`analytics`]: the funnel, the stage transition matrix and its
//!   projection, and the cohort retention table.
//! - [`clv`]: who is still alive, and what each customer is worth. It
//!   summarises a transaction log ([`Transaction`], read from CSV by
//!   `TransactionCsv`) into frequency, recency and age, fits the BG/NBD,
//!   modified BG/NBD, Pareto/NBD and Gamma-Gamma models, and predicts
//!   purchases, P(alive), spend and lifetime value.
//! - [`relationship`]: who carries the brand's word. The follow and referral
//!   graph, k-hop reach, influence rank (PageRank), referral attribution and
//!   the viral coefficient, and word-of-mouth diffusion with the choice of
//!   seeds that spread it furthest.
//! - [`segment`]: segments as data. A JSON predicate language over customer
//!   features, evaluated over a whole base at once, with changes,
//!   migrations and explanations.
//! - [`campaign`]: what each campaign did. Attribution, reports and ROI,
//!   experiments (stable assignment, z- and t-tests, sample sizes, uplift)
//!   and the best time to engage.
//! - [`advocacy`]: what customers are worth counting the people they bring,
//!   who the evangelists are by the data, and the leaking bucket.
//! - [`eventlog`]: the shop's own event logs, JSON Lines or CSV with text
//!   keys, read with file, line and field in every error, and ingested
//!   into a base as one all-or-nothing batch.
//! - [`sim`]: seeded synthetic customer bases; its documentation states the
//!   generative story.
//! - `plot` (feature `plot`): SVG charts of these results — the ladder,
//!   stage flows, retention cohorts, the leaking bucket, RFM segments, a
//!   purchase model's tracking, holdout, frequency/recency and period
//!   transaction charts, an A/B test and the best time to engage.
//!
//! # Design
//!
//! The rules every module keeps, and what they mean for your code.
//!
//! ## Time is explicit
//!
//! The library never reads the clock and never draws operating-system
//! randomness. Every answer that depends on time takes an instant, a day or
//! a [`Window`]; everything random takes a seed. The same events give the
//! same state, scores, fits and segments, bit for bit, on every machine.
//!
//! ## Refused calls change nothing
//!
//! Bad input is a typed error that says what was wrong and where (the
//! file, line and field; the customer's own key), never a panic; a call
//! that fails leaves the base as it was. Applying the same event twice is a
//! no-op.
//!
//! ## Consent and erasure
//!
//! A customer who withheld profiling consent, as of a computation's time or
//! at their latest recorded change, is left out of every whole-base result
//! ([`score`], [`analytics`], [`segment`], [`campaign`], [`advocacy`],
//! [`clv`] and [`relationship`] built from a base): absent from the input,
//! so they move nobody else's quintile edges, reach or cohort sizes, and
//! counted under one name, `left_out`. [`CustomerBase::forget`] and
//! `store::CustomerStore::forget_all` (feature `store`) erase a customer as if they had
//! never been there.
//!
//! ## Aggregates merge
//!
//! A per-customer summary built from part of the data (a date range, a
//! partition of the customers) combines with the summary of another part,
//! associatively, into the summary of the whole: so the same code runs on
//! one thread, on every core, or inside a distributed engine: the
//! purchases of [`clv::PurchaseAggregate::merge`], the sums of an
//! experiment's arms in [`campaign::Sums::merge`] and
//! [`campaign::CrossSums::merge`]. Property tests check the merge laws.
//!
//! ## Layers point down
//!
//! Data types know nothing of the store; the store knows nothing of scores;
//! segments, campaigns and advocacy sit on top of scores, models and the
//! graph; nothing in the library depends on the simulator. Where a
//! computation low down needs a value computed higher up (a score that uses
//! a customer's reach in the graph, a network value that uses CLV and
//! influence rank), you compute it with the higher module, or your own
//! code, and pass it in.
//!
//! # Cargo features
//!
//! - `sim` (default): the simulator and the models' `simulate` functions,
//!   with `rand_distr`. Nothing else in the library depends on it.
//! - `csv` (default): reading CSV files with the `csv` crate: transaction
//!   logs, model summaries, edge lists and feature tables.
//! - `plot` (off by default): the `plot` module's SVG charts, drawn with
//!   `plotters`' SVG backend alone (no bitmap or font crates).
//!
//! # Examples
//!
//! The `cookbook` module (feature `csv`) holds complete programs for the
//! jobs most users come with — your own event log kept daily in a store, a
//! CLV table from a transaction CSV, the customers at risk of churn, a
//! segment exported for a campaign and its A/B test, the top influencers of
//! a follow list, erasing a customer — each also an example that runs on
//! the data bundled in `examples/data/` (`cargo run --example daily_ingest`,
//! `clv_table`, `at_risk`, `segment_campaign`, `top_influencers`,
//! `forget_customer`). Which purchase model to use is answered in
//! [`clv`](crate::clv#which-model-should-i-use).
//!
//! The other examples take your own files:
//!
//! - `cargo run --example quickstart`: a simulated base of 10,000 people over
//!   two years: the stage and phase mix, the conversion between ladder steps
//!   and three customers' journeys; RFM segments, F.R.Y. and retention
//!   cohorts; the most influential customers; three JSON segments; one
//!   campaign's report and its A/B test; network value, ambassador
//!   candidates and the leaking bucket.
//! - `cargo run --release --example scale -- --customers 1000000`: a million
//!   customers streamed into a base, with the peak memory it took.
//! - `cargo run --example experiment -- --ab 1000,100,1000,130` (or
//!   `--sample-size 0.10,0.05,0.05,0.80`): an A/B test's numbers as JSON.
//! - `cargo run --release --example clv -- --summary FILE.csv` (or
//!   `--transactions FILE.csv --time-unit weeks --calibration-end
//!   YYYY-MM-DD`): the three models fitted, with per-customer predictions,
//!   as JSON.
//! - `cargo run --release --example influence -- --edges FILE.csv`:
//!   PageRank and 2-hop reach of every node, as JSON.
//! - `cargo run --release --example segments -- --features FILE.csv
//!   --definitions FILE.json`: segment members, as JSON.
//! - `cargo run --release --example rfm -- --transactions FILE.csv --as-of
//!   YYYY-MM-DD`: RFM scores and segments of a transaction log, as CSV.
//! - `cargo run --release --features plot --example report -- --out DIR`:
//!   a simulated base drawn as twelve SVG charts and one self-contained
//!   `DIR/index.html` showing them (or, with `--transactions FILE.csv
//!   --calibration-end YYYY-MM-DD --time-unit weeks`, the charts a
//!   transaction log allows).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod advocacy;
pub mod analytics;
mod base;
pub mod campaign;
pub mod clv;
mod consent;
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub mod cookbook;
mod customer;
pub mod error;
mod event;
pub mod eventlog;
mod group;
mod id;
mod keys;
mod lifecycle;
mod money;
pub mod relationship;
pub mod score;
pub mod segment;
mod transactions;
mod util;
mod window;

// Public dependencies: their types appear in this crate's API (chrono's
// dates and times everywhere, uuid behind the ids, serde_json's `Value` in
// `Segment::from_value`), so users can name the very versions this crate
// was built with.
#[doc(no_inline)]
pub use chrono;
#[doc(no_inline)]
pub use serde_json;
#[doc(no_inline)]
pub use uuid;

pub use base::{Applied, BaseError, CustomerBase, ForgetReport, JournalEntry, Snapshot, SnapshotError, StageCounts};
pub use customer::{AttributeValue, Consent, ConsentState, Customer, NewCustomer};
pub use error::{Error, Result};
pub use event::{Channel, CsatScore, EngagementAction, Event, EventKind, Feedback, NpsScore, Purpose, ScoreRangeError};
pub use id::{CampaignId, CustomerId, EventId, ParseIdError};
pub use lifecycle::{Phase, Policy, PolicyBuilder, PolicyError, Reason, Rule, Stage, Transition};
pub use money::{Money, MoneyError};
#[cfg(feature = "csv")]
pub use transactions::csv::{CsvError, TransactionCsv};
pub use transactions::{LogRow, Transaction, TransactionLog};
pub use window::{Window, WindowError};

#[cfg(feature = "sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
pub mod sim;

#[cfg(feature = "plot")]
#[cfg_attr(docsrs, doc(cfg(feature = "plot")))]
pub mod plot;

#[cfg(feature = "store")]
#[cfg_attr(docsrs, doc(cfg(feature = "store")))]
pub mod store;

/// The README's examples, compiled and run as doc-tests so they never rot.
/// The README hides no line, so that it reads the same on GitHub; one of
/// its examples reads CSV, so this runs with the `csv` feature (a default).
#[cfg(all(doctest, feature = "csv"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
