//! [`CsvError`], the one error of every CSV reader, and [`FieldProblem`],
//! what was wrong with a field.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::MoneyError;
use crate::error::IoError;
use crate::relationship::GraphError;

/// What went wrong reading a CSV file, with any of the readers of
/// [`csv`](crate::csv).
///
/// Every variant carries the file it was read from (`None` for a reader
/// given a stream: [`file`](Self::file)), and, where the error is tied to
/// one, the 1-based physical line ([`line`](Self::line), the header being
/// line 1) and the column. The message names the line and the column (and
/// the file only when it cannot be opened), so a caller that prefixes its
/// own name for the input does not repeat it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The file could not be read; the I/O error is the
    /// [`source`](std::error::Error::source).
    #[error("cannot read {}: {source}", Shown(file.as_deref()))]
    Io {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The operating system's error.
        source: IoError,
    },
    /// The input has no header line: it is empty or holds only blank lines.
    #[error("no header line; expected {expected}")]
    NoHeader {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The headers the reader accepts.
        expected: &'static str,
    },
    /// The header lacks a required column.
    #[error("line 1: missing column {column:?}")]
    MissingColumn {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The column's name.
        column: String,
    },
    /// The header names a column twice.
    #[error("line {line}: duplicate column {column:?}")]
    DuplicateColumn {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The header's line.
        line: u64,
        /// The column's name.
        column: String,
    },
    /// A header that names none of the accepted sets of columns.
    #[error("line {line}: header {header:?} names no accepted pair of columns; expected {expected}")]
    UnknownHeader {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The header's line.
        line: u64,
        /// The header as read.
        header: String,
        /// The headers the reader accepts.
        expected: &'static str,
    },
    /// A header that names more than one accepted set of columns, so its
    /// meaning is ambiguous.
    #[error("line {line}: header {header:?} names more than one pair of columns; expected one of {expected}")]
    AmbiguousHeader {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The header's line.
        line: u64,
        /// The header as read.
        header: String,
        /// The headers the reader accepts.
        expected: &'static str,
    },
    /// A record with a different number of fields from the header.
    #[error("line {line}: expected {expected} columns as in the header, found {found}")]
    FieldCount {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The line.
        line: u64,
        /// How many fields it had.
        found: usize,
        /// How many the header has.
        expected: usize,
    },
    /// A line is not well-formed CSV (a wrong number of fields where the
    /// reader does not count them itself, bad UTF-8).
    #[error("line {line}: malformed CSV: {message}")]
    Malformed {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The line (0 when unknown).
        line: u64,
        /// What the CSV parser said.
        message: String,
    },
    /// A field does not hold a valid value.
    #[error("line {line}, column {column:?}: invalid value {value:?}: {problem}")]
    InvalidField {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The line.
        line: u64,
        /// The column's name.
        column: String,
        /// The field as read.
        value: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// The rows were read but the graph they describe could not be built;
    /// the [`GraphError`] is the [`source`](std::error::Error::source).
    #[error("line {line}: {source}")]
    Graph {
        /// The file, `None` for a stream.
        file: Option<PathBuf>,
        /// The line of the edge (0 when the error is not one edge's).
        line: u64,
        /// The graph's error.
        source: GraphError,
    },
}

/// What was wrong with one field, in [`CsvError::InvalidField`]: a reason a
/// caller can match on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldProblem {
    /// A customer key that is empty.
    #[error("empty customer id")]
    EmptyKey,
    /// Not a real calendar day written `YYYY-MM-DD`.
    #[error("expected a calendar date YYYY-MM-DD")]
    NotADate,
    /// Not an amount of money (a decimal with at most two fraction
    /// digits, within range).
    #[error(transparent)]
    NotAnAmount(MoneyError),
    /// A purchase amount below zero.
    #[error("a purchase amount cannot be negative")]
    NegativeAmount,
    /// A number too large for a 64-bit float.
    #[error("the number is too large for a 64-bit float")]
    NumberTooLarge,
    /// Not a whole number of repeat purchases.
    #[error("expected a whole number of repeat purchases")]
    NotACount,
    /// Not a finite number at or above zero (a duration, a value, a
    /// weight).
    #[error("expected a finite non-negative number")]
    NotNonNegative,
    /// A summary's recency after its age `T`.
    #[error("recency is after T")]
    RecencyAfterT,
    /// An id that is not valid UTF-8.
    #[error("expected UTF-8 text")]
    NotUtf8,
}

impl CsvError {
    /// The file the error was read from; `None` when the reader was given a
    /// stream.
    pub fn file(&self) -> Option<&Path> {
        match self {
            CsvError::Io { file, .. }
            | CsvError::NoHeader { file, .. }
            | CsvError::MissingColumn { file, .. }
            | CsvError::DuplicateColumn { file, .. }
            | CsvError::UnknownHeader { file, .. }
            | CsvError::AmbiguousHeader { file, .. }
            | CsvError::FieldCount { file, .. }
            | CsvError::Malformed { file, .. }
            | CsvError::InvalidField { file, .. }
            | CsvError::Graph { file, .. } => file.as_deref(),
        }
    }

    /// The 1-based physical line, where the error has one (the header is
    /// line 1).
    pub fn line(&self) -> Option<u64> {
        match self {
            CsvError::Io { .. } | CsvError::NoHeader { .. } => None,
            CsvError::MissingColumn { .. } => Some(1),
            CsvError::DuplicateColumn { line, .. }
            | CsvError::UnknownHeader { line, .. }
            | CsvError::AmbiguousHeader { line, .. }
            | CsvError::FieldCount { line, .. }
            | CsvError::Malformed { line, .. }
            | CsvError::InvalidField { line, .. }
            | CsvError::Graph { line, .. } => Some(*line),
        }
    }

    /// The column, where the error names one.
    pub fn column(&self) -> Option<&str> {
        match self {
            CsvError::MissingColumn { column, .. }
            | CsvError::DuplicateColumn { column, .. }
            | CsvError::InvalidField { column, .. } => Some(column),
            _ => None,
        }
    }

    /// The same error, naming `path` as its file.
    pub(crate) fn in_file(mut self, path: &Path) -> Self {
        match &mut self {
            CsvError::Io { file, .. }
            | CsvError::NoHeader { file, .. }
            | CsvError::MissingColumn { file, .. }
            | CsvError::DuplicateColumn { file, .. }
            | CsvError::UnknownHeader { file, .. }
            | CsvError::AmbiguousHeader { file, .. }
            | CsvError::FieldCount { file, .. }
            | CsvError::Malformed { file, .. }
            | CsvError::InvalidField { file, .. }
            | CsvError::Graph { file, .. } => *file = Some(path.to_owned()),
        }
        self
    }
}

/// A file name as messages show it: `input` for a stream.
struct Shown<'a>(Option<&'a Path>);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(path) => path.display().fmt(f),
            None => f.write_str("input"),
        }
    }
}
