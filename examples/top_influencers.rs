//! Cookbook recipe: top influencers from a follow list.
//!
//! Reads `follower_id,followed_id` rows (by default the bundled
//! examples/data/follows.csv), ranks every account by PageRank along
//! endorsement (a follow endorses the followed), and prints the top five
//! with the people within two hops of them.
//!
//!     cargo run --example top_influencers [-- FILE.csv]

use std::error::Error;
use std::io::Write;
use std::path::Path;

use customer_lifecycle::relationship::{PageRankOptions, pagerank, reach_counts, read_edge_list};

fn main() -> Result<(), Box<dyn Error>> {
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/follows.csv");
    let path = std::env::args().nth(1).unwrap_or_else(|| bundled.to_owned());
    run(Path::new(&path), &mut std::io::stdout().lock())
}

/// Writes the five most influential accounts of the follow list in `path`.
///
/// # Errors
///
/// When the file cannot be read or holds a bad line, when it is empty, or
/// when `out` cannot be written.
pub fn run(path: &Path, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // The header says what an edge means, and so which way rank flows.
    let edges = read_edge_list(std::io::BufReader::new(file))?;
    let graph = edges.network.graph();
    let options = PageRankOptions { flow: edges.header.rank_flow(), ..PageRankOptions::default() };
    let rank = pagerank(graph, &options)?;
    let reach = reach_counts(graph, 2, edges.header.reach_direction());

    writeln!(out, "account,pagerank,reach_2")?;
    for (node, score) in rank.top(5) {
        let key = edges.network.key(node).ok_or("a ranked node has a key")?;
        writeln!(out, "{key},{score:.4},{}", reach[node.index()])?;
    }
    Ok(())
}
