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
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::segment::{FeatureTable, Segment, SegmentChange};
//!
//! let labels = vec!["ana".to_owned(), "bo".to_owned(), "cy".to_owned()];
//! let week = |spend: [f64; 3]| -> Result<FeatureTable, customer_lifecycle::segment::TableError> {
//!     let mut table = FeatureTable::new(labels.clone());
//!     table.add_numbers("spend", spend.map(Some).to_vec(), true)?;
//!     Ok(table)
//! };
//! let big = Segment::from_json(r#"{"name": "big spenders", "where": {"field": "spend", "ge": 100}}"#)?;
//!
//! let (before, after) = (week([150.0, 20.0, 90.0])?, week([40.0, 20.0, 120.0])?);
//! let change = SegmentChange::between(&before.evaluate(&big)?, &after.evaluate(&big)?);
//! assert_eq!(after.labels_of(&change.entered), ["cy"]);
//! assert_eq!(after.labels_of(&change.left), ["ana"]);
//!
//! // Why is Ana out now?
//! let why = after.explain(&big, 0)?;
//! assert!(!why.member && !why.clauses[0].held);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod catalogue;
#[cfg(feature = "csv")]
mod csv;
mod definition;
mod eval;
mod library;
mod membership;
mod table;

#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub use csv::read_feature_csv;
pub use definition::{Comparison, DefinitionError, FieldRef, Op, Predicate, Segment, Value};
pub use eval::{ClauseOutcome, Explanation, MigrationMatrix, SegmentChange};
pub use library::ready_segments;
pub use membership::Membership;
pub use table::{FeatureTable, FeatureType, TableError};
