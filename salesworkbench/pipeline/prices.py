"""List prices: what a deal recorded at 0, or without an amount, is worth by its product."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["list_price_of"]


def _product_key(name) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def list_price_of(products: pd.Series, list_prices: Mapping[str, float]) -> np.ndarray:
    """List price of each product, matching names case-, space- and punctuation-blind.

    So ``GTXPro`` in a pipeline export finds ``GTX Pro`` in a price list.

    Parameters
    ----------
    products : Series
        Product names (missing values allowed).
    list_prices : mapping
        Product name -> list price.

    Returns
    -------
    ndarray of float
        The list price of each product; NaN where the product is missing or not listed.
    """
    prices = {_product_key(k): float(v) for k, v in list_prices.items()}
    return np.array(
        [prices.get(_product_key(p), np.nan) if pd.notna(p) else np.nan for p in products], float
    )
