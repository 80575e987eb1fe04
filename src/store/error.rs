//! [`StoreError`]: why a [`CustomerStore`](super::CustomerStore) call failed.

use crate::eventlog::EventLogError;

/// Why a [`CustomerStore`](super::CustomerStore) call failed. A failed call
/// changes nothing: its write transaction is dropped unapplied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A value failed its checks (format version or checksum), or a value
    /// that another names is missing: the store's files are damaged.
    #[error("the store is corrupt: table {table:?}, key {key:?} fails its checks")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The key, as the shop spelled it (customer keys), or a number or
        /// hex id for internal tables.
        key: String,
    },
    /// The directory holds no store (for `open`), or holds one already (for
    /// `create`).
    #[error("{path}: {reason}")]
    Path {
        /// The directory.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The store was written by another format version of this crate.
    #[error("the store has format version {found}, this build reads {expected}")]
    Format {
        /// The version found.
        found: u8,
        /// The version this build reads and writes.
        expected: u8,
    },
    /// A batch was refused; it names the file, line, field and keys.
    #[error(transparent)]
    Batch(#[from] EventLogError),
    /// The store was opened for reading only.
    #[error("the store is open for reading only")]
    ReadOnly,
    /// No customer has this key.
    #[error("unknown customer {key:?}")]
    UnknownCustomer {
        /// The key.
        key: String,
    },
    /// The database or the file system failed (I/O, locking, or a damaged
    /// page that the database itself noticed).
    #[error("database: {message}")]
    Database {
        /// The database's message.
        message: String,
    },
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        match e {
            redb::Error::Corrupted(message) => StoreError::Corrupt { table: "(pages)", key: message },
            e => StoreError::Database { message: e.to_string() },
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::from(redb::Error::from(e))
            }
        }
    )*};
}

from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::CompactionError
);
