"""One report as a PDF: the printable HTML report, with a locator map on page 1, laid out by WeasyPrint.

WeasyPrint renders HTML + CSS (``@page`` sizes, page-margin boxes, ``break-inside``) to PDF without a
browser. The page is self-contained (charts and map are data URIs), and the URL fetcher refuses anything
else, so rendering never reaches the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from learn.errors import LearnError
from learn.report.models import Report
from learn.util import atomic_path

if TYPE_CHECKING:
    from learn.report.locator import LocatorMap

#: Paper sizes offered: name → (CSS @page size, width × height in PostScript points).
PAPERS: Final[dict[str, tuple[str, tuple[int, int]]]] = {
    "letter": ("letter", (612, 792)),
    "a4": ("A4", (595, 842)),
}
DEFAULT_PAPER: Final = "letter"


def check_paper(paper: str) -> str:
    """The paper name in lower case; an unknown one is refused with the choices."""
    name = paper.strip().lower()
    if name not in PAPERS:
        raise LearnError(f"unknown paper size '{paper}'", hint=f"use one of {', '.join(PAPERS)}")
    return name


def render_pdf(
    report: Report,
    *,
    paper: str = DEFAULT_PAPER,
    locator: LocatorMap | None = None,
    pathway: dict[str, Any] | None = None,
) -> bytes:
    """The report as PDF bytes on ``paper`` (letter | a4), with ``locator`` on page 1 when given and a pathway
    document's section (``pathway``) when given."""
    import weasyprint  # lazy: pango and friends only when a PDF is asked for

    from learn.report.html import render_html

    size = PAPERS[check_paper(paper)][0]
    html = render_html(report, locator=locator, page_size=size, pathway=pathway)
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf


def write_pdf(
    report: Report, path: str | Path, *, paper: str = DEFAULT_PAPER, locator: LocatorMap | None = None
) -> None:
    """Write the PDF atomically (a failure leaves no partial file)."""
    data = render_pdf(report, paper=paper, locator=locator)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
