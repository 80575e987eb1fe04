//! Transaction logs from Parquet and CSV files or directories, and from any
//! table a [`SessionContext`] knows.

use std::path::Path;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{CsvReadOptions, DataFrame, ParquetReadOptions, SessionContext, col};

use crate::error::Error;
use crate::functions::{clv_cents, clv_day, clv_key};

/// A transaction log as a lazy DataFusion plan with three columns:
/// `customer_id` (`Utf8`), `date` (`Date32`, the purchase's calendar day)
/// and `amount_cents` (`Int64`, the amount in cents), one purchase a row.
///
/// The columns are read by the rules of
/// [`clv_key`](crate::functions::clv_key),
/// [`clv_day`](crate::functions::clv_day) and
/// [`clv_cents`](crate::functions::clv_cents) as the plan runs; a value they
/// refuse fails the run with [`Error::Value`] naming this log's source.
#[derive(Debug, Clone)]
pub struct TransactionLog {
    frame: DataFrame,
    source_name: String,
}

/// The kind of files a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Parquet,
    Csv,
}

fn kind_of(path: &str) -> Result<Kind, Error> {
    let fail = |reason: &str| Error::Source { path: path.to_owned(), reason: reason.to_owned() };
    let by_extension = |p: &Path| match p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("parquet") => Some(Kind::Parquet),
        Some("csv") => Some(Kind::Csv),
        _ => None,
    };
    let p = Path::new(path);
    if p.is_file() {
        return by_extension(p).ok_or_else(|| fail("is neither a .parquet nor a .csv file"));
    }
    if !p.is_dir() {
        return Err(fail("no such file or directory"));
    }
    let entries = std::fs::read_dir(p).map_err(|e| Error::Io { path: path.to_owned(), error: e })?;
    let (mut parquet, mut csv) = (0usize, 0usize);
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io { path: path.to_owned(), error: e })?;
        let name = entry.file_name();
        // Hidden and underscore files (`_SUCCESS`, `.crc`) are not data.
        if name.to_string_lossy().starts_with(['.', '_']) {
            continue;
        }
        match by_extension(&entry.path()) {
            Some(Kind::Parquet) => parquet += 1,
            Some(Kind::Csv) => csv += 1,
            None => {}
        }
    }
    match (parquet, csv) {
        (0, 0) => Err(fail("holds no .parquet or .csv file")),
        (_, 0) => Ok(Kind::Parquet),
        (0, _) => Ok(Kind::Csv),
        _ => Err(fail("holds both .parquet and .csv files")),
    }
}

/// A string type.
fn string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

impl TransactionLog {
    /// Reads a Parquet or CSV file, or a directory of `.parquet` or of
    /// `.csv` files (not both), whose files may split one customer's rows
    /// in any way. Columns other than `customer_id`, `date` and `amount`
    /// are ignored. CSV files need a header row; their cells are read as
    /// text, so a CSV log follows the string rules (dates `YYYY-MM-DD`,
    /// amounts with at most two decimals) exactly as the main crate's
    /// `TransactionCsv` does.
    ///
    /// # Errors
    ///
    /// [`Error::Source`] for a path that is not such a file or directory,
    /// [`Error::Schema`] naming the column that is missing or of a type the
    /// log cannot hold, [`Error::DataFusion`] when a file cannot be read.
    pub async fn read(ctx: &SessionContext, path: &str) -> Result<TransactionLog, Error> {
        let frame = match kind_of(path)? {
            Kind::Parquet => ctx
                .read_parquet(path, ParquetReadOptions::default())
                .await
                .map_err(|e| Error::from_datafusion(e, path))?,
            Kind::Csv => {
                let inferred =
                    ctx.read_csv(path, CsvReadOptions::new()).await.map_err(|e| Error::from_datafusion(e, path))?;
                // Every cell as text: the log's own rules read them.
                let text = Schema::new(
                    inferred
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| Field::new(f.name(), DataType::Utf8, true))
                        .collect::<Vec<_>>(),
                );
                ctx.read_csv(path, CsvReadOptions::new().schema(&text))
                    .await
                    .map_err(|e| Error::from_datafusion(e, path))?
            }
        };
        TransactionLog::from_frame(frame, path)
    }

    /// The log held by a table registered with `ctx` (any table provider:
    /// a listing table, a memory table, a view).
    ///
    /// # Errors
    ///
    /// [`Error::DataFusion`] when there is no such table, and
    /// [`Error::Schema`] as for [`read`](Self::read).
    pub async fn from_table(ctx: &SessionContext, table: &str) -> Result<TransactionLog, Error> {
        let frame = ctx.table(table).await.map_err(|e| Error::from_datafusion(e, table))?;
        TransactionLog::from_frame(frame, table)
    }

    /// The log held by a data frame with columns `customer_id`, `date` and
    /// `amount`; `source_name` names it in errors.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] naming a column that is missing or of a type the
    /// log cannot hold.
    pub fn from_frame(frame: DataFrame, source_name: &str) -> Result<TransactionLog, Error> {
        let schema = frame.schema();
        let check = |column: &'static str, ok: fn(&DataType) -> bool, wanted: &str| -> Result<(), Error> {
            let fail = |reason: String| Error::Schema { source_name: source_name.to_owned(), column, reason };
            let field = schema.field_with_unqualified_name(column).map_err(|_| fail("is missing".to_owned()))?;
            if ok(field.data_type()) { Ok(()) } else { Err(fail(format!("is {}, not {wanted}", field.data_type()))) }
        };
        check("customer_id", string, "a string")?;
        check(
            "date",
            |t| string(t) || matches!(t, DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)),
            "a date, a timestamp or a string",
        )?;
        check(
            "amount",
            |t| {
                string(t)
                    || matches!(t, DataType::Decimal128(..) | DataType::Float16 | DataType::Float32 | DataType::Float64)
                    || (t.is_integer() && !matches!(t, DataType::UInt64))
            },
            "a decimal, a float, an integer (up to 32 bits unsigned) or a string",
        )?;
        let frame = frame
            .select(vec![
                clv_key(col("customer_id")).alias("customer_id"),
                clv_day(col("date"), col("customer_id")).alias("date"),
                clv_cents(col("amount"), col("customer_id")).alias("amount_cents"),
            ])
            .map_err(|e| Error::from_datafusion(e, source_name))?;
        Ok(TransactionLog { frame, source_name: source_name.to_owned() })
    }

    /// The plan: `customer_id` (`Utf8`), `date` (`Date32`), `amount_cents`
    /// (`Int64`).
    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    /// The file, directory or table the log comes from, as errors name it.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }
}
