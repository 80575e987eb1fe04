//! Evaluating segments over a million customers with precomputed features.
//!
//! ```text
//! cargo bench --bench segment
//! ```

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use customer_lifecycle::segment::{FeatureTable, Segment};

const ROWS: usize = 1_000_000;

/// A deterministic xorshift stream: the bench needs varied data, not good randomness.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn table() -> FeatureTable {
    let mut s = Stream(0x9e37_79b9_7f4a_7c15);
    let mut t = FeatureTable::new((0..ROWS).map(|i| format!("c{i}")).collect());
    for (name, scale, missing) in [
        ("recency_days", 700.0, 0.3),
        ("frequency", 40.0, 0.0),
        ("monetary", 3_000.0, 0.0),
        ("tenure_days", 730.0, 0.0),
        ("engagement", 100.0, 0.1),
        ("p_alive", 1.0, 0.3),
        ("clv", 2_000.0, 0.3),
        ("influence_rank_pct", 1.0, 0.0),
    ] {
        let values =
            (0..ROWS).map(|_| if s.next() < missing { None } else { Some((s.next() * scale).floor()) }).collect();
        t.add_numbers(name, values, true).expect("fresh column");
    }
    let stages = ["prospect", "new", "satisfied", "repeat", "loyal", "evangelist", "dormant", "churned"];
    let regions = ["north", "south", "east", "west"];
    let nps = ["promoter", "passive", "detractor"];
    for (name, choices) in [("stage", &stages[..]), ("region", &regions[..]), ("nps_category", &nps[..])] {
        let values = (0..ROWS).map(|_| Some(choices[(s.next() * choices.len() as f64) as usize].to_owned())).collect();
        t.add_texts(name, values, true).expect("fresh column");
    }
    t.set_profiling_withheld((0..ROWS).filter(|i| i % 37 == 0));
    t
}

const SEGMENTS: &str = r#"[
  {"name": "s1", "where": {"field": "stage", "eq": "loyal"}},
  {"name": "s2", "where": {"field": "recency_days", "gt": 60}},
  {"name": "s3", "where": {"all": [{"field": "stage", "in": ["loyal", "evangelist"]}, {"field": "recency_days", "gt": 60}, {"not": {"field": "frequency", "lt": 3}}]}},
  {"name": "s4", "where": {"any": [{"field": "p_alive", "lt": 0.3}, {"field": "stage", "eq": "dormant"}]}},
  {"name": "s5", "where": {"field": "monetary", "between": [500, 1500]}},
  {"name": "s6", "where": {"all": [{"field": "region", "eq": "north"}, {"field": "nps_category", "eq": "promoter"}]}},
  {"name": "s7", "where": {"not": {"field": "region", "in": ["north", "south"]}}},
  {"name": "s8", "where": {"all": [{"field": "clv", "ge": 1000}, {"field": "influence_rank_pct", "ge": 0.9}]}},
  {"name": "s9", "where": {"any": [{"field": "engagement", "ge": 80}, {"field": "frequency", "ge": 30}, {"field": "monetary", "ge": 2800}]}},
  {"name": "s10", "where": {"field": "tenure_days", "le": 90}},
  {"name": "s11", "where": {"all": [{"field": "stage", "eq": "prospect"}, {"field": "engagement", "gt": 50}]}},
  {"name": "s12", "where": {"field": "nps_category", "ne": "detractor"}},
  {"name": "s13", "where": {"all": [{"any": [{"field": "region", "eq": "east"}, {"field": "region", "eq": "west"}]}, {"not": {"field": "p_alive", "ge": 0.5}}]}},
  {"name": "s14", "where": {"field": "frequency", "in": [1, 2, 3]}},
  {"name": "s15", "where": {"all": [{"field": "stage", "in": ["new", "satisfied"]}, {"field": "tenure_days", "gt": 180}]}},
  {"name": "s16", "where": {"any": [{"all": [{"field": "recency_days", "lt": 30}, {"field": "frequency", "ge": 10}]}, {"all": [{"field": "clv", "gt": 1500}, {"field": "p_alive", "gt": 0.8}]}]}},
  {"name": "s17", "where": {"not": {"any": [{"field": "stage", "eq": "churned"}, {"field": "recency_days", "gt": 365}]}}},
  {"name": "s18", "where": {"field": "engagement", "between": [10, 20]}},
  {"name": "s19", "where": {"all": [{"field": "nps_category", "eq": "passive"}, {"field": "monetary", "gt": 1000}, {"field": "region", "ne": "west"}]}},
  {"name": "s20", "where": {"all": [{"field": "stage", "eq": "evangelist"}, {"field": "influence_rank_pct", "ge": 0.5}, {"not": {"field": "recency_days", "gt": 90}}]}}
]"#;

fn evaluate(c: &mut Criterion) {
    let table = table();
    let segments = Segment::list_from_json(SEGMENTS).expect("valid definitions");
    let mut group = c.benchmark_group("segment");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("evaluate_20/1m", |b| b.iter(|| table.evaluate_all(&segments).expect("valid")));
    group.finish();
}

criterion_group!(benches, evaluate);
criterion_main!(benches);
