"""Errors of ingestion, with their HTTP status."""

from __future__ import annotations

from collections.abc import Mapping

from accord.kit.errors import BatchRejected, FieldProblem


class RowsRejected(BatchRejected):
    """A pushed batch with rows that fail a check configured as *reject* (or are malformed):
    nothing of the batch is stored (400, per the Prometheus remote-write convention, so senders
    do not retry it); ``errors`` lists each row at fault (``rows[12].good``)."""

    code = "rows-rejected"
    title = "Rows rejected"

    def __init__(
        self,
        detail: str,
        *,
        problems: list[FieldProblem],
        rows: int,
        reasons: Mapping[str, int],
    ) -> None:
        super().__init__(detail, problems=problems)
        self.rows = rows
        """Rows rejected (``problems`` may list fewer: it is capped)."""
        self.reasons = dict(reasons)
        """Rows per failed check, for Accord's own metrics."""
