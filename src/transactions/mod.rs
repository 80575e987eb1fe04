//! [`Transaction`]: one purchase as a transaction log records it, with no
//! event id: a customer key, a calendar day and an amount. With the `csv`
//! feature, [`TransactionCsv`](crate::TransactionCsv) reads them from a file.

#[cfg(feature = "csv")]
pub(crate) mod csv;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Money;

/// One purchase in a transaction log. Two equal records are two purchases.
///
/// # Example
///
/// ```
/// use customer_lifecycle::Transaction;
///
/// let t = Transaction { key: "42".into(), date: "2024-03-01".parse()?, amount: "19.99".parse()? };
/// assert_eq!(serde_json::to_string(&t)?, r#"{"key":"42","date":"2024-03-01","amount":"19.99"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transaction {
    /// The customer's key, exactly as in the log.
    pub key: String,
    /// The calendar day of the purchase.
    pub date: NaiveDate,
    /// The amount paid (never negative when read by the CSV reader).
    pub amount: Money,
}
