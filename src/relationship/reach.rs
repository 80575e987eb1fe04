//! k-hop reach: how many distinct people are within k hops of a customer or
//! of a set of customers (the audience a campaign's first audience reaches).

use super::graph::{Direction, Graph, GraphError, NodeIndex, span};

/// A reusable workspace for k-hop reach on one graph.
///
/// A breadth-first search cut off after `hops` levels. Visited nodes are
/// marked with an epoch number rather than cleared, so a query costs only
/// the edges it walks, not the size of the graph: asking every node's reach
/// in turn is cheap.
///
/// The reach of a set counts the distinct nodes outside the set that lie at
/// most `hops` edges away from some member, walking edges in the workspace's
/// direction ([`Direction::Outgoing`] is the direction of influence). The
/// seeds themselves are not counted, so a single node's reach is the
/// number of *other* nodes it reaches, and a self-loop adds nothing.
///
/// # Complexity
///
/// O(s + the edges leaving the nodes within `hops − 1` hops) per query for
/// s seeds; O(V) memory, allocated once.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{Direction, EdgeKind, GraphBuilder, NodeIndex, ReachCounter};
///
/// // 0 → 1 → 2 → 3, and 4 → 2
/// let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(NodeIndex::new);
/// let mut builder = GraphBuilder::new(5);
/// for (s, t) in [(a, b), (b, c), (c, d), (e, c)] {
///     builder.add_edge(s, t, EdgeKind::Follows, 1.0)?;
/// }
/// let graph = builder.build()?;
/// let mut reach = ReachCounter::new(&graph, Direction::Outgoing);
/// assert_eq!(reach.count(&[a], 2)?, 2); // b, c
/// assert_eq!(reach.count(&[a, e], 2)?, 3); // b, c, d
/// assert_eq!(reach.count(&[a], 0)?, 0);
/// # Ok::<(), customer_lifecycle::relationship::GraphError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReachCounter<'g> {
    offsets: &'g [u32],
    neighbors: &'g [u32],
    marks: Vec<u32>,
    epoch: u32,
    frontier: Vec<u32>,
    next: Vec<u32>,
}

impl<'g> ReachCounter<'g> {
    /// A workspace walking `graph` in `direction`.
    pub fn new(graph: &'g Graph, direction: Direction) -> Self {
        let (offsets, neighbors) = graph.adjacency(direction);
        ReachCounter {
            offsets,
            neighbors,
            marks: vec![0; graph.node_count()],
            epoch: 0,
            frontier: Vec::new(),
            next: Vec::new(),
        }
    }

    /// How many distinct nodes outside `seeds` lie within `hops` hops of
    /// them.
    ///
    /// # Errors
    ///
    /// [`GraphError::UnknownNode`] for a seed outside the graph.
    pub fn count(&mut self, seeds: &[NodeIndex], hops: u32) -> Result<usize, GraphError> {
        self.walk(seeds, hops, |_| {})
    }

    /// The nodes that [`count`](Self::count) counts, in the order they were
    /// reached (by distance, then by discovery).
    ///
    /// # Errors
    ///
    /// [`GraphError::UnknownNode`] for a seed outside the graph.
    pub fn collect(&mut self, seeds: &[NodeIndex], hops: u32) -> Result<Vec<NodeIndex>, GraphError> {
        let mut found = Vec::new();
        self.walk(seeds, hops, |v| found.push(NodeIndex::new(v as usize)))?;
        Ok(found)
    }

    fn walk(&mut self, seeds: &[NodeIndex], hops: u32, mut visit: impl FnMut(u32)) -> Result<usize, GraphError> {
        let node_count = self.marks.len();
        if let Some(&node) = seeds.iter().find(|s| s.index() >= node_count) {
            return Err(GraphError::UnknownNode { node, node_count });
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.marks.fill(0);
            self.epoch = 1;
        }
        let epoch = self.epoch;
        self.frontier.clear();
        for seed in seeds {
            let s = seed.index();
            if self.marks[s] != epoch {
                self.marks[s] = epoch;
                self.frontier.push(s as u32);
            }
        }
        let mut count = 0;
        for level in 1..=hops {
            let last = level == hops;
            self.next.clear();
            for &u in &self.frontier {
                let u = u as usize;
                for &v in &self.neighbors[span(self.offsets, u)] {
                    let mark = &mut self.marks[v as usize];
                    if *mark != epoch {
                        *mark = epoch;
                        count += 1;
                        visit(v);
                        if !last {
                            self.next.push(v);
                        }
                    }
                }
            }
            if self.next.is_empty() {
                break;
            }
            std::mem::swap(&mut self.frontier, &mut self.next);
        }
        Ok(count)
    }
}

/// Every node's own k-hop reach: entry `i` is the number of other nodes
/// within `hops` hops of node `i` in `direction`.
///
/// # Complexity
///
/// O(Σ over nodes of the edges its search walks); O(V) memory besides the
/// result.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{reach_counts, Direction, EdgeKind, GraphBuilder, NodeIndex};
///
/// let mut builder = GraphBuilder::new(3);
/// builder.add_edge(NodeIndex::new(0), NodeIndex::new(1), EdgeKind::Follows, 1.0)?;
/// builder.add_edge(NodeIndex::new(1), NodeIndex::new(2), EdgeKind::Follows, 1.0)?;
/// let graph = builder.build()?;
/// assert_eq!(reach_counts(&graph, 2, Direction::Outgoing), [2, 1, 0]);
/// assert_eq!(reach_counts(&graph, 1, Direction::Incoming), [0, 1, 1]);
/// # Ok::<(), customer_lifecycle::relationship::GraphError>(())
/// ```
pub fn reach_counts(graph: &Graph, hops: u32, direction: Direction) -> Vec<u32> {
    let n = graph.node_count();
    let mut counts = vec![0u32; n];
    // Each block has its own workspace; counts are integers, so the result
    // is the same for any cut and any number of threads.
    let blocks = if n < PARALLEL_MIN_NODES { 1 } else { crate::util::threads() * 4 };
    crate::util::par_fill_blocks(&mut counts, blocks, |from, block| {
        let mut reach = ReachCounter::new(graph, direction);
        for (i, slot) in block.iter_mut().enumerate() {
            let node = NodeIndex::new(from + i);
            *slot = reach.count(&[node], hops).expect("every node is in the graph") as u32;
        }
    });
    counts
}

/// Below this many nodes [`reach_counts`] stays on one thread.
const PARALLEL_MIN_NODES: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relationship::{EdgeKind, GraphBuilder};

    fn graph(n: usize, edges: &[(usize, usize)]) -> Graph {
        let mut b = GraphBuilder::new(n).allow_self_loops(true);
        for &(s, t) in edges {
            b.add_edge(NodeIndex::new(s), NodeIndex::new(t), EdgeKind::Follows, 1.0).unwrap();
        }
        b.build().unwrap()
    }

    #[test]
    fn hand_computed_reach() {
        // 0 → 1, 0 → 2, 1 → 3, 2 → 3, 3 → 4, 4 → 0, 5 → 5
        let g = graph(6, &[(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (4, 0), (5, 5)]);
        let counts: Vec<Vec<u32>> = (0..=4).map(|k| reach_counts(&g, k, Direction::Outgoing)).collect();
        assert_eq!(counts[0], [0, 0, 0, 0, 0, 0]);
        assert_eq!(counts[1], [2, 1, 1, 1, 1, 0]);
        assert_eq!(counts[2], [3, 2, 2, 2, 3, 0]);
        assert_eq!(counts[3], [4, 3, 3, 4, 4, 0]);
        assert_eq!(counts[4], [4, 4, 4, 4, 4, 0]);
        let mut r = ReachCounter::new(&g, Direction::Outgoing);
        let mut reached = r.collect(&[NodeIndex::new(1), NodeIndex::new(2)], 2).unwrap();
        reached.sort();
        assert_eq!(reached, [NodeIndex::new(3), NodeIndex::new(4)]);
        // Duplicated seeds count once and are never counted themselves.
        assert_eq!(r.count(&[NodeIndex::new(0), NodeIndex::new(0), NodeIndex::new(1)], 1).unwrap(), 2);
        let mut back = ReachCounter::new(&g, Direction::Incoming);
        assert_eq!(back.count(&[NodeIndex::new(3)], 2).unwrap(), 3);
    }

    #[test]
    fn unknown_seed_is_an_error() {
        let g = graph(2, &[(0, 1)]);
        let mut r = ReachCounter::new(&g, Direction::Outgoing);
        assert_eq!(
            r.count(&[NodeIndex::new(2)], 1),
            Err(GraphError::UnknownNode { node: NodeIndex::new(2), node_count: 2 })
        );
    }

    #[test]
    fn epochs_survive_wrapping() {
        let g = graph(3, &[(0, 1), (1, 2)]);
        let mut r = ReachCounter::new(&g, Direction::Outgoing);
        r.epoch = u32::MAX - 1;
        for _ in 0..4 {
            assert_eq!(r.count(&[NodeIndex::new(0)], 2).unwrap(), 2);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 6, ..proptest::prelude::ProptestConfig::default() })]
        #[test]
        fn reach_counts_are_the_same_for_any_thread_count(seed in proptest::prelude::any::<u64>(), extra in 0usize..3000) {
            let n = PARALLEL_MIN_NODES + extra;
            let mut state = seed | 1;
            let edges: Vec<(usize, usize)> = (0..2 * n)
                .map(|_| {
                    let mut draw = || {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        (state % n as u64) as usize
                    };
                    (draw(), draw())
                })
                .collect();
            let g = graph(n, &edges);
            for direction in [Direction::Outgoing, Direction::Incoming] {
                let one = crate::util::on_threads(1, || reach_counts(&g, 2, direction));
                // The one-workspace walk the blocks must reproduce.
                let mut r = ReachCounter::new(&g, direction);
                let serial: Vec<u32> = g.nodes().map(|v| r.count(&[v], 2).unwrap() as u32).collect();
                proptest::prop_assert_eq!(&one, &serial);
                proptest::prop_assert_eq!(&crate::util::on_threads(2, || reach_counts(&g, 2, direction)), &one);
                proptest::prop_assert_eq!(&crate::util::on_threads(3, || reach_counts(&g, 2, direction)), &one);
            }
        }
    }
}
