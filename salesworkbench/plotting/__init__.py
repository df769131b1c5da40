"""Matplotlib figures, one module per topic; every function takes ``ax=None`` and returns the Axes."""
