"""Pure rules of the source registry: metric naming conventions and the shape of a mapping.

A mapping's names are checked against the source system's own rules (Prometheus metric and
label names, Datadog metric names) and, when the source declares one, the organisation's
convention (``naming_pattern``, a regular expression the whole name must match). Each failure
names its rule (documented in docs/problems.md): ``metric-name`` for the system's rule,
``naming-convention`` for the organisation's.
"""

from __future__ import annotations

import re

from accord.kit.errors import InvalidInput, RuleViolation
from accord.objectives.enums import SourceKind

PROMETHEUS_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
"""Prometheus' data model: metric names match this; names with ``:`` are for recording rules."""
PROMETHEUS_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
DATADOG_METRIC_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_.]{0,199}")
"""Datadog: starts with a letter; letters, digits, underscores and periods; at most 200."""

# Metric selectors in PromQL: a name followed by `{`, `[` or the end, outside strings. Good
# enough to find the names a mapping's queries read; the query itself is checked by Prometheus.
_PROMQL_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_PROMQL_NAME = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[)")
# A label matcher inside a selector: name, then one of = != =~ !~.
_PROMQL_MATCHER = re.compile(r"([^\s{},=!~\"']+)\s*(?:=~|!~|!=|=)")
_PROMQL_SELECTOR = re.compile(r"\{([^{}]*)\}")
_DATADOG_NAME = re.compile(r"(?:sum|avg|min|max|count):([^{(\s]+)")

PULLED_KINDS = frozenset({SourceKind.PROMETHEUS, SourceKind.DATADOG})


def checked_pattern(pattern: str) -> str:
    """A naming convention must be a valid regular expression (raised for a schema field)."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from exc
    return pattern


def check_metric_name(kind: SourceKind, name: str, pattern: str | None, *, field: str) -> None:
    """A pushed metric name or a name read by a query, against the system's rule and the
    organisation's convention."""
    system = DATADOG_METRIC_NAME if kind is SourceKind.DATADOG else PROMETHEUS_METRIC_NAME
    if system.fullmatch(name) is None:
        raise RuleViolation(
            "metric-name",
            f"{name!r} is not a valid {'Datadog' if kind is SourceKind.DATADOG else 'Prometheus'}"
            f" metric name (must match {system.pattern})",
            field=field,
        )
    if pattern is not None and re.fullmatch(pattern, name) is None:
        raise RuleViolation(
            "naming-convention",
            f"{name!r} does not follow the source's naming convention {pattern}",
            field=field,
        )


def query_metric_names(kind: SourceKind, query: str) -> list[str]:
    """The metric names a PromQL or Datadog query reads, in order of appearance."""
    if kind is SourceKind.DATADOG:
        return _DATADOG_NAME.findall(query)
    without_strings = _PROMQL_STRING.sub('""', query)
    return _PROMQL_NAME.findall(without_strings)


def check_query_labels(kind: SourceKind, query: str, *, field: str) -> None:
    """Every label a PromQL query matches on must be a valid label name (rule ``label-name``).
    Datadog tags are free-form and are not checked."""
    if kind is not SourceKind.PROMETHEUS:
        return
    without_strings = _PROMQL_STRING.sub('""', query)
    for selector in _PROMQL_SELECTOR.findall(without_strings):
        for label in _PROMQL_MATCHER.findall(selector):
            if PROMETHEUS_LABEL_NAME.fullmatch(label) is None:
                raise RuleViolation(
                    "label-name",
                    f"{label!r} is not a valid label name (must match "
                    f"{PROMETHEUS_LABEL_NAME.pattern})",
                    field=field,
                )


def check_mapping_shape(
    kind: SourceKind,
    *,
    metric: str | None,
    good_query: str | None,
    error_query: str | None,
    total_query: str | None,
) -> None:
    """Pushed sources map a metric name; pulled ones a good (or error) and a total query."""
    queries = (good_query, error_query, total_query)
    if kind in PULLED_KINDS:
        if metric is not None:
            raise InvalidInput.field("metric", f"a {kind.value} source is queried, not pushed to")
        if total_query is None:
            raise InvalidInput.field("total_query", f"a {kind.value} mapping needs a total query")
        if (good_query is None) == (error_query is None):
            raise InvalidInput.field("good_query", "give exactly one of good_query and error_query")
    elif kind is SourceKind.PUSH:
        if metric is None:
            raise InvalidInput.field("metric", "a push mapping names the metric senders use")
        if any(q is not None for q in queries):
            raise InvalidInput.field("total_query", "a push source has no queries")
    else:
        raise InvalidInput.field("source", f"a {kind.value} source feeds no objective")
