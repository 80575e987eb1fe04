//! Reading a transaction log from CSV (feature `csv`): the `csv` crate does
//! the parsing; this file checks each field and names the line and column of
//! the first bad one.

use std::io;
use std::path::Path;

use chrono::NaiveDate;

use crate::error::IoError;
use crate::keys::{KeyTable, Prepared};
use crate::transactions::{LogRow, TransactionLog};
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
    ///
    /// # Complexity
    ///
    /// As [`read_log`](Self::read_log), plus a string allocation per row.
    pub fn read<R: io::Read>(&self, input: R) -> Result<Vec<Transaction>, CsvError> {
        Ok(self.read_log(input)?.to_transactions())
    }

    /// Reads the file at `path`.
    ///
    /// # Errors
    ///
    /// [`CsvError::Io`] when it cannot be opened, otherwise as
    /// [`read`](Self::read).
    pub fn read_path(&self, path: impl AsRef<Path>) -> Result<Vec<Transaction>, CsvError> {
        Ok(self.read_path_log(path)?.to_transactions())
    }

    /// Reads every row, in file order, into a [`TransactionLog`] that keeps
    /// each customer key once. The rows are those [`read`](Self::read)
    /// returns, and the errors are the same errors.
    ///
    /// The whole input is read into memory first. A file without double
    /// quotes or carriage returns is then cut into pieces at line ends that
    /// are parsed at once on every core (with the `parallel` feature),
    /// straight from the bytes, and joined in file order; any other file,
    /// and any file with a bad line, goes through the general CSV parser,
    /// which reports the first bad line in file order. The result does not
    /// depend on the number of threads.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    ///
    /// # Complexity
    ///
    /// O(n) expected for n bytes: a hash look-up per row, then one per
    /// distinct key and piece to join the pieces.
    pub fn read_log<R: io::Read>(&self, mut input: R) -> Result<TransactionLog, CsvError> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| CsvError::Io { path: "input".into(), source: e.into() })?;
        self.parse(&bytes)
    }

    /// Reads the file at `path` into a [`TransactionLog`].
    ///
    /// # Errors
    ///
    /// [`CsvError::Io`] when it cannot be read, otherwise as
    /// [`read`](Self::read).
    pub fn read_path_log(&self, path: impl AsRef<Path>) -> Result<TransactionLog, CsvError> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| CsvError::Io { path: path.display().to_string(), source: e.into() })?;
        self.parse(&bytes)
    }

    /// The log in `bytes`: the fast path when it applies, else the general
    /// parser.
    fn parse(&self, bytes: &[u8]) -> Result<TransactionLog, CsvError> {
        match self.parse_plain(bytes, crate::util::threads()) {
            Some(log) => Ok(log),
            None => self.parse_general(bytes),
        }
    }

    /// Every row through the `csv` crate: the reference behaviour, and the
    /// path that names the first bad line.
    fn parse_general(&self, bytes: &[u8]) -> Result<TransactionLog, CsvError> {
        let mut table = Table::open(bytes, &[&self.customer, &self.date, &self.amount])?;
        let mut keys: KeyTable = KeyTable::default();
        let mut rows = Vec::new();
        while let Some(row) = table.next_row()? {
            let (customer, date, amount) = (row.field(0), row.field(1), row.field(2));
            let (date, amount) =
                check(customer, date, amount).map_err(|(column, reason)| row.invalid(column, &reason))?;
            rows.push(LogRow { customer: keys.insert(customer, keys.prepare(customer)), date, amount });
        }
        Ok(TransactionLog::from_parts(keys.into_keys(), rows))
    }

    /// The log of a plain file (no quotes, no carriage returns, no blank
    /// lines, a leading byte-order mark or bad rows) parsed in `pieces`
    /// pieces at once, or `None` when the file is not plain: the general
    /// parser then decides, and reports the first bad line.
    fn parse_plain(&self, bytes: &[u8], pieces: usize) -> Option<TransactionLog> {
        let header_end = memchr::memchr(b'\n', bytes)?;
        let header = &bytes[..header_end];
        if header.is_empty() || header.starts_with(b"\xef\xbb\xbf") || memchr::memchr2(b'"', b'\r', header).is_some() {
            return None;
        }
        // The header through the general parser: the same column errors
        // (which make the general path run again and report them).
        let table = Table::open(&bytes[..=header_end], &[&self.customer, &self.date, &self.amount]).ok()?;
        let fields = table.reader_fields;
        let wanted = [table.columns[0].1, table.columns[1].1, table.columns[2].1];
        let body = &bytes[header_end + 1..];
        // Pieces end at line ends; pieces are large, or there is one.
        let pieces = if body.len() >= PLAIN_PIECE { pieces.clamp(1, body.len() / (PLAIN_PIECE / 2)) } else { 1 };
        let mut cuts = vec![0];
        for i in 1..pieces {
            let at = (body.len() * i / pieces).max(*cuts.last().expect("a cut"));
            let cut = memchr::memchr(b'\n', &body[at..]).map_or(body.len(), |nl| at + nl + 1);
            cuts.push(cut);
        }
        cuts.push(body.len());
        let ranges: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
        let parsed = crate::util::par_map(&ranges, |&(from, to)| parse_piece(&body[from..to], fields, wanted));
        let mut parsed = parsed.into_iter().collect::<Option<Vec<Piece>>>()?.into_iter();
        // The first piece's slots are the global ones; every later piece's
        // keys, in their order of first row, are looked up or added in turn,
        // which gives every key its place in the order of first row in the
        // whole file.
        let Piece { table: mut global, rows: first_rows } = parsed.next().expect("one piece at least");
        let mut rest: Vec<(Vec<u32>, Vec<LogRow>)> = Vec::new();
        for Piece { table, rows } in parsed {
            let local = table.into_keys();
            let remap = local.iter().map(|key| global.insert(key, global.prepare(key))).collect();
            rest.push((remap, rows));
        }
        let total = first_rows.len() + rest.iter().map(|(_, rows)| rows.len()).sum::<usize>();
        let mut rows = first_rows;
        rows.reserve_exact(total - rows.len());
        for (remap, piece) in rest {
            rows.extend(piece.iter().map(|r| LogRow { customer: remap[r.customer as usize], ..*r }));
        }
        Some(TransactionLog::from_parts(global.into_keys(), rows))
    }
}

/// The least body, in bytes, worth a piece of its own (tiny in the unit
/// tests, so that short inputs are cut too).
const PLAIN_PIECE: usize = if cfg!(test) { 64 } else { 1 << 18 };

/// One piece of a plain file, parsed: its keys numbered by first row in
/// the piece.
struct Piece {
    table: KeyTable,
    rows: Vec<LogRow>,
}

/// Parses a piece of whole lines of a plain file with `fields` fields a
/// line, `wanted` the customer, date and amount columns; `None` for
/// anything the general parser must see (invalid UTF-8, a quote, a carriage
/// return, a blank line, a wrong field count or a bad value).
fn parse_piece(piece: &[u8], fields: usize, wanted: [usize; 3]) -> Option<Piece> {
    let text = std::str::from_utf8(piece).ok()?;
    if memchr::memchr2(b'"', b'\r', piece).is_some() {
        return None;
    }
    let mut table: KeyTable = KeyTable::default();
    // About 24 bytes a row in typical logs; a guess only.
    let mut rows = Vec::with_capacity(piece.len() / 20);
    let mut at = [(0usize, 0usize); 3];
    let mut batch = Batch::default();
    // The last date read whole: its text and day.
    let mut last_date: Option<([u8; 10], NaiveDate)> = None;
    let mut pos = 0;
    while pos < piece.len() {
        let end = memchr::memchr(b'\n', &piece[pos..]).map_or(piece.len(), |nl| pos + nl);
        let line = &piece[pos..end];
        if line.is_empty() {
            return None;
        }
        let (mut field, mut start) = (0usize, 0usize);
        for (i, &b) in line.iter().enumerate() {
            if b == b',' {
                for (k, &w) in wanted.iter().enumerate() {
                    if w == field {
                        at[k] = (pos + start, pos + i);
                    }
                }
                field += 1;
                start = i + 1;
            }
        }
        for (k, &w) in wanted.iter().enumerate() {
            if w == field {
                at[k] = (pos + start, end);
            }
        }
        if field + 1 != fields {
            return None;
        }
        let [customer, date, amount] = at.map(|(from, to)| &text[from..to]);
        // Logs are often in date order: a date written as the last one is
        // that day.
        let cached = last_date.filter(|(text, _)| text.as_slice() == date.as_bytes()).map(|(_, day)| day);
        let (date, amount) = match (cached, plain_amount(amount.as_bytes())) {
            (Some(day), Some(amount)) if !customer.is_empty() => (day, amount),
            _ => {
                let checked = check(customer, date, amount).ok()?;
                if let Ok(text) = <[u8; 10]>::try_from(date.as_bytes()) {
                    last_date = Some((text, checked.0));
                }
                checked
            }
        };
        batch.rows.push((customer, date, amount));
        if batch.rows.len() == Batch::SIZE {
            batch.add_to(&mut table, &mut rows);
        }
        pos = end + 1;
    }
    batch.add_to(&mut table, &mut rows);
    Some(Piece { table, rows })
}

/// Rows whose keys are looked up together: preparing a batch of keys, then
/// finding them, each in a short loop of its own, lets the processor
/// overlap the cache misses of the table across rows.
#[derive(Default)]
struct Batch<'a> {
    rows: Vec<(&'a str, NaiveDate, Money)>,
    prepared: Vec<Prepared>,
    found: Vec<Option<u32>>,
}

impl Batch<'_> {
    /// Rows per batch: enough to overlap their look-ups, few enough for L1.
    const SIZE: usize = 64;

    /// Numbers the batch's keys in `table` and appends its rows to `out`,
    /// leaving the batch empty.
    fn add_to(&mut self, table: &mut KeyTable, out: &mut Vec<LogRow>) {
        self.prepared.clear();
        self.prepared.extend(self.rows.iter().map(|r| table.prepare(r.0)));
        self.found.clear();
        self.found.extend(self.rows.iter().zip(&self.prepared).map(|(r, &p)| table.find(r.0, p)));
        for ((&(key, date, amount), &prepared), &found) in self.rows.iter().zip(&self.prepared).zip(&self.found) {
            // New here, or first seen earlier in this batch, when not found.
            let customer = found.unwrap_or_else(|| table.insert(key, prepared));
            out.push(LogRow { customer, date, amount });
        }
        self.rows.clear();
    }
}

/// The amount of a plain decimal (1 to 15 digits, then optionally a point
/// and one or two digits), the common case, which
/// [`Money::parse_decimal`] reads the same; `None` for anything else.
fn plain_amount(text: &[u8]) -> Option<Money> {
    let (whole, cents) = match text {
        [w @ .., b'.', a, b] => (w, i64::from(digit(*a)?) * 10 + i64::from(digit(*b)?)),
        [w @ .., b'.', a] => (w, i64::from(digit(*a)?) * 10),
        w => (w, 0),
    };
    if whole.is_empty() || whole.len() > 15 {
        return None;
    }
    let mut units: i64 = 0;
    for &b in whole {
        units = units * 10 + i64::from(digit(b)?);
    }
    Some(Money::from_minor(units * 100 + cents))
}

/// The value of an ASCII digit.
fn digit(b: u8) -> Option<u8> {
    b.is_ascii_digit().then(|| b - b'0')
}

/// The date and amount of a row whose fields are `customer`, `date` and
/// `amount`, or the column (0, 1, 2) and reason of the first bad field.
fn check(customer: &str, date: &str, amount: &str) -> Result<(NaiveDate, Money), (usize, String)> {
    if customer.is_empty() {
        return Err((0, "empty customer id".into()));
    }
    let date = crate::util::parse_ymd(date).ok_or_else(|| (1, "expected a calendar date YYYY-MM-DD".to_owned()))?;
    let amount = Money::parse_decimal(amount).map_err(|e| (2, e.to_string()))?;
    if amount.is_negative() {
        return Err((2, "a purchase amount cannot be negative".into()));
    }
    Ok((date, amount))
}

/// A CSV table read row by row with named columns picked out.
pub(crate) struct Table<R> {
    reader: csv::Reader<R>,
    /// The number of columns the header names.
    reader_fields: usize,
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
        Ok(Table { reader, reader_fields: headers.len(), columns, record: csv::StringRecord::new() })
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
    use proptest::prelude::*;

    use super::*;
    use crate::util::on_threads;

    fn read(text: &str) -> Result<Vec<Transaction>, CsvError> {
        TransactionCsv::new().read(text.as_bytes())
    }

    fn line_of(err: &CsvError) -> u64 {
        match err {
            CsvError::InvalidField { line, .. } | CsvError::Malformed { line, .. } => *line,
            _ => 0,
        }
    }

    /// A line of a transaction log: mostly good rows of a few customers,
    /// sometimes a bad value, a wrong field count, a blank line, quotes
    /// (one with a newline inside) or a carriage return.
    fn line() -> impl Strategy<Value = String> {
        let key =
            prop_oneof![8 => "[a-e]{1,2}", 1 => "[a-e]{14,18}", 1 => Just(String::new()), 1 => Just("é".to_owned())];
        let date = prop_oneof![
            12 => (2000u32..2003, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
            6 => Just("2001-05-05".to_owned()),
            1 => Just("2023-02-29".to_owned()),
            1 => Just("2023-1-01".to_owned()),
        ];
        let amount = prop_oneof![
            12 => (0u32..10_000).prop_map(|c| format!("{}.{:02}", c / 100, c % 100)),
            2 => (0u32..100).prop_map(|c| c.to_string()),
            1 => Just("-1".to_owned()),
            1 => Just("1.234".to_owned()),
        ];
        let good = (key, date, amount).prop_map(|(k, d, a)| format!("{k},{d},{a}"));
        prop_oneof![
            40 => good,
            1 => Just("a,2020-01-01".to_owned()),
            1 => Just(String::new()),
            1 => Just("\"x\ny\",2020-01-01,1".to_owned()),
            1 => Just("a,2020-01-01,1\r".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// The result, rows or the first error, is the same with 1, 2 and 3
        /// threads, and the same as the general parser's (the reference),
        /// for logs cut into many pieces (a piece is 64 bytes in the unit
        /// tests), with bad lines anywhere.
        #[test]
        fn threads_and_pieces_do_not_change_the_result(
            lines in prop::collection::vec(line(), 0..120),
            trailing_newline in any::<bool>(),
        ) {
            let mut text = String::from("customer_id,date,amount");
            for line in &lines {
                text.push('\n');
                text.push_str(line);
            }
            if trailing_newline {
                text.push('\n');
            }
            let reader = TransactionCsv::new();
            let reference = reader.parse_general(text.as_bytes());
            for threads in [1, 2, 3] {
                let log = on_threads(threads, || reader.read_log(text.as_bytes()));
                prop_assert_eq!(&log, &reference, "{} threads", threads);
                if let Ok(log) = &log {
                    prop_assert_eq!(on_threads(threads, || log.to_transactions()), reader.read(text.as_bytes()).unwrap());
                }
            }
            for pieces in 1..6 {
                if let Some(log) = reader.parse_plain(text.as_bytes(), pieces) {
                    prop_assert_eq!(Ok(log), reference.clone(), "{} pieces", pieces);
                }
            }
        }
    }

    proptest! {
        /// The fast amount parser reads what `Money::parse_decimal` reads,
        /// or leaves the text to it.
        #[test]
        fn plain_amounts_agree_with_the_general_parser(text in "-?[0-9]{0,17}(\\.[0-9]{0,3})?|[0-9. a-]{0,6}") {
            if let Some(amount) = plain_amount(text.as_bytes()) {
                prop_assert_eq!(Ok(amount), Money::parse_decimal(&text));
            }
        }
    }

    #[test]
    fn plain_logs_take_the_fast_path_and_others_do_not() {
        let reader = TransactionCsv::new();
        let plain =
            format!("customer_id,date,amount\n{}", "a,2024-01-01,1\nb,2024-01-02,2.5\na,2024-01-03,0\n".repeat(20));
        assert!(reader.parse_plain(plain.as_bytes(), 2).is_some());
        for other in [
            "customer_id,date,amount\r\na,2024-01-01,1\r\n",
            "\u{feff}customer_id,date,amount\na,2024-01-01,1\n",
            "customer_id,date,amount\n\"a\",2024-01-01,1\n",
            "customer_id,date,amount\n\na,2024-01-01,1\n",
            "customer_id,date,amount",
        ] {
            assert!(reader.parse_plain(other.as_bytes(), 2).is_none(), "{other:?}");
            assert_eq!(reader.read_log(other.as_bytes()), reader.parse_general(other.as_bytes()));
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
