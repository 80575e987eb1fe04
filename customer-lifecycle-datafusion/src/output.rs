//! Writing result batches to Parquet.

use std::fs::File;

use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;

use crate::error::Error;

/// Writes `batch` to a new Parquet file at `path` (replacing one there).
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be created or written.
pub fn to_parquet(batch: &RecordBatch, path: &str) -> Result<(), Error> {
    let io = |error: std::io::Error| Error::Io { path: path.to_owned(), error };
    let pq = |e: datafusion::parquet::errors::ParquetError| io(std::io::Error::other(e));
    let file = File::create(path).map_err(io)?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).map_err(pq)?;
    writer.write(batch).map_err(pq)?;
    writer.close().map_err(pq)?;
    Ok(())
}
