"""Show results in an ``ipywidgets.Output`` by setting its ``outputs`` (no ``with out:``).

Why: ``with out: display(...)`` sends display messages that only a browser's widget manager
routes into the Output widget. Headless runners differ in what they do with them (nbclient
captures them into the widget, nbval's kernel client leaves them in the cell), so notebooks
that draw that way can never have stable stored outputs. Setting ``Output.outputs`` is a plain
widget-state change: every frontend shows the same thing and no stray output reaches the cell.
"""

from __future__ import annotations

from typing import Any

from salesworkbench.render import figure_base64

__all__ = ["show"]


def _bundle(obj: Any, dpi: int, tight: bool) -> dict:
    """Return a display_data output for a figure, a DataFrame, text or anything IPython shows."""
    from matplotlib.figure import Figure

    if isinstance(obj, Figure):
        data = {
            "image/png": figure_base64(obj, dpi=dpi, tight=tight),  # closes a pyplot figure
            "text/plain": f"<Figure with {len(obj.axes)} Axes>",
        }
    elif isinstance(obj, str):
        data = {"text/plain": obj}
    else:
        data = {"text/plain": repr(obj)}
        html = getattr(obj, "_repr_html_", None)
        if callable(html):
            rendered = html()
            if rendered:
                data["text/html"] = rendered
        markdown = getattr(obj, "_repr_markdown_", None)
        if callable(markdown):
            rendered = markdown()
            if rendered:
                data["text/markdown"] = rendered
    return {"output_type": "display_data", "data": data, "metadata": {}}


def show(out, *objects: Any, dpi: int = 90, tight: bool = True) -> None:
    """Replace what ``out`` (an ``ipywidgets.Output``) shows with ``objects``, in order.

    Matplotlib figures are rendered to PNG (:func:`salesworkbench.render.figure_png`) and, if
    pyplot made them, closed; DataFrames show as HTML tables; strings as text;
    ``IPython.display.Markdown``/``HTML`` objects as themselves.

    Parameters
    ----------
    out : ipywidgets.Output
        Where to show.
    *objects
        What to show.
    dpi : int, default 90
        Resolution of figures.
    tight : bool, default True
        Crop figures to what is drawn. An app that keeps one figure with fixed margins passes
        False: the figure then renders once instead of twice (several times faster).
    """
    out.outputs = tuple(_bundle(obj, dpi, tight) for obj in objects)
