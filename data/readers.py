"""Files to ingest as rows of text: CSV (`;`, `,`, tab or `|`; UTF-8 with or without BOM, or Windows-1252),
Excel workbooks (.xlsx, .xls; read with python-calamine) and Parquet.

`open_source` does every file-level check (exists, not empty, readable encoding, a header naming the
required columns) without keeping the file in memory, so a bad file is refused before anything is written.
The header is the line among the first `HEADER_SEARCH` that names the most known columns: office exports put
a title, the kabupaten and blank lines above it, and those lines are not rows. `read_batches` then streams the
rows with their numbers: for CSV the physical line where the row starts (counted from the top of the file,
title lines included); for Excel the sheet's row number; for Parquet the 1-based row number. Lines that are
blank or only delimiters are not rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import compress, islice
from operator import itemgetter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import python_calamine

from data.validate import REQUIRED_FIELDS
from data.vocabulary import FIELDS, HEADER_ALIASES, LABELS
from errors import InputError

#: Columns a file must have. `tanggal_salur` may be empty in a row, but the column must be there.
REQUIRED_COLUMNS = (*REQUIRED_FIELDS, "paid_date")
#: Header words of a published aggregate table (counts per region), which ingest does not take.
AGGREGATE_HEADER = re.compile(r"^(?:jumlah|total|banyak|count|persen|persentase)(?:_|$)|^(?:kpm|penerima)$")
#: Lines searched for the header: title lines, the kabupaten and blank lines of office exports come first.
HEADER_SEARCH = 20
_FIELD_OF_HEADER = {key: field for field in FIELDS for key in (field, LABELS[field], *HEADER_ALIASES[field])}
#: One row's cells as read: text, or None for a Parquet null.
Row = Sequence[str | None]
_DELIMITERS = ";,\t|"
_SAMPLE = 1 << 16
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SNIFF = 1 << 13
_CHUNK = 1 << 20
_MAGIC = {b"PAR1": "parquet", b"PK\x03\x04": "zip", b"\xd0\xcf\x11\xe0": "xls", b"\xff\xfe": "utf-16",
          b"\xfe\xff": "utf-16"}
#: Whole numbers above 2**53 are not exact as floats: a 16-digit NIK stored as a number there lost digits.
_EXACT_FLOAT = float(2**53)


@dataclass(frozen=True)
class Source:
    """A file that passed every file-level check, and how to read it."""

    path: Path
    sha256: str
    kind: str                      # "csv", "excel" or "parquet"
    encoding: str | None           # CSV only: "utf-8", "utf-8-sig" (with BOM) or "cp1252"
    delimiter: str | None          # CSV only
    header: tuple[str, ...]        # column names as written in the file
    columns: dict[str, int]        # canonical field -> position in the header
    header_line: int = 1           # line (Excel: row) of the header; the lines above it are not rows
    sheet: str | None = None       # Excel only

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        above = (f"; header on line {self.header_line}, line{'s' * (self.header_line > 2)} "
                 f"{'1' if self.header_line == 2 else f'1-{self.header_line - 1}'} above it skipped"
                 if self.header_line > 1 else "")
        if self.kind == "parquet":
            return "Parquet"
        if self.kind == "excel":
            return f"Excel, sheet {self.sheet!r}{above}"
        encoding = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}[self.encoding or ""]
        return f"CSV {self.delimiter!r}-separated, {encoding}{above}"

    def columns_of(self, rows: Sequence[Row]) -> tuple[dict[str, Sequence[str | None]], dict[int, str]]:
        """A batch of rows as canonical columns, and what is wrong with rows whose cell count is not the header's."""
        width = len(self.header)
        ragged = {i: f"the row has {len(row)} cells but the header has {width} columns."
                  for i, row in enumerate(rows) if len(row) != width}
        if ragged:  # pad or cut, so that the cells still land in their columns
            rows = [row if len(row) == width else [*row, *[None] * width][:width] for row in rows]
        return {field: list(map(itemgetter(index), rows)) for field, index in self.columns.items()}, ragged

    def record(self, row: Row) -> dict[str, str | None]:
        """The row as read, keyed by the file's own column names; cells beyond the header are kept too."""
        record = dict(zip(_unique(self.header), row, strict=False))
        record.update({f"_extra_{n}": cell for n, cell in enumerate(row[len(self.header):], start=1)})
        return record


def header_key(name: str) -> str:
    """`No. KK` -> `no_kk`, `Nama Penerima` -> `nama_penerima`, `Kode Desa/Kelurahan` -> `kode_desa_kelurahan`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")


def open_source(path: Path, sheet: str | None = None) -> Source:
    """Check a file as a whole; raise InputError (one sentence naming the file) if it cannot be ingested.

    `sheet` picks an Excel workbook's sheet by name or 1-based number (default: the first).
    """
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.")
    with path.open("rb") as file:
        head = file.read(_SAMPLE)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError(f"{path} is empty.")
    kind = next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), "csv")
    if kind == "parquet":
        return _open_parquet(path)
    if kind in ("zip", "xls"):
        return _open_excel(path, sheet)
    if kind == "utf-16" or b"\x00" in head:
        raise InputError(f"{path} is binary or UTF-16, not a CSV (UTF-8 or Windows-1252) or Parquet file.")
    return _open_csv(path, head.startswith(codecs.BOM_UTF8))


def _open_csv(path: Path, bom: bool) -> Source:
    sha256, encoding = _hash_and_encoding(path, "utf-8-sig" if bom else "utf-8")
    with path.open(encoding=encoding, newline="") as file:
        sample = file.read(_SAMPLE)
    delimiter, header, index = _sniff(path, sample)
    header_line = _physical_line(sample, delimiter, index)
    return Source(path, sha256, "csv", encoding, delimiter, header, _map_header(path, header), header_line)


def _hash_and_encoding(path: Path, utf8_name: str) -> tuple[str, str]:
    """One streaming pass for the hash and UTF-8; a second only when UTF-8 fails and Windows-1252 is tried."""
    digest = hashlib.sha256()
    decoder: codecs.IncrementalDecoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8 = True
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            utf8 = utf8 and _decodes(decoder, chunk)
    if utf8 and _decodes(decoder, b"", final=True):
        return digest.hexdigest(), utf8_name
    decoder = codecs.getincrementaldecoder("cp1252")("strict")
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            if not _decodes(decoder, chunk):
                raise InputError(f"{path} has an unreadable encoding: it is neither UTF-8 nor Windows-1252 text.")
    return digest.hexdigest(), "cp1252"


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool = False) -> bool:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def _sniff(path: Path, sample: str) -> tuple[str, tuple[str, ...], int]:
    """The delimiter and header row (of the first HEADER_SEARCH) naming the most known columns.

    csv.Sniffer's delimiter wins a tie, then the earliest row. Returns (delimiter, header, row index).
    """
    try:
        sniffed = csv.Sniffer().sniff(sample[:_SNIFF], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    candidates = [sniffed, *(d for d in _DELIMITERS if d != sniffed)]
    best: tuple[int, str, Sequence[str], int] = (-1, "", (), 0)
    for delimiter in candidates:
        for index, row in enumerate(_first_rows(sample, delimiter)):
            score = _known_columns(row)
            if score > best[0]:
                best = (score, delimiter, row, index)
    score, delimiter, header, index = best
    if score <= 0:
        _refuse_unrecognised(path, [row for d in candidates for row in _first_rows(sample, d)])
    return delimiter, tuple(header), index


def _known_columns(row: Sequence[str]) -> int:
    return len({_FIELD_OF_HEADER.get(header_key(cell)) for cell in row} - {None})


def _first_rows(sample: str, delimiter: str) -> list[tuple[str, ...]]:
    rows = []
    try:
        for cells in islice(csv.reader(io.StringIO(sample), delimiter=delimiter), HEADER_SEARCH):
            rows.append(tuple(cell.strip().lstrip("\ufeff") for cell in cells))
    except csv.Error:
        pass
    return rows


def _physical_line(sample: str, delimiter: str, index: int) -> int:
    """The file line of row `index` (0-based): blank lines and quoted line breaks count."""
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    for _ in range(index):
        next(reader, None)
    return reader.line_num + 1  # csv.reader gives a blank line a row of its own ([]), so rows count lines


def _is_count_column(name: str) -> bool:
    """`jumlah_kpm`, `total_penerima`: a column of counts, not one of ours (`jumlah` alone is an amount)."""
    key = header_key(name)
    return bool(AGGREGATE_HEADER.search(key)) and key not in _FIELD_OF_HEADER


def _refuse_unrecognised(path: Path, rows: Sequence[Sequence[str]]) -> None:
    """No header among the first lines: an aggregate table gets its own sentence; otherwise the usual one."""
    for row in rows:
        counts = [cell for cell in row if _is_count_column(cell)]
        if counts:
            raise InputError(f"{path} looks like a published aggregate table (counts per region such as "
                            f"{counts[0]!r}, no nik column): ingest takes one row per payment "
                            f"({', '.join(LABELS[f] for f in REQUIRED_COLUMNS)}), not totals.")
    # Unknown header names are not echoed: a file without a header would show a person's data.
    raise InputError(f"{path} has no recognisable header row in its first {HEADER_SEARCH} lines; the header must "
                    f"name the columns ({', '.join(LABELS[f] for f in REQUIRED_COLUMNS)}).")


def _map_header(path: Path, header: Sequence[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        field = _FIELD_OF_HEADER.get(header_key(name))
        if field is None:
            continue
        if field in columns:
            raise InputError(f"{path} has two columns for {LABELS[field]}: "
                            f"{header[columns[field]]!r} and {name!r}; keep one.")
        columns[field] = index
    if not columns:
        _refuse_unrecognised(path, [header])
    if "nik" not in columns and "name" not in columns and any(map(_is_count_column, header)):
        _refuse_unrecognised(path, [header])
    missing = [LABELS[f] for f in REQUIRED_COLUMNS if f not in columns]
    if missing:
        raise InputError(f"{path} is missing the required column{'s' * (len(missing) > 1)} {', '.join(missing)}.")
    return columns


def _open_parquet(path: Path) -> Source:
    try:
        with pq.ParquetFile(path) as parquet:
            header = tuple(parquet.schema_arrow.names)
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"{path} looks like Parquet but cannot be read ({type(error).__name__}).") from None
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return Source(path, digest.hexdigest(), "parquet", None, None, header, _map_header(path, header))


def _open_excel(path: Path, sheet: str | None) -> Source:
    try:
        with python_calamine.CalamineWorkbook.from_path(str(path)) as workbook:
            names = list(workbook.sheet_names)
            name = _sheet_name(path, names, sheet)
            numbered = list(_excel_rows(workbook.get_sheet_by_name(name), HEADER_SEARCH))
    except InputError:
        raise
    except Exception as error:  # calamine raises its own error types for every kind of broken workbook
        raise InputError(f"{path} cannot be read as an Excel workbook ({type(error).__name__}): it is another "
                        "kind of ZIP archive or a damaged workbook; save it as .xlsx or CSV.") from None
    rows = [tuple(_excel_text(cell).strip() for cell in cells) for _, cells in numbered]
    scored = [(_known_columns(row), -index) for index, row in enumerate(rows)]
    if not scored or max(scored)[0] <= 0:
        _refuse_unrecognised(path, rows)
    index = -max(scored)[1]
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    header_line = numbered[index][0]
    return Source(path, digest.hexdigest(), "excel", None, None, rows[index], _map_header(path, rows[index]),
                  header_line, name)


def _sheet_name(path: Path, names: list[str], sheet: str | None) -> str:
    if not names:
        raise InputError(f"{path} has no sheets.")
    if sheet is None:
        return names[0]
    if sheet in names:
        return sheet
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    raise InputError(f"{path} has no sheet {sheet!r}; its sheets are {', '.join(map(repr, names))}.")


def _excel_rows(sheet: python_calamine.CalamineSheet, limit: int | None = None) -> Iterator[tuple[int, list]]:
    """(row number as Excel shows it, cells): calamine's rows start at the sheet's first row, used or not."""
    return islice(enumerate(sheet.iter_rows(), start=1), limit)


def _excel_text(cell: object) -> str:
    """A cell as the text a CSV export would hold: whole numbers without `.0`, dates as ISO days."""
    if cell.__class__ is str:
        return cell
    if isinstance(cell, float):
        if abs(cell) >= _EXACT_FLOAT:
            # Scientific form with 15 digits: validation says the NIK/KK number lost digits as a number.
            return f"{cell:.14E}"
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return "" if cell is None else str(cell)


def read_batches(source: Source, size: int) -> Iterator[tuple[list[int], list[Row]]]:
    """The data rows of a checked file, `size` at a time, as (line numbers, rows of text or None)."""
    if source.kind == "excel":
        return _excel_batches(source, size)
    return _csv_batches(source, size) if source.kind == "csv" else _parquet_batches(source, size)


def _excel_batches(source: Source, size: int) -> Iterator[tuple[list[int], list[Row]]]:
    with python_calamine.CalamineWorkbook.from_path(str(source.path)) as workbook:
        numbered = _excel_rows(workbook.get_sheet_by_name(source.sheet or ""))
        rows = ((line, [_excel_text(cell) for cell in cells]) for line, cells in numbered if line > source.header_line)
        while batch := list(islice(rows, size)):
            lines = [line for line, _ in batch]
            # Trailing empty cells of a wide used area are not cells of the row.
            cells: list[Row] = [_trim(row, len(source.header)) for _, row in batch]
            yield _without_blank_rows(lines, cells)


def _trim(row: list[str], width: int) -> list[str]:
    if len(row) > width and not any(row[width:]):
        return row[:width]
    return row


def _csv_batches(source: Source, size: int) -> Iterator[tuple[list[int], list[Row]]]:
    with source.path.open(encoding=source.encoding, newline="") as file:
        reader = csv.reader(file, delimiter=source.delimiter or ",")
        try:
            for _ in range(source.header_line):  # the header and the lines above it are not rows
                if reader.line_num >= source.header_line:
                    break
                next(reader, None)
            while True:
                first_line = reader.line_num + 1
                rows: list[Row] = list(islice(reader, size))
                if not rows:
                    return
                yield _without_blank_rows(_line_numbers(rows, first_line, reader.line_num), rows)
        except csv.Error as error:
            raise InputError(f"{source.path} cannot be read as CSV at line {reader.line_num}: {error}.") from None


def _line_numbers(rows: list[Row], first_line: int, last_line: int) -> list[int]:
    """Where each row starts: one line per row unless a quoted cell holds line breaks."""
    if last_line - first_line + 1 == len(rows):
        return list(range(first_line, last_line + 1))
    lines, line = [], first_line
    for row in rows:
        lines.append(line)
        line += 1 + sum(len(_LINE_BREAK.findall(cell)) for cell in row if cell)
    return lines


def _without_blank_rows(lines: list[int], rows: list[Row]) -> tuple[list[int], list[Row]]:
    keep = list(map(any, rows))  # a blank line reads as [], a line of delimiters as empty strings
    if all(keep):
        return lines, rows
    return list(compress(lines, keep)), list(compress(rows, keep))


def _parquet_batches(source: Source, size: int) -> Iterator[tuple[list[int], list[Row]]]:
    first_line = 1
    with pq.ParquetFile(source.path) as parquet:
        for batch in parquet.iter_batches(batch_size=size):
            columns = [_as_text(batch.column(index)) for index in range(batch.num_columns)]
            numbered = [(line, row) for line, row in enumerate(zip(*columns, strict=True), start=first_line)
                        if any(cell and cell.strip() for cell in row)]
            first_line += batch.num_rows
            if numbered:
                yield [line for line, _ in numbered], [row for _, row in numbered]


def _as_text(array: pa.Array) -> list[str | None]:
    """Cells as the text a CSV export would hold (NaN is empty, floats in Arrow's shortest form)."""
    if pa.types.is_floating(array.type):
        array = pc.if_else(pc.is_nan(array), pa.scalar(None, array.type), array)
    try:
        return pc.cast(array, pa.string()).to_pylist()
    except pa.ArrowException:  # nested or exotic types: Python's own text form
        return [None if value is None else str(value) for value in array.to_pylist()]


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique
