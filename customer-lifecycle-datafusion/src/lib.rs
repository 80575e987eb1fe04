//! Transaction logs from Parquet, CSV and any DataFusion table, and the
//! [customer-lifecycle](customer_lifecycle) whole-base computations as
//! DataFusion plans.
//!
//! - [`TransactionLog`] reads a log (`customer_id`, `date`, `amount`) from
//!   Parquet or CSV files or directories, or from a registered table, by
//!   the column rules of [`functions`].
//! - [`btyd`] computes the BTYD summary and the histogram of `(x, t_x, T)`
//!   patterns as DataFusion plans, fits the BG/NBD, Pareto/NBD and
//!   Gamma-Gamma on the histogram (bit for bit the in-memory fits), and
//!   predicts per customer.
//! - [`rfm::rfm`] scores RFM with ties broken by key, as the main crate's
//!   `Rfm::from_records_ties_by_key`.
//! - [`to_parquet`] writes any result batch.
//! - `cluster` (feature `ballista`) runs the same plans on a Ballista
//!   cluster: the client session, the scheduler and executor processes
//!   with the crate's functions compiled in, and a local cluster for tests.
//!
//! Every count and sum is computed in integers, so the results do not
//! depend on how the table is partitioned.
//!
//! # Example
//!
//! ```no_run
//! use customer_lifecycle::clv::{FitOptions, TimeUnit};
//! use customer_lifecycle_datafusion::{TransactionLog, btyd, functions, to_parquet};
//! use datafusion::prelude::SessionContext;
//!
//! # async fn run() -> Result<(), customer_lifecycle_datafusion::Error> {
//! let ctx = SessionContext::new();
//! functions::register_all(&ctx);
//! let log = TransactionLog::read(&ctx, "orders/").await?;
//! let end = chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
//! let histogram = btyd::histogram(&log, end, TimeUnit::Weeks).await?;
//! let fits = btyd::fit_all(&histogram, &FitOptions::default())?;
//! let summary = btyd::summary(&log, end, TimeUnit::Weeks).await?;
//! to_parquet(&btyd::predictions(&summary, &fits, 52.0)?, "predictions.parquet")?;
//! # Ok(())
//! # }
//! ```

pub mod btyd;
#[cfg(feature = "ballista")]
pub mod cluster;
mod error;
pub mod functions;
mod output;
mod read;
pub mod rfm;

pub use error::{Error, ValueError, ValueProblem};
pub use output::to_parquet;
pub use read::TransactionLog;
