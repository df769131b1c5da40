"""Show results in an ``ipywidgets.Output`` by setting its ``outputs`` (no ``with out:``).

Why: ``with out: display(...)`` sends display messages that only a browser's widget manager
routes into the Output widget. Headless runners differ in what they do with them (nbclient
captures them into the widget, nbval's kernel client leaves them in the cell), so notebooks
that draw that way can never have stable stored outputs. Setting ``Output.outputs`` is a plain
widget-state change: every frontend shows the same thing and no stray output reaches the cell.
"""

from __future__ import annotations

import base64
import io
from typing import Any

__all__ = ["show"]


def _bundle(obj: Any) -> dict:
    """Return a display_data output for a figure, a DataFrame, text or anything IPython shows."""
    from matplotlib.figure import Figure

    if isinstance(obj, Figure):
        buf = io.BytesIO()
        obj.savefig(buf, format="png", dpi=90, bbox_inches="tight")
        data = {
            "image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
            "text/plain": f"<Figure with {len(obj.axes)} Axes>",
        }
        import matplotlib.pyplot as plt

        plt.close(obj)
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


def show(out, *objects: Any) -> None:
    """Replace what ``out`` (an ``ipywidgets.Output``) shows with ``objects``, in order.

    Matplotlib figures are rendered to PNG and closed; DataFrames show as HTML tables; strings
    as text; ``IPython.display.Markdown``/``HTML`` objects as themselves.
    """
    out.outputs = tuple(_bundle(obj) for obj in objects)
