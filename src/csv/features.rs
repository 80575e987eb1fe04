//! Reading a plain feature table from CSV (feature `csv`).

use std::io;
use std::path::Path;

use super::{convert, open, unique_headers};
use crate::CsvError;
use crate::error::FieldProblem;
use crate::segment::{FeatureTable, Value};

/// Reads a feature table: a key column (`customer_id` by default) labels
/// the rows, every other column is a feature named by its header. A cell
/// is a number only if it matches `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`;
/// only an empty cell is missing; every other cell is a string, kept byte
/// for byte. Features are untyped (compared cell by cell) and not
/// profiling.
///
/// # Example
///
/// ```
/// use customer_lifecycle::csv::FeatureCsv;
/// use customer_lifecycle::segment::Value;
///
/// let table = FeatureCsv::new().from_reader("customer_id,spend,tier\n007,12.5,gold\n8,,1e2\n".as_bytes())?;
/// assert_eq!(table.labels(), &["007", "8"]);
/// assert_eq!(table.value("spend", 0), Some(Value::Number(12.5)));
/// assert_eq!(table.value("spend", 1), None);
/// assert_eq!(table.value("tier", 1), Some(Value::Number(100.0)));
///
/// let table = FeatureCsv::new().key_column("id").from_reader("id,spend\nana,3\n".as_bytes())?;
/// assert_eq!(table.labels(), &["ana"]);
/// # Ok::<(), customer_lifecycle::error::CsvError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureCsv {
    key: String,
}

impl Default for FeatureCsv {
    fn default() -> Self {
        FeatureCsv { key: "customer_id".into() }
    }
}

impl FeatureCsv {
    /// The reader with the default key column, `customer_id`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the name of the column that labels the rows (default
    /// `customer_id`).
    #[must_use]
    pub fn key_column(mut self, name: impl Into<String>) -> Self {
        self.key = name.into();
        self
    }

    /// Reads the table.
    ///
    /// # Errors
    ///
    /// [`CsvError`] naming the 1-based physical line (the header is line 1):
    /// a missing key column, a duplicate header, a malformed line, or a
    /// number too large for a float ([`FieldProblem::NumberTooLarge`]).
    ///
    /// # Complexity
    ///
    /// O(rows × columns).
    pub fn from_reader<R: io::Read>(&self, input: R) -> Result<FeatureTable, CsvError> {
        self.read(input)
    }

    /// Reads the file at `path`, as [`from_reader`](Self::from_reader).
    ///
    /// # Errors
    ///
    /// [`CsvError::Io`] when it cannot be read, otherwise as
    /// [`from_reader`](Self::from_reader); every error names the file.
    pub fn from_path(&self, path: impl AsRef<Path>) -> Result<FeatureTable, CsvError> {
        let path = path.as_ref();
        self.read(open(path)?).map_err(|e| e.in_file(path))
    }

    fn read<R: io::Read>(&self, input: R) -> Result<FeatureTable, CsvError> {
        let mut reader = ::csv::ReaderBuilder::new().has_headers(true).from_reader(input);
        let headers = reader.headers().map_err(convert)?.clone();
        let id_column = headers
            .iter()
            .position(|h| h == self.key)
            .ok_or_else(|| CsvError::MissingColumn { file: None, column: self.key.clone() })?;
        unique_headers(&headers)?;
        let names: Vec<String> = headers.iter().map(str::to_owned).collect();
        let features: Vec<usize> = (0..names.len()).filter(|&i| i != id_column).collect();
        let mut labels = Vec::new();
        let mut columns: Vec<Vec<Option<Value>>> = vec![Vec::new(); features.len()];
        let mut record = ::csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(convert)? {
            let line = record.position().map_or(0, ::csv::Position::line);
            labels.push(record.get(id_column).unwrap_or("").to_owned());
            for (column, &i) in columns.iter_mut().zip(&features) {
                let cell = record.get(i).unwrap_or("");
                let value = if cell.is_empty() {
                    None
                } else if looks_numeric(cell) {
                    let x: f64 = cell.parse().map_err(|_| too_large(line, &names[i], cell))?;
                    if !x.is_finite() {
                        return Err(too_large(line, &names[i], cell));
                    }
                    Some(Value::Number(x))
                } else {
                    Some(Value::Text(cell.to_owned()))
                };
                column.push(value);
            }
        }
        let mut table = FeatureTable::new(labels);
        for (cells, &i) in columns.into_iter().zip(&features) {
            table.add_cells(&names[i], cells, false).map_err(|e| CsvError::Malformed {
                file: None,
                line: 1,
                message: e.to_string(),
            })?;
        }
        Ok(table)
    }
}

fn too_large(line: u64, column: &str, value: &str) -> CsvError {
    CsvError::InvalidField {
        file: None,
        line,
        column: column.to_owned(),
        value: value.to_owned(),
        problem: FieldProblem::NumberTooLarge,
    }
}

/// Whether `s` matches `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?` in full.
fn looks_numeric(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_pattern_is_exact() {
        for yes in ["0", "-1", "12.50", "1e5", "1E-5", "-0.5e+3", "007"] {
            assert!(looks_numeric(yes), "{yes}");
        }
        for no in ["", "-", "+1", "1.", ".5", "1e", "1e+", " 1", "1 ", "NaN", "inf", "1,5", "0x1", "1.5.2", "--1"] {
            assert!(!looks_numeric(no), "{no}");
        }
    }

    fn read_feature_csv(input: &[u8]) -> Result<FeatureTable, CsvError> {
        FeatureCsv::new().from_reader(input)
    }

    #[test]
    fn errors_name_the_line() {
        let err = read_feature_csv("customer_id,x\na,1\nb,1e999\n".as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("line 3, column \"x\""), "{err}");
        let err = read_feature_csv("id,x\na,1\n".as_bytes()).unwrap_err();
        assert_eq!(err, CsvError::MissingColumn { file: None, column: "customer_id".into() });
        let err = read_feature_csv("customer_id,x\na,1,2\n".as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("line 2"), "{err}");
        let err = read_feature_csv("customer_id,x,x\na,1,2\n".as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("line 1"), "{err}");
    }
}
