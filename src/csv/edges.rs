//! Reading a graph from a CSV edge list (feature `csv`): the header says
//! what the edges mean, and so which way rank and reach flow.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{slurp, slurp_path};
use crate::CsvError;
use crate::error::FieldProblem;
use crate::keys::KeyTable;
use crate::relationship::{Direction, EdgeKind, Network, NetworkBuilder, NodeIndex};

/// The headers [`EdgeListCsv`] accepts, for the error messages.
const ACCEPTED: &str = "follower,followed or follower_id,followed_id (a follow graph) or source,target (directed \
                        edges), in any order, with an optional weight and any other columns";

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

    /// The [`PageRankOptions::flow`](crate::relationship::PageRankOptions::flow) that ranks
    /// these edges as the header means them: against the stored edges for a
    /// follow graph (the follower endorses the followed), along them for
    /// `source,target`.
    pub const fn rank_flow(self) -> Direction {
        match self {
            EdgeListHeader::Follows => Direction::Incoming,
            EdgeListHeader::SourceTarget => Direction::Outgoing,
        }
    }

    /// The direction [`ReachCounter`](crate::relationship::ReachCounter) walks to follow word of mouth:
    /// along the stored edges for both headers (from the followed to the
    /// follower; from source to target).
    pub const fn reach_direction(self) -> Direction {
        Direction::Outgoing
    }
}

/// A graph read by [`EdgeListCsv`], with what its header said.
#[derive(Debug, Clone)]
pub struct EdgeList {
    /// The graph, its nodes keyed by the ids as written.
    pub network: Network<String>,
    /// The header's form, which says which way rank and reach flow.
    pub header: EdgeListHeader,
}

/// Reads a directed, weighted graph from a CSV edge list whose header names
/// its columns, into an [`EdgeList`].
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
///   unparseable one is a [`CsvError::InvalidField`] naming its line.
/// - A repeated edge keeps the last weight; self-loops are kept.
/// - A header with no records is an empty graph; no header at all is
///   [`CsvError::NoHeader`].
///
/// # Example
///
/// ```
/// use customer_lifecycle::csv::{EdgeListCsv, EdgeListHeader};
/// use customer_lifecycle::relationship::{pagerank, reach_counts, EdgeKind, PageRankOptions};
///
/// // bo and cy follow ana; dee follows bo.
/// let csv = "follower_id,followed_id,weight\nbo,ana,2\ncy,ana,\ndee,bo,0.5\n";
/// let edges = EdgeListCsv::new().from_reader(csv.as_bytes())?;
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
/// let err = EdgeListCsv::new().from_reader("source,target,weight\nana,bo,-1\n".as_bytes()).unwrap_err();
/// assert_eq!(err.to_string(), r#"line 2, column "weight": invalid value "-1": expected a finite non-negative number"#);
/// let err = EdgeListCsv::new().from_reader("s,t\nana,bo\n".as_bytes()).unwrap_err();
/// assert!(err.to_string().contains("follower_id,followed_id"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeListCsv {
    _private: (),
}

impl EdgeListCsv {
    /// The reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the edge list.
    ///
    /// # Errors
    ///
    /// [`CsvError`]: no header, a header with no accepted pair, two pairs
    /// ([`CsvError::UnknownHeader`], [`CsvError::AmbiguousHeader`], each
    /// naming the accepted forms) or a duplicated name, a bad weight
    /// ([`FieldProblem::NotNonNegative`]), a wrong number of cells
    /// ([`CsvError::FieldCount`]), an id that is not UTF-8
    /// ([`FieldProblem::NotUtf8`]), or input that is not CSV; each names the
    /// line.
    ///
    /// # Complexity
    ///
    /// O(bytes + V + E log d) for the largest out-degree d; the input is
    /// held in memory while it is read.
    pub fn from_reader<R: Read>(&self, input: R) -> Result<EdgeList, CsvError> {
        read(&slurp(input)?)
    }

    /// Reads the file at `path`, as [`from_reader`](Self::from_reader).
    ///
    /// # Errors
    ///
    /// [`CsvError::Io`] when it cannot be read, otherwise as
    /// [`from_reader`](Self::from_reader); every error names the file.
    pub fn from_path(&self, path: impl AsRef<Path>) -> Result<EdgeList, CsvError> {
        let path = path.as_ref();
        read(&slurp_path(path)?).map_err(|e| e.in_file(path))
    }
}

fn read(bytes: &[u8]) -> Result<EdgeList, CsvError> {
    // The whole input is kept so that an error can name its physical line:
    // the csv reader's own line numbers count skipped blank lines into the
    // following record.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match read_plain(bytes, crate::util::threads()) {
        Some(edges) => Ok(edges),
        None => read_general(bytes),
    }
}

/// Every record through the `csv` crate: the reference behaviour, and the
/// path that names the first bad line.
fn read_general(bytes: &[u8]) -> Result<EdgeList, CsvError> {
    let line_at = |position: Option<&::csv::Position>| {
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
    let mut reader = ::csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    // The bytes are in memory: the csv reader's only errors are malformed
    // input.
    let read_error =
        |e: &::csv::Error| CsvError::Malformed { file: None, line: line_at(e.position()), message: e.to_string() };
    let header = reader.byte_headers().map_err(|e| read_error(&e))?.clone();
    let columns = Columns::of(&header, line_at(header.position()))?;

    let mut builder = NetworkBuilder::new().allow_self_loops(true);
    let mut nodes = Nodes::default();
    let mut record = ::csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(read_error(&e)),
        }
        let line = || line_at(record.position());
        let weight_missing = columns.weight == Some(header.len() - 1) && record.len() + 1 == header.len();
        if record.len() != header.len() && !weight_missing {
            return Err(CsvError::FieldCount { file: None, line: line(), found: record.len(), expected: header.len() });
        }
        let weight = match columns.weight.and_then(|i| record.get(i)) {
            None => 1.0,
            Some(cell) => parse_weight(cell).ok_or_else(|| CsvError::InvalidField {
                file: None,
                line: line(),
                column: "weight".into(),
                value: String::from_utf8_lossy(cell).into_owned(),
                problem: FieldProblem::NotNonNegative,
            })?,
        };
        let id = |i: usize| {
            std::str::from_utf8(&record[i]).map_err(|_| CsvError::InvalidField {
                file: None,
                line: line(),
                column: columns.names[i].clone(),
                value: String::from_utf8_lossy(&record[i]).into_owned(),
                problem: FieldProblem::NotUtf8,
            })
        };
        let (from, to) = (id(columns.from)?, id(columns.to)?);
        // Nodes are numbered in the file's column order, whichever way the
        // edge points.
        let (from, to) = if columns.from < columns.to {
            (nodes.of(&mut builder, from), nodes.of(&mut builder, to))
        } else {
            let to = nodes.of(&mut builder, to);
            (nodes.of(&mut builder, from), to)
        };
        builder.add_edge_between(from, to, columns.header.edge_kind(), weight).map_err(|source| CsvError::Graph {
            file: None,
            line: line(),
            source,
        })?;
    }
    let network = builder.build().map_err(|source| CsvError::Graph { file: None, line: 0, source })?;
    Ok(EdgeList { network, header: columns.header })
}

/// The graph of a plain edge list (no quotes, no carriage returns, no
/// blank lines, every record well formed) parsed in `pieces` pieces at
/// once, or `None` when it is not plain: the general reader then decides,
/// and names the first bad line. Both give the same graph, nodes numbered
/// in the same order.
fn read_plain(bytes: &[u8], pieces: usize) -> Option<EdgeList> {
    let header_end = memchr::memchr(b'\n', bytes)?;
    if header_end == 0 || memchr::memchr2(b'"', b'\r', &bytes[..header_end]).is_some() {
        return None;
    }
    let header =
        ::csv::ReaderBuilder::new().has_headers(true).from_reader(&bytes[..=header_end]).byte_headers().ok()?.clone();
    let columns = Columns::of(&header, 1).ok()?;
    let shape = Shape { cells: header.len(), columns: &columns };
    let body = &bytes[header_end + 1..];
    let ranges = crate::util::line_pieces(body, pieces, PLAIN_PIECE);
    let parsed = crate::util::par_map(&ranges, |&(from, to)| shape.piece(&body[from..to]));
    let parsed = parsed.into_iter().collect::<Option<Vec<EdgePiece>>>()?;
    // Every id numbered by its first appearance in the whole file.
    let (tables, pieces): (Vec<KeyTable<Vec<&str>>>, Vec<Vec<Slots>>) =
        parsed.into_iter().map(|p| (p.table, p.edges)).unzip();
    let (keys, remaps) = KeyTable::join(&tables);
    let mut builder = NetworkBuilder::with_keys(keys).allow_self_loops(true);
    let node = |slot: u32| NodeIndex::new(slot as usize);
    let kind = columns.header.edge_kind();
    let mut pieces = pieces.into_iter();
    for &(from, to, weight) in &pieces.next().expect("one piece at least") {
        builder.add_edge_between(node(from), node(to), kind, weight).ok()?;
    }
    for (remap, piece) in remaps.iter().zip(pieces) {
        for &(from, to, weight) in &piece {
            builder.add_edge_between(node(remap[from as usize]), node(remap[to as usize]), kind, weight).ok()?;
        }
    }
    Some(EdgeList { network: builder.build().ok()?, header: columns.header })
}

/// The least body, in bytes, worth a piece of its own (tiny in the unit
/// tests, so that short inputs are cut too).
const PLAIN_PIECE: usize = if cfg!(test) { 16 } else { 1 << 18 };

/// An edge as the slots of its source and target in a piece, and weight.
type Slots = (u32, u32, f64);

/// One piece of a plain edge list, parsed: its ids numbered by first
/// appearance in the piece, and its edges.
struct EdgePiece<'a> {
    table: KeyTable<Vec<&'a str>>,
    edges: Vec<Slots>,
}

/// What a record of a plain edge list looks like.
struct Shape<'a> {
    /// Cells in the header.
    cells: usize,
    columns: &'a Columns,
}

impl Shape<'_> {
    /// Records per batch of ids numbered together.
    const BATCH: usize = 64;

    /// The piece `text` of whole lines, or `None` for anything the general
    /// reader must see (invalid UTF-8, a quote, a carriage return, a blank
    /// line, a wrong number of cells or a bad weight).
    fn piece<'a>(&self, piece: &'a [u8]) -> Option<EdgePiece<'a>> {
        let text = super::plain_text(piece)?;
        let Columns { from, to, weight, .. } = *self.columns;
        let weight_last = weight == Some(self.cells - 1);
        let mut table: KeyTable<Vec<&str>> = KeyTable::default();
        let mut edges = Vec::with_capacity(piece.len() / 16);
        let (mut ids, mut weights, mut prepared, mut slots) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut add = |ids: &mut Vec<&'a str>, weights: &mut Vec<f64>, table: &mut KeyTable<Vec<&'a str>>| {
            slots.clear();
            table.insert_all(ids, &mut prepared, &mut slots);
            let pairs = slots.chunks_exact(2).map(|s| if from < to { (s[0], s[1]) } else { (s[1], s[0]) });
            edges.extend(pairs.zip(weights.iter()).map(|((a, b), &w)| (a, b, w)));
            ids.clear();
            weights.clear();
        };
        super::plain_records(text, |cells| {
            // A last weight left out weighs 1.
            if cells.len() != self.cells && !(weight_last && cells.len() + 1 == self.cells) {
                return None;
            }
            // Ids in the file's column order, which numbers them.
            ids.extend(if from < to { [cells[from], cells[to]] } else { [cells[to], cells[from]] });
            weights.push(weight.and_then(|w| cells.get(w)).map_or(Some(1.0), |cell| parse_weight(cell.as_bytes()))?);
            if weights.len() == Self::BATCH {
                add(&mut ids, &mut weights, &mut table);
            }
            Some(())
        })?;
        add(&mut ids, &mut weights, &mut table);
        Some(EdgePiece { table, edges })
    }
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
    /// Every column's name, trimmed.
    names: Vec<String>,
}

impl Columns {
    fn of(header: &::csv::ByteRecord, line: u64) -> Result<Self, CsvError> {
        let names: Vec<String> = header.iter().map(|cell| String::from_utf8_lossy(cell).trim().to_owned()).collect();
        if names.is_empty() {
            return Err(CsvError::NoHeader { file: None, expected: ACCEPTED });
        }
        if let Some(column) = crate::util::first_duplicate(names.iter().map(String::as_str)) {
            return Err(CsvError::DuplicateColumn { file: None, line, column: column.to_owned() });
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
            return Err(CsvError::UnknownHeader { file: None, line, header: names.join(","), expected: ACCEPTED });
        };
        if found.next().is_some() {
            return Err(CsvError::AmbiguousHeader { file: None, line, header: names.join(","), expected: ACCEPTED });
        }
        let weight = find("weight");
        Ok(Columns { header: kind, from, to, weight, names })
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

    fn read(text: &str) -> Result<EdgeList, CsvError> {
        EdgeListCsv::new().from_reader(text.as_bytes())
    }

    fn weight(line: u64, value: &str) -> CsvError {
        CsvError::InvalidField {
            file: None,
            line,
            column: "weight".into(),
            value: value.into(),
            problem: FieldProblem::NotNonNegative,
        }
    }

    type Parts = (Vec<String>, Vec<(usize, usize, EdgeKind, u64)>);

    /// Nodes, their order and every edge with its kind and weight.
    fn parts(edges: &EdgeList) -> Parts {
        let graph = edges.network.graph();
        let all = graph.edges().map(|e| (e.source.index(), e.target.index(), e.kind, e.weight.to_bits())).collect();
        (edges.network.keys().to_vec(), all)
    }

    proptest::proptest! {
        /// The plain path, cut into any number of pieces, reads what the
        /// general reader reads, and leaves to it whatever it cannot read.
        #[test]
        fn plain_pieces_read_as_the_general_reader(
            header in proptest::sample::select(vec!["source,target,weight", "weight,followed,follower", "follower_id,x,followed_id", "target,weight,source"]),
            mut lines in proptest::collection::vec("[ab]{0,2},[abc ]{0,2}(,(|1|2.5| 3))?", 0..40),
            bad in proptest::option::of((0usize..40, proptest::sample::select(vec!["\"a\",b,1", "a,b,1\r", "", "a,b,-1", "a,b,x", "a", "a,b,1,2", "\u{e9},b,1"]))),
            pieces in 1usize..5,
        ) {
            if let Some((at, line)) = bad {
                lines.insert(at.min(lines.len()), line.to_owned());
            }
            let text = format!("{header}\n{}", lines.join("\n"));
            let general = read_general(text.as_bytes());
            if let Some(plain) = read_plain(text.as_bytes(), pieces) {
                let general = general.expect("the general reader accepts what the plain path reads");
                proptest::prop_assert_eq!(plain.header, general.header);
                proptest::prop_assert_eq!(parts(&plain), parts(&general));
            }
            let read = super::read(text.as_bytes());
            proptest::prop_assert_eq!(read.as_ref().map(parts).map_err(Clone::clone), read_general(text.as_bytes()).as_ref().map(parts).map_err(Clone::clone));
        }
    }

    #[test]
    fn plain_files_take_the_plain_path() {
        let text = "source,target,weight\nb,a,2\na,c\nc,c,0\nb,a,3\n";
        for pieces in 1..5 {
            let plain = read_plain(text.as_bytes(), pieces).expect("plain");
            assert_eq!(parts(&plain), parts(&read_general(text.as_bytes()).unwrap()));
        }
        for not_plain in
            ["source,target\n\"a\",b\n", "source,target\r\na,b\r\n", "source,target\na,b\n\nc,d\n", "s,t\na,b\n"]
        {
            assert!(read_plain(not_plain.as_bytes(), 2).is_none(), "{not_plain:?}");
        }
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
        let columns = |line, found, expected| CsvError::FieldCount { file: None, line, found, expected };
        assert_eq!(err("source,target\na,b\n\nc,d,NaN\n"), columns(4, 3, 2));
        assert_eq!(err("source,target,weight\na,b\n\nc,d,NaN\n"), weight(4, "NaN"));
        let zz = "source,target,weight\r\na,b\r\nc,d,zz\r\n";
        assert_eq!(err(zz), weight(3, "zz"));
        assert_eq!(err("source,target\na\n"), columns(2, 1, 2));
        assert_eq!(err("source,target,weight\na\n"), columns(2, 1, 3));
        assert_eq!(err("source,target,weight\na,b,1,2\n"), columns(2, 4, 3));
        assert_eq!(err("weight,source,target\na,b\n"), columns(2, 2, 3));
        assert_eq!(err("source,target,weight\n\n\r\n\na,b,1,2"), columns(5, 4, 3));
        assert_eq!(err("source,target,weight\ra,b\rc,d,?\r"), weight(3, "?"));
        // A quoted cell spanning lines: the next record starts on line 4.
        let quoted = "source,target,weight\n\"a\nb\",c\nd,e,-2\n";
        assert_eq!(err(quoted), weight(4, "-2"));
        let utf8 = EdgeListCsv::new().from_reader(&b"source,target\n\xff,b\n"[..]).unwrap_err();
        assert!(matches!(utf8, CsvError::InvalidField { line: 2, problem: FieldProblem::NotUtf8, .. }), "{utf8:?}");
        // A byte-order mark moves no line.
        let bom = "\u{feff}follower,followed,weight\na,b\nc,d,x\n";
        assert_eq!(err(bom), weight(3, "x"));
    }

    #[test]
    fn the_header_names_the_columns() {
        let err = |text: &str| read(text).unwrap_err();
        for header in ["s,t", "source", "follower,target", "Source,Target", "follower,followed_id", "id,weight"] {
            let text = format!("{header}\na,b\n");
            assert!(matches!(err(&text), CsvError::UnknownHeader { line: 1, .. }), "{header}");
        }
        for header in ["follower,followed,source,target", "follower_id,followed_id,followed,follower"] {
            assert!(matches!(err(&format!("{header}\n")), CsvError::AmbiguousHeader { line: 1, .. }), "{header}");
        }
        assert_eq!(
            err("source,target, source\n"),
            CsvError::DuplicateColumn { file: None, line: 1, column: "source".into() }
        );
        assert_eq!(
            err("weight,source,target,weight\n"),
            CsvError::DuplicateColumn { file: None, line: 1, column: "weight".into() }
        );
        for empty in ["", "\n", "\n\r\n\n", "\u{feff}", "\u{feff}\n"] {
            assert_eq!(err(empty), CsvError::NoHeader { file: None, expected: ACCEPTED }, "{empty:?}");
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
        assert!(matches!(err("\n\nx,y\n"), CsvError::UnknownHeader { line: 3, .. }));

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
