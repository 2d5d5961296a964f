"""Reading files for ingestion: header names, delimiters, encodings and Parquet types, each on its own."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from messy_files import LABELS, REFERENCE_DATE, nik, row

from cli import UserError
from data.readers import header_key, open_source, read_batches
from data.validate import Accepted, validate_columns, validate_row


@pytest.mark.parametrize(("written", "key"), [
    ("NIK", "nik"),
    ("Nama Penerima", "nama_penerima"),
    ("No. KK", "no_kk"),
    ("  Kode Desa/Kelurahan ", "kode_desa_kelurahan"),
    ("Tgl. Salur", "tgl_salur"),
    ("Nominal (Rp)", "nominal_rp"),
    ("\ufeffnik", "nik"),
    ("Periode_Salur", "periode_salur"),
])
def test_header_key(written, key):
    assert header_key(written) == key


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ";",
              encoding: str = "utf-8", bom: bool = False) -> Path:
    text = "\r\n".join(delimiter.join(cells) for cells in [header, *rows]) + "\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def test_header_variants_map_to_canonical_columns(tmp_path: Path):
    header = ["NIK", "Nama Penerima", "No. KK", "Jenis Bansos", "Periode", "Tahap", "Tgl Jadwal", "Tanggal Salur",
              "Nominal (Rp)", "Bank Penyalur", "Status Penyaluran", "Kode Desa", "Keterangan"]
    source = open_source(write_csv(tmp_path / "x.csv", header, [[*row(1).values(), "-"]]))
    assert source.columns == {
        "nik": 0, "name": 1, "kk_number": 2, "program": 3, "period": 4, "tahap": 5, "scheduled_date": 6,
        "paid_date": 7, "amount": 8, "channel": 9, "status": 10, "desa_code": 11}


def test_semicolon_is_found_even_when_every_row_has_a_decimal_comma(tmp_path: Path):
    rows = [list(row(n, nominal="750.000,00", nama=f"Penerima {n}, S.Pd").values()) for n in range(1, 30)]
    source = open_source(write_csv(tmp_path / "x.csv", list(LABELS), rows, delimiter=";"))
    assert source.delimiter == ";"
    [(lines, read)] = list(read_batches(source, 100))
    assert lines[0] == 2 and read[0][LABELS.index("nominal")] == "750.000,00"


@pytest.mark.parametrize("delimiter", [",", "\t", "|"])
def test_other_delimiters(tmp_path: Path, delimiter: str):
    source = open_source(write_csv(tmp_path / "x.csv", list(LABELS), [list(row(1).values())], delimiter=delimiter))
    assert source.delimiter == delimiter


@pytest.mark.parametrize(("encoding", "bom", "expected"), [
    ("utf-8", True, "utf-8-sig"),
    ("utf-8", False, "utf-8"),
    ("cp1252", False, "cp1252"),
])
def test_encodings(tmp_path: Path, encoding: str, bom: bool, expected: str):
    rows = [list(row(1, nama="Dédé Suryani").values())]
    source = open_source(write_csv(tmp_path / "x.csv", list(LABELS), rows, encoding=encoding, bom=bom))
    assert source.encoding == expected
    [(_, read)] = list(read_batches(source, 10))
    assert read[0][1] == "Dédé Suryani"
    assert source.header[0] == "nik"  # no BOM left on the first column name


def test_parquet_numbers_and_dates_become_the_text_an_export_would_hold(tmp_path: Path):
    good = row(1)
    table = pa.table({
        **{label: pa.array([good[label]]) for label in LABELS},
        "nik": pa.array([float(nik(1))]),               # a NIK that went through a float column
        "nominal": pa.array([750_000], pa.int64()),
        "tanggal_salur": pa.array([date(2025, 1, 15)]),
        "tanggal_jadwal": pa.array([pa.scalar(1736467200, pa.timestamp("s")).as_py()], pa.timestamp("ms")),
    })
    pq.write_table(table, tmp_path / "x.parquet")
    source = open_source(tmp_path / "x.parquet")
    [(lines, [cells])] = list(read_batches(source, 10))
    assert lines == [1]
    columns, _ = source.columns_of([cells])
    outcome = validate_row({field: values[0] for field, values in columns.items()}, REFERENCE_DATE)
    assert isinstance(outcome, Accepted), outcome
    assert outcome.record["nik"] == nik(1) and outcome.record["scheduled_date"] == date(2025, 1, 10)


def test_ragged_rows_keep_their_cells_in_place_and_say_what_is_wrong(tmp_path: Path):
    source = open_source(write_csv(tmp_path / "x.csv", list(LABELS), [list(row(1).values())]))
    columns, ragged = source.columns_of([["a", "b"], [*row(1).values(), "extra"]])
    assert columns["nik"] == ["a", row(1)["nik"]] and columns["desa_code"] == [None, row(1)["kode_desa"]]
    assert ragged == {0: "the row has 2 cells but the header has 12 columns.",
                      1: "the row has 13 cells but the header has 12 columns."}
    assert source.record(["a", "b"]) == {"nik": "a", "nama": "b"}
    assert source.record([*row(1).values(), "extra"])["_extra_1"] == "extra"


def test_a_header_only_file_has_no_rows(tmp_path: Path):
    source = open_source(write_csv(tmp_path / "x.csv", list(LABELS), []))
    assert list(read_batches(source, 10)) == []


def test_a_missing_column_error_names_every_missing_column(tmp_path: Path):
    header = [label for label in LABELS if label not in ("nama", "status")]
    with pytest.raises(UserError, match=r"x\.csv is missing the required columns nama, status\.$"):
        open_source(write_csv(tmp_path / "x.csv", header, []))


_HEADER = ";".join(LABELS).encode()


@settings(max_examples=150, deadline=None)
@given(st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda tail: _HEADER + b"\r\n" + tail),
    st.text(alphabet=st.sampled_from([*';,"\r\n\t |ab1.', "é", "\ufeff"]), max_size=300)
      .map(lambda tail: _HEADER + b"\n" + tail.encode()),
))
def test_fuzz_any_file_is_refused_in_one_sentence_or_read_to_the_end(content: bytes):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.csv"
        path.write_bytes(content)
        try:
            source = open_source(path)
            for lines, rows in read_batches(source, 7):
                columns, _ = source.columns_of(rows)
                assert len(lines) == len(rows) and len(set(lines)) == len(lines)
                assert all(len(column) == len(rows) for column in columns.values())
                batch = validate_columns(columns, len(rows), REFERENCE_DATE)
                assert len(batch.accepted_positions) + len(batch.rejected) == len(rows)
        except UserError as error:
            # PT017: a loop: some files are accepted.
            assert str(error).startswith(str(path)) and "\n" not in str(error)  # noqa: PT017
