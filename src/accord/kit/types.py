"""Annotated input types shared by every schema.

Text never contains NUL or other control characters (PostgreSQL rejects NUL outright, SQLite would
store it): they are refused at the schema boundary with the field named.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

# C0 controls, DEL and C1 controls (Unicode category Cc); single-line text also refuses the
# Unicode line and paragraph separators. Checked on the raw input, *before* whitespace is
# stripped, so a trailing newline or NEL is refused rather than silently dropped.
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def reject_control_characters(value: str) -> str:
    if _CONTROL_SINGLE_LINE.search(value):
        raise ValueError("control characters (including NUL) are not allowed")
    return value


def reject_control_characters_multiline(value: str) -> str:
    if _CONTROL_MULTI_LINE.search(value):
        raise ValueError("control characters (including NUL) are not allowed")
    return value


def _raw_single_line(value: object) -> object:
    """Before validation (and stripping): non-strings are left to the type check."""
    return reject_control_characters(value) if isinstance(value, str) else value


def _raw_multi_line(value: object) -> object:
    return reject_control_characters_multiline(value) if isinstance(value, str) else value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(reject_control_characters),
    BeforeValidator(_raw_single_line),
]
"""A single-line human label (a title, a person's or a party's name)."""

ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(reject_control_characters),
    BeforeValidator(_raw_single_line),
]
"""A single-line clause (an inclusion, an exclusion, a responsibility)."""

LongText = Annotated[
    str,
    StringConstraints(max_length=20_000),
    AfterValidator(reject_control_characters_multiline),
    BeforeValidator(_raw_multi_line),
]
"""Free text that may span lines (descriptions, notes)."""

Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=2_000),
    AfterValidator(reject_control_characters_multiline),
    BeforeValidator(_raw_multi_line),
    Field(description="Why the change is made; recorded in the audit trail."),
]

Slug = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"),
    Field(description="Lower-case letters, digits and single hyphens, e.g. `payments-api`."),
]

Reference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(reject_control_characters),
    BeforeValidator(_raw_single_line),
]
"""An identifier from another system (a CMDB CI id, a legal matter number)."""

Instant = AwareDatetime
"""A timestamp with an explicit UTC offset; naive timestamps are rejected."""

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    AfterValidator(reject_control_characters),
    BeforeValidator(_raw_single_line),
    Field(description="An e-mail address."),
]

Code = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"),
    Field(description="A stable lower-case identifier, e.g. `retail-banking`, `eu_west`."),
]
