//! Reading a plain feature table from CSV (feature `csv`).

use std::io;

use super::{FeatureTable, Value};
use crate::CsvError;

/// Reads a feature table: a `customer_id` column labels the rows, every
/// other column is a feature named by its header. A cell is a number only
/// if it matches `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`; only an empty
/// cell is missing; every other cell is a string, kept byte for byte.
/// Features are untyped (compared cell by cell) and not profiling.
///
/// # Errors
///
/// [`CsvError`] naming the 1-based physical line (the header is line 1): a
/// missing `customer_id` column, a duplicate header, a malformed line, or
/// a number too large for a float.
///
/// # Example
///
/// ```
/// use customer_lifecycle::segment::{read_feature_csv, Value};
///
/// let table = read_feature_csv("customer_id,spend,tier\n007,12.5,gold\n8,,1e2\n".as_bytes())?;
/// assert_eq!(table.labels(), &["007", "8"]);
/// assert_eq!(table.value("spend", 0), Some(Value::Number(12.5)));
/// assert_eq!(table.value("spend", 1), None);
/// assert_eq!(table.value("tier", 1), Some(Value::Number(100.0)));
/// # Ok::<(), customer_lifecycle::CsvError>(())
/// ```
pub fn read_feature_csv<R: io::Read>(input: R) -> Result<FeatureTable, CsvError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
    let headers = reader.headers().map_err(crate::transactions::csv::convert)?.clone();
    let id_column = headers
        .iter()
        .position(|h| h == "customer_id")
        .ok_or_else(|| CsvError::MissingColumn { column: "customer_id".into() })?;
    crate::transactions::csv::unique_headers(&headers)?;
    let names: Vec<String> = headers.iter().map(str::to_owned).collect();
    let features: Vec<usize> = (0..names.len()).filter(|&i| i != id_column).collect();
    let mut labels = Vec::new();
    let mut columns: Vec<Vec<Option<Value>>> = vec![Vec::new(); features.len()];
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(crate::transactions::csv::convert)? {
        let line = record.position().map_or(0, csv::Position::line);
        labels.push(record.get(id_column).unwrap_or("").to_owned());
        for (column, &i) in columns.iter_mut().zip(&features) {
            let cell = record.get(i).unwrap_or("");
            let value = if cell.is_empty() {
                None
            } else if looks_numeric(cell) {
                let x: f64 = cell.parse().map_err(|_| invalid(line, &names[i], cell))?;
                if !x.is_finite() {
                    return Err(invalid(line, &names[i], cell));
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
        table
            .add_cells(&names[i], cells, false)
            .map_err(|e| CsvError::Malformed { line: 1, message: e.to_string() })?;
    }
    Ok(table)
}

fn invalid(line: u64, column: &str, value: &str) -> CsvError {
    CsvError::InvalidField {
        line,
        column: column.to_owned(),
        value: value.to_owned(),
        reason: "the number is too large for a 64-bit float".to_owned(),
    }
}

/// Whether `s` matches `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?` in full.
pub(crate) fn looks_numeric(s: &str) -> bool {
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

    #[test]
    fn errors_name_the_line() {
        let err = read_feature_csv("customer_id,x\na,1\nb,1e999\n".as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("line 3, column \"x\""), "{err}");
        let err = read_feature_csv("id,x\na,1\n".as_bytes()).unwrap_err();
        assert_eq!(err, CsvError::MissingColumn { column: "customer_id".into() });
        let err = read_feature_csv("customer_id,x\na,1,2\n".as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("line 2"), "{err}");
        let err = read_feature_csv("customer_id,x,x\na,1,2\n".as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("line 1"), "{err}");
    }
}
