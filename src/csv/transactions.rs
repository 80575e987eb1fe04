//! Reading a transaction log from CSV (feature `csv`): the `csv` crate does
//! the parsing; this file checks each field and names the line and column of
//! the first bad one.

use std::io;
use std::path::Path;

use chrono::NaiveDate;

#[cfg(unix)]
use super::read_full;
use super::{Table, slurp, slurp_path};
use crate::CsvError;
use crate::Money;
use crate::error::FieldProblem;
use crate::keys::{KeyArena, KeyStore, KeyStoreFrom, KeyTable, Prepared};
use crate::transactions::{LogRow, TransactionLog};

/// Reads purchase logs from CSV: one purchase per row, in columns named
/// `customer_id`, `date` and `amount` by default (other columns are
/// ignored). Dates are strictly `YYYY-MM-DD`; amounts are decimals with at
/// most two fraction digits, not negative (0 is a free order).
///
/// # Example
///
/// ```
/// use customer_lifecycle::csv::TransactionCsv;
/// use customer_lifecycle::error::{CsvError, FieldProblem};
///
/// let text = "who,day,paid\nana,2024-01-05,12.50\nbo,2024-01-06,0\n";
/// let reader = TransactionCsv::new().customer_column("who").date_column("day").amount_column("paid");
/// let log = reader.from_reader(text.as_bytes())?.to_transactions();
/// assert_eq!(log.len(), 2);
/// assert_eq!(log[0].amount.minor_units(), 1250);
///
/// let err = TransactionCsv::new().from_reader("customer_id,date,amount\nana,2024-02-30,1\n".as_bytes()).unwrap_err();
/// assert_eq!(err.to_string(), r#"line 2, column "date": invalid value "2024-02-30": expected a calendar date YYYY-MM-DD"#);
/// assert!(matches!(err, CsvError::InvalidField { line: 2, problem: FieldProblem::NotADate, .. }));
/// # Ok::<(), CsvError>(())
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

    /// Reads every row, in file order, into a [`TransactionLog`] that keeps
    /// each customer key once ([`TransactionLog::to_transactions`] gives
    /// the rows as [`Transaction`](crate::Transaction)s).
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
    /// The first [`CsvError`]: a missing column, a column named twice in
    /// the header (any column, used or not), a malformed line, an empty
    /// key, a date that is not a real `YYYY-MM-DD` day, or an amount that is
    /// not a non-negative decimal with at most two fraction digits
    /// ([`CsvError::InvalidField`] with its [`FieldProblem`]).
    ///
    /// # Complexity
    ///
    /// O(n) expected for n bytes: a hash look-up per row, then one per
    /// distinct key and piece to join the pieces.
    pub fn from_reader<R: io::Read>(&self, input: R) -> Result<TransactionLog, CsvError> {
        self.parse(&slurp(input)?)
    }

    /// Reads the file at `path`, as [`from_reader`](Self::from_reader).
    ///
    /// # Errors
    ///
    /// [`CsvError::Io`] when it cannot be read, otherwise as
    /// [`from_reader`](Self::from_reader); every error names the file.
    pub fn from_path(&self, path: impl AsRef<Path>) -> Result<TransactionLog, CsvError> {
        let path = path.as_ref();
        self.parse(&slurp_path(path)?).map_err(|e| e.in_file(path))
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
                check(customer, date, amount).map_err(|(column, problem)| row.invalid(column, problem))?;
            rows.push(LogRow { customer: keys.insert(customer, keys.prepare(customer)), date, amount });
        }
        Ok(TransactionLog::from_parts(keys.into_keys(), rows))
    }

    /// The body of a file whose header is plain (no quotes, no carriage
    /// return, no byte-order mark) and names the columns, with its number of
    /// fields and the customer, date and amount columns; `None` otherwise.
    fn plain_body<'b>(&self, bytes: &'b [u8]) -> Option<(&'b [u8], usize, [usize; 3])> {
        let header_end = memchr::memchr(b'\n', bytes)?;
        let header = &bytes[..header_end];
        if header.is_empty() || header.starts_with(b"\xef\xbb\xbf") || memchr::memchr2(b'"', b'\r', header).is_some() {
            return None;
        }
        // The header through the general parser: the same column errors
        // (which make the general path run again and report them).
        let table = Table::open(&bytes[..=header_end], &[&self.customer, &self.date, &self.amount]).ok()?;
        let wanted = [table.columns[0].1, table.columns[1].1, table.columns[2].1];
        Some((&bytes[header_end + 1..], table.reader_fields, wanted))
    }

    /// The log of a plain file (no quotes, no carriage returns, no blank
    /// lines, a leading byte-order mark or bad rows) parsed in `pieces`
    /// pieces at once, or `None` when the file is not plain: the general
    /// parser then decides, and reports the first bad line.
    fn parse_plain(&self, bytes: &[u8], pieces: usize) -> Option<TransactionLog> {
        let (body, fields, wanted) = self.plain_body(bytes)?;
        let ranges = crate::util::line_pieces(body, pieces, PLAIN_PIECE);
        let parsed = crate::util::par_map(&ranges, |&(from, to)| parse_piece(&body[from..to], fields, wanted));
        let parsed = parsed.into_iter().collect::<Option<Vec<Piece>>>()?;
        // Every key numbered by its first row in the whole file.
        let (tables, pieces): (Vec<KeyTable<Vec<&str>>>, Vec<Vec<LogRow>>) =
            parsed.into_iter().map(|p| (p.table, p.rows)).unzip();
        let (keys, remaps) = KeyTable::join(&tables);
        let mut pieces = pieces.into_iter();
        let mut rows = pieces.next().expect("one piece at least");
        for (remap, piece) in remaps.iter().zip(pieces) {
            rows.extend(piece.iter().map(|r| LogRow { customer: remap[r.customer as usize], ..*r }));
        }
        Some(TransactionLog::from_parts(keys, rows))
    }
}

/// The least body, in bytes, worth a piece of its own (tiny in the unit
/// tests, so that short inputs are cut too).
const PLAIN_PIECE: usize = if cfg!(test) { 64 } else { 1 << 18 };

/// One piece of a plain file, parsed: its keys numbered by first row in
/// the piece.
struct Piece<'a> {
    table: KeyTable<Vec<&'a str>>,
    rows: Vec<LogRow>,
}

/// Parses a piece of whole lines of a plain file with `fields` fields a
/// line, `wanted` the customer, date and amount columns, into its keys and
/// rows; `None` for anything the general parser must see.
fn parse_piece(piece: &[u8], fields: usize, wanted: [usize; 3]) -> Option<Piece<'_>> {
    let mut table: KeyTable<Vec<&str>> = KeyTable::default();
    table.reserve(expected_keys(piece.len()));
    // About 24 bytes a row in typical logs; a guess only.
    let mut rows = Vec::with_capacity(piece.len() / 20);
    plain_rows(piece, fields, wanted, &mut table, |customer, date, amount| {
        rows.push(LogRow { customer, date, amount });
    })?;
    Some(Piece { table, rows })
}

/// Calls `row(slot, date, amount)` for each row of a piece of whole lines
/// of a plain file with `fields` fields a line, `wanted` the customer, date
/// and amount columns, numbering customers in `table` in order of first
/// row; `None` for anything the general parser must see (invalid UTF-8, a
/// quote, a carriage return, a blank line, a wrong field count or a bad
/// value), perhaps after some calls. The caller reserves the table.
fn plain_rows<'a, K: KeyStoreFrom<'a>>(
    piece: &'a [u8],
    fields: usize,
    wanted: [usize; 3],
    table: &mut KeyTable<K>,
    mut row: impl FnMut(u32, NaiveDate, Money),
) -> Option<()> {
    let text = super::plain_text(piece)?;
    let mut batch = Batch::default();
    // The last date read whole: its text and day.
    let mut last_date: Option<([u8; 10], NaiveDate)> = None;
    super::plain_records(text, |cells| {
        if cells.len() != fields {
            return None;
        }
        let [customer, date, amount] = wanted.map(|w| cells[w]);
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
        if batch.push(customer, date, amount) {
            batch.flush(table, &mut row);
        }
        Some(())
    })?;
    batch.flush(table, &mut row);
    Some(())
}

/// The customers a piece of `bytes` bytes is expected to hold: about 24
/// bytes a row in typical logs, and as many customers as a fifth of the
/// rows; a guess that saves most of a table's growth.
fn expected_keys(bytes: usize) -> usize {
    bytes / 24 / 5
}

/// Rows whose keys are numbered together, by [`KeyTable::insert_all`].
#[derive(Default)]
struct Batch<'a> {
    keys: Vec<&'a str>,
    values: Vec<(NaiveDate, Money)>,
    prepared: Vec<Prepared>,
    slots: Vec<u32>,
}

impl<'a> Batch<'a> {
    /// Rows per batch: enough to overlap their look-ups, few enough for L1.
    const SIZE: usize = 64;

    /// Adds a row; true when the batch is full.
    fn push(&mut self, customer: &'a str, date: NaiveDate, amount: Money) -> bool {
        self.keys.push(customer);
        self.values.push((date, amount));
        self.keys.len() == Self::SIZE
    }

    /// Numbers the batch's keys in `table` and hands each row to `row`,
    /// leaving the batch empty.
    fn flush<K: KeyStoreFrom<'a>>(&mut self, table: &mut KeyTable<K>, row: &mut impl FnMut(u32, NaiveDate, Money)) {
        self.slots.clear();
        table.insert_all(&self.keys, &mut self.prepared, &mut self.slots);
        for (&slot, &(date, amount)) in self.slots.iter().zip(&self.values) {
            row(slot, date, amount);
        }
        self.keys.clear();
        self.values.clear();
    }
}

/// A per-customer summary folded straight from a file's rows, without the
/// rows being kept: what [`TransactionCsv::fold_path`] computes.
pub(crate) trait CustomerFold: Sync {
    /// The summary of one customer.
    type Acc: Send;
    /// The summary of no rows.
    fn empty(&self) -> Self::Acc;
    /// Adds a row.
    fn add(&self, acc: &mut Self::Acc, date: NaiveDate, amount: Money);
    /// Adds the summary of later rows of the same customer.
    fn merge(&self, acc: &mut Self::Acc, later: Self::Acc);
}

impl TransactionCsv {
    /// Every customer's key, in order of first row, and summary of their
    /// rows, read from the file at `path`: the same as folding
    /// [`from_path`](Self::from_path)'s rows in file order when
    /// `fold` merges as it adds, with the same errors, in pieces on every
    /// core for a plain file and without keeping the rows (on Unix, nor
    /// the file: see [`fold_stream`](Self::fold_stream)).
    pub(crate) fn fold_path<F: CustomerFold>(
        &self,
        path: impl AsRef<Path>,
        fold: &F,
    ) -> Result<(Vec<String>, Vec<F::Acc>), CsvError> {
        let path = path.as_ref();
        #[cfg(unix)]
        if let Some(folded) = self.fold_stream(path, crate::util::threads(), STREAM_BLOCK, fold) {
            return Ok(folded);
        }
        let bytes = slurp_path(path)?;
        // On Unix the stream has just found the file not plain (or it
        // changed while read): the general parser decides.
        #[cfg(not(unix))]
        if let Some(folded) = self.fold_plain(&bytes, crate::util::threads(), fold) {
            return Ok(folded);
        }
        let (keys, rows) = self.parse_general(&bytes).map_err(|e| e.in_file(path))?.into_parts();
        let mut accs: Vec<F::Acc> = keys.iter().map(|_| fold.empty()).collect();
        for r in &rows {
            fold.add(&mut accs[r.customer as usize], r.date, r.amount);
        }
        Ok((keys, accs))
    }

    /// [`fold_path`](Self::fold_path) of a plain file in `pieces` pieces, or
    /// `None` when the file is not plain.
    #[cfg_attr(unix, allow(dead_code))]
    fn fold_plain<F: CustomerFold>(&self, bytes: &[u8], pieces: usize, fold: &F) -> Option<(Vec<String>, Vec<F::Acc>)> {
        let (body, fields, wanted) = self.plain_body(bytes)?;
        let ranges = crate::util::line_pieces(body, pieces, PLAIN_PIECE);
        let parsed = crate::util::par_map(&ranges, |&(from, to)| {
            let mut table: KeyTable<Vec<&str>> = KeyTable::default();
            let expected = expected_keys(to - from);
            let mut accs: Vec<F::Acc> = Vec::with_capacity(table.reserve(expected));
            plain_rows(&body[from..to], fields, wanted, &mut table, |slot, date, amount| {
                add_row(fold, &mut accs, slot, date, amount);
            })?;
            Some((table, accs))
        });
        Some(join_folds(parsed.into_iter().collect::<Option<Vec<_>>>()?, fold))
    }

    /// [`fold_path`](Self::fold_path) of a plain file read straight from
    /// the file in `pieces` consecutive byte ranges at once, each by
    /// positioned reads of `block` bytes into a buffer its thread reuses
    /// (so that its pages are faulted in once, and each block is parsed
    /// while it is in cache), or `None` when the file is not plain, cannot
    /// be read, or is shorter than it was: the caller then reads it whole.
    ///
    /// A piece holds the lines that start in its range: it skips through
    /// the first line end at or after the byte before its range, and reads
    /// on past its range's end to finish its last line; a line cut by a
    /// block's end is carried to the front of the buffer and finished by
    /// the next read (the buffer grows for a line longer than itself).
    /// Keys are copied out of the buffer once per piece, when new. The
    /// result does not depend on `pieces` or `block`.
    #[cfg(unix)]
    fn fold_stream<F: CustomerFold>(
        &self,
        path: &Path,
        pieces: usize,
        block: usize,
        fold: &F,
    ) -> Option<(Vec<String>, Vec<F::Acc>)> {
        use std::sync::atomic::{AtomicBool, Ordering};

        let file = std::fs::File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        // The header, read until its line end.
        let mut head = vec![0u8; 4096.min(usize::try_from(len).ok()?.max(1))];
        let mut filled = 0;
        let header_end = loop {
            if let Some(nl) = memchr::memchr(b'\n', &head[..filled]) {
                break nl;
            }
            if filled == head.len() {
                head.resize(2 * head.len(), 0);
            }
            let n = read_full(&file, &mut head[filled..], filled as u64).ok()?;
            if n == 0 {
                return None;
            }
            filled += n;
        };
        let (_, fields, wanted) = self.plain_body(&head[..=header_end])?;
        let start = header_end as u64 + 1;
        let body = usize::try_from(len.saturating_sub(start)).ok()?;
        // As many pieces as `line_pieces` would cut.
        let pieces = crate::util::piece_count(body, pieces, PLAIN_PIECE);
        let cuts: Vec<u64> =
            (0..=pieces).map(|i| if i == pieces { u64::MAX } else { start + (body * i / pieces) as u64 }).collect();
        let ranges: Vec<(u64, u64)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
        let failed = AtomicBool::new(false);
        let parsed = crate::util::par_map(&ranges, |&(from, to)| {
            let mut table: KeyTable<KeyArena> = KeyTable::default();
            let expected = expected_keys(usize::try_from(to.min(len) - from).unwrap_or(0));
            let mut accs: Vec<F::Acc> = Vec::with_capacity(table.reserve(expected));
            let mut buf = vec![0u8; block.max(1)];
            // The file offset of `buf[carry]`, and the bytes carried over.
            let (mut at, mut carry) = if from == start { (from, 0) } else { (from - 1, 0) };
            let mut skip = from != start;
            loop {
                if failed.load(Ordering::Relaxed) {
                    return None;
                }
                if carry == buf.len() {
                    buf.resize(2 * buf.len(), 0);
                }
                let n = read_full(&file, &mut buf[carry..], at).ok()?;
                let eof = carry + n < buf.len();
                at += n as u64;
                let filled = carry + n;
                let data = &buf[..filled];
                // The file offset of `data[0]`.
                let base = at - filled as u64;
                let mut begin = 0;
                if skip {
                    if let Some(nl) = memchr::memchr(b'\n', data) {
                        begin = nl + 1;
                        skip = false;
                    } else if eof {
                        // No line starts in the range.
                        return Some((table, accs));
                    } else {
                        carry = 0;
                        continue;
                    }
                }
                // Where this block's whole lines end, and whether the piece
                // ends there.
                // `cut`: the index of the byte before the range's end; the
                // piece's last line ends at the first line end from there.
                let cut = (to - 1).checked_sub(base).map(|c| usize::try_from(c).unwrap_or(usize::MAX));
                let (end, done) = match cut.filter(|&c| c < filled) {
                    // Every line from `begin` on starts past the range.
                    _ if cut.is_none_or(|c| c < begin) => (begin, true),
                    Some(c) => match memchr::memchr(b'\n', &data[c..]) {
                        Some(nl) => (c + nl + 1, true),
                        None if eof => (filled, true),
                        None => (whole_lines(data, begin), false),
                    },
                    None if eof => {
                        if to != u64::MAX {
                            // Shorter than it was.
                            return None;
                        }
                        (filled, true)
                    }
                    None => (whole_lines(data, begin), false),
                };
                let parsed = plain_rows(&data[begin..end], fields, wanted, &mut table, |slot, date, amount| {
                    add_row(fold, &mut accs, slot, date, amount);
                });
                if parsed.is_none() {
                    failed.store(true, Ordering::Relaxed);
                    return None;
                }
                if done {
                    return Some((table, accs));
                }
                buf.copy_within(end..filled, 0);
                carry = filled - end;
            }
        });
        Some(join_folds(parsed.into_iter().collect::<Option<Vec<_>>>()?, fold))
    }
}

/// The bytes, in a reused buffer, that [`TransactionCsv::fold_stream`]
/// reads at a time (tiny in the unit tests, so that lines are cut).
#[cfg(unix)]
const STREAM_BLOCK: usize = if cfg!(test) { 8 } else { 1 << 19 };

/// The end of the whole lines of `data` from `begin`: just after its last
/// line end, or `begin` when it has none.
#[cfg(unix)]
fn whole_lines(data: &[u8], begin: usize) -> usize {
    memchr::memrchr(b'\n', &data[begin..]).map_or(begin, |nl| begin + nl + 1)
}

/// Adds a row to customer `slot`'s summary in `accs`, a customer new to
/// the piece taking the next one.
fn add_row<F: CustomerFold>(fold: &F, accs: &mut Vec<F::Acc>, slot: u32, date: NaiveDate, amount: Money) {
    if slot as usize == accs.len() {
        accs.push(fold.empty());
    }
    fold.add(&mut accs[slot as usize], date, amount);
}

/// The folds of consecutive pieces of one file, joined: every key in order
/// of first row in the whole file, with its summaries merged in piece
/// order.
fn join_folds<K: KeyStore + Sync, F: CustomerFold>(
    parsed: Vec<(KeyTable<K>, Vec<F::Acc>)>,
    fold: &F,
) -> (Vec<String>, Vec<F::Acc>) {
    let (tables, pieces): (Vec<KeyTable<K>>, Vec<Vec<F::Acc>>) = parsed.into_iter().unzip();
    let (keys, remaps) = KeyTable::join(&tables);
    let mut pieces = pieces.into_iter();
    let mut accs = pieces.next().expect("one piece at least");
    accs.reserve(keys.len() - accs.len());
    for (remap, piece) in remaps.iter().zip(pieces) {
        for (&to, acc) in remap.iter().zip(piece) {
            // A customer new to the file so far takes the next slot.
            if to as usize == accs.len() {
                accs.push(acc);
            } else {
                fold.merge(&mut accs[to as usize], acc);
            }
        }
    }
    (keys, accs)
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
fn check(customer: &str, date: &str, amount: &str) -> Result<(NaiveDate, Money), (usize, FieldProblem)> {
    if customer.is_empty() {
        return Err((0, FieldProblem::EmptyKey));
    }
    let date = crate::util::parse_ymd(date).ok_or((1, FieldProblem::NotADate))?;
    let amount = Money::parse_decimal(amount).map_err(|e| (2, FieldProblem::NotAnAmount(e)))?;
    if amount.is_negative() {
        return Err((2, FieldProblem::NegativeAmount));
    }
    Ok((date, amount))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::util::on_threads;

    fn read(text: &str) -> Result<Vec<crate::Transaction>, CsvError> {
        Ok(TransactionCsv::new().from_reader(text.as_bytes())?.to_transactions())
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
                let log = on_threads(threads, || reader.from_reader(text.as_bytes()));
                prop_assert_eq!(&log, &reference, "{} threads", threads);
                if let Ok(log) = &log {
                    prop_assert_eq!(on_threads(threads, || log.to_transactions()), reader.from_reader(text.as_bytes()).unwrap().to_transactions());
                }
            }
            let path = std::env::temp_dir().join(format!(
                "fold-stream-{}-{}.csv",
                std::process::id(),
                CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            std::fs::write(&path, &text).unwrap();
            for pieces in 1..6 {
                // Read from the file in blocks of a few bytes (lines cut
                // anywhere, some longer than the buffer) or whole: the same
                // as folding the text, and refused exactly when it is.
                for block in [1, 5, 16, 1 << 12] {
                    prop_assert_eq!(
                        reader.fold_stream(&path, pieces, block, &Collect),
                        reader.fold_plain(text.as_bytes(), pieces, &Collect),
                        "{} pieces, blocks of {}", pieces, block
                    );
                }
                if let Some(log) = reader.parse_plain(text.as_bytes(), pieces) {
                    prop_assert_eq!(Ok(log), reference.clone(), "{} pieces", pieces);
                }
                // Folded in pieces, each customer's rows arrive in file order.
                if let Some(folded) = reader.fold_plain(text.as_bytes(), pieces, &Collect) {
                    let (keys, rows) = reference.clone().expect("a plain file reads").into_parts();
                    let mut grouped = vec![Vec::new(); keys.len()];
                    for r in rows {
                        grouped[r.customer as usize].push((r.date, r.amount));
                    }
                    prop_assert_eq!(folded, (keys, grouped), "{} pieces", pieces);
                }
            }
            std::fs::remove_file(&path).unwrap();
        }
    }

    /// Numbers the files of the property tests.
    static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// Folds each customer's rows into a list.
    struct Collect;

    impl CustomerFold for Collect {
        type Acc = Vec<(NaiveDate, Money)>;

        fn empty(&self) -> Self::Acc {
            Vec::new()
        }

        fn add(&self, acc: &mut Self::Acc, date: NaiveDate, amount: Money) {
            acc.push((date, amount));
        }

        fn merge(&self, acc: &mut Self::Acc, later: Self::Acc) {
            acc.extend(later);
        }
    }

    #[test]
    fn a_file_folds_as_its_rows_do() {
        let path = std::env::temp_dir().join(format!("fold-path-{}.csv", std::process::id()));
        // Plain, then with a quoted field (the general path).
        for text in [
            "customer_id,date,amount\nb,2024-01-02,1\na,2024-01-01,2\nb,2024-01-03,3\n",
            "customer_id,date,amount\n\"b\",2024-01-02,1\na,2024-01-01,2\nb,2024-01-03,3\n",
        ] {
            std::fs::write(&path, text).unwrap();
            let (keys, rows) = TransactionCsv::new().fold_path(&path, &Collect).unwrap();
            assert_eq!(keys, ["b", "a"]);
            let day = |d: u32| NaiveDate::from_ymd_opt(2024, 1, d).unwrap();
            assert_eq!(rows[0], [(day(2), Money::from_minor(100)), (day(3), Money::from_minor(300))]);
            assert_eq!(rows[1], [(day(1), Money::from_minor(200))]);
        }
        std::fs::write(&path, "customer_id,date,amount\nb,2024-01-02,1\na,2024-13-01,2\n").unwrap();
        let err = TransactionCsv::new().fold_path(&path, &Collect).unwrap_err();
        assert!(matches!(err, CsvError::InvalidField { line: 3, .. }), "{err}");
        std::fs::remove_file(&path).unwrap();
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
            assert_eq!(reader.from_reader(other.as_bytes()), reader.parse_general(other.as_bytes()));
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
            assert_eq!(err, CsvError::DuplicateColumn { file: None, line: 1, column: column.into() }, "{text}");
            assert_eq!(err.to_string(), format!("line 1: duplicate column {column:?}"));
        }
        // Names are compared as written: case and spaces tell columns apart.
        assert_eq!(read("customer_id,date,amount,Amount, amount\na,2024-01-01,1,2,3\n").unwrap().len(), 1);
        let err = super::super::FeatureCsv::new().from_reader("customer_id,x,y,x\na,1,2,3\n".as_bytes()).unwrap_err();
        assert_eq!(err, CsvError::DuplicateColumn { file: None, line: 1, column: "x".into() });
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
        assert_eq!(
            read("customer_id,when,amount\n").unwrap_err(),
            CsvError::MissingColumn { file: None, column: "date".into() }
        );
    }
}
