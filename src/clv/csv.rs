//! Reading customer summaries from CSV (feature `csv`).

use std::io;

use crate::CsvError;
use crate::clv::CustomerSummary;
use crate::transactions::csv::Table;

/// Reads summaries from CSV with the columns `customer_id`, `frequency`,
/// `recency`, `T` and `monetary_value` (others are ignored), in file order.
///
/// # Errors
///
/// The first [`CsvError`], naming the 1-based line and the column: a missing
/// column, a column named twice in the header, a malformed line, a frequency that is not a whole number, a
/// duration or value that is not a finite non-negative number, or a recency
/// after `T`.
///
/// # Example
///
/// ```
/// use customer_lifecycle::clv::read_summary_csv;
///
/// let text = "customer_id,frequency,recency,T,monetary_value\n1,2,30.43,38.86,22.35\n";
/// let customers = read_summary_csv(text.as_bytes())?;
/// assert_eq!(customers[0].frequency, 2);
/// assert!(read_summary_csv("customer_id,frequency,recency,T,monetary_value\n1,2,40,38.86,1\n".as_bytes()).is_err());
/// # Ok::<(), customer_lifecycle::CsvError>(())
/// ```
pub fn read_summary_csv<R: io::Read>(input: R) -> Result<Vec<CustomerSummary>, CsvError> {
    let mut table = Table::open(input, &["customer_id", "frequency", "recency", "T", "monetary_value"])?;
    let mut out = Vec::new();
    while let Some(row) = table.next_row()? {
        let frequency: u32 =
            row.field(1).parse().map_err(|_| row.invalid(1, "expected a whole number of repeat purchases"))?;
        let number = |column: usize| -> Result<f64, CsvError> {
            match row.field(column).parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(row.invalid(column, "expected a finite non-negative number")),
            }
        };
        let (recency, t, monetary_value) = (number(2)?, number(3)?, number(4)?);
        if recency > t {
            return Err(row.invalid(2, "recency is after T"));
        }
        out.push(CustomerSummary { key: row.field(0).to_owned(), frequency, recency, t, monetary_value });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_named_twice_is_refused_by_name() {
        // The frequency used to come from the first of the two, silently.
        let text = "customer_id,frequency,recency,T,monetary_value,frequency\n1,2,30.43,38.86,22.35,9\n";
        assert_eq!(read_summary_csv(text.as_bytes()), Err(CsvError::DuplicateColumn { column: "frequency".into() }));
        let text = "customer_id,frequency,recency,T,monetary_value,t\n1,2,30.43,38.86,22.35,9\n";
        assert_eq!(read_summary_csv(text.as_bytes()).unwrap()[0].t, 38.86);
    }
}
