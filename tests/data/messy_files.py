"""The messy-file corpus for ingestion tests, written by code: each kind of mess that real exports have."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

#: Dates after this day are "in the future" for every test.
REFERENCE_DATE = date(2025, 12, 31)
DESA = "32.04.05.2001"        # Cileunyi Kulon, Kab. Bandung: a desa
KELURAHAN = "32.04.06.1001"   # Padasuka, Kab. Bandung: a kelurahan (last block starts with 1)
#: Bahasa Indonesia column labels, in the order the files use.
LABELS = ("nik", "nama", "no_kk", "program", "periode", "tahap", "tanggal_jadwal", "tanggal_salur", "nominal",
          "kanal", "status", "kode_desa")
#: Distinctive names, so a test can tell when one leaks into output.
NAMES = ("Siti Aminah Wulandari", "Dédé Suryani", "Agnès Kristiani Manek", "Budi Santosa Hadiprojo",
         "Ni Luh Putu Ayu Lestari", "Yohanes Bosco Ndun", "Nurhayati Binti Sulaiman", "Ahmad Fauzi Ramadhan",
         "Maria Goreti Seran", "Ketut Sudarsana Wijaya")


def nik(n: int, woman: bool = False) -> str:
    """A structurally valid NIK from kecamatan 32.04.05, born 15 January 1990, serial n."""
    return f"320405{'55' if woman else '15'}0190{n:04d}"


def kk(n: int) -> str:
    return f"3204051201150{n:03d}"


def row(n: int, **cells: str) -> dict[str, str]:
    """A valid PKH payment (dd/mm/yyyy dates, Indonesian amount) with some cells replaced."""
    base = {
        "nik": nik(n, woman=n % 2 == 0), "nama": NAMES[n % len(NAMES)], "no_kk": kk(n), "program": "PKH",
        "periode": "2025-01", "tahap": "1", "tanggal_jadwal": "10/01/2025", "tanggal_salur": "15/01/2025",
        "nominal": "750.000", "kanal": "BRI", "status": "disalurkan", "kode_desa": DESA,
    }
    return base | cells


@dataclass(frozen=True)
class MessyFile:
    """One file of the corpus: its rows, each with the reason codes it must be quarantined for (none: accepted)."""

    name: str
    rows: tuple[tuple[dict[str, str] | list[str], frozenset[str]], ...]
    header: tuple[str, ...] = LABELS
    delimiter: str = ";"
    encoding: str = "utf-8"
    bom: bool = False
    #: Raw lines written after the given data row index (blank lines, delimiter-only lines): not rows.
    filler: dict[int, str] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return sum(1 for _, reasons in self.rows if not reasons)

    @property
    def quarantined(self) -> int:
        return len(self.rows) - self.accepted

    def expected_reasons(self) -> dict[int, frozenset[str]]:
        """Source line -> reason codes of every quarantined row."""
        lines, line = {}, 1 if self.name.endswith(".parquet") else 2
        for index, (values, reasons) in enumerate(self.rows):
            if reasons:
                lines[line] = reasons
            line += 1 + sum(cell.count("\n") for cell in self.cells(values)) + (index in self.filler)
        return lines

    def cells(self, values: dict[str, str] | list[str]) -> list[str]:
        return values if isinstance(values, list) else [values.get(label, "") for label in LABELS]

    def write(self, directory: Path) -> Path:
        path = directory / self.name
        if self.name.endswith(".parquet"):
            _write_parquet(path, self)
            return path
        lines = [self.delimiter.join(self.header)]
        for index, (values, _) in enumerate(self.rows):
            lines.append(self.delimiter.join(_quoted(cell, self.delimiter) for cell in self.cells(values)))
            if index in self.filler:
                lines.append(self.filler[index])
        text = "\r\n".join(lines) + "\r\n"
        path.write_bytes((b"\xef\xbb\xbf" if self.bom else b"") + text.encode(self.encoding))
        return path

    def identities(self) -> set[str]:
        """Every NIK, KK number and name in the file, as written."""
        found = set()
        for values, _ in self.rows:
            if isinstance(values, dict):
                found |= {values[key] for key in ("nik", "nama", "no_kk") if values.get(key)}
        return found


def _quoted(cell: str, delimiter: str) -> str:
    return f'"{cell}"' if delimiter in cell or "\n" in cell else cell


def _write_parquet(path: Path, messy: MessyFile) -> None:
    records = [messy.cells(values) for values, _ in messy.rows]
    columns = dict(zip(messy.header, zip(*records, strict=True), strict=True))
    typed = {
        "nominal": pa.array([float(v) if v else float("nan") for v in columns["nominal"]], pa.float64()),
        "tahap": pa.array([int(v) for v in columns["tahap"]], pa.int8()),
        "tanggal_salur": pa.array([date.fromisoformat(v) if v else None for v in columns["tanggal_salur"]]),
        "kode_desa": pa.array([int(v.replace(".", "")) for v in columns["kode_desa"]], pa.int64()),
    }
    # Header variants as people name them, to show the aliases work for Parquet too.
    names = {"nik": "NIK", "nama": "Nama Penerima", "kode_desa": "Kode Desa", "nominal": "Nominal (Rp)"}
    table = pa.table({names.get(label, label): typed.get(label, pa.array(columns[label], pa.string()))
                      for label in messy.header})
    pq.write_table(table, path)


OK = frozenset()


def _reasons(*codes: str) -> frozenset[str]:
    return frozenset(codes)


CORPUS: tuple[MessyFile, ...] = (
    MessyFile(
        "titik_koma_bom.csv", delimiter=";", bom=True,
        header=("NIK", "Nama Penerima", "No. KK", "Program", "Periode", "Tahap", "Tanggal Jadwal", "Tanggal Salur",
                "Nominal", "Kanal", "Status", "Kode Desa"),
        rows=(
            (row(1, nominal="1.500.000,00"), OK),
            (row(2, nominal="1.500.000"), OK),
            (row(3, program="Sembako", nominal="Rp 600.000", kanal="Bank Mandiri"), OK),
            (row(4, program="BPNT", nominal="400.000,00", kanal="PT Pos Indonesia"), OK),
            (row(5, program="BLT DD", nominal="300.000", kanal="bni", status="DISALURKAN"), OK),
            (row(6, nominal="1.500.000,50"), _reasons("amount_fraction")),
        ),
    ),
    MessyFile(
        "windows1252_koma.csv", delimiter=",", encoding="cp1252",
        rows=(
            (row(1, nama="Dédé Suryani", tanggal_jadwal="2025-01-10", tanggal_salur="2025-01-15",
                 nominal="1,500,000.00"), OK),
            (row(2, nama="Agnès Kristiani Manek", tanggal_salur="2025-01-20 00:00:00"), OK),
            (row(3, status="Gagal", tanggal_salur=""), OK),
            (row(4, status="Retur", tanggal_salur="", kanal=""), OK),
            (row(5, nama="Fréderic Ndun", status="paid"), _reasons("status_unknown")),
        ),
    ),
    MessyFile(
        "nik_excel.csv",
        rows=(
            (row(1, nik="3.20405E+15"), _reasons("nik_excel")),
            (row(2, nik="3204055501900002.0"), OK),
            (row(3, nik="3204 1501 9000 03"), _reasons("nik_format")),
            (row(4, nik="'3204991501900004"), _reasons("nik_kecamatan_unknown")),
            (row(5, nik="3204053201900005"), _reasons("nik_birth_date")),
            (row(6, nik="3204051501900000"), _reasons("nik_serial")),
            (row(7, nik="3204 0515 0190 0007"), OK),
            (row(8, no_kk="3.20405E+15"), _reasons("kk_number_excel")),
            (row(9, no_kk="12345"), _reasons("kk_number_format")),
            (row(10, no_kk=""), OK),
            (row(11, nik=""), _reasons("nik_missing")),
        ),
    ),
    MessyFile(
        "kode_desa.csv",
        rows=(
            (row(1, kode_desa="3204052001"), OK),
            (row(2, kode_desa="3204052001.0"), OK),
            (row(3, kode_desa="3.204052001E+09"), OK),
            (row(4, kode_desa="32.04.05.9999"), _reasons("desa_code_unknown")),
            (row(5, kode_desa="32.04.05"), _reasons("desa_code_level")),
            (row(6, kode_desa="Cileunyi Kulon"), _reasons("desa_code_format")),
            (row(7, kode_desa=""), _reasons("desa_code_missing")),
        ),
    ),
    MessyFile(
        "program_nominal.csv",
        rows=(
            (row(1, program="BLT-DD", nominal="900.000"), OK),
            (row(2, program="BLT Dana Desa", nominal="600.000,00"), OK),
            (row(3, program="bst"), _reasons("program_unknown")),
            (row(4, nominal="-750.000"), _reasons("amount_not_positive")),
            (row(5, nominal="0"), _reasons("amount_not_positive")),
            (row(6, nominal="5.000.000"), _reasons("amount_too_large")),
            (row(7, program="Sembako", nominal="250.000"), _reasons("amount_step")),
            (row(8, nominal="tujuh ratus ribuan"), _reasons("amount_format")),
            (row(9, program="BLT DD", nominal="300.000", kode_desa=KELURAHAN), _reasons("program_in_kelurahan")),
            (row(10, program="PKH", kode_desa=KELURAHAN), OK),
            (row(11, nominal="3e5"), _reasons("amount_format")),
        ),
    ),
    MessyFile(
        "status_tanggal.csv",
        rows=(
            (row(1, periode="01/2025"), OK),
            (row(2, periode="202501"), OK),
            (row(3, periode="Jan 2025"), OK),
            (row(4, periode="Januari 2025", tahap="Tahap 1"), OK),
            (row(5, periode="kemarin"), _reasons("period_format")),
            (row(6, periode="2031-01"), _reasons("period_implausible")),
            (row(7, tanggal_salur=""), _reasons("paid_date_missing")),
            (row(8, status="gagal"), OK),   # the date of the failed attempt: kept as status_date
            (row(9, tanggal_salur="01/01/2030"), _reasons("paid_date_future")),
            (row(10, tanggal_salur="31/02/2025"), _reasons("paid_date_format")),
            (row(11, tanggal_jadwal="10/01/2005"), _reasons("scheduled_date_implausible")),
            (row(12, status="sukses besar", program="BLT DD", kode_desa=KELURAHAN, nominal="-1", tahap="13",
                 kanal="Bank Jago", nik="3.20405E+15"),
             _reasons("status_unknown", "program_in_kelurahan", "amount_not_positive", "tahap_invalid",
                      "channel_unknown", "nik_excel")),
        ),
    ),
    MessyFile(
        "baris_rusak.csv",
        rows=(
            (row(1), OK),
            ([*row(2).values(), "keterangan lebih"], _reasons("row_shape")),
            (list(row(3).values())[:9], _reasons("row_shape", "status_missing", "desa_code_missing")),
            (row(4, nama="Yohanes\nBosco Ndun"), OK),
            (row(5, status="salah"), _reasons("status_unknown")),   # line 9: after a row spanning two lines
        ),
        filler={0: "", 3: ";;;;;;;;;;;", 4: ""},
    ),
    MessyFile(
        "ekspor.parquet",
        rows=(
            (row(1, tanggal_salur="2025-01-15", nominal="750000"), OK),
            (row(2, tanggal_salur="2025-01-15", nominal="750000.0", program="pkh"), OK),
            (row(3, tanggal_salur="", status="tertunda", nominal="600000", program="SEMBAKO"), OK),
            (row(4, tanggal_salur="2025-01-15", nominal=""), _reasons("amount_missing")),
            (row(5, tanggal_salur="2025-01-15", nominal="750000.5"), _reasons("amount_fraction")),
        ),
    ),
)


def write_corpus(directory: Path) -> dict[str, Path]:
    return {messy.name: messy.write(directory) for messy in CORPUS}


def _write(name: str, content: bytes) -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        path = directory / name
        path.write_bytes(content)
        return path
    return write


def _header_line(labels: tuple[str, ...] = LABELS) -> bytes:
    return ";".join(labels).encode() + b"\r\n"


def _good_line(n: int) -> bytes:
    return ";".join(row(n).values()).encode() + b"\r\n"


#: Files that must be refused as a whole: (writer, words the one-sentence error must contain).
BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing_column": (_write("tanpa_nominal.csv", _header_line(tuple(x for x in LABELS if x != "nominal"))
                              + b"1;2;3\r\n"), "missing the required column nominal"),
    "empty": (_write("kosong.csv", b""), "is empty"),
    "only_bom": (_write("hanya_bom.csv", b"\xef\xbb\xbf\r\n"), "is empty"),
    "garbage": (_write("sampah.csv", random.Random(7).randbytes(4096) + b"\x00"), "binary"),
    "unreadable": (_write("rusak_encoding.csv", _header_line() + _good_line(1).replace(b"PKH", b"P\x81K\x8dH")),
                   "unreadable encoding"),
    "headerless": (_write("tanpa_header.csv", _good_line(1) + _good_line(2)), "no recognisable header"),
    "duplicate_column": (_write("nik_ganda.csv", _header_line((*LABELS, "NIK")) + _good_line(1)),
                         "two columns for nik"),
    "workbook": (_write("ekspor.xlsx", b"PK\x03\x04" + bytes(200)), "Excel workbook"),
    "corrupt_parquet": (_write("rusak.parquet", b"PAR1" + b"not really parquet" * 10), "cannot be read"),
    "not_found": (lambda directory: directory / "tidak_ada.csv", "does not exist"),
}
