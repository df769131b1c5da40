"""Shareable reports: a value case as one self-contained HTML file, and a PDF of it.

:func:`value_report` runs the analyses a reviewer asks for (the simulation, the tornado, rank
correlations, Sobol' indices and the pilot plan) and writes one HTML file that holds
everything, figures included (as embedded PNG images), so it can be mailed or archived as it
is and opens without the workbench or a network. Where Chromium is installed, the same page is
printed to PDF by headless Chromium (:func:`html_to_pdf`).

Both files are written atomically: a failed run never leaves a half-written report behind.

The modules:

- :mod:`~salesworkbench.report.valuecase`: :func:`value_report` (analyses and figures).
- :mod:`~salesworkbench.report.forecast`: :func:`forecast_report`, a pipeline forecast's page
  (and the helpers the other reports share: formatted tables, writing HTML and PDF).
- :mod:`~salesworkbench.report.territory`: :func:`territory_report`, a territory plan's page.
- :mod:`~salesworkbench.report.layout`: the report's page (sections, tables, stylesheet).
- :mod:`~salesworkbench.report.pdf`: finding Chromium and printing a page to PDF.
- :mod:`~salesworkbench.report.deck`: :func:`value_pptx`, the case as a PowerPoint deck.
"""

from salesworkbench.report.deck import ValueDeck, value_pptx
from salesworkbench.report.forecast import ReportFiles, forecast_report
from salesworkbench.report.pdf import (
    CHROMIUM_FLAGS,
    ChromiumNotFoundError,
    PdfError,
    find_chromium,
    html_to_pdf,
)
from salesworkbench.report.territory import territory_report
from salesworkbench.report.valuecase import ValueReport, value_report

__all__ = [
    "CHROMIUM_FLAGS",
    "ChromiumNotFoundError",
    "PdfError",
    "ReportFiles",
    "ValueDeck",
    "ValueReport",
    "find_chromium",
    "forecast_report",
    "html_to_pdf",
    "territory_report",
    "value_pptx",
    "value_report",
]
