//! Every error type of the crate's core: the crate-wide [`Error`], which
//! every module's error converts into, the [`Result`] alias, the errors of
//! the store and its vocabulary ([`BaseError`], [`SnapshotError`],
//! [`PolicyError`], [`ParseIdError`], [`MoneyError`], [`ScoreRangeError`],
//! [`WindowError`]), the CSV readers' [`CsvError`] (feature `csv`), and
//! [`IoError`], the shareable I/O cause the readers' errors keep as their
//! [`source`](std::error::Error::source).
//!
//! The analysis modules keep their own errors next to the code
//! ([`clv::ClvError`](crate::clv::ClvError),
//! [`segment::DefinitionError`](crate::segment::DefinitionError), …); each
//! converts into [`Error`], so `?` works across modules.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::error::MoneyError;
//! use customer_lifecycle::{Error, Money};
//!
//! fn total(amounts: &[&str]) -> Result<Money, Error> {
//!     let mut sum = Money::ZERO;
//!     for amount in amounts {
//!         sum = sum.checked_add(amount.parse()?)?; // each module's error lifts into Error
//!     }
//!     Ok(sum)
//! }
//! assert_eq!(total(&["1.50", "2"])?.to_string(), "3.50");
//! assert!(matches!(total(&["1.5.0"]), Err(Error::Money(MoneyError::Parse { .. }))));
//! # Ok::<(), Error>(())
//! ```

use std::fmt;
use std::io;
use std::sync::Arc;

pub use crate::base::error::BaseError;
pub use crate::base::snapshot::SnapshotError;
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub use crate::csv::error::{CsvError, FieldProblem};
pub use crate::id::ParseIdError;
pub use crate::lifecycle::policy::PolicyError;
pub use crate::money::MoneyError;
pub use crate::window::WindowError;

/// The error returned for a survey answer out of its range
/// ([`NpsScore`](crate::event::NpsScore), [`CsatScore`](crate::event::CsatScore)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{scale} answer {value} is outside {min}..={max}")]
pub struct ScoreRangeError {
    pub(crate) scale: &'static str,
    pub(crate) value: i64,
    pub(crate) min: u8,
    pub(crate) max: u8,
}

/// Any error of this crate. Each variant wraps the error of one module, so
/// `?` works across modules and a caller can still match on the detail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An id did not parse.
    #[error(transparent)]
    Id(#[from] crate::ParseIdError),
    /// An amount of money was malformed or overflowed.
    #[error(transparent)]
    Money(#[from] crate::MoneyError),
    /// A survey answer was out of range.
    #[error(transparent)]
    Score(#[from] crate::ScoreRangeError),
    /// A policy setting was impossible.
    #[error(transparent)]
    Policy(#[from] crate::PolicyError),
    /// The customer base refused a call.
    #[error(transparent)]
    Base(#[from] crate::BaseError),
    /// An advocacy figure could not be computed.
    #[error(transparent)]
    Advocacy(#[from] crate::advocacy::AdvocacyError),
    /// An event log was refused (boxed: the error names file, line, field
    /// and keys, and would make every `Result` of the crate large).
    #[error(transparent)]
    EventLog(Box<crate::eventlog::EventLogError>),
    /// A snapshot could not be read.
    #[error(transparent)]
    Snapshot(#[from] crate::SnapshotError),
    /// A simulator setting was impossible.
    #[cfg(feature = "sim")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    /// The durable store failed.
    #[cfg(feature = "store")]
    #[cfg_attr(docsrs, doc(cfg(feature = "store")))]
    #[error(transparent)]
    Store(Box<crate::store::StoreError>),
    /// A summary, model fit or prediction failed.
    #[error(transparent)]
    Clv(#[from] crate::clv::ClvError),
    /// Covariates could not be built, or a fit with them failed.
    #[error(transparent)]
    Covariate(#[from] crate::clv::CovariateError),
    /// A campaign, report or experiment was refused.
    #[error(transparent)]
    Campaign(#[from] crate::campaign::CampaignError),
    /// A window was empty.
    #[error(transparent)]
    Window(#[from] crate::WindowError),
    /// A score could not be computed.
    #[error(transparent)]
    Scoring(#[from] crate::score::ScoreError),
    /// A CSV file (transactions, summaries, features, an edge list) could
    /// not be read.
    #[cfg(feature = "csv")]
    #[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
    #[error(transparent)]
    Csv(#[from] crate::CsvError),
    /// A segment definition was invalid.
    #[error(transparent)]
    Definition(#[from] crate::segment::DefinitionError),
    /// A feature table could not be built or read as asked.
    #[error(transparent)]
    Table(#[from] crate::segment::TableError),
    /// A relationship graph refused an edge.
    #[error(transparent)]
    Graph(#[from] crate::relationship::GraphError),
    /// A PageRank run had bad settings or did not converge.
    #[error(transparent)]
    Rank(#[from] crate::relationship::RankError),
    /// Referral attribution had bad settings or overflowed.
    #[error(transparent)]
    Referral(#[from] crate::relationship::ReferralError),
    /// A diffusion run had bad input.
    #[error(transparent)]
    Diffusion(#[from] crate::relationship::DiffusionError),
    /// A chart could not be drawn or saved.
    #[cfg(feature = "plot")]
    #[cfg_attr(docsrs, doc(cfg(feature = "plot")))]
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
}

impl From<crate::eventlog::EventLogError> for Error {
    fn from(error: crate::eventlog::EventLogError) -> Self {
        Error::EventLog(Box::new(error))
    }
}

#[cfg(feature = "store")]
impl From<crate::store::StoreError> for Error {
    fn from(error: crate::store::StoreError) -> Self {
        Error::Store(Box::new(error))
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An I/O error as the cause of another error: the [`io::Error`] itself,
/// shared so that the errors holding it stay `Clone`, and compared by kind
/// and message so that they stay `PartialEq`.
///
/// It displays as the I/O error does; [`get_ref`](IoError::get_ref) gives
/// the [`io::Error`], for its [`kind`](io::Error::kind) or its raw OS code.
#[derive(Debug, Clone)]
pub struct IoError(Arc<io::Error>);

impl IoError {
    /// The I/O error.
    pub fn get_ref(&self) -> &io::Error {
        &self.0
    }

    /// Its kind.
    pub fn kind(&self) -> io::ErrorKind {
        self.0.kind()
    }
}

impl From<io::Error> for IoError {
    fn from(error: io::Error) -> Self {
        IoError(Arc::new(error))
    }
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoError {}
