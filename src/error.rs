//! The crate-wide [`Error`], which every module's error converts into, and
//! the [`Result`] alias.

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
    /// An event log was refused.
    #[error(transparent)]
    EventLog(#[from] crate::eventlog::EventLogError),
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
    Store(#[from] crate::store::StoreError),
    /// A summary, model fit or prediction failed.
    #[error(transparent)]
    Clv(#[from] crate::clv::ClvError),
    /// A campaign, report or experiment was refused.
    #[error(transparent)]
    Campaign(#[from] crate::campaign::CampaignError),
    /// A window was empty.
    #[error(transparent)]
    Window(#[from] crate::WindowError),
    /// A score could not be computed.
    #[error(transparent)]
    Scoring(#[from] crate::score::ScoreError),
    /// A CSV file could not be read.
    #[cfg(feature = "csv")]
    #[error(transparent)]
    Csv(#[from] crate::CsvError),
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

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
