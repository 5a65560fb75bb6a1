#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check the shared-graph workload's reference against igraph.

bench/graph-ref.c -o DIR wrote the R-MAT edges and its PageRank and BFS
results (the arrays the guests match bit for bit). This computes both with
Debian's python3-igraph on the same edges and compares every vertex:

  BFS       levels from the same root along out-edges: equal everywhere
            (unreached vertices included);
  PageRank  igraph's PRPACK, damping 0.85, directed: every rank within a
            relative 1e-6 (the reference iterates to an L1 change below
            1e-10), and the reference's top 100 are igraph's top 100 (up
            to ties within that tolerance at the 100th).

Usage: graph-check.py DIR ROOT     (exit 1 on a mismatch, 2 without igraph)
"""
import array
import os
import sys

try:
    import igraph
except ImportError:
    print("graph-check: python3-igraph is not installed (scripts/deps.sh installs it)")
    sys.exit(2)

REL_TOL = 1e-6


def load(path, code):
    a = array.array(code)
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    d, root = sys.argv[1], int(sys.argv[2])
    edges = load(os.path.join(d, "edges.u32"), "I")
    pr = load(os.path.join(d, "pr.f64"), "d")
    level = load(os.path.join(d, "level.u32"), "I")
    n, m = len(pr), len(edges) // 2
    g = igraph.Graph(n=n, edges=list(zip(edges[0::2], edges[1::2])), directed=True)
    bad = 0

    # BFS: igraph's layers of the vertices reached from the root.
    want = [0xFFFFFFFF] * n
    vids, layers, _ = g.bfs(root, mode="out")
    for lvl in range(len(layers) - 1):
        for v in vids[layers[lvl]:layers[lvl + 1]]:
            want[v] = lvl
    diff = [v for v in range(n) if want[v] != level[v]]
    print(f"bfs: {n} vertices, {m} edges, root {root}: {len(layers) - 1} levels, "
          f"{n - want.count(0xFFFFFFFF)} reached; {len(diff)} differ from igraph")
    if diff:
        v = diff[0]
        print(f"  e.g. vertex {v}: level {level[v]}, igraph {want[v]}")
        bad += 1

    ref = g.pagerank(directed=True, damping=0.85)
    worst, wv = 0.0, 0
    for v in range(n):
        err = abs(pr[v] - ref[v]) / ref[v]
        if err > worst:
            worst, wv = err, v
    top = sorted(range(n), key=lambda v: -ref[v])[:100]
    ours = sorted(range(n), key=lambda v: -pr[v])[:100]
    floor = ref[top[-1]] * (1 - REL_TOL)
    same = all(ref[v] >= floor for v in ours)
    print(f"pagerank: largest relative difference from igraph {worst:.2e} (vertex {wv}), "
          f"sum {sum(pr):.12f}, top 100 {'the same' if same else 'DIFFER'}")
    if worst > REL_TOL or not same:
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
