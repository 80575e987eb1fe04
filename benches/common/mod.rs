//! Data factories shared by the benches.

use customer_lifecycle::relationship::{EdgeKind, Graph, GraphBuilder, NodeIndex};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `edges` directed edges over `nodes` nodes with power-law degrees, the
/// same for the same seed.
///
/// Endpoints are drawn by rank, `⌊nodes · u^a⌋` for uniform `u`: sources with
/// a = 2 (out-degrees with a tail exponent of about 3), targets with a = 3
/// (in-degrees with a tail exponent of about 2.5, a few hubs followed by
/// many). Ranks are then mapped through a seeded random permutation, so hubs
/// are scattered over the index space as in real data rather than packed
/// at the front, where they would flatter the caches. Self-loops are
/// redrawn; duplicate pairs are left in (the builder keeps one).
pub fn power_law_edges(nodes: usize, edges: usize, seed: u64) -> Vec<(u32, u32)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut permutation: Vec<u32> = (0..nodes as u32).collect();
    for i in (1..nodes).rev() {
        let j = rng.random_range(0..=i);
        permutation.swap(i, j);
    }
    let rank = |u: f64, a: i32| ((nodes as f64 * u.powi(a)) as usize).min(nodes - 1);
    let mut out = Vec::with_capacity(edges);
    while out.len() < edges {
        let s = permutation[rank(rng.random::<f64>(), 2)];
        let t = permutation[rank(rng.random::<f64>(), 3)];
        if s != t {
            out.push((s, t));
        }
    }
    out
}

/// Builds the graph of `edges`, every weight 1.
pub fn build(nodes: usize, edges: &[(u32, u32)]) -> Graph {
    let mut builder = GraphBuilder::new(nodes);
    builder.reserve(edges.len());
    for &(s, t) in edges {
        builder
            .add_edge(NodeIndex::new(s as usize), NodeIndex::new(t as usize), EdgeKind::Follows, 1.0)
            .expect("generated edges are valid");
    }
    builder.build().expect("generated graph builds")
}
