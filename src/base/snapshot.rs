use std::io::{BufRead, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::{BaseError, CustomerBase};
use crate::{CustomerId, Event, NewCustomer, Policy, Stage};

/// The whole base as a value: its policy and its journal, a sequence of
/// calls that rebuilds it: every customer (with their current attributes) in
/// the order they were added, then the events, explicit moves and advances
/// in time order. Since the base does not depend on the order its inputs
/// came in, this is the same base as the calls that built it, late events
/// and all. Restoring replays the journal through the same checks as the
/// original calls, so a snapshot can never build a base that the calls
/// could not.
///
/// The JSON form is versioned by `format_version`; reading a version this
/// release does not know is [`SnapshotError::UnsupportedVersion`], never a
/// guess. There are two forms:
///
/// - the *document* (version 1, [`CustomerBase::to_json`] /
///   [`CustomerBase::from_json`]): this value as one JSON object, built and
///   parsed whole in memory;
/// - the *stream* (version 2, [`CustomerBase::write_snapshot`] /
///   [`CustomerBase::read_snapshot`]): JSON Lines, written and read entry
///   by entry, with a checksum. This is the form for files.
///
/// # The stream format (version 2)
///
/// UTF-8 text, one compact JSON value per line, every line ending in `\n`:
///
/// 1. a header, `{"format_version":2,"policy":{...}}`;
/// 2. one line per [`JournalEntry`], in journal order, e.g.
///    `{"add_customer":{...}}`, `{"apply":{...}}`;
/// 3. a trailer, `{"trailer":{"entries":N,"xxh3":"<16 lowercase hex digits>"}}`,
///    where `N` is the number of entry lines and `xxh3` is the XXH3-64 hash
///    (seed 0) of every byte before the trailer line (header and entries,
///    newlines included);
///
/// and nothing after the trailer's newline. A reader checks the count and
/// the checksum before it returns a base, so a truncated or corrupted file
/// is an error, not a different base. A version 1 document (one line)
/// is still read by [`CustomerBase::read_snapshot`].
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use customer_lifecycle::{CustomerBase, NewCustomer, Policy};
///
/// let mut base = CustomerBase::new(Policy::default());
/// base.add_customer(NewCustomer::with_key("ana", Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()))?;
/// let json = base.to_json();
/// assert_eq!(CustomerBase::from_json(&json)?, base);
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The format's version: [`Snapshot::FORMAT_VERSION`] when written by this release.
    pub format_version: u32,
    /// The policy the base runs.
    pub policy: Policy,
    /// The calls that rebuild the base, in the order above.
    pub journal: Vec<JournalEntry>,
}

impl Snapshot {
    /// The version of the document form ([`CustomerBase::to_json`]),
    /// which this release writes and reads.
    pub const FORMAT_VERSION: u32 = 1;
    /// The version of the streamed form ([`CustomerBase::write_snapshot`]),
    /// which this release writes and reads.
    pub const STREAM_FORMAT_VERSION: u32 = 2;
}

/// One call on a [`CustomerBase`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalEntry {
    /// [`CustomerBase::add_customer`], with the customer's current attributes.
    AddCustomer(NewCustomer),
    /// [`CustomerBase::apply`].
    Apply(Event),
    /// [`CustomerBase::transition`].
    Transition {
        /// The customer.
        customer: CustomerId,
        /// The stage moved to.
        to: Stage,
        /// When.
        at: DateTime<Utc>,
        /// The caller's note.
        note: String,
    },
    /// [`CustomerBase::advance_to`].
    AdvanceTo(DateTime<Utc>),
}

/// Why a snapshot could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The snapshot's `format_version` is not one this release reads.
    #[error("snapshot format version {found} is not supported (this release reads version {supported})")]
    UnsupportedVersion {
        /// The version found.
        found: u32,
        /// The version supported.
        supported: u32,
    },
    /// The text is not a snapshot.
    #[error("malformed snapshot: {message}")]
    Malformed {
        /// What the parser said, with line and column.
        message: String,
    },
    /// A line of a streamed snapshot is not what the format puts there.
    #[error("snapshot line {line}: {message}")]
    BadLine {
        /// The line (1-based).
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A streamed snapshot ends before its trailer.
    #[error("snapshot truncated: no trailer after {lines} lines")]
    Truncated {
        /// The complete lines read.
        lines: usize,
    },
    /// A streamed snapshot's bytes do not match the checksum in its trailer.
    #[error("snapshot corrupted: checksum {computed:016x} does not match the trailer's {stored:016x}")]
    Corrupted {
        /// The checksum in the trailer.
        stored: u64,
        /// The checksum of the bytes read.
        computed: u64,
    },
    /// Reading or writing failed.
    #[error("snapshot i/o: {message}")]
    Io {
        /// The kind of failure.
        kind: std::io::ErrorKind,
        /// What the operating system said.
        message: String,
    },
    /// An entry of the journal was refused on replay.
    #[error("journal entry {entry}: {source}")]
    Replay {
        /// The entry's position in the journal (0-based; in a streamed
        /// snapshot, on line `entry + 2`).
        entry: usize,
        /// Why it was refused.
        source: BaseError,
    },
}

impl From<std::io::Error> for SnapshotError {
    fn from(e: std::io::Error) -> SnapshotError {
        SnapshotError::Io { kind: e.kind(), message: e.to_string() }
    }
}

#[derive(Deserialize)]
struct VersionProbe {
    format_version: u32,
}

/// The first line of a streamed snapshot.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format_version: u32,
    policy: Policy,
}

/// The last line of a streamed snapshot, inside `{"trailer": ...}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trailer {
    entries: u64,
    xxh3: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrailerLine {
    trailer: Trailer,
}

/// The prefix that tells the trailer from a journal entry.
const TRAILER_PREFIX: &[u8] = b"{\"trailer\":";

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Xxh3,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes one value and its newline.
fn write_line(out: &mut impl Write, value: &impl Serialize) -> Result<(), SnapshotError> {
    serde_json::to_writer(&mut *out, value).map_err(|e| match e.io_error_kind() {
        Some(kind) => SnapshotError::Io { kind, message: e.to_string() },
        None => SnapshotError::Malformed { message: e.to_string() },
    })?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Reads the next line into `buf` (cleared first), its newline included;
/// `false` at the end of the input.
fn next_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<bool, SnapshotError> {
    buf.clear();
    Ok(reader.read_until(b'\n', buf)? > 0)
}

/// A line's JSON text: valid UTF-8, ending in a newline (which is removed).
fn line_text(buf: &[u8], line: usize) -> Result<&str, SnapshotError> {
    let Some(body) = buf.strip_suffix(b"\n") else {
        return Err(SnapshotError::Truncated { lines: line - 1 });
    };
    std::str::from_utf8(body).map_err(|e| SnapshotError::BadLine { line, message: e.to_string() })
}

/// Parses a line's JSON.
fn parse_line<T: serde::de::DeserializeOwned>(buf: &[u8], line: usize) -> Result<T, SnapshotError> {
    serde_json::from_str(line_text(buf, line)?).map_err(|e| SnapshotError::BadLine { line, message: e.to_string() })
}

/// The trailer's checksum: exactly 16 lowercase hex digits, so that no
/// two spellings name one value.
fn parse_checksum(text: &str, line: usize) -> Result<u64, SnapshotError> {
    let canonical = text.len() == 16 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    match u64::from_str_radix(text, 16) {
        Ok(value) if canonical => Ok(value),
        _ => Err(SnapshotError::BadLine { line, message: format!("checksum {text:?} is not 16 lowercase hex digits") }),
    }
}

impl CustomerBase {
    /// The base as a [`Snapshot`].
    ///
    /// # Complexity
    ///
    /// O(customers + events).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            format_version: Snapshot::FORMAT_VERSION,
            policy: self.policy.clone(),
            journal: self.journal_entries(|_, _| true),
        }
    }

    /// Rebuilds a base from a [`Snapshot`].
    ///
    /// # Errors
    ///
    /// [`SnapshotError::UnsupportedVersion`], or [`SnapshotError::Replay`]
    /// naming the first journal entry that the base refuses.
    pub fn restore(snapshot: Snapshot) -> Result<CustomerBase, SnapshotError> {
        if snapshot.format_version != Snapshot::FORMAT_VERSION {
            return Err(SnapshotError::UnsupportedVersion {
                found: snapshot.format_version,
                supported: Snapshot::FORMAT_VERSION,
            });
        }
        let mut base = CustomerBase::new(snapshot.policy);
        for (entry, call) in snapshot.journal.into_iter().enumerate() {
            base.replay(call).map_err(|source| SnapshotError::Replay { entry, source })?;
        }
        Ok(base)
    }

    /// The base as snapshot JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.snapshot()).expect("snapshots serialise")
    }

    /// Reads a base from snapshot JSON.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::UnsupportedVersion`] when `format_version` is not
    /// [`Snapshot::FORMAT_VERSION`] (checked before anything else is read),
    /// [`SnapshotError::Malformed`] when the text is not a snapshot, and
    /// [`SnapshotError::Replay`] when its journal is refused.
    pub fn from_json(json: &str) -> Result<CustomerBase, SnapshotError> {
        let malformed = |e: serde_json::Error| SnapshotError::Malformed { message: e.to_string() };
        let probe: VersionProbe = serde_json::from_str(json).map_err(malformed)?;
        if probe.format_version != Snapshot::FORMAT_VERSION {
            return Err(SnapshotError::UnsupportedVersion {
                found: probe.format_version,
                supported: Snapshot::FORMAT_VERSION,
            });
        }
        CustomerBase::restore(serde_json::from_str(json).map_err(malformed)?)
    }

    /// Writes the base as a streamed snapshot (format version 2, see
    /// [`Snapshot`]): a header line, one line per journal entry, and a
    /// trailer with the entry count and a checksum. Entries are serialised
    /// one at a time, so neither the JSON text nor the journal is ever
    /// held whole; the memory used besides the base is a few words per
    /// journal entry (the journal's order) and a buffer. The writer is
    /// buffered here, so a bare [`std::fs::File`] is fine.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Io`] when the writer fails; what was written
    /// before is then an incomplete snapshot, which
    /// [`CustomerBase::read_snapshot`] refuses.
    ///
    /// # Complexity
    ///
    /// O(customers + events · log events).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use customer_lifecycle::{CustomerBase, NewCustomer, Policy};
    ///
    /// let mut base = CustomerBase::new(Policy::default());
    /// base.add_customer(NewCustomer::with_key("ana", Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()))?;
    /// let mut file = Vec::new();
    /// base.write_snapshot(&mut file)?;
    /// assert_eq!(CustomerBase::read_snapshot(file.as_slice())?, base);
    /// # Ok::<(), customer_lifecycle::Error>(())
    /// ```
    pub fn write_snapshot(&self, writer: impl Write) -> Result<(), SnapshotError> {
        // The hash sits under the buffer, so that it takes the bytes in
        // large blocks rather than serde_json's small writes.
        let mut out = std::io::BufWriter::with_capacity(1 << 16, Hashing { inner: writer, hash: Xxh3::new() });
        let header = Header { format_version: Snapshot::STREAM_FORMAT_VERSION, policy: self.policy.clone() };
        write_line(&mut out, &header)?;
        let mut entries = 0u64;
        for slot in 0..self.slots.len() as u32 {
            write_line(&mut out, &self.added_entry(slot))?;
            entries += 1;
        }
        for source in self.journal_order(|_, _| true) {
            write_line(&mut out, &self.journal_entry(source))?;
            entries += 1;
        }
        out.flush()?;
        let trailer =
            TrailerLine { trailer: Trailer { entries, xxh3: format!("{:016x}", out.get_ref().hash.digest()) } };
        write_line(&mut out, &trailer)?;
        out.flush()?;
        Ok(())
    }

    /// Reads a base from a streamed snapshot (see [`Snapshot`]), line by
    /// line: the memory used besides the base is one line. The count and
    /// the checksum in the trailer are checked before the base is
    /// returned; nothing is returned from a file that fails them. A
    /// version 1 document (as [`CustomerBase::to_json`] writes it, one
    /// line) is read too, whole, without a checksum.
    ///
    /// # Errors
    ///
    /// - [`SnapshotError::UnsupportedVersion`] when the header's version is
    ///   not one this release reads;
    /// - [`SnapshotError::Truncated`] when the input ends before the
    ///   trailer (or in the middle of a line);
    /// - [`SnapshotError::Corrupted`] when the bytes do not match the
    ///   trailer's checksum; this is also the error for a line that does
    ///   not parse or replay when the checksum shows the file was damaged;
    /// - [`SnapshotError::BadLine`] (with the line number) for a line that
    ///   is not what the format puts there, a wrong count in the trailer,
    ///   or anything after the trailer;
    /// - [`SnapshotError::Replay`] when an intact journal is refused;
    /// - [`SnapshotError::Io`] when the reader fails.
    ///
    /// # Complexity
    ///
    /// The cost of replaying the journal: O(customers + events) calls.
    pub fn read_snapshot(mut reader: impl BufRead) -> Result<CustomerBase, SnapshotError> {
        let mut buf = Vec::new();
        if !next_line(&mut reader, &mut buf)? {
            return Err(SnapshotError::Truncated { lines: 0 });
        }
        let first = std::mem::take(&mut buf);
        let bad = |message: String| SnapshotError::BadLine { line: 1, message };
        // A version 1 document may lack the final newline.
        let text = std::str::from_utf8(first.strip_suffix(b"\n").unwrap_or(&first)).map_err(|e| bad(e.to_string()))?;
        let probe: VersionProbe = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        match probe.format_version {
            Snapshot::STREAM_FORMAT_VERSION => {}
            Snapshot::FORMAT_VERSION => {
                if next_line(&mut reader, &mut buf)? {
                    return Err(SnapshotError::BadLine { line: 2, message: "text after a version 1 document".into() });
                }
                return CustomerBase::from_json(text);
            }
            found => {
                return Err(SnapshotError::UnsupportedVersion { found, supported: Snapshot::STREAM_FORMAT_VERSION });
            }
        }
        let mut hash = Xxh3::new();
        hash.update(&first);
        let header: Header = parse_line(&first, 1)?;
        let mut base = CustomerBase::new(header.policy);
        // The first error in the entries; reading goes on to the trailer,
        // so that damage is reported as such.
        let mut failed: Option<SnapshotError> = None;
        let mut line = 1;
        loop {
            if !next_line(&mut reader, &mut buf)? {
                return Err(SnapshotError::Truncated { lines: line });
            }
            line += 1;
            if buf.starts_with(TRAILER_PREFIX) {
                break;
            }
            hash.update(&buf);
            if failed.is_none() {
                let entry = line - 2;
                failed = parse_line::<JournalEntry>(&buf, line)
                    .and_then(|call| base.replay(call).map_err(|source| SnapshotError::Replay { entry, source }))
                    .err();
            }
        }
        let trailer: TrailerLine = parse_line(&buf, line)?;
        let stored = parse_checksum(&trailer.trailer.xxh3, line)?;
        let computed = hash.digest();
        if stored != computed {
            return Err(SnapshotError::Corrupted { stored, computed });
        }
        if let Some(error) = failed {
            return Err(error);
        }
        let entries = (line - 2) as u64;
        if trailer.trailer.entries != entries {
            return Err(SnapshotError::BadLine {
                line,
                message: format!("the trailer counts {} entries, the snapshot has {entries}", trailer.trailer.entries),
            });
        }
        if next_line(&mut reader, &mut buf)? {
            return Err(SnapshotError::BadLine { line: line + 1, message: "text after the trailer".into() });
        }
        Ok(base)
    }
}
