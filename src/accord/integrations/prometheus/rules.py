"""Prometheus recording and alerting rules for SLOs, compatible with Sloth's output.

`render_rules` turns `PrometheusSlo` values (independent of the database) into the rule file
Sloth (https://github.com/slok/sloth) generates for the same SLOs: the same group names, rule
order, expressions, labels and YAML layout, byte for byte from the ``groups:`` line on, so
dashboards and alert routing built for Sloth keep working. Only the header differs: it names
Accord, because Accord wrote the file.

What the rules compute (see docs/integrations/prometheus-rules.md):

- ``slo:sli_error:ratio_rate<w>`` for every alert window ``w``: the error ratio of the events
  in the last ``w`` (a ratio of rates, i.e. sum(errors) / sum(total) over ``w`` for an events
  SLI);
- ``slo:sli_error:ratio_rate<period>``: the MEAN of the short-window (5m) ratios over the
  period. That is a ratio of timeslices, not Accord's occurrences SLI (sum(errors) / sum(total)
  over the period); the two diverge when traffic is uneven;
- metadata rules (objective, budget, burn rates, ``sloth_slo_info``) and multi-window
  multi-burn-rate page/ticket alerts whose factors follow the period (``AlertWindows``).

The YAML is written by a small emitter that follows go-yaml v2 (the library Sloth marshals
with): its scalar style choice, its 80-column folding and its key order. PyYAML's emitter
differs in folding and quoting, which would break byte-for-byte compatibility.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cmp_to_key
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

__all__ = [
    "DISABLED_ALERTS",
    "GOOGLE_28D",
    "GOOGLE_30D",
    "SLOTH_URL",
    "AlertSpec",
    "AlertWindow",
    "AlertWindows",
    "Alerting",
    "EventsSli",
    "Generator",
    "KubernetesMeta",
    "Node",
    "PrometheusSlo",
    "RawSli",
    "annotation_name_problem",
    "format_duration",
    "go_fixed",
    "go_float",
    "go_map_order",
    "go_quote",
    "good_total_sli",
    "label_name_problem",
    "label_value_problem",
    "name_problem",
    "parse_duration",
    "query_problem",
    "render_rules",
    "to_yaml",
    "window_catalogue",
]

SLOTH_URL: Final = "https://github.com/slok/sloth"

# ---------------------------------------------------------------- validation rules (Sloth's)

# Sloth's names: start and end alphanumeric, inside also '.', '_' and '-' (so a single
# character is not a valid name in Sloth either).
_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$")
# Prometheus' classic label names; UTF-8 names need Prometheus 3, so the rules stay portable.
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# The one template variable Sloth's queries may use, spelled as Sloth accepts it.
_WINDOW_VAR = re.compile(r"\{\{ *\.window *\}\}")


def name_problem(value: str) -> str | None:
    """Why ``value`` is not a valid Sloth name (service, SLO), or None when it is."""
    if not value:
        return "is required"
    if not _NAME.match(value):
        return (
            f"{value!r} is not a valid name: it must start and end with a letter or digit and "
            "contain only letters, digits, '.', '_' and '-'"
        )
    return None


def label_name_problem(value: str) -> str | None:
    """Why ``value`` is not a valid Prometheus label name, or None when it is."""
    if value == "__name__":
        return "the label name '__name__' is not allowed"
    if not _LABEL_NAME.match(value):
        return f"{value!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)"
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a valid label or annotation value, or None when it is."""
    if value == "":
        return "the value is required (an empty value would drop the label)"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return "the value is not valid UTF-8"
    return None


def query_problem(query: str) -> str | None:
    """Why ``query`` is not a usable SLI query template, or None when it is.

    The query must use ``{{ .window }}`` (Sloth renders one rule per window) and no other
    template action. Full PromQL syntax is promtool's job; this catches what would break the
    rendering itself: unbalanced brackets outside string literals.
    """
    if not query.strip():
        return "the query is required"
    if not _WINDOW_VAR.search(query):
        return "the query must use the {{ .window }} template variable"
    rest = _WINDOW_VAR.sub("", query)
    if "{{" in rest:
        return "the only template action allowed in a query is {{ .window }}"
    return _brackets_problem(_WINDOW_VAR.sub("1m", query))


def _brackets_problem(expr: str) -> str | None:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    for ch in expr:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote != "`":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            stack.append(ch)
        elif ch in pairs:
            opened = stack.pop() if stack else None
            if opened != pairs[ch]:
                return f"unbalanced {ch!r} in the query"
    if quote:
        return "unterminated string literal in the query"
    if stack:
        return f"unclosed {stack[-1]!r} in the query"
    return None


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


def annotation_name_problem(value: str) -> str | None:
    """Why ``value`` is not a valid annotation name, or None when it is (label name syntax,
    ``__name__`` included: annotations are not series labels)."""
    if not _LABEL_NAME.match(value):
        return f"{value!r} is not a valid annotation name ([a-zA-Z_][a-zA-Z0-9_]*)"
    return None


def _check_labels(what: str, labels: Mapping[str, str], *, keys: str = "label") -> None:
    for key, value in labels.items():
        problem = label_name_problem(key) if keys == "label" else annotation_name_problem(key)
        problem = problem or label_value_problem(value)
        if problem:
            raise ValueError(f"{what} {key!r}: {problem}")


# ---------------------------------------------------------------- durations (Prometheus')

_DURATION = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)
_UNIT_MS: Final = (
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1000),
    ("ms", 1),
)


def parse_duration(text: str) -> timedelta:
    """Parse a Prometheus duration (``30d``, ``1h30m``, ``4w``, ``500ms``) as Prometheus does."""
    if text == "0":
        return timedelta(0)
    match = _DURATION.match(text)
    if not text or match is None:
        raise ValueError(f"not a valid duration: {text!r} (e.g. 30d, 6h, 1h30m)")
    ms = sum(int(g) * unit for g, (_, unit) in zip(match.groups(), _UNIT_MS, strict=True) if g)
    return timedelta(milliseconds=ms)


def _ms(duration: timedelta) -> int:
    return (duration.days * 86_400 + duration.seconds) * 1000 + duration.microseconds // 1000


def format_duration(duration: timedelta) -> str:
    """Prometheus' spelling of a duration (``model.Duration.String``): ``4w``, ``30d``, ``1h30m``.

    Years and weeks are used only when they divide the duration exactly (90d, not 12w6d).
    """
    ms = _ms(duration)
    if ms == 0:
        return "0s"
    out = []
    for unit, size in _UNIT_MS:
        if unit in ("y", "w") and ms % size:
            continue
        if ms >= size:
            out.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(out)


def _as_duration(value: str | timedelta) -> timedelta:
    return parse_duration(value) if isinstance(value, str) else value


def _hours(duration: timedelta) -> float:
    """Go's ``time.Duration.Hours()``: whole hours plus the rest as a fraction (same rounding)."""
    ns = _ms(duration) * 1_000_000
    hour_ns = 3_600_000_000_000
    return float(ns // hour_ns) + float(ns % hour_ns) / 3.6e12


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class EventsSli:
    """An SLI from two counters' queries: bad events and all events in ``{{ .window }}``."""

    error_query: str
    total_query: str

    def __post_init__(self) -> None:
        for name in ("error_query", "total_query"):
            problem = query_problem(getattr(self, name))
            if problem:
                raise ValueError(f"{name}: {problem}")
        if self.error_query == self.total_query:
            raise ValueError("error_query and total_query can't be the same query")


@dataclass(frozen=True)
class RawSli:
    """An SLI from one query that already yields the error ratio (0 to 1) over ``{{ .window }}``."""

    error_ratio_query: str

    def __post_init__(self) -> None:
        problem = query_problem(self.error_ratio_query)
        if problem:
            raise ValueError(f"error_ratio_query: {problem}")


Sli: TypeAlias = EventsSli | RawSli


def good_total_sli(good_query: str, total_query: str) -> RawSli:
    """An SLI from good and total events, as Sloth writes it (for OpenSLO's ratio metrics): the
    raw error ratio ``1 - good / total``, with exactly Sloth's text."""
    return RawSli(
        f"\n  1 - (\n    (\n      {good_query}\n    )\n    /\n"
        f"    (\n      {total_query}\n    )\n  )\n"
    )


@dataclass(frozen=True)
class AlertSpec:
    """One severity's alert: may be disabled, adds labels and annotations to the common ones."""

    disable: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels))
        object.__setattr__(self, "annotations", _frozen(self.annotations))
        _check_labels("alert label", self.labels)
        _check_labels("alert annotation", self.annotations, keys="annotation")


@dataclass(frozen=True)
class Alerting:
    """The alerts of one SLO: a name shared by the page and ticket alerts, common labels and
    annotations, and each severity's own (which win over the common ones)."""

    name: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    page: AlertSpec = field(default_factory=AlertSpec)
    ticket: AlertSpec = field(default_factory=AlertSpec)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels))
        object.__setattr__(self, "annotations", _frozen(self.annotations))
        _check_labels("alert label", self.labels)
        _check_labels("alert annotation", self.annotations, keys="annotation")
        if not self.name and not (self.page.disable and self.ticket.disable):
            raise ValueError("the alert name is required while an alert is enabled")


DISABLED_ALERTS: Final = Alerting(page=AlertSpec(disable=True), ticket=AlertSpec(disable=True))


@dataclass(frozen=True)
class PrometheusSlo:
    """One SLO as Prometheus rules see it.

    ``labels`` go on every recording rule of the SLO (alerts inherit them from the rules).
    ``period`` is the SLO's own period; None means the period ``render_rules`` is given.
    The rules identify the SLO by ``sloth_id = "<service>-<name>"``.
    """

    service: str
    name: str
    objective_percent: Decimal
    sli: Sli
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    alerting: Alerting = DISABLED_ALERTS
    period: timedelta | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels))
        object.__setattr__(self, "objective_percent", Decimal(self.objective_percent))
        for what in ("service", "name"):
            problem = name_problem(getattr(self, what))
            if problem:
                raise ValueError(f"{what}: {problem}")
        if not Decimal(0) < self.objective_percent <= Decimal(100):
            raise ValueError(
                f"objective_percent must lie in (0, 100], got {self.objective_percent}"
            )
        _check_labels("label", self.labels)
        if self.period is not None and _ms(self.period) <= 0:
            raise ValueError("period must be positive")

    @property
    def id(self) -> str:
        """Sloth's SLO id, the ``sloth_id`` label: ``<service>-<name>``."""
        return f"{self.service}-{self.name}"


@dataclass(frozen=True)
class AlertWindow:
    """A window pair: alert when the burn over both windows would spend
    ``error_budget_percent`` % of the period's budget within ``long``."""

    error_budget_percent: float
    short: timedelta
    long: timedelta

    def __post_init__(self) -> None:
        if not self.error_budget_percent > 0:
            raise ValueError("error_budget_percent must be positive")
        if _ms(self.short) <= 0 or _ms(self.long) <= 0:
            raise ValueError("both windows must be positive durations")


@dataclass(frozen=True)
class AlertWindows:
    """Sloth's ``AlertWindows``: the page and ticket window pairs for one SLO period."""

    period: timedelta
    page_quick: AlertWindow
    page_slow: AlertWindow
    ticket_quick: AlertWindow
    ticket_slow: AlertWindow

    def __post_init__(self) -> None:
        if _ms(self.period) <= 0:
            raise ValueError("the SLO period must be positive")

    def burn_factor(self, window: AlertWindow) -> float:
        """The burn rate that spends the window's budget share within its long window.

        Computed in Sloth's order of operations (percent * period hours / 100 / long hours)
        so the factor prints with the same digits (13.44, 5.6000000000000005 for 28 days).
        """
        return window.error_budget_percent * _hours(self.period) / 100 / _hours(window.long)

    def durations(self) -> list[timedelta]:
        """The distinct alert windows, shortest first (one SLI recording rule each)."""
        pairs = (self.page_quick, self.page_slow, self.ticket_quick, self.ticket_slow)
        by_ms = {_ms(d): d for w in pairs for d in (w.short, w.long)}
        return [by_ms[k] for k in sorted(by_ms)]


def _google(period_days: int) -> AlertWindows:
    # The SRE Workbook's parameters, as Sloth ships them (internal/alert/windows/).
    return AlertWindows(
        period=timedelta(days=period_days),
        page_quick=AlertWindow(2, timedelta(minutes=5), timedelta(hours=1)),
        page_slow=AlertWindow(5, timedelta(minutes=30), timedelta(hours=6)),
        ticket_quick=AlertWindow(10, timedelta(hours=2), timedelta(days=1)),
        ticket_slow=AlertWindow(10, timedelta(hours=6), timedelta(days=3)),
    )


GOOGLE_30D: Final = _google(30)
GOOGLE_28D: Final = _google(28)


def _accord_version() -> str:
    import accord

    version = getattr(accord, "__version__", None)
    if isinstance(version, str):
        return version
    from importlib.metadata import version as package_version

    return package_version("accord")


@dataclass(frozen=True)
class Generator:
    """What the ``sloth_slo_info`` rule says produced the rules (``sloth_version``,
    ``sloth_mode``, ``sloth_spec`` labels). Defaults name Accord, not Sloth."""

    version: str = field(default_factory=lambda: f"accord-{_accord_version()}")
    mode: str = "accord"
    spec: str = "accord"


@dataclass(frozen=True)
class KubernetesMeta:
    """Render a prometheus-operator ``PrometheusRule`` object with this metadata instead of a
    plain rule file (Sloth's output for ``PrometheusServiceLevel`` specs)."""

    name: str
    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    managed_by: str = "accord"
    """The ``app.kubernetes.io/managed-by`` label (Sloth writes ``sloth``); ``labels`` win."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels))
        object.__setattr__(self, "annotations", _frozen(self.annotations))
        if not self.name:
            raise ValueError("a PrometheusRule needs a name")


# ---------------------------------------------------------------- Go's number and string text


def _shortest_digits(x: float) -> tuple[str, int]:
    """The shortest round-tripping digits of ``x > 0`` and the decimal point position ``dp``
    (value = 0.d1d2... * 10**dp), as Go's strconv computes them (same digits as Python repr)."""
    _, digits, exponent = Decimal(repr(x)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    return text, len(text) + exponent


def go_float(x: float) -> str:
    """``fmt.Sprintf("%g", x)`` (and ``%v``) for a float64, as Sloth prints ratios and factors.

    Shortest round-tripping digits; exponent form when the decimal exponent is below -4 or at
    least 6 (Go prints 1e+06 and 1e-05), with a sign and at least two exponent digits.
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign = "-" if x < 0 else ""
    digits, dp = _shortest_digits(abs(x))
    exp = dp - 1
    if exp < -4 or exp >= 6:  # Go: shortest %g decides with precision 6
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def go_fixed(x: float) -> str:
    """``strconv.FormatFloat(x, 'f', -1, 64)``: shortest digits, never an exponent."""
    if x == 0 or math.isnan(x) or math.isinf(x):
        return go_float(x)
    sign = "-" if x < 0 else ""
    digits, dp = _shortest_digits(abs(x))
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


_GO_ESCAPES: Final = {
    "\a": r"\a",
    "\b": r"\b",
    "\f": r"\f",
    "\n": r"\n",
    "\r": r"\r",
    "\t": r"\t",
    "\v": r"\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(text: str) -> str:
    """``strconv.Quote``: a double-quoted Go string literal (how Prometheus prints label values)."""
    out = ['"']
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _prom_filter(labels: Mapping[str, str]) -> str:
    # prometheus/common model.LabelSet.String(): names sorted bytewise (code point order is
    # UTF-8 byte order), ", " between pairs.
    pairs = ", ".join(f"{k}={go_quote(labels[k])}" for k in sorted(labels))
    return "{" + pairs + "}"


# ---------------------------------------------------------------- go-yaml v2 emitter

# What go-yaml v2 would read back as something other than a string when written plain; such
# strings are double-quoted (yaml.v2 encode.go stringv + resolve.go), e.g. "99.9", "yes", "".
_YAML_SPECIAL: Final = frozenset(
    {
        *("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"),
        *("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"),
        *("~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"),
        *("+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"),
    }
)
_HINT_MAP_ONLY: Final = frozenset("yYnNtTfFoO~")
_GO_INT = re.compile(r"^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
_GO_UINT = re.compile(r"^(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
_YAML_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_DOT_FLOAT = re.compile(r"^\.[0-9]+(?:[eE][-+]?[0-9]+)?$")
_BASE60_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMPS: Final = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(
        r"^(\d{4})-(\d{1,2})-(\d{1,2})[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[-+]\d\d:\d\d)$"
    ),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2}) \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?$"),
)


def _go_int(text: str, pattern: re.Pattern[str], low: int, high: int) -> bool:
    if not pattern.match(text):
        return False
    body = text.lstrip("+-")
    if len(body) > 1 and body[0] == "0" and body[1] in "xXoObB":
        value = int(body, 0)
    elif len(body) > 1 and body[0] == "0":
        value = int(body, 8)
    else:
        value = int(body)
    value = -value if text.startswith("-") else value
    return low <= value <= high


def _is_timestamp(text: str) -> bool:
    for pattern in _TIMESTAMPS:
        match = pattern.match(text)
        if match:
            try:
                date(*(int(g) for g in match.groups()[:3]))
            except ValueError:
                return False
            return True
    return False


def _yaml_reads_as_non_string(text: str) -> bool:
    """True when go-yaml v2 would resolve ``text``, written plain, to a non-string."""
    if text == "" or text in _YAML_SPECIAL:
        return True
    hint = text[0]
    if hint in _HINT_MAP_ONLY:
        return False
    if hint == ".":
        return bool(_DOT_FLOAT.match(text)) and math.isfinite(float(text))
    if (hint.isdigit() and hint.isascii()) or hint in "+-":
        if _is_timestamp(text):
            return True
        plain = text.replace("_", "")
        if _go_int(plain, _GO_INT, -(2**63), 2**63 - 1) or _go_int(plain, _GO_UINT, 0, 2**64 - 1):
            return True
        if _YAML_FLOAT.match(plain) and math.isfinite(float(plain)):
            return True
        return _BASE60_FLOAT.match(text) is not None
    return False


def _printable(ch: str) -> bool:
    c = ord(ch)
    return (
        c == 0x0A
        or 0x20 <= c <= 0x7E
        or 0xA0 <= c <= 0xD7FF
        or (0xE000 <= c <= 0xFFFD and c != 0xFEFF)
    )


_BREAKS: Final = "\r\n\x85\u2028\u2029"


@dataclass
class _Analysis:
    multiline: bool
    block_plain: bool
    single_quoted: bool
    block: bool


def _analyze(text: str) -> _Analysis:
    """go-yaml v2 ``yaml_emitter_analyze_scalar`` (block context only)."""
    if not text:
        return _Analysis(multiline=False, block_plain=True, single_quoted=True, block=False)
    block_indicators = text.startswith(("---", "..."))
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = special = line_breaks = False
    previous_space = previous_break = False
    preceded_by_whitespace = True
    n = len(text)
    for i, ch in enumerate(text):
        followed_by_whitespace = i + 1 >= n or text[i + 1] in " \t"
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`" or (ch in "?:-" and followed_by_whitespace):
                block_indicators = True
        elif (ch == ":" and followed_by_whitespace) or (ch == "#" and preceded_by_whitespace):
            block_indicators = True
        if not _printable(ch):
            special = True
        if ch == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == n - 1
            break_space = break_space or previous_break
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            line_breaks = True
            leading_break = leading_break or i == 0
            trailing_break = trailing_break or i == n - 1
            space_break = space_break or previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_whitespace = ch in " \t" or ch in _BREAKS
    block_plain = single_quoted = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        block_plain = False
    if trailing_space:
        block = False
    if break_space:
        block_plain = single_quoted = False
    if space_break or special:
        block_plain = single_quoted = block = False
    if line_breaks or block_indicators:
        block_plain = False
    return _Analysis(line_breaks, block_plain, single_quoted, block)


Style = Literal["plain", "single", "double", "literal"]
Node: TypeAlias = "str | Mapping[str, Node] | Sequence[Node]"


class _GoYamlEmitter:
    """Block-style YAML as go-yaml v2 writes it (indent 2, width 80, unicode, sequences in a
    mapping not indented). Mappings are written in the order given: callers sort Go maps with
    `go_map_order` and keep Go structs in field order."""

    best_width = 80
    best_indent = 2

    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.indent = -1
        self.indents: list[int] = []

    def document(self, root: Node) -> str:
        self.node(root, mapping_context=False)
        self.write_indent_at_end()
        return "".join(self.out)

    # -- low level, as emitterc.go
    def put(self, text: str) -> None:
        self.out.append(text)
        self.column += len(text)

    def put_break(self) -> None:
        self.out.append("\n")
        self.column = 0

    def write_indent(self) -> None:
        indent = max(self.indent, 0)
        if (
            not self.indention
            or self.column > indent
            or (self.column == indent and not self.whitespace)
        ):
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = True
        self.indention = True

    def write_indent_at_end(self) -> None:
        self.indent = -1
        self.write_indent()

    def write_indicator(
        self, indicator: str, need_whitespace: bool, is_whitespace: bool, is_indention: bool
    ) -> None:
        if need_whitespace and not self.whitespace:
            self.put(" ")
        self.put(indicator)
        self.whitespace = is_whitespace
        self.indention = self.indention and is_indention

    def increase_indent(self, flow: bool, indentless: bool) -> None:
        self.indents.append(self.indent)
        if self.indent < 0:
            self.indent = self.best_indent if flow else 0
        elif not indentless:
            self.indent += self.best_indent

    # -- nodes
    def node(self, value: Node, *, mapping_context: bool) -> None:
        if isinstance(value, str):
            self.scalar(value, simple_key=False)
        elif isinstance(value, Mapping):
            if not value:
                self.write_indicator("{}", True, False, False)
                return
            self.increase_indent(False, False)
            for key, item in value.items():
                self.write_indent()
                if "\n" in key or len(key) > 128:  # not a simple key: go-yaml would write "? "
                    raise ValueError(f"mapping key too long or multi-line: {key!r}")
                self.scalar(key, simple_key=True)
                self.write_indicator(":", False, False, False)
                self.node(item, mapping_context=True)
            self.indent = self.indents.pop()
        else:
            if not value:
                self.write_indicator("[]", True, False, False)
                return
            self.increase_indent(False, mapping_context and not self.indention)
            for item in value:
                self.write_indent()
                self.write_indicator("-", True, False, True)
                self.node(item, mapping_context=False)
            self.indent = self.indents.pop()

    def scalar(self, text: str, *, simple_key: bool) -> None:
        style = self.choose_style(text, simple_key)
        self.increase_indent(True, False)
        allow_breaks = not simple_key
        if style == "plain":
            self.write_plain(text, allow_breaks)
        elif style == "single":
            self.write_single(text, allow_breaks)
        elif style == "double":
            self.write_double(text, allow_breaks)
        else:
            self.write_literal(text)
        self.indent = self.indents.pop()

    @staticmethod
    def choose_style(text: str, simple_key: bool) -> Style:
        # encode.go stringv: non-strings and base-60 floats double-quoted, multi-line literal;
        # then emitterc.go select_scalar_style falls back when the analysis forbids a style.
        style: Style
        if _yaml_reads_as_non_string(text):
            style = "double"
        elif "\n" in text:
            style = "literal"
        else:
            style = "plain"
        analysis = _analyze(text)
        if simple_key and analysis.multiline:
            style = "double"
        if style == "plain" and (not analysis.block_plain or (not text and simple_key)):
            style = "single"
        if style == "single" and not analysis.single_quoted:
            style = "double"
        if style == "literal" and (not analysis.block or simple_key):
            style = "double"
        return style

    def write_plain(self, text: str, allow_breaks: bool) -> None:
        if not self.whitespace:
            self.put(" ")
        spaces = False
        for i, ch in enumerate(text):
            if ch == " ":
                if (
                    allow_breaks
                    and not spaces
                    and self.column > self.best_width
                    and text[i + 1 : i + 2] != " "
                ):
                    self.write_indent()
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                self.indention = False
                spaces = False
        self.whitespace = False
        self.indention = False

    def write_single(self, text: str, allow_breaks: bool) -> None:
        self.write_indicator("'", True, False, False)
        spaces = breaks = False
        last = len(text) - 1
        for i, ch in enumerate(text):
            if ch == " ":
                if (
                    allow_breaks
                    and not spaces
                    and self.column > self.best_width
                    and 0 < i < last
                    and text[i + 1] != " "
                ):
                    self.write_indent()
                else:
                    self.put(ch)
                spaces = True
            elif ch in _BREAKS:
                if not breaks and ch == "\n":
                    self.put_break()
                self.put_break()
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put("''" if ch == "'" else ch)
                self.indention = False
                spaces = breaks = False
        self.write_indicator("'", False, False, False)
        self.whitespace = False
        self.indention = False

    def write_double(self, text: str, allow_breaks: bool) -> None:
        self.write_indicator('"', True, False, False)
        spaces = False
        last = len(text) - 1
        named = {
            0x00: "0",
            0x07: "a",
            0x08: "b",
            0x09: "t",
            0x0A: "n",
            0x0B: "v",
            0x0C: "f",
            0x0D: "r",
            0x1B: "e",
            0x22: '"',
            0x5C: "\\",
            0x85: "N",
            0xA0: "_",
            0x2028: "L",
            0x2029: "P",
        }
        for i, ch in enumerate(text):
            c = ord(ch)
            if not _printable(ch) or c == 0xFEFF or ch in _BREAKS or ch in '"\\':
                if c in named:
                    self.put("\\" + named[c])
                elif c <= 0xFF:
                    self.put(f"\\x{c:02X}")
                elif c <= 0xFFFF:
                    self.put(f"\\u{c:04X}")
                else:
                    self.put(f"\\U{c:08X}")
                spaces = False
            elif ch == " ":
                if allow_breaks and not spaces and self.column > self.best_width and 0 < i < last:
                    self.write_indent()
                    if text[i + 1] == " ":
                        self.put("\\")
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                spaces = False
        self.write_indicator('"', False, False, False)
        self.whitespace = False
        self.indention = False

    def write_literal(self, text: str) -> None:
        self.write_indicator("|", True, False, False)
        if text and (text[0] == " " or text[0] in _BREAKS):
            self.write_indicator(str(self.best_indent), False, False, False)
        if not text or text[-1] not in _BREAKS:
            self.write_indicator("-", False, False, False)
        elif len(text) == 1 or text[-2] in _BREAKS:
            self.write_indicator("+", False, False, False)
        self.put_break()
        self.indention = True
        self.whitespace = True
        breaks = True
        for ch in text:
            if ch in _BREAKS:
                self.put_break()
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put(ch)
                self.indention = False
                breaks = False


def _go_key_less(a: str, b: str) -> bool:
    """go-yaml v2 ``keyList.Less`` for string keys: runs of digits compare as numbers and a
    non-letter sorts before a letter (so ``a_b`` < ``a1`` < ``a2`` < ``a10`` < ``ab``)."""
    ar, br = a, b
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            continue
        al, bl = ar[i].isalpha(), br[i].isalpha()
        if al and bl:
            return ar[i] < br[i]
        if al or bl:
            return bl
        an = bn = 0
        if ar[i] == "0" or br[i] == "0":
            j = i - 1
            while j >= 0 and _is_go_digit(ar[j]):
                if ar[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and _is_go_digit(ar[ai]):
            an = an * 10 + (ord(ar[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(br) and _is_go_digit(br[bi]):
            bn = bn * 10 + (ord(br[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ar[i] < br[i]
    return len(ar) < len(br)


def _is_go_digit(ch: str) -> bool:
    return unicodedata.category(ch) == "Nd"


def go_map_order(mapping: Mapping[str, str]) -> dict[str, str]:
    """A Go ``map[string]string`` in the order go-yaml v2 marshals it."""

    def compare(a: str, b: str) -> int:
        return -1 if _go_key_less(a, b) else (1 if _go_key_less(b, a) else 0)

    return {k: mapping[k] for k in sorted(mapping, key=cmp_to_key(compare))}


def _sorted_tree(node: Node) -> Node:
    """Every mapping in Go map order (a Kubernetes object goes through JSON and a generic map)."""
    if isinstance(node, str):
        return node
    if isinstance(node, Mapping):
        order = go_map_order(dict.fromkeys(node, ""))
        return {k: _sorted_tree(node[k]) for k in order}
    return [_sorted_tree(item) for item in node]


def to_yaml(root: Node) -> str:
    """Serialise ``root`` as go-yaml v2 would (block style, 80 columns)."""
    return _GoYamlEmitter().document(root)


# ---------------------------------------------------------------- rules

_SLO_ID = "sloth_id"
_SLO_SERVICE = "sloth_service"
_SLO_NAME = "sloth_slo"
_WINDOW = "sloth_window"
_SEVERITY = "sloth_severity"
_ERROR_BUDGET_METRIC = "slo:error_budget:ratio"
_PERIOD_BURN_METRIC = "slo:period_burn_rate:ratio"

Rule: TypeAlias = dict[str, "str | dict[str, str]"]


def _sli_metric(window: timedelta) -> str:
    return f"slo:sli_error:ratio_rate{format_duration(window)}"


def _merge(*maps: Mapping[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for m in maps:
        merged.update(m)
    return merged


def _render_query(template: str, window: timedelta) -> str:
    return _WINDOW_VAR.sub(format_duration(window), template)


@dataclass(frozen=True)
class _Slo:
    """One SLO with everything its rules need resolved (period, windows, labels)."""

    slo: PrometheusSlo
    period: timedelta
    windows: AlertWindows
    labels: Mapping[str, str]
    generator: Generator

    @property
    def id_labels(self) -> dict[str, str]:
        return {_SLO_ID: self.slo.id, _SLO_SERVICE: self.slo.service, _SLO_NAME: self.slo.name}

    @property
    def filter(self) -> str:
        return _prom_filter(self.id_labels)


def _sli_rules(s: _Slo) -> list[Rule]:
    rules: list[Rule] = []
    short = s.windows.page_quick.short
    for window in [*s.windows.durations(), s.period]:
        labels = _merge(s.id_labels, {_WINDOW: format_duration(window)}, s.labels)
        if _ms(window) == _ms(s.period):
            if _ms(window) == _ms(short):
                raise ValueError(f"SLO {s.slo.id}: the period can't be the shortest alert window")
            # Sloth's "optimised" period rule: the mean of the short-window ratios.
            metric = _sli_metric(short) + s.filter
            span = format_duration(window)
            expr = (
                f"sum_over_time({metric}[{span}])\n"
                f"/ ignoring ({_WINDOW})\n"
                f"count_over_time({metric}[{span}])\n"
            )
        elif isinstance(s.slo.sli, EventsSli):
            expr = _render_query(
                f"({s.slo.sli.error_query})\n/\n({s.slo.sli.total_query})\n", window
            )
        else:
            expr = _render_query(f"({s.slo.sli.error_ratio_query})", window)
        rules.append({"record": _sli_metric(window), "expr": expr, "labels": labels})
    return rules


def _burn_rate_expr(metric: str, s: _Slo) -> str:
    return (
        f"{metric}{s.filter}\n"
        f"/ on({_SLO_ID}, {_SLO_NAME}, {_SLO_SERVICE}) group_left\n"
        f"{_ERROR_BUDGET_METRIC}{s.filter}\n"
    )


def _meta_rules(s: _Slo) -> list[Rule]:
    generator = s.generator
    labels = _merge(s.id_labels, s.labels)
    objective = float(s.slo.objective_percent)
    ratio = go_float(objective / 100)
    info = _merge(
        labels,
        {
            "sloth_version": generator.version,
            "sloth_mode": generator.mode,
            "sloth_spec": generator.spec,
            "sloth_objective": go_fixed(objective),
        },
    )
    return [
        {"record": "slo:objective:ratio", "expr": f"vector({ratio})", "labels": labels},
        {"record": _ERROR_BUDGET_METRIC, "expr": f"vector(1-{ratio})", "labels": labels},
        {
            "record": "slo:time_period:days",
            "expr": f"vector({go_float(_hours(s.period) / 24)})",
            "labels": labels,
        },
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": _burn_rate_expr(_sli_metric(s.windows.page_quick.short), s),
            "labels": labels,
        },
        {
            "record": _PERIOD_BURN_METRIC,
            "expr": _burn_rate_expr(_sli_metric(s.period), s),
            "labels": labels,
        },
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"1 - {_PERIOD_BURN_METRIC}{s.filter}",
            "labels": labels,
        },
        {"record": "sloth_slo_info", "expr": "vector(1)", "labels": info},
    ]


def _alert_expr(s: _Slo, quick: AlertWindow, slow: AlertWindow) -> str:
    budget = go_float((100 - float(s.slo.objective_percent)) / 100)

    def over(window: timedelta, factor: float) -> str:
        return (
            f"max({_sli_metric(window)}{s.filter} > ({go_float(factor)} * {budget})) "
            f"without ({_WINDOW})"
        )

    qf, sf = s.windows.burn_factor(quick), s.windows.burn_factor(slow)
    return (
        "(\n"
        f"    {over(quick.short, qf)}\n    and\n    {over(quick.long, qf)}\n"
        ")\nor\n(\n"
        f"    {over(slow.short, sf)}\n    and\n    {over(slow.long, sf)}\n"
        ")\n"
    )


def _alert_rules(s: _Slo) -> list[Rule]:
    alerting = s.slo.alerting
    rules: list[Rule] = []
    severities = (
        ("page", alerting.page, s.windows.page_quick, s.windows.page_slow),
        ("ticket", alerting.ticket, s.windows.ticket_quick, s.windows.ticket_slow),
    )
    for severity, spec, quick, slow in severities:
        if spec.disable:
            continue
        service, name = f"{{{{$labels.{_SLO_SERVICE}}}}}", f"{{{{$labels.{_SLO_NAME}}}}}"
        annotations = _merge(
            {
                "title": f"({severity}) {service} {name} SLO error budget burn rate is too fast.",
                "summary": f"{service} {name} SLO error budget burn rate is over expected.",
            },
            alerting.annotations,
            spec.annotations,
        )
        rules.append(
            {
                "alert": alerting.name,
                "expr": _alert_expr(s, quick, slow),
                "labels": _merge({_SEVERITY: severity}, alerting.labels, spec.labels),
                "annotations": annotations,
            }
        )
    return rules


def window_catalogue(
    windows: AlertWindows | Iterable[AlertWindows] | None = None,
) -> dict[timedelta, AlertWindows]:
    """Alert windows by SLO period: ``windows`` (one set or several), or by default the Google
    30d and 28d sets Sloth ships. Raises ValueError when two sets share a period."""
    if windows is None:
        chosen: Iterable[AlertWindows] = (GOOGLE_30D, GOOGLE_28D)
    elif isinstance(windows, AlertWindows):
        chosen = (windows,)
    else:
        chosen = windows
    catalogue: dict[timedelta, AlertWindows] = {}
    for w in chosen:
        if w.period in catalogue:
            raise ValueError(f"two alert window sets for the period {format_duration(w.period)}")
        catalogue[w.period] = w
    return catalogue


def _rule_node(rule: Rule) -> dict[str, Node]:
    # A Go map of labels/annotations is marshalled sorted; an empty one is omitted (omitempty).
    node: dict[str, Node] = {}
    for key, value in rule.items():
        if isinstance(value, str):
            node[key] = value
        elif value:
            node[key] = go_map_order(value)
    return node


def _header(resolved: Sequence[_Slo]) -> str:
    pairs = sorted(
        {(format_duration(s.period), format_duration(s.windows.page_quick.short)) for s in resolved}
    )
    if len(pairs) == 1:
        [(period, short)] = pairs
        mean = (
            f"# slo:sli_error:ratio_rate{period} is the MEAN of the {short} error ratios over "
            f"{period}\n"
        )
    else:
        mean = (
            "# slo:sli_error:ratio_rate<period> is the MEAN of the shortest-window error "
            "ratios over the period\n"
        )
    return (
        f"# Generated by Accord {_accord_version()} (Sloth-compatible rules: {SLOTH_URL}).\n"
        "# DO NOT EDIT.\n"
        f"{mean}"
        "# (a ratio of timeslices, as Sloth computes it), not sum(errors) / sum(total) over the\n"
        "# period (Accord's occurrences SLI): the two differ when traffic is uneven.\n"
        "# See docs/integrations/prometheus-rules.md.\n"
    )


def render_rules(
    slos: Sequence[PrometheusSlo],
    *,
    period: str | timedelta = "30d",
    windows: AlertWindows | Iterable[AlertWindows] | None = None,
    extra_labels: Mapping[str, str] | None = None,
    recordings: bool = True,
    alerts: bool = True,
    generator: Generator | Callable[[PrometheusSlo], Generator] | None = None,
    kubernetes: KubernetesMeta | None = None,
) -> str:
    """The Prometheus rule file for ``slos``: a YAML document with an Accord header.

    ``period`` applies to SLOs without their own; ``windows`` is the alert-window catalogue
    (one `AlertWindows` per period; default: the Google 30d and 28d sets) and, as with Sloth's
    ``--slo-period-windows-path``, replaces the default one. ``extra_labels`` go on every
    recording rule and win over the SLOs' labels (Sloth's ``-l``). ``recordings=False`` and
    ``alerts=False`` leave out the recording or the alert rules. ``generator`` names what
    produced the rules in ``sloth_slo_info``: one for every SLO, or a function giving each SLO
    its own (default: Accord). ``kubernetes`` renders a prometheus-operator ``PrometheusRule``
    instead of a plain rule file.

    Raises ValueError when there are no SLOs, two SLOs share an id, a period has no alert
    windows, or nothing would be generated (Sloth refuses an empty rule file too).
    """
    if not slos:
        raise ValueError("at least one SLO is required")
    catalogue = window_catalogue(windows)
    default_period = _as_duration(period)
    extra = _frozen(extra_labels)
    _check_labels("extra label", extra)
    default = Generator()

    def generator_of(slo: PrometheusSlo) -> Generator:
        if generator is None:
            return default
        return generator if isinstance(generator, Generator) else generator(slo)

    resolved: list[_Slo] = []
    seen: set[str] = set()
    for slo in slos:
        if slo.id in seen:
            raise ValueError(f"SLO id {slo.id!r} is repeated")
        seen.add(slo.id)
        slo_period = slo.period or default_period
        chosen = catalogue.get(slo_period)
        if chosen is None:
            known = ", ".join(format_duration(w.period) for w in catalogue.values())
            raise ValueError(
                f"SLO {slo.id}: no alert windows for the period {format_duration(slo_period)} "
                f"(known: {known})"
            )
        resolved.append(_Slo(slo, slo_period, chosen, _merge(slo.labels, extra), generator_of(slo)))

    groups: list[Node] = []
    for s in resolved:
        parts: list[tuple[str, list[Rule]]] = []
        if recordings:
            parts.append((f"sloth-slo-sli-recordings-{s.slo.id}", _sli_rules(s)))
            parts.append((f"sloth-slo-meta-recordings-{s.slo.id}", _meta_rules(s)))
        if alerts:
            parts.append((f"sloth-slo-alerts-{s.slo.id}", _alert_rules(s)))
        for name, rules in parts:
            if rules:
                groups.append({"name": name, "rules": [_rule_node(r) for r in rules]})
    if not groups:
        raise ValueError("no rules to generate: recordings and alerts are all disabled")

    root: Node
    if kubernetes is None:
        root = {"groups": groups}
    else:
        metadata: dict[str, Node] = {
            "name": kubernetes.name,
            "labels": _merge(
                {
                    "app.kubernetes.io/component": "SLO",
                    "app.kubernetes.io/managed-by": kubernetes.managed_by,
                },
                kubernetes.labels,
            ),
        }
        if kubernetes.namespace:
            metadata["namespace"] = kubernetes.namespace
        if kubernetes.annotations:
            metadata["annotations"] = dict(kubernetes.annotations)
        root = _sorted_tree(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": metadata,
                "spec": {"groups": groups},
            }
        )
    return "---\n" + _header(resolved) + "\n" + to_yaml(root)
