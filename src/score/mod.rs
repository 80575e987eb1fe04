//! Scores over a whole [`CustomerBase`](crate::CustomerBase): [`Rfm`]
//! quintiles and their named segments, F.R.Y. ([`Fry`]: frequency, reach,
//! yield, and the decomposition of a revenue change), time-decayed
//! [`Engagement`], [`FeedbackScores`] (NPS and CSAT) and a composite
//! [`Health`].
//!
//! Every score is deterministic, takes its time explicitly (an `as_of` day
//! or instant, or a [`Window`](crate::Window)), and respects consent: a
//! customer who withheld profiling consent as of the computation's time, or
//! at their latest change, is left out (absent from the input: they move
//! nobody's quintile edges), and each result says how many were left out in
//! a field (or method) named `left_out`. The scores read the
//! base and nothing above it; values that come from higher layers (a
//! customer's reach in the relationship graph) are passed in by the caller
//! (see [layers point down](crate#layers-point-down)).
//!
//! # Example
//!
//! ```
//! use chrono::NaiveDate;
//! use customer_lifecycle::score::{Rfm, RfmSegments};
//! use customer_lifecycle::Money;
//!
//! let d = |s: &str| s.parse::<NaiveDate>().unwrap();
//! let log = [
//!     ("ana", d("2024-03-01"), Money::from_minor(9_000)),
//!     ("bo", d("2024-01-10"), Money::from_minor(1_500)),
//!     ("ana", d("2024-03-20"), Money::from_minor(4_000)),
//!     ("cy", d("2024-02-14"), Money::from_minor(2_500)),
//!     ("di", d("2024-03-28"), Money::from_minor(500)),
//!     ("ed", d("2023-11-02"), Money::from_minor(700)),
//! ];
//! let rfm = Rfm::from_records(log, d("2024-03-31"))?;
//! let ana = &rfm.rows()[0];
//! assert_eq!((ana.recency_days, ana.frequency, ana.monetary), (11, 2, Money::from_minor(13_000)));
//! assert_eq!(ana.score.code(), 455);
//! assert_eq!(RfmSegments::default().segment(ana.score), "Champions");
//! # Ok::<(), customer_lifecycle::score::ScoreError>(())
//! ```

mod engagement;
mod fry;
mod health;
mod nps;
mod rfm;

use chrono::NaiveDate;

pub use engagement::{Engagement, EngagementConfig, EngagementScore, Interaction};
pub use fry::{Fry, FryCustomer, FryDecomposition, FryFigures, Reach};
pub use health::{Health, HealthComponents, HealthScore};
pub use nps::{CsatSummary, FeedbackScores, NpsSummary};
pub use rfm::{Rfm, RfmRow, RfmScore, RfmSegments};

use crate::{Money, MoneyError};

/// What went wrong computing a score.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// A purchase record had a negative amount.
    #[error("record {record}: negative purchase amount {amount} on {date}")]
    NegativeAmount {
        /// The 0-based position of the record in the input.
        record: usize,
        /// The day of the record.
        date: NaiveDate,
        /// The amount.
        amount: Money,
    },
    /// A sum of amounts overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// An RFM code is not three digits each in 1..=5.
    #[error("invalid RFM code {code}: expected three digits each in 1..=5")]
    InvalidRfmCode {
        /// The code given.
        code: u16,
    },
    /// An RFM segment map names a code twice.
    #[error("RFM code {code} is mapped to both {first:?} and {second:?}")]
    DuplicateRfmCode {
        /// The code.
        code: u16,
        /// The first segment that names it.
        first: String,
        /// The second one.
        second: String,
    },
    /// An RFM segment map leaves a code out.
    #[error("RFM code {code} is not mapped to any segment")]
    MissingRfmCode {
        /// The first code left out.
        code: u16,
    },
    /// A configuration value is out of range.
    #[error("invalid setting {name} = {value}: {reason}")]
    InvalidSetting {
        /// The setting.
        name: String,
        /// The value given.
        value: f64,
        /// The range it must lie in.
        reason: &'static str,
    },
}
