//! [`Transaction`]: one purchase as a transaction log records it, with no
//! event id: a customer key, a calendar day and an amount. With the `csv`
//! feature, [`TransactionCsv`](crate::csv::TransactionCsv) reads them from a
//! file. [`Transaction`] and [`TransactionLog`] are also at the crate root.
//!
//! # Example
//!
//! ```
//! use chrono::NaiveDate;
//! use customer_lifecycle::{Money, TransactionLog};
//!
//! let day = |d| NaiveDate::from_ymd_opt(2024, 1, d).unwrap();
//! let log = TransactionLog::from_records([
//!     ("bo", day(3), Money::from_minor(1_250)),
//!     ("ana", day(1), Money::from_minor(500)),
//!     ("bo", day(9), Money::from_minor(300)),
//! ]);
//! assert_eq!(log.len(), 3);
//! assert_eq!(log.keys(), ["bo", "ana"]); // numbered by first row
//! assert_eq!(log.key(&log.rows()[2]), "bo");
//! ```

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

/// One row of a [`TransactionLog`]: the customer as the index of its key in
/// [`TransactionLog::keys`], the day and the amount. 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogRow {
    /// The index of the customer's key in [`TransactionLog::keys`].
    pub customer: u32,
    /// The calendar day of the purchase.
    pub date: NaiveDate,
    /// The amount paid.
    pub amount: Money,
}

/// A transaction log with each customer key stored once: the keys in order
/// of their first row, and the rows, in input order, naming their customer
/// by index. What the whole-base computations read fastest
/// ([`Rfm::from_log`](crate::score::Rfm::from_log),
/// [`Summary::from_log`](crate::clv::Summary::from_log)), and what
/// [`TransactionCsv::from_reader`](crate::csv::TransactionCsv::from_reader) returns
/// without a string allocation per row. Serialises as the list of its
/// [`Transaction`]s.
///
/// # Example
///
/// ```
/// use customer_lifecycle::{Money, Transaction, TransactionLog};
///
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// let log = TransactionLog::from_records([
///     ("bo", d("2024-01-02"), Money::from_minor(500)),
///     ("ana", d("2024-01-01"), Money::from_minor(100)),
///     ("bo", d("2024-01-03"), Money::from_minor(0)),
/// ]);
/// assert_eq!(log.keys(), ["bo", "ana"]);
/// assert_eq!(log.rows()[2].customer, 0);
/// assert_eq!(log.key(&log.rows()[1]), "ana");
/// let again: TransactionLog = log.to_transactions().into();
/// assert_eq!(again, log);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<Transaction>", into = "Vec<Transaction>")]
pub struct TransactionLog {
    keys: Vec<String>,
    rows: Vec<LogRow>,
}

impl TransactionLog {
    /// The log of `(customer key, day, amount)` records, in their order.
    ///
    /// # Panics
    ///
    /// At 2^32 distinct keys.
    ///
    /// # Complexity
    ///
    /// O(n) expected for n records: one hash look-up each.
    pub fn from_records<K: AsRef<str>>(records: impl IntoIterator<Item = (K, NaiveDate, Money)>) -> TransactionLog {
        let mut table: crate::keys::KeyTable = crate::keys::KeyTable::default();
        let records = records.into_iter();
        let mut rows = Vec::with_capacity(records.size_hint().0);
        for (key, date, amount) in records {
            let key = key.as_ref();
            let customer = table.insert(key, table.prepare(key));
            rows.push(LogRow { customer, date, amount });
        }
        TransactionLog { keys: table.into_keys(), rows }
    }

    /// The keys and rows, as [`from_parts`](Self::from_parts) takes them.
    #[cfg(feature = "csv")]
    pub(crate) fn into_parts(self) -> (Vec<String>, Vec<LogRow>) {
        (self.keys, self.rows)
    }

    /// Assembles a log from parts known to be consistent: `keys` distinct,
    /// in order of their first row, each with a row.
    #[cfg(feature = "csv")]
    pub(crate) fn from_parts(keys: Vec<String>, rows: Vec<LogRow>) -> TransactionLog {
        debug_assert!(rows.iter().all(|r| (r.customer as usize) < keys.len()));
        TransactionLog { keys, rows }
    }

    /// The distinct customer keys, in order of their first row.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The rows, in input order.
    pub fn rows(&self) -> &[LogRow] {
        &self.rows
    }

    /// The key of a row of this log.
    ///
    /// # Panics
    ///
    /// When the row's customer index is not one of this log's.
    pub fn key(&self, row: &LogRow) -> &str {
        &self.keys[row.customer as usize]
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the log has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows as `(customer key, day, amount)` records, the input of
    /// [`Rfm::from_records`](crate::score::Rfm::from_records) and the like.
    pub fn records(&self) -> impl ExactSizeIterator<Item = (&str, NaiveDate, Money)> + '_ {
        self.rows.iter().map(|r| (self.key(r), r.date, r.amount))
    }

    /// The rows as [`Transaction`]s, each with its own copy of its key (on
    /// every core with the `parallel` feature).
    ///
    /// # Complexity
    ///
    /// O(n) for n rows, a string allocation each.
    pub fn to_transactions(&self) -> Vec<Transaction> {
        crate::util::par_map_min(&self.rows, 1 << 14, |r| Transaction {
            key: self.key(r).to_owned(),
            date: r.date,
            amount: r.amount,
        })
    }
}

impl From<Vec<Transaction>> for TransactionLog {
    fn from(transactions: Vec<Transaction>) -> TransactionLog {
        TransactionLog::from_records(transactions.iter().map(|t| (t.key.as_str(), t.date, t.amount)))
    }
}

impl From<TransactionLog> for Vec<Transaction> {
    fn from(log: TransactionLog) -> Vec<Transaction> {
        log.to_transactions()
    }
}
