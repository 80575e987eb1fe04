//! Network value over a million customers with ten million relationships.
//!
//! ```text
//! cargo bench --bench advocacy -- --sample-size 10 --warm-up-time 1 --measurement-time 5
//! ```
//!
//! `advocacy/network_value/1m` times the value itself from its inputs (CLV,
//! realised revenue, referral forest, rank-based audience); the PageRank it
//! uses is measured by `relationship/pagerank/1m` and computed once here.
//! `advocacy/rank_audience/1m` times turning PageRank scores into audiences,
//! and `advocacy/cascade_audience/100k_graph_1k_customers` the
//! independent-cascade alternative: the expected spread of 1,000 customers
//! (every hundredth) on a 100,000-node graph, from 20 shared live-edge
//! samples. Each spread costs O(nodes × samples) there, so the cascade
//! audience of every customer of a large base is out of reach; the rank
//! approximation is the one to use at scale.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::CustomerId;
use customer_lifecycle::advocacy::{NetworkInputs, NetworkOptions, network_value, rank_audience};
use customer_lifecycle::relationship::{
    Direction, EdgeKind, GraphBuilder, LiveEdgeSamples, NodeIndex, PageRankOptions, pagerank,
};

const SEED: u64 = 7;

fn inputs(nodes: usize, audience: Vec<f64>) -> NetworkInputs {
    // A deterministic mix: one in five was referred by an earlier customer.
    let mix = |i: usize, m: u64| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) % m;
    NetworkInputs {
        customers: (0..nodes).map(|i| CustomerId::from_uuid(uuid_of(i))).collect(),
        own_value: (0..nodes).map(|i| mix(i, 500) as f64).collect(),
        realised: (0..nodes).map(|i| mix(i, 300) as f64).collect(),
        converted: (0..nodes).map(|i| mix(i, 3) > 0).collect(),
        referrer: (0..nodes).map(|i| (i > 0 && mix(i, 5) == 0).then(|| mix(i, i as u64) as u32)).collect(),
        audience,
        eligible: (0..nodes).map(|i| mix(i, 50) != 0).collect(),
        left_out: 0,
    }
}

fn uuid_of(i: usize) -> uuid::Uuid {
    uuid::Uuid::from_u64_pair(0x5eed, i as u64)
}

fn bench(c: &mut Criterion) {
    let nodes = 1_000_000;
    let graph = common::build(nodes, &common::power_law_edges(nodes, 10_000_000, SEED));
    let options = PageRankOptions { flow: Direction::Incoming, tolerance: 1e-6, ..PageRankOptions::default() };
    let rank = pagerank(&graph, &options).expect("converges");
    let data = inputs(nodes, rank_audience(rank.scores(), options.damping));
    let mut group = c.benchmark_group("advocacy");
    group.sample_size(10);
    group.throughput(Throughput::Elements(nodes as u64));
    group.bench_function("rank_audience/1m", |b| b.iter(|| rank_audience(black_box(rank.scores()), 0.85)));
    group
        .bench_function("network_value/1m", |b| b.iter(|| network_value(black_box(&data), &NetworkOptions::default())));

    let small = 100_000;
    let mut builder = GraphBuilder::new(small);
    for (s, t) in common::power_law_edges(small, 1_000_000, SEED) {
        // Activation probability 0.05 on every edge.
        builder
            .add_edge(NodeIndex::new(s as usize), NodeIndex::new(t as usize), EdgeKind::Follows, 0.05)
            .expect("valid edge");
    }
    let graph = builder.build().expect("valid graph");
    let sampled = 1_000;
    group.throughput(Throughput::Elements(sampled as u64));
    group.bench_function("cascade_audience/100k_graph_1k_customers", |b| {
        b.iter(|| {
            // 20 live-edge worlds shared by every customer.
            let samples = LiveEdgeSamples::new(
                &graph,
                customer_lifecycle::relationship::MonteCarloOptions::new().runs(20).rng_seed(SEED),
            )
            .expect("valid graph");
            let audience: Vec<f64> = (0..sampled)
                .map(|i| samples.spread(&[NodeIndex::new(i * (small / sampled))]).expect("node in graph") - 1.0)
                .collect();
            network_value(&inputs(sampled, audience), &NetworkOptions::default())
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
