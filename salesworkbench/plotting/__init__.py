"""Matplotlib figures, one module per topic.

Every function takes ``ax=None`` (the current Axes), imports matplotlib inside the function
and returns the Axes.
"""
