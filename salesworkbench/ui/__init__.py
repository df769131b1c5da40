"""ipywidgets apps, one per notebook; they call the core modules and are testable without a browser."""
