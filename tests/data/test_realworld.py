"""Real-world inputs of `../shared/realworld/` and variants of each kind: never a wrong desa, nothing lost.

Each shared file gets its right result (skipped when `../shared` is absent); the variants (other provinces,
`,` and `;`, more rows, Excel) are written here, so each kind is fixed, not only the file.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

import cli
from data.crosswalk import load_crosswalk
from data.readers import open_source, read_batches
from geo.code_history import load_history
from geo.regions import get_registry

ROOT = Path(__file__).resolve().parents[2]
REALWORLD = ROOT.parent / "shared" / "realworld"
AS_OF = ["--as-of", "2026-11-30"]
HEADER = ("nik", "nama", "no_kk", "program", "periode", "nominal", "kanal", "status", "kode_desa", "tanggal_salur")

needs_shared = pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is not here")


def run(*args: object) -> int:
    return cli.main("python -m data", "test", {"ingest": "data.ingest"}, ["ingest", *map(str, args), *AS_OF])


def rows_of(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def nik_of(kecamatan: str, n: int) -> str:
    """A structurally valid NIK issued in `kecamatan` (dotted), born 12 April 1985, serial n."""
    return f"{kecamatan.replace('.', '')}120485{n:04d}"


def payment(nik: str, desa: str, n: int, **cells: str) -> dict[str, str]:
    return {"nik": nik, "nama": f"Penerima Contoh {n}", "no_kk": f"{nik[:6]}0101100{n:03d}", "program": "BPNT",
            "periode": "2025-01", "nominal": "400.000", "kanal": "BRI", "status": "disalurkan", "kode_desa": desa,
            "tanggal_salur": "20/01/2025"} | cells


def write(path: Path, rows: list[dict[str, str]], delimiter: str = ";", above: tuple[str, ...] = ()) -> Path:
    lines = [*above, delimiter.join(HEADER), *(delimiter.join(r[h] for h in HEADER) for r in rows)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


# --- the shared files ----------------------------------------------------------------------------------

@needs_shared
def test_bps_coded_file_is_refused_in_one_sentence_and_nothing_is_written(tmp_path, capsys):
    db = tmp_path / "raw.duckdb"
    assert run(REALWORLD / "ingest_bps_kode_desa.csv", "--db", db) == 2
    err = capsys.readouterr().err
    assert "BPS" in err and "--crosswalk" in err and "nothing was written" in err
    assert err.count("\n") == 1 and "5311041204850001" not in err and "Maria" not in err
    assert not db.exists() or rows_of(db, "SELECT count(*) FROM disbursements") == [(0,)]


@needs_shared
def test_bps_coded_file_with_a_crosswalk_lands_in_its_true_kecamatan(tmp_path, capsys):
    crosswalk = tmp_path / "bps_kemendagri.csv"
    crosswalk.write_text("bps;kemendagri\n5302011005;53.11.04.2001\n5302011006;53.11.04.2002\n"
                         "5302011007;53.11.04.2003\n", encoding="utf-8")
    db = tmp_path / "raw.duckdb"
    assert run(REALWORLD / "ingest_bps_kode_desa.csv", "--db", db, "--crosswalk", crosswalk) == 0
    assert "translated to today's codes for 3 accepted rows (from the crosswalk" in capsys.readouterr().out
    landed = rows_of(db, "SELECT desa_code, desa_code_from FROM disbursements ORDER BY source_line")
    assert [code for code, _ in landed] == ["53.11.04.2001", "53.11.04.2002", "53.11.04.2003"]
    assert landed[0][1] == "5302011005 (crosswalk bps_kemendagri.csv)"
    [(recorded,)] = rows_of(db, "SELECT crosswalk FROM ingested_files")
    assert recorded.startswith("bps_kemendagri.csv (sha256 ")


@needs_shared
def test_title_rows_above_the_header_are_skipped_and_lines_count_from_the_top(tmp_path, capsys):
    db = tmp_path / "raw.duckdb"
    assert run(REALWORLD / "ingest_title_rows_above_header.csv", "--db", db) == 0
    assert "header on line 4, lines 1-3 above it skipped" in capsys.readouterr().out
    assert rows_of(db, "SELECT source_line, desa_code FROM disbursements") == [(5, "34.04.01.2001")]


@needs_shared
def test_codes_kept_as_text_with_a_leading_apostrophe_are_read(tmp_path):
    db = tmp_path / "raw.duckdb"
    assert run(REALWORLD / "ingest_apostrophe_kode_desa.csv", "--db", db) == 0
    assert rows_of(db, "SELECT desa_code, nik, kk_number FROM disbursements") == [
        ("34.04.01.2001", "3404015506900002", "3404010101100002")]


@needs_shared
def test_open_data_jabar_columns_use_the_kemendagri_code_never_the_bps_one(tmp_path):
    source = open_source(REALWORLD / "ingest_odj_style_bps_and_kemendagri_columns.csv")
    assert source.header[source.columns["desa_code"]] == "kemendagri_kode_desa_kelurahan"
    db = tmp_path / "raw.duckdb"
    assert run(source.path, "--db", db) == 0
    assert rows_of(db, "SELECT desa_code FROM disbursements") == [("34.04.01.2001",)]


@needs_shared
def test_a_2020_edition_papua_code_lands_in_todays_code_and_says_so(tmp_path):
    db = tmp_path / "raw.duckdb"
    assert run(REALWORLD / "ingest_papua_pre2022_code.csv", "--db", db) == 0
    assert rows_of(db, "SELECT desa_code, desa_code_from FROM disbursements") == [
        ("93.01.01.1002", "91.01.01.1002 (2016-2022 edition)")]


@needs_shared
def test_a_published_aggregate_table_gets_one_sentence(tmp_path, capsys):
    assert run(REALWORLD / "odj_aggregate_kpm_pkh_per_kabupaten.csv", "--db", tmp_path / "raw.duckdb") == 2
    err = capsys.readouterr().err
    assert "aggregate table" in err and "one row per payment" in err and err.count("\n") == 1


# --- variants: BPS-coded files of other provinces ------------------------------------------------------

def _bps_like_codes(province: str, count: int) -> list[str]:
    """Kemendagri kelurahan codes PP.KK.0X.10YY: read as BPS they are kecamatan 0X1, desa 0YY, so a BPS extract
    can hold exactly these digits for a desa elsewhere."""
    names = get_registry().names
    return [c for c in sorted(names) if c.startswith(province + ".") and len(c) == 13
            and c[6] == "0" and c[9:11] == "10"][:count]


def _kecamatan_elsewhere(code: str) -> str:
    """A kecamatan of the same province outside the code's kabupaten: where the recipients really live."""
    return next(c for c in sorted(get_registry().names)
                if len(c) == 8 and c[:2] == code[:2] and c[:5] != code[:5])


@pytest.mark.parametrize(("province", "delimiter", "rows"), [
    ("73", ";", 4), ("12", ",", 40), ("35", ";", 120), ("91", ",", 9), ("61", ";", 2),
])
def test_a_bps_coded_file_of_any_province_books_no_row(tmp_path, capsys, province, delimiter, rows):
    codes = _bps_like_codes(province, rows)
    assert codes, province
    home = _kecamatan_elsewhere(codes[0])
    payments = [payment(nik_of(home, n + 1), codes[n % len(codes)].replace(".", ""), n) for n in range(rows)]
    db = tmp_path / "raw.duckdb"
    assert run(write(tmp_path / "bps.csv", payments, delimiter), "--db", db) == 2
    assert "BPS" in capsys.readouterr().err
    assert not db.exists() or rows_of(db, "SELECT count(*) FROM disbursements") == [(0,)]


def test_a_file_of_mostly_unknown_codes_is_refused_even_where_some_codes_exist(tmp_path, capsys):
    # BPS desa numbers start at 001: read as Kemendagri (PP.KK.CC.0DDD) they are mostly not codes at all.
    valid = _bps_like_codes("32", 2)
    home = "32.04.05"
    payments = [payment(nik_of(home, n + 1), f"3204{n % 9 + 1:02d}0{n % 30 + 1:03d}", n) for n in range(30)]
    payments += [payment(nik_of(home, 100 + n), code.replace(".", ""), 100 + n) for n, code in enumerate(valid)]
    assert run(write(tmp_path / "bps_jabar.csv", payments), "--db", tmp_path / "raw.duckdb") == 2
    err = capsys.readouterr().err
    assert "not a Kemendagri desa code (30)" in err


def test_people_who_moved_are_accepted_when_most_rows_agree(tmp_path):
    here = "32.04.05.2001"
    payments = [payment(nik_of("32.04.05", n + 1), here, n) for n in range(7)]
    payments += [payment(nik_of("34.71.01", n + 1), here, 10 + n) for n in range(3)]  # moved from Yogyakarta
    db = tmp_path / "raw.duckdb"
    assert run(write(tmp_path / "pindah.csv", payments), "--db", db) == 0
    assert rows_of(db, "SELECT count(*), count(DISTINCT desa_code) FROM disbursements") == [(10, 1)]


def test_an_office_crosswalk_of_many_columns_and_a_code_it_lacks(tmp_path, capsys):
    crosswalk = tmp_path / "odj.csv"
    crosswalk.write_text(
        "kode_provinsi,bps_kode_desa_kelurahan,bps_desa_kelurahan,kemendagri_kode_desa_kelurahan,"
        "kemendagri_nama_desa_kelurahan\n53,5302011005,X,53.11.04.2001,Y\n53,5302011006,X,5311042002,Y\n",
        encoding="utf-8")
    assert load_crosswalk(crosswalk).codes == {"5302011005": "53.11.04.2001", "5302011006": "53.11.04.2002"}
    payments = [payment(nik_of("53.11.04", n + 1), code, n)
                for n, code in enumerate(["5302011005", "'5302011006", "5302011006", "5302011099"])]
    db = tmp_path / "raw.duckdb"
    assert run(write(tmp_path / "bps.csv", payments, ","), "--db", db, "--crosswalk", crosswalk) == 0
    assert "desa_code_not_in_crosswalk 1" in capsys.readouterr().out
    assert rows_of(db, "SELECT desa_code, count(*) FROM disbursements GROUP BY 1 ORDER BY 1") == [
        ("53.11.04.2001", 1), ("53.11.04.2002", 2)]
    assert rows_of(db, "SELECT source_line, desa_code FROM quarantine") == [(5, None)]


@pytest.mark.parametrize(("content", "says"), [
    ("5302011005;99.99.99.9999\n", "not desa of today's registry"),
    ("a;b;c\n1;2;3\n", "keep two"),
    ("5302011005;53.11.04.2001\n5302011005;53.11.04.2002\n", "two Kemendagri codes"),
])
def test_a_crosswalk_that_cannot_be_used_is_refused_before_anything_is_read(tmp_path, capsys, content, says):
    crosswalk = tmp_path / "cw.csv"
    crosswalk.write_text(content, encoding="utf-8")
    db = tmp_path / "raw.duckdb"
    assert run(write(tmp_path / "x.csv", [payment(nik_of("53.11.04", 1), "5302011005", 1)]), "--db", db,
               "--crosswalk", crosswalk) == 2
    assert says in capsys.readouterr().err and not db.exists()


# --- variants: earlier Kemendagri editions -------------------------------------------------------------

def test_earlier_edition_codes_move_or_are_quarantined_with_their_edition(tmp_path, capsys):
    history = load_history()
    moved = next(h for code, h in sorted(history.items()) if len(code) == 13 and h.current and code[:2] == "52")
    gone = next(h for code, h in sorted(history.items()) if len(code) == 13 and not h.current)
    payments = [payment(nik_of(moved.current[:8], 1), moved.code, 1),
                payment(nik_of(moved.current[:8], 2), moved.code.replace(".", ""), 2),
                payment(nik_of(moved.current[:8], 3), moved.current, 3),
                payment(nik_of(moved.current[:8], 4), gone.code, 4)]
    db = tmp_path / "raw.duckdb"
    assert run(write(tmp_path / "lama.csv", payments), "--db", db) == 0
    assert rows_of(db, "SELECT desa_code, desa_code_from FROM disbursements ORDER BY source_line") == [
        (moved.current, f"{moved.code} ({moved.editions} edition)")] * 2 + [(moved.current, None)]
    [(reasons,)] = rows_of(db, "SELECT reasons FROM quarantine")
    assert reasons[0].startswith(f"desa_code_gone: kode_desa {gone.code} is a Kemendagri code of the {gone.editions}")


def test_a_nik_issued_before_the_papua_split_is_valid_and_its_kecamatan_agrees(tmp_path):
    # The recipient's NIK keeps 91.01.01 (Merauke before 2022); the desa is 93.01.01.1002 today.
    payments = [payment(nik_of("91.01.01", n + 1), code, n)
                for n, code in enumerate(["93.01.01.1002", "91.01.01.1002", "9301011003"])]
    db = tmp_path / "raw.duckdb"
    assert run(write(tmp_path / "merauke.csv", payments), "--db", db) == 0
    assert rows_of(db, "SELECT count(*) FROM disbursements WHERE desa_code LIKE '93.01.01.%'") == [(3,)]
    rows = [payment(nik_of("32.04.99", 1), "3204052001", 1)]  # a kecamatan no edition has
    assert run(write(tmp_path / "salah.csv", rows), "--db", db) == 0
    [(reasons,)] = rows_of(db, "SELECT reasons FROM quarantine")
    assert reasons[0].startswith("nik_kecamatan_unknown") and "no Kemendagri edition" in reasons[0]


def test_the_history_has_the_papua_split_and_no_code_of_today():
    history = load_history()
    assert history["91.01.01.1002"].current == "93.01.01.1002"
    assert history["91.01"].current == "93.01"
    assert not set(history) & set(get_registry().names)
    assert all(h.current in get_registry() for h in history.values() if h.current)


# --- variants: office export shapes ----------------------------------------------------------------------

@pytest.mark.parametrize(("above", "delimiter", "header_line"), [
    (("REKAP PENYALURAN PKH 2025", "Kabupaten Bandung", ""), ",", 4),
    (("", "", "Dinas Sosial", "Kab. Sleman;;;", "Dicetak 01/02/2025", ";;;;"), ";", 7),
    ((), ";", 1),
])
def test_header_below_title_lines_in_any_shape(tmp_path, above, delimiter, header_line):
    payments = [payment(nik_of("32.04.05", n + 1), "3204052001", n) for n in range(3)]
    source = open_source(write(tmp_path / "x.csv", payments, delimiter, above))
    assert source.header_line == header_line
    [(lines, _)] = list(read_batches(source, 10))
    assert lines == [header_line + 1, header_line + 2, header_line + 3]


@pytest.mark.parametrize("header", [
    "id;kode_kabupaten_kota;nama_kabupaten_kota;jumlah_penerima;tahun",
    "REKAP;;;\nkode_wilayah;nama_wilayah;total_kpm;tahun",
    "kode_provinsi,nama_provinsi,jumlah_keluarga,satuan",
])
def test_aggregate_tables_in_other_shapes_get_the_same_sentence(tmp_path, capsys, header):
    path = tmp_path / "agregat.csv"
    delimiter = "," if "," in header else ";"
    path.write_text(header + "\n" + delimiter.join(["32", "3204", "123", "2024"]) + "\n", encoding="utf-8")
    assert run(path, "--db", tmp_path / "raw.duckdb") == 2
    assert "aggregate table" in capsys.readouterr().err


def test_a_payment_file_without_nik_is_told_what_is_missing_not_that_it_is_an_aggregate(tmp_path, capsys):
    path = tmp_path / "tanpa_nik.csv"
    # `jumlah` alone is the amount of a payment, not a count.
    path.write_text("kode_desa;program;periode;jumlah;status;tanggal_salur\n"
                    "3204052001;PKH;2025-01;750000;disalurkan;2025-01-15\n", encoding="utf-8")
    assert run(path, "--db", tmp_path / "raw.duckdb") == 2
    err = capsys.readouterr().err
    assert "missing the required columns nik, nama" in err and "aggregate" not in err


def test_header_names_of_the_wild(tmp_path):
    path = tmp_path / "liar.csv"
    path.write_text("no_nik,nama_kpm,nomor_kk,jenis_bansos,periode_salur,nilai_bantuan,bank_penyalur,"
                    "status_transaksi,kode_wilayah,tgl_transaksi\n"
                    f"{nik_of('32.04.05', 1)},Penerima,3204050101100001,PKH,2025-01,750000,BRI,disalurkan,"
                    "3204052001,2025-01-15\n", encoding="utf-8")
    assert open_source(path).columns == {"nik": 0, "name": 1, "kk_number": 2, "program": 3, "period": 4,
                                         "amount": 5, "channel": 6, "status": 7, "desa_code": 8, "paid_date": 9}


def test_failed_returned_and_pending_payments_keep_their_date_and_are_not_paid(tmp_path):
    nik = nik_of("32.04.05", 1)
    payments = [payment(nik, "3204052001", 1, status="gagal", tanggal_salur="21/01/2025"),
                payment(nik, "3204052001", 2, status="retur", tanggal_salur="28/02/2025"),
                payment(nik, "3204052001", 3, status="tertunda", tanggal_salur="05/03/2025"),
                payment(nik, "3204052001", 4, status="tertunda", tanggal_salur=""),
                payment(nik, "3204052001", 5)]
    db = tmp_path / "raw.duckdb"
    assert run(write(tmp_path / "status.csv", payments), "--db", db) == 0
    assert rows_of(db, "SELECT status, paid_date, status_date FROM disbursements ORDER BY source_line") == [
        ("gagal", None, date(2025, 1, 21)), ("retur", None, date(2025, 2, 28)),
        ("tertunda", None, date(2025, 3, 5)), ("tertunda", None, None),
        ("disalurkan", date(2025, 1, 20), None)]


# --- Excel workbooks -------------------------------------------------------------------------------------

def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_an_excel_export_with_title_rows_numbers_and_dates_is_read_like_its_csv(tmp_path, capsys):
    nik = nik_of("32.04.05", 1)
    rows = [["DAFTAR PENYALURAN BPNT 2025"], ["KABUPATEN BANDUNG"], [], list(HEADER),
            [int(nik), "Penerima Satu", 3204050101100001, "BPNT", "2025-01", 400000, "BRI", "disalurkan",
             "'3204052001", datetime(2025, 1, 20)],
            [], [nik, "Penerima Dua", "3204050101100002", "BPNT", "2025-01", "400.000", "BRI", "gagal",
                 3204052001, date(2025, 1, 22)],
            [9701011204850001, "Penerima Tiga", "", "BPNT", "2025-01", 400000, "BRI", "disalurkan", 3204052001,
             datetime(2025, 1, 20)]]
    path = _workbook(tmp_path / "salur.xlsx", {"Rekap": [["ringkasan"]], "Data": rows})
    db = tmp_path / "raw.duckdb"
    assert run(path, "--db", db, "--sheet", "2") == 0
    out = capsys.readouterr().out
    assert "Excel, sheet 'Data'; header on line 4, lines 1-3 above it skipped" in out
    assert rows_of(db, "SELECT source_line, nik, desa_code, amount, status, paid_date, status_date "
                       "FROM disbursements ORDER BY 1") == [
        (5, nik, "32.04.05.2001", 400000, "disalurkan", date(2025, 1, 20), None),
        (7, nik, "32.04.05.2001", 400000, "gagal", None, date(2025, 1, 22))]
    # A 16-digit NIK stored as a number above 2**53 lost digits: quarantined, never a wrong person.
    [(line, reasons)] = rows_of(db, "SELECT source_line, reasons FROM quarantine")
    assert line == 8 and reasons[0].startswith("nik_excel")


def test_excel_sheet_by_name_and_a_sheet_that_is_not_there(tmp_path, capsys):
    path = _workbook(tmp_path / "x.xlsx", {"A": [list(HEADER)], "B": [["judul"], list(HEADER)]})
    assert open_source(path, "B").header_line == 2
    assert run(path, "--db", tmp_path / "raw.duckdb", "--sheet", "C") == 2
    assert "has no sheet 'C'; its sheets are 'A', 'B'" in capsys.readouterr().err


def test_a_zip_that_is_not_a_workbook_is_refused_in_one_sentence(tmp_path, capsys):
    import zipfile
    path = tmp_path / "arsip.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "x")
    assert run(path, "--db", tmp_path / "raw.duckdb") == 2
    assert "cannot be read as an Excel workbook" in capsys.readouterr().err


def test_many_rows_in_excel_keep_their_row_numbers(tmp_path):
    rng = random.Random(3)
    body = [[nik_of("32.04.05", n + 1), "Penerima", "", "PKH", "2025-01", 750000, "BRI", "disalurkan",
             "3204052001", "2025-01-15"] for n in range(1500)]
    blanks = sorted(rng.sample(range(1, 1500), 20), reverse=True)
    for at in blanks:
        body.insert(at, [])
    path = _workbook(tmp_path / "besar.xlsx", {"S": [["judul"], list(HEADER), *body]})
    source = open_source(path)
    lines = [line for batch, _ in read_batches(source, 400) for line in batch]
    assert len(lines) == 1500 and lines[0] == 3 and lines[-1] == 2 + 1500 + 20


def test_shifted_rows_keep_every_nik_and_name_out_of_the_stored_reasons(tmp_path, capsys):
    nik = nik_of("32.04.05", 7)
    good = payment(nik, "3204052001", 7)
    cells = [good[h] for h in HEADER]
    left = ";".join([*cells[1:], ""])              # the NIK cell lost: everything slides one column left
    right = ";".join(["", *cells[:-1]])            # an extra cell upstream: everything slides right
    grouped = ";".join([cells[1], cells[0][:4] + " " + cells[0][4:8] + " " + cells[0][8:12] + " " + cells[0][12:],
                        *cells[2:]])               # name and NIK swapped, the NIK in groups of four
    path = tmp_path / "geser.csv"
    path.write_text(";".join(HEADER) + "\n" + "\n".join([left, right, grouped]) + "\n", encoding="utf-8")
    db = tmp_path / "raw.duckdb"
    assert run(path, "--db", db) == 0
    output = capsys.readouterr()
    stored = " ".join(reason for (reasons,) in rows_of(db, "SELECT reasons FROM quarantine") for reason in reasons)
    assert len(rows_of(db, "SELECT * FROM quarantine")) == 3
    for secret in (nik, good["no_kk"], good["nama"], nik[:4] + " " + nik[4:8]):
        assert secret not in stored and secret not in output.out + output.err
