//! SVG charts of the crate's own results: the pictures a marketer reads the
//! ladder, the leaking bucket and the cohorts from, and the ones an analyst
//! judges a purchase model by before trusting it.
//!
//! Each chart is a function that takes a result of this crate (an
//! [`analytics::Funnel`](crate::analytics::Funnel), a
//! [`CohortTable`](crate::analytics::CohortTable), a
//! [`LeakingBucket`](crate::advocacy::LeakingBucket), holdout rows, …) and
//! returns an [`Svg`]: a self-contained SVG document as a string, which
//! [`Svg::write_to`] saves to a file. The model charts are model-agnostic:
//! [`Tracking`], [`FrequencyRecency`] and [`PeriodTransactions`] take the
//! model's predictions as closures or simulated data, so any of the
//! purchase models (BG/NBD, modified BG/NBD, Pareto/NBD) can be drawn, and
//! the model's name goes into the title.
//!
//! | chart | from |
//! |---|---|
//! | [`ladder`] | [`Funnel`](crate::analytics::Funnel): stage counts and step conversion |
//! | [`stage_flows`] | [`TransitionMatrix`](crate::analytics::TransitionMatrix): a heat map of moves between two dates |
//! | [`cohorts`] | [`CohortTable`](crate::analytics::CohortTable): a retention heat map |
//! | [`leaking_bucket`] | [`LeakingBucket`](crate::advocacy::LeakingBucket): acquired, lost and net per period |
//! | [`rfm_segments`] | [`Rfm`](crate::score::Rfm) and [`RfmSegments`](crate::score::RfmSegments): customers and revenue per segment |
//! | [`tracking`] | [`Tracking`]: repeat transactions, actual against expected |
//! | [`calibration_holdout`] | [`HoldoutRow`](crate::clv::HoldoutRow)s: mean holdout purchases by calibration frequency |
//! | [`frequency_recency`] | [`FrequencyRecency`]: expected purchases or P(alive) over frequency × recency |
//! | [`period_transactions`] | [`PeriodTransactions`]: customers by repeat purchases, actual and simulated |
//! | [`ab_test`] | [`ArmOutcome`](crate::campaign::ArmOutcome)s: rates and uplift with intervals |
//! | [`best_time`] | [`TimingProfile`](crate::campaign::TimingProfile): response rate by hour of the week |
//!
//! Every chart is 800 × 500 pixels (the tracking chart, with two panels,
//! 800 × 640) and has a title, labelled axes with units and a legend where
//! it draws more than one series. Series take the Okabe–Ito colours and
//! heat maps viridis, both readable with the common colour-vision
//! deficiencies; text is at least 12 px. Hours of the week are read at the
//! offset the [`TimingProfile`](crate::campaign::TimingProfile) was made
//! with (UTC unless the caller chose one), and the axis says which. Text
//! from the data (segment names, arm names, channels) is XML-escaped. The
//! SVG names a generic `sans-serif` font and embeds none: the viewer draws
//! the glyphs.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::clv::{HoldoutRow, TimeUnit};
//! use customer_lifecycle::plot::calibration_holdout;
//!
//! // Mean holdout purchases by calibration frequency, as `clv::holdout_table` gives them.
//! let row = |frequency, customers, actual, predicted| HoldoutRow { frequency, customers, actual, predicted };
//! let rows = [
//!     row(0, 1411, 0.24, 0.23),
//!     row(1, 439, 0.70, 0.63),
//!     row(2, 214, 1.39, 1.19),
//!     row(3, 100, 1.56, 1.71),
//! ];
//! let svg = calibration_holdout(&rows, "BG/NBD", TimeUnit::Weeks, 39.0)?;
//! assert!(svg.as_str().starts_with("<svg"));
//! assert!(svg.as_str().contains("Calibration against holdout (BG/NBD)"));
//! # let path = std::env::temp_dir().join("customer-lifecycle-holdout-doc.svg");
//! svg.write_to(&path)?; // or: let text: String = svg.into();
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), customer_lifecycle::Error>(())
//! ```
//!
//! It draws (the same SVG, inlined in this page; a test keeps the two
//! equal):
//!
#![doc = include_str!("example.svg")]

mod business;
mod campaign;
mod draw;
mod model;

use std::fmt;
use std::path::{Path, PathBuf};

pub use business::{cohorts, ladder, leaking_bucket, rfm_segments, stage_flows};
pub use campaign::{ab_test, best_time};
pub use model::{
    FrequencyRecency, GridQuantity, PeriodTransactions, Tracking, calibration_holdout, frequency_recency,
    period_transactions, tracking,
};

/// What went wrong drawing or saving a chart.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The input has nothing to draw.
    #[error("nothing to draw: {what} is empty")]
    Empty {
        /// What was empty.
        what: &'static str,
    },
    /// A setting is out of range.
    #[error("invalid chart option {name} = {value}: {reason}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The range it must lie in.
        reason: &'static str,
    },
    /// A value to draw is not finite.
    #[error("{what} has a value that is not finite ({value})")]
    NonFinite {
        /// Which series or cell.
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// Two inputs that must line up do not: `what` has `found` entries
    /// where `expected` were due.
    #[error("inputs do not match: {what} has {found} entries, expected {expected}")]
    Mismatch {
        /// Which series or row, named as the message says it.
        what: &'static str,
        /// How many entries it has.
        found: usize,
        /// How many it should have (the length of the series it goes with).
        expected: usize,
    },
    /// The drawing library refused (a bug in this module if it happens).
    #[error("drawing failed: {message}")]
    Draw {
        /// The library's message.
        message: String,
    },
    /// The file could not be written.
    #[error("cannot write {}: {message}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
}

/// A chart: one self-contained SVG document (`<svg …>…</svg>`, no external
/// references, no scripts).
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::{HoldoutRow, TimeUnit};
/// use customer_lifecycle::plot::calibration_holdout;
///
/// let rows = [HoldoutRow { frequency: 0, customers: 10, actual: 0.5, predicted: 0.4 }];
/// let svg = calibration_holdout(&rows, "Pareto/NBD", TimeUnit::Weeks, 13.0)?;
/// let path = std::env::temp_dir().join("customer-lifecycle-svg-doc.svg");
/// svg.write_to(&path)?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), svg.as_str());
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), customer_lifecycle::plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Svg(String);

impl Svg {
    /// The document.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The document, by value.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Writes the document to `path`, replacing the file.
    ///
    /// # Errors
    ///
    /// [`PlotError::Write`] when the file cannot be written.
    pub fn write_to(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let path = path.as_ref();
        std::fs::write(path, &self.0).map_err(|e| PlotError::Write { path: path.to_owned(), message: e.to_string() })
    }
}

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Svg> for String {
    fn from(svg: Svg) -> String {
        svg.0
    }
}

/// `Ok` when every value is finite.
fn check_finite(what: &'static str, values: impl IntoIterator<Item = f64>) -> Result<(), PlotError> {
    match values.into_iter().find(|v| !v.is_finite()) {
        Some(value) => Err(PlotError::NonFinite { what, value }),
        None => Ok(()),
    }
}
