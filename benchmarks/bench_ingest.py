"""Time `python -m data ingest` on a large CSV and a large .xlsx of synthetic payments: rows/s and peak RSS.

Run: ``python benchmarks/bench_ingest.py [--csv-rows 1000000] [--xlsx-rows 100000] [--work data/work/bench_ingest]``.
Rows are realistic in shape (desa of provinces 34 and 53 with NIKs of their kecamatan, Indonesian amounts and
dates, a title row above the header, some failed payments with a date, some bad rows) and invented people.
Each file is ingested into a fresh raw database by a child process measured with `/usr/bin/time -v`.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geo.regions import get_registry

HEADER = ["nik", "nama", "no_kk", "program", "periode", "tahap", "nominal", "kanal", "status", "kode_desa",
          "tanggal_jadwal", "tanggal_salur"]
NAMES = ("Siti Aminah", "Budi Santoso", "Maria Ina", "Yohanes Lero", "Ni Luh Ayu", "Ahmad Fauzi", "Dewi Lestari")
ROOT = Path(__file__).resolve().parents[1]


def payments(count: int, seed: int = 1) -> list[list[str]]:
    rng = random.Random(seed)
    desa = [c for c in get_registry().names if len(c) == 13 and c[:2] in ("34", "53")]
    people = []
    for n in range(max(count // 6, 1)):  # each person paid about six times a year
        code = rng.choice(desa)
        nik = f"{code[:8].replace('.', '')}{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(60, 99)}"
        people.append((f"{nik}{rng.randint(1, 9999):04d}", f"{rng.choice(NAMES)} {n}", f"{nik[:6]}0101{n % 10**6:06d}",
                       code))
    rows = []
    for i in range(count):
        nik, name, kk, code = people[i % len(people)]
        month = i % 12 + 1
        status = rng.choices(("disalurkan", "gagal", "retur", "tertunda"), (90, 4, 3, 3))[0]
        paid = f"{rng.randint(11, 28):02d}/{month:02d}/2025" if status != "tertunda" else ""
        amount = "750.000" if rng.random() > 0.01 else "750.000,50"  # a few bad rows go to quarantine
        rows.append([nik, name, kk, "PKH", f"2025-{month:02d}", str((month - 1) // 3 + 1), amount, "BRI", status,
                     code.replace(".", ""), f"10/{month:02d}/2025", paid])
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("DAFTAR PENYALURAN PKH 2025\r\n\r\n" + ";".join(HEADER) + "\r\n")
        file.writelines(";".join(map(str, row)) + "\r\n" for row in rows)


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Penyaluran")
    sheet.append(["DAFTAR PENYALURAN PKH 2025"])
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _time_field(pattern: str, text: str) -> str:
    """One figure of GNU time's `-v` report."""
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"/usr/bin/time -v printed no line matching {pattern!r}")
    return found.group(1)


def measure(path: Path, work: Path) -> str:
    db = work / f"{path.stem}.duckdb"
    db.unlink(missing_ok=True)
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "data", "ingest", str(path), "--db", str(db),
                           "--as-of", "2025-12-31"], cwd=ROOT, capture_output=True, text=True, check=True)
    summary = next(line for line in done.stdout.splitlines() if line.startswith("ingested"))
    rss = int(_time_field(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr))
    wall = _time_field(r"Elapsed \(wall clock\) time .*: (\S+)", done.stderr)
    size = path.stat().st_size / 1e6
    return f"{path.name} ({size:.0f} MB): {summary}\n  process wall {wall}, peak RSS {rss / 1024:,.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "work" / "bench_ingest")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    csv_path, xlsx_path = args.work / "penyaluran.csv", args.work / "penyaluran.xlsx"
    write_csv(csv_path, payments(args.csv_rows))
    write_xlsx(xlsx_path, payments(args.xlsx_rows, seed=2))
    for path in (csv_path, xlsx_path):
        print(measure(path, args.work), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
