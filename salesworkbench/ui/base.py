"""The base of every widget app: controls from specs, current settings, one update at a time.

An app is a small object a notebook displays and a test drives from code::

    app.controls["quota"].value = 4e6      # what a user's click does: one update
    app.set(quota=4e6, period="month")     # several controls, one update
    app.params                             # the settings the last update used
    app.result                             # what the last update computed
    app                                    # displays app.widget in a notebook

A subclass builds its controls with :meth:`App.add_controls`, lays them out in ``self.widget``,
implements :meth:`App.update` (read the controls into ``params``, call the core, store
``result``, draw if ``self.draw``) and calls it once at the end of its constructor. The maths
stays in the core packages; an app only wires it to controls.

Figures and tables reach the screen through :meth:`App.show` (see :mod:`._output`: no
``with out: display(...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from salesworkbench.render import escape
from salesworkbench.ui._output import show

__all__ = ["App", "View", "error_html", "make_control"]

#: Widgets that re-run an update on every drag step unless told otherwise.
_SLIDERS = ("Slider", "RangeSlider")
_DEFAULT = object()


def make_control(spec: Mapping[str, Any] | Any, **defaults: Any):
    """Build one ipywidgets control from a spec (or return a widget given as is).

    Parameters
    ----------
    spec : mapping or widget
        ``{"kind": "FloatSlider", "value": 0.8, "min": 0.5, "max": 0.99, ...}``: ``kind`` names
        an ipywidgets class, the other keys are its arguments. Sliders get
        ``continuous_update=False`` unless the spec says otherwise (one update when the user
        lets go, not one per pixel dragged).
    **defaults
        Arguments used when the spec does not give them (e.g. ``style``, ``layout``).

    Returns
    -------
    ipywidgets.Widget
    """
    import ipywidgets as widgets

    if not isinstance(spec, Mapping):
        return spec
    options = dict(spec)
    kind = options.pop("kind")
    cls = getattr(widgets, kind, None)
    if cls is None:
        raise ValueError(f"no ipywidgets control {kind!r}")
    if kind.endswith(_SLIDERS):
        options.setdefault("continuous_update", False)
    for key, value in defaults.items():
        if value is not None and key in cls.class_trait_names():
            options.setdefault(key, value)
    return cls(**options)


def error_html(message: object) -> str:
    """A problem to show in an app's HTML line: escaped (names and paths are user text), red."""
    return f"<span style='color:#c0504d'>{escape(message)}</span>"


class View:
    """Something a notebook shows as its ``widget`` (an ipywidgets box)."""

    widget: Any = None

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class App(View):
    """Base class of the widget apps.

    Parameters
    ----------
    draw : bool, default True
        Draw figures and tables into the app's Output widgets; False only computes (faster,
        for tests and scripts).

    Attributes
    ----------
    controls : dict of str -> ipywidgets widget
        The controls by name.
    params : dict
        The settings the last update used.
    result : dict or DataFrame
        What the last update computed (each app documents its keys).
    widget : ipywidgets widget
        The app to display.
    draw : bool
        Whether updates draw.
    """

    def __init__(self, *, draw: bool = True) -> None:
        self.draw = draw
        self.controls: dict[str, Any] = {}
        self.params: dict[str, Any] = {}
        self.result: Any = {}
        self._silent = False

    # ---------------------------------------------------------------- controls
    def add_controls(
        self,
        specs: Mapping[str, Mapping[str, Any] | Any],
        *,
        on_change: Callable[[dict], None] | None | object = _DEFAULT,
        description_width: str | None = None,
        width: str | None = None,
    ) -> dict[str, Any]:
        """Build controls from specs, add them to :attr:`controls` and watch their values.

        Parameters
        ----------
        specs : mapping of str -> spec
            Control name -> spec for :func:`make_control` (or a ready widget).
        on_change : callable or None, optional
            Called with the change when a control's value changes; default
            :meth:`_on_change` (an update, unless changes are :meth:`silent`); None watches
            nothing (e.g. buttons, which the app wires itself).
        description_width, width : str, optional
            Common label width and control width (CSS, e.g. ``"130px"``), unless a spec sets
            ``style`` or ``layout``.

        Returns
        -------
        dict of str -> widget
            The new controls, in the order of ``specs``.
        """
        import ipywidgets as widgets

        style = {"description_width": description_width} if description_width else None
        layout = widgets.Layout(width=width) if width else None
        handler = self._on_change if on_change is _DEFAULT else on_change
        built = {}
        for name, spec in specs.items():
            if name in self.controls:
                raise ValueError(f"control {name!r} exists already")
            control = make_control(spec, style=style, layout=layout)
            if handler is not None and control.has_trait("value"):
                control.observe(handler, names="value")
            built[name] = self.controls[name] = control
        return built

    def values(self) -> dict[str, Any]:
        """The current value of every control that has one, by name."""
        return {n: c.value for n, c in self.controls.items() if c.has_trait("value")}

    @property
    def silenced(self) -> bool:
        """True inside :meth:`silent`: a handler of a control's change should not update."""
        return self._silent

    @contextmanager
    def silent(self) -> Iterator[None]:
        """Change controls inside this block without an update per change.

        Nested blocks are fine; the app updates only when the caller says so (e.g.
        :meth:`set` updates once at the end).
        """
        before = self._silent
        self._silent = True
        try:
            yield
        finally:
            self._silent = before

    def set(self, **values: Any) -> Any:
        """Set several controls at once, then update once, e.g. ``set(quota=3e6, period="month")``.

        A keyword cannot hold a dot: ``potential__revenue`` sets ``potential.revenue``. Every
        name is checked before anything changes.

        Returns
        -------
        The app's :attr:`result`.

        Raises
        ------
        KeyError
            A name that is not a control.
        """
        names = {k: k if k in self.controls else k.replace("__", ".") for k in values}
        for name in names.values():
            if name not in self.controls:
                raise KeyError(f"no control {name!r}; controls: {', '.join(self.controls)}")
        with self.silent():
            for key, value in values.items():
                self.controls[names[key]].value = value
        return self.update()

    def _on_change(self, change: dict) -> None:
        if not self._silent:
            self.update()

    # ---------------------------------------------------------------- the app's work
    def update(self) -> Any:
        """Read the controls, recompute, store :attr:`result`, draw; return the result."""
        raise NotImplementedError

    def show(self, out, *objects: Any, **options: Any) -> None:
        """Show ``objects`` (figures, tables, text) in the Output ``out``, replacing what was there.

        ``options`` go to :func:`salesworkbench.ui._output.show` (``dpi``, ``tight``).
        """
        show(out, *objects, **options)
