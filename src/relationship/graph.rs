//! The graph itself: a directed, weighted, typed graph in compressed sparse
//! row (CSR) form, indexed both ways, and the [`GraphBuilder`] that validates
//! and assembles it.

use serde::{Deserialize, Serialize};

/// A node of a [`Graph`]: a dense index in `0..graph.node_count()`.
///
/// Indices are `u32`, so a graph holds fewer than 2³² nodes and edges; that
/// keeps the edge arrays at four bytes per endpoint.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::NodeIndex;
///
/// let node = NodeIndex::new(7);
/// assert_eq!(node.index(), 7);
/// assert_eq!(node.to_string(), "n7");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeIndex(u32);

impl NodeIndex {
    /// The node at position `index`.
    ///
    /// # Panics
    ///
    /// When `index` does not fit in a `u32`.
    pub fn new(index: usize) -> Self {
        NodeIndex(u32::try_from(index).expect("node index fits in u32"))
    }

    /// The position of the node, for indexing per-node vectors.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::fmt::Display for NodeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// The kind of a relationship, with the direction in which its edges are
/// stored.
///
/// An edge `source → target` always means *word travels from source to
/// target*: the direction of influence. Reach and diffusion follow it;
/// influence rank (PageRank as endorsement) flows the other way, with
/// [`Direction::Incoming`].
///
/// | kind | stored as | so word travels | and endorsement goes |
/// |---|---|---|---|
/// | [`Follows`](EdgeKind::Follows) | followed → follower | from the followed to the follower | from the follower to the followed |
/// | [`ReferredBy`](EdgeKind::ReferredBy) | referrer → referred | from the referrer to the referred | from the referred to the referrer |
/// | [`Friend`](EdgeKind::Friend) | one edge each way | both ways | both ways |
/// | [`Other`](EdgeKind::Other) | as the caller adds it | source → target | target → source |
///
/// Serialises as `"follows"`, `"referred_by"`, `"friend"` or `{"other": n}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EdgeKind {
    /// A mutual friendship; [`GraphBuilder::add_friends`] adds both edges.
    Friend,
    /// The target follows the source.
    Follows,
    /// The target was referred by the source.
    ReferredBy,
    /// A caller-defined kind, numbered by the caller.
    Other(u16),
}

impl EdgeKind {
    const fn code(self) -> u16 {
        match self {
            EdgeKind::Friend => 0,
            EdgeKind::Follows => 1,
            EdgeKind::ReferredBy => 2,
            // Codes above 2 are `Other`; `Other(u16::MAX - 2..)` would not fit,
            // so the builder rejects it (see `GraphError::KindOutOfRange`).
            EdgeKind::Other(n) => n.wrapping_add(3),
        }
    }

    const fn from_code(code: u16) -> Self {
        match code {
            0 => EdgeKind::Friend,
            1 => EdgeKind::Follows,
            2 => EdgeKind::ReferredBy,
            n => EdgeKind::Other(n - 3),
        }
    }

    /// The largest number an [`Other`](EdgeKind::Other) kind may carry.
    pub const MAX_OTHER: u16 = u16::MAX - 3;
}

/// Which way an algorithm walks the edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From source to target, as the edges are stored: the direction of
    /// influence.
    #[default]
    Outgoing,
    /// From target to source: the direction of endorsement.
    Incoming,
}

/// What [`GraphBuilder::build`] does with several edges of the same kind
/// between the same two nodes in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Duplicates {
    /// Keep one edge with the weight added last (the default: a later
    /// observation replaces an earlier one).
    #[default]
    KeepLast,
    /// Keep one edge whose weight is the sum of the duplicates' weights.
    Sum,
    /// Refuse: [`GraphError::DuplicateEdge`].
    Reject,
}

/// The error for a bad edge or graph.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// An edge named a node outside the graph.
    #[error("edge names node {node}, but the graph has {node_count} nodes")]
    UnknownNode {
        /// The node named.
        node: NodeIndex,
        /// How many nodes the graph has.
        node_count: usize,
    },
    /// An edge from a node to itself, and the builder does not allow them.
    #[error("self-loop at node {node} is not allowed")]
    SelfLoop {
        /// The node.
        node: NodeIndex,
    },
    /// A weight that is negative, infinite or NaN.
    #[error("edge {from} -> {to} has weight {weight}, expected a finite number >= 0")]
    InvalidWeight {
        /// The edge's source.
        from: NodeIndex,
        /// The edge's target.
        to: NodeIndex,
        /// The weight given.
        weight: f64,
    },
    /// An [`EdgeKind::Other`] number above [`EdgeKind::MAX_OTHER`].
    #[error("edge kind other({kind}) is above the largest allowed, {max}")]
    KindOutOfRange {
        /// The number given.
        kind: u16,
        /// The largest allowed.
        max: u16,
    },
    /// The same edge twice under [`Duplicates::Reject`].
    #[error("duplicate {kind:?} edge {from} -> {to}")]
    DuplicateEdge {
        /// The edge's source.
        from: NodeIndex,
        /// The edge's target.
        to: NodeIndex,
        /// The edge's kind.
        kind: EdgeKind,
    },
    /// More nodes or edges than `u32` indices can address.
    #[error("{what} count {count} exceeds the limit of {limit}")]
    TooLarge {
        /// "node" or "edge".
        what: &'static str,
        /// The count asked for.
        count: usize,
        /// The largest count allowed.
        limit: usize,
    },
}

/// One edge, as [`Graph::edges`] and [`Graph::neighbors`] yield it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EdgeRef {
    /// The node it leaves (the direction of influence).
    pub source: NodeIndex,
    /// The node it enters.
    pub target: NodeIndex,
    /// Its kind.
    pub kind: EdgeKind,
    /// Its weight: finite and not negative.
    pub weight: f64,
}

/// A directed, weighted, typed graph in compressed sparse row form, with
/// both directions indexed.
///
/// Edges of one source are stored together, sorted by target and kind;
/// the reverse index lists each node's incoming edges sorted by source.
/// Storage is 22 bytes per edge plus 8 bytes per node (an outgoing
/// target, weight and kind code; an incoming source and the position of
/// that edge; two offsets per node): about 22.8 bytes per edge at 10 edges
/// per node. The graph is
/// immutable; build it with [`GraphBuilder`].
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{Direction, EdgeKind, GraphBuilder, NodeIndex};
///
/// let [ana, bo, cy] = [0, 1, 2].map(NodeIndex::new);
/// let mut builder = GraphBuilder::new(3);
/// builder.add_edge(ana, bo, EdgeKind::Follows, 1.0)?; // bo follows ana
/// builder.add_edge(ana, cy, EdgeKind::ReferredBy, 1.0)?; // ana referred cy
/// let graph = builder.build()?;
/// assert_eq!(graph.edge_count(), 2);
/// assert_eq!(graph.degree(ana, Direction::Outgoing), 2);
/// assert_eq!(graph.neighbors(cy, Direction::Incoming).next().unwrap().source, ana);
/// # Ok::<(), customer_lifecycle::relationship::GraphError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    out_offsets: Vec<u32>,
    out_targets: Vec<u32>,
    out_weights: Vec<f64>,
    out_kinds: Vec<u16>,
    in_offsets: Vec<u32>,
    in_sources: Vec<u32>,
    /// For each incoming entry, the position of the same edge in the
    /// outgoing arrays, where its weight and kind live.
    in_edges: Vec<u32>,
}

impl Graph {
    /// How many nodes.
    pub fn node_count(&self) -> usize {
        self.out_offsets.len().saturating_sub(1)
    }

    /// How many edges.
    pub fn edge_count(&self) -> usize {
        self.out_targets.len()
    }

    /// Every node, in index order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = NodeIndex> + use<> {
        (0..self.node_count() as u32).map(NodeIndex)
    }

    /// Whether `node` is in the graph.
    pub fn contains(&self, node: NodeIndex) -> bool {
        node.index() < self.node_count()
    }

    /// How many edges leave (`Outgoing`) or enter (`Incoming`) the node.
    ///
    /// # Panics
    ///
    /// When the node is not in the graph.
    pub fn degree(&self, node: NodeIndex, direction: Direction) -> usize {
        let offsets = self.offsets(direction);
        span(offsets, node.index()).len()
    }

    /// The edges leaving (`Outgoing`) or entering (`Incoming`) the node:
    /// outgoing ones sorted by target and kind, incoming ones by source.
    ///
    /// # Panics
    ///
    /// When the node is not in the graph.
    pub fn neighbors(&self, node: NodeIndex, direction: Direction) -> impl ExactSizeIterator<Item = EdgeRef> + '_ {
        let offsets = self.offsets(direction);
        span(offsets, node.index()).map(move |i| match direction {
            Direction::Outgoing => self.edge_at(node.0, i),
            Direction::Incoming => self.edge_at(self.in_sources[i], self.in_edges[i] as usize),
        })
    }

    /// Every edge, by source, then target, then kind.
    pub fn edges(&self) -> impl ExactSizeIterator<Item = EdgeRef> + '_ {
        let mut source = 0u32;
        (0..self.edge_count()).map(move |i| {
            while self.out_offsets[source as usize + 1] as usize <= i {
                source += 1;
            }
            self.edge_at(source, i)
        })
    }

    /// The weight of the edge `source → target` of `kind`, if there is one.
    ///
    /// # Complexity
    ///
    /// O(log d) for a source of out-degree d.
    pub fn edge_weight(&self, source: NodeIndex, target: NodeIndex, kind: EdgeKind) -> Option<f64> {
        if !self.contains(source) {
            return None;
        }
        let range = span(&self.out_offsets, source.index());
        let key = (target.0, kind.code());
        let (targets, kinds) = (&self.out_targets[range.clone()], &self.out_kinds[range.clone()]);
        let (mut lo, mut hi) = (0, targets.len());
        while lo < hi {
            let mid = usize::midpoint(lo, hi);
            match (targets[mid], kinds[mid]).cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.out_weights[range.start + mid]),
            }
        }
        None
    }

    /// The bytes of heap memory the graph holds (its capacity, not only its
    /// length).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.out_offsets.capacity() * size_of::<u32>()
            + self.in_offsets.capacity() * size_of::<u32>()
            + self.out_targets.capacity() * size_of::<u32>()
            + self.out_weights.capacity() * size_of::<f64>()
            + self.out_kinds.capacity() * size_of::<u16>()
            + self.in_sources.capacity() * size_of::<u32>()
            + self.in_edges.capacity() * size_of::<u32>()
    }

    fn edge_at(&self, source: u32, i: usize) -> EdgeRef {
        EdgeRef {
            source: NodeIndex(source),
            target: NodeIndex(self.out_targets[i]),
            kind: EdgeKind::from_code(self.out_kinds[i]),
            weight: self.out_weights[i],
        }
    }

    fn offsets(&self, direction: Direction) -> &[u32] {
        match direction {
            Direction::Outgoing => &self.out_offsets,
            Direction::Incoming => &self.in_offsets,
        }
    }

    /// The raw adjacency of one direction, for the algorithms: offsets and
    /// the neighbouring node of each entry.
    pub(crate) fn adjacency(&self, direction: Direction) -> (&[u32], &[u32]) {
        match direction {
            Direction::Outgoing => (&self.out_offsets, &self.out_targets),
            Direction::Incoming => (&self.in_offsets, &self.in_sources),
        }
    }

    /// The weight of each entry of [`adjacency`](Self::adjacency), in the
    /// same order (copied for `Incoming`).
    pub(crate) fn entry_weights(&self, direction: Direction) -> std::borrow::Cow<'_, [f64]> {
        match direction {
            Direction::Outgoing => std::borrow::Cow::Borrowed(&self.out_weights),
            Direction::Incoming => {
                std::borrow::Cow::Owned(self.in_edges.iter().map(|&e| self.out_weights[e as usize]).collect())
            }
        }
    }
}

/// The positions of node `u`'s entries in a CSR offset array.
pub(crate) fn span(offsets: &[u32], u: usize) -> std::ops::Range<usize> {
    offsets[u] as usize..offsets[u + 1] as usize
}

/// Collects edges, validates each as it is added, and assembles a [`Graph`].
///
/// Defaults: self-loops are refused ([`allow_self_loops`](Self::allow_self_loops)
/// turns them on), and duplicates (same source, target and kind) keep the
/// last weight ([`duplicates`](Self::duplicates) changes the rule).
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{Duplicates, EdgeKind, GraphBuilder, GraphError, NodeIndex};
///
/// let [a, b] = [0, 1].map(NodeIndex::new);
/// let mut builder = GraphBuilder::new(2);
/// builder.add_edge(a, b, EdgeKind::Follows, 0.5)?;
/// builder.add_edge(a, b, EdgeKind::Follows, 0.25)?;
/// assert!(matches!(builder.add_edge(a, a, EdgeKind::Follows, 1.0), Err(GraphError::SelfLoop { .. })));
/// assert!(builder.add_edge(a, b, EdgeKind::Follows, -1.0).is_err());
/// let graph = builder.build()?;
/// assert_eq!(graph.edge_weight(a, b, EdgeKind::Follows), Some(0.25));
/// # Ok::<(), GraphError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct GraphBuilder {
    node_count: usize,
    self_loops: bool,
    duplicates: Duplicates,
    sources: Vec<u32>,
    targets: Vec<u32>,
    kinds: Vec<u16>,
    weights: Vec<f64>,
}

impl GraphBuilder {
    /// A builder for a graph of `node_count` nodes and no edges yet.
    pub fn new(node_count: usize) -> Self {
        GraphBuilder { node_count, ..GraphBuilder::default() }
    }

    /// Whether edges from a node to itself are accepted (default `false`).
    #[must_use]
    pub fn allow_self_loops(mut self, allow: bool) -> Self {
        self.self_loops = allow;
        self
    }

    /// The rule for duplicate edges (default [`Duplicates::KeepLast`]).
    #[must_use]
    pub fn duplicates(mut self, rule: Duplicates) -> Self {
        self.duplicates = rule;
        self
    }

    /// Makes room for `edges` more edges.
    pub fn reserve(&mut self, edges: usize) {
        self.sources.reserve(edges);
        self.targets.reserve(edges);
        self.kinds.reserve(edges);
        self.weights.reserve(edges);
    }

    /// How many nodes the graph will have.
    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// Adds a node and returns its index.
    pub fn add_node(&mut self) -> NodeIndex {
        self.node_count += 1;
        NodeIndex::new(self.node_count - 1)
    }

    /// Adds the edge `source → target` (word travels from source to target).
    ///
    /// # Errors
    ///
    /// [`GraphError::UnknownNode`], [`GraphError::SelfLoop`] (unless
    /// allowed), [`GraphError::InvalidWeight`] for a negative or non-finite
    /// weight, [`GraphError::KindOutOfRange`]; the builder is unchanged.
    pub fn add_edge(
        &mut self,
        source: NodeIndex,
        target: NodeIndex,
        kind: EdgeKind,
        weight: f64,
    ) -> Result<(), GraphError> {
        for node in [source, target] {
            if node.index() >= self.node_count {
                return Err(GraphError::UnknownNode { node, node_count: self.node_count });
            }
        }
        if source == target && !self.self_loops {
            return Err(GraphError::SelfLoop { node: source });
        }
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(GraphError::InvalidWeight { from: source, to: target, weight });
        }
        if let EdgeKind::Other(n) = kind
            && n > EdgeKind::MAX_OTHER
        {
            return Err(GraphError::KindOutOfRange { kind: n, max: EdgeKind::MAX_OTHER });
        }
        self.sources.push(source.0);
        self.targets.push(target.0);
        self.kinds.push(kind.code());
        // -0.0 is stored as 0.0 so that every weight prints as it compares.
        self.weights.push(weight + 0.0);
        Ok(())
    }

    /// Adds a mutual friendship: [`EdgeKind::Friend`] edges both ways.
    ///
    /// # Errors
    ///
    /// As [`add_edge`](Self::add_edge); neither edge is added on error.
    pub fn add_friends(&mut self, a: NodeIndex, b: NodeIndex, weight: f64) -> Result<(), GraphError> {
        self.add_edge(a, b, EdgeKind::Friend, weight)?;
        if let Err(e) = self.add_edge(b, a, EdgeKind::Friend, weight) {
            self.sources.pop();
            self.targets.pop();
            self.kinds.pop();
            self.weights.pop();
            return Err(e);
        }
        Ok(())
    }

    /// Assembles the graph.
    ///
    /// # Errors
    ///
    /// [`GraphError::DuplicateEdge`] under [`Duplicates::Reject`];
    /// [`GraphError::TooLarge`] beyond `u32` indices.
    ///
    /// # Complexity
    ///
    /// O(V + E log d) time for the largest out-degree d (a counting sort by
    /// source, then a sort of each source's edges), O(V + E) extra space:
    /// the edges are copied once into source order before the graph's own
    /// arrays are written.
    pub fn build(self) -> Result<Graph, GraphError> {
        let n = self.node_count;
        let limit = u32::MAX as usize;
        if n > limit {
            return Err(GraphError::TooLarge { what: "node", count: n, limit });
        }
        if self.sources.len() > limit {
            return Err(GraphError::TooLarge { what: "edge", count: self.sources.len(), limit });
        }
        let GraphBuilder { duplicates, sources, targets, kinds, weights, .. } = self;
        let edge_count = sources.len();
        // Counting sort by source into contiguous columns: each source's
        // edges end up together, in insertion order (the sort is stable).
        let mut starts = vec![0usize; n + 1];
        for &s in &sources {
            starts[s as usize + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        // Each entry is (target and kind packed, weight): one write per edge
        // into one array keeps the scatter to a cache miss per edge.
        let pack = |target: u32, kind: u16| u64::from(target) << 16 | u64::from(kind);
        let mut cursor = starts.clone();
        let mut by_source = vec![(0u64, 0f64); edge_count];
        for (e, &s) in sources.iter().enumerate() {
            by_source[cursor[s as usize]] = (pack(targets[e], kinds[e]), weights[e]);
            cursor[s as usize] += 1;
        }
        drop((cursor, sources, targets, kinds, weights));

        let mut out_offsets = Vec::with_capacity(n + 1);
        out_offsets.push(0);
        let mut out_targets = Vec::with_capacity(edge_count);
        let mut out_weights = Vec::with_capacity(edge_count);
        let mut out_kinds = Vec::with_capacity(edge_count);
        for s in 0..n {
            let group = &mut by_source[starts[s]..starts[s + 1]];
            // A stable sort: equal edges stay in the order they were added,
            // so "last" means last added.
            if !group.is_sorted_by_key(|entry| entry.0) {
                group.sort_by_key(|entry| entry.0);
            }
            let mut i = 0;
            while i < group.len() {
                let (key, mut weight) = group[i];
                let mut j = i + 1;
                while j < group.len() && group[j].0 == key {
                    let w = group[j].1;
                    match duplicates {
                        Duplicates::KeepLast => weight = w,
                        Duplicates::Sum => weight += w,
                        Duplicates::Reject => {
                            return Err(GraphError::DuplicateEdge {
                                from: NodeIndex(s as u32),
                                to: NodeIndex((key >> 16) as u32),
                                kind: EdgeKind::from_code(key as u16),
                            });
                        }
                    }
                    j += 1;
                }
                out_targets.push((key >> 16) as u32);
                out_kinds.push(key as u16);
                out_weights.push(weight);
                i = j;
            }
            out_offsets.push(out_targets.len() as u32);
        }
        drop((starts, by_source));

        // The reverse index: walking sources in order keeps each node's
        // incoming list sorted by source.
        let mut in_offsets = vec![0u32; n + 1];
        for &t in &out_targets {
            in_offsets[t as usize + 1] += 1;
        }
        for i in 0..n {
            in_offsets[i + 1] += in_offsets[i];
        }
        let mut cursor = in_offsets.clone();
        let mut in_sources = vec![0u32; out_targets.len()];
        let mut in_edges = vec![0u32; out_targets.len()];
        for s in 0..n {
            let range = span(&out_offsets, s);
            for (e, &t) in range.clone().zip(&out_targets[range]) {
                let t = t as usize;
                in_sources[cursor[t] as usize] = s as u32;
                in_edges[cursor[t] as usize] = e as u32;
                cursor[t] += 1;
            }
        }
        // Merged duplicates leave spare capacity; giving it back copies the
        // arrays, which is only worth it when much is spare.
        if out_targets.capacity() - out_targets.len() > out_targets.len() / 16 {
            out_targets.shrink_to_fit();
            out_weights.shrink_to_fit();
            out_kinds.shrink_to_fit();
        }
        Ok(Graph { out_offsets, out_targets, out_weights, out_kinds, in_offsets, in_sources, in_edges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: usize) -> NodeIndex {
        NodeIndex::new(i)
    }

    #[test]
    fn both_directions_are_indexed_and_sorted() {
        let mut b = GraphBuilder::new(4);
        b.add_edge(n(2), n(0), EdgeKind::Follows, 1.0).unwrap();
        b.add_edge(n(0), n(3), EdgeKind::Follows, 2.0).unwrap();
        b.add_edge(n(0), n(1), EdgeKind::ReferredBy, 3.0).unwrap();
        b.add_friends(n(1), n(3), 0.5).unwrap();
        let g = b.build().unwrap();
        assert_eq!(g.node_count(), 4);
        assert_eq!(g.edge_count(), 5);
        let out0: Vec<_> = g.neighbors(n(0), Direction::Outgoing).map(|e| (e.target.index(), e.weight)).collect();
        assert_eq!(out0, [(1, 3.0), (3, 2.0)]);
        let in3: Vec<_> = g.neighbors(n(3), Direction::Incoming).map(|e| (e.source.index(), e.kind)).collect();
        assert_eq!(in3, [(0, EdgeKind::Follows), (1, EdgeKind::Friend)]);
        assert_eq!(g.degree(n(0), Direction::Incoming), 1);
        let all: Vec<_> = g.edges().map(|e| (e.source.index(), e.target.index())).collect();
        assert_eq!(all, [(0, 1), (0, 3), (1, 3), (2, 0), (3, 1)]);
        assert_eq!(g.edge_weight(n(1), n(3), EdgeKind::Friend), Some(0.5));
        assert_eq!(g.edge_weight(n(1), n(3), EdgeKind::Follows), None);
        assert_eq!(g.edge_weight(n(9), n(3), EdgeKind::Follows), None);
    }

    #[test]
    fn duplicate_rules() {
        let edges = [(0, 1, 1.0), (0, 1, 2.0), (0, 2, 5.0), (0, 1, 4.0)];
        let build = |rule| {
            let mut b = GraphBuilder::new(3).duplicates(rule);
            for (s, t, w) in edges {
                b.add_edge(n(s), n(t), EdgeKind::Follows, w).unwrap();
            }
            b.build()
        };
        assert_eq!(build(Duplicates::KeepLast).unwrap().edge_weight(n(0), n(1), EdgeKind::Follows), Some(4.0));
        assert_eq!(build(Duplicates::Sum).unwrap().edge_weight(n(0), n(1), EdgeKind::Follows), Some(7.0));
        assert_eq!(
            build(Duplicates::Reject).unwrap_err(),
            GraphError::DuplicateEdge { from: n(0), to: n(1), kind: EdgeKind::Follows }
        );
        // Different kinds between the same nodes are different edges.
        let mut b = GraphBuilder::new(2);
        b.add_edge(n(0), n(1), EdgeKind::Follows, 1.0).unwrap();
        b.add_edge(n(0), n(1), EdgeKind::Other(7), 1.0).unwrap();
        let g = b.build().unwrap();
        assert_eq!(g.edge_count(), 2);
        assert_eq!(g.edges().nth(1).unwrap().kind, EdgeKind::Other(7));
    }

    #[test]
    fn bad_edges_are_typed_errors() {
        let mut b = GraphBuilder::new(2);
        assert_eq!(
            b.add_edge(n(0), n(2), EdgeKind::Friend, 1.0),
            Err(GraphError::UnknownNode { node: n(2), node_count: 2 })
        );
        assert_eq!(b.add_edge(n(1), n(1), EdgeKind::Friend, 1.0), Err(GraphError::SelfLoop { node: n(1) }));
        for w in [-0.5, f64::NAN, f64::INFINITY] {
            let err = b.add_edge(n(0), n(1), EdgeKind::Friend, w).unwrap_err();
            assert!(matches!(err, GraphError::InvalidWeight { .. }), "{err}");
        }
        assert!(matches!(
            b.add_edge(n(0), n(1), EdgeKind::Other(u16::MAX), 1.0),
            Err(GraphError::KindOutOfRange { .. })
        ));
        assert_eq!(b.add_friends(n(0), n(5), 1.0), Err(GraphError::UnknownNode { node: n(5), node_count: 2 }));
        assert_eq!(b.clone().build().unwrap().edge_count(), 0);
        let mut b = b.allow_self_loops(true);
        b.add_edge(n(1), n(1), EdgeKind::Friend, 0.0).unwrap();
        let msg = GraphError::SelfLoop { node: n(1) }.to_string();
        assert_eq!(msg, "self-loop at node n1 is not allowed");
        assert_eq!(b.build().unwrap().edge_count(), 1);
    }

    #[test]
    fn kinds_round_trip_through_codes_and_serde() {
        for kind in [EdgeKind::Friend, EdgeKind::Follows, EdgeKind::ReferredBy, EdgeKind::Other(0), EdgeKind::Other(9)]
        {
            assert_eq!(EdgeKind::from_code(kind.code()), kind);
        }
        assert_eq!(serde_json::to_string(&EdgeKind::ReferredBy).unwrap(), r#""referred_by""#);
        assert_eq!(serde_json::to_string(&EdgeKind::Other(3)).unwrap(), r#"{"other":3}"#);
    }

    #[test]
    fn storage_stays_under_24_bytes_per_edge() {
        let (nodes, edges) = (1000usize, 10_000usize);
        let mut b = GraphBuilder::new(nodes);
        for e in 0..edges {
            b.add_edge(n(e % nodes), n((e % nodes + 1 + e / nodes) % nodes), EdgeKind::Follows, 1.0).unwrap();
        }
        let g = b.build().unwrap();
        assert_eq!(g.edge_count(), edges);
        let per_edge = g.heap_bytes() as f64 / g.edge_count() as f64;
        assert!(per_edge < 23.0, "{per_edge}");
    }
}
