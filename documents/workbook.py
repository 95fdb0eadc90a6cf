"""Excel workbooks: an "Algemene gegevens" block heading each sheet; overview sheets hold several
small captioned tables, detail sheets exactly one rectangular table with autofilter and frozen
header (outputs.md, "Excel"). Deterministic: the same input gives the same bytes."""
from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

import pandas as pd
from openpyxl.cell.cell import ERROR_CODES

from core.files import atomic_write
from documents.values import cell_value, format_euro, frame_rows

# Fixed timestamp used when no aanmaakdatum is known (zip entries cannot go before 1980).
_FALLBACK_TIMESTAMP = datetime(1980, 1, 1)


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
    notes:    (heading, lines) sections of text under the Algemene gegevens, one line a row in
              column A (it runs on into the empty cells to its right, so it does not widen column A).
    marked:   cells (data row, column), 0-based within the table, to fill as a changed value.
    """
    name: str
    tables: Sequence[tuple[str | None, pd.DataFrame]]
    detail: bool = False
    header_row: int | None = None
    column_groups: Sequence[tuple[str, str, str]] = ()
    algemene_gegevens: bool = True
    notes: Sequence[tuple[str, Sequence[str]]] = ()
    marked: frozenset[tuple[int, int]] = frozenset()


_DATE_FORMAT = "dd-mm-yyyy"       # shown as dd-mm-jjjj by a Dutch Excel
_DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
_EURO_FORMAT = '"€" #,##0.00'
_HEADER_FILL = "D9D9D9"
_CAPTION_FILL = "F2F2F2"
_MARKED_FILL = "FFF2CC"
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str) -> str:
    """An Excel-safe tab name: at most 31 characters, none of []:*?/\\."""
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


def _number_format(v: Any) -> str | None:
    if isinstance(v, datetime):
        return _DATETIME_FORMAT
    if isinstance(v, date):
        return _DATE_FORMAT
    if isinstance(v, Decimal):
        return _EURO_FORMAT
    return None


def _not_text_to_openpyxl(v: Any) -> bool:
    """A str that openpyxl, given as a plain value, would not store as text (a formula or an error
    code); `_stream` writes it as a string cell instead. Every other str is stored as text already,
    so the bytes of ordinary workbooks stay as they were."""
    return isinstance(v, str) and ((len(v) > 1 and v.startswith("=")) or v in ERROR_CODES)


def _write_value(cell, v: Any) -> None:
    cell.value = v
    cell.number_format = _number_format(v)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one timestamp (openpyxl would stamp each with 'now'), so that
    equal input gives equal bytes; written once, never rewritten."""

    def __init__(self, file, when: datetime):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        info.create_system = 0
        super().writestr(info, data)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as f:
            self.writestr(arcname or os.path.basename(filename), f.read())


class _Cell:
    """What one cell of a sheet will hold: set as an openpyxl cell is, written out in one pass."""
    __slots__ = ("value", "font", "fill", "border", "alignment", "number_format")

    def __init__(self):
        self.value = self.font = self.fill = self.border = self.alignment = self.number_format = None


@dataclass
class _Layout:
    """A sheet laid out before it is written: openpyxl's write-only mode streams a sheet row by row
    (no cell objects kept, the XML written as it goes), so widths, heights and panes must be known
    before the first row."""
    cells: dict[tuple[int, int], _Cell] = field(default_factory=dict)
    widths: dict[int, int] = field(default_factory=dict)   # column → characters
    heights: dict[int, float] = field(default_factory=dict)
    filter_ref: str | None = None
    freeze: str | None = None
    title_rows: str | None = None
    # a table's data rows, whole: row → (values, bold, the 0-based columns to fill as changed)
    data: dict[int, tuple[Sequence[Any], bool, frozenset[int]]] = field(default_factory=dict)

    def cell(self, row: int, column: int, value: Any = None) -> _Cell:
        c = self.cells.get((row, column))
        if c is None:
            c = self.cells[(row, column)] = _Cell()
        if value is not None:
            c.value = value
        return c


def _stream(ws, layout: _Layout, landscape: bool) -> None:
    """Write a laid-out sheet into a write-only worksheet."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    bold_font, marked_fill = Font(bold=True), PatternFill("solid", fgColor=_MARKED_FILL)

    for c, w in layout.widths.items():
        ws.column_dimensions[get_column_letter(c)].width = min(max(w + 2, 8), 60)
    for r, h in layout.heights.items():
        ws.row_dimensions[r].height = h
    if layout.freeze:
        ws.freeze_panes = layout.freeze
    # print one page wide: fitToWidth counts only with fitToPage, which a write-only sheet writes
    # (in sheetPr) with its first row, so it is set before any row
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    rows: dict[int, dict[int, _Cell]] = {}
    for (r, c), cell in layout.cells.items():
        rows.setdefault(r, {})[c] = cell

    def styled(value: Any, font=None, fill=None, border=None, alignment=None, number_format=None):
        out = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            out.data_type = "s"  # text is text: openpyxl would make "=…" a formula, "#N/A" an error
        if font is not None:
            out.font = font
        if fill is not None:
            out.fill = fill
        if border is not None:
            out.border = border
        if alignment is not None:
            out.alignment = alignment
        if number_format is not None:
            out.number_format = number_format
        return out

    for r in range(1, max([*rows, *layout.data], default=0) + 1):
        if r in layout.data:
            values, bold, marked = layout.data[r]
            out: list[Any] = []
            for c, v in enumerate(values):
                fmt = _number_format(v)
                if bold or fmt is not None or c in marked or _not_text_to_openpyxl(v):
                    v = styled(v, font=bold_font if bold else None, fill=marked_fill if c in marked else None,
                               number_format=fmt)
                out.append(v)
            ws.append(out)
            continue
        row = rows.get(r, {})
        out = [None] * max(row, default=0)
        for c, cell in row.items():
            if cell.font is None and cell.fill is None and cell.border is None and cell.alignment is None \
                    and cell.number_format is None and not _not_text_to_openpyxl(cell.value):
                out[c - 1] = cell.value
            else:
                out[c - 1] = styled(cell.value, cell.font, cell.fill, cell.border, cell.alignment, cell.number_format)
        ws.append(out)
    if layout.filter_ref:
        ws.auto_filter.ref = layout.filter_ref
    if layout.title_rows:
        ws.print_title_rows = layout.title_rows


def write_workbook(path: str | os.PathLike, title: str,
                   algemene_gegevens: Sequence[Sequence[Any]],
                   blocks: Sequence[Sheet], *,
                   timestamp: date | datetime | None = None) -> Path:
    """Write an .xlsx workbook; returns its path.

    algemene_gegevens: rows `(label, value, ...)`; values may be str, int, Decimal (euros) or
      date. Written in columns A, B, C… under the bold heading "Algemene gegevens".
    blocks: the sheets, in order (see `Sheet`).
    timestamp: the document's created/modified date (the result's aanmaakdatum; without one a fixed
      date in 1980); also the timestamp of every zip entry, so equal input gives equal bytes.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    if timestamp is None:
        timestamp = _FALLBACK_TIMESTAMP
    if not isinstance(timestamp, datetime):
        timestamp = datetime(timestamp.year, timestamp.month, timestamp.day)

    bold = Font(bold=True)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    caption_fill = PatternFill("solid", fgColor=_CAPTION_FILL)
    thin_bottom = Border(bottom=Side(style="thin"))
    title_font = Font(bold=True, size=14)
    section_font = Font(bold=True, size=12)

    ag_rows = [[cell_value(v) for v in row] for row in algemene_gegevens]

    wb = Workbook(write_only=True)
    used_names: set[str] = set()

    for sheet in blocks:
        name = sheet_title(sheet.name)
        if name in used_names:
            raise ValueError(f"duplicate sheet name {name!r}")
        used_names.add(name)
        ws = wb.create_sheet(name)
        grid = _Layout()
        widths = grid.widths

        def put(r: int, c: int, v: Any, *, measure: bool = True):
            cell = grid.cell(row=r, column=c)
            _write_value(cell, v)
            if measure:
                widths[c] = max(widths.get(c, 0), _display_len(v))
            return cell

        grid.cell(row=1, column=1, value=title).font = title_font
        r = 3
        if sheet.algemene_gegevens:
            grid.cell(row=r, column=1, value="Algemene gegevens").font = section_font
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
        for heading, lines in sheet.notes:
            grid.cell(row=r, column=1, value=heading).font = section_font
            for line in lines:
                r += 1
                grid.cell(row=r, column=1, value=line)
            r += 2  # blank row

        if sheet.detail and len(sheet.tables) != 1:
            raise ValueError(f"detail sheet {sheet.name!r} must hold exactly one table")

        for caption, frame in sheet.tables:
            wrap_header_cols: set[int] = set()
            columns = [str(c) for c in frame.columns]
            rows = frame_rows(frame)
            if caption:
                cell = grid.cell(row=r, column=1, value=caption)
                cell.font = section_font if sheet.detail else bold
                if not sheet.detail:
                    for c in range(1, max(len(columns), 1) + 1):
                        grid.cell(row=r, column=c).fill = caption_fill
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
                            cell = grid.cell(row=r, column=c)
                            cell.alignment = Alignment(horizontal="centerContinuous")
                            cell.fill = caption_fill
                        grid.cell(row=r, column=c0, value=label).font = bold
                    r += 1
            header_r = r
            numeric = [all(isinstance(row[i], (int, float, Decimal)) or row[i] is None
                           for row in rows) and any(row[i] is not None for row in rows)
                       for i in range(len(columns))]
            for c, name_ in enumerate(columns, start=1):
                cell = grid.cell(row=header_r, column=c, value=name_)
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
                grid.heights[header_r] = 15 * lines
            r += 1
            # a closing Totaal row stays out of the filter range, so sorting never moves it
            # among the data
            n_data = len(rows) - (1 if rows and rows[-1] and rows[-1][0] == "Totaal" else 0)
            marked_in: dict[int, set[int]] = {}
            for i, c in sheet.marked:
                marked_in.setdefault(i, set()).add(c)
            for i, row in enumerate(rows):
                is_total = bool(row) and row[0] == "Totaal" and (i >= n_data or not sheet.detail)
                grid.data[r] = (row, is_total, frozenset(marked_in.get(i, ())))
                r += 1
            last_col = get_column_letter(max(len(columns), 1))
            if sheet.detail:
                grid.filter_ref = f"A{header_r}:{last_col}{header_r + n_data}"
                grid.freeze = f"A{header_r + 1}"
                grid.title_rows = f"{header_r}:{header_r}"
            r += 1  # blank row between tables

        _stream(ws, grid, landscape=sheet.detail)

    if not wb.sheetnames:
        wb.create_sheet("Algemene gegevens")

    wb.properties.title = title
    wb.properties.creator = "Kijkglazen"
    wb.properties.lastModifiedBy = "Kijkglazen"
    wb.properties.language = "nl-NL"
    wb.properties.created = timestamp
    wb.properties.modified = timestamp

    buf = io.BytesIO()
    with _FixedTimeZip(buf, timestamp) as archive:
        ExcelWriter(wb, archive).save()  # unlike save_workbook, keeps properties.modified
    data = buf.getvalue()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
    return path

