//! The integration tests, in one binary to keep link time down.

// Test helpers take values for brevity at the call sites, and hand-computed
// cases compare floats exactly on purpose.
#![allow(clippy::needless_pass_by_value, clippy::float_cmp)]

#[cfg(feature = "sim")]
mod advocacy;
mod campaign;
#[cfg(feature = "csv")]
mod clv;
mod common;
mod driver;
#[cfg(feature = "sim")]
mod examples;
mod foundation;
mod lifecycle;
mod properties;
mod relationship;
mod score;
mod segment;
#[cfg(feature = "sim")]
mod sim;
