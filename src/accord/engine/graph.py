"""Directed graphs of services: cycle detection for the dependency DAG."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

N = TypeVar("N", bound=Hashable)


def cycle_closed_by(edges: Mapping[N, Iterable[N]], source: N, target: N) -> list[N] | None:
    """The cycle that adding the edge ``source → target`` would close, or None.

    ``edges[n]`` are the nodes ``n`` points to. Adding ``source → target`` closes a cycle exactly
    when ``target`` already reaches ``source``; the cycle returned is the shortest such path,
    written from ``source``: ``[source, target, …, source]``. A self-edge is the cycle
    ``[source, source]``. Breadth-first search, O(V + E).
    """
    if source == target:
        return [source, source]
    parent: dict[N, N] = {}
    seen = {target}
    queue: deque[N] = deque([target])
    while queue:
        node = queue.popleft()
        for succ in edges.get(node, ()):
            if succ in seen:
                continue
            parent[succ] = node
            if succ == source:
                path = [source]
                while path[-1] != target:
                    path.append(parent[path[-1]])
                # path runs source ← … ← target; the cycle reads source → target → … → source
                return [source, *reversed(path)]
            seen.add(succ)
            queue.append(succ)
    return None


def topological_order(edges: Mapping[N, Iterable[N]]) -> list[N] | None:
    """Nodes so that every edge points forward (Kahn's algorithm); None when there is a cycle."""
    # Read each successor collection once: they may be one-shot iterables.
    adjacency: dict[N, list[N]] = {node: list(targets) for node, targets in edges.items()}
    nodes: set[N] = set(adjacency)
    for targets in adjacency.values():
        nodes.update(targets)
    indegree = dict.fromkeys(nodes, 0)
    for targets in adjacency.values():
        for t in targets:
            indegree[t] += 1
    ready = deque(sorted((n for n in nodes if indegree[n] == 0), key=repr))
    order: list[N] = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for t in adjacency.get(node, ()):
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    return order if len(order) == len(nodes) else None


def reachable(edges: Mapping[N, Iterable[N]], sources: Iterable[N]) -> set[N]:
    """Every node reachable from ``sources`` by following edges, the sources included."""
    seen = set(sources)
    stack = list(seen)
    while stack:
        for succ in edges.get(stack.pop(), ()):
            if succ not in seen:
                seen.add(succ)
                stack.append(succ)
    return seen
