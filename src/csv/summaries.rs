//! Reading customer summaries from CSV (feature `csv`).

use std::io;
use std::path::Path;

use super::{Table, open};
use crate::CsvError;
use crate::clv::CustomerSummary;
use crate::error::FieldProblem;

/// Reads [`CustomerSummary`]s from CSV with the columns `customer_id`,
/// `frequency`, `recency`, `T` and `monetary_value` (others are ignored),
/// in file order: the table [`clv`](crate::clv) writes and `lifetimes`
/// reads.
///
/// # Example
///
/// ```
/// use customer_lifecycle::csv::SummaryCsv;
/// use customer_lifecycle::error::{CsvError, FieldProblem};
///
/// let text = "customer_id,frequency,recency,T,monetary_value\n1,2,30.43,38.86,22.35\n";
/// let customers = SummaryCsv::new().from_reader(text.as_bytes())?;
/// assert_eq!(customers[0].frequency, 2);
/// let late = "customer_id,frequency,recency,T,monetary_value\n1,2,40,38.86,1\n";
/// let err = SummaryCsv::new().from_reader(late.as_bytes()).unwrap_err();
/// assert!(matches!(err, CsvError::InvalidField { line: 2, problem: FieldProblem::RecencyAfterT, .. }));
/// # Ok::<(), CsvError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryCsv {
    _private: (),
}

impl SummaryCsv {
    /// The reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads every row, in file order.
    ///
    /// # Errors
    ///
    /// The first [`CsvError`], naming the 1-based line and the column: a
    /// missing column, a column named twice in the header, a malformed
    /// line, a frequency that is not a whole number
    /// ([`FieldProblem::NotACount`]), a duration or value that is not a
    /// finite non-negative number ([`FieldProblem::NotNonNegative`]), or a
    /// recency after `T` ([`FieldProblem::RecencyAfterT`]).
    ///
    /// # Complexity
    ///
    /// O(rows).
    pub fn from_reader<R: io::Read>(&self, input: R) -> Result<Vec<CustomerSummary>, CsvError> {
        read(input)
    }

    /// Reads the file at `path`, as [`from_reader`](Self::from_reader).
    ///
    /// # Errors
    ///
    /// [`CsvError::Io`] when it cannot be read, otherwise as
    /// [`from_reader`](Self::from_reader); every error names the file.
    pub fn from_path(&self, path: impl AsRef<Path>) -> Result<Vec<CustomerSummary>, CsvError> {
        let path = path.as_ref();
        read(open(path)?).map_err(|e| e.in_file(path))
    }
}

fn read<R: io::Read>(input: R) -> Result<Vec<CustomerSummary>, CsvError> {
    let mut table = Table::open(input, &["customer_id", "frequency", "recency", "T", "monetary_value"])?;
    let mut out = Vec::new();
    while let Some(row) = table.next_row()? {
        let frequency: u32 = row.field(1).parse().map_err(|_| row.invalid(1, FieldProblem::NotACount))?;
        let number = |column: usize| -> Result<f64, CsvError> {
            match row.field(column).parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(row.invalid(column, FieldProblem::NotNonNegative)),
            }
        };
        let (recency, t, monetary_value) = (number(2)?, number(3)?, number(4)?);
        if recency > t {
            return Err(row.invalid(2, FieldProblem::RecencyAfterT));
        }
        out.push(CustomerSummary { key: row.field(0).to_owned(), frequency, recency, t, monetary_value });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)] // the value read is the literal written
    fn a_column_named_twice_is_refused_by_name() {
        // The frequency used to come from the first of the two, silently.
        let read = |text: &str| SummaryCsv::new().from_reader(text.as_bytes());
        let text = "customer_id,frequency,recency,T,monetary_value,frequency\n1,2,30.43,38.86,22.35,9\n";
        assert_eq!(read(text), Err(CsvError::DuplicateColumn { file: None, line: 1, column: "frequency".into() }));
        let text = "customer_id,frequency,recency,T,monetary_value,t\n1,2,30.43,38.86,22.35,9\n";
        assert_eq!(read(text).unwrap()[0].t, 38.86);
    }
}
