//! Advocacy: what a customer is worth counting the people they bring
//! (network value), who the evangelists are by the data, who could become
//! one, and the leaking bucket — customers gained and lost, and which lever,
//! retention or acquisition, is worth more.
//!
//! This layer joins the others' outputs: CLV from [`clv`](crate::clv),
//! referrals and influence from [`relationship`](crate::relationship), the
//! stages from [`CustomerBase`](crate::CustomerBase). Customers who withheld
//! profiling consent are left out of every output, and each result says how
//! many.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::CustomerId;
//! use customer_lifecycle::advocacy::{NetworkInputs, NetworkOptions, network_value};
//!
//! // Ana brought Bo, who brought Cy; Dee withheld profiling consent.
//! let inputs = NetworkInputs {
//!     customers: ["ana", "bo", "cy", "dee"].map(CustomerId::from_key).to_vec(),
//!     own_value: vec![100.0, 60.0, 40.0, 80.0], // CLV, from `clv`
//!     realised: vec![50.0, 20.0, 10.0, 30.0],   // revenue so far
//!     converted: vec![true, true, true, true],
//!     referrer: vec![None, Some(0), Some(1), None], // rows, from `relationship`
//!     audience: vec![20.0, 0.0, 0.0, 5.0],         // people their word reaches
//!     eligible: vec![true, true, true, false],
//! };
//! let options = NetworkOptions { conversion_rate: Some(0.1), value_per_conversion: Some(50.0), ..NetworkOptions::default() };
//! let values = network_value(&inputs, &options)?;
//! assert_eq!(values.left_out, 1);
//! let ana = values.get(CustomerId::from_key("ana")).unwrap();
//! // Bo's 60 + 20, then Cy's 40 + 10 at half weight one generation further.
//! assert_eq!(ana.referral, 80.0 + 0.5 * 50.0);
//! assert_eq!(ana.influence, 20.0 * 0.1 * 50.0);
//! assert_eq!(ana.total, 100.0 + 105.0 + 100.0);
//! assert_eq!(values.ranked()[0].customer, CustomerId::from_key("ana"));
//! # Ok::<(), customer_lifecycle::advocacy::AdvocacyError>(())
//! ```

mod bucket;
mod evangelist;
mod value;

pub use bucket::{BucketRow, LeakingBucket, LeverComparison, leaking_bucket, retention_vs_acquisition};
pub use evangelist::{Candidate, EvangelistCriteria, ambassador_candidates, promote_evangelists};
pub use value::{NetworkInputs, NetworkOptions, NetworkValue, NetworkValues, network_value, rank_audience};

/// What went wrong computing advocacy figures.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AdvocacyError {
    /// A customer's purchases less refunds overflowed.
    #[error(transparent)]
    Money(#[from] crate::MoneyError),
    /// An input column's length differs from the number of customers.
    #[error("input column {column} has {found} rows, expected {expected}")]
    Length {
        /// The column.
        column: &'static str,
        /// Its length.
        found: usize,
        /// The number of customers.
        expected: usize,
    },
    /// A value that must be finite and not negative is not.
    #[error("input column {column} row {row}: {value} is not a finite value >= 0")]
    InvalidValue {
        /// The column.
        column: &'static str,
        /// The row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A referrer row is out of range or the customer themselves.
    #[error("row {row}: referrer row {referrer} is not another customer's row")]
    BadReferrer {
        /// The row.
        row: usize,
        /// The referrer given.
        referrer: u32,
    },
    /// The referrals loop back on themselves.
    #[error("row {row}: the referrals form a cycle")]
    ReferralCycle {
        /// A row on the cycle.
        row: usize,
    },
    /// An option is out of its range.
    #[error("option {name} = {value} is out of range")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// The referral forest could not be built.
    #[error("referral forest: {0}")]
    Referral(#[from] crate::relationship::ReferralError),
    /// A model could not value the customers.
    #[error("valuation: {0}")]
    Model(#[from] crate::clv::ClvError),
    /// The base refused a move.
    #[error(transparent)]
    Base(#[from] crate::BaseError),
}
