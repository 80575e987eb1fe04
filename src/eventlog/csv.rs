//! The CSV reader and writer (feature `csv`).

use std::borrow::Cow;
use std::io;

use super::error::EventLogErrorKind;
use super::fields::{self, Fields, Raw};
use super::jsonl::{COLUMNS, flat};
use super::{BatchBuilder, EventBatch, EventLogError, KeyedEvent};

/// The header [`write_csv`] writes: the 16 columns of the format.
pub const CSV_HEADER: &str =
    "id,customer,at,channel,type,amount,purchase,action,nps,csat,ticket,invitee,of,purpose,granted,campaign";

/// A cell as a field: empty is absent; `nps` and `csat` read as integers
/// and `granted` as a boolean when they look like one, so that the checks
/// name the same wrong type as for JSON.
fn cell<'a>(column: &str, text: &'a str) -> Option<Raw<'a>> {
    if text.is_empty() {
        return None;
    }
    Some(match column {
        "nps" | "csat" => text.parse().map_or(Raw::Text(Cow::Borrowed(text)), Raw::Integer),
        "granted" => match text {
            "true" => Raw::Bool(true),
            "false" => Raw::Bool(false),
            _ => Raw::Text(Cow::Borrowed(text)),
        },
        _ => Raw::Text(Cow::Borrowed(text)),
    })
}

/// Reads a CSV event log: a header with the 16 columns of the format in any
/// order, then one event per record, checked as the [module
/// documentation](super) describes. `source` names the input in errors.
///
/// # Errors
///
/// As [`read_jsonl`](super::read_jsonl), plus
/// [`MissingColumn`](EventLogErrorKind::MissingColumn) and
/// [`DuplicateColumn`](EventLogErrorKind::DuplicateColumn) naming the
/// column, and [`Csv`](EventLogErrorKind::Csv) for a malformed record.
///
/// # Example
///
/// ```
/// use customer_lifecycle::eventlog::{CSV_HEADER, read_csv};
///
/// let text = format!("{CSV_HEADER}\no1,ana,2024-03-01T10:00:00Z,web,purchase,12.50,,,,,,,,,,\n");
/// let batch = read_csv(text.as_bytes(), "orders.csv")?;
/// assert_eq!(batch.line(0), 2);
///
/// let err = read_csv("id,customer\n".as_bytes(), "orders.csv").unwrap_err();
/// assert_eq!(err.to_string(), "orders.csv:1: field \"at\": missing column");
/// # Ok::<(), customer_lifecycle::eventlog::EventLogError>(())
/// ```
pub fn read_csv<R: io::Read>(reader: R, source: &str) -> Result<EventBatch, EventLogError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(reader);
    let malformed = |e: &csv::Error| {
        let line = e.position().map(csv::Position::line);
        let kind = match e.kind() {
            csv::ErrorKind::Io(io) => EventLogErrorKind::Io { message: io.to_string() },
            _ => EventLogErrorKind::Csv { message: e.to_string() },
        };
        EventLogError::new(source, line, None, kind)
    };
    let headers = reader.headers().map_err(|e| malformed(&e))?.clone();
    let header_error = |column: &str, kind| EventLogError::new(source, Some(1), Some(column), kind);
    let mut index = [0usize; 16];
    for (i, column) in COLUMNS.iter().enumerate() {
        let mut found = headers.iter().enumerate().filter(|(_, h)| h == column).map(|(at, _)| at);
        index[i] = found.next().ok_or_else(|| header_error(column, EventLogErrorKind::MissingColumn))?;
        if found.next().is_some() {
            return Err(header_error(column, EventLogErrorKind::DuplicateColumn));
        }
    }
    let mut builder = BatchBuilder::new(source.to_owned());
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| malformed(&e))? {
        let line = record.position().map_or(0, csv::Position::line);
        let get = |i: usize| cell(COLUMNS[i], record.get(index[i]).unwrap_or(""));
        let fields = Fields {
            id: get(0),
            customer: get(1),
            at: get(2),
            channel: get(3),
            kind: get(4),
            amount: get(5),
            purchase: get(6),
            action: get(7),
            nps: get(8),
            csat: get(9),
            ticket: get(10),
            invitee: get(11),
            of: get(12),
            purpose: get(13),
            granted: get(14),
            campaign: get(15),
            consent: None,
            attributes: None,
        };
        let event = fields::event(&fields).map_err(|(field, kind)| builder.error(line, field.as_deref(), kind))?;
        builder.push(line, event);
    }
    builder.finish()
}

/// Writes events as CSV with [`CSV_HEADER`], in the format that
/// [`read_csv`] reads. A `customer` record's consent and attributes have no
/// column and are left out; instants are written as by
/// [`write_jsonl`](super::write_jsonl).
///
/// # Errors
///
/// The writer's I/O error.
pub fn write_csv<'a, W: io::Write>(writer: W, events: impl IntoIterator<Item = &'a KeyedEvent>) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(writer);
    out.write_record(COLUMNS)?;
    for event in events {
        let row = flat(event);
        out.write_record(row.cells.iter().map(|c| c.as_deref().unwrap_or("")))?;
    }
    out.flush()
}
