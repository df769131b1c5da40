"""Escaping user text, and the self-contained HTML page every report uses."""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["escape", "escape_markdown", "html_page"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def escape(value: Any) -> str:
    """HTML-escape any value shown to a user (``None`` becomes ``""``).

    Every user-supplied string (case names, customers, units, sources, account names) goes
    through this before it reaches ``innerHTML``: a case named ``<img onerror=...>`` shows as
    text, never as markup.
    """
    return html.escape("" if value is None else str(value), quote=True)


def escape_markdown(value: Any) -> str:
    """Escape text for Markdown: markup characters are backslashed, raw HTML is entity-encoded.

    Markdown renderers pass inline HTML through, so ``<script>`` in a plan or territory name
    would run; ``<`` and ``>`` become entities and ``|`` cannot break a table row. Newlines
    become spaces (a table cell is one line).
    """
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("\r", " ").replace("\n", " ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("\\<", "&lt;").replace("\\>", "&gt;")


def html_page(title: str, body: str, *, css: str = "", lang: str = "en") -> str:
    """Wrap ``body`` (already escaped HTML) in a complete, self-contained HTML5 page.

    Parameters
    ----------
    title : str
        The page title (escaped here).
    body : str
        HTML for the ``<body>``; the caller escapes user text in it.
    css : str, optional
        A stylesheet put inline in ``<style>``.
    lang : str, default "en"
        The document language.
    """
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n{body}\n"
        f"</body>\n</html>\n"
    )
