//! The lifecycle: [`Stage`]s on the ladder from prospect to evangelist, the
//! [`Phase`]s they group into, the legal moves between them, the
//! [`Transition`] history, and the [`Policy`] whose rules derive each
//! customer's stage from their events. [`Stage`] and [`Policy`] are also at
//! the crate root.
//!
//! Besides the vocabulary and the settings, this module holds the rules
//! engine (crate-private): the facts the rules read, the rules themselves,
//! and the steps that move one customer through events, time and explicit
//! moves. The [`CustomerBase`](crate::CustomerBase) only decides which steps
//! each customer goes through.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::lifecycle::Phase;
//! use customer_lifecycle::{Policy, Stage};
//!
//! assert_eq!(Stage::Satisfied.phase(), Some(Phase::Development));
//! assert_eq!(Stage::Churned.phase(), None); // off the ladder
//! assert!(Stage::New.can_move_to(Stage::Satisfied));
//! assert!(!Stage::Satisfied.can_move_to(Stage::Prospect)); // nobody becomes a prospect again
//! // Every threshold is a setting, checked when the policy is built.
//! let policy = Policy::builder().loyal_min_purchases(6).build()?;
//! assert!(Policy::builder().dormant_after_days(400).churned_after_days(365).build().is_err());
//! assert_ne!(policy, Policy::default());
//! # Ok::<(), customer_lifecycle::Error>(())
//! ```

pub(crate) mod policy;
pub(crate) mod rules;
mod stage;

pub use policy::{Policy, PolicyBuilder};
pub use stage::{Phase, Reason, Rule, Stage, Transition};
