//! Reading a transaction log from CSV (feature `csv`): the `csv` crate does
//! the parsing; this file checks each field and names the line and column of
//! the first bad one.

use std::io;
use std::path::Path;

use crate::error::IoError;
use crate::{Money, Transaction};

/// What went wrong reading a CSV file. Lines are 1-based physical lines, the
/// header being line 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file, or `"input"` for a reader.
        path: String,
        /// The operating system's error.
        source: IoError,
    },
    /// The header lacks a required column.
    #[error("line 1: missing column {column:?}")]
    MissingColumn {
        /// The column's name.
        column: String,
    },
    /// The header names a column twice.
    #[error("line 1: duplicate column {column:?}")]
    DuplicateColumn {
        /// The column's name.
        column: String,
    },
    /// A line is not well-formed CSV (a wrong number of fields, bad UTF-8).
    #[error("line {line}: malformed CSV: {message}")]
    Malformed {
        /// The line.
        line: u64,
        /// What the CSV parser said.
        message: String,
    },
    /// A field does not hold a valid value.
    #[error("line {line}, column {column:?}: invalid value {value:?}: {reason}")]
    InvalidField {
        /// The line.
        line: u64,
        /// The column's name.
        column: String,
        /// The field as read.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
}

/// Reads purchase logs from CSV: one purchase per row, in columns named
/// `customer_id`, `date` and `amount` by default (other columns are
/// ignored). Dates are strictly `YYYY-MM-DD`; amounts are decimals with at
/// most two fraction digits, not negative (0 is a free order).
///
/// # Example
///
/// ```
/// use customer_lifecycle::TransactionCsv;
///
/// let text = "who,day,paid\nana,2024-01-05,12.50\nbo,2024-01-06,0\n";
/// let log = TransactionCsv::new().customer_column("who").date_column("day").amount_column("paid").read(text.as_bytes())?;
/// assert_eq!(log.len(), 2);
/// assert_eq!(log[0].amount.minor_units(), 1250);
///
/// let err = TransactionCsv::new().read("customer_id,date,amount\nana,2024-02-30,1\n".as_bytes()).unwrap_err();
/// assert_eq!(err.to_string(), r#"line 2, column "date": invalid value "2024-02-30": expected a calendar date YYYY-MM-DD"#);
/// # Ok::<(), customer_lifecycle::CsvError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionCsv {
    customer: String,
    date: String,
    amount: String,
}

impl Default for TransactionCsv {
    fn default() -> Self {
        TransactionCsv { customer: "customer_id".into(), date: "date".into(), amount: "amount".into() }
    }
}

impl TransactionCsv {
    /// The reader with the default column names.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the customer-key column's name (default `customer_id`).
    #[must_use]
    pub fn customer_column(mut self, name: impl Into<String>) -> Self {
        self.customer = name.into();
        self
    }

    /// Sets the date column's name (default `date`).
    #[must_use]
    pub fn date_column(mut self, name: impl Into<String>) -> Self {
        self.date = name.into();
        self
    }

    /// Sets the amount column's name (default `amount`).
    #[must_use]
    pub fn amount_column(mut self, name: impl Into<String>) -> Self {
        self.amount = name.into();
        self
    }

    /// Reads every row, in file order.
    ///
    /// # Errors
    ///
    /// The first [`CsvError`]: a missing column, a column named twice in
    /// the header (any column, used or not), a malformed line, an empty
    /// key, a date that is not a real `YYYY-MM-DD` day, or an amount that is
    /// not a non-negative decimal with at most two fraction digits.
    pub fn read<R: io::Read>(&self, input: R) -> Result<Vec<Transaction>, CsvError> {
        let mut table = Table::open(input, &[&self.customer, &self.date, &self.amount])?;
        let mut out = Vec::new();
        while let Some(row) = table.next_row()? {
            let key = row.field(0);
            if key.is_empty() {
                return Err(row.invalid(0, "empty customer id"));
            }
            let date = crate::util::parse_ymd(row.field(1))
                .ok_or_else(|| row.invalid(1, "expected a calendar date YYYY-MM-DD"))?;
            let amount = Money::parse_decimal(row.field(2)).map_err(|e| row.invalid(2, &e.to_string()))?;
            if amount.is_negative() {
                return Err(row.invalid(2, "a purchase amount cannot be negative"));
            }
            out.push(Transaction { key: key.to_owned(), date, amount });
        }
        Ok(out)
    }

    /// Reads the file at `path`.
    ///
    /// # Errors
    ///
    /// [`CsvError::Io`] when it cannot be opened, otherwise as
    /// [`read`](Self::read).
    pub fn read_path(&self, path: impl AsRef<Path>) -> Result<Vec<Transaction>, CsvError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|e| CsvError::Io { path: path.display().to_string(), source: e.into() })?;
        self.read(io::BufReader::new(file))
    }
}

/// A CSV table read row by row with named columns picked out.
pub(crate) struct Table<R> {
    reader: csv::Reader<R>,
    columns: Vec<(String, usize)>,
    record: csv::StringRecord,
}

/// One row of a [`Table`], borrowed.
pub(crate) struct Row<'a> {
    line: u64,
    record: &'a csv::StringRecord,
    columns: &'a [(String, usize)],
}

impl<R: io::Read> Table<R> {
    pub(crate) fn open(input: R, wanted: &[&str]) -> Result<Self, CsvError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
        let headers = reader.headers().map_err(convert)?.clone();
        unique_headers(&headers)?;
        let mut columns = Vec::new();
        for name in wanted {
            let index = headers
                .iter()
                .position(|h| h == *name)
                .ok_or_else(|| CsvError::MissingColumn { column: (*name).to_owned() })?;
            columns.push(((*name).to_owned(), index));
        }
        Ok(Table { reader, columns, record: csv::StringRecord::new() })
    }

    pub(crate) fn next_row(&mut self) -> Result<Option<Row<'_>>, CsvError> {
        if !self.reader.read_record(&mut self.record).map_err(convert)? {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, csv::Position::line);
        Ok(Some(Row { line, record: &self.record, columns: &self.columns }))
    }
}

impl Row<'_> {
    pub(crate) fn field(&self, column: usize) -> &str {
        self.record.get(self.columns[column].1).unwrap_or("")
    }

    pub(crate) fn invalid(&self, column: usize, reason: &str) -> CsvError {
        CsvError::InvalidField {
            line: self.line,
            column: self.columns[column].0.clone(),
            value: self.field(column).to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// [`CsvError::DuplicateColumn`] for the first name the header repeats.
pub(crate) fn unique_headers(headers: &csv::StringRecord) -> Result<(), CsvError> {
    match crate::util::first_duplicate(headers) {
        Some(name) => Err(CsvError::DuplicateColumn { column: name.to_owned() }),
        None => Ok(()),
    }
}

pub(crate) fn convert(error: csv::Error) -> CsvError {
    let line = error.position().map_or(0, csv::Position::line);
    let message = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(e) => CsvError::Io { path: "input".into(), source: e.into() },
        _ => CsvError::Malformed { line, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Transaction>, CsvError> {
        TransactionCsv::new().read(text.as_bytes())
    }

    fn line_of(err: &CsvError) -> u64 {
        match err {
            CsvError::InvalidField { line, .. } | CsvError::Malformed { line, .. } => *line,
            _ => 0,
        }
    }

    #[test]
    fn a_column_named_twice_is_refused_by_name() {
        // The amount used to come from the first "amount" column, silently.
        for (text, column) in [
            ("customer_id,date,amount,amount\na,2024-01-01,1,2\n", "amount"),
            ("customer_id,note,date,amount,note\na,x,2024-01-01,1,y\n", "note"),
            ("customer_id,date,amount,customer_id\n", "customer_id"),
        ] {
            let err = read(text).unwrap_err();
            assert_eq!(err, CsvError::DuplicateColumn { column: column.into() }, "{text}");
            assert_eq!(err.to_string(), format!("line 1: duplicate column {column:?}"));
        }
        // Names are compared as written: case and spaces tell columns apart.
        assert_eq!(read("customer_id,date,amount,Amount, amount\na,2024-01-01,1,2,3\n").unwrap().len(), 1);
        let err = crate::segment::read_feature_csv("customer_id,x,y,x\na,1,2,3\n".as_bytes()).unwrap_err();
        assert_eq!(err, CsvError::DuplicateColumn { column: "x".into() });
    }

    #[test]
    fn dates_are_real_days_and_a_bad_one_is_named_as_before() {
        let log = read("customer_id,date,amount\na,2024-02-29,1\nb,0000-02-29,1\nc,9999-12-31,1\n").unwrap();
        let days: Vec<String> = log.iter().map(|t| t.date.format("%Y-%m-%d").to_string()).collect();
        assert_eq!(days, ["2024-02-29", "0000-02-29", "9999-12-31"]);
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-01",
            "2024-01-00",
            "2024-1-1",
            "20240101",
            "2024-01-01 ",
        ] {
            let err = read(&format!("customer_id,date,amount\na,2024-01-01,1\nb,{bad},1\n")).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("line 3, column \"date\": invalid value {bad:?}: expected a calendar date YYYY-MM-DD")
            );
        }
    }

    #[test]
    fn reads_in_file_order_with_extra_columns() {
        let log = read("amount,note,customer_id,date\n1.5,x,b,2024-01-02\n0,y,a,2024-01-01\n").unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].key, "b");
        assert_eq!(log[0].amount, Money::from_minor(150));
        assert_eq!(log[1].amount, Money::ZERO);
    }

    #[test]
    fn errors_name_the_physical_line_and_column() {
        let head = "customer_id,date,amount\n";
        for (bad, column) in [
            ("a,2020-02-30,1", "date"),
            ("a,2020-01-01T00:00,1", "date"),
            ("a,2020-1-01,1", "date"),
            ("a, 2020-01-01,1", "date"),
            ("a,+2020-01-01,1", "date"),
            ("a,2020-01-01,-1", "amount"),
            ("a,2020-01-01,1.234", "amount"),
            ("a,2020-01-01,abc", "amount"),
            ("a,2020-01-01,", "amount"),
            (",2020-01-01,1", "customer_id"),
        ] {
            let text = format!("{head}ok,2020-01-01,1\n\"multi\nline\",2020-01-01,2\n{bad}\n");
            let err = read(&text).unwrap_err();
            assert_eq!(line_of(&err), 5, "{bad}: {err}");
            assert!(matches!(&err, CsvError::InvalidField { column: c, .. } if c == column), "{bad}: {err}");
        }
        let err = read(&format!("{head}a,2020-01-01\n")).unwrap_err();
        assert!(matches!(err, CsvError::Malformed { line: 2, .. }), "{err}");
        assert_eq!(read("customer_id,when,amount\n").unwrap_err(), CsvError::MissingColumn { column: "date".into() });
    }
}
