//! Influence rank: weighted PageRank with damping, personalisation (restart
//! at chosen nodes), a convergence tolerance and an iteration cap.

use serde::{Deserialize, Serialize};

use super::graph::{Direction, Graph, NodeIndex, span};

/// The settings of a PageRank run: a small `Copy` struct with public
/// fields, checked when the run starts.
///
/// Defaults: damping 0.85, tolerance 1e-10 (absolute L1 change between two
/// iterates), at most 1,000 iterations, rank flowing along the edges as
/// stored ([`Direction::Outgoing`]). On a customer graph, whose edges point
/// the way word travels, use [`Direction::Incoming`] to rank by endorsement:
/// the follower endorses the followed, so the followed rank high.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{Direction, PageRankOptions};
///
/// let options = PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() };
/// assert_eq!(options.damping, 0.85);
/// // The same, with the setters every options struct has.
/// assert_eq!(PageRankOptions::new().flow(Direction::Incoming), options);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PageRankOptions {
    /// The probability of following an edge rather than restarting, in
    /// `[0, 1)`.
    pub damping: f64,
    /// Stop at the first iteration whose L1 change is below this (finite,
    /// above zero).
    pub tolerance: f64,
    /// Give up after this many iterations: [`RankError::NotConverged`].
    pub max_iterations: u32,
    /// Which way rank flows along an edge.
    pub flow: Direction,
}

crate::util::options_setters!(PageRankOptions { damping: f64, tolerance: f64, max_iterations: u32, flow: Direction });

impl Default for PageRankOptions {
    fn default() -> Self {
        PageRankOptions { damping: 0.85, tolerance: 1e-10, max_iterations: 1000, flow: Direction::Outgoing }
    }
}

/// The error of a PageRank run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RankError {
    /// Damping outside `[0, 1)`.
    #[error("damping {damping} is outside [0, 1)")]
    InvalidDamping {
        /// The damping given.
        damping: f64,
    },
    /// A tolerance that is not a finite number above zero.
    #[error("tolerance {tolerance} is not a finite number above zero")]
    InvalidTolerance {
        /// The tolerance given.
        tolerance: f64,
    },
    /// A restart weight that is negative or not finite, or names a node
    /// outside the graph.
    #[error("restart weight {weight} at node {node} is invalid (node count {node_count})")]
    InvalidRestart {
        /// The node.
        node: NodeIndex,
        /// Its weight.
        weight: f64,
        /// How many nodes the graph has.
        node_count: usize,
    },
    /// Restart weights that add up to zero (or overflow).
    #[error("restart weights add up to {total}, expected a finite number above zero")]
    RestartTotal {
        /// Their sum.
        total: f64,
    },
    /// The iteration cap came first.
    #[error("pagerank did not converge in {iterations} iterations (last L1 change {l1_change})")]
    NotConverged {
        /// Iterations run.
        iterations: u32,
        /// The L1 change of the last one.
        l1_change: f64,
    },
}

/// The result of a PageRank run: one score per node, adding up to one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageRank {
    scores: Vec<f64>,
    iterations: u32,
    l1_change: f64,
}

impl PageRank {
    /// The score of each node, by index.
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// The score of one node.
    ///
    /// # Panics
    ///
    /// When the node is not in the graph.
    pub fn score(&self, node: NodeIndex) -> f64 {
        self.scores[node.index()]
    }

    /// How many iterations ran.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The L1 change of the last iteration.
    pub fn l1_change(&self) -> f64 {
        self.l1_change
    }

    /// Each node's percentile: the share of the other nodes with a strictly
    /// lower score (the top node gets 1, ties share the lower value).
    ///
    /// # Complexity
    ///
    /// O(V log V).
    pub fn percentiles(&self) -> Vec<f64> {
        crate::util::percentiles(&self.scores)
    }

    /// The `k` highest-ranked nodes, best first; ties go to the lower index.
    ///
    /// # Complexity
    ///
    /// O(V log V).
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::relationship::{pagerank, EdgeKind, GraphBuilder, NodeIndex, PageRankOptions};
    ///
    /// // Both 1 and 2 point at 0.
    /// let mut builder = GraphBuilder::new(3);
    /// builder.add_edge(NodeIndex::new(1), NodeIndex::new(0), EdgeKind::Follows, 1.0)?;
    /// builder.add_edge(NodeIndex::new(2), NodeIndex::new(0), EdgeKind::Follows, 1.0)?;
    /// let rank = pagerank(&builder.build()?, &PageRankOptions::default())?;
    /// let top: Vec<_> = rank.top(2).into_iter().map(|(node, _)| node.index()).collect();
    /// assert_eq!(top, [0, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn top(&self, k: usize) -> Vec<(NodeIndex, f64)> {
        let mut order: Vec<u32> = (0..self.scores.len() as u32).collect();
        order.sort_by(|&a, &b| self.scores[b as usize].total_cmp(&self.scores[a as usize]).then(a.cmp(&b)));
        order.into_iter().take(k).map(|i| (NodeIndex::new(i as usize), self.scores[i as usize])).collect()
    }

    /// The scores.
    pub fn into_scores(self) -> Vec<f64> {
        self.scores
    }
}

/// PageRank with uniform restart.
///
/// Equivalent to [`personalized_pagerank`] with no restart weights.
///
/// # Errors
///
/// As [`personalized_pagerank`].
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{pagerank, EdgeKind, GraphBuilder, NodeIndex, PageRankOptions};
///
/// // A directed cycle: every node ranks 1/3.
/// let mut builder = GraphBuilder::new(3);
/// for i in 0..3 {
///     builder.add_edge(NodeIndex::new(i), NodeIndex::new((i + 1) % 3), EdgeKind::Follows, 1.0)?;
/// }
/// let rank = pagerank(&builder.build()?, &PageRankOptions::default())?;
/// assert!(rank.scores().iter().all(|s| (s - 1.0 / 3.0).abs() < 1e-12));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pagerank(graph: &Graph, options: &PageRankOptions) -> Result<PageRank, RankError> {
    personalized_pagerank(graph, options, &[])
}

/// Weighted, personalised PageRank by power iteration.
///
/// Rank flows along each edge in `options.flow`; a node passes its rank to
/// its neighbours in proportion to the edge weights (its weights are
/// normalised to sum to one; self-loops count). A node whose weights add up
/// to zero is *dangling*: its rank is spread over the restart distribution,
/// as in the literature (Langville & Meyer 2006; networkx does the same).
/// The restart distribution `p` is `restart` normalised to sum to one, or
/// uniform over all nodes when `restart` is empty; without personalisation,
/// dangling rank is thus spread evenly over all nodes. Weights for the same
/// node add up.
///
/// Iteration starts from the uniform vector and stops at the first iteration
/// whose L1 change is below `options.tolerance`; that iterate is returned.
///
/// # Formula
///
/// x⁽ᵗ⁺¹⁾ᵥ = d · Σ₍ᵤ→ᵥ₎ x⁽ᵗ⁾ᵤ · w(u,v) / W(u) + (d · Σ_{dangling u} x⁽ᵗ⁾ᵤ + 1 − d) · pᵥ,
/// with W(u) the sum of u's weights in the flow direction and d the damping.
///
/// # Errors
///
/// [`RankError::InvalidDamping`], [`RankError::InvalidTolerance`],
/// [`RankError::InvalidRestart`], [`RankError::RestartTotal`] for bad
/// settings; [`RankError::NotConverged`] when `options.max_iterations` pass
/// first.
///
/// # Complexity
///
/// O(V + E) time per iteration, O(V + E) extra memory (the normalised
/// weights and two rank vectors). The error shrinks by about a factor d per
/// iteration, so reaching tolerance ε takes about log(ε) / log(d)
/// iterations.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{personalized_pagerank, EdgeKind, GraphBuilder, NodeIndex, PageRankOptions};
///
/// // 0 ⇄ 1, restarting at 0 only: scores 1/(1+d) and d/(1+d).
/// let [a, b] = [0, 1].map(NodeIndex::new);
/// let mut builder = GraphBuilder::new(2);
/// builder.add_edge(a, b, EdgeKind::Friend, 1.0)?;
/// builder.add_edge(b, a, EdgeKind::Friend, 1.0)?;
/// let rank = personalized_pagerank(&builder.build()?, &PageRankOptions::default(), &[(a, 1.0)])?;
/// assert!((rank.score(a) - 1.0 / 1.85).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn personalized_pagerank(
    graph: &Graph,
    options: &PageRankOptions,
    restart: &[(NodeIndex, f64)],
) -> Result<PageRank, RankError> {
    let &PageRankOptions { damping, tolerance, max_iterations, flow } = options;
    if !(0.0..1.0).contains(&damping) {
        return Err(RankError::InvalidDamping { damping });
    }
    if !(tolerance.is_finite() && tolerance > 0.0) {
        return Err(RankError::InvalidTolerance { tolerance });
    }
    let n = graph.node_count();
    let restart = restart_vector(n, restart)?;
    if n == 0 {
        return Ok(PageRank { scores: Vec::new(), iterations: 0, l1_change: 0.0 });
    }

    // Total weight each node passes on, in the flow direction.
    let (flow_offsets, _) = graph.adjacency(flow);
    let flow_weights = graph.entry_weights(flow);
    let totals: Vec<f64> = (0..n).map(|u| flow_weights[span(flow_offsets, u)].iter().sum::<f64>()).collect();
    drop(flow_weights);
    let dangling: Vec<u32> = (0..n as u32).filter(|&u| totals[u as usize] == 0.0).collect();

    // Each node pulls from the nodes whose rank flows into it.
    let back = match flow {
        Direction::Outgoing => Direction::Incoming,
        Direction::Incoming => Direction::Outgoing,
    };
    let (offsets, from) = graph.adjacency(back);
    let mut share = graph.entry_weights(back).into_owned();
    for (s, &u) in share.iter_mut().zip(from) {
        let total = totals[u as usize];
        if total > 0.0 {
            *s /= total;
        }
    }
    drop(totals);

    let uniform = 1.0 / n as f64;
    let mut x = vec![uniform; n];
    let mut next = vec![0.0; n];
    let mut iterations = 0;
    let mut l1_change = f64::INFINITY;
    let blocks = if n < PARALLEL_MIN_NODES { 1 } else { RANK_BLOCKS };
    while iterations < max_iterations {
        iterations += 1;
        let dangling_mass: f64 = dangling.iter().map(|&u| x[u as usize]).sum();
        let teleport = damping * dangling_mass + (1.0 - damping);
        // Every node's new rank depends only on the old ranks, so the nodes
        // are cut into fixed blocks run in parallel; the L1 change is summed
        // per block and the block sums in block order, so it does not depend
        // on the number of threads.
        let (x_old, restart) = (&x, restart.as_deref());
        let partial = crate::util::par_fill_blocks(&mut next, blocks, |start, block| {
            let mut change = 0.0;
            for (i, slot) in block.iter_mut().enumerate() {
                let v = start + i;
                let range = span(offsets, v);
                let pulled: f64 =
                    share[range.clone()].iter().zip(&from[range]).map(|(s, &u)| s * x_old[u as usize]).sum();
                let p = restart.map_or(uniform, |r| r[v]);
                let value = damping * pulled + teleport * p;
                change += (value - x_old[v]).abs();
                *slot = value;
            }
            change
        });
        let change: f64 = partial.iter().sum();
        std::mem::swap(&mut x, &mut next);
        l1_change = change;
        if change < tolerance {
            return Ok(PageRank { scores: x, iterations, l1_change });
        }
    }
    Err(RankError::NotConverged { iterations, l1_change })
}

/// The fixed number of blocks a large graph's PageRank iteration is cut
/// into (whatever the number of threads, so results are bit-identical).
const RANK_BLOCKS: usize = 16;

/// Below this many nodes PageRank iterates in one block on one thread.
const PARALLEL_MIN_NODES: usize = 4096;

/// The normalised restart distribution, or `None` for uniform.
fn restart_vector(n: usize, restart: &[(NodeIndex, f64)]) -> Result<Option<Vec<f64>>, RankError> {
    if restart.is_empty() {
        return Ok(None);
    }
    let mut p = vec![0.0; n];
    for &(node, weight) in restart {
        if node.index() >= n || !(weight.is_finite() && weight >= 0.0) {
            return Err(RankError::InvalidRestart { node, weight, node_count: n });
        }
        p[node.index()] += weight;
    }
    let total: f64 = p.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return Err(RankError::RestartTotal { total });
    }
    for value in &mut p {
        *value /= total;
    }
    Ok(Some(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relationship::{EdgeKind, GraphBuilder};

    fn graph(n: usize, edges: &[(usize, usize, f64)]) -> Graph {
        let mut b = GraphBuilder::new(n).allow_self_loops(true);
        for &(s, t, w) in edges {
            b.add_edge(NodeIndex::new(s), NodeIndex::new(t), EdgeKind::Follows, w).unwrap();
        }
        b.build().unwrap()
    }

    fn tight() -> PageRankOptions {
        PageRankOptions { tolerance: 1e-15, ..PageRankOptions::default() }
    }

    #[test]
    fn star_with_dangling_centre_matches_closed_form() {
        // Leaves 1..=3 point at 0; 0 is dangling. With N = m + 1 and
        // Σ = 1: x₀ = (N − m(1 − d)) / (N + m·d).
        let g = graph(4, &[(1, 0, 1.0), (2, 0, 1.0), (3, 0, 1.0)]);
        let rank = pagerank(&g, &tight()).unwrap();
        let x0 = (4.0 - 3.0 * 0.15) / (4.0 + 3.0 * 0.85);
        assert!((rank.score(NodeIndex::new(0)) - x0).abs() < 1e-13, "{rank:?}");
        let leaf = (1.0 - x0) / 3.0;
        for i in 1..4 {
            assert!((rank.score(NodeIndex::new(i)) - leaf).abs() < 1e-13);
        }
        assert!((rank.scores().iter().sum::<f64>() - 1.0).abs() < 1e-14);
        assert_eq!(rank.top(1)[0].0, NodeIndex::new(0));
    }

    #[test]
    fn weights_and_self_loops_are_normalised() {
        // From 0: 3/4 to 1, 1/4 to itself; from 1: all to 0.
        // x₀ = (1 − d)/2 + d(x₀/4 + x₁), x₁ = 1 − x₀ ⇒ x₀ = 0.925 / 1.6375.
        let g = graph(2, &[(0, 1, 3.0), (0, 0, 1.0), (1, 0, 2.0)]);
        let rank = pagerank(&g, &tight()).unwrap();
        assert!((rank.score(NodeIndex::new(0)) - 0.925 / 1.6375).abs() < 1e-13);
    }

    #[test]
    fn zero_weights_make_a_node_dangling() {
        let zero = pagerank(&graph(3, &[(0, 1, 0.0), (1, 2, 1.0)]), &tight()).unwrap();
        let none = pagerank(&graph(3, &[(1, 2, 1.0)]), &tight()).unwrap();
        for (a, b) in zero.scores().iter().zip(none.scores()) {
            assert!((a - b).abs() < 1e-15);
        }
    }

    #[test]
    fn incoming_flow_ranks_the_followed() {
        // Stored as word travels: 0 → 1 means 1 follows 0.
        let g = graph(2, &[(0, 1, 1.0)]);
        let endorse = PageRankOptions { flow: Direction::Incoming, ..tight() };
        let rank = pagerank(&g, &endorse).unwrap();
        let x1 = 0.5 / 1.425;
        assert!((rank.score(NodeIndex::new(1)) - x1).abs() < 1e-13);
        assert!((rank.score(NodeIndex::new(0)) - (1.0 - x1)).abs() < 1e-13);
    }

    #[test]
    fn settings_are_checked() {
        let g = graph(2, &[(0, 1, 1.0)]);
        let bad = |o: PageRankOptions| pagerank(&g, &o).unwrap_err();
        assert_eq!(bad(PageRankOptions { damping: 1.0, ..tight() }), RankError::InvalidDamping { damping: 1.0 });
        assert!(matches!(bad(PageRankOptions { tolerance: 0.0, ..tight() }), RankError::InvalidTolerance { .. }));
        assert!(matches!(
            bad(PageRankOptions { max_iterations: 2, ..tight() }),
            RankError::NotConverged { iterations: 2, .. }
        ));
        let o = tight();
        assert!(matches!(
            personalized_pagerank(&g, &o, &[(NodeIndex::new(5), 1.0)]),
            Err(RankError::InvalidRestart { .. })
        ));
        assert!(matches!(
            personalized_pagerank(&g, &o, &[(NodeIndex::new(0), f64::NAN)]),
            Err(RankError::InvalidRestart { .. })
        ));
        assert_eq!(
            personalized_pagerank(&g, &o, &[(NodeIndex::new(0), 0.0)]),
            Err(RankError::RestartTotal { total: 0.0 })
        );
        assert!(pagerank(&Graph::default(), &o).unwrap().scores().is_empty());
    }

    #[test]
    fn zero_damping_returns_the_restart_vector() {
        let g = graph(3, &[(0, 1, 1.0), (1, 2, 1.0)]);
        let o = PageRankOptions { damping: 0.0, ..tight() };
        let rank = personalized_pagerank(&g, &o, &[(NodeIndex::new(2), 3.0), (NodeIndex::new(0), 1.0)]).unwrap();
        assert_eq!(rank.scores(), [0.25, 0.0, 0.75]);
    }

    /// A seeded random graph large enough to be cut into blocks, with
    /// dangling nodes and uneven weights.
    fn random_graph(n: usize, edges: usize, seed: u64) -> Graph {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let list: Vec<(usize, usize, f64)> = (0..edges)
            .map(|_| {
                let s = (next() % n as u64) as usize;
                let t = (next() % n as u64) as usize;
                (s, t, (next() % 5) as f64)
            })
            .collect();
        graph(n, &list)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 6, ..proptest::prelude::ProptestConfig::default() })]
        #[test]
        fn ranks_are_bit_identical_for_any_thread_count(seed in proptest::prelude::any::<u64>(), extra in 0usize..3000) {
            let n = PARALLEL_MIN_NODES + extra;
            let g = random_graph(n, 3 * n, seed);
            let personal = [(NodeIndex::new(1), 2.0), (NodeIndex::new(n - 1), 1.0)];
            for flow in [Direction::Outgoing, Direction::Incoming] {
                // Above the rounding floor of the L1 change at this size
                // (`tight()`'s 1e-15 is not: some graphs of a few thousand
                // nodes stop changing at about 1.1e-15 and never converge).
                let options = PageRankOptions { flow, tolerance: 1e-12, ..PageRankOptions::default() };
                let on = |threads| crate::util::on_threads(threads, || {
                    let plain = pagerank(&g, &options).unwrap();
                    let personal = personalized_pagerank(&g, &options, &personal).unwrap();
                    (plain.scores().iter().map(|s| s.to_bits()).collect::<Vec<_>>(), plain.l1_change().to_bits(), plain.iterations(),
                     personal.scores().iter().map(|s| s.to_bits()).collect::<Vec<_>>(), personal.l1_change().to_bits())
                });
                let one = on(1);
                proptest::prop_assert_eq!(&on(2), &one);
                proptest::prop_assert_eq!(&on(3), &one);
            }
        }
    }
}
