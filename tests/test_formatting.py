"""The one number formatter: one K/M/B style, n/a for missing values, no false certainty."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from salesworkbench import render
from salesworkbench.formatting import format_money, format_number, format_percent


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (80_000, "80K"),
        (2_500_000, "2.5M"),
        (1_200_000_000, "1.2B"),
        (3e12, "3T"),
        (999_999, "1M"),  # rounded first: never "1000K"
        (999.9, "1K"),
        (-1234, "-1.23K"),
        (42, "42"),
        (0.035, "0.035"),
        (0, "0"),
        (np.int64(80_000), "80K"),
        (np.float32(2.5e6), "2.5M"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
    ],
)
def test_number_style(x, text):
    assert format_number(x) == text


def test_digits():
    assert format_number(1_234_567, digits=2) == "1.2M"
    assert format_number(1_234_567, digits=4) == "1.235M"


@pytest.mark.parametrize("missing", [None, math.nan, np.nan, np.float32("nan"), pd.NA, pd.NaT])
def test_missing_is_na_never_zero(missing):
    assert format_number(missing) == "n/a"
    assert format_money(missing, "GBP") == "n/a"
    assert format_percent(missing) == "n/a"


def test_money_style():
    assert format_money(2.5e6, "GBP") == "GBP 2.5M"
    assert format_money(80_000, "GBP") == "GBP 80K"
    assert format_money(1.2e9, "EUR") == "EUR 1.2B"
    assert format_money(-500_000, "GBP") == "GBP -500K"
    assert format_money(2.5e6) == "2.5M"
    assert format_money(1e-9, "GBP") == "GBP 0"  # floating-point noise is not money
    assert format_money(-0.4, "GBP") == "GBP 0"


@pytest.mark.parametrize(
    ("p", "digits", "text"),
    [
        (0.934, 0, "93%"),
        (0.08, 1, "8.0%"),
        (1.0, 0, "100%"),
        (1.0, 1, "100.0%"),
        (0.0, 0, "0%"),
        (0.996, 0, "99.6%"),  # one more decimal says it
        (0.9996, 0, ">99.9%"),
        (0.9996, 1, ">99.9%"),
        (0.99996, 2, ">99.99%"),
        (0.004, 0, "0.4%"),
        (0.0004, 0, "<0.1%"),
        (0.0004, 1, "<0.1%"),
        (1.5, 0, "150%"),  # not a probability (e.g. ROI): shown as it is
    ],
)
def test_percent_never_claims_certainty(p, digits, text):
    assert format_percent(p, digits) == text


def test_percent_infinite_is_na():
    assert format_percent(math.inf) == "n/a"


def test_render_reexports_the_formatter():
    assert render.format_money is format_money
    assert render.format_number is format_number
    assert render.format_percent is format_percent
