"""PDF summaries: a jinja2 template from templates/ rendered by WeasyPrint on A4. Deterministic:
the dates inside the PDF come from the aanmaakdatum and font subsets carry a fixed date."""
from __future__ import annotations

import io
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.files import atomic_write
from documents.templates import TEMPLATES_DIR, template_environment
from documents.values import as_date


# Tagged for screen readers (structure tree with headings and table headers, language, title shown
# in the title bar), as the accessibility rules for government publications ask. WeasyPrint writes one
# variant per file; PDF/UA is the one about accessibility (PDF/A-2a would tag too, for archiving).
PDF_VARIANT = "pdf/ua-1"


@dataclass(frozen=True)
class PdfJob:
    """One PDF to render: picklable (the context holds plain Python types only)."""
    template_name: str
    context: dict
    path: Path


def _pdf_defaults(context: dict) -> dict:
    ctx = dict(context)
    ctx.setdefault("change_report", None)
    ctx.setdefault("wijzigingen_samenvatting", None)
    ctx.setdefault("footer", "")
    ctx.setdefault("document_title", "Kijkglas")
    ctx.setdefault("link_stylesheet", True)  # render_pdf hands WeasyPrint the parsed stylesheet instead
    if "pdf_datum" not in ctx:
        d = as_date(ctx.get("aanmaakdatum"))
        # W3C date: weasyprint writes it to /CreationDate and /ModDate; a fixed value keeps the
        # bytes stable (without it weasyprint writes no date at all).
        ctx["pdf_datum"] = d.isoformat() if d else None
    return ctx


_EPOCH_LOCK = threading.Lock()
_EPOCH_USERS = 0


# 1980-01-01 UTC: a constant, so that concurrent renders never disagree about it
_FONT_EPOCH = "315532800"


@contextmanager
def _source_date_epoch():
    """Set SOURCE_DATE_EPOCH while rendering, unless the caller already set it.

    Without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which stamps each font's
    `head.modified` with the current time unless SOURCE_DATE_EPOCH is set (the
    reproducible-builds convention); that stamp was the only varying byte of our PDFs.
    """
    global _EPOCH_USERS
    with _EPOCH_LOCK:
        owned = _EPOCH_USERS > 0 or "SOURCE_DATE_EPOCH" not in os.environ
        if owned:
            if _EPOCH_USERS == 0:
                os.environ["SOURCE_DATE_EPOCH"] = _FONT_EPOCH
            _EPOCH_USERS += 1
    try:
        yield
    finally:
        if owned:
            with _EPOCH_LOCK:
                _EPOCH_USERS -= 1
                if _EPOCH_USERS == 0:
                    os.environ.pop("SOURCE_DATE_EPOCH", None)


def html_of(template_name: str, context: dict) -> str:
    """The HTML a PDF is made from (what WeasyPrint lays out), linking templates/style.css."""
    return template_environment().get_template(template_name).render(**_pdf_defaults(context))


_STYLE = threading.local()


def _stylesheet():
    """The stylesheet and font configuration, parsed once per thread (a render worker renders
    hundreds of documents; WeasyPrint's font configuration is not shared between threads)."""
    if not hasattr(_STYLE, "parsed"):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        fonts = FontConfiguration()
        _STYLE.parsed = (CSS(filename=str(TEMPLATES_DIR / "style.css"), font_config=fonts), fonts)
    return _STYLE.parsed


def render_pdf(template_name: str, context: dict, path: str | os.PathLike) -> Path:
    """Render templates/<template_name> with `context` to an A4 PDF at `path`.

    Byte-deterministic: the PDF's CreationDate/ModDate come from `context["aanmaakdatum"]`
    (or `context["pdf_datum"]`, an ISO date), and the embedded font subsets carry a fixed date.
    """
    from weasyprint import HTML

    html = html_of(template_name, {**context, "link_stylesheet": False})
    stylesheet, fonts = _stylesheet()
    buf = io.BytesIO()
    with _source_date_epoch():
        doc = HTML(string=html, base_url=str(TEMPLATES_DIR) + os.sep).render(stylesheets=[stylesheet], font_config=fonts)
        doc.write_pdf(buf, pdf_variant=PDF_VARIANT)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buf.getvalue())
    return path

