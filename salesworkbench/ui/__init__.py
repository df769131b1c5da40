"""ipywidgets apps, one per notebook.

Each app calls the core modules and is testable without a browser.
"""
