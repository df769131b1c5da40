"""A matplotlib figure as PNG bytes, base64 text or a ``data:`` URI: the one figure encoder."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure_base64", "figure_data_uri", "figure_png"]


def figure_png(fig: Figure, *, dpi: int = 110, tight: bool = True, close: bool = True) -> bytes:
    """Render ``fig`` to PNG bytes, reproducibly.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (pyplot-managed or a bare ``Figure``).
    dpi : int, default 110
        Resolution.
    tight : bool, default True
        Crop to the drawn area (``bbox_inches="tight"``) so no label is cut off.
    close : bool, default True
        Close a pyplot-managed figure afterwards so it does not also show inline (a bare
        ``matplotlib.figure.Figure`` has nothing to close, and pyplot is not imported for it).

    Returns
    -------
    bytes
        The PNG file. No software or date metadata is written, so the same figure gives the
        same bytes.
    """
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format="png",
        dpi=dpi,
        bbox_inches="tight" if tight else None,
        metadata={"Software": None},
    )
    number = getattr(fig, "number", None)  # only pyplot-managed figures have a number
    if close and number is not None:
        import matplotlib.pyplot as plt

        if plt.fignum_exists(number):
            plt.close(fig)
    return buf.getvalue()


def figure_base64(fig: Figure, **kwargs) -> str:
    """Return :func:`figure_png` as ASCII base64 text (for notebook display bundles)."""
    return base64.b64encode(figure_png(fig, **kwargs)).decode("ascii")


def figure_data_uri(fig: Figure, **kwargs) -> str:
    """Return a ``data:image/png;base64,...`` URI for embedding in HTML or Markdown."""
    return "data:image/png;base64," + figure_base64(fig, **kwargs)
