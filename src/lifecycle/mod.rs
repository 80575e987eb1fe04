//! The lifecycle: [`Stage`]s on the ladder from prospect to evangelist, the
//! [`Phase`]s they group into, the legal moves between them, the
//! [`Transition`] history, and the [`Policy`] whose rules derive each
//! customer's stage from their events.
//!
//! The rules themselves run inside [`CustomerBase`](crate::CustomerBase);
//! this module holds the vocabulary and the settings.

mod policy;
pub(crate) mod rules;
mod stage;

pub use policy::{Policy, PolicyBuilder, PolicyError};
pub use stage::{Phase, Reason, Rule, Stage, Transition};
