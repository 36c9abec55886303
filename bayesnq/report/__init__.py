"""``report.html``: one self-contained page per fit, to read and to share.

The page holds the summary table, the answers about more runs, the fresh-search tuning
curve, the figures (embedded as base64 PNG), the diagnostics (r-hat, ESS, divergences,
the LOO-PIT check, the threshold verdict), the settings and where the data came from. It
loads nothing from elsewhere: one file, readable offline. Presentation layer (beside
``plots`` and ``cli``): :meth:`bayesnq.Fit.report` and ``bayesnq fit`` call
:func:`write_report`.

Modules: ``page`` (:func:`render_report`, :func:`write_report`: gathering the numbers and
the figures), ``markup`` (escaping, tables, the page's layout and style).
"""

from __future__ import annotations

from bayesnq.report.page import render_report, write_report

__all__ = ["render_report", "write_report"]
