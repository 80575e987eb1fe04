//! Reading CSV files (feature `csv`): one reader per format, all with the
//! same shape and the same error, [`CsvError`](crate::error::CsvError).
//!
//! - [`TransactionCsv`]: a purchase log (customer key, day, amount) into
//!   [`Transaction`](crate::Transaction)s or a
//!   [`TransactionLog`](crate::TransactionLog).

pub use crate::transactions::csv::TransactionCsv;
