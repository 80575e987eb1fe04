//! The integration tests, in one binary to keep link time down.

// Test helpers take values for brevity at the call sites, and hand-computed
// cases compare floats exactly on purpose.
#![allow(clippy::needless_pass_by_value, clippy::float_cmp)]
// The examples included as modules each include examples/support/output.rs.
#![allow(clippy::duplicate_mod)]

#[cfg(feature = "sim")]
mod advocacy;
mod campaign;
#[cfg(feature = "csv")]
mod clv;
mod common;
#[cfg(feature = "sim")]
mod consent;
mod driver;
mod errors;
#[cfg(feature = "csv")]
mod eventlog;
#[cfg(feature = "sim")]
mod examples;
mod foundation;
mod lifecycle;
#[cfg(feature = "plot")]
mod plot;
mod properties;
mod relationship;
mod score;
mod segment;
#[cfg(feature = "sim")]
mod sim;
#[cfg(feature = "sim")]
mod snapshot;
#[cfg(feature = "store")]
mod store;
