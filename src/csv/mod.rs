//! Reading CSV files (feature `csv`): one reader per format, each with the
//! same shape and the same error.
//!
//! | reader | reads | into |
//! |---|---|---|
//! | [`TransactionCsv`] | a purchase log: customer key, day, amount | a [`TransactionLog`](crate::TransactionLog) |
//! | [`SummaryCsv`] | per-customer frequency, recency, `T` and spend | [`CustomerSummary`](crate::clv::CustomerSummary)s |
//! | [`FeatureCsv`] | a table of customer features | a [`FeatureTable`](crate::segment::FeatureTable) |
//! | [`EdgeListCsv`] | a follow graph or directed edges | an [`EdgeList`]: a [`Network`](crate::relationship::Network) of string ids |
//!
//! Each reader is a small value made with `new()` (and, where the format
//! has settings, chainable setters such as
//! [`TransactionCsv::date_column`]), read with `from_reader` (any
//! [`io::Read`]) or `from_path` (a file). Every failure is a
//! [`CsvError`] that names the line and the column
//! (and, read with `from_path`, carries the file); an I/O error is kept as
//! its [`source`](std::error::Error::source). The keyed event logs of
//! [`eventlog`](crate::eventlog) have a reader of their own, which resolves
//! keys against a base.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::csv::{EdgeListCsv, TransactionCsv};
//! use customer_lifecycle::error::{CsvError, FieldProblem};
//!
//! let log = TransactionCsv::new().from_reader("customer_id,date,amount\nana,2024-01-05,12.50\n".as_bytes())?;
//! assert_eq!(log.len(), 1);
//!
//! let err = EdgeListCsv::new().from_reader("source,target,weight\nana,bo,-1\n".as_bytes()).unwrap_err();
//! assert!(matches!(err, CsvError::InvalidField { line: 2, problem: FieldProblem::NotNonNegative, .. }));
//! # Ok::<(), CsvError>(())
//! ```

mod edges;
pub(crate) mod error;
mod features;
mod summaries;
mod transactions;

use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

pub use edges::{EdgeList, EdgeListCsv, EdgeListHeader};
pub use features::FeatureCsv;
pub use summaries::SummaryCsv;
pub(crate) use transactions::CustomerFold;
pub use transactions::TransactionCsv;

use crate::CsvError;
use crate::error::FieldProblem;

/// The file at `path`, opened for buffered reading.
fn open(path: &Path) -> Result<BufReader<File>, CsvError> {
    File::open(path).map(BufReader::new).map_err(|e| CsvError::Io { file: Some(path.to_owned()), source: e.into() })
}

/// The whole of `input`.
fn slurp<R: io::Read>(mut input: R) -> Result<Vec<u8>, CsvError> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|e| CsvError::Io { file: None, source: e.into() })?;
    Ok(bytes)
}

/// The whole file at `path`.
fn slurp_path(path: &Path) -> Result<Vec<u8>, CsvError> {
    read_whole(path).map_err(|e| CsvError::Io { file: Some(path.to_owned()), source: e.into() })
}

/// The whole file at `path`; a large one in as many consecutive pieces as
/// there are threads, each read on its own thread by positioned reads, so
/// that the copies out of the page cache (and the page faults of the fresh
/// buffer) are shared between the cores. A file whose length changes
/// while it is read is read again, whole, as a stream.
#[cfg(all(unix, feature = "parallel"))]
fn read_whole(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::{Read as _, Seek as _};
    use std::os::unix::fs::FileExt as _;
    /// The least length read in pieces.
    const PIECES_FROM: u64 = 1 << 22;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let threads = crate::util::threads();
    let len = usize::try_from(meta.len()).ok().filter(|_| meta.is_file() && meta.len() >= PIECES_FROM && threads > 1);
    let Some(len) = len else {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        return Ok(bytes);
    };
    let mut bytes = vec![0u8; len];
    let read = crate::util::par_fill_blocks(&mut bytes, threads, |from, piece| -> io::Result<bool> {
        let mut done = 0;
        while done < piece.len() {
            match file.read_at(&mut piece[done..], (from + done) as u64) {
                // Shorter than it was.
                Ok(0) => return Ok(false),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    });
    let mut whole = true;
    for piece in read {
        whole &= piece?;
    }
    if !whole || file.read_at(&mut [0u8], len as u64)? != 0 {
        bytes.clear();
        file.rewind()?;
        file.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// The whole file at `path`.
#[cfg(not(all(unix, feature = "parallel")))]
fn read_whole(path: &Path) -> io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// The text of a piece of whole lines of a plain file: valid UTF-8 with no
/// quote and no carriage return, which the fast readers split on commas
/// and line ends alone; `None` for anything else.
pub(crate) fn plain_text(piece: &[u8]) -> Option<&str> {
    if memchr::memchr2(b'"', b'\r', piece).is_some() {
        return None;
    }
    std::str::from_utf8(piece).ok()
}

/// Calls `record` with the cells of each line of `text` (see
/// [`plain_text`]), in order, finding every comma and line end in one
/// vectorised scan; a last line without its `\n` ends at the text's end.
/// `None` at a blank line, or as soon as `record` says `None`.
pub(crate) fn plain_records<'a>(text: &'a str, mut record: impl FnMut(&[&'a str]) -> Option<()>) -> Option<()> {
    let bytes = text.as_bytes();
    let mut cells: Vec<&'a str> = Vec::new();
    let mut start = 0;
    let last = (!bytes.is_empty() && bytes.last() != Some(&b'\n')).then_some(bytes.len());
    for end in memchr::memchr2_iter(b',', b'\n', bytes).chain(last) {
        cells.push(&text[start..end]);
        start = end + 1;
        if bytes.get(end) == Some(&b',') {
            continue;
        }
        if cells.len() == 1 && cells[0].is_empty() {
            return None;
        }
        record(&cells)?;
        cells.clear();
    }
    Some(())
}

/// A CSV table read row by row with named columns picked out.
pub(crate) struct Table<R> {
    reader: ::csv::Reader<R>,
    /// The number of columns the header names.
    reader_fields: usize,
    columns: Vec<(String, usize)>,
    record: ::csv::StringRecord,
}

/// One row of a [`Table`], borrowed.
pub(crate) struct Row<'a> {
    line: u64,
    record: &'a ::csv::StringRecord,
    columns: &'a [(String, usize)],
}

impl<R: io::Read> Table<R> {
    pub(crate) fn open(input: R, wanted: &[&str]) -> Result<Self, CsvError> {
        let mut reader = ::csv::ReaderBuilder::new().has_headers(true).from_reader(input);
        let headers = reader.headers().map_err(convert)?.clone();
        unique_headers(&headers)?;
        let mut columns = Vec::new();
        for name in wanted {
            let index = headers
                .iter()
                .position(|h| h == *name)
                .ok_or_else(|| CsvError::MissingColumn { file: None, column: (*name).to_owned() })?;
            columns.push(((*name).to_owned(), index));
        }
        Ok(Table { reader, reader_fields: headers.len(), columns, record: ::csv::StringRecord::new() })
    }

    pub(crate) fn next_row(&mut self) -> Result<Option<Row<'_>>, CsvError> {
        if !self.reader.read_record(&mut self.record).map_err(convert)? {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, ::csv::Position::line);
        Ok(Some(Row { line, record: &self.record, columns: &self.columns }))
    }
}

impl Row<'_> {
    pub(crate) fn field(&self, column: usize) -> &str {
        self.record.get(self.columns[column].1).unwrap_or("")
    }

    pub(crate) fn invalid(&self, column: usize, problem: FieldProblem) -> CsvError {
        CsvError::InvalidField {
            file: None,
            line: self.line,
            column: self.columns[column].0.clone(),
            value: self.field(column).to_owned(),
            problem,
        }
    }
}

/// [`CsvError::DuplicateColumn`] for the first name the header repeats.
fn unique_headers(headers: &::csv::StringRecord) -> Result<(), CsvError> {
    match crate::util::first_duplicate(headers) {
        Some(name) => Err(CsvError::DuplicateColumn { file: None, line: 1, column: name.to_owned() }),
        None => Ok(()),
    }
}

/// The `csv` crate's error as a [`CsvError`].
fn convert(error: ::csv::Error) -> CsvError {
    let line = error.position().map_or(0, ::csv::Position::line);
    let message = error.to_string();
    match error.into_kind() {
        ::csv::ErrorKind::Io(e) => CsvError::Io { file: None, source: e.into() },
        _ => CsvError::Malformed { file: None, line, message },
    }
}
