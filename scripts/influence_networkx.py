"""Writes tests/data/influence_networkx.json: edge lists with networkx's
PageRank and 2-hop reach, the reference for the `influence` example and
`relationship::read_edge_list` (tests/relationship.rs).

Not part of `cargo test`: it needs Python 3 with networkx and scipy (3.6.1
and 1.17.1 were used), e.g. `pip install networkx scipy`. From the
repository's root:

    python3 scripts/influence_networkx.py > tests/data/influence_networkx.json

The contract it encodes (issue 12):

- `follower,followed` / `follower_id,followed_id`: `pagerank` is
  `nx.pagerank(G, alpha=0.85, tol=1e-12, weight="weight")` (with
  `max_iter=100_000`, as the example allows: 100 is too few for 1e-12) on edges
  follower -> followed; `reach_2[u]` counts the distinct v != u within two
  edges of u along followed -> follower (u's followers and theirs), weights
  ignored.
- `source,target`: both on edges source -> target, as given.

Weights: an empty or missing cell is 1; a repeated edge keeps the last
weight (a networkx DiGraph does the same); self-loops are kept. Node keys are
listed in order of first appearance, reading each row's id cells in the
file's column order.
"""

import csv
import io
import json
import random

import networkx as nx


def weight_cell(rng):
    roll = rng.random()
    if roll < 0.15:
        return ""
    if roll < 0.25:
        return "0"
    return repr(round(rng.uniform(0.01, 5.0), rng.choice([1, 2, 6])))


def random_edges(rng, nodes, edges):
    """(a, b, weight cell) rows over ids u0..u{nodes-1}, with repeats,
    self-loops and one id that needs quoting."""
    ids = [f"u{i}" for i in range(nodes)]
    ids[rng.randrange(nodes)] = "x,y"
    rows = []
    for _ in range(edges):
        a, b = rng.choice(ids), rng.choice(ids)
        if a == b and rng.random() < 0.7:
            continue
        rows.append((a, b, weight_cell(rng)))
    # A few repeats with a new weight: the last one counts.
    for a, b, _ in rng.sample(rows, min(3, len(rows))):
        rows.append((a, b, weight_cell(rng)))
    return rows


def write_csv(header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def expected(rows, header, pair):
    """rows are dicts by column name; pair is (rank source column, rank
    target column, reach source column, reach target column)."""
    rank_from, rank_to, reach_from, reach_to = pair
    id_columns = [c for c in header if c in (rank_from, rank_to)]
    order = []
    seen = set()
    rank_graph = nx.DiGraph()
    reach_graph = nx.DiGraph()
    for row in rows:
        for column in id_columns:
            if row[column] not in seen:
                seen.add(row[column])
                order.append(row[column])
                rank_graph.add_node(row[column])
                reach_graph.add_node(row[column])
        cell = row.get("weight", "").strip()
        weight = 1.0 if cell == "" else float(cell)
        rank_graph.add_edge(row[rank_from], row[rank_to], weight=weight)
        reach_graph.add_edge(row[reach_from], row[reach_to])
    rank = nx.pagerank(rank_graph, alpha=0.85, tol=1e-12, weight="weight", max_iter=100_000) if order else {}
    reach = {}
    for u in order:
        within = nx.single_source_shortest_path_length(reach_graph, u, cutoff=2)
        reach[u] = len([v for v in within if v != u])
    return order, {u: rank[u] for u in order}, reach


def case(name, header, rows, pair):
    text = write_csv(header, [[row[c] for c in header] for row in rows])
    order, rank, reach = expected(rows, header, pair)
    return {"name": name, "csv": text, "nodes": order, "pagerank": rank, "reach_2": reach}


FOLLOW_ID = ("follower_id", "followed_id", "followed_id", "follower_id")
FOLLOW = ("follower", "followed", "followed", "follower")
DIRECTED = ("source", "target", "source", "target")


def main():
    rng = random.Random(12)
    cases = []
    for graph, (nodes, edges) in enumerate([(6, 10), (15, 40), (30, 60), (40, 200)]):
        edges = random_edges(rng, nodes, edges)
        # The same follows in two column orders: the result must not change
        # (only the node order does).
        rows = [{"follower_id": a, "followed_id": b, "weight": w} for a, b, w in edges]
        cases.append(case(f"follow{graph}", ["follower_id", "followed_id", "weight"], rows, FOLLOW_ID))
        cases.append(case(f"follow{graph}_swapped", ["followed_id", "follower_id", "weight"], rows, FOLLOW_ID))
    # Extra columns, no header order, the short names.
    edges = random_edges(rng, 12, 30)
    rows = [{"note": f"n{i}", "follower": a, "followed": b, "weight": w} for i, (a, b, w) in enumerate(edges)]
    cases.append(case("follow_extra_columns", ["weight", "followed", "note", "follower"], rows, FOLLOW))
    # No weight column.
    rows = [{"follower_id": a, "followed_id": b} for a, b, _ in random_edges(rng, 10, 25)]
    cases.append(case("follow_unweighted", ["follower_id", "followed_id"], rows, FOLLOW_ID))
    # A generic directed edge list keeps its meaning: both along the edges.
    rows = [{"source": a, "target": b, "weight": w} for a, b, w in random_edges(rng, 20, 50)]
    cases.append(case("directed", ["source", "target", "weight"], rows, DIRECTED))
    # A star: the followed account ranks high and reaches everyone.
    rows = [{"follower_id": f"f{i}", "followed_id": "star", "weight": ""} for i in range(5)]
    rows.append({"follower_id": "g", "followed_id": "f0", "weight": "2"})
    cases.append(case("star", ["follower_id", "followed_id", "weight"], rows, FOLLOW_ID))
    print(json.dumps({"networkx": nx.__version__, "cases": cases}, indent=1))


if __name__ == "__main__":
    main()
