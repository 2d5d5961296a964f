"""`python -m data ingest FILE...`: validate real-format exports row by row and load them into the raw database.

Every file is checked as a whole before anything is written; all files of one invocation are then written
in a single DuckDB transaction, so a failure leaves the database as it was. Valid rows go to
`disbursements`, the others to `quarantine` with every reason, and each file's sha256 to `ingested_files`,
which makes ingesting the same content again a no-op. Output never shows a NIK, KK number or name.

A file whose `kode_desa` are mostly not Kemendagri codes of the recipients' places (unknown, or in another
kecamatan than the NIK says: a BPS extract) is refused as a whole, because some BPS codes are valid Kemendagri
codes of other desa and would book payments to the wrong village. `--crosswalk` maps such codes first.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

import cli
from data.crosswalk import Crosswalk, load_crosswalk
from data.readers import Row, Source, open_source, read_batches
from data.schema import connect_raw
from data.validate import DERIVED_FIELDS, FIELDS, CodeCheck, Reason, Rejected, validate_columns
from geo.regions import get_registry
from settings import get_settings

HELP = ("Validate CSV/Excel/Parquet exports of disbursements and load them into the raw database "
        "(bad rows to quarantine).")

log = logging.getLogger(__name__)

#: Rows validated and inserted together: large enough to amortise per-batch costs, small enough for memory.
BATCH_ROWS = 50_000
_ACCEPTED_TYPES = {name: pa.string() for name in (*FIELDS, *DERIVED_FIELDS)} | {
    "tahap": pa.int8(), "amount": pa.int64(), "scheduled_date": pa.date32(), "paid_date": pa.date32(),
    "status_date": pa.date32()}


@dataclass
class FileResult:
    """What one file added: `input_rows == accepted + quarantined`, or why nothing was added."""

    source: Source
    input_rows: int = 0
    accepted: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    skipped: str | None = None
    translated: int = 0
    crosswalk: Crosswalk | None = None

    def report(self) -> str:
        if self.skipped:
            return f"{self.source.path}: {self.skipped}; nothing added."
        line = (f"{self.source.path}: {self.input_rows:,} rows = {self.accepted:,} accepted + "
                f"{self.quarantined:,} quarantined ({self.source.describe()}).")
        if self.translated:
            via = f"the crosswalk {self.crosswalk.describe()}" if self.crosswalk else "earlier Kemendagri editions"
            line += f"\n  kode_desa translated to today's codes for {self.translated:,} accepted rows (from {via})."
        if self.reasons:
            line += "\n  quarantine reasons: " + ", ".join(f"{code} {n:,}" for code, n in self.reasons.most_common())
        return line


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="CSV, Excel (.xlsx/.xls) or Parquet exports to ingest")
    parser.add_argument("--db", type=Path, default=None,
                        help="raw database to load into (default: BANSOS_RAW_DB or data/raw/bansos.duckdb)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="reject dates after this day as in the future (default: today)")
    parser.add_argument("--sheet", default=None, metavar="NAME",
                        help="Excel workbooks: the sheet to read, by name or number (default: the first)")
    parser.add_argument("--crosswalk", type=Path, default=None, metavar="FILE",
                        help="CSV of two columns, your desa code then its Kemendagri code (e.g. BPS -> Kemendagri), "
                             "applied before validation")


def run(args: argparse.Namespace) -> int:
    db = args.db or get_settings().raw_db
    with cli.stopwatch() as timing:
        # Every file-level check before any write.
        crosswalk = load_crosswalk(args.crosswalk) if args.crosswalk else None
        sources = [open_source(path, args.sheet) for path in args.files]
        results = ingest(sources, db, args.as_of or date.today(), crosswalk)
    for result in results:
        print(result.report())
    rows = sum(r.input_rows for r in results)
    skipped = sum(1 for r in results if r.skipped)
    cli.summary(
        f"ingested {len(results) - skipped} of {len(results)} files into {db}: {rows:,} rows = "
        f"{sum(r.accepted for r in results):,} accepted + {sum(r.quarantined for r in results):,} quarantined"
        f"{f', {skipped} already ingested' if skipped else ''}; "
        f"{timing['seconds']:.1f} s, {rows / max(timing['seconds'], 1e-9):,.0f} rows/s."
    )
    return 0


def ingest(sources: Sequence[Source], db: Path, reference_date: date,
           crosswalk: Crosswalk | None = None) -> list[FileResult]:
    """Load checked files into the raw database in one transaction; return what each file added."""
    con = _connect(db)
    try:
        con.begin()
        results: list[FileResult] = []
        seen: dict[str, Path] = {}
        for source in sources:
            results.append(_ingest_file(con, source, reference_date, seen, crosswalk))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()
    return results


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    try:
        return connect_raw(db)
    except duckdb.IOException as error:  # typically: another process holds the database's lock
        raise cli.UserError(f"The raw database {db} cannot be opened ({str(error).splitlines()[0]}).") from None


def _ingest_file(con: duckdb.DuckDBPyConnection, source: Source, reference_date: date,
                 seen: dict[str, Path], crosswalk: Crosswalk | None) -> FileResult:
    result = FileResult(source, crosswalk=crosswalk)
    result.skipped = _already_ingested(con, source, seen)
    if result.skipped:
        return result
    seen[source.sha256] = source.path
    log.debug("%s: %s, columns %s", source.path, source.describe(),
              {name: source.header[index] for name, index in source.columns.items()})
    batches = read_batches(source, BATCH_ROWS)
    codes = CodeCheck()
    for lines, cells in cli.progress(batches, desc=f"{source.name} (batches of {BATCH_ROWS:,} rows)", unit=" batches"):
        columns, ragged = source.columns_of(cells)
        extra = {position: [Reason("row_shape", problem)] for position, problem in ragged.items()}
        given = _apply_crosswalk(crosswalk, columns, extra) if crosswalk else None
        batch = validate_columns(columns, len(cells), reference_date, extra)
        codes += batch.codes
        if codes.foreign:
            raise cli.UserError(_foreign_codes(source, codes))  # rolls back every file of the run
        if given is not None and crosswalk is not None:
            batch.accepted["desa_code_from"] = [f"{given[i]} (crosswalk {crosswalk.path.name})"
                                                for i in batch.accepted_positions]
        _insert_accepted(con, source, [lines[i] for i in batch.accepted_positions], batch.accepted)
        _insert_quarantined(con, source, lines, cells, batch.rejected)
        result.accepted += len(batch.accepted_positions)
        result.quarantined += len(batch.rejected)
        result.translated += sum(1 for note in batch.accepted["desa_code_from"] if note)
        result.reasons.update(reason.code for rejected in batch.rejected.values() for reason in rejected.reasons)
    result.input_rows = result.accepted + result.quarantined
    con.execute("INSERT INTO ingested_files BY NAME SELECT ? AS source, ? AS source_sha256, ? AS ingested_at, "
                "? AS input_rows, ? AS accepted, ? AS quarantined, ? AS crosswalk",
                [source.name, source.sha256, datetime.now(UTC).replace(tzinfo=None), result.input_rows,
                 result.accepted, result.quarantined, crosswalk.describe() if crosswalk else None])
    return result


def _apply_crosswalk(crosswalk: Crosswalk, columns: dict[str, Sequence[str | None]],
                     extra: dict[int, list[Reason]]) -> Sequence[str | None]:
    """Replace the batch's desa codes by their Kemendagri codes; a code the crosswalk lacks rejects its row."""
    given = columns.get("desa_code") or []
    translated = {cell: crosswalk.translate(cell) for cell in set(given)}
    columns["desa_code"] = [translated[cell][0] for cell in given]
    for position, cell in enumerate(given):
        if not translated[cell][1]:
            extra.setdefault(position, []).append(Reason(
                "desa_code_not_in_crosswalk", f"kode_desa is not in the crosswalk {crosswalk.path.name}, so it "
                "is not read as a Kemendagri code; add it to the crosswalk."))
    return given


def _foreign_codes(source: Source, codes: CodeCheck) -> str:
    """One sentence: the file's codes are not Kemendagri codes of the recipients' places, and what to do."""
    example = ""
    if codes.example:
        names = get_registry().names
        desa, home = codes.example
        example = (f", e.g. kode_desa {desa} lies in {names[desa[:5]]} while the NIK was issued in kecamatan "
                   f"{home} ({names.get(home[:5], '?')})")
    return (f"{source.path}: {codes.unknown + codes.elsewhere:,} of {codes.with_code:,} rows have a kode_desa that is "
            f"not a Kemendagri desa code ({codes.unknown:,}) or lies in another kecamatan than the recipient's NIK "
            f"({codes.elsewhere:,}){example}; the codes look like BPS or other non-Kemendagri codes, so nothing was "
            "written: give their Kemendagri codes with --crosswalk FILE (two columns: your code, Kemendagri code).")


def _already_ingested(con: duckdb.DuckDBPyConnection, source: Source, seen: dict[str, Path]) -> str | None:
    if source.sha256 in seen:
        return f"same content as {seen[source.sha256]} earlier in this run"
    # fetchall, not fetchone: DuckDB 2 refuses `register` while a result is unfinished.
    found = con.execute("SELECT source, ingested_at FROM ingested_files WHERE source_sha256 = ?",
                        [source.sha256]).fetchall()
    if not found:
        return None
    previous = found[0]
    return f"already ingested as {previous[0]} on {previous[1]:%Y-%m-%d %H:%M} UTC (same sha256)"


def _insert_accepted(con: duckdb.DuckDBPyConnection, source: Source, lines: list[int],
                     columns: dict[str, list[object]]) -> None:
    if not lines:
        return
    table = pa.table({"source_line": pa.array(lines, pa.int64()),
                      **{name: pa.array(columns[name], _ACCEPTED_TYPES[name]) for name in _ACCEPTED_TYPES}})
    # Every accepted row passed the NIK rule (an invalid NIK sends its row to quarantine).
    _insert(con, table, "INSERT INTO disbursements BY NAME SELECT *, $source AS source, true AS nik_valid FROM _batch",
            {"source": source.name})


def _insert_quarantined(con: duckdb.DuckDBPyConnection, source: Source, lines: list[int],
                        rows: list[Row], rejected: dict[int, Rejected]) -> None:
    if not rejected:
        return
    table = pa.table({
        "source_line": pa.array([lines[i] for i in rejected], pa.int64()),
        "reasons": pa.array([[str(reason) for reason in r.reasons] for r in rejected.values()], pa.list_(pa.string())),
        "desa_code": pa.array([r.desa_code for r in rejected.values()], pa.string()),
        "period": pa.array([r.period for r in rejected.values()], pa.string()),
        # The full row as read: the raw database is private, so nothing of a bad row is lost.
        "record": pa.array([json.dumps(source.record(rows[i]), ensure_ascii=False) for i in rejected], pa.string()),
    })
    _insert(con, table, "INSERT INTO quarantine (source, source_sha256, source_line, reasons, desa_code, record, "
            "period) SELECT $source, $sha256, source_line, reasons, desa_code, CAST(record AS JSON), period "
            "FROM _batch",
            {"source": source.name, "sha256": source.sha256})


def _insert(con: duckdb.DuckDBPyConnection, table: pa.Table, sql: str, parameters: dict[str, object]) -> None:
    con.register("_batch", table)
    try:
        con.execute(sql, parameters)
    finally:
        con.unregister("_batch")
