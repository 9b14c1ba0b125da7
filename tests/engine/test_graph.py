"""Cycle detection and topological order of the service dependency graph."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st

from accord.engine.graph import cycle_closed_by, topological_order

Graph = dict[int, list[int]]


@st.composite
def graphs(draw: st.DrawFn, max_nodes: int = 8) -> Graph:
    """Arbitrary directed graphs over nodes 0..n-1 (cycles and self-loops included)."""
    n = draw(st.integers(min_value=1, max_value=max_nodes))
    nodes = st.integers(min_value=0, max_value=n - 1)
    edges = draw(st.lists(st.tuples(nodes, nodes), max_size=n * 3))
    graph: Graph = {}
    for a, b in edges:
        if b not in graph.setdefault(a, []):
            graph[a].append(b)
    return graph


@st.composite
def dags(draw: st.DrawFn, max_nodes: int = 8) -> Graph:
    """Acyclic graphs: every edge goes from a lower to a higher position of a random order."""
    n = draw(st.integers(min_value=1, max_value=max_nodes))
    order = draw(st.permutations(list(range(n))))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    graph: Graph = {order[i]: [] for i in range(n)}
    for i, j in chosen:
        graph[order[i]].append(order[j])
    return graph


def reachable(graph: Graph, start: int) -> set[int]:
    """Brute force: every node reachable from ``start`` by one or more edges."""
    found: set[int] = set()
    frontier = [start]
    while frontier:
        node = frontier.pop()
        for succ in graph.get(node, []):
            if succ not in found:
                found.add(succ)
                frontier.append(succ)
    return found


def all_nodes(graph: Graph) -> set[int]:
    return set(graph) | {t for targets in graph.values() for t in targets}


def has_cycle(graph: Graph) -> bool:
    return any(node in reachable(graph, node) for node in all_nodes(graph))


def shortest_path_length(graph: Graph, start: int, goal: int) -> int | None:
    """Edges on the shortest path start → goal (0 when equal), by brute-force BFS."""
    if start == goal:
        return 0
    level = {start}
    seen = {start}
    steps = 0
    while level:
        steps += 1
        level = {s for n in level for s in graph.get(n, []) if s not in seen}
        if goal in level:
            return steps
        seen |= level
    return None


# ------------------------------------------------------------------------------ cycle_closed_by


@given(graphs(), st.data())
def test_cycle_closed_by_is_none_exactly_when_target_cannot_reach_source(
    graph: Graph, data: st.DataObject
) -> None:
    nodes = sorted(all_nodes(graph) | {0})
    source = data.draw(st.sampled_from(nodes))
    target = data.draw(st.sampled_from(nodes))
    cycle = cycle_closed_by(graph, source, target)
    closes = source == target or source in reachable(graph, target)
    assert (cycle is None) == (not closes)


@given(graphs(), st.data())
def test_the_cycle_returned_is_a_real_cycle_through_the_new_edge(
    graph: Graph, data: st.DataObject
) -> None:
    nodes = sorted(all_nodes(graph) | {0})
    source = data.draw(st.sampled_from(nodes))
    target = data.draw(st.sampled_from(nodes))
    cycle = cycle_closed_by(graph, source, target)
    if cycle is None:
        return
    # Written from source, closed, and starting with the new edge.
    assert cycle[0] == source
    assert cycle[-1] == source
    assert cycle[1] == target
    # Every other step is an existing edge of the graph.
    for a, b in itertools.pairwise(cycle[1:]):
        assert b in graph.get(a, []), (a, b, cycle)
    # A simple cycle: no node repeats except the closing one.
    assert len(set(cycle[:-1])) == len(cycle) - 1
    # The shortest one: target reaches source in exactly len - 2 edges.
    expected = shortest_path_length(graph, target, source)
    assert expected is not None
    assert len(cycle) - 2 == expected


@given(dags(), st.data())
def test_adding_an_edge_along_the_order_of_a_dag_never_closes_a_cycle(
    graph: Graph, data: st.DataObject
) -> None:
    order = topological_order(graph)
    assert order is not None
    if len(order) < 2:
        return
    i = data.draw(st.integers(min_value=0, max_value=len(order) - 2))
    j = data.draw(st.integers(min_value=i + 1, max_value=len(order) - 1))
    # order[i] comes first, so nothing reachable from order[j] can be order[i].
    assert cycle_closed_by(graph, order[i], order[j]) is None


@given(graphs(), st.data())
def test_cycle_closed_by_does_not_modify_the_graph(graph: Graph, data: st.DataObject) -> None:
    nodes = sorted(all_nodes(graph) | {0})
    source = data.draw(st.sampled_from(nodes))
    target = data.draw(st.sampled_from(nodes))
    snapshot = {k: list(v) for k, v in graph.items()}
    cycle_closed_by(graph, source, target)
    assert graph == snapshot


def test_known_cycle_of_three() -> None:
    # a depends on b, b on c; adding c → a closes a → b → c → a, read from the new edge.
    edges = {"a": ["b"], "b": ["c"]}
    assert cycle_closed_by(edges, "c", "a") == ["c", "a", "b", "c"]


def test_self_edge_is_a_cycle_of_one() -> None:
    assert cycle_closed_by({}, "a", "a") == ["a", "a"]
    assert cycle_closed_by({"a": ["b"]}, "a", "a") == ["a", "a"]


def test_two_cycle() -> None:
    assert cycle_closed_by({"a": ["b"]}, "b", "a") == ["b", "a", "b"]


def test_shortest_of_several_cycles_is_named() -> None:
    edges = {"t": ["x", "s"], "x": ["y"], "y": ["s"]}
    assert cycle_closed_by(edges, "s", "t") == ["s", "t", "s"]


def test_no_cycle_in_a_diamond() -> None:
    edges = {"a": ["b", "c"], "b": ["d"], "c": ["d"]}
    assert cycle_closed_by(edges, "a", "d") is None
    assert cycle_closed_by(edges, "b", "c") is None
    assert cycle_closed_by(edges, "d", "a") == ["d", "a", "b", "d"]


def test_unknown_nodes_close_nothing() -> None:
    assert cycle_closed_by({"a": ["b"]}, "x", "y") is None
    assert cycle_closed_by({}, 1, 2) is None


def test_edges_may_be_one_shot_iterables() -> None:
    def successors(*nodes: str) -> Iterator[str]:
        yield from nodes

    edges = {"a": successors("b"), "b": successors("c")}
    assert cycle_closed_by(edges, "c", "a") == ["c", "a", "b", "c"]


# --------------------------------------------------------------------------- topological_order


@given(graphs())
def test_topological_order_is_none_iff_the_graph_is_cyclic(graph: Graph) -> None:
    order = topological_order(graph)
    assert (order is None) == has_cycle(graph)


@given(graphs())
def test_every_edge_points_forward(graph: Graph) -> None:
    order = topological_order(graph)
    if order is None:
        return
    assert sorted(order) == sorted(all_nodes(graph))
    position = {node: i for i, node in enumerate(order)}
    for source, targets in graph.items():
        for target in targets:
            assert position[source] < position[target]


@given(dags())
def test_a_dag_always_has_an_order(graph: Graph) -> None:
    order = topological_order(graph)
    assert order is not None
    assert len(order) == len(all_nodes(graph))


def test_topological_order_known_answers() -> None:
    assert topological_order({}) == []
    assert topological_order({"a": []}) == ["a"]
    assert topological_order({"a": ["b"], "b": ["c"]}) == ["a", "b", "c"]
    assert topological_order({"a": ["a"]}) is None
    assert topological_order({"a": ["b"], "b": ["a"], "c": []}) is None
    order = topological_order({"a": ["b", "c"], "b": ["d"], "c": ["d"]})
    assert order is not None
    assert order[0] == "a"
    assert order[-1] == "d"


def test_topological_order_counts_duplicate_edges_consistently() -> None:
    assert topological_order({"a": ["b", "b"]}) == ["a", "b"]


def test_topological_order_accepts_one_shot_iterables() -> None:
    def successors(*nodes: str) -> Iterator[str]:
        yield from nodes

    edges = {"c": successors("b"), "b": successors("a")}
    assert topological_order(edges) == ["c", "b", "a"]
    assert topological_order({"a": successors("b"), "b": successors("a")}) is None


def test_topological_order_is_deterministic() -> None:
    edges = {"z": [], "m": [], "a": []}
    assert topological_order(edges) == topological_order(dict(reversed(edges.items())))
