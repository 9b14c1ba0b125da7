"""The demo portfolio: Lakeside Bank, two years of service agreements.

Three business units (retail banking, corporate banking, platform engineering) in two regions
(eu-west under Irish law with data residency, us-east without). Platform engineering runs the
shared services everything else depends on and commits to the other units in OLAs; it buys cloud,
core-banking support and a managed SOC from vendors (UCs). Retail and corporate banking serve
business customers under SLAs, some monolithic, some as schedules under a master agreement, and
buy their own vendor services (card network, CDN, SMS, SWIFT bureau).

The script runs from about 26 months ago to yesterday: set-up, catalogue, first agreements 24-18
months ago, renegotiations, renewals, expiries and sunsets since, and a pipeline of drafts and
reviews today; service level objectives, error budget policies and 90 days of telemetry with its
evaluation history (`slos`); six weeks of incident tickets with their timers (`tickets`). Day
numbers are offsets from today.
"""

from __future__ import annotations

from accord.demo import corporate, organisation, platform, retail, slos, tickets
from accord.demo.terms import References
from accord.demo.timeline import Timeline


def script(t: Timeline) -> None:
    """Schedule the whole history on ``t`` (`Timeline.run` replays it in time order)."""
    organisation.schedule(t)
    refs = References()
    platform.schedule(t, refs)
    retail.schedule(t, refs)
    corporate.schedule(t, refs)
    slos.schedule(t)
    tickets.schedule(t)
