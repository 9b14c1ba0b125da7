"""Evaluation of objectives: status, error budgets, burn-rate alerts, policy events, gates."""
