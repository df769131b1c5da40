"""Customer-facing apps served with Voilà (``make present CASE=...``): no code is shown."""
