"""A matplotlib figure as PNG bytes, base64 text or a ``data:`` URI: the one figure encoder."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "figure_base64",
    "figure_data_uri",
    "figure_png",
    "fit_tick_labels",
    "overlapping_labels",
]


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


def overlapping_labels(fig: Figure, gap: float = 3.0) -> list[tuple[str, str]]:
    """Pairs of tick labels (per axis) and text annotations whose drawn boxes intersect.

    The figure is drawn (with its layout engine) and the window extents of every visible,
    non-empty tick label of each axis are compared pairwise, then every annotation and text of
    an Axes (bar labels, P10/P90 markers) against the others, against the tick labels and
    against the legend.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    gap : float, default 3.0
        Pixels that must separate two labels: boxes closer than that count as overlapping
        (labels that touch read as one).

    Returns
    -------
    list of (str, str)
        The texts of the overlapping pairs; empty when every label is clear.
    """
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure: give it an Agg canvas
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()

    def boxes(texts) -> list:
        out = []
        for t in texts:
            if t.get_visible() and t.get_text().strip():
                b = t.get_window_extent(renderer)
                out.append((t.get_text(), b.padded(gap / 2)))
        return out

    def clash(group_a, group_b=None) -> list[tuple[str, str]]:
        found = []
        for i, (ta, ba) in enumerate(group_a):
            others = group_a[i + 1 :] if group_b is None else group_b
            for tb, bb in others:
                if ba.overlaps(bb):
                    found.append((ta, tb))
        return found

    pairs: list[tuple[str, str]] = []
    for ax in fig.axes:
        ticks = []
        for axis in (ax.xaxis, ax.yaxis):
            labels = boxes(axis.get_ticklabels())
            pairs += clash(labels)
            ticks += labels
        texts = boxes(ax.texts)
        pairs += clash(texts)
        pairs += clash(texts, ticks)
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            pairs += clash(texts, [("legend", legend.get_window_extent(renderer))])
    return pairs


def fit_tick_labels(fig: Figure) -> list[tuple[str, str]]:
    """Make crowded x tick labels readable and say what still overlaps.

    Numeric axes first get fewer ticks (half as many, as often as needed down to three); then
    labels that still overlap (categories, such as a waterfall's lines) are tilted 30 degrees,
    then 90.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    list of (str, str)
        :func:`overlapping_labels` after the fix (empty when every label is clear).
    """
    from matplotlib.ticker import FixedLocator, MaxNLocator

    pairs = overlapping_labels(fig)
    for _ in range(3):
        if not pairs:
            return pairs
        thinned = False
        for ax in fig.axes:
            locator = ax.xaxis.get_major_locator()
            ticks = [t for t in ax.get_xticklabels() if t.get_text().strip()]
            if not isinstance(locator, FixedLocator) and len(ticks) > 3:
                ax.xaxis.set_major_locator(MaxNLocator(nbins=max(len(ticks) // 2, 3)))
                thinned = True
        if not thinned:
            break
        pairs = overlapping_labels(fig)
    for angle in (30, 90):
        if not pairs:
            break
        for ax in fig.axes:
            for label in ax.get_xticklabels():
                label.set_rotation(angle)
                label.set_horizontalalignment("right" if angle < 90 else "center")
                label.set_rotation_mode("anchor" if angle < 90 else "default")
        pairs = overlapping_labels(fig)
    return pairs
