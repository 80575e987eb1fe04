//! Benches of `customer_lifecycle::relationship` on generated power-law
//! graphs: 1,000,000 nodes with 10,000,000 edges drawn (`1m`) and 200,000
//! nodes with 1,300,000 edges drawn (`200k`).
//!
//! ```text
//! cargo bench --bench relationship -- --sample-size 10 --measurement-time 5 --warm-up-time 1
//! ```

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::relationship::{Direction, NodeIndex, PageRankOptions, ReachCounter, pagerank, reach_counts};

const SEED: u64 = 20_240_101;

fn size(c: &mut Criterion, label: &str, nodes: usize, edges: usize) {
    let list = common::power_law_edges(nodes, edges, SEED);
    let graph = common::build(nodes, &list);
    eprintln!(
        "relationship/{label}: {} nodes, {} edges after merging duplicates, {:.2} bytes per edge",
        graph.node_count(),
        graph.edge_count(),
        graph.heap_bytes() as f64 / graph.edge_count() as f64
    );
    let mut group = c.benchmark_group("relationship");
    group.sample_size(10);

    group.throughput(Throughput::Elements(edges as u64));
    group.bench_function(format!("build/{label}"), |b| b.iter(|| common::build(nodes, black_box(&list))));

    // To an absolute L1 change below 1e-6 (the target), and to N·1e-12 (what
    // networkx's default tolerance means, and the example's contract) where
    // that differs.
    group.throughput(Throughput::Elements(graph.edge_count() as u64));
    let contract = nodes as f64 * 1e-12;
    let mut runs = vec![("pagerank", 1e-6)];
    if (contract - 1e-6).abs() > 1e-18 {
        runs.push(("pagerank_n1e-12", contract));
    }
    for (name, tolerance) in runs {
        let options = PageRankOptions { tolerance, ..PageRankOptions::default() };
        let iterations = pagerank(&graph, &options).expect("converges").iterations();
        eprintln!("relationship/{name}/{label}: {iterations} iterations");
        group.bench_function(format!("{name}/{label}"), |b| b.iter(|| pagerank(black_box(&graph), &options)));
    }

    let seeds: Vec<NodeIndex> = (0..1000).map(|i| NodeIndex::new(i * (nodes / 1000))).collect();
    let mut reach = ReachCounter::new(&graph, Direction::Outgoing);
    eprintln!("relationship/reach2_union_1000/{label}: {} nodes reached", reach.count(&seeds, 2).unwrap());
    group.throughput(Throughput::Elements(1000));
    group.bench_function(format!("reach2_union_1000/{label}"), |b| {
        b.iter(|| reach.count(black_box(&seeds), 2).unwrap());
    });

    if nodes <= 200_000 {
        group.throughput(Throughput::Elements(nodes as u64));
        group.bench_function(format!("reach2_all/{label}"), |b| {
            b.iter(|| reach_counts(black_box(&graph), 2, Direction::Outgoing));
        });
    }
    group.finish();
}

fn relationship(c: &mut Criterion) {
    size(c, "200k", 200_000, 1_300_000);
    size(c, "1m", 1_000_000, 10_000_000);
}

criterion_group!(benches, relationship);
criterion_main!(benches);
