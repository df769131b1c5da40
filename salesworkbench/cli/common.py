"""What every subcommand shares: argument types, common options, output rendering, input checks.

A subcommand's ``run(args)`` returns an :class:`Output`; :func:`render_output` turns it into a
readable table, CSV or JSON and :func:`write_output` sends it to stdout or ``--out``. Notes for
the user go to stderr (:func:`note`), so stdout holds only the result.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesworkbench._files import atomic_write
from salesworkbench.errors import ValueCaseError
from salesworkbench.spreadsheet import neutralise_frame

if TYPE_CHECKING:
    from salesworkbench.value import ValueCase

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_OK",
    "FORMATS",
    "PROG",
    "Output",
    "Parser",
    "UsageError",
    "add_command",
    "add_common_options",
    "add_cost_options",
    "check_memory",
    "date_option",
    "fill",
    "input_file",
    "memory_budget",
    "mapping_option",
    "money",
    "money_list",
    "non_negative",
    "note",
    "numbers",
    "pilot_costs",
    "positive_int",
    "power_of_two",
    "read_list_prices",
    "read_stage_history_file",
    "read_value_case",
    "records",
    "render_output",
    "score",
    "seed",
    "table_text",
    "write_output",
]

EXIT_OK = 0
#: Exit code when a step failed for another reason (e.g. Chromium could not print the PDF).
EXIT_FAILED = 1
#: Exit code for bad input: a missing or malformed file, an unknown flag, a bad parameter.
EXIT_BAD_INPUT = 2

PROG = "salesworkbench"
FORMATS = ("table", "csv", "json")


# --------------------------------------------------------------------------------------------
# the parser and argument types
# --------------------------------------------------------------------------------------------
class UsageError(Exception):
    """A bad command line (reported on one line, exit code 2)."""


class Parser(argparse.ArgumentParser):
    """ArgumentParser that reports errors on one line and never calls ``sys.exit`` itself."""

    def error(self, message: str):
        """Raise :class:`UsageError` naming the command and pointing at its ``--help``."""
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def positive_int(text: str) -> int:
    """A positive whole number; ``100000``, ``100_000`` and ``1e5`` all work."""
    try:
        number = float(text.replace("_", ""))
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number.is_integer()):
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}")
    value = int(number)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text!r}")
    return value


def memory_budget() -> int:
    """Bytes a run may use for its results: half this machine's physical memory.

    Falls back to 4 GB where the size of the memory cannot be read.
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        total = 8 * 1024**3
    return max(int(total) // 2, 1)


def _bytes_text(n: float) -> str:
    for unit, size in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 1024:,.0f} KB"


def check_memory(needed: int, option: str, per_unit: int, unit: str = "trial") -> None:
    """Refuse a run whose results would not fit in :func:`memory_budget`, on one line.

    Parameters
    ----------
    needed : int
        Bytes the run's results need.
    option : str
        The option at fault as the user wrote it, e.g. ``"--trials 1,000,000,000,000"``.
    per_unit : int
        Bytes per trial (or per ``unit``), to say how many would fit.
    unit : str, default "trial"

    Raises
    ------
    ValueError
        ``needed`` is over the budget; the message states the memory needed and the limit.
    """
    budget = memory_budget()
    if needed > budget:
        fits = budget // max(per_unit, 1)
        raise ValueError(
            f"{option}: needs about {_bytes_text(needed)} of memory for its results "
            f"({per_unit:,} bytes a {unit}); the limit on this machine is {_bytes_text(budget)} "
            f"(half its memory), so use at most {fits:,} {unit}s"
        )


def seed(text: str) -> int:
    """A random seed: a non-negative whole number."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative whole number, got {text!r}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def non_negative(text: str) -> float:
    """A finite number, zero or more."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {text!r}")
    return value


def score(text: str) -> float:
    """A score from 0 to 100."""
    value = _number(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a score from 0 to 100, got {text!r}")
    return value


def power_of_two(text: str) -> int:
    """A positive power of 2 (e.g. a Sobol' base sample)."""
    value = positive_int(text)
    if value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of 2 (e.g. 4096, 8192), got {text!r}")
    return value


def numbers(text: str) -> list[float]:
    """Comma-separated numbers, zero or more each, e.g. ``--quota 3e6,3.5e6``."""
    return [non_negative(part.strip()) for part in text.split(",") if part.strip()]


_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}
_MONEY = re.compile(r"^([+-]?)(\d[\d,_]*(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?([a-z]*)$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
_CURRENCY = re.compile(r"[$€£¥₹]|\b[A-Z]{3}\b|^[A-Z]{3}|[A-Z]{3}$")


def money(text: str) -> float:
    """An amount of money, zero or more: ``2500000``, ``2,500,000``, ``2.5M``, ``900k``, ``1e6``.

    Suffixes (any case): ``k`` thousand, ``M``/``mm`` million, ``B``/``bn`` billion, ``T``
    trillion. Commas must group thousands (``2,500,000``; ``2,5`` is refused as ambiguous).
    A currency sign or code (``€1.2M``, ``GBP 900k``) is refused: amounts are in the data's
    currency. Negative amounts are refused.

    Examples
    --------
    >>> money("2.5M"), money("900k"), money("2,500,000"), money("1e6")
    (2500000.0, 900000.0, 2500000.0, 1000000.0)
    """
    raw = text
    t = text.strip().replace(" ", "")
    if _CURRENCY.search(t):
        raise argparse.ArgumentTypeError(
            f"give the amount without a currency (amounts are in the data's currency), "
            f"e.g. 1.2M, got {raw!r}"
        )
    m = _MONEY.match(t.lower())
    if m is None or m.group(4) not in _SUFFIX:
        raise argparse.ArgumentTypeError(
            f"must be an amount such as 2500000, 2,500,000, 2.5M or 900k, got {raw!r}"
        )
    sign, digits, exponent, suffix = m.groups()
    if "," in digits and not _GROUPED.match(digits.replace("_", "")):
        raise argparse.ArgumentTypeError(
            f"commas must separate thousands (2,500,000); for decimals use a point, got {raw!r}"
        )
    value = float(digits.replace(",", "").replace("_", "") + (f"e{exponent}" if exponent else ""))
    value *= _SUFFIX[suffix]
    if sign == "-" and value != 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {raw!r}")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite amount, got {raw!r}")
    return value


def money_list(text: str) -> list[float]:
    """Amounts separated by ``;`` or spaces, or by commas when no amount uses commas itself.

    ``3M;3.5M``, ``"3M 3.5M"`` and ``3e6,3.5e6`` all give two amounts; ``2,500,000`` is one.
    """
    t = text.strip()
    if ";" in t or " " in t:
        parts = re.split(r"[;\s]+", t)
    else:
        try:
            return [money(t)]
        except argparse.ArgumentTypeError:
            parts = t.split(",")
    return [money(p) for p in parts if p.strip()]


def fill(text: str) -> str:
    """Wrap a help description to the width of a terminal."""
    return textwrap.fill(text, 88)


def add_command(
    subparsers, name: str, help_: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """Add a subcommand with its one-line help, description and examples (its epilog)."""
    return subparsers.add_parser(
        name,
        help=help_,
        description=fill(description),
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_common_options(
    p: argparse.ArgumentParser, *, seed_option: bool, trials: int | None, out: bool = True
) -> None:
    """Add the options every analysis shares (``--trials``, ``--seed``, ``--format``, ...).

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    seed_option : bool
        Add ``--seed`` (simulations only).
    trials : int or None
        The default of ``--trials``; None adds no ``--trials``.
    out : bool, default True
        Add ``--out FILE``.
    """
    if trials is not None:
        p.add_argument(
            "--trials",
            type=positive_int,
            default=trials,
            metavar="N",
            help=f"Monte Carlo trials (default {trials:,})",
        )
    if seed_option:
        p.add_argument(
            "--seed",
            type=seed,
            default=0,
            metavar="N",
            help="random seed; the same seed gives the same numbers (default 0)",
        )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="output format: a readable table, or clean CSV / JSON for other tools (default table)",
    )
    if out:
        p.add_argument("--out", metavar="FILE", help="write the result to FILE instead of stdout")
    p.add_argument(
        "--no-progress",
        dest="progress",
        action="store_const",
        const=False,
        default=None,
        help="never show a progress bar (by default one is shown on stderr for long runs)",
    )


def add_cost_options(p: argparse.ArgumentParser) -> None:
    """Add the pilot cost options (``pilots``, ``report value``)."""
    for flag, default, help_ in (
        ("--cost-fixed", 0.0, "set-up cost of a pilot, in the case's currency (default 0)"),
        ("--cost-per-unit", 0.0, "cost per pilot observation (default 0)"),
        (
            "--cost-delay",
            0.0,
            "cost of deciding later, e.g. benefits forgone meanwhile (default 0)",
        ),
        ("--scale", 1.0, "how many decisions like this one the information serves (default 1)"),
    ):
        p.add_argument(flag, type=non_negative, default=default, metavar="X", help=help_)


def pilot_costs(args: argparse.Namespace) -> dict[str, float]:
    """The pilot costs given by :func:`add_cost_options`' flags."""
    return {
        "fixed": args.cost_fixed,
        "per_unit": args.cost_per_unit,
        "delay": args.cost_delay,
        "scale": args.scale,
    }


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------
@dataclass
class Output:
    """What a command produced: a table, a JSON document and lines for the readable form."""

    frame: pd.DataFrame
    document: Any = None  # JSON; default: the frame's records
    header: list[str] = field(default_factory=list)  # lines above the table (format table)
    footer: list[str] = field(default_factory=list)  # lines below it
    index: bool = True  # write the index as a column in CSV/JSON
    display: pd.DataFrame | None = None  # preformatted text cells for format table
    text: str | None = None  # the whole readable form, when a table does not fit


def _jsonable(value: Any) -> Any:
    """Plain JSON types: NaN and infinities become null, dates ISO strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value if isinstance(value, str) else str(value)


def records(frame: pd.DataFrame, index: bool = True) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-ready row dicts (index first, as a column)."""
    flat = frame.reset_index() if index else frame
    cols = [str(c) for c in flat.columns]
    return [
        {c: _jsonable(v) for c, v in zip(cols, row, strict=True)}
        for row in flat.itertuples(index=False, name=None)
    ]


def _formatter(series: pd.Series) -> Callable[[Any], str] | None:
    """A readable number format for one column of a table (never scientific notation).

    Probabilities (columns ``p_*``, ``*_prob``) are percentages that never round to a
    certainty (``>99.9%``); other shares (every value within -1..1) get three decimals, tiny
    values three significant figures (``0.00012``, not ``0.000``); columns with values
    of 1,000 or more whole numbers with thousands separators;
    the rest three significant figures. Missing values are blank, never 0.
    """
    from salesworkbench.formatting import format_number, format_percent

    if not pd.api.types.is_float_dtype(series.dtype):
        return None
    name = str(series.name)
    if name.startswith("p_") or name.endswith(("_prob", "probability")):
        return lambda v: "" if v is None or v is pd.NA or pd.isna(v) else format_percent(v, 1)
    finite = series[np.isfinite(series.to_numpy(dtype=float, na_value=np.nan))]
    big = finite.abs().max() if len(finite) else 0.0
    small = bool(len(finite)) and bool((finite.abs() <= 1).all())

    def fmt(v: float) -> str:
        if small:
            return f"{v:.3f}" if v == 0 or abs(v) >= 0.0005 else format_number(v)
        if big >= 1000:
            return f"{v:,.0f}"
        return format_number(v)

    def format_one(v: Any) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, float) and math.isinf(v):
            return "never" if v > 0 else "-inf"
        return fmt(float(v))

    return format_one


def table_text(frame: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as an aligned, readable text table (for ``--format table``).

    Columns keep their figures exact enough to compare (thousands separators, three
    significant digits, no scientific notation); sentences around a table use
    :mod:`salesworkbench.formatting`. Rows with no value at all are dropped; missing cells
    are blank.
    """
    frame = frame.dropna(how="all") if len(frame.columns) else frame
    if frame.empty:
        return "(no rows)"
    formatters = {c: f for c in frame.columns if (f := _formatter(frame[c])) is not None}
    shown = frame.copy()
    for c in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[c].dtype):
            shown[c] = shown[c].dt.strftime("%Y-%m-%d").fillna("")
    return shown.to_string(index=index, formatters=formatters, na_rep="", max_colwidth=60)


def render_output(output: Output, fmt: str) -> str:
    """The text written to stdout or ``--out`` for ``fmt`` (``table``, ``csv`` or ``json``)."""
    if fmt == "csv":
        buf = io.StringIO()
        frame = output.frame.copy()
        for c in frame.columns:
            if pd.api.types.is_float_dtype(frame[c].dtype):
                frame[c] = frame[c].replace([np.inf, -np.inf], np.nan)
        frame = neutralise_frame(frame, index=output.index)
        frame.to_csv(buf, index=output.index, lineterminator="\n", date_format="%Y-%m-%d")
        return buf.getvalue()
    if fmt == "json":
        doc = (
            output.document if output.document is not None else records(output.frame, output.index)
        )
        return json.dumps(_jsonable(doc), indent=2, ensure_ascii=False) + "\n"
    if output.text is not None:
        return output.text if output.text.endswith("\n") else output.text + "\n"
    shown = output.display if output.display is not None else output.frame
    parts = [*output.header, table_text(shown, output.index), *output.footer]
    return "\n".join(parts) + "\n"


def write_output(text: str, out: str | None) -> None:
    """Write ``text`` to stdout, or atomically to the file ``out`` (noted on stderr)."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            with atomic_write(out) as fh:
                fh.write(text)
        except OSError as exc:
            raise OSError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
        note(f"wrote {out}")


def note(message: str) -> None:
    """A note for the user on stderr (never on stdout, which may be piped)."""
    print(f"{PROG}: {message}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# input files
# --------------------------------------------------------------------------------------------
def input_file(path: str, what: str) -> Path:
    """Check an input file exists (FileNotFoundError naming it and what it should be)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{path}: file not found ({what})")
    if p.is_dir():
        raise FileNotFoundError(f"{path}: is a directory, not a file ({what})")
    return p


def date_option(text: str | None, flag: str) -> pd.Timestamp | None:
    """A date option's value (None when not given); a ValueError naming ``flag`` if not a date."""
    if not text:
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"{flag}: not a date (YYYY-MM-DD): {text!r}") from None


def mapping_option(value: str | None) -> str | None:
    """A ``--mapping`` value: a preset name or an existing file."""
    if value is None:
        return None
    from salesworkbench.io import MAPPINGS

    if value in MAPPINGS:
        return value
    input_file(value, f"--mapping: a mapping file or one of {', '.join(MAPPINGS)}")
    return value


#: Column names a price list's price may have (the first found is used).
PRICE_COLUMNS = ("list_price", "price", "sales_price", "unit_price")


def read_list_prices(path: str) -> dict[str, float]:
    """Read a price list (CSV or Excel with ``product`` and ``list_price``) as a dict.

    The price column may also be called ``price``, ``sales_price`` or ``unit_price``. Product
    names are matched to deals case-, space- and punctuation-blind by the history model.

    Raises
    ------
    FileNotFoundError
        No such file.
    DataError
        No product or price column, a price that is not a number (row named), or a product
        listed twice with different prices.
    """
    from salesworkbench.errors import DataError
    from salesworkbench.io import read_table

    input_file(path, "--list-prices: a price list, CSV with product and list_price")
    raw = read_table(path)
    cols = {str(c).strip().lower(): c for c in raw.columns}
    price = next((cols[c] for c in PRICE_COLUMNS if c in cols), None)
    if "product" not in cols or price is None:
        raise DataError(
            f"a price list needs a 'product' column and a price column ({', '.join(PRICE_COLUMNS)}"
            f"); the file has {', '.join(map(repr, raw.columns))}",
            file=path,
        )
    products = raw[cols["product"]].astype("string").str.strip()
    text = raw[price].astype("string").str.strip().str.replace(",", "", regex=False)
    values = pd.to_numeric(text, errors="coerce")
    bad = (values.isna() & text.notna() & (text != "")) | (values < 0)
    if bad.any():
        rows = [int(i) + 2 for i in np.flatnonzero(bad.to_numpy())][:5]
        raise DataError("not a price (a number, zero or more)", file=path, rows=rows, column=price)
    prices: dict[str, float] = {}
    for product, value in zip(products, values, strict=True):
        if pd.isna(product) or pd.isna(value):
            continue
        if product in prices and prices[product] != value:
            raise DataError(f"product {product!r} is listed twice with different prices", file=path)
        prices[str(product)] = float(value)
    if not prices:
        raise DataError("no product with a price", file=path)
    return prices


def read_stage_history_file(path: str, mapping: str | None) -> pd.DataFrame:
    """Read ``--stage-history``; a mapping file's ``stage_history:`` section applies to it.

    A mapping without that section (a plain column mapping written for the opportunity
    export) is not applied: its targets are opportunity columns.
    """
    import yaml

    from salesworkbench.io import read_stage_history

    input_file(path, "--stage-history: a stage-history export")
    use = None
    if mapping is not None and Path(mapping).is_file():
        try:
            data = yaml.safe_load(Path(mapping).read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict) and "stage_history" in data:
            use = mapping
    return read_stage_history(path, mapping=use)


def read_value_case(path: str) -> ValueCase:
    """Read a value case file (:meth:`ValueCase.from_yaml`); every error names the file.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueCaseError
        Not text, not YAML, or not a valid value case.
    """
    from salesworkbench.value import ValueCase

    input_file(path, "a value case, YAML")
    try:
        return ValueCase.from_yaml(path)
    except UnicodeDecodeError as exc:
        raise ValueCaseError(
            f"{path}: not a text (UTF-8) file, so not a value case ({exc.reason} at byte "
            f"{exc.start})"
        ) from None
