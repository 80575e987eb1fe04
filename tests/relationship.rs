//! Integration tests of `customer_lifecycle::relationship`.

use customer_lifecycle::relationship::{
    Direction, EdgeKind, Graph, GraphBuilder, NodeIndex, PageRankOptions, ReachCounter, pagerank,
    personalized_pagerank, reach_counts,
};
use proptest::prelude::*;

#[cfg(feature = "csv")]
#[path = "../examples/influence.rs"]
#[allow(dead_code)]
mod influence_example;

fn graph(n: usize, edges: &[(usize, usize, f64)]) -> Graph {
    let mut b = GraphBuilder::new(n).allow_self_loops(true);
    for &(s, t, w) in edges {
        b.add_edge(NodeIndex::new(s), NodeIndex::new(t), EdgeKind::Follows, w).unwrap();
    }
    b.build().unwrap()
}

fn arb_graph() -> impl Strategy<Value = Graph> {
    (1usize..12).prop_flat_map(|n| {
        prop::collection::vec((0..n, 0..n, prop_oneof![Just(0.0), Just(1.0), 0.0f64..5.0]), 0..40)
            .prop_map(move |edges| graph(n, &edges))
    })
}

proptest! {
    #[test]
    fn pagerank_is_a_distribution(g in arb_graph(), incoming in any::<bool>(), restart in 0usize..12) {
        let flow = if incoming { Direction::Incoming } else { Direction::Outgoing };
        let options = PageRankOptions { flow, tolerance: 1e-13, ..PageRankOptions::default() };
        let rank = if restart < g.node_count() {
            personalized_pagerank(&g, &options, &[(NodeIndex::new(restart), 1.0)]).unwrap()
        } else {
            pagerank(&g, &options).unwrap()
        };
        prop_assert!((rank.scores().iter().sum::<f64>() - 1.0).abs() < 1e-12);
        prop_assert!(rank.scores().iter().all(|&s| s >= 0.0));
    }

    #[test]
    fn reach_is_monotone_in_hops_and_seeds(g in arb_graph(), seeds in prop::collection::vec(0usize..12, 0..4)) {
        let seeds: Vec<_> = seeds.into_iter().filter(|&s| s < g.node_count()).map(NodeIndex::new).collect();
        let mut reach = ReachCounter::new(&g, Direction::Outgoing);
        let distinct = seeds.iter().collect::<std::collections::BTreeSet<_>>().len();
        let mut last = 0;
        for k in 0..6 {
            let now = reach.count(&seeds, k).unwrap();
            prop_assert!(now >= last);
            prop_assert!(now + distinct <= g.node_count());
            last = now;
        }
        // The union reaches at least as far as each member, less the other seeds.
        let per = reach_counts(&g, 2, Direction::Outgoing);
        let union = reach.count(&seeds, 2).unwrap();
        for s in &seeds {
            prop_assert!(union + seeds.len() > per[s.index()] as usize);
        }
    }
}

proptest! {
    #[test]
    fn builder_keeps_the_last_of_each_duplicate(
        n in 1usize..10,
        raw in prop::collection::vec((0usize..10, 0usize..10, 0u16..3, 0.0f64..4.0), 0..60),
    ) {
        let mut expected = std::collections::BTreeMap::new();
        let mut b = GraphBuilder::new(n).allow_self_loops(true);
        for (s, t, k, w) in raw.into_iter().filter(|&(s, t, _, _)| s < n && t < n) {
            let kind = [EdgeKind::Friend, EdgeKind::Follows, EdgeKind::Other(7)][k as usize];
            b.add_edge(NodeIndex::new(s), NodeIndex::new(t), kind, w).unwrap();
            expected.insert((s, t, kind), w);
        }
        let g = b.build().unwrap();
        let got: std::collections::BTreeMap<_, _> =
            g.edges().map(|e| ((e.source.index(), e.target.index(), e.kind), e.weight)).collect();
        prop_assert_eq!(got.len(), g.edge_count());
        prop_assert_eq!(&got, &expected);
        // The reverse index lists the same edges.
        let mut incoming: Vec<_> = g.nodes().flat_map(|v| g.neighbors(v, Direction::Incoming)).collect();
        let mut outgoing: Vec<_> = g.edges().collect();
        let key = |e: &customer_lifecycle::relationship::EdgeRef| (e.source, e.target, e.kind);
        incoming.sort_by_key(key);
        outgoing.sort_by_key(key);
        prop_assert_eq!(incoming, outgoing);
    }

    #[test]
    fn reach_counts_match_a_naive_search(g in arb_graph(), hops in 0u32..4) {
        let n = g.node_count();
        let counts = reach_counts(&g, hops, Direction::Outgoing);
        for start in 0..n {
            let mut seen = vec![false; n];
            seen[start] = true;
            let mut frontier = vec![start];
            for _ in 0..hops {
                let mut next = Vec::new();
                for &u in &frontier {
                    for e in g.neighbors(NodeIndex::new(u), Direction::Outgoing) {
                        if !seen[e.target.index()] {
                            seen[e.target.index()] = true;
                            next.push(e.target.index());
                        }
                    }
                }
                frontier = next;
            }
            let naive = seen.iter().filter(|&&s| s).count() - 1;
            prop_assert_eq!(counts[start] as usize, naive);
        }
    }
}

#[test]
fn pagerank_on_a_cycle_with_a_tail_matches_hand_computation() {
    // 0 → 1 → 2 → 0 and 3 → 0. Node 3 gets only the restart share.
    let g = graph(4, &[(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0), (3, 0, 1.0)]);
    let rank = pagerank(&g, &PageRankOptions { tolerance: 1e-15, ..PageRankOptions::default() }).unwrap();
    let r = 0.15 / 4.0;
    // x0 = r + d(x2 + r), x1 = r + d x0, x2 = r + d x1
    let d: f64 = 0.85;
    let x0 = (r + d * (r + d * r) + d * r) / (1.0 - d * d * d);
    let x1 = r + d * x0;
    let x2 = r + d * x1;
    for (got, want) in rank.scores().iter().zip([x0, x1, x2, r]) {
        assert!((got - want).abs() < 1e-13, "{got} vs {want}");
    }
}

#[cfg(feature = "csv")]
mod example {
    use super::influence_example::report;

    fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(&report(text.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn report_follows_the_contract() {
        // a → b → c → a, c → c (self-loop), d → a with weight 0 (dangling).
        let out = json("source,target,weight\na,b,5\nb,c,\nc,a,2\nc,c,2\nd,a,0\na,b,1\n");
        let reach = &out["reach_2"];
        assert_eq!(reach, &serde_json::json!({"a": 2, "b": 2, "c": 2, "d": 2}));
        let pr = out["pagerank"].as_object().unwrap();
        assert_eq!(pr.len(), 4);
        let total: f64 = pr.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-12);
        // d is dangling and nobody points at it: x_d = (1-d)/N / (1 - d/N).
        let xd = 0.0375 / (1.0 - 0.85 / 4.0);
        assert!((pr["d"].as_f64().unwrap() - xd).abs() < 1e-15);
    }

    #[test]
    fn ids_are_echoed_and_floats_round_trip() {
        let text = report("source,target\n\"x,1\",ü \n ü ,\"x,1\"\n".as_bytes()).unwrap();
        let out: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<_> = out["reach_2"].as_object().unwrap().keys().cloned().collect();
        assert!(keys.contains(&"x,1".to_string()) && keys.contains(&"ü ".to_string()));
        assert!(keys.contains(&" ü ".to_string()));
        for v in out["pagerank"].as_object().unwrap().values() {
            let f = v.as_f64().unwrap();
            assert_eq!(serde_json::to_string(&f).unwrap().parse::<f64>().unwrap().to_bits(), f.to_bits());
        }
        for empty in ["source,target\n", "follower_id,followed_id,weight", "\u{feff}follower,followed\n\n"] {
            assert_eq!(report(empty.as_bytes()).unwrap(), r#"{"pagerank":{},"reach_2":{}}"#, "{empty:?}");
        }
    }

    #[test]
    fn bad_weights_name_the_line() {
        for (text, line) in [
            ("source,target,weight\na,b,1\nb,c,-1\n", 3),
            ("follower,followed,weight\na,b,inf\n", 2),
            ("weight,followed_id,follower_id\n\nx,a,b\n", 3),
        ] {
            let err = report(text.as_bytes()).unwrap_err().to_string();
            assert!(err.starts_with(&format!("line {line}:")), "{err}");
            assert!(!err.contains('\n'));
        }
    }
}

/// The `influence` example and `read_edge_list` against networkx
/// (`scripts/influence_networkx.py` wrote the fixture): PageRank within
/// 1e-9, reach exactly, nodes in order of first appearance.
#[cfg(feature = "csv")]
mod networkx {
    use super::influence_example::report;
    use customer_lifecycle::relationship::{EdgeListHeader, PageRankOptions, pagerank, reach_counts, read_edge_list};
    use serde_json::Value;

    fn cases() -> Vec<Value> {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/influence_networkx.json"))
            .unwrap();
        let fixture: Value = serde_json::from_str(&text).unwrap();
        fixture["cases"].as_array().unwrap().clone()
    }

    fn check(name: &str, pagerank: &Value, reach: &Value, want: &Value) {
        let (want_rank, want_reach) = (want["pagerank"].as_object().unwrap(), want["reach_2"].as_object().unwrap());
        assert_eq!(pagerank.as_object().unwrap().len(), want_rank.len(), "{name}");
        for (key, value) in want_rank {
            let got = pagerank[key].as_f64().unwrap_or_else(|| panic!("{name}: no rank for {key:?}"));
            let diff = (got - value.as_f64().unwrap()).abs();
            assert!(diff < 1e-9, "{name}: pagerank of {key:?} is {got}, networkx says {value}");
        }
        assert_eq!(reach.as_object().unwrap(), want_reach, "{name}");
    }

    #[test]
    fn the_example_matches_networkx() {
        let cases = cases();
        assert!(cases.len() >= 10);
        for case in &cases {
            let name = case["name"].as_str().unwrap();
            let text = report(case["csv"].as_str().unwrap().as_bytes()).unwrap();
            let out: Value = serde_json::from_str(&text).unwrap();
            check(name, &out["pagerank"], &out["reach_2"], case);
            // Keys in order of first appearance, in both objects.
            let nodes: Vec<String> =
                case["nodes"].as_array().unwrap().iter().map(|n| serde_json::to_string(n).unwrap() + ":").collect();
            let split = text.find(r#""reach_2":"#).unwrap();
            for part in [&text[..split], &text[split..]] {
                let at: Vec<usize> = nodes.iter().map(|n| part.find(n.as_str()).unwrap()).collect();
                assert!(at.is_sorted(), "{name}: {text}");
            }
        }
    }

    #[test]
    fn the_library_matches_networkx() {
        for case in cases() {
            let name = case["name"].as_str().unwrap();
            let edges = read_edge_list(case["csv"].as_str().unwrap().as_bytes()).unwrap();
            let want = if name == "directed" { EdgeListHeader::SourceTarget } else { EdgeListHeader::Follows };
            assert_eq!(edges.header, want, "{name}");
            let keys = edges.network.keys();
            assert_eq!(keys, case["nodes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect::<Vec<_>>());
            let graph = edges.network.graph();
            let options = PageRankOptions {
                tolerance: 1e-12 * graph.node_count() as f64,
                flow: edges.header.rank_flow(),
                ..PageRankOptions::default()
            };
            let rank = pagerank(graph, &options).unwrap();
            let reach = reach_counts(graph, 2, edges.header.reach_direction());
            let by_key = |values: Vec<Value>| Value::Object(keys.iter().cloned().zip(values).collect());
            let rank = by_key(rank.scores().iter().map(|&x| x.into()).collect());
            let reach = by_key(reach.into_iter().map(Value::from).collect());
            check(name, &rank, &reach, &case);
        }
    }

    /// A `follower_id,followed_id` export read backwards made the top
    /// account's reach that of its least-followed one.
    #[test]
    fn column_order_does_not_matter() {
        let text = "follower_id,followed_id,weight\nbo,ana,1\ncy,ana,2\ndee,bo,\nana,eve,0.5\n";
        let swapped = "followed_id,follower_id,weight\nana,bo,1\nana,cy,2\nbo,dee,\neve,ana,0.5\n";
        let (a, b) = (report(text.as_bytes()).unwrap(), report(swapped.as_bytes()).unwrap());
        let (a, b): (Value, Value) = (serde_json::from_str(&a).unwrap(), serde_json::from_str(&b).unwrap());
        assert_eq!(a["reach_2"], b["reach_2"]);
        assert_eq!(a["reach_2"], serde_json::json!({"bo": 1, "ana": 3, "cy": 0, "dee": 0, "eve": 3}));
        for key in ["ana", "bo", "cy", "dee", "eve"] {
            assert!((a["pagerank"][key].as_f64().unwrap() - b["pagerank"][key].as_f64().unwrap()).abs() < 1e-15);
        }
        // Node numbering follows the file's columns: ana comes first when its column does.
        assert!(b.to_string().find("\"ana\"").unwrap() < b.to_string().find("\"bo\"").unwrap());
        let edges = read_edge_list(swapped.as_bytes()).unwrap();
        assert_eq!(edges.network.keys(), ["ana", "bo", "cy", "dee", "eve"]);
        let edges = read_edge_list(text.as_bytes()).unwrap();
        assert_eq!(edges.network.keys(), ["bo", "ana", "cy", "dee", "eve"]);
    }
}

mod from_base {
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};
    use customer_lifecycle::relationship::{
        Direction, EdgeKind, EdgeWeights, GraphError, LiveEdgeSamples, MonteCarloOptions, Network, PageRankOptions,
        ReachCounter, celf, pagerank, simulate_spread,
    };
    use customer_lifecycle::{Channel, CustomerBase, CustomerId, Event, EventId, EventKind, NewCustomer, Policy};

    fn t(days: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + TimeDelta::days(days)
    }

    fn base() -> (CustomerBase, Vec<CustomerId>) {
        let mut base = CustomerBase::new(Policy::default());
        let ids: Vec<_> =
            (0..5).map(|i| base.add_customer(NewCustomer::with_key(format!("c{i}"), t(0))).unwrap()).collect();
        let mut n = 0;
        let mut apply = |customer: CustomerId, days: i64, kind: EventKind| {
            n += 1;
            let event =
                Event { id: EventId::from_key(&format!("e{n}")), customer, at: t(days), channel: Channel::Web, kind };
            base.apply(&event).unwrap();
        };
        // c1, c2, c3 follow c0; c4 follows c3 on day 20; c0 refers c4; c1 follows c0 twice.
        for (follower, day) in [(1, 1), (2, 1), (3, 2), (4, 20), (1, 3)] {
            let of = if follower == 4 { ids[3] } else { ids[0] };
            apply(ids[follower], day, EventKind::Follow { of: Some(of) });
        }
        apply(ids[0], 5, EventKind::Referral { invitee: ids[4] });
        (base, ids)
    }

    #[test]
    fn edges_point_the_way_word_travels() {
        let (base, ids) = base();
        let network = Network::from_base(&base, t(10), EdgeWeights::default()).unwrap();
        let g = network.graph();
        let node = |i: usize| network.node(&ids[i]).unwrap();
        assert_eq!(g.node_count(), 5);
        assert_eq!(g.edge_count(), 4, "the repeated follow is one edge; day 20 is after as_of");
        assert_eq!(g.edge_weight(node(0), node(1), EdgeKind::Follows), Some(1.0));
        assert_eq!(g.edge_weight(node(1), node(0), EdgeKind::Follows), None);
        assert_eq!(g.edge_weight(node(0), node(4), EdgeKind::ReferredBy), Some(1.0));

        let later = Network::from_base(&base, t(30), EdgeWeights::default()).unwrap();
        let mut reach = ReachCounter::new(later.graph(), Direction::Outgoing);
        assert_eq!(reach.count(&[node(0)], 1).unwrap(), 4);
        assert_eq!(reach.count(&[node(3)], 2).unwrap(), 1);

        // Endorsement: the followed rank highest.
        let options = PageRankOptions { flow: Direction::Incoming, ..PageRankOptions::default() };
        let rank = pagerank(later.graph(), &options).unwrap();
        assert_eq!(rank.top(2).iter().map(|(n, _)| *n).collect::<Vec<_>>(), [node(0), node(3)]);

        let bad = EdgeWeights { follows: -1.0, ..EdgeWeights::default() };
        assert!(matches!(Network::from_base(&base, t(30), bad), Err(GraphError::InvalidWeight { .. })));
    }

    #[test]
    fn diffusion_on_a_customer_graph() {
        let (base, ids) = base();
        let weights = EdgeWeights { follows: 0.5, referral: 0.25 };
        let network = Network::from_base(&base, t(30), weights).unwrap();
        let c0 = network.node(&ids[0]).unwrap();
        let spread = simulate_spread(network.graph(), &[c0], MonteCarloOptions::new().runs(4000).rng_seed(5)).unwrap();
        // c1, c2, c3 each with 1/2; c4 directly (1/4) or through c3 (1/2 · 1/2).
        let exact = 1.0 + 1.5 + (1.0 - 0.75 * 0.75);
        assert!(spread.low < exact && exact < spread.high, "{spread:?} vs {exact}");
        let samples = LiveEdgeSamples::new(network.graph(), 200, 5).unwrap();
        assert_eq!(celf(&samples, 1).unwrap().seeds, [c0]);
    }
}
