//! Reading a graph from a CSV edge list (feature `csv`): the header says
//! what the edges mean, and so which way rank and reach flow.

use std::io::Read;

use serde::{Deserialize, Serialize};

use super::graph::{Direction, EdgeKind, GraphError, NodeIndex};
use super::network::{Network, NetworkBuilder};
use crate::keys::KeyTable;

/// The headers [`read_edge_list`] accepts, for the error messages.
const ACCEPTED: &str = "follower,followed or follower_id,followed_id (a follow graph) or source,target (directed \
                        edges), in any order, with an optional weight and any other columns";

/// The error of [`read_edge_list`]: what was wrong and on which line.
///
/// Lines are 1-based physical lines of the input, the header being line 1
/// (unless blank lines come before it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EdgeListError {
    /// The input has no header line: it is empty or holds only blank lines.
    #[error("no header line; expected {ACCEPTED}")]
    NoHeader,
    /// A header that names none of the accepted pairs of id columns.
    #[error("line {line}: header {header:?} names no accepted pair of columns; expected {ACCEPTED}")]
    UnknownHeader {
        /// The header's line.
        line: u64,
        /// The header as read.
        header: String,
    },
    /// A header that names more than one accepted pair, so the meaning of
    /// the edges is ambiguous.
    #[error("line {line}: header {header:?} names more than one pair of columns; expected one of {ACCEPTED}")]
    AmbiguousHeader {
        /// The header's line.
        line: u64,
        /// The header as read.
        header: String,
    },
    /// A header that names a column twice (after trimming).
    #[error("line {line}: duplicate column {column:?}; expected {ACCEPTED}")]
    DuplicateColumn {
        /// The header's line.
        line: u64,
        /// The column's name, trimmed.
        column: String,
    },
    /// A weight cell that is not a finite number `>= 0`.
    #[error("line {line}: weight {value:?} is not a finite number >= 0")]
    Weight {
        /// The line.
        line: u64,
        /// The cell as written.
        value: String,
    },
    /// A record with a different number of cells from the header (one
    /// fewer is allowed when the header's last column is `weight`).
    #[error("line {line}: expected {expected} columns as in the header, found {found}")]
    Columns {
        /// The line.
        line: u64,
        /// How many cells it had.
        found: usize,
        /// How many the header has.
        expected: usize,
    },
    /// An id that is not valid UTF-8.
    #[error("line {line}: id is not valid UTF-8")]
    Utf8 {
        /// The line.
        line: u64,
    },
    /// The input could not be read.
    #[error("cannot read input: {source}")]
    Io {
        /// The operating system's error.
        source: crate::error::IoError,
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

/// What an edge list's header says its edges mean.
///
/// | header | edges stored | kind | rank flows ([`rank_flow`](Self::rank_flow)) | reach walks ([`reach_direction`](Self::reach_direction)) |
/// |---|---|---|---|---|
/// | `follower,followed` or `follower_id,followed_id` | followed → follower | [`EdgeKind::Follows`] | follower → followed (endorsement: the followed rank high) | followed → follower (word travels to the followers) |
/// | `source,target` | source → target | [`EdgeKind::Other(0)`](EdgeKind::Other) | source → target | source → target |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EdgeListHeader {
    /// `follower,followed` or `follower_id,followed_id`: a follow graph.
    Follows,
    /// `source,target`: generic directed edges, taken as they are.
    SourceTarget,
}

impl EdgeListHeader {
    /// The kind the edges are stored with.
    pub const fn edge_kind(self) -> EdgeKind {
        match self {
            EdgeListHeader::Follows => EdgeKind::Follows,
            EdgeListHeader::SourceTarget => EdgeKind::Other(0),
        }
    }

    /// The [`PageRankOptions::flow`](super::PageRankOptions::flow) that ranks
    /// these edges as the header means them: against the stored edges for a
    /// follow graph (the follower endorses the followed), along them for
    /// `source,target`.
    pub const fn rank_flow(self) -> Direction {
        match self {
            EdgeListHeader::Follows => Direction::Incoming,
            EdgeListHeader::SourceTarget => Direction::Outgoing,
        }
    }

    /// The direction [`ReachCounter`](super::ReachCounter) walks to follow word of mouth:
    /// along the stored edges for both headers (from the followed to the
    /// follower; from source to target).
    pub const fn reach_direction(self) -> Direction {
        Direction::Outgoing
    }
}

/// A graph read by [`read_edge_list`], with what its header said.
#[derive(Debug, Clone)]
pub struct EdgeList {
    /// The graph, its nodes keyed by the ids as written.
    pub network: Network<String>,
    /// The header's form, which says which way rank and reach flow.
    pub header: EdgeListHeader,
}

/// Reads a directed, weighted graph from a CSV edge list whose header names
/// its columns.
///
/// - The header names the columns: exact names after trimming spaces,
///   case-sensitive, a leading UTF-8 byte-order mark ignored. It must hold
///   exactly one of the pairs `follower,followed`, `follower_id,followed_id`
///   (a follow graph) or `source,target` (directed edges), in any order; a
///   `weight` column is optional; other columns are ignored. See
///   [`EdgeListHeader`] for how each is stored and which way rank and reach
///   flow.
/// - Each record has the header's number of cells, or one fewer when the
///   header ends with `weight` (the weight is then missing).
/// - Ids are any strings, kept byte for byte (no trimming); a node is added
///   the first time its id appears, reading each record's two id cells in
///   the file's column order, so node indices follow first appearance.
/// - An empty or missing weight cell means 1; a zero weight is allowed; a
///   weight is parsed after trimming spaces, and a negative, non-finite or
///   unparseable one is an [`EdgeListError::Weight`] naming its line.
/// - A repeated edge keeps the last weight; self-loops are kept.
/// - A header with no records is an empty graph; no header at all is
///   [`EdgeListError::NoHeader`].
///
/// # Errors
///
/// [`EdgeListError`]: no header, a header with no accepted pair, two pairs
/// or a duplicated name (each naming the accepted forms), a bad weight, a
/// wrong number of cells, an id that is not UTF-8, or input that is not
/// CSV; each names the line.
///
/// # Complexity
///
/// O(bytes + V + E log d) for the largest out-degree d; the input is held
/// in memory while it is read.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{
///     pagerank, read_edge_list, reach_counts, EdgeKind, EdgeListHeader, PageRankOptions,
/// };
///
/// // bo and cy follow ana; dee follows bo.
/// let csv = "follower_id,followed_id,weight\nbo,ana,2\ncy,ana,\ndee,bo,0.5\n";
/// let edges = read_edge_list(csv.as_bytes())?;
/// assert_eq!(edges.header, EdgeListHeader::Follows);
/// let network = &edges.network;
/// let (ana, bo) = (network.node("ana").unwrap(), network.node("bo").unwrap());
/// // Stored the way word travels: from the followed to the follower.
/// assert_eq!(network.graph().edge_weight(ana, bo, EdgeKind::Follows), Some(2.0));
///
/// let options = PageRankOptions { flow: edges.header.rank_flow(), ..PageRankOptions::default() };
/// assert_eq!(pagerank(network.graph(), &options)?.top(1)[0].0, ana);
/// let reach = reach_counts(network.graph(), 2, edges.header.reach_direction());
/// assert_eq!(reach[ana.index()], 3); // bo, cy and bo's follower dee
///
/// let err = read_edge_list("source,target,weight\nana,bo,-1\n".as_bytes()).unwrap_err();
/// assert_eq!(err.to_string(), r#"line 2: weight "-1" is not a finite number >= 0"#);
/// assert!(read_edge_list("s,t\nana,bo\n".as_bytes()).unwrap_err().to_string().contains("follower_id,followed_id"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_edge_list<R: Read>(mut input: R) -> Result<EdgeList, EdgeListError> {
    // The whole input is kept so that an error can name its physical line:
    // the csv reader's own line numbers count skipped blank lines into the
    // following record.
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|e| EdgeListError::Io { source: e.into() })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
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
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let read_error = |e: &csv::Error| EdgeListError::Read { line: line_at(e.position()), message: e.to_string() };
    let header = reader.byte_headers().map_err(|e| read_error(&e))?.clone();
    let columns = Columns::of(&header, line_at(header.position()))?;

    let mut builder = NetworkBuilder::new().allow_self_loops(true);
    let mut nodes = Nodes::default();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(read_error(&e)),
        }
        let line = || line_at(record.position());
        let weight_missing = columns.weight == Some(header.len() - 1) && record.len() + 1 == header.len();
        if record.len() != header.len() && !weight_missing {
            return Err(EdgeListError::Columns { line: line(), found: record.len(), expected: header.len() });
        }
        let weight = match columns.weight.and_then(|i| record.get(i)) {
            None => 1.0,
            Some(cell) => parse_weight(cell).ok_or_else(|| EdgeListError::Weight {
                line: line(),
                value: String::from_utf8_lossy(cell).into_owned(),
            })?,
        };
        let id = |i: usize| std::str::from_utf8(&record[i]).map_err(|_| EdgeListError::Utf8 { line: line() });
        let (from, to) = (id(columns.from)?, id(columns.to)?);
        // Nodes are numbered in the file's column order, whichever way the
        // edge points.
        let (from, to) = if columns.from < columns.to {
            (nodes.of(&mut builder, from), nodes.of(&mut builder, to))
        } else {
            let to = nodes.of(&mut builder, to);
            (nodes.of(&mut builder, from), to)
        };
        builder.add_edge_between(from, to, columns.header.edge_kind(), weight)?;
    }
    Ok(EdgeList { network: builder.build()?, header: columns.header })
}

/// The node of each id read so far, found without a string allocation or a
/// second cache miss per id (see [`KeyTable`]); the builder sees each id
/// once, when it is new.
#[derive(Default)]
struct Nodes {
    table: KeyTable,
    nodes: Vec<NodeIndex>,
}

impl Nodes {
    /// The node of `id`, added to `builder` when new.
    fn of(&mut self, builder: &mut NetworkBuilder<String>, id: &str) -> NodeIndex {
        let slot = self.table.insert(id, self.table.prepare(id)) as usize;
        if slot == self.nodes.len() {
            self.nodes.push(builder.add_node(id.to_owned()));
        }
        self.nodes[slot]
    }
}

/// Where a header puts the columns the reader uses.
struct Columns {
    header: EdgeListHeader,
    /// The column of each edge's stored source (the followed for a follow
    /// graph) and target (the follower).
    from: usize,
    to: usize,
    weight: Option<usize>,
}

impl Columns {
    fn of(header: &csv::ByteRecord, line: u64) -> Result<Self, EdgeListError> {
        let names: Vec<String> = header.iter().map(|cell| String::from_utf8_lossy(cell).trim().to_owned()).collect();
        if names.is_empty() {
            return Err(EdgeListError::NoHeader);
        }
        if let Some(column) = crate::util::first_duplicate(names.iter().map(String::as_str)) {
            return Err(EdgeListError::DuplicateColumn { line, column: column.to_owned() });
        }
        let find = |name: &str| names.iter().position(|n| n == name);
        let pair = |a: &str, b: &str| find(a).zip(find(b));
        // (stored source, stored target): a follow is stored followed → follower.
        let pairs = [
            (EdgeListHeader::Follows, pair("followed", "follower")),
            (EdgeListHeader::Follows, pair("followed_id", "follower_id")),
            (EdgeListHeader::SourceTarget, pair("source", "target")),
        ];
        let mut found = pairs.into_iter().filter_map(|(header, pair)| pair.map(|p| (header, p)));
        let Some((kind, (from, to))) = found.next() else {
            return Err(EdgeListError::UnknownHeader { line, header: names.join(",") });
        };
        if found.next().is_some() {
            return Err(EdgeListError::AmbiguousHeader { line, header: names.join(",") });
        }
        Ok(Columns { header: kind, from, to, weight: find("weight") })
    }
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

    fn read(text: &str) -> Result<EdgeList, EdgeListError> {
        read_edge_list(text.as_bytes())
    }

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
        let err = |text: &str| read(text).unwrap_err();
        let columns = |line, found, expected| EdgeListError::Columns { line, found, expected };
        assert_eq!(err("source,target\na,b\n\nc,d,NaN\n"), columns(4, 3, 2));
        assert_eq!(
            err("source,target,weight\na,b\n\nc,d,NaN\n"),
            EdgeListError::Weight { line: 4, value: "NaN".into() }
        );
        let zz = "source,target,weight\r\na,b\r\nc,d,zz\r\n";
        assert_eq!(err(zz), EdgeListError::Weight { line: 3, value: "zz".into() });
        assert_eq!(err("source,target\na\n"), columns(2, 1, 2));
        assert_eq!(err("source,target,weight\na\n"), columns(2, 1, 3));
        assert_eq!(err("source,target,weight\na,b,1,2\n"), columns(2, 4, 3));
        assert_eq!(err("weight,source,target\na,b\n"), columns(2, 2, 3));
        assert_eq!(err("source,target,weight\n\n\r\n\na,b,1,2"), columns(5, 4, 3));
        assert_eq!(err("source,target,weight\ra,b\rc,d,?\r"), EdgeListError::Weight { line: 3, value: "?".into() });
        // A quoted cell spanning lines: the next record starts on line 4.
        let quoted = "source,target,weight\n\"a\nb\",c\nd,e,-2\n";
        assert_eq!(err(quoted), EdgeListError::Weight { line: 4, value: "-2".into() });
        assert_eq!(read_edge_list(&b"source,target\n\xff,b\n"[..]).unwrap_err(), EdgeListError::Utf8 { line: 2 });
        // A byte-order mark moves no line.
        let bom = "\u{feff}follower,followed,weight\na,b\nc,d,x\n";
        assert_eq!(err(bom), EdgeListError::Weight { line: 3, value: "x".into() });
    }

    #[test]
    fn the_header_names_the_columns() {
        let err = |text: &str| read(text).unwrap_err();
        for header in ["s,t", "source", "follower,target", "Source,Target", "follower,followed_id", "id,weight"] {
            let text = format!("{header}\na,b\n");
            assert!(matches!(err(&text), EdgeListError::UnknownHeader { line: 1, .. }), "{header}");
        }
        for header in ["follower,followed,source,target", "follower_id,followed_id,followed,follower"] {
            assert!(matches!(err(&format!("{header}\n")), EdgeListError::AmbiguousHeader { line: 1, .. }), "{header}");
        }
        assert_eq!(err("source,target, source\n"), EdgeListError::DuplicateColumn { line: 1, column: "source".into() });
        assert_eq!(
            err("weight,source,target,weight\n"),
            EdgeListError::DuplicateColumn { line: 1, column: "weight".into() }
        );
        for empty in ["", "\n", "\n\r\n\n", "\u{feff}", "\u{feff}\n"] {
            assert_eq!(err(empty), EdgeListError::NoHeader, "{empty:?}");
        }
        let message = err("s,t\n").to_string();
        assert!(
            message.starts_with(r#"line 1: header "s,t" names no accepted pair"#)
                && message.contains("follower,followed")
                && message.contains("follower_id,followed_id")
                && message.contains("source,target"),
            "{message}"
        );
        // The header is found after blank lines, and names it its line.
        assert!(matches!(err("\n\nx,y\n"), EdgeListError::UnknownHeader { line: 3, .. }));

        // Trimmed, a byte-order mark ignored, extra columns ignored, in any order.
        let edges = read("\u{feff} note , followed_id ,weight,follower_id\nx,ana,2,bo\ny,ana,,cy\n").unwrap();
        assert_eq!(edges.header, EdgeListHeader::Follows);
        let network = &edges.network;
        assert_eq!(network.keys(), ["ana", "bo", "cy"]);
        let [ana, bo, cy] = ["ana", "bo", "cy"].map(|k| network.node(k).unwrap());
        assert_eq!(network.graph().edge_weight(ana, bo, EdgeKind::Follows), Some(2.0));
        assert_eq!(network.graph().edge_weight(ana, cy, EdgeKind::Follows), Some(1.0));
        assert_eq!(network.graph().edge_count(), 2);
        // A header without rows is an empty graph.
        for header in ["source,target", "follower,followed,weight", "\u{feff}follower_id,followed_id\n\n"] {
            let edges = read(header).unwrap();
            assert_eq!(edges.network.graph().node_count(), 0, "{header}");
        }
    }

    #[test]
    fn follows_are_stored_the_way_word_travels() {
        // Nodes are numbered in column order: here the follower comes first.
        let edges = read("follower,followed\nbo,ana\nana,bo\ncy,cy\n").unwrap();
        let network = &edges.network;
        assert_eq!(network.keys(), ["bo", "ana", "cy"]);
        let all: Vec<_> = network.graph().edges().map(|e| (e.source.index(), e.target.index(), e.kind)).collect();
        assert_eq!(all, [(0, 1, EdgeKind::Follows), (1, 0, EdgeKind::Follows), (2, 2, EdgeKind::Follows)]);
        assert_eq!(edges.header.rank_flow(), Direction::Incoming);
        assert_eq!(edges.header.reach_direction(), Direction::Outgoing);

        let edges = read("target,source\nbo,ana\n").unwrap();
        assert_eq!(edges.network.keys(), ["bo", "ana"]);
        let e = edges.network.graph().edges().next().unwrap();
        assert_eq!((e.source.index(), e.target.index(), e.kind), (1, 0, EdgeKind::Other(0)));
        assert_eq!(edges.header.rank_flow(), Direction::Outgoing);
    }

    #[test]
    fn ids_are_kept_byte_for_byte() {
        let edges = read("source,target,weight\n a ,b\n a ,A\nA,A,0\nA, a ,3\nA, a \n").unwrap();
        let network = &edges.network;
        assert_eq!(network.keys(), [" a ", "b", "A"]);
        let [a, big] = [" a ", "A"].map(|k| network.node(k).unwrap());
        // A repeated edge keeps the last weight.
        assert_eq!(network.graph().edge_weight(big, a, EdgeKind::Other(0)), Some(1.0));
        assert_eq!(network.graph().edge_weight(big, big, EdgeKind::Other(0)), Some(0.0));
    }
}
