"""The widget apps' base class: controls from specs, set(), silent updates, show, display."""

from __future__ import annotations

import base64

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

pytest.importorskip("ipywidgets")
import ipywidgets as widgets

from salesworkbench.ui.base import App, View, error_html, make_control


class Counter(App):
    """A minimal app: two controls that update, one that does not, and a button."""

    def __init__(self, draw: bool = False) -> None:
        super().__init__(draw=draw)
        self.updates = 0
        self.add_controls(
            {
                "a": {"kind": "FloatSlider", "value": 1.0, "min": 0.0, "max": 10.0},
                "b.c": {"kind": "Dropdown", "options": ["x", "y"], "value": "x"},
            },
            description_width="90px",
            width="300px",
        )
        self.notes: list = []
        self.add_controls(
            {"note": {"kind": "Text", "value": ""}, "go": widgets.Button(description="go")},
            on_change=self.notes.append,
        )
        self.out = widgets.Output()
        self.widget = widgets.VBox([*self.controls.values(), self.out])
        self.update()

    def update(self) -> dict:
        self.updates += 1
        self.params = {k: v for k, v in self.values().items() if k != "note"}
        self.result = {"sum": self.params["a"] * (2 if self.params["b.c"] == "y" else 1)}
        return self.result


def test_make_control_from_a_spec():
    slider = make_control(
        {"kind": "IntSlider", "value": 3, "max": 9, "description": "n"},
        style={"description_width": "80px"},
        layout=widgets.Layout(width="200px"),
    )
    assert isinstance(slider, widgets.IntSlider) and slider.value == 3 and slider.max == 9
    assert slider.continuous_update is False  # one update when the user lets go
    assert slider.style.description_width == "80px" and slider.layout.width == "200px"
    own = make_control({"kind": "FloatSlider", "continuous_update": True})
    assert own.continuous_update is True  # a spec's own setting wins
    assert make_control({"kind": "Text"}).continuous_update is True  # not a slider: as is
    ready = widgets.Checkbox()
    assert make_control(ready) is ready
    with pytest.raises(ValueError, match="no ipywidgets control 'Knob'"):
        make_control({"kind": "Knob"})


def test_one_update_per_user_change():
    app = Counter()
    assert app.updates == 1 and app.result == {"sum": 1.0}
    assert app.controls["a"].style.description_width == "90px"
    app.controls["a"].value = 4.0
    assert app.updates == 2 and app.result["sum"] == 4.0 and app.params["a"] == 4.0
    app.controls["note"].value = "memo"  # its own handler, no update
    assert app.updates == 2 and app.notes[-1]["new"] == "memo"
    assert "go" not in app.values() and "note" in app.values()


def test_set_changes_many_controls_with_one_update():
    app = Counter()
    result = app.set(a=5.0, b__c="y")  # a keyword cannot hold a dot
    assert app.updates == 2 and result == {"sum": 10.0} and app.params["b.c"] == "y"
    app.set(**{"b.c": "x"})
    assert app.updates == 3 and app.result["sum"] == 5.0


def test_set_checks_every_name_before_changing_anything():
    app = Counter()
    with pytest.raises(KeyError, match="no control 'zz'; controls: a, b.c, note, go"):
        app.set(a=9.0, zz=1)
    assert app.controls["a"].value == 1.0 and app.updates == 1


def test_silent_blocks_nest_and_do_not_update():
    app = Counter()
    assert not app.silenced
    with app.silent():
        app.controls["a"].value = 2.0
        with app.silent():
            app.controls["a"].value = 3.0
        assert app.silenced  # still inside the outer block
        app.controls["b.c"].value = "y"
    assert not app.silenced and app.updates == 1  # nothing ran; the caller decides when to update
    app.controls["a"].value = 4.0
    assert app.updates == 2 and app.result["sum"] == 8.0


def test_a_control_name_is_used_once():
    app = Counter()
    with pytest.raises(ValueError, match="control 'a' exists already"):
        app.add_controls({"a": {"kind": "Text"}})


def test_update_must_be_written_by_the_app():
    with pytest.raises(NotImplementedError):
        App().update()


def test_show_sets_the_output_by_state():
    import matplotlib.pyplot as plt

    app = Counter()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    app.show(app.out, "a note", fig, pd.DataFrame({"x": [1]}))
    kinds = [sorted(o["data"]) for o in app.out.outputs]
    assert kinds == [["text/plain"], ["image/png", "text/plain"], ["text/html", "text/plain"]]
    png = base64.b64decode(app.out.outputs[1]["data"]["image/png"])
    assert png.startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)  # a pyplot figure is closed once shown
    app.show(app.out)
    assert app.out.outputs == ()


def test_displaying_an_app_displays_its_widget(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    app = Counter()
    app._ipython_display_()
    view = View()
    view.widget = widgets.HTML("x")
    view._ipython_display_()
    assert shown == [app.widget, view.widget]


def test_error_html_escapes_user_text():
    html = error_html("case '<b>Acme</b>': bad range")
    assert "<b>" not in html and "&lt;b&gt;Acme" in html and html.startswith("<span")
