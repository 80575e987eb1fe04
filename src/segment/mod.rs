//! Segments: named, declarative predicates over customer features, defined
//! in JSON or in Rust, stored and shared, and evaluated over a whole base.
//!
//! A [`Segment`] is a name and a [`Predicate`]: `{"all": [..]}`,
//! `{"any": [..]}`, `{"not": {..}}`, or a comparison
//! `{"field": NAME, OP: VALUE}` with OP one of `eq`, `ne`, `lt`, `le`, `gt`,
//! `ge`, `in` (a list) and `between` (two values, inclusive). Logic is
//! two-valued and `not` is plain negation; a missing value satisfies no
//! comparison but `ne`, so `not {x lt 5}` holds where `x` is missing.
//!
//! Segments are evaluated over a [`FeatureTable`]: the features of every
//! customer computed once ([`FeatureTable::from_base`] for the crate's own,
//! plus any other module's output as another column), so many segments cost
//! little more than one. The result is a [`Membership`] bitset per segment;
//! [`SegmentChange`] and [`MigrationMatrix`] compare two evaluations, and
//! [`FeatureTable::explain`] says why a customer is in or out.
//!
//! Consent: a customer who withheld profiling consent as of the table's date
//! or at their latest change has no row in
//! [`FeatureTable::from_base`] (counted in [`FeatureTable::left_out`]); in a
//! table of your own, rows marked with
//! [`FeatureTable::set_profiling_withheld`] are never members of a segment
//! that uses a profiling feature.

#[cfg(feature = "csv")]
mod csv;
mod definition;
mod eval;
mod library;
mod table;

#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub use csv::read_feature_csv;
pub use definition::{Comparison, DefinitionError, FieldRef, Op, Predicate, Segment, Value};
pub use eval::{ClauseOutcome, Explanation, Membership, MigrationMatrix, SegmentChange};
pub use library::ready_segments;
pub use table::{FeatureTable, FeatureType, TableError};
