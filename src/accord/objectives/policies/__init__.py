"""Error budget policies: ordered thresholds on an objective's budget and burn-rate alerts, each
with the actions it calls for (notify, escalate, freeze releases, require a review)."""
