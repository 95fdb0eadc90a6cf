"""The render layer: a product's tables → CSV files, Excel workbooks and PDF summaries.

Pure functions (no Prefect). Everything here is deterministic: the same tables and the same
aanmaakdatum give the same bytes, so that a rerun on the same extract is recognisably a no-op.

- `write_csv_tables`   data/<stem>.csv, UTF-8, comma, ISO dates, integers, empty for null.
- `write_workbook`     an .xlsx with an "Algemene gegevens" block heading each sheet; overview sheets
                       hold several small captioned tables, detail sheets exactly one rectangular table
                       with autofilter and frozen header (outputs.md, "Excel").
- `render_pdf`         jinja2 template from templates/ + WeasyPrint, A4.
- `render_pdfs_parallel`  many PDFs in a process pool (WeasyPrint is CPU-bound).
- `kijkglas_1_documents` / `render_kijkglas_1`  the documents of Kijkglas 1 for one SWV.

Kijkglas 2–5 reuse `Sheet`, `write_workbook`, `write_csv_tables`, `PdfJob`, `render_pdf` and the
context helpers (`table_context`, `algemene_gegevens_context`).
"""
from __future__ import annotations

import csv
import io
import math
import multiprocessing
import os
import re
import threading
import zipfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from tasks.model import ProductResult, SwvInfo

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"

GEEN_BEDRAGEN = "Er zijn nog geen bedragen vastgesteld"

# Fixed timestamp used when no aanmaakdatum is known (zip entries cannot go before 1980).
_FALLBACK_TIMESTAMP = datetime(1980, 1, 1)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NL_DATE = re.compile(r"^\d{2}-\d{2}-\d{4}$")


# --------------------------------------------------------------------------------------------
# Values: one normalisation shared by CSV, Excel and PDF
# --------------------------------------------------------------------------------------------

def _is_null(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return math.isnan(v)
    if isinstance(v, np.datetime64):
        return bool(np.isnat(v))
    return False


def _integral_float_column(s: pd.Series) -> bool:
    """A float column whose values are all whole numbers (a count that passed through NaN)."""
    if not pd.api.types.is_float_dtype(s.dtype):
        return False
    vals = s.dropna()
    return bool(len(vals) == 0 or np.all(np.mod(vals.to_numpy(dtype=float), 1) == 0))


def _cell_value(v: Any, column: str = "", as_int: bool = False) -> Any:
    """A plain Python value: None, str, int, float, Decimal, date or datetime."""
    if _is_null(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return "J" if v else "N"
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v).to_pydatetime()
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.replace(tzinfo=None)
        return v.date() if v.time() == datetime.min.time() else v
    if isinstance(v, date):
        return v
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return int(v) if as_int and v.is_integer() else v
    if isinstance(v, str):
        # a date handed over as text (ISO or dd-mm-jjjj) is still a date (Excel needs a real one)
        if "datum" in column.lower():
            try:
                if _ISO_DATE.match(v):
                    return date.fromisoformat(v)
                if _NL_DATE.match(v):
                    return datetime.strptime(v, "%d-%m-%Y").date()
            except ValueError:
                return v
        return v
    return v


def frame_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """The frame's rows as lists of plain Python values (see `_cell_value`)."""
    cols = [str(c) for c in frame.columns]
    int_cols = [_integral_float_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    rows = []
    for tup in frame.itertuples(index=False, name=None):
        rows.append([_cell_value(v, cols[i], int_cols[i]) for i, v in enumerate(tup)])
    return rows


def _csv_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    return str(v)


def format_nl(v: Any) -> str:
    """Display text for a PDF: dates dd-mm-jjjj, counts as plain integers, euros Dutch style."""
    v = _cell_value(v)
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%d-%m-%Y %H:%M")
    if isinstance(v, date):
        return v.strftime("%d-%m-%Y")
    if isinstance(v, float):
        return f"{v:.2f}".replace(".", ",")
    return str(v)


def format_euro(v: Any) -> str:
    """`€ 1.234.567,89`."""
    v = _cell_value(v)
    if v is None:
        return ""
    amount = Decimal(str(v)).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    whole, frac = f"{abs(amount):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"€ {sign}{'.'.join(groups)},{frac}"


def format_aantal(n: Any, enkelvoud: str, meervoud: str) -> str:
    """`1 leerling`, `34 leerlingen`."""
    return f"{n} {enkelvoud if n == 1 else meervoud}"


def _as_date(v: Any) -> date | None:
    v = _cell_value(v, "datum")
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return None


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

def csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([str(c) for c in frame.columns])
    for row in frame_rows(frame):
        w.writerow([_csv_text(v) for v in row])
    return buf.getvalue().encode("utf-8")


def write_csv_tables(tables: dict[str, pd.DataFrame], data_dir: str | os.PathLike) -> list[Path]:
    """Write every table as `<data_dir>/<stem>.csv`; returns the paths in the tables' order."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, frame in tables.items():
        p = data_dir / f"{stem}.csv"
        p.write_bytes(csv_bytes(frame))
        paths.append(p)
    return paths


# --------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sheet:
    """One worksheet of a workbook.

    name:     the tab name (at most 31 characters, no []:*?/\\).
    tables:   (caption, frame) pairs. An overview sheet (detail=False) stacks them, each with its
              caption on a label row above it and a blank row between tables. A detail sheet
              (detail=True) holds exactly one table: a single header row, data rows, autofilter on
              the header, panes frozen below it; its caption (if any) is written above the table.
    header_row: detail sheets only: put the header on this 1-based row (Kijkglas 3 contract: 10).
    column_groups: detail sheets only: (label, first column, last column) group labels written on
              the row directly above the header, centred across the group without merging cells.
    algemene_gegevens: head the sheet with the workbook's "Algemene gegevens" block.
    """
    name: str
    tables: Sequence[tuple[str | None, pd.DataFrame]]
    detail: bool = False
    header_row: int | None = None
    column_groups: Sequence[tuple[str, str, str]] = ()
    algemene_gegevens: bool = True


_DATE_FORMAT = "dd-mm-yyyy"       # shown as dd-mm-jjjj by a Dutch Excel
_DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
_EURO_FORMAT = '"€" #,##0.00'
_HEADER_FILL = "D9D9D9"
_CAPTION_FILL = "F2F2F2"
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str) -> str:
    return _SHEET_NAME_BAD.sub("-", name)[:31]


def _display_len(v: Any) -> int:
    if v is None:
        return 0
    if isinstance(v, datetime):
        return 16
    if isinstance(v, date):
        return 10
    if isinstance(v, Decimal):
        return len(format_euro(v))
    return max((len(part) for part in str(v).split("\n")), default=0)


def _wrapped_lines(text: str, width: int) -> int:
    """Lines a header needs when wrapped at word boundaries in a column `width` characters wide."""
    lines, current = 1, 0
    for word in text.split():
        if current and current + 1 + len(word) > width - 1:
            lines, current = lines + 1, len(word)
        else:
            current = current + (1 if current else 0) + len(word)
    return lines


def _write_value(cell, v: Any) -> None:
    cell.value = v
    if isinstance(v, datetime):
        cell.number_format = _DATETIME_FORMAT
    elif isinstance(v, date):
        cell.number_format = _DATE_FORMAT
    elif isinstance(v, Decimal):
        cell.number_format = _EURO_FORMAT


def _zip_deterministic(raw: bytes, when: datetime) -> bytes:
    """Rewrite a zip with fixed entry timestamps (openpyxl stamps each entry with 'now')."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zi.create_system = 0
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def _timestamp_from(algemene_gegevens: Sequence[Sequence[Any]]) -> datetime | None:
    for row in algemene_gegevens:
        if row and str(row[0]).strip().lower() == "aanmaakdatum" and len(row) > 1:
            d = _as_date(row[1])
            if d:
                return datetime(d.year, d.month, d.day)
    return None


def write_workbook(path: str | os.PathLike, title: str,
                   algemene_gegevens: Sequence[Sequence[Any]],
                   blocks: Sequence[Sheet], *,
                   timestamp: date | datetime | None = None) -> Path:
    """Write an .xlsx workbook; returns its path.

    algemene_gegevens: rows `(label, value, ...)`; values may be str, int, Decimal (euros) or
      date. Written in columns A, B, C… under the bold heading "Algemene gegevens".
    blocks: the sheets, in order (see `Sheet`).
    timestamp: the document's created/modified date (default: the "Aanmaakdatum" row of
      algemene_gegevens); also the timestamp of every zip entry, so equal input gives equal bytes.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    if timestamp is None:
        timestamp = _timestamp_from(algemene_gegevens) or _FALLBACK_TIMESTAMP
    if not isinstance(timestamp, datetime):
        timestamp = datetime(timestamp.year, timestamp.month, timestamp.day)

    bold = Font(bold=True)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    caption_fill = PatternFill("solid", fgColor=_CAPTION_FILL)
    thin_bottom = Border(bottom=Side(style="thin"))
    title_font = Font(bold=True, size=14)
    section_font = Font(bold=True, size=12)

    # an ISO date string in the block ("2024-10-01") is a date too
    ag_rows = [[_cell_value(v, "datum") for v in row] for row in algemene_gegevens]

    wb = Workbook()
    wb.remove(wb.active)
    used_names: set[str] = set()

    for sheet in blocks:
        name = _sheet_title(sheet.name)
        if name in used_names:
            raise ValueError(f"duplicate sheet name {name!r}")
        used_names.add(name)
        ws = wb.create_sheet(name)
        widths: dict[int, int] = {}

        def put(r: int, c: int, v: Any, *, measure: bool = True):
            cell = ws.cell(row=r, column=c)
            _write_value(cell, v)
            if measure:
                widths[c] = max(widths.get(c, 0), _display_len(v))
            return cell

        ws.cell(row=1, column=1, value=title).font = title_font
        r = 3
        if sheet.algemene_gegevens:
            ws.cell(row=r, column=1, value="Algemene gegevens").font = section_font
            r += 1
            for row in ag_rows:
                for c, v in enumerate(row, start=1):
                    # text beyond column A may run on into the empty cells to its right, so it
                    # does not widen a table column; numbers and dates cannot, so they do
                    cell = put(r, c, v, measure=c == 1 or not isinstance(v, str))
                    if c == 1:
                        cell.font = bold
                r += 1
            r += 1  # blank row

        if sheet.detail and len(sheet.tables) != 1:
            raise ValueError(f"detail sheet {sheet.name!r} must hold exactly one table")

        for caption, frame in sheet.tables:
            wrap_header_cols: set[int] = set()
            columns = [str(c) for c in frame.columns]
            rows = frame_rows(frame)
            if caption:
                cell = ws.cell(row=r, column=1, value=caption)
                cell.font = section_font if sheet.detail else bold
                if not sheet.detail:
                    for c in range(1, max(len(columns), 1) + 1):
                        ws.cell(row=r, column=c).fill = caption_fill
                r += 1
            if sheet.detail:
                groups_needed = 1 if sheet.column_groups else 0
                if sheet.header_row is not None:
                    if r + groups_needed > sheet.header_row:
                        raise ValueError(
                            f"sheet {sheet.name!r}: header cannot be on row {sheet.header_row}, "
                            f"the block above it ends on row {r - 1}")
                    r = sheet.header_row - groups_needed
                if sheet.column_groups:
                    for label, first, last in sheet.column_groups:
                        c0, c1 = columns.index(first) + 1, columns.index(last) + 1
                        for c in range(c0, c1 + 1):
                            cell = ws.cell(row=r, column=c)
                            cell.alignment = Alignment(horizontal="centerContinuous")
                            cell.fill = caption_fill
                        ws.cell(row=r, column=c0, value=label).font = bold
                    r += 1
            header_r = r
            numeric = [all(isinstance(row[i], (int, float, Decimal)) or row[i] is None
                           for row in rows) and any(row[i] is not None for row in rows)
                       for i in range(len(columns))]
            for c, name_ in enumerate(columns, start=1):
                cell = ws.cell(row=header_r, column=c, value=name_)
                cell.font = header_font
                cell.fill = header_fill
                cell.border = thin_bottom
                if numeric[c - 1] and len(name_) > 8:
                    # a count column under a long name: wrap the name, keep the column narrow
                    wrap_header_cols.add(c)
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                    longest_word = max(len(w) for w in name_.split())
                    widths[c] = max(widths.get(c, 0), longest_word, 8)
                else:
                    cell.alignment = Alignment(vertical="top")
                    widths[c] = max(widths.get(c, 0), len(name_))
            for row in rows:
                for c, v in enumerate(row, start=1):
                    widths[c] = max(widths.get(c, 0), _display_len(v))
            if wrap_header_cols:
                lines = max(_wrapped_lines(columns[c - 1], widths[c] + 2)
                            for c in wrap_header_cols)
                ws.row_dimensions[header_r].height = 15 * lines
            r += 1
            for row in rows:
                is_total = bool(row) and row[0] == "Totaal"
                for c, v in enumerate(row, start=1):
                    cell = put(r, c, v, measure=False)
                    if is_total and not sheet.detail:
                        cell.font = bold
                r += 1
            last_col = get_column_letter(max(len(columns), 1))
            if sheet.detail:
                ws.auto_filter.ref = f"A{header_r}:{last_col}{max(r - 1, header_r)}"
                ws.freeze_panes = f"A{header_r + 1}"
                ws.print_title_rows = f"{header_r}:{header_r}"
            r += 1  # blank row between tables

        for c, w in widths.items():
            ws.column_dimensions[get_column_letter(c)].width = min(max(w + 2, 8), 60)
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if sheet.detail else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True

    if not wb.sheetnames:
        wb.create_sheet("Algemene gegevens")

    wb.properties.title = title
    wb.properties.creator = "Kijkglazen"
    wb.properties.lastModifiedBy = "Kijkglazen"
    wb.properties.language = "nl-NL"
    wb.properties.created = timestamp
    wb.properties.modified = timestamp

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # unlike save_workbook, keeps properties.modified
    data = _zip_deterministic(buf.getvalue(), timestamp)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, data)
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PdfJob:
    """One PDF to render: picklable (the context holds plain Python types only)."""
    template_name: str
    context: dict
    path: Path


_ENV = None


def _jinja_env():
    global _ENV
    if _ENV is None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
        _ENV = Environment(
            loader=FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=select_autoescape(["html", "xml"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        _ENV.filters["nl"] = format_nl
        _ENV.filters["euro"] = format_euro
        _ENV.filters["aantal"] = format_aantal
    return _ENV


def render_html(template_name: str, context: dict) -> str:
    return _jinja_env().get_template(template_name).render(**_pdf_defaults(context))


def _pdf_defaults(context: dict) -> dict:
    ctx = dict(context)
    ctx.setdefault("change_report", None)
    ctx.setdefault("footer", "")
    ctx.setdefault("document_title", "Kijkglas")
    if "pdf_datum" not in ctx:
        d = _as_date(ctx.get("aanmaakdatum"))
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


def render_pdf(template_name: str, context: dict, path: str | os.PathLike) -> Path:
    """Render templates/<template_name> with `context` to an A4 PDF at `path`.

    Byte-deterministic: the PDF's CreationDate/ModDate come from `context["aanmaakdatum"]`
    (or `context["pdf_datum"]`, an ISO date), and the embedded font subsets carry a fixed date.
    """
    from weasyprint import HTML

    ctx = _pdf_defaults(context)
    html = _jinja_env().get_template(template_name).render(**ctx)
    buf = io.BytesIO()
    with _source_date_epoch():
        doc = HTML(string=html, base_url=str(TEMPLATES_DIR) + os.sep).render()
        doc.write_pdf(buf)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, buf.getvalue())
    return path


def _render_job(job: PdfJob) -> Path:
    return render_pdf(job.template_name, job.context, job.path)


def render_pdfs_parallel(jobs: Sequence[PdfJob], processes: int | None = None) -> list[Path]:
    """Render many PDFs in a process pool; returns the paths in the jobs' order.

    Uses the `spawn` start method (safe next to threads, as in a Prefect or Dask worker). Falls
    back to rendering in this process for a single job, `processes=1`, or inside a daemonic
    process (a Dask worker), which may not start children.
    """
    jobs = list(jobs)
    if not jobs:
        return []
    if processes is None:
        processes = os.cpu_count() or 1
    processes = max(1, min(processes, len(jobs)))
    if processes == 1 or multiprocessing.current_process().daemon:
        return [_render_job(j) for j in jobs]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
        return list(pool.map(_render_job, jobs))


# --------------------------------------------------------------------------------------------
# Template context helpers (plain Python types only)
# --------------------------------------------------------------------------------------------

_COUNT_COLUMN = re.compile(r"^(?:(?P<group>.+?) )?(?P<cat>L|M|H|Laag|Midden|Hoog) (?P<age><8|8\+)$")


def column_levels(name: str) -> list[str]:
    """Split a count column name `<group> <L|M|H> <<8|8+>` into header levels."""
    m = _COUNT_COLUMN.match(name)
    if not m:
        return [name]
    return [p for p in (m.group("group"), m.group("cat"), m.group("age")) if p]


def group_bounds(columns: Sequence[str]) -> list[bool]:
    """True where a column starts a new top-level group (drawn with a heavier left border)."""
    tops = [column_levels(c)[0] if len(column_levels(c)) > 1 else None for c in columns]
    return [i > 1 and (tops[i] != tops[i - 1]) for i in range(len(columns))]


def header_grid(columns: Sequence[str]) -> list[list[dict]]:
    """Multi-row table header: cells {text, colspan, rowspan, first}; equal neighbours merged.

    `Laag <8`, `Laag 8+` → `Laag` over `<8` and `8+`; a column without levels (`Regel`,
    `Totaal`) spans all header rows.
    """
    levels = [column_levels(c) for c in columns]
    depth = max((len(lv) for lv in levels), default=1)
    bounds = group_bounds(columns)
    grid: list[list[dict]] = [[] for _ in range(depth)]
    n = len(columns)
    for d in range(depth):
        i = 0
        while i < n:
            lv = levels[i]
            if len(lv) < depth:
                if d == 0:
                    grid[0].append({"text": columns[i], "colspan": 1, "rowspan": depth,
                                    "first": i == 0, "grens": bounds[i]})
                i += 1
                continue
            j = i + 1
            while j < n and len(levels[j]) == depth and levels[j][:d + 1] == lv[:d + 1]:
                j += 1
            grid[d].append({"text": lv[d], "colspan": j - i, "rowspan": 1, "first": i == 0,
                            "grens": bounds[i]})
            i = j
    return grid


def table_context(frame: pd.DataFrame, caption: str | None = None) -> dict:
    """A table for a template: caption, column names, header grid and display rows."""
    columns = [str(c) for c in frame.columns]
    rows = frame_rows(frame)
    return {
        "caption": caption,
        "columns": columns,
        "header": header_grid(columns),
        "grens": group_bounds(columns),
        "numeric": [any(isinstance(r[i], (int, float, Decimal)) for r in rows)
                    for i in range(len(columns))],
        "rows": [{"cells": [format_nl(v) for v in r], "total": bool(r) and r[0] == "Totaal"}
                 for r in rows],
        "n_rows": len(rows),
    }


# Rough text widths of the small table font (DejaVu Sans 6.5pt), for choosing between
# a portrait and a landscape page; see templates/style.css `table.data.breed`.
_BREED_DIGIT_MM = 1.5
_BREED_TEXT_MM = 1.3
_BREED_CELL_PAD_MM = 1.8
PORTRAIT_WIDTH_MM = 172.0   # A4 minus the page margins of style.css (178 mm), less a safety margin


def estimated_width_mm(table: dict) -> float:
    """Estimated width of a `table_context` table set in the small font."""
    total = 0.0
    for i, numeric in enumerate(table["numeric"]):
        cells = [row["cells"][i] for row in table["rows"]]
        per_char = _BREED_DIGIT_MM if numeric else _BREED_TEXT_MM
        longest = max(max((len(c) for c in cells), default=0), 2)  # 2: the `<8`/`8+` headers
        total += longest * per_char + _BREED_CELL_PAD_MM
    return total


def algemene_gegevens_context(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    return [[format_euro(v) if isinstance(v, Decimal) else format_nl(_cell_value(v, "datum"))
             for v in row] for row in rows]


# --------------------------------------------------------------------------------------------
# Kijkglas 1
# --------------------------------------------------------------------------------------------

K1_CAPTIONS = {
    "k1_vso_totalen": "Tabel (voortgezet) speciaal onderwijs",
    "k1_bao_sbao": "Tabel basisonderwijs/speciaal basisonderwijs",
    "k1_vo": "Tabel voortgezet onderwijs",
    "k1_tlv": "Tabel (V)SO weergave alle toelaatbaarheidsverklaringen binnen het samenwerkingsverband",
    "k1_per_vestiging": "Aantallen per vestiging",
    "k1_inschrijvingen": "Individuele inschrijvingen in het speciaal onderwijs van belang voor "
                         "het samenwerkingsverband",
}
K1_TITLE = "Kijkglas 1 – Onderbouwing bekostiging"
K1_GROEPEN = ("TLV", "RP", "Tijdelijke plaatsing", "CvI")


def k1_filenames(swv_code: str) -> dict[str, str]:
    return {
        "bestand_1": f"kijkglas-1_bestand-1_{swv_code}.xlsx",
        "bestand_2": f"kijkglas-1_bestand-2_{swv_code}.xlsx",
        "pdf": f"kijkglas-1_{swv_code}.pdf",
    }


def _swv_adres(swv: SwvInfo) -> str:
    parts = [swv.adres, " ".join(p for p in (swv.postcode, swv.plaats) if p)]
    return ", ".join(p for p in parts if p)


def default_algemene_gegevens(result: ProductResult) -> list[tuple[str, Any]]:
    """The identifying rows, for a result whose product module left them empty."""
    swv = result.swv
    rows: list[tuple[str, Any]] = []
    if swv is not None:
        rows += [("Administratienummer", swv.swv_code), ("Naam", swv.naam),
                 ("Adres", _swv_adres(swv))]
    if result.product == "kijkglas-1":
        rows.append(("Teldatum", _as_date(result.period) or result.period))
    else:
        rows.append(("Schooljaar", result.schooljaar))
    rows += [("Stand per", result.stand_per), ("Aanmaakdatum", result.aanmaakdatum)]
    return rows


def _general_rows(result: ProductResult) -> list[tuple]:
    rows = list(result.algemene_gegevens) or default_algemene_gegevens(result)
    # drop any funding lines a product module may have added: render owns that part
    return [r for r in rows
            if GEEN_BEDRAGEN not in " ".join(str(x) for x in r)
            and str(r[0]) != "Vastgestelde bekostiging"]


def bekostiging_rows(bekostiging: pd.DataFrame | None) -> list[dict]:
    """The SWV's fixed funding, sorted: [{onderdeel, bedrag (Decimal), vastgesteld_op (date)}]."""
    if bekostiging is None or len(bekostiging) == 0:
        return []
    out = []
    for rec in bekostiging.to_dict("records"):
        bedrag = rec.get("bedrag")
        if not _is_null(bedrag) and not isinstance(bedrag, Decimal):
            bedrag = Decimal(str(bedrag)).quantize(Decimal("0.01"))
        out.append({"onderdeel": str(rec.get("onderdeel", "")),
                    "bedrag": None if _is_null(bedrag) else bedrag,
                    "vastgesteld_op": _as_date(rec.get("vastgesteld_op"))})
    return out


def _bekostiging_ag_rows(bek: list[dict]) -> list[tuple]:
    if not bek:
        return [("Vastgestelde bekostiging", GEEN_BEDRAGEN)]
    rows: list[tuple] = [("Vastgestelde bekostiging", "Bedrag", "Vastgesteld op")]
    rows += [(b["onderdeel"], b["bedrag"], b["vastgesteld_op"]) for b in bek]
    return rows


def _column_sum(frame: pd.DataFrame | None, row_label: str, column: str = "Totaal",
                key: str = "Regel") -> int | None:
    if frame is None or column not in frame.columns or key not in frame.columns:
        return None
    hit = frame.loc[frame[key] == row_label, column]
    if len(hit) == 0:
        return None
    v = _cell_value(hit.iloc[0], as_int=True)
    return int(v) if v is not None else None


def _k1_numbers(tables: dict[str, pd.DataFrame]) -> dict:
    vso = tables.get("k1_vso_totalen")
    tlv = tables.get("k1_tlv")
    per = tables.get("k1_per_vestiging")
    ins = tables.get("k1_inschrijvingen")
    nums: dict[str, Any] = {
        "vso_totaal": _column_sum(vso, "Totaal"),
        "vso_deelnemend": _column_sum(vso, "Deelnemende (V)SO"),
        "vso_niet_deelnemend": _column_sum(vso, "Niet deelnemende (V)SO"),
        "tlv_eigen": _column_sum(tlv, "TLV eigen SWV"),
        "tlv_ander": _column_sum(tlv, "TLV ander SWV"),
    }
    if per is not None and len(per):
        tot = per.loc[per["Vestiging"] == "Totaal"] if "Vestiging" in per.columns else per.iloc[0:0]
        if len(tot):
            def group_sum(prefix: str) -> int:
                cols = [c for c in per.columns if str(c).startswith(prefix)]
                return int(sum(_cell_value(tot.iloc[0][c], as_int=True) or 0 for c in cols))
            nums["per_tlv"] = group_sum("TLV SWV")
            nums["per_rp"] = group_sum("RP SWV")
            nums["per_geen_tlv"] = group_sum("Geen TLV niet RP SWV")
        nums["n_vestigingen"] = int((~per["Vestiging"].isin(
            ["Totaal", "Niet deelnemende (V)SO"])).sum()) if "Vestiging" in per.columns else 0
    if ins is not None:
        nums["n_inschrijvingen"] = int(len(ins))
        if "Groep" in ins.columns:
            counts = ins["Groep"].value_counts()
            nums["per_groep"] = [(g, int(counts.get(g, 0))) for g in K1_GROEPEN]
    return nums


def kijkglas_1_context(result: ProductResult, change_report: list[dict] | None = None) -> dict:
    """Template context (plain types) for templates/kijkglas-1.html."""
    swv = result.swv
    code = swv.swv_code if swv else "openbaar"
    names = k1_filenames(code)
    tables = result.tables
    teldatum = _as_date(result.period)
    sector = swv.sector if swv else ""
    ctx = {
        "document_title": f"{K1_TITLE} – {code}",
        "product": result.product,
        "product_titel": K1_TITLE,
        "swv_code": code,
        "swv_naam": swv.naam if swv else "",
        "sector": sector,
        "schooljaar": result.schooljaar,
        "teldatum": format_nl(teldatum or result.period),
        "stand_per": format_nl(result.stand_per),
        "aanmaakdatum": result.aanmaakdatum.isoformat(),
        "aanmaakdatum_nl": format_nl(result.aanmaakdatum),
        "algemene_gegevens": algemene_gegevens_context(_general_rows(result)),
        "bekostiging": [{"onderdeel": b["onderdeel"], "bedrag": format_euro(b["bedrag"]),
                         "vastgesteld_op": format_nl(b["vastgesteld_op"])}
                        for b in bekostiging_rows(result.bekostiging)],
        "geen_bedragen": GEEN_BEDRAGEN,
        "tables": {stem: table_context(frame, K1_CAPTIONS.get(stem))
                   for stem, frame in tables.items() if stem != "k1_inschrijvingen"},
        "per_vestiging_liggend": ("k1_per_vestiging" in tables and estimated_width_mm(
            table_context(tables["k1_per_vestiging"])) > PORTRAIT_WIDTH_MM),
        "n": _k1_numbers(tables),
        "bestanden": names,
        "footer": f"{code} · Kijkglas 1 · teldatum {format_nl(teldatum or result.period)} · "
                  f"stand per {format_nl(result.stand_per)}",
        "change_report": change_report_context(
            change_report if change_report is not None else result.extra.get("change_report"),
            K1_CAPTIONS),
    }
    return ctx


def change_report_context(report: Sequence[dict] | None,
                          captions: dict[str, str] | None = None) -> list[dict] | None:
    """The change report for base.html: per table {table, bestand, added, removed, changed,
    examples}; `table` shown by its caption when known, `bestand` the CSV file name."""
    if not report:
        return None
    out = []
    for entry in report:
        stem = str(entry.get("table", ""))
        out.append({
            "table": (captions or {}).get(stem, stem),
            "bestand": f"{stem}.csv" if captions and stem in captions else "",
            "added": int(entry.get("added", 0) or 0),
            "removed": int(entry.get("removed", 0) or 0),
            "changed": int(entry.get("changed", 0) or 0),
            "examples": [str(e) for e in entry.get("examples", []) or []],
        })
    return out


def kijkglas_1_documents(result: ProductResult, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """Write the two workbooks and data/*.csv of Kijkglas 1 for one SWV into `version_dir`.

    Returns the written paths and the (not yet rendered) PDF job, so that a caller can render
    the PDFs of many SWVs together with `render_pdfs_parallel`.
    """
    if result.swv is None:
        raise ValueError("Kijkglas 1 is made per SWV")
    version_dir = Path(version_dir)
    version_dir.mkdir(parents=True, exist_ok=True)
    code = result.swv.swv_code
    names = k1_filenames(code)
    tables = result.tables
    general = _general_rows(result)
    written: list[Path] = []

    totals_stems = ["k1_vso_totalen", "k1_bao_sbao", "k1_vo", "k1_tlv"]
    totals = [(K1_CAPTIONS[s], tables[s]) for s in totals_stems if s in tables]
    sheets_1 = [Sheet("Totalen", totals)]
    if "k1_per_vestiging" in tables:
        sheets_1.append(Sheet("Aantallen per vestiging",
                              [(K1_CAPTIONS["k1_per_vestiging"], tables["k1_per_vestiging"])],
                              detail=True))
    written.append(write_workbook(
        version_dir / names["bestand_1"],
        f"{K1_TITLE} – bestand 1: verklaring van de aantallen",
        general + _bekostiging_ag_rows(bekostiging_rows(result.bekostiging)),
        sheets_1, timestamp=result.aanmaakdatum))

    ins = tables.get("k1_inschrijvingen")
    if ins is not None:
        written.append(write_workbook(
            version_dir / names["bestand_2"],
            f"{K1_TITLE} – bestand 2: individuele inschrijvingen",
            general,
            [Sheet("Inschrijvingen", [(K1_CAPTIONS["k1_inschrijvingen"], ins)], detail=True)],
            timestamp=result.aanmaakdatum))

    written += write_csv_tables(tables, version_dir / "data")
    job = PdfJob("kijkglas-1.html", kijkglas_1_context(result, change_report),
                 version_dir / names["pdf"])
    return written, job


def render_kijkglas_1(result: ProductResult, version_dir: str | os.PathLike,
                      change_report: list[dict] | None = None) -> list[Path]:
    """All documents of Kijkglas 1 for one SWV: bestand 1 and 2 (.xlsx), the PDF and data/*.csv."""
    written, job = kijkglas_1_documents(result, version_dir, change_report)
    return written + [render_pdf(job.template_name, job.context, job.path)]


from tasks.render_products import (kijkglas_2_documents, kijkglas_3_documents,  # noqa: E402,F401
                                   kijkglas_3_openbaar_documents, kijkglas_4_documents, kijkglas_5_documents)
