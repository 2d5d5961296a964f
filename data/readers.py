"""Files to ingest as rows of text: CSV (`;`, `,`, tab or `|`; UTF-8 with or without BOM, or Windows-1252) and Parquet.

`open_source` does every file-level check (exists, not empty, readable encoding, a header naming the
required columns) without keeping the file in memory, so a bad file is refused before anything is written.
`read_batches` then streams the rows with their numbers: for CSV the physical line where the row starts
(the header is line 1); for Parquet the 1-based row number. Lines that are blank or only delimiters are
not rows.
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
from itertools import compress, islice
from operator import itemgetter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cli import UserError
from data.validate import FIELDS, LABELS, REQUIRED_FIELDS

#: Columns a file must have. `tanggal_salur` may be empty in a row, but the column must be there.
REQUIRED_COLUMNS = (*REQUIRED_FIELDS, "paid_date")
#: Header names seen in exports, after `header_key` (lower case, `_` between words), beyond the
#: canonical name and its Bahasa Indonesia label (`validate.LABELS`).
HEADER_ALIASES = {
    "nik": ("nik_penerima", "nik_kpm", "no_nik", "nomor_nik", "nomor_induk_kependudukan"),
    "name": ("nama_penerima", "nama_kpm", "nama_lengkap", "nama_penerima_manfaat"),
    "kk_number": ("nomor_kk", "no_kartu_keluarga", "nomor_kartu_keluarga", "kk", "nkk", "no_kk_penerima"),
    "desa_code": ("kode_kelurahan", "kode_desa_kelurahan", "kode_kelurahan_desa", "kd_desa", "kode_wilayah_desa"),
    "program": ("jenis_bansos", "jenis_bantuan", "nama_program", "program_bansos", "bansos"),
    "period": ("periode_salur", "periode_penyaluran", "bulan_periode"),
    "tahap": ("tahap_salur", "tahap_penyaluran"),
    "amount": ("nominal_rp", "nominal_bantuan", "jumlah", "jumlah_rp", "jumlah_bantuan", "nilai",
               "nilai_bantuan", "nilai_rp"),
    "channel": ("kanal_salur", "kanal_penyaluran", "bank", "bank_penyalur", "penyalur"),
    "status": ("status_salur", "status_penyaluran"),
    "scheduled_date": ("tgl_jadwal", "jadwal", "jadwal_salur", "tanggal_jadwal_salur"),
    "paid_date": ("tgl_salur", "tanggal_penyaluran", "tgl_penyaluran", "tanggal_cair", "tgl_cair",
                  "tanggal_pencairan", "tanggal_realisasi"),
}
_FIELD_OF_HEADER = {key: field for field in FIELDS for key in (field, LABELS[field], *HEADER_ALIASES[field])}
#: One row's cells as read: text, or None for a Parquet null.
Row = Sequence[str | None]
_DELIMITERS = ";,\t|"
_SAMPLE = 1 << 16
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SNIFF = 1 << 13
_CHUNK = 1 << 20
_MAGIC = {b"PAR1": "parquet", b"PK\x03\x04": "zip", b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}


@dataclass(frozen=True)
class Source:
    """A file that passed every file-level check, and how to read it."""

    path: Path
    sha256: str
    kind: str                      # "csv" or "parquet"
    encoding: str | None           # CSV only: "utf-8", "utf-8-sig" (with BOM) or "cp1252"
    delimiter: str | None          # CSV only
    header: tuple[str, ...]        # column names as written in the file
    columns: dict[str, int]        # canonical field -> position in the header

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        if self.kind == "parquet":
            return "Parquet"
        encoding = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}[self.encoding or ""]
        return f"CSV {self.delimiter!r}-separated, {encoding}"

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


def open_source(path: Path) -> Source:
    """Check a file as a whole; raise UserError (one sentence naming the file) if it cannot be ingested."""
    if not path.is_file():
        raise UserError(f"{path} does not exist or is not a file.")
    with path.open("rb") as file:
        head = file.read(_SAMPLE)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise UserError(f"{path} is empty.")
    kind = next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), "csv")
    if kind == "parquet":
        return _open_parquet(path)
    if kind == "zip":
        raise UserError(f"{path} is a ZIP archive or Excel workbook, not a CSV or Parquet file; save it as CSV.")
    if kind == "utf-16" or b"\x00" in head:
        raise UserError(f"{path} is binary or UTF-16, not a CSV (UTF-8 or Windows-1252) or Parquet file.")
    return _open_csv(path, head.startswith(codecs.BOM_UTF8))


def _open_csv(path: Path, bom: bool) -> Source:
    sha256, encoding = _hash_and_encoding(path, "utf-8-sig" if bom else "utf-8")
    with path.open(encoding=encoding, newline="") as file:
        sample = file.read(_SAMPLE)
    delimiter, header = _sniff(path, sample)
    return Source(path, sha256, "csv", encoding, delimiter, header, _map_header(path, header))


def _hash_and_encoding(path: Path, utf8_name: str) -> tuple[str, str]:
    """One streaming pass for the hash and UTF-8; a second only when UTF-8 fails and Windows-1252 is tried."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
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
                raise UserError(f"{path} has an unreadable encoding: it is neither UTF-8 nor Windows-1252 text.")
    return digest.hexdigest(), "cp1252"


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool = False) -> bool:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def _sniff(path: Path, sample: str) -> tuple[str, tuple[str, ...]]:
    """The delimiter whose header names the most known columns; csv.Sniffer's guess wins a tie."""
    try:
        sniffed = csv.Sniffer().sniff(sample[:_SNIFF], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    candidates = [sniffed, *(d for d in _DELIMITERS if d != sniffed)]
    headers = {d: _first_row(sample, d) for d in candidates}
    best = max(candidates, key=lambda d: len({_FIELD_OF_HEADER.get(header_key(h)) for h in headers[d]} - {None}))
    if not headers[best]:
        raise UserError(f"{path} is empty.")
    return best, headers[best]


def _first_row(sample: str, delimiter: str) -> tuple[str, ...]:
    try:
        first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    except csv.Error:
        return ()
    return tuple(cell.strip().lstrip("\ufeff") for cell in first)


def _map_header(path: Path, header: Sequence[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        field = _FIELD_OF_HEADER.get(header_key(name))
        if field is None:
            continue
        if field in columns:
            raise UserError(f"{path} has two columns for {LABELS[field]}: "
                            f"{header[columns[field]]!r} and {name!r}; keep one.")
        columns[field] = index
    if not columns:
        # Unknown header names are not echoed: a file without a header would show a person's data.
        raise UserError(f"{path} has no recognisable header row; the first line must name the columns "
                        f"({', '.join(LABELS[f] for f in REQUIRED_COLUMNS)}).")
    missing = [LABELS[f] for f in REQUIRED_COLUMNS if f not in columns]
    if missing:
        raise UserError(f"{path} is missing the required column{'s' * (len(missing) > 1)} {', '.join(missing)}.")
    return columns


def _open_parquet(path: Path) -> Source:
    try:
        with pq.ParquetFile(path) as parquet:
            header = tuple(parquet.schema_arrow.names)
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{path} looks like Parquet but cannot be read ({type(error).__name__}).") from None
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return Source(path, digest.hexdigest(), "parquet", None, None, header, _map_header(path, header))


def read_batches(source: Source, size: int) -> Iterator[tuple[list[int], list[Row]]]:
    """The data rows of a checked file, `size` at a time, as (line numbers, rows of text or None)."""
    return _csv_batches(source, size) if source.kind == "csv" else _parquet_batches(source, size)


def _csv_batches(source: Source, size: int) -> Iterator[tuple[list[int], list[Row]]]:
    with source.path.open(encoding=source.encoding, newline="") as file:
        reader = csv.reader(file, delimiter=source.delimiter or ",")
        try:
            next(reader, None)
            while True:
                first_line = reader.line_num + 1
                rows: list[Row] = list(islice(reader, size))
                if not rows:
                    return
                yield _without_blank_rows(_line_numbers(rows, first_line, reader.line_num), rows)
        except csv.Error as error:
            raise UserError(f"{source.path} cannot be read as CSV at line {reader.line_num}: {error}.") from None


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
