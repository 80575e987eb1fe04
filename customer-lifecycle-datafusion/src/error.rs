//! The crate's errors.

use customer_lifecycle::clv::ClvError;
use datafusion::error::DataFusionError;

/// A value in a transaction log that cannot be read as the column's
/// meaning: raised inside the plan by [`clv_day`](crate::functions::clv_day)
/// and [`clv_cents`](crate::functions::clv_cents), and recovered by the
/// crate's functions as [`Error::Value`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column:?}: {value:?} {reason}")]
#[non_exhaustive]
pub struct ValueError {
    /// The column: `date` or `amount`.
    pub column: &'static str,
    /// The offending value as text (`null` for a missing one).
    pub value: String,
    /// Why it was refused.
    pub reason: &'static str,
}

/// Everything that can go wrong reading a log or running a plan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The path is neither a Parquet or CSV file nor a directory holding
    /// such files of one kind.
    #[error("{path}: {reason}")]
    Source {
        /// The path given.
        path: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// The table lacks a column the log needs, or has it with a type the
    /// crate does not read.
    #[error("{source_name}: column {column:?} {reason}")]
    Schema {
        /// The file, directory or table name.
        source_name: String,
        /// The column.
        column: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A value that cannot be read (see [`ValueError`]), in the named source.
    #[error("{source_name}: {error}")]
    Value {
        /// The file, directory or table name.
        source_name: String,
        /// The value and column.
        error: ValueError,
    },
    /// A customer's sum of purchases does not fit in 64-bit cents.
    #[error("customer {customer_id:?}: the sum of purchases overflows 64-bit cents")]
    Overflow {
        /// The customer's key.
        customer_id: String,
    },
    /// A model fit or a prediction failed.
    #[error("{model}: {error}")]
    Model {
        /// The model: `BG/NBD`, `Pareto/NBD` or `Gamma-Gamma`.
        model: &'static str,
        /// The library's error.
        error: ClvError,
    },
    /// Reading or writing a file.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        error: std::io::Error,
    },
    /// A cluster process could not start, or could not reach another.
    #[error("ballista: {0}")]
    Cluster(String),
    /// DataFusion refused or failed the plan.
    #[error("{0}")]
    DataFusion(Box<DataFusionError>),
}

impl Error {
    /// Wraps a DataFusion error, recovering a [`ValueError`] raised inside
    /// the plan as [`Error::Value`] of `source_name`.
    pub(crate) fn from_datafusion(error: DataFusionError, source_name: &str) -> Error {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(e) = cause {
            if let Some(value) = e.downcast_ref::<ValueError>() {
                return Error::Value { source_name: source_name.to_owned(), error: value.clone() };
            }
            cause = e.source();
        }
        Error::DataFusion(Box::new(error))
    }
}

impl From<DataFusionError> for Error {
    fn from(error: DataFusionError) -> Self {
        Error::from_datafusion(error, "the plan")
    }
}
