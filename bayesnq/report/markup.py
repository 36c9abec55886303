"""HTML pieces of the report: escaped text, tables, embedded figures, the page's frame.

Every text that reaches the page goes through :func:`text` (``html.escape``, quotes
included); numbers are formatted by :func:`number`. Figures are PNG bytes embedded as
``data:`` URIs, so the page needs nothing beside itself.
"""

from __future__ import annotations

import base64
import html
import math

__all__ = ["text", "number", "table", "frame_table", "figure", "section", "page", "STYLE"]

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1b1f24; background: #fff; line-height: 1.45; }
main { max-width: 1200px; margin: 0 auto; padding: 1.2em 1.6em 3em; }
h1 { font-size: 1.6em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em;
     margin-top: 1.8em; }
p.sub { color: #57606a; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.88em; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.55em; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
td.text { min-width: 11em; max-width: 34em; }
div.table { overflow-x: auto; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.headline { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px;
            padding: 0.6em 1em; }
.headline li { margin: 0.25em 0; }
.ok { color: #1a7f37; font-weight: 600; }
.warn { color: #bc4c00; font-weight: 600; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: 0.9em; }
.figs { display: flex; flex-wrap: wrap; gap: 1em; }
.figs figure { flex: 1 1 520px; }
code { background: #f6f8fa; padding: 0 0.25em; border-radius: 3px; }
"""


def text(value) -> str:
    """``value`` as escaped HTML text (``<``, ``>``, ``&`` and quotes)."""
    return html.escape(str(value), quote=True)


def number(value, digits: int = 6) -> str:
    """A number for a table cell: ``digits`` significant figures, integers as integers,
    ``inf``/NaN in words; anything else as escaped text."""
    if isinstance(value, bool) or value is None:
        return text("" if value is None else value)
    if isinstance(value, int):
        return f"{value:,}"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return text(value)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "never" if x > 0 else "-inf"
    if x == int(x) and 1000 <= abs(x) < 1e15:  # counts of runs: 25,360
        return f"{int(x):,}"
    return text(f"{x:.{digits}g}")


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def table(header, rows, *, index: bool = True) -> str:
    """A table: ``header`` (names) and ``rows`` (sequences of cells); numbers right-aligned.

    With ``index`` the first cell of each row is a header cell."""
    head = "".join(f"<th>{text(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if index and i == 0:
                cells.append(f"<th>{text(cell)}</th>")
            elif _is_number(cell):
                cells.append(f'<td class="num">{number(cell)}</td>')
            else:
                cells.append(f'<td class="text">{text(cell)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="table"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def frame_table(frame) -> str:
    """A pandas DataFrame as a table, its index (named or not) as the first column."""
    name = frame.index.name or ""
    header = [name, *(str(c) for c in frame.columns)]
    rows = [[idx, *values] for idx, values in zip(frame.index, frame.itertuples(index=False))]
    return table(header, rows)


def figure(png: bytes, alt: str, caption: str) -> str:
    """A PNG embedded as a ``data:`` URI, with its alt text and caption."""
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{text(alt)}">'
            f"<figcaption>{text(caption)}</figcaption></figure>")


def section(anchor: str, title: str, body: str) -> str:
    """``<section>`` with an ``h2`` (``body`` is HTML already)."""
    return f'<section id="{text(anchor)}"><h2>{text(title)}</h2>{body}</section>'


def page(title: str, subtitle: str, body: str) -> str:
    """The whole document: no script, no link, no resource from elsewhere."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{text(title)}</title><style>{STYLE}</style></head>"
            f"<body><main><h1>{text(title)}</h1><p class=\"sub\">{text(subtitle)}</p>"
            f"{body}</main></body></html>\n")
