"""The render floor of a production's documents (issue 11): the same documents, rendered in the
plainest way with the same libraries — openpyxl write-only workbooks and WeasyPrint with a minimal
stylesheet — in 2 processes, with no compute, no orchestration and no publication.

Untimed preparation (`prepare`): for every published workbook (`*.xlsx`) each sheet's cell values
(openpyxl read-only, values only), for every published PDF its text page by page (`pdftotext
-layout`, which keeps the small tables' columns) and its page count; each document's content is
pickled into a work folder. Timed (`render`): a warmed 2-process pool (libraries imported and one
tiny PDF rendered in each worker before the clock starts) writes each workbook again as a write-only
workbook with the same sheets and values, and renders each PDF from minimal HTML — one block per
original page holding that page's text, a page break between — so it has as many pages or more.
Two ways of the PDFs, each timed on its own (with the workbooks each time):
  tables  the page's paragraphs as text and every run of lines that splits into columns (two or more
          spaces apart: how pdftotext lays out a table) as an HTML table — "every PDF's text and
          small tables", the floor the benchmark divides by;
  text    the page's text preformatted, tables included as laid-out text: cheaper still.
The largest documents go first. `check` counts the floor's pages against the originals'.
The dashboard's HTML pages are no workbooks or PDFs and are left out.
"""
from __future__ import annotations

import html
import re
import multiprocessing
import pickle
import shutil
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

from proctree import busy_seconds

PROCESSES = 2
# text: each page's text as it is laid out, preformatted; tables: the page's paragraphs as text and
# its tables (runs of lines that split into columns) as HTML tables
MODES = ("tables", "text")
CSS = {
    "text": ("@page { size: A4; margin: 12mm } "
             "body { font-family: 'DejaVu Sans Mono', monospace; font-size: 7pt; line-height: 1.15 } "
             ".p { white-space: pre-wrap; break-after: page } .p:last-child { break-after: auto }"),
    "tables": ("@page { size: A4; margin: 12mm } "
               "body { font-family: 'DejaVu Sans', sans-serif; font-size: 8pt; line-height: 1.2 } "
               ".p { break-after: page } .p:last-child { break-after: auto } p { margin: 0 0 4pt } "
               "table { border-collapse: collapse; margin: 0 0 6pt } td { padding: 1pt 4pt; border-bottom: 0.5pt solid #999 }"),
}
_COLUMNS = re.compile(r"\s{2,}")


@dataclass
class Doc:
    kind: str          # xlsx | pdf
    source: Path       # the published document
    content: Path      # its pickled content (sheets with rows, or page texts)
    target: Path       # where the floor writes its own
    pages: int = 0     # PDF: the original's page count
    sheets: int = 0
    cells: int = 0     # workbook: non-empty cells; PDF: characters of text
    cost: float = 0.0  # a rough guess, to start the largest first


def published_documents(outbox: Path) -> list[Path]:
    """Every .xlsx and .pdf in the outbox, outside its hidden folders (staging, operator, locks)."""
    out = []
    for p in sorted(Path(outbox).rglob("*")):
        rel = p.relative_to(outbox)
        if p.suffix in (".xlsx", ".pdf") and not any(part.startswith(".") for part in rel.parts):
            out.append(p)
    return out


def _read_xlsx(source: Path) -> tuple[list[tuple[str, list[tuple]]], int]:
    from openpyxl import load_workbook
    wb = load_workbook(source, read_only=True, data_only=True)
    sheets, cells = [], 0
    for ws in wb.worksheets:
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
        cells += sum(1 for r in rows for v in r if v is not None)
        sheets.append((ws.title, rows))
    wb.close()
    return sheets, cells


def _read_pdf(source: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(source), "-"], check=True,
                          stdout=subprocess.PIPE).stdout.decode("utf-8", errors="replace")
    pages = text.split("\f")
    if pages and pages[-1].strip() == "":
        pages = pages[:-1]      # pdftotext ends every page with a form feed
    return pages


def _page_count(path: Path) -> int:
    from pypdf import PdfReader
    return len(PdfReader(str(path)).pages)


def _prepare_one(args: tuple[Path, Path, Path]) -> Doc:
    source, content, target = args
    if source.suffix == ".xlsx":
        sheets, cells = _read_xlsx(source)
        doc = Doc("xlsx", source, content, target, sheets=len(sheets), cells=cells, cost=1e-5 * cells + 0.02 * len(sheets))
        data = sheets
    else:
        pages = _read_pdf(source)
        n = _page_count(source)
        doc = Doc("pdf", source, content, target, pages=n, cells=sum(len(t) for t in pages), cost=0.05 * n + 0.1)
        data = pages + [""] * (n - len(pages))   # a page without text is still a page
    with content.open("wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    return doc


def prepare(outbox: Path, work: Path, processes: int = PROCESSES) -> list[Doc]:
    """Read every published document's content into `work` (untimed)."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "content").mkdir(parents=True)
    (work / "floor").mkdir()
    jobs = []
    for i, src in enumerate(published_documents(outbox)):
        jobs.append((src, work / "content" / f"{i:05d}.pickle", work / "floor" / f"{i:05d}{src.suffix}"))
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_prepare_one, jobs, chunksize=4))


def _page_with_tables(text: str) -> str:
    """A page's text as paragraphs, and every run of lines that split into two or more columns (two
    or more spaces apart, as pdftotext -layout sets out a table) as a table."""
    out, para, rows = [], [], []

    def flush_para() -> None:
        if para:
            out.append("<p>" + "<br>".join(html.escape(x) for x in para) + "</p>")
            para.clear()

    def flush_rows() -> None:
        if rows:
            out.append("<table>" + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                                             for r in rows) + "</table>")
            rows.clear()

    for line in text.splitlines():
        cells = _COLUMNS.split(line.strip())
        if not line.strip():
            flush_para()        # a blank line ends a paragraph; a table may go on after it
            continue
        if len(cells) >= 2:
            flush_para()
            rows.append(cells)
        else:
            flush_rows()
            para.append(line.strip())
    flush_para()
    flush_rows()
    return "".join(out) or "&#160;"


def page_html(pages: list[str], mode: str = "tables") -> str:
    if mode == "text":
        blocks = "".join(f'<div class="p">{html.escape(t) if t.strip() else "&#160;"}</div>' for t in pages)
    else:
        blocks = "".join(f'<div class="p">{_page_with_tables(t)}</div>' for t in pages)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{CSS[mode]}</style></head>'
            f'<body>{blocks}</body></html>')


def _write_xlsx(doc: Doc) -> None:
    from openpyxl import Workbook
    with doc.content.open("rb") as f:
        sheets = pickle.load(f)
    wb = Workbook(write_only=True)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(doc.target)


def _write_pdf(doc: Doc, mode: str) -> None:
    from weasyprint import HTML
    with doc.content.open("rb") as f:
        pages = pickle.load(f)
    HTML(string=page_html(pages, mode)).write_pdf(target_of(doc, mode))


def target_of(doc: Doc, mode: str) -> Path:
    return doc.target if mode == MODES[0] else doc.target.with_name(f"{doc.target.stem}-{mode}{doc.target.suffix}")


def render_one(doc: Doc, mode: str) -> None:
    _write_xlsx(doc) if doc.kind == "xlsx" else _write_pdf(doc, mode)


def _warm() -> None:
    import io

    import openpyxl  # noqa: F401
    from weasyprint import HTML
    for mode in MODES:
        HTML(string=page_html(["warm  up"], mode)).write_pdf(io.BytesIO())


def _noop() -> None:
    time.sleep(0.2)   # long enough that each worker takes one


def render(docs: list[Doc], processes: int = PROCESSES, modes: tuple[str, ...] = MODES) -> dict[str, float]:
    """Render every document again, once per mode (PDFs as `mode`; the workbooks are the same each
    time); returns per mode the seconds the rendering took (pool already warm), and as `<mode>_cpu`
    the CPU seconds it took (pool and this process), as `<mode>_others` the cores other work used."""
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"), initializer=_warm) as pool:
        for f in [pool.submit(_noop) for _ in range(processes)]:
            f.result()
        ours = [psutil.Process()] + [psutil.Process(pid) for pid in pool._processes]
        seconds = {}
        for mode in modes:
            busy0, cpu0 = busy_seconds(), _cpu(ours)
            t0 = time.perf_counter()
            futures = [pool.submit(render_one, d, mode) for d in sorted(docs, key=lambda d: -d.cost)]
            for f in futures:
                f.result()
            seconds[mode] = time.perf_counter() - t0
            seconds[f"{mode}_cpu"] = _cpu(ours) - cpu0
            others = max(0.0, (busy_seconds() - busy0) - seconds[f"{mode}_cpu"]) / seconds[mode]
            seconds[f"{mode}_others"] = others
        return seconds


def _cpu(procs: list) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def check(docs: list[Doc], modes: tuple[str, ...] = MODES) -> dict:
    """Totals, and per mode whether every floor PDF has at least as many pages as its original."""
    pdfs = [d for d in docs if d.kind == "pdf"]
    xlsx = [d for d in docs if d.kind == "xlsx"]
    out = {"pdfs": len(pdfs), "workbooks": len(xlsx), "pages": sum(d.pages for d in pdfs),
           "pdf_chars": sum(d.cells for d in pdfs),
           "sheets": sum(d.sheets for d in xlsx), "cells": sum(d.cells for d in xlsx),
           "floor_pages": {}, "short": {}}
    for mode in modes:
        pages = {d.target: _page_count(target_of(d, mode)) for d in pdfs}
        out["floor_pages"][mode] = sum(pages.values())
        out["short"][mode] = [f"{d.source} ({pages[d.target]} < {d.pages} pages)" for d in pdfs if pages[d.target] < d.pages]
    return out
