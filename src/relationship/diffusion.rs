//! Word-of-mouth diffusion: the independent cascade model, its seeded Monte
//! Carlo estimate of a seed set's expected spread with a confidence
//! interval, and influence maximisation by lazy greedy (CELF) on shared
//! live-edge samples: the customers whose advocacy reaches most people.
//!
//! In the independent cascade, each edge's weight is the probability that
//! word passes along it: when a node becomes active it gets one chance to
//! activate each inactive out-neighbour, independently. Equivalently, each
//! edge is *live* with its probability, and the active set is what the seeds
//! reach along live edges (Kempe, Kleinberg & Tardos 2003). Randomness is
//! `ChaCha8`, seeded by the caller: the same seed gives the same result on
//! every platform.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::graph::{Direction, Graph, NodeIndex, span};

/// The error of a diffusion run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DiffusionError {
    /// An edge weight above 1, which cannot be a probability.
    #[error("edge {from} -> {to} has weight {weight}, expected a probability in [0, 1]")]
    NotAProbability {
        /// The edge's source.
        from: NodeIndex,
        /// The edge's target.
        to: NodeIndex,
        /// Its weight.
        weight: f64,
    },
    /// A seed outside the graph.
    #[error("seed {node} is not in the graph of {node_count} nodes")]
    UnknownNode {
        /// The seed.
        node: NodeIndex,
        /// How many nodes the graph has.
        node_count: usize,
    },
    /// Fewer than two runs or samples: no interval can be given.
    #[error("{runs} runs requested, at least 2 are needed")]
    TooFewRuns {
        /// The number asked for.
        runs: u32,
    },
    /// More seeds asked for than the graph has nodes.
    #[error("{k} seeds requested from a graph of {node_count} nodes")]
    TooManySeeds {
        /// The number asked for.
        k: usize,
        /// How many nodes the graph has.
        node_count: usize,
    },
}

/// The Monte Carlo estimate of a seed set's expected spread.
///
/// # Formula
///
/// mean = Σ sᵢ / R over R runs with spreads sᵢ (seeds included);
/// `std_error` = s / √R with s the sample standard deviation; the 95%
/// interval is mean ± 1.96 · `std_error` (normal approximation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Runs made.
    pub runs: u32,
    /// The mean number of active nodes at the end, seeds included.
    pub mean: f64,
    /// The standard error of the mean.
    pub std_error: f64,
    /// The lower end of the 95% confidence interval.
    pub low: f64,
    /// The upper end of the 95% confidence interval.
    pub high: f64,
}

/// Checks that every weight is a probability.
fn check_probabilities(graph: &Graph) -> Result<(), DiffusionError> {
    match graph.edges().find(|e| e.weight > 1.0) {
        Some(e) => Err(DiffusionError::NotAProbability { from: e.source, to: e.target, weight: e.weight }),
        None => Ok(()),
    }
}

fn check_seeds(graph: &Graph, seeds: &[NodeIndex]) -> Result<(), DiffusionError> {
    match seeds.iter().find(|s| !graph.contains(**s)) {
        Some(&node) => Err(DiffusionError::UnknownNode { node, node_count: graph.node_count() }),
        None => Ok(()),
    }
}

/// How a Monte Carlo estimate of spread is drawn: the number of runs and the
/// seed of the random number generator (named, so that neither is taken for
/// the seed *nodes* of [`simulate_spread`]).
///
/// Defaults: 1,000 runs from RNG seed 0.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::MonteCarloOptions;
///
/// let options = MonteCarloOptions::new().runs(10_000).rng_seed(7);
/// assert_eq!((options.runs, options.rng_seed), (10_000, 7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonteCarloOptions {
    /// How many runs (at least two).
    pub runs: u32,
    /// The seed of the random number generator: the same seed, the same
    /// estimate.
    pub rng_seed: u64,
}

impl Default for MonteCarloOptions {
    fn default() -> Self {
        MonteCarloOptions { runs: 1_000, rng_seed: 0 }
    }
}

impl MonteCarloOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of runs.
    #[must_use]
    pub fn runs(mut self, runs: u32) -> Self {
        self.runs = runs;
        self
    }

    /// Sets the seed of the random number generator.
    #[must_use]
    pub fn rng_seed(mut self, rng_seed: u64) -> Self {
        self.rng_seed = rng_seed;
        self
    }
}

/// The expected spread of `seeds` under the independent cascade, by
/// `options.runs` seeded Monte Carlo runs along the direction of influence
/// ([`Direction::Outgoing`]).
///
/// # Errors
///
/// [`DiffusionError::NotAProbability`] for a weight above 1,
/// [`DiffusionError::UnknownNode`] for a seed outside the graph,
/// [`DiffusionError::TooFewRuns`] for fewer than two runs.
///
/// # Complexity
///
/// O(runs × the edges leaving the activated nodes) time, O(V) memory.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{simulate_spread, EdgeKind, GraphBuilder, MonteCarloOptions, NodeIndex};
///
/// // a → b with probability 1/2: the expected spread of {a} is 1.5.
/// let [a, b] = [0, 1].map(NodeIndex::new);
/// let mut builder = GraphBuilder::new(2);
/// builder.add_edge(a, b, EdgeKind::Follows, 0.5)?;
/// let spread = simulate_spread(&builder.build()?, &[a], MonteCarloOptions::new().runs(10_000).rng_seed(7))?;
/// assert!(spread.low < 1.5 && 1.5 < spread.high);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn simulate_spread(
    graph: &Graph,
    seeds: &[NodeIndex],
    options: MonteCarloOptions,
) -> Result<Spread, DiffusionError> {
    let MonteCarloOptions { runs, rng_seed: seed } = options;
    check_probabilities(graph)?;
    check_seeds(graph, seeds)?;
    if runs < 2 {
        return Err(DiffusionError::TooFewRuns { runs });
    }
    let (offsets, targets) = graph.adjacency(Direction::Outgoing);
    let weights = graph.entry_weights(Direction::Outgoing);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut marks = vec![0u32; graph.node_count()];
    let mut queue = Vec::new();
    let (mut sum, mut sum_sq) = (0.0, 0.0);
    for run in 1..=runs {
        queue.clear();
        for s in seeds {
            if marks[s.index()] != run {
                marks[s.index()] = run;
                queue.push(s.index() as u32);
            }
        }
        let mut head = 0;
        while head < queue.len() {
            let u = queue[head] as usize;
            head += 1;
            for e in span(offsets, u) {
                let v = targets[e] as usize;
                if marks[v] != run && rng.random::<f64>() < weights[e] {
                    marks[v] = run;
                    queue.push(v as u32);
                }
            }
        }
        let spread = queue.len() as f64;
        sum += spread;
        sum_sq += spread * spread;
    }
    let r = f64::from(runs);
    let mean = sum / r;
    let variance = ((sum_sq - r * mean * mean) / (r - 1.0)).max(0.0);
    let std_error = (variance / r).sqrt();
    Ok(Spread { runs, mean, std_error, low: mean - 1.96 * std_error, high: mean + 1.96 * std_error })
}

/// `samples` live-edge worlds of a graph drawn once with a seed, so that
/// every spread estimated on them uses the same randomness (what makes
/// greedy and CELF comparable, and the estimated spread monotone and
/// submodular).
///
/// World r keeps each edge independently with its weight as probability;
/// the spread of a seed set in a world is the number of nodes the seeds
/// reach along kept edges, seeds included; the estimate is the mean over
/// worlds.
///
/// # Complexity
///
/// O(samples × E) time to draw; samples × (E + V) bits of memory.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{celf, EdgeKind, GraphBuilder, LiveEdgeSamples, NodeIndex};
///
/// // a reaches b and c for sure; d reaches nobody.
/// let [a, b, c, d] = [0, 1, 2, 3].map(NodeIndex::new);
/// let mut builder = GraphBuilder::new(4);
/// builder.add_edge(a, b, EdgeKind::Follows, 1.0)?;
/// builder.add_edge(a, c, EdgeKind::Follows, 1.0)?;
/// let graph = builder.build()?;
/// let samples = LiveEdgeSamples::new(&graph, 20, 1)?;
/// assert_eq!(samples.spread(&[a])?, 3.0);
/// let best = celf(&samples, 2)?;
/// assert_eq!(best.seeds, [a, d]);
/// assert_eq!(best.spread, 4.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LiveEdgeSamples<'g> {
    graph: &'g Graph,
    samples: u32,
    edge_words: usize,
    live: Vec<u64>,
}

impl<'g> LiveEdgeSamples<'g> {
    /// Draws `samples` worlds of `graph` from `seed`.
    ///
    /// # Errors
    ///
    /// [`DiffusionError::NotAProbability`] for a weight above 1,
    /// [`DiffusionError::TooFewRuns`] for fewer than two samples.
    pub fn new(graph: &'g Graph, samples: u32, seed: u64) -> Result<Self, DiffusionError> {
        check_probabilities(graph)?;
        if samples < 2 {
            return Err(DiffusionError::TooFewRuns { runs: samples });
        }
        let weights = graph.entry_weights(Direction::Outgoing);
        let edge_words = graph.edge_count().div_ceil(64);
        let mut live = vec![0u64; edge_words * samples as usize];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for world in live.chunks_mut(edge_words.max(1)).take(samples as usize) {
            for (e, &p) in weights.iter().enumerate() {
                if rng.random::<f64>() < p {
                    world[e / 64] |= 1 << (e % 64);
                }
            }
        }
        Ok(LiveEdgeSamples { graph, samples, edge_words, live })
    }

    /// How many worlds.
    pub fn samples(&self) -> u32 {
        self.samples
    }

    /// The estimated expected spread of `seeds`, seeds included.
    ///
    /// # Errors
    ///
    /// [`DiffusionError::UnknownNode`] for a seed outside the graph.
    pub fn spread(&self, seeds: &[NodeIndex]) -> Result<f64, DiffusionError> {
        check_seeds(self.graph, seeds)?;
        let mut state = Coverage::new(self);
        let mut total = 0;
        for s in seeds {
            total += state.add(self, s.index() as u32);
        }
        Ok(total as f64 / f64::from(self.samples))
    }

    fn is_live(&self, world: usize, edge: usize) -> bool {
        self.live[world * self.edge_words + edge / 64] >> (edge % 64) & 1 == 1
    }
}

/// Which nodes the chosen seeds already reach in each world, and a scratch
/// search.
struct Coverage {
    node_words: usize,
    covered: Vec<u64>,
    marks: Vec<u32>,
    epoch: u32,
    stack: Vec<u32>,
}

impl Coverage {
    fn new(samples: &LiveEdgeSamples<'_>) -> Self {
        let n = samples.graph.node_count();
        let node_words = n.div_ceil(64);
        Coverage {
            node_words,
            covered: vec![0; node_words * samples.samples as usize],
            marks: vec![0; n],
            epoch: 0,
            stack: Vec::new(),
        }
    }

    fn is_covered(&self, world: usize, v: usize) -> bool {
        self.covered[world * self.node_words + v / 64] >> (v % 64) & 1 == 1
    }

    /// Nodes `v` reaches in `world` that are not covered yet; marks them
    /// covered when `commit`.
    fn search(&mut self, samples: &LiveEdgeSamples<'_>, world: usize, v: u32, commit: bool) -> u64 {
        if self.is_covered(world, v as usize) {
            return 0;
        }
        let (offsets, targets) = samples.graph.adjacency(Direction::Outgoing);
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.marks.fill(0);
            self.epoch = 1;
        }
        let epoch = self.epoch;
        self.stack.clear();
        self.stack.push(v);
        self.marks[v as usize] = epoch;
        let mut found = 0;
        while let Some(u) = self.stack.pop() {
            let u = u as usize;
            found += 1;
            if commit {
                self.covered[world * self.node_words + u / 64] |= 1 << (u % 64);
            }
            let range = span(offsets, u);
            for (e, &t) in range.clone().zip(&targets[range]) {
                let t = t as usize;
                if self.marks[t] != epoch && samples.is_live(world, e) && !self.is_covered(world, t) {
                    self.marks[t] = epoch;
                    self.stack.push(t as u32);
                }
            }
        }
        found
    }

    /// The marginal gain of `v`, summed over worlds.
    fn gain(&mut self, samples: &LiveEdgeSamples<'_>, v: u32) -> u64 {
        (0..samples.samples as usize).map(|w| self.search(samples, w, v, false)).sum()
    }

    /// Adds `v` to the seeds; returns its gain summed over worlds.
    fn add(&mut self, samples: &LiveEdgeSamples<'_>, v: u32) -> u64 {
        (0..samples.samples as usize).map(|w| self.search(samples, w, v, true)).sum()
    }
}

/// The seeds chosen by [`celf`] or [`greedy`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// The seeds, in the order chosen.
    pub seeds: Vec<NodeIndex>,
    /// The estimated marginal gain of each seed when it was chosen.
    pub gains: Vec<f64>,
    /// The estimated expected spread of all the seeds (the sum of gains).
    pub spread: f64,
    /// How many marginal gains were evaluated.
    pub evaluations: u64,
}

fn check_k(samples: &LiveEdgeSamples<'_>, k: usize) -> Result<(), DiffusionError> {
    let node_count = samples.graph.node_count();
    if k > node_count {
        return Err(DiffusionError::TooManySeeds { k, node_count });
    }
    Ok(())
}

/// Influence maximisation by lazy greedy (CELF, Leskovec et al. 2007): the
/// `k` nodes that together reach most, each chosen for the largest marginal
/// gain in estimated spread on the shared `samples`.
///
/// Because the estimate is submodular, a gain computed in an earlier round
/// bounds the current one; CELF re-evaluates only the node on top of a
/// max-heap of such bounds, until the top is current. It chooses exactly what
/// [`greedy`] chooses (ties go to the lower index in both), usually after far
/// fewer evaluations, and the greedy spread is within a factor 1 − 1/e of
/// the best possible on the samples.
///
/// # Errors
///
/// [`DiffusionError::TooManySeeds`] when `k` exceeds the node count.
///
/// # Complexity
///
/// O(V log V + evaluations × samples × the edges one search walks); memory
/// O(samples × V / 8) bytes for the coverage bitsets.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{
///     celf, greedy, EdgeKind, GraphBuilder, LiveEdgeSamples, NodeIndex, Selection,
/// };
///
/// // Two hubs: 0 tells 1..=4, 5 tells 6..=7, each with probability 0.8.
/// let mut builder = GraphBuilder::new(8);
/// for (hub, follower) in [(0, 1), (0, 2), (0, 3), (0, 4), (5, 6), (5, 7)] {
///     builder.add_edge(NodeIndex::new(hub), NodeIndex::new(follower), EdgeKind::Follows, 0.8)?;
/// }
/// let graph = builder.build()?;
/// let samples = LiveEdgeSamples::new(&graph, 200, 42)?;
/// let lazy = celf(&samples, 2)?;
/// assert_eq!(lazy.seeds, [NodeIndex::new(0), NodeIndex::new(5)]);
/// assert_eq!(lazy, Selection { evaluations: lazy.evaluations, ..greedy(&samples, 2)? });
/// assert!(lazy.evaluations < greedy(&samples, 2)?.evaluations);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn celf(samples: &LiveEdgeSamples<'_>, k: usize) -> Result<Selection, DiffusionError> {
    check_k(samples, k)?;
    let mut state = Coverage::new(samples);
    let r = f64::from(samples.samples);
    let mut evaluations = 0;
    // (gain bound, lower index first, round it was computed in)
    let mut heap: BinaryHeap<(u64, Reverse<u32>, usize)> = BinaryHeap::new();
    for v in 0..samples.graph.node_count() as u32 {
        heap.push((state.gain(samples, v), Reverse(v), 0));
        evaluations += 1;
    }
    let mut selection = Selection { seeds: Vec::new(), gains: Vec::new(), spread: 0.0, evaluations: 0 };
    while selection.seeds.len() < k {
        let Some((gain, Reverse(v), round)) = heap.pop() else { break };
        if round == selection.seeds.len() {
            state.add(samples, v);
            selection.seeds.push(NodeIndex::new(v as usize));
            selection.gains.push(gain as f64 / r);
        } else {
            heap.push((state.gain(samples, v), Reverse(v), selection.seeds.len()));
            evaluations += 1;
        }
    }
    selection.spread = selection.gains.iter().sum();
    selection.evaluations = evaluations;
    Ok(selection)
}

/// Plain greedy influence maximisation: each round evaluates every node's
/// marginal gain on the shared `samples` and takes the largest (ties to the
/// lower index). The reference for [`celf`], which it equals.
///
/// # Errors
///
/// [`DiffusionError::TooManySeeds`] when `k` exceeds the node count.
///
/// # Complexity
///
/// O(k × V × samples × the edges one search walks).
pub fn greedy(samples: &LiveEdgeSamples<'_>, k: usize) -> Result<Selection, DiffusionError> {
    check_k(samples, k)?;
    let mut state = Coverage::new(samples);
    let r = f64::from(samples.samples);
    let mut chosen = vec![false; samples.graph.node_count()];
    let mut selection = Selection { seeds: Vec::new(), gains: Vec::new(), spread: 0.0, evaluations: 0 };
    for _ in 0..k {
        let mut best: Option<(u64, u32)> = None;
        for v in 0..chosen.len() as u32 {
            if chosen[v as usize] {
                continue;
            }
            let gain = state.gain(samples, v);
            selection.evaluations += 1;
            if best.is_none_or(|(g, _)| gain > g) {
                best = Some((gain, v));
            }
        }
        let Some((gain, v)) = best else { break };
        chosen[v as usize] = true;
        state.add(samples, v);
        selection.seeds.push(NodeIndex::new(v as usize));
        selection.gains.push(gain as f64 / r);
    }
    selection.spread = selection.gains.iter().sum();
    Ok(selection)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relationship::{EdgeKind, GraphBuilder};

    fn graph(n: usize, edges: &[(usize, usize, f64)]) -> Graph {
        let mut b = GraphBuilder::new(n);
        for &(s, t, w) in edges {
            b.add_edge(NodeIndex::new(s), NodeIndex::new(t), EdgeKind::Follows, w).unwrap();
        }
        b.build().unwrap()
    }

    /// A 6-node graph with 9 uncertain edges: 512 live-edge worlds.
    const SIX: [(usize, usize, f64); 9] = [
        (0, 1, 0.5),
        (0, 2, 0.3),
        (1, 3, 0.6),
        (2, 3, 0.4),
        (3, 4, 0.7),
        (4, 5, 0.2),
        (2, 5, 0.9),
        (5, 0, 0.25),
        (1, 2, 0.1),
    ];

    /// The exact mean and variance of the spread of `seeds`, by enumerating
    /// every live-edge world with its probability.
    fn exact(edges: &[(usize, usize, f64)], n: usize, seeds: &[usize]) -> (f64, f64) {
        let (mut mean, mut second) = (0.0, 0.0);
        for world in 0u32..1 << edges.len() {
            let mut p = 1.0;
            for (i, &(_, _, w)) in edges.iter().enumerate() {
                p *= if world >> i & 1 == 1 { w } else { 1.0 - w };
            }
            let mut active = vec![false; n];
            let mut stack: Vec<usize> = seeds.to_vec();
            for &s in seeds {
                active[s] = true;
            }
            while let Some(u) = stack.pop() {
                for (i, &(s, t, _)) in edges.iter().enumerate() {
                    if s == u && world >> i & 1 == 1 && !active[t] {
                        active[t] = true;
                        stack.push(t);
                    }
                }
            }
            let spread = active.iter().filter(|&&a| a).count() as f64;
            mean += p * spread;
            second += p * spread * spread;
        }
        (mean, second - mean * mean)
    }

    #[test]
    fn monte_carlo_agrees_with_exact_enumeration() {
        let g = graph(6, &SIX);
        for seeds in [&[0usize][..], &[2], &[1, 4]] {
            let (mu, var) = exact(&SIX, 6, seeds);
            let nodes: Vec<_> = seeds.iter().map(|&s| NodeIndex::new(s)).collect();
            let runs = 20_000;
            let spread = simulate_spread(&g, &nodes, MonteCarloOptions::new().runs(runs).rng_seed(42)).unwrap();
            let se = (var / f64::from(runs)).sqrt();
            assert!((spread.mean - mu).abs() < 4.0 * se, "{spread:?} vs {mu}");
            assert!(spread.low < mu && mu < spread.high, "{spread:?} vs {mu}");
            assert!((spread.std_error / se - 1.0).abs() < 0.05, "{} vs {se}", spread.std_error);
            assert!((spread.high - spread.low - 2.0 * 1.96 * spread.std_error).abs() < 1e-12);
            // The live-edge estimate converges to the same value.
            let samples = LiveEdgeSamples::new(&g, 20_000, 9).unwrap();
            assert!((samples.spread(&nodes).unwrap() - mu).abs() < 4.0 * se);
        }
    }

    #[test]
    fn interval_covers_the_exact_spread_about_95_percent_of_the_time() {
        let g = graph(6, &SIX);
        let (mu, _) = exact(&SIX, 6, &[0]);
        let trials = 400;
        let covered = (0..trials)
            .map(|s| simulate_spread(&g, &[NodeIndex::new(0)], MonteCarloOptions::new().runs(200).rng_seed(s)).unwrap())
            .filter(|s| s.low <= mu && mu <= s.high)
            .count();
        let rate = covered as f64 / f64::from(trials as u32);
        assert!((0.91..=0.985).contains(&rate), "{rate}");
    }

    #[test]
    fn same_seed_same_simulation() {
        let g = graph(6, &SIX);
        let a = simulate_spread(&g, &[NodeIndex::new(0)], MonteCarloOptions::new().runs(500).rng_seed(3)).unwrap();
        assert_eq!(
            a,
            simulate_spread(&g, &[NodeIndex::new(0)], MonteCarloOptions::new().runs(500).rng_seed(3)).unwrap()
        );
        assert_ne!(
            a,
            simulate_spread(&g, &[NodeIndex::new(0)], MonteCarloOptions::new().runs(500).rng_seed(4)).unwrap()
        );
        let s1 = LiveEdgeSamples::new(&g, 50, 3).unwrap();
        let s2 = LiveEdgeSamples::new(&g, 50, 3).unwrap();
        assert_eq!(s1.live, s2.live);
    }

    #[test]
    fn celf_equals_greedy_on_shared_samples() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..20 {
            let n = rng.random_range(2..12usize);
            let m = rng.random_range(0..30usize);
            let edges: Vec<_> = (0..m)
                .map(|_| (rng.random_range(0..n), rng.random_range(0..n), rng.random::<f64>()))
                .filter(|(s, t, _)| s != t)
                .collect();
            let g = graph(n, &edges);
            let samples = LiveEdgeSamples::new(&g, 40, rng.random()).unwrap();
            let k = rng.random_range(0..=n);
            let lazy = celf(&samples, k).unwrap();
            let plain = greedy(&samples, k).unwrap();
            assert_eq!(lazy.seeds, plain.seeds);
            assert_eq!(lazy.gains, plain.gains);
            assert!(lazy.evaluations <= plain.evaluations + n as u64);
            assert!((samples.spread(&lazy.seeds).unwrap() - lazy.spread).abs() < 1e-9);
            assert!(lazy.gains.windows(2).all(|w| w[0] >= w[1]));
        }
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let g = graph(2, &[(0, 1, 1.5)]);
        assert!(matches!(
            simulate_spread(&g, &[], MonteCarloOptions::new().runs(10).rng_seed(0)),
            Err(DiffusionError::NotAProbability { .. })
        ));
        let g = graph(2, &[(0, 1, 0.5)]);
        assert_eq!(
            simulate_spread(&g, &[NodeIndex::new(2)], MonteCarloOptions::new().runs(10).rng_seed(0)),
            Err(DiffusionError::UnknownNode { node: NodeIndex::new(2), node_count: 2 })
        );
        assert_eq!(
            simulate_spread(&g, &[], MonteCarloOptions::new().runs(1).rng_seed(0)),
            Err(DiffusionError::TooFewRuns { runs: 1 })
        );
        let samples = LiveEdgeSamples::new(&g, 2, 0).unwrap();
        assert_eq!(celf(&samples, 3), Err(DiffusionError::TooManySeeds { k: 3, node_count: 2 }));
        assert!(
            simulate_spread(&g, &[], MonteCarloOptions::new().runs(10).rng_seed(0)).unwrap().mean.abs() < f64::EPSILON
        );
    }
}
