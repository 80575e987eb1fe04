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
        // Short: the file is shorter than it was.
        Ok(read_full(&file, piece, from as u64)? == piece.len())
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

/// Fills `buf` from `file` at `offset` as far as the file goes, by
/// positioned reads (retried when interrupted): the number of bytes read,
/// short only at the file's end.
#[cfg(unix)]
fn read_full(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt as _;
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
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

/// The positions of the commas and line feeds of some bytes, in order:
/// found 64 bytes at a time, eight bytes to a word, into a mask of
/// positions read off bit by bit. One mask per 64 bytes is cheaper than a
/// vectorised search per separator when, as in CSV, separators are a few
/// bytes apart.
struct Separators<'a> {
    bytes: &'a [u8],
    /// The offset of the chunk `mask` covers.
    base: usize,
    /// The separators of that chunk not yet returned, bit `i` for byte
    /// `base + i`.
    mask: u64,
}

impl<'a> Separators<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let mut separators = Separators { bytes, base: 0, mask: 0 };
        separators.mask = separators.chunk_mask();
        separators
    }

    /// The separators of the 64 bytes from `base` (fewer at the end).
    #[inline]
    fn chunk_mask(&self) -> u64 {
        let rest = self.bytes.get(self.base..).unwrap_or(&[]);
        if let Some(chunk) = rest.first_chunk::<64>() {
            Self::mask_of(chunk)
        } else {
            let mut chunk = [0u8; 64];
            chunk[..rest.len()].copy_from_slice(rest);
            Self::mask_of(&chunk)
        }
    }

    /// The separators of 64 bytes, bit `i` for byte `i`.
    #[inline]
    fn mask_of(chunk: &[u8; 64]) -> u64 {
        const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        const ONES: u64 = 0x0101_0101_0101_0101;
        // 0x80 in each zero byte of `t`, exactly (no borrow between bytes).
        let zero = |t: u64| !(((t & LOW).wrapping_add(LOW)) | t | LOW);
        let mut mask = 0u64;
        for (i, word) in chunk.chunks_exact(8).enumerate() {
            let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            let hits = (zero(w ^ (ONES * u64::from(b','))) | zero(w ^ (ONES * u64::from(b'\n')))) >> 7;
            // Byte j's bit (at 8j) moves to bit 56 + j; no two products
            // meet, so nothing carries.
            let bits = hits.wrapping_mul(0x0102_0408_1020_4080) >> 56;
            mask |= bits << (8 * i);
        }
        mask
    }
}

impl Iterator for Separators<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 64;
            if self.base >= self.bytes.len() {
                return None;
            }
            self.mask = self.chunk_mask();
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
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
    for end in Separators::new(bytes).chain(last) {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The separators found by words are memchr's, at any length and
        /// alignment, with bytes that differ from ',' and '\n' by one bit.
        #[test]
        fn separators_are_every_comma_and_line_feed(bytes in prop::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b'\x0a' ^ 0x80), Just(b'-'), Just(0u8), any::<u8>()], 0..300), from in 0usize..70) {
            let bytes = &bytes[from.min(bytes.len())..];
            let found: Vec<usize> = super::Separators::new(bytes).collect();
            let expected: Vec<usize> = memchr::memchr2_iter(b',', b'\n', bytes).collect();
            prop_assert_eq!(found, expected);
        }
    }
}
