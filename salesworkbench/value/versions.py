"""A value case's history: dated versions in a SQLite file, and what changed between two.

A case matures through the sale: a straw-man borrowed from a reference customer, then the
figures a pilot measured, then the signed case. :class:`VersionStore` keeps each version (the
case's YAML text, a date and a note) and :func:`diff` says what changed between two of them:

* assumptions added, removed, or with new parameters (or only a new unit/source/notes);
* benefit and investment lines added, removed or changed;
* the movement in mean value, P10, P90 and P(value > 0);
* a **waterfall of the case's evolution**: starting from the old case, the changes are applied
  one at a time in order (changed assumptions in the new case's order, then lines, then the
  other settings) and every intermediate case is simulated with the *same seed*. Assumptions
  draw from name-keyed random streams, so every step uses common random numbers and a step's
  movement is the effect of that change alone, not Monte Carlo noise. The steps telescope:
  they sum to the total movement exactly.

Where the versions live
-----------------------
In a sibling file of the pipeline snapshot store (default ``data/value_versions.sqlite``), not
in ``data/snapshots.sqlite`` itself. The same conventions (standard-library SQLite, one ACID
transaction per save, a ``PRAGMA application_id`` and a ``meta`` schema version so a foreign file
is refused), but a separate file because (1) a customer's value-case history is routinely
shared with that customer's account team or the customer, while the snapshot store holds every
deal of the pipeline; (2) the two schemas evolve independently (the snapshot store has its own
schema version and hardening); (3) losing or resetting one never touches the other.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from salesworkbench._sqlite import identify_store
from salesworkbench.defaults import VALUE_TRIALS
from salesworkbench.errors import DataError, ValueCaseError

if TYPE_CHECKING:
    from salesworkbench.value.case import ValueCase

__all__ = [
    "APPLICATION_ID",
    "DEFAULT_PATH",
    "CaseDiff",
    "CaseVersion",
    "VersionStore",
    "diff",
]

#: ``PRAGMA application_id`` of a value-case version file ("SWKV").
APPLICATION_ID = 0x53574B56
SCHEMA_VERSION = 1
#: Default location, beside the snapshot store (``data/snapshots.sqlite``).
DEFAULT_PATH = Path("data") / "value_versions.sqlite"
_META = ("unit", "source")
_WORDS = ("name", "customer", "currency", "statement")  # settings that cannot move the value


def _case_yaml(case: ValueCase) -> str:
    return yaml.safe_dump(case.to_dict(), sort_keys=False, allow_unicode=True, width=100)


@dataclass
class CaseVersion:
    """One stored version of a value case.

    Attributes
    ----------
    id : int
        Its number in the store (increasing with saving order).
    key : str
        The history it belongs to (default: the case's customer).
    date : str
        The version's date (ISO, e.g. ``"2026-03-01"``).
    note : str
        What the version is, e.g. ``"after the first pilot"``.
    saved : str
        When it was saved (UTC timestamp).
    case : ValueCase
    """

    id: int
    key: str
    date: str
    note: str
    saved: str
    case: ValueCase = field(repr=False)


class VersionStore:
    """Dated versions of value cases in one SQLite file.

    Parameters
    ----------
    path : path-like, default ``data/value_versions.sqlite``
        Created (with its folder) on the first save.

    Raises
    ------
    DataError
        The file exists but is not a version store.
    """

    def __init__(self, path: str | os.PathLike = DEFAULT_PATH) -> None:
        self.path = Path(path)
        if self.path.exists():
            with self._connect() as con:
                self._check(con)

    def __repr__(self) -> str:
        return f"VersionStore({str(self.path)!r})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise DataError(f"cannot open the version store: {exc}", file=str(self.path)) from exc
        try:
            yield con
        finally:
            con.close()

    def _check(self, con: sqlite3.Connection) -> bool:
        """Return True for an initialised store, False for an empty file; raise otherwise."""
        try:
            return identify_store(
                con,
                self.path,
                name="value-case version store",
                foreign_name="value-case version store",
                application_id=APPLICATION_ID,
                schema_version=SCHEMA_VERSION,
            )
        except sqlite3.OperationalError as exc:  # locked or busy
            raise DataError(
                f"the version store is in use by another program ({exc}); try again",
                file=str(self.path),
            ) from exc

    def save(
        self,
        case: ValueCase,
        note: str = "",
        *,
        date: _dt.date | str | None = None,
        key: str | None = None,
    ) -> CaseVersion:
        """Store ``case`` as a new version (one transaction).

        Parameters
        ----------
        case : ValueCase
        note : str
            What this version is.
        date : date or str, optional
            The version's date (default today).
        key : str, optional
            The history it belongs to (default ``case.customer``).

        Returns
        -------
        CaseVersion
        """
        key = case.customer if key is None else str(key)
        day = pd.Timestamp(date if date is not None else _dt.date.today()).date().isoformat()
        text = _case_yaml(case)
        saved = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                if not self._check(con):
                    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                    con.execute(
                        "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                    )
                    con.execute(
                        "CREATE TABLE versions (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                        "key TEXT NOT NULL, date TEXT NOT NULL, note TEXT NOT NULL, "
                        "saved TEXT NOT NULL, sha256 TEXT NOT NULL, yaml TEXT NOT NULL)"
                    )
                cur = con.execute(
                    "INSERT INTO versions (key, date, note, saved, sha256, yaml) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (key, day, str(note), saved, digest, text),
                )
                vid = int(cur.lastrowid)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return CaseVersion(vid, key, day, str(note), saved, case)

    def versions(self, key: str | None = None) -> pd.DataFrame:
        """The stored versions (all, or of one history), oldest first.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``id``, columns ``key``, ``date``, ``note``, ``saved``, ``case_name``.
        """
        cols = ["key", "date", "note", "saved", "case_name"]
        if not self.path.exists():
            return pd.DataFrame(columns=cols, index=pd.Index([], name="id"))
        with self._connect() as con:
            if not self._check(con):
                return pd.DataFrame(columns=cols, index=pd.Index([], name="id"))
            sql = "SELECT id, key, date, note, saved, yaml FROM versions"
            args: tuple = ()
            if key is not None:
                sql += " WHERE key = ?"
                args = (key,)
            rows = con.execute(sql + " ORDER BY date, id", args).fetchall()
        data = [(*r[:5], (yaml.safe_load(r[5]) or {}).get("name", "")) for r in rows]
        return pd.DataFrame(data, columns=["id", *cols]).set_index("id")

    def load(self, version: int) -> CaseVersion:
        """One stored version by its id.

        Raises
        ------
        KeyError
            No such version (the message lists the stored ids).
        """
        from salesworkbench.value.case import ValueCase

        row = None
        if self.path.exists():
            with self._connect() as con:
                if self._check(con):
                    row = con.execute(
                        "SELECT id, key, date, note, saved, sha256, yaml FROM versions "
                        "WHERE id = ?",
                        (int(version),),
                    ).fetchone()
        if row is None:
            have = ", ".join(map(str, self.versions().index)) or "none"
            raise KeyError(f"{self.path}: no version {version}; stored: {have}")
        vid, key, day, note, saved, digest, text = row
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
            raise DataError(f"version {vid} is corrupt (checksum mismatch)", file=str(self.path))
        case = ValueCase.from_dict(yaml.safe_load(text), source=f"{self.path} version {vid}")
        return CaseVersion(int(vid), key, day, note, saved, case)

    def history(self, key: str) -> list[CaseVersion]:
        """Every version of one history, oldest first."""
        return [self.load(i) for i in self.versions(key).index]


# --------------------------------------------------------------------------- diff
def _norm(x: Any) -> Any:
    """Numbers as floats (``2.0e6`` text, 2000000 and 2e6 compare equal), recursively."""
    if isinstance(x, Mapping):
        return {k: _norm(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_norm(v) for v in x]
    if isinstance(x, str):
        try:
            return float(x.replace("_", ""))
        except ValueError:
            return x.strip().lower() if x.strip().lower() in _KINDS else x
    if isinstance(x, int | float | np.number) and not isinstance(x, bool):
        return float(x)
    return x


_KINDS = {
    "fixed",
    "uniform",
    "triangular",
    "pert",
    "normal",
    "lognormal",
    "beta",
    "bernoulli",
    "discrete",
    "percentiles",
}


def _spec_text(spec: Mapping[str, Any] | None) -> str:
    if spec is None:
        return ""
    params = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in _norm(spec).items()
        if k != "dist"
    )
    return f"{spec.get('dist', '')}({params})"


def _assumption_changes(old: ValueCase, new: ValueCase) -> pd.DataFrame:
    rows = []
    for name in [*new.assumptions, *[n for n in old.assumptions if n not in new.assumptions]]:
        a, b = old.assumptions.get(name), new.assumptions.get(name)
        if a is None:
            change = "added"
        elif b is None:
            change = "removed"
        elif _norm(a.dist.spec) != _norm(b.dist.spec):
            change = "parameters"
        elif (a.unit, a.source, _norm(a.extra)) != (b.unit, b.source, _norm(b.extra)):
            change = "description"
        else:
            continue
        rows.append(
            {
                "assumption": name,
                "change": change,
                "old": _spec_text(a.dist.spec if a else None),
                "new": _spec_text(b.dist.spec if b else None),
                "old_source": (a.source or "") if a else "",
                "new_source": (b.source or "") if b else "",
            }
        )
    cols = ["change", "old", "new", "old_source", "new_source"]
    if not rows:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="assumption"))
    return pd.DataFrame(rows).set_index("assumption")[cols]


def _line_changes(old: ValueCase, new: ValueCase) -> pd.DataFrame:
    rows = []
    for kind, a_lines, b_lines in (
        ("benefit", old.benefits, new.benefits),
        ("investment", old.investments, new.investments),
    ):
        a = {line.name: line for line in a_lines}
        b = {line.name: line for line in b_lines}
        for name in [*b, *[n for n in a if n not in b]]:
            la, lb = a.get(name), b.get(name)
            if la is None:
                change = "added"
            elif lb is None:
                change = "removed"
            elif _norm(la.raw) != _norm(lb.raw):
                change = "changed"
            else:
                continue
            rows.append(
                {
                    "kind": kind,
                    "line": name,
                    "change": change,
                    "old": str(la.formula.text) if la else "",
                    "new": str(lb.formula.text) if lb else "",
                }
            )
    cols = ["kind", "line", "change", "old", "new"]
    return pd.DataFrame(rows, columns=cols)


def _stats(case: ValueCase, trials: int, seed: int, output: str) -> dict[str, float]:
    x = case.simulate(trials, seed=seed, progress=False, keep_inputs=False).samples[output]
    x = x.to_numpy()
    p10, p90 = np.percentile(x, [10, 90])
    return {
        "mean": float(x.mean()),
        "p10": float(p10),
        "p90": float(p90),
        "prob_positive": float(np.mean(x > 0)),
    }


@dataclass
class CaseDiff:
    """What changed between two versions of a value case (from :func:`diff`).

    Attributes
    ----------
    assumptions : pandas.DataFrame
        Indexed by assumption: ``change`` ("added", "removed", "parameters", "description"),
        ``old`` and ``new`` distributions as text, old and new sources.
    lines : pandas.DataFrame
        ``kind``, ``line``, ``change`` ("added", "removed", "changed"), old and new formula.
    settings : list of str
        Other settings that changed (horizon, discount rate, correlations, ...).
    movement : pandas.DataFrame
        Rows mean, p10, p90, prob_positive of ``output``; columns old, new, change.
    waterfall : pandas.DataFrame
        One row per step: ``step`` (label), ``kind``, then ``mean``, ``p10``, ``p90``,
        ``prob_positive`` after the step and ``delta_mean``, ``delta_prob_positive``. The first
        row is the old case; the deltas of the other rows sum to the total movement.
    trials, seed : int
    output : str
    """

    assumptions: pd.DataFrame
    lines: pd.DataFrame
    settings: list[str]
    movement: pd.DataFrame
    waterfall: pd.DataFrame
    trials: int
    seed: int
    output: str = "value"
    currency: str = ""

    @property
    def changed_assumptions(self) -> list[str]:
        """Assumptions added, removed or with new parameters."""
        a = self.assumptions
        return list(a.index[a["change"] != "description"])

    @property
    def summary(self) -> pd.DataFrame:
        """The movement table (old, new, change of mean, P10, P90, P(> 0))."""
        return self.movement

    def plot(self, ax: Any = None) -> Any:
        """Waterfall of the movement in mean value, one bar per change.

        See :func:`salesworkbench.plotting.versions.plot_version_waterfall`.
        """
        from salesworkbench.plotting.versions import plot_version_waterfall

        return plot_version_waterfall(self, ax=ax)


def diff(
    old: ValueCase,
    new: ValueCase,
    trials: int = VALUE_TRIALS,
    seed: int = 0,
    *,
    output: str = "value",
) -> CaseDiff:
    """What changed between two versions of a case, and how much each change moved the value.

    Parameters
    ----------
    old, new : ValueCase or CaseVersion
    trials : int, default :data:`~salesworkbench.defaults.VALUE_TRIALS`
        Trials of each simulation (one per step).
    seed : int, default 0
        The one seed of every step (common random numbers).
    output : str, default "value"
        The output whose movement is explained (any of :data:`~salesworkbench.value.OUTPUTS`).

    Returns
    -------
    CaseDiff

    Notes
    -----
    Steps, in order: each assumption with new parameters (new case's order); each line added,
    removed or changed (assumptions a line needs are added with it); assumptions removed; then
    the other settings (horizon, discount rate, correlations, ...) together. A step whose
    intermediate case would not be valid on its own (e.g. a horizon change a line's years
    depend on) is merged with the next. An added assumption no line uses moves nothing. The last
    intermediate case is the new case itself, so the steps sum to the total movement.
    """
    from salesworkbench.value.case import ValueCase
    from salesworkbench.value.cashflows import OUTPUTS

    old = getattr(old, "case", old)
    new = getattr(new, "case", new)
    if output not in OUTPUTS:
        raise ValueCaseError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")
    ach = _assumption_changes(old, new)
    lch = _line_changes(old, new)
    a_dict, b_dict = old.to_dict(), new.to_dict()
    settings = [
        k
        for k in {**a_dict, **b_dict}
        if k not in ("assumptions", "benefits", "investments")
        and _norm(a_dict.get(k)) != _norm(b_dict.get(k))
    ]

    # the sequence of edits, each a function of the working dict
    steps: list[tuple[str, str, Any]] = []
    for name, row in ach.iterrows():
        if row["change"] == "parameters":
            steps.append((f"{name}", "assumption", ("set", name)))
    for _, row in lch.iterrows():
        steps.append((f"{row['kind']} '{row['line']}' {row['change']}", "line", ("line", row)))
    removed = [n for n, r in ach.iterrows() if r["change"] == "removed"]
    if removed:
        steps.append(("removed " + ", ".join(removed), "assumption", ("drop", removed)))
    movers = [k for k in settings if k not in _WORDS]  # name, customer, ... move nothing
    if movers:
        steps.append((", ".join(movers), "settings", ("all", None)))

    def apply(d: dict, action: tuple) -> None:
        what, arg = action
        if what == "set":
            d["assumptions"][arg] = b_dict["assumptions"][arg]
        elif what == "line":
            key = "benefits" if arg["kind"] == "benefit" else "investments"
            lines = d[key]
            names = [ln.get("name") for ln in lines]
            target = {ln.get("name"): ln for ln in b_dict[key]}
            if arg["change"] == "removed":
                lines.pop(names.index(arg["line"]))
            else:
                line = target[arg["line"]]
                if arg["change"] == "added":
                    lines.append(line)
                else:
                    lines[names.index(arg["line"])] = line
                # an assumption the new line uses comes with it
                for name, spec in b_dict["assumptions"].items():
                    if name not in d["assumptions"]:
                        d["assumptions"][name] = spec
        elif what == "drop":
            for name in arg:
                d["assumptions"].pop(name, None)
        else:
            d.clear()
            d.update(b_dict)

    work = old.to_dict()
    start = _stats(old, trials, seed, output)
    rows = [{"step": "old case", "kind": "start", **start}]
    pending: list[str] = []
    for i, (label, kind, action) in enumerate(steps):
        apply(work, action)
        pending.append(label)
        last = i == len(steps) - 1
        try:
            case = new if last else ValueCase.from_dict(work)
        except ValueCaseError:
            continue  # not valid on its own: merge with the next step
        rows.append(
            {"step": " + ".join(pending), "kind": kind, **_stats(case, trials, seed, output)}
        )
        pending = []
    end = _stats(new, trials, seed, output)
    if len(rows) == 1:  # nothing changed that moves the simulation
        rows.append({"step": "new case", "kind": "end", **end})
    wf = pd.DataFrame(rows)
    wf["delta_mean"] = wf["mean"].diff().fillna(0.0)
    wf["delta_prob_positive"] = wf["prob_positive"].diff().fillna(0.0)
    movement = pd.DataFrame({"old": start, "new": end})
    movement["change"] = movement["new"] - movement["old"]
    return CaseDiff(
        assumptions=ach,
        lines=lch,
        settings=settings,
        movement=movement,
        waterfall=wf,
        trials=int(trials),
        seed=int(seed),
        output=output,
        currency=new.currency,
    )
