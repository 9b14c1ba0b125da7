"""Service level objectives (SLOs) and the error budget policies that act on them."""
