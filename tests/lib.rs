//! Integration tests, one submodule per area, linked into one binary.

mod clv;
