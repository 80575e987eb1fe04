//! The integration tests, in one binary to keep link time down.

mod common;
mod examples;
mod foundation;
mod lifecycle;
mod properties;
mod sim;
