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
