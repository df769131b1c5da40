"""The territory plan: segmented accounts plus profile, coverage, messaging, and its exports.

A territory plan turns a segmented account list (:func:`salesworkbench.territory.segment`)
into decisions: which accounts fit the customer profile, where the potential and the current
business sit (by sector, region and segment), how much selling time each segment needs
against the time the team has, optionally which rep covers which account, and what to say
to each segment. :class:`TerritoryPlan` gathers the sections and writes them to CSV, Excel
(one sheet per section), Markdown and HTML.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench.spreadsheet import neutralise_frame, protect_workbook
from salesworkbench.territory.assign import assign_accounts
from salesworkbench.territory.coverage import (
    DEFAULT_CAPACITY,
    DEFAULT_COVERAGE,
    capacity_summary,
    coverage_plan,
)
from salesworkbench.territory.drivers import ScoreModel
from salesworkbench.territory.market import market_analysis, segment_summary
from salesworkbench.territory.profile import CustomerProfile
from salesworkbench.territory.segments import SEGMENTS, segment

__all__ = ["DEFAULT_MESSAGING", "TerritoryPlan"]

#: Messaging strategy per segment (editable text of the plan).
DEFAULT_MESSAGING: dict[str, str] = {
    "Alpha": (
        "Open with value: bring a point of view on the account's business issues and a "
        "quantified value case; build relationships with every key player; plan each account."
    ),
    "Beta": (
        "Protect and grow the installed base: references, satisfaction reviews, upgrades and "
        "add-ons that show value already delivered."
    ),
    "Delta": (
        "Low-touch: marketing programmes and inside sales; qualify the potential (complete "
        "the missing data) before investing field time."
    ),
}

#: Columns shown as percentages in the Markdown and HTML summaries.
_PERCENT_COLUMNS = frozenset({"share", "coverage", "utilisation", "share_of_wallet"})

_CSS = (
    "body{font-family:sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse;margin-bottom:1.5em;font-size:90%}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}"
    "th{background:#f3f3f3}.num{text-align:right}"
)

#: A bullet of a summary list: bold label ("" for none) and text, both already escaped.
_Bullet = tuple[str, str]


@dataclass
class TerritoryPlan:
    """A territory plan: segmented accounts plus profile, coverage, capacity and messaging.

    Build it with :meth:`build` (scores and segments the accounts) or from accounts already
    segmented. Edit ``messaging``, ``coverage`` or ``capacity`` and call :meth:`sections` or an
    export again: every section is computed from the current fields.

    Attributes
    ----------
    accounts : DataFrame
        Segmented accounts (:func:`salesworkbench.territory.segment`).
    name : str
        Title of the plan.
    profile : CustomerProfile, optional
        Customer profile and qualification criteria.
    coverage, capacity : mapping
        See :func:`~salesworkbench.territory.coverage_plan`.
    allocation : str or mapping
        See :func:`~salesworkbench.territory.coverage_plan`.
    messaging : dict
        Messaging strategy per segment (free text).
    reps : DataFrame or list, optional
        Reps for :func:`~salesworkbench.territory.assign_accounts`; without them the plan has
        no assignment section.
    assign_options : dict
        Keyword arguments for :func:`~salesworkbench.territory.assign_accounts`;
        ``hours_per_rep`` defaults to the capacity of the assigned role (account executives).
    market_by : list of str
        Columns for the market-analysis sections.
    notes : str
        Free text for the summary.
    """

    accounts: pd.DataFrame
    name: str = "Territory plan"
    profile: CustomerProfile | None = None
    coverage: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_COVERAGE.items()}
    )
    capacity: Mapping[str, Mapping[str, float] | float] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_CAPACITY.items()}
    )
    allocation: str | Mapping[str, float] = "priority"
    messaging: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MESSAGING))
    reps: pd.DataFrame | Sequence[str] | None = None
    assign_options: dict = field(default_factory=dict)
    market_by: list[str] = field(default_factory=lambda: ["sector", "region"])
    notes: str = ""

    @classmethod
    def build(
        cls,
        accounts: pd.DataFrame,
        potential_high: float = 70,
        potential_low: float = 30,
        relationship_high: float = 50,
        *,
        model: ScoreModel | None = None,
        profile: CustomerProfile | None = None,
        **fields,
    ) -> TerritoryPlan:
        """Score and segment ``accounts`` and wrap them in a plan.

        With a ``profile`` and no ``model``, the default model uses the profile's sector fit.
        ``fields`` are the other attributes (name, coverage, capacity, messaging, reps...).
        """
        if model is None and profile is not None and profile.sectors:
            model = profile.score_model()
        seg = segment(accounts, potential_high, potential_low, relationship_high, model=model)
        return cls(accounts=seg, profile=profile, **fields)

    @property
    def thresholds(self) -> dict[str, float]:
        """Thresholds the accounts were segmented with (empty if unknown)."""
        return dict(self.accounts.attrs.get("territory", {}))

    def prioritised(self, segment_name: str | None = None) -> pd.DataFrame:
        """Accounts in priority order (optionally one segment), with the plan's columns."""
        a = self.accounts
        if self.profile is not None:
            q = self.profile.qualify(a)
            a = a.assign(qualified=q["qualified"], qualification=q["qualification"])
        if segment_name is not None:
            if segment_name not in SEGMENTS:
                raise ValueError(f"segment must be one of {', '.join(SEGMENTS)}")
            a = a[a["segment"] == segment_name]
        cols = [
            c
            for c in (
                "priority",
                "account_id",
                "name",
                "sector",
                "region",
                "territory",
                "owner",
                "segment",
                "potential",
                "relationship",
                "potential_band",
                "relationship_band",
                "insufficient_data",
                "qualified",
                "qualification",
                "reason",
            )
            if c in a
        ]
        return a.sort_values("priority")[cols].reset_index(drop=True)

    def coverage_table(self) -> pd.DataFrame:
        """:func:`~salesworkbench.territory.coverage_plan` with the plan's settings."""
        return coverage_plan(
            self.accounts, self.coverage, self.capacity, allocation=self.allocation
        )

    def sections(self) -> dict[str, pd.DataFrame]:
        """Every section of the plan as a table, in report order."""
        out: dict[str, pd.DataFrame] = {}
        if self.profile is not None:
            out["profile"] = self.profile.criteria()
        out["segment_summary"] = segment_summary(self.accounts).reset_index()
        for col in self.market_by:
            if col in self.accounts:
                out[f"market_by_{col}"] = market_analysis(self.accounts, col).reset_index()
        cov = self.coverage_table()
        out["coverage"] = cov
        out["capacity"] = capacity_summary(cov, self.capacity).reset_index()
        out["messaging"] = pd.DataFrame(
            {"segment": list(SEGMENTS), "message": [self.messaging.get(s, "") for s in SEGMENTS]}
        )
        out["alpha_accounts"] = self.prioritised("Alpha")
        out["accounts"] = self.prioritised()
        if self.reps is not None:
            opts = dict(self.assign_options)
            role = opts.setdefault("role", "account_executive")
            spec = self.capacity.get(role)
            if isinstance(spec, Mapping) and "hours_per_rep" in spec:
                opts.setdefault("hours_per_rep", float(spec["hours_per_rep"]))
            # solved once per set of inputs: every export calls sections(), and an optimal
            # solve under a time limit takes seconds (and could differ between runs)
            key = (
                _fingerprint(self.accounts),
                _fingerprint(self.reps),
                repr(sorted(opts.items())),
                repr(self.coverage),
            )
            cached = getattr(self, "_assigned", None)
            if cached is None or cached[0] != key:
                cached = (
                    key,
                    assign_accounts(self.accounts, self.reps, coverage=self.coverage, **opts),
                )
                object.__setattr__(self, "_assigned", cached)
            assignment, load = cached[1]
            out["assignment"] = assignment
            out["rep_load"] = load.reset_index()
        return out

    # -- export ---------------------------------------------------------------------------

    def to_csv(self, directory: str | os.PathLike) -> list[Path]:
        """Write one CSV per section into ``directory``; return the paths."""
        d = Path(directory)
        paths = []
        for name, table in self.sections().items():
            path = d / f"{name}.csv"
            with atomic_write(path, "w", newline="") as fh:
                neutralise_frame(table).to_csv(fh, index=False)
            paths.append(path)
        return paths

    def to_excel(self, path: str | os.PathLike) -> Path:
        """Write the plan to an Excel workbook, one sheet per section (atomically)."""
        path = Path(path)
        sections = self.sections()
        with atomic_write(path, "wb") as fh:
            with pd.ExcelWriter(fh, engine="openpyxl") as xw:
                for name, table in sections.items():
                    table.to_excel(xw, sheet_name=name[:31], index=False)
                    ws = xw.sheets[name[:31]]
                    for col_cells in ws.columns:
                        width = max(
                            len(str(c.value)) if c.value is not None else 0 for c in col_cells[:200]
                        )
                        ws.column_dimensions[col_cells[0].column_letter].width = min(
                            max(10, width + 2), 80
                        )
                    ws.freeze_panes = "A2"
                protect_workbook(xw.book)
        return path

    def _summary_blocks(
        self, top: int, text: Callable[[str], str], user: Callable[[Any], str]
    ) -> list[tuple[str, pd.DataFrame | list[_Bullet]]]:
        """The sections of the Markdown/HTML summary, escaped for one output format.

        ``text`` escapes the plan's own wording (titles, rules, segment names) and ``user``
        escapes user strings (column names, messaging, notes). Tables are returned as they
        are; the renderer escapes their cells.
        """
        th = self.thresholds
        s = self.sections()
        blocks: list[tuple[str, pd.DataFrame | list[_Bullet]]] = []
        if th:
            rules = [
                f"Alpha: potential >= {th['potential_high']:g} (any relationship), "
                "prioritised by relationship",
                f"Beta: potential {th['potential_low']:g} to {th['potential_high']:g} and "
                f"relationship >= {th['relationship_high']:g}",
                f"Delta: potential < {th['potential_low']:g}, or insufficient data, or "
                f"potential {th['potential_low']:g} to {th['potential_high']:g} with "
                f"relationship < {th['relationship_high']:g}",
            ]
            blocks.append((text("Segmentation rules"), [("", text(r)) for r in rules]))
        if "profile" in s:
            blocks.append((text("Customer profile and qualification criteria"), s["profile"]))
        blocks.append((text("Segment summary"), s["segment_summary"]))
        for k in s:
            if k.startswith("market_by_"):
                blocks.append((text("Market analysis by ") + user(k[len("market_by_") :]), s[k]))
        blocks.append((text("Coverage by segment and role"), s["coverage"]))
        blocks.append((text("Capacity by role"), s["capacity"]))
        messages = zip(s["messaging"]["segment"], s["messaging"]["message"], strict=True)
        blocks.append(
            (text("Messaging strategy"), [(text(seg), user(msg)) for seg, msg in messages])
        )
        alpha = s["alpha_accounts"].head(top)
        title = f"Alpha accounts, by priority (top {len(alpha)} of {len(s['alpha_accounts'])})"
        blocks.append((text(title), alpha))
        if "rep_load" in s:
            blocks.append((text("Rep workload"), s["rep_load"]))
        if self.notes:
            blocks.append((text("Notes"), [("", user(self.notes))]))
        return blocks

    def to_markdown(self, top: int = 20) -> str:
        """A Markdown summary of the plan (the full account list is in CSV/Excel).

        User strings (the plan's name, account names, sectors, messaging, notes) are escaped:
        Markdown and raw HTML in them show as text.
        """
        from salesworkbench.render import escape_markdown, markdown_table

        lines = [f"# {escape_markdown(self.name)}", ""]
        for title, body in self._summary_blocks(top, str, escape_markdown):
            lines += [f"## {title}", ""]
            if isinstance(body, pd.DataFrame):
                lines.append(markdown_table(body, formatters=_cell_formatters(body)))
            else:
                lines += [f"- **{label}**: {t}" if label else f"- {t}" for label, t in body]
            lines.append("")
        return "\n".join(lines)

    def to_html(self, top: int = 20) -> str:
        """A standalone HTML summary of the plan (every user string is escaped)."""
        from salesworkbench.render import escape, html_page, html_table

        parts = [f"<h1>{escape(self.name)}</h1>"]
        for title, body in self._summary_blocks(top, escape, escape):
            parts.append(f"<h2>{title}</h2>")
            if isinstance(body, pd.DataFrame):
                fmt = _cell_formatters(body)
                cols = [str(c) for c in body.columns]
                rows = [
                    [fmt[c](v) for c, v in zip(cols, row, strict=True)]
                    for row in body.itertuples(index=False, name=None)
                ]
                nums = [
                    i
                    for i, c in enumerate(body.columns)
                    if pd.api.types.is_numeric_dtype(body[c])
                    and not pd.api.types.is_bool_dtype(body[c])
                ]
                parts.append(html_table(cols, rows, num_cols=nums))
            else:
                items = [
                    f"<li><strong>{label}</strong>: {t}</li>" if label else f"<li>{t}</li>"
                    for label, t in body
                ]
                parts.append("<ul>" + "".join(items) + "</ul>")
        return html_page(self.name, "\n".join(parts), css=_CSS)

    def write_markdown(self, path: str | os.PathLike, top: int = 20) -> Path:
        """Write :meth:`to_markdown` to ``path`` (atomically)."""
        with atomic_write(path, "w") as fh:
            fh.write(self.to_markdown(top))
        return Path(path)

    def write_html(self, path: str | os.PathLike, top: int = 20) -> Path:
        """Write :meth:`to_html` to ``path`` (atomically)."""
        with atomic_write(path, "w") as fh:
            fh.write(self.to_html(top))
        return Path(path)


def _cell_formatters(frame: pd.DataFrame) -> dict[str, Callable[[Any], str]]:
    """Cell text for each column of a summary table, numbers formatted by the render toolkit.

    Blank for missing values, yes/no for booleans, whole numbers as they are, other numbers
    with :func:`~salesworkbench.render.format_number` (``1.23M``) and share columns with
    :func:`~salesworkbench.render.format_percent`.
    """
    from salesworkbench.render import format_number, format_percent

    def missing(v: Any) -> bool:
        return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))

    def cell(v: Any) -> str:
        if missing(v):
            return ""
        if isinstance(v, bool | np.bool_):
            return "yes" if v else "no"
        if isinstance(v, int | np.integer):
            return str(v)
        if isinstance(v, float | np.floating):
            return format_number(float(v))
        return str(v)

    def percent(v: Any) -> str:
        if missing(v) or not isinstance(v, float | int | np.number) or math.isinf(v):
            return cell(v)
        return format_percent(float(v), 1)

    return {str(c): percent if c in _PERCENT_COLUMNS else cell for c in frame.columns}


def _fingerprint(x) -> int | tuple:
    """A content hash of a table (or the tuple of a list), for caching the assignment."""
    if isinstance(x, pd.DataFrame):
        return int(pd.util.hash_pandas_object(x.astype(str), index=True).sum())
    return tuple(x) if x is not None else ()
