//! Influence rank and 2-hop reach of every node of an edge list.
//!
//! ```text
//! cargo run --release --example influence -- --edges FILE.csv
//! ```
//!
//! `FILE.csv` has a header line naming its columns (trimmed, case-sensitive,
//! in any order, other columns ignored): `follower,followed` or
//! `follower_id,followed_id` for a follow graph, or `source,target` for
//! plain directed edges, with an optional `weight` (empty or missing: 1);
//! ids are any strings. Prints one JSON object,
//! `{"pagerank": {"<id>": score, …}, "reach_2": {"<id>": n, …}}`, nodes in
//! order of first appearance (each row's two ids read in column order).
//! With a follow header, rank flows from the follower to the followed
//! (following is endorsement) and reach from the followed to the follower
//! (word travels to the followers); with `source,target`, both flow from
//! source to target. `pagerank` is weighted PageRank (damping 0.85,
//! dangling rank spread evenly, power iteration from uniform until the L1
//! change is below N·1e-12: networkx's `pagerank(alpha=0.85, tol=1e-12)`),
//! and `reach_2` the number of other nodes within two hops, weights
//! ignored. A bad header or weight stops the program with a one-line error
//! naming its line.

use std::error::Error;
use std::io::Read;

use customer_lifecycle::csv::EdgeListCsv;
use customer_lifecycle::relationship::{Network, PageRankOptions, pagerank, reach_counts};
use serde::ser::{SerializeMap, Serializer};

#[path = "support/output.rs"]
mod output;

fn main() {
    if let Err(e) = run() {
        output::fail(e, 1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [flag, path] = args.as_slice() else { return Err("usage: influence --edges FILE.csv".into()) };
    if flag != "--edges" {
        return Err("usage: influence --edges FILE.csv".into());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let json = report(std::io::BufReader::new(file))?;
    output::print_line(&json).map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(())
}

/// Reads an edge list and returns the JSON report.
///
/// # Errors
///
/// A bad edge list (the message names the line), or a PageRank run that
/// does not converge.
pub fn report(input: impl Read) -> Result<String, Box<dyn Error>> {
    let edges = EdgeListCsv::new().from_reader(input)?;
    let (network, header) = (&edges.network, edges.header);
    let graph = network.graph();
    let options = PageRankOptions {
        damping: 0.85,
        tolerance: graph.node_count() as f64 * 1e-12,
        max_iterations: 100_000,
        flow: header.rank_flow(),
    };
    let rank = if graph.node_count() == 0 { Vec::new() } else { pagerank(graph, &options)?.into_scores() };
    let reach = reach_counts(graph, 2, header.reach_direction());
    Ok(render(network, &rank, &reach)?)
}

/// Writes `{"pagerank": {…}, "reach_2": {…}}` with nodes in index order;
/// `serde_json` prints each f64 in its shortest round-trip form.
fn render(network: &Network<String>, rank: &[f64], reach: &[u32]) -> serde_json::Result<String> {
    struct Column<'a, T>(&'a [String], &'a [T]);
    impl<T: serde::Serialize> serde::Serialize for Column<'_, T> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (key, value) in self.0.iter().zip(self.1) {
                map.serialize_entry(key, value)?;
            }
            map.end()
        }
    }
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::new(&mut out);
    let mut map = ser.serialize_map(Some(2))?;
    map.serialize_entry("pagerank", &Column(network.keys(), rank))?;
    map.serialize_entry("reach_2", &Column(network.keys(), reach))?;
    map.end()?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}
