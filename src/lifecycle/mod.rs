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

pub(crate) mod policy;
pub(crate) mod rules;
mod stage;

pub use policy::{Policy, PolicyBuilder};
pub use stage::{Phase, Reason, Rule, Stage, Transition};
