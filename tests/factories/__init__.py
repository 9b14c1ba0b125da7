"""Typed helpers that build test data through the product's own services (so every row in a
test went through the same validation, authorisation and audit as in production)."""
