"""List prices: what a deal recorded at 0, or without an amount, is worth by its product."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["list_price_of", "typical_amounts"]


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


def typical_amounts(deals: pd.DataFrame, model) -> np.ndarray:
    """What an open deal without an amount is taken to be worth.

    Its product's list price where the history model has one, else the product's median won
    amount, else the overall median won amount (0 without won deals).

    Parameters
    ----------
    deals : DataFrame
        The deals to price (canonical opportunities).
    model : HistoryModel
        Fitted history model (won deals, list prices).

    Returns
    -------
    ndarray
        One amount per deal.
    """
    overall = float(np.median(model.deal_sizes)) if model.deal_sizes.size else 0.0
    if "product" not in deals.columns:
        return np.full(len(deals), overall)
    won = model.closed[model.closed["status"].astype(object) == "won"]
    med = won.groupby(won["product"].astype(object))["amount"].median()
    fill = deals["product"].astype(object).map(med).to_numpy(float)
    if model.list_prices:
        lp = list_price_of(deals["product"], model.list_prices)
        fill = np.where(np.isnan(lp), fill, lp)
    return np.where(np.isnan(fill), overall, fill)
