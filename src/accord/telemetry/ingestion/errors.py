"""Errors of ingestion, with their HTTP status."""

from __future__ import annotations

from accord.kit.errors import InvalidInput


class RowsRejected(InvalidInput):
    """A pushed batch with rows that fail a check configured as *reject* (or are malformed):
    nothing of the batch is stored. 400, per the Prometheus remote-write convention, so senders
    do not retry it; ``errors`` lists each row at fault (``rows[12].good``)."""

    status = 400
    code = "rows-rejected"
    title = "Rows rejected"
