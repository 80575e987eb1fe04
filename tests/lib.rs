//! The integration tests, in one binary to keep link time down.

// Test helpers take values for brevity at the call sites.
#![allow(clippy::needless_pass_by_value)]
// Tests compare floats exactly where the value is exact by construction.
#![allow(clippy::float_cmp)]

#[cfg(feature = "csv")]
mod clv;
mod common;
#[cfg(feature = "sim")]
mod examples;
mod foundation;
mod lifecycle;
mod properties;
mod score;
#[cfg(feature = "sim")]
mod sim;
