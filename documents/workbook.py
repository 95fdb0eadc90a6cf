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

    def widen(self, column: int, chars: int) -> None:
        self.widths[column] = max(self.widths.get(column, 0), chars)


@dataclass(frozen=True)
class _Styles:
    """The fonts, fills and borders every sheet uses (openpyxl is imported only when a workbook is written)."""
    bold: Any
    title: Any
    section: Any
    header_fill: Any
    caption_fill: Any
    thin_bottom: Any

    @classmethod
    def make(cls) -> "_Styles":
        from openpyxl.styles import Border, Font, PatternFill, Side
        return cls(bold=Font(bold=True), title=Font(bold=True, size=14), section=Font(bold=True, size=12),
                   header_fill=PatternFill("solid", fgColor=_HEADER_FILL),
                   caption_fill=PatternFill("solid", fgColor=_CAPTION_FILL),
                   thin_bottom=Border(bottom=Side(style="thin")))


def _set_up_page(ws, layout: _Layout, landscape: bool) -> None:
    """Widths, heights, panes and print settings: a write-only sheet needs them before its first row."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

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


def _styled(ws, value: Any, font=None, fill=None, border=None, alignment=None, number_format=None):
    """A write-only cell with its style; text is text (openpyxl would make "=…" a formula, "#N/A" an error)."""
    from openpyxl.cell import WriteOnlyCell
    out = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        out.data_type = "s"
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


def _data_row(ws, values: Sequence[Any], bold: bool, marked: frozenset[int], bold_font, marked_fill) -> list[Any]:
    """A table's data row; only a cell that needs a style or must stay text is a styled cell."""
    out: list[Any] = []
    for c, v in enumerate(values):
        fmt = _number_format(v)
        if bold or fmt is not None or c in marked or _not_text_to_openpyxl(v):
            v = _styled(ws, v, font=bold_font if bold else None, fill=marked_fill if c in marked else None,
                        number_format=fmt)
        out.append(v)
    return out


def _laid_out_row(ws, row: dict[int, _Cell]) -> list[Any]:
    """A row of single cells (title, Algemene gegevens, captions, headers), in column order."""
    out: list[Any] = [None] * max(row, default=0)
    for c, cell in row.items():
        if cell.font is None and cell.fill is None and cell.border is None and cell.alignment is None \
                and cell.number_format is None and not _not_text_to_openpyxl(cell.value):
            out[c - 1] = cell.value
        else:
            out[c - 1] = _styled(ws, cell.value, cell.font, cell.fill, cell.border, cell.alignment, cell.number_format)
    return out


def _stream(ws, layout: _Layout, landscape: bool) -> None:
    """Write a laid-out sheet into a write-only worksheet."""
    from openpyxl.styles import Font, PatternFill

    bold_font, marked_fill = Font(bold=True), PatternFill("solid", fgColor=_MARKED_FILL)
    _set_up_page(ws, layout, landscape)
    rows: dict[int, dict[int, _Cell]] = {}
    for (r, c), cell in layout.cells.items():
        rows.setdefault(r, {})[c] = cell
    for r in range(1, max([*rows, *layout.data], default=0) + 1):
        if r in layout.data:
            values, bold, marked = layout.data[r]
            ws.append(_data_row(ws, values, bold, marked, bold_font, marked_fill))
        else:
            ws.append(_laid_out_row(ws, rows.get(r, {})))
    if layout.filter_ref:
        ws.auto_filter.ref = layout.filter_ref
    if layout.title_rows:
        ws.print_title_rows = layout.title_rows


def _put_algemene_gegevens(grid: _Layout, r: int, rows: Sequence[Sequence[Any]], st: _Styles) -> int:
    """The bold heading "Algemene gegevens" and its (label, value, …) rows from row r, then a blank
    row; returns the next free row."""
    grid.cell(row=r, column=1, value="Algemene gegevens").font = st.section
    r += 1
    for row in rows:
        for c, v in enumerate(row, start=1):
            cell = grid.cell(row=r, column=c)
            _write_value(cell, v)
            # text beyond column A may run on into the empty cells to its right, so it
            # does not widen a table column; numbers and dates cannot, so they do
            if c == 1 or not isinstance(v, str):
                grid.widen(c, _display_len(v))
            if c == 1:
                cell.font = st.bold
        r += 1
    return r + 1  # blank row


def _put_notes(grid: _Layout, r: int, notes: Sequence[tuple[str, Sequence[str]]], st: _Styles) -> int:
    """Each (heading, lines) section from row r, one line a row in column A; returns the next free row."""
    for heading, lines in notes:
        grid.cell(row=r, column=1, value=heading).font = st.section
        for line in lines:
            r += 1
            grid.cell(row=r, column=1, value=line)
        r += 2  # blank row
    return r


def _put_column_groups(grid: _Layout, r: int, sheet: Sheet, columns: list[str], st: _Styles) -> int:
    """A detail sheet's header position: moved down to `header_row` when asked, with the group labels
    on the row above it, centred across their columns without merging. Returns the header's row."""
    from openpyxl.styles import Alignment

    groups_needed = 1 if sheet.column_groups else 0
    if sheet.header_row is not None:
        if r + groups_needed > sheet.header_row:
            raise ValueError(f"sheet {sheet.name!r}: header cannot be on row {sheet.header_row}, "
                             f"the block above it ends on row {r - 1}")
        r = sheet.header_row - groups_needed
    if sheet.column_groups:
        for label, first, last in sheet.column_groups:
            c0, c1 = columns.index(first) + 1, columns.index(last) + 1
            for c in range(c0, c1 + 1):
                cell = grid.cell(row=r, column=c)
                cell.alignment = Alignment(horizontal="centerContinuous")
                cell.fill = st.caption_fill
            grid.cell(row=r, column=c0, value=label).font = st.bold
        r += 1
    return r


def _put_header(grid: _Layout, header_r: int, columns: list[str], rows: list[list[Any]], st: _Styles) -> None:
    """The header row; a count column under a long name wraps the name and stays narrow. Widens the
    columns for the header and the data below it."""
    from openpyxl.styles import Alignment

    wrap_header_cols: set[int] = set()
    numeric = [all(isinstance(row[i], (int, float, Decimal)) or row[i] is None for row in rows)
               and any(row[i] is not None for row in rows) for i in range(len(columns))]
    for c, name in enumerate(columns, start=1):
        cell = grid.cell(row=header_r, column=c, value=name)
        cell.font = st.bold
        cell.fill = st.header_fill
        cell.border = st.thin_bottom
        if numeric[c - 1] and len(name) > 8:
            wrap_header_cols.add(c)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            grid.widen(c, max(max(len(w) for w in name.split()), 8))
        else:
            cell.alignment = Alignment(vertical="top")
            grid.widen(c, len(name))
    for row in rows:
        for c, v in enumerate(row, start=1):
            grid.widen(c, _display_len(v))
    if wrap_header_cols:
        lines = max(_wrapped_lines(columns[c - 1], grid.widths[c] + 2) for c in wrap_header_cols)
        grid.heights[header_r] = 15 * lines


def _put_table(grid: _Layout, r: int, sheet: Sheet, caption: str | None, frame: pd.DataFrame, st: _Styles) -> int:
    """One table from row r: its caption, (detail sheets) the group labels, the header and the data
    rows, then a blank row; returns the next free row."""
    from openpyxl.utils import get_column_letter

    columns = [str(c) for c in frame.columns]
    rows = frame_rows(frame)
    if caption:
        cell = grid.cell(row=r, column=1, value=caption)
        cell.font = st.section if sheet.detail else st.bold
        if not sheet.detail:
            for c in range(1, max(len(columns), 1) + 1):
                grid.cell(row=r, column=c).fill = st.caption_fill
        r += 1
    if sheet.detail:
        r = _put_column_groups(grid, r, sheet, columns, st)
    header_r = r
    _put_header(grid, header_r, columns, rows, st)
    r += 1
    # a closing Totaal row stays out of the filter range, so sorting never moves it among the data
    n_data = len(rows) - (1 if rows and rows[-1] and rows[-1][0] == "Totaal" else 0)
    marked_in: dict[int, set[int]] = {}
    for i, c in sheet.marked:
        marked_in.setdefault(i, set()).add(c)
    for i, row in enumerate(rows):
        is_total = bool(row) and row[0] == "Totaal" and (i >= n_data or not sheet.detail)
        grid.data[r] = (row, is_total, frozenset(marked_in.get(i, ())))
        r += 1
    if sheet.detail:
        grid.filter_ref = f"A{header_r}:{get_column_letter(max(len(columns), 1))}{header_r + n_data}"
        grid.freeze = f"A{header_r + 1}"
        grid.title_rows = f"{header_r}:{header_r}"
    return r + 1  # blank row between tables


def _lay_out(sheet: Sheet, title: str, ag_rows: Sequence[Sequence[Any]], st: _Styles) -> _Layout:
    """A sheet's cells: the title on row 1, from row 3 the Algemene gegevens, the notes, the tables."""
    if sheet.detail and len(sheet.tables) != 1:
        raise ValueError(f"detail sheet {sheet.name!r} must hold exactly one table")
    grid = _Layout()
    grid.cell(row=1, column=1, value=title).font = st.title
    r = 3
    if sheet.algemene_gegevens:
        r = _put_algemene_gegevens(grid, r, ag_rows, st)
    r = _put_notes(grid, r, sheet.notes, st)
    for caption, frame in sheet.tables:
        r = _put_table(grid, r, sheet, caption, frame, st)
    return grid


def _workbook_bytes(wb, title: str, timestamp: datetime) -> bytes:
    """The workbook as .xlsx bytes, its properties and every zip entry stamped with `timestamp`."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.title = title
    wb.properties.creator = "Kijkglazen"
    wb.properties.lastModifiedBy = "Kijkglazen"
    wb.properties.language = "nl-NL"
    wb.properties.created = timestamp
    wb.properties.modified = timestamp
    buf = io.BytesIO()
    with _FixedTimeZip(buf, timestamp) as archive:
        ExcelWriter(wb, archive).save()  # unlike save_workbook, keeps properties.modified
    return buf.getvalue()


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

    timestamp = timestamp or _FALLBACK_TIMESTAMP
    if not isinstance(timestamp, datetime):
        timestamp = datetime(timestamp.year, timestamp.month, timestamp.day)
    styles = _Styles.make()
    ag_rows = [[cell_value(v) for v in row] for row in algemene_gegevens]
    wb = Workbook(write_only=True)
    used_names: set[str] = set()
    for sheet in blocks:
        name = sheet_title(sheet.name)
        if name in used_names:
            raise ValueError(f"duplicate sheet name {name!r}")
        used_names.add(name)
        _stream(wb.create_sheet(name), _lay_out(sheet, title, ag_rows, styles), landscape=sheet.detail)
    if not wb.sheetnames:
        wb.create_sheet("Algemene gegevens")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, _workbook_bytes(wb, title, timestamp))
    return path
