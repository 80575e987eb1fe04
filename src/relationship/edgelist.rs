//! Reading a graph from a CSV edge list (feature `csv`).

use std::io::Read;

use super::graph::{EdgeKind, GraphError};
use super::network::{Network, NetworkBuilder};

/// The error of [`read_edge_list`]: what was wrong and on which line.
///
/// Lines are 1-based physical lines of the input, the header being line 1.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EdgeListError {
    /// A weight cell that is not a finite number `>= 0`.
    #[error("line {line}: weight {value:?} is not a finite number >= 0")]
    Weight {
        /// The line.
        line: u64,
        /// The cell as written.
        value: String,
    },
    /// A record without exactly two or three cells.
    #[error("line {line}: expected 2 or 3 columns (source,target[,weight]), found {found}")]
    Columns {
        /// The line.
        line: u64,
        /// How many cells it had.
        found: usize,
    },
    /// An id that is not valid UTF-8.
    #[error("line {line}: id is not valid UTF-8")]
    Utf8 {
        /// The line.
        line: u64,
    },
    /// The input could not be read as CSV.
    #[error("line {line}: {message}")]
    Read {
        /// The line (0 when unknown).
        line: u64,
        /// What the reader said.
        message: String,
    },
    /// The graph could not be built.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Reads a directed, weighted graph from CSV with columns
/// `source,target[,weight]`.
///
/// - Line 1 is a header and is skipped, whatever it says.
/// - Ids are any strings, kept byte for byte (no trimming); a node is added
///   the first time its id appears, so node indices follow first
///   appearance.
/// - An empty or missing weight cell means 1; a zero weight is allowed; a
///   weight is parsed after trimming spaces, and a negative, non-finite or
///   unparseable one is an [`EdgeListError::Weight`] naming its line.
/// - Edges get kind [`EdgeKind::Other(0)`](EdgeKind::Other) and point from
///   source to target; a repeated `source,target` keeps the last weight;
///   self-loops are kept.
///
/// # Errors
///
/// [`EdgeListError`] for a bad weight, a wrong number of cells, an id that
/// is not UTF-8, or input that is not CSV; each names the line.
///
/// # Complexity
///
/// O(bytes + V + E log d) for the largest out-degree d; the input is held
/// in memory while it is read.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{read_edge_list, EdgeKind};
///
/// let csv = "source,target,weight\nana,bo,2\nbo,ana,\nana,bo,0.5\n";
/// let network = read_edge_list(csv.as_bytes())?;
/// let (ana, bo) = (network.node("ana").unwrap(), network.node("bo").unwrap());
/// assert_eq!(network.graph().edge_weight(ana, bo, EdgeKind::Other(0)), Some(0.5));
/// assert_eq!(network.graph().edge_weight(bo, ana, EdgeKind::Other(0)), Some(1.0));
///
/// let err = read_edge_list("s,t,w\nana,bo,-1\n".as_bytes()).unwrap_err();
/// assert_eq!(err.to_string(), r#"line 2: weight "-1" is not a finite number >= 0"#);
/// # Ok::<(), customer_lifecycle::relationship::EdgeListError>(())
/// ```
pub fn read_edge_list<R: Read>(mut input: R) -> Result<Network<String>, EdgeListError> {
    // The whole input is kept so that an error can name its physical line:
    // the csv reader's own line numbers count skipped blank lines into the
    // following record.
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|e| EdgeListError::Read { line: 0, message: e.to_string() })?;
    let line_at = |position: Option<&csv::Position>| {
        let Some(position) = position else { return 0 };
        let mut at = (position.byte() as usize).min(bytes.len());
        while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        // A line ends at "\n", "\r\n" or a lone "\r", as the csv reader reads.
        let before = &bytes[..at];
        let breaks = before
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && before.get(i + 1) != Some(&b'\n')))
            .count();
        1 + breaks as u64
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes.as_slice());
    let mut builder = NetworkBuilder::new().allow_self_loops(true);
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(EdgeListError::Read { line: line_at(e.position()), message: e.to_string() }),
        }
        if !(2..=3).contains(&record.len()) {
            return Err(EdgeListError::Columns { line: line_at(record.position()), found: record.len() });
        }
        let weight = match record.get(2) {
            None => 1.0,
            Some(cell) => parse_weight(cell).ok_or_else(|| EdgeListError::Weight {
                line: line_at(record.position()),
                value: String::from_utf8_lossy(cell).into_owned(),
            })?,
        };
        let id = |cell: &[u8]| {
            String::from_utf8(cell.to_vec()).map_err(|_| EdgeListError::Utf8 { line: line_at(record.position()) })
        };
        let (source, target) = (id(&record[0])?, id(&record[1])?);
        builder.add_edge(source, target, EdgeKind::Other(0), weight)?;
    }
    Ok(builder.build()?)
}

/// An empty cell is 1; otherwise a finite number `>= 0`.
fn parse_weight(cell: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(cell).ok()?.trim();
    if text.is_empty() {
        return Some(1.0);
    }
    let weight: f64 = text.parse().ok()?;
    (weight.is_finite() && weight >= 0.0).then_some(weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_the_rules() {
        assert_eq!(parse_weight(b""), Some(1.0));
        assert_eq!(parse_weight(b"  "), Some(1.0));
        assert_eq!(parse_weight(b"0"), Some(0.0));
        assert_eq!(parse_weight(b" 2.5 "), Some(2.5));
        assert_eq!(parse_weight(b"1e-3"), Some(0.001));
        for bad in [&b"-1"[..], b"nan", b"inf", b"-inf", b"x", b"1,5", b"\xff"] {
            assert_eq!(parse_weight(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn errors_name_the_physical_line() {
        let err = |text: &str| read_edge_list(text.as_bytes()).unwrap_err();
        assert_eq!(err("s,t\na,b\n\nc,d,NaN\n"), EdgeListError::Weight { line: 4, value: "NaN".into() });
        assert_eq!(err("s,t\r\na,b\r\nc,d,zz\r\n"), EdgeListError::Weight { line: 3, value: "zz".into() });
        assert_eq!(err("s,t\na\n"), EdgeListError::Columns { line: 2, found: 1 });
        assert_eq!(err("s,t\na,b,1,2\n"), EdgeListError::Columns { line: 2, found: 4 });
        assert_eq!(err("s,t\n\n\r\n\na,b,1,2"), EdgeListError::Columns { line: 5, found: 4 });
        assert_eq!(err("s,t\ra,b\rc,d,?\r"), EdgeListError::Weight { line: 3, value: "?".into() });
        // A quoted cell spanning lines: the next record starts on line 4.
        assert_eq!(err("s,t\n\"a\nb\",c\nd,e,-2\n"), EdgeListError::Weight { line: 4, value: "-2".into() });
        assert_eq!(read_edge_list(&b"s,t\n\xff,b\n"[..]).unwrap_err(), EdgeListError::Utf8 { line: 2 });
    }

    #[test]
    fn ids_are_kept_byte_for_byte() {
        let network = read_edge_list(" a ,b\n a ,A\nA,A,0\n".as_bytes()).unwrap();
        assert_eq!(network.keys(), [" a ", "A"]);
        assert!(read_edge_list("source,target\n".as_bytes()).unwrap().graph().node_count() == 0);
    }
}
