//! Data factories shared by the benches: power-law graphs, and unsorted
//! in-memory purchase and interaction logs of a given size, from fixed
//! seeds. Each bench uses some of them.

#![allow(dead_code)]

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

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use customer_lifecycle::score::Interaction;
use customer_lifecycle::{Channel, CustomerId, Money, event::EngagementAction};

/// `SplitMix64`: a small, fast, seeded generator; benches need spread, not
/// statistical quality.
pub struct Mix(u64);

impl Mix {
    pub fn new(seed: u64) -> Self {
        Mix(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn customer_ids(n: usize, mix: &mut Mix) -> Vec<CustomerId> {
    (0..n).map(|_| CustomerId::from_uuid(uuid::Uuid::from_u64_pair(mix.next(), mix.next()))).collect()
}

/// `n` purchases of `customers` customers (each at least once), over two
/// years, in random order.
pub fn transactions(customers: usize, n: usize, seed: u64) -> Vec<(CustomerId, NaiveDate, Money)> {
    let mut mix = Mix::new(seed);
    let ids = customer_ids(customers, &mut mix);
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let mut out: Vec<(CustomerId, NaiveDate, Money)> = (0..n)
        .map(|i| {
            let who = if i < customers { i } else { mix.below(customers as u64) as usize };
            let day = start + TimeDelta::days(mix.below(730) as i64);
            (ids[who], day, Money::from_minor(100 + mix.below(20_000) as i64))
        })
        .collect();
    shuffle(&mut out, &mut mix);
    out
}

/// `n` interactions of `customers` customers over a year, in random order.
pub fn interactions(customers: usize, n: usize, seed: u64) -> (Vec<Interaction>, DateTime<Utc>) {
    let mut mix = Mix::new(seed);
    let ids = customer_ids(customers, &mut mix);
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let out = (0..n)
        .map(|_| Interaction {
            customer: ids[mix.below(customers as u64) as usize],
            at: start + TimeDelta::seconds(mix.below(365 * 86_400) as i64),
            action: EngagementAction::ALL[mix.below(8) as usize],
            channel: Channel::NAMED[mix.below(10) as usize].clone(),
        })
        .collect();
    (out, start + TimeDelta::days(365))
}

fn shuffle<T>(items: &mut [T], mix: &mut Mix) {
    for i in (1..items.len()).rev() {
        let j = mix.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// On-CPU time of the measuring thread, from `/proc/thread-self/schedstat`
/// (Linux): what one core spends on the work, without the time spent
/// waiting while other processes share the machine. Chosen with
/// `BENCH_CLOCK=cpu`; the default is criterion's wall clock.
pub struct OnCpu;

fn on_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux schedstat");
    text.split_whitespace().next().and_then(|n| n.parse().ok()).expect("on-CPU nanoseconds")
}

impl criterion::measurement::Measurement for OnCpu {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        on_cpu_ns()
    }

    fn end(&self, start: u64) -> u64 {
        on_cpu_ns() - start
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        &NanosOnCpu
    }
}

struct NanosOnCpu;

impl criterion::measurement::ValueFormatter for NanosOnCpu {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e6 { (1e-3, "µs cpu") } else { (1e-6, "ms cpu") };
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(&self, _typical: f64, throughput: &criterion::Throughput, values: &mut [f64]) -> &'static str {
        let n = match throughput {
            criterion::Throughput::Elements(n) | criterion::Throughput::Bytes(n) => *n as f64,
            _ => 1.0,
        };
        for v in values {
            *v = n / (*v * 1e-9) / 1e6;
        }
        "Melem/s cpu"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// Runs `benches` with the clock `BENCH_CLOCK` names (`cpu` or the default
/// wall clock).
#[macro_export]
macro_rules! bench_main {
    ($($bench:path),+) => {
        fn main() {
            if std::env::var("BENCH_CLOCK").as_deref() == Ok("cpu") {
                let mut c = criterion::Criterion::default().with_measurement(common::OnCpu).configure_from_args();
                $($bench(&mut c);)+
                c.final_summary();
            } else {
                let mut c = criterion::Criterion::default().configure_from_args();
                $($bench(&mut c);)+
                c.final_summary();
            }
        }
    };
}
