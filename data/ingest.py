"""`python -m data ingest FILE...`: validate real-format exports row by row and load them into the raw database.

Every file is checked as a whole before anything is written; all files of one invocation are then written
in a single DuckDB transaction, so a failure leaves the database as it was. Valid rows go to
`disbursements`, the others to `quarantine` with every reason, and each file's sha256 to `ingested_files`,
which makes ingesting the same content again a no-op. Output never shows a NIK, KK number or name.
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
from data.readers import Row, Source, open_source, read_batches
from data.schema import connect_raw
from data.validate import FIELDS, Reason, Rejected, validate_columns
from settings import get_settings

HELP = "Validate CSV/Parquet exports of disbursements and load them into the raw database (bad rows to quarantine)."

log = logging.getLogger(__name__)

#: Rows validated and inserted together: large enough to amortise per-batch costs, small enough for memory.
BATCH_ROWS = 50_000
_ACCEPTED_TYPES = {name: pa.string() for name in FIELDS} | {
    "tahap": pa.int8(), "amount": pa.int64(), "scheduled_date": pa.date32(), "paid_date": pa.date32()}


@dataclass
class FileResult:
    """What one file added: `input_rows == accepted + quarantined`, or why nothing was added."""

    source: Source
    input_rows: int = 0
    accepted: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    skipped: str | None = None

    def report(self) -> str:
        if self.skipped:
            return f"{self.source.path}: {self.skipped}; nothing added."
        line = (f"{self.source.path}: {self.input_rows:,} rows = {self.accepted:,} accepted + "
                f"{self.quarantined:,} quarantined ({self.source.describe()}).")
        if self.reasons:
            line += "\n  quarantine reasons: " + ", ".join(f"{code} {n:,}" for code, n in self.reasons.most_common())
        return line


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CSV or Parquet exports to ingest")
    parser.add_argument("--db", type=Path, default=None,
                        help="raw database to load into (default: BANSOS_RAW_DB or data/raw/bansos.duckdb)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="reject dates after this day as in the future (default: today)")


def run(args: argparse.Namespace) -> int:
    db = args.db or get_settings().raw_db
    with cli.stopwatch() as timing:
        sources = [open_source(path) for path in args.files]  # every file-level check before any write
        results = ingest(sources, db, args.as_of or date.today())
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


def ingest(sources: Sequence[Source], db: Path, reference_date: date) -> list[FileResult]:
    """Load checked files into the raw database in one transaction; return what each file added."""
    con = _connect(db)
    try:
        con.begin()
        results, seen = [], {}
        for source in sources:
            results.append(_ingest_file(con, source, reference_date, seen))
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
                 seen: dict[str, Path]) -> FileResult:
    result = FileResult(source)
    result.skipped = _already_ingested(con, source, seen)
    if result.skipped:
        return result
    seen[source.sha256] = source.path
    log.debug("%s: %s, columns %s", source.path, source.describe(),
              {name: source.header[index] for name, index in source.columns.items()})
    batches = read_batches(source, BATCH_ROWS)
    for lines, cells in cli.progress(batches, desc=f"{source.name} (batches of {BATCH_ROWS:,} rows)", unit=" batches"):
        columns, ragged = source.columns_of(cells)
        shape_reasons = {position: Reason("row_shape", problem) for position, problem in ragged.items()}
        batch = validate_columns(columns, len(cells), reference_date, shape_reasons)
        _insert_accepted(con, source, [lines[i] for i in batch.accepted_positions], batch.accepted)
        _insert_quarantined(con, source, lines, cells, batch.rejected)
        result.accepted += len(batch.accepted_positions)
        result.quarantined += len(batch.rejected)
        result.reasons.update(reason.code for rejected in batch.rejected.values() for reason in rejected.reasons)
    result.input_rows = result.accepted + result.quarantined
    con.execute("INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?)",
                [source.name, source.sha256, datetime.now(UTC).replace(tzinfo=None), result.input_rows,
                 result.accepted, result.quarantined])
    return result


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
                      **{name: pa.array(columns[name], _ACCEPTED_TYPES[name]) for name in FIELDS}})
    _insert(con, table, "INSERT INTO disbursements BY NAME SELECT *, $source AS source FROM _batch",
            {"source": source.name})


def _insert_quarantined(con: duckdb.DuckDBPyConnection, source: Source, lines: list[int],
                        rows: list[Row], rejected: dict[int, Rejected]) -> None:
    if not rejected:
        return
    table = pa.table({
        "source_line": pa.array([lines[i] for i in rejected], pa.int64()),
        "reasons": pa.array([[str(reason) for reason in r.reasons] for r in rejected.values()], pa.list_(pa.string())),
        "desa_code": pa.array([r.desa_code for r in rejected.values()], pa.string()),
        # The full row as read: the raw database is private, so nothing of a bad row is lost.
        "record": pa.array([json.dumps(source.record(rows[i]), ensure_ascii=False) for i in rejected], pa.string()),
    })
    _insert(con, table, "INSERT INTO quarantine SELECT $source, $sha256, source_line, reasons, desa_code, "
            "CAST(record AS JSON) FROM _batch", {"source": source.name, "sha256": source.sha256})


def _insert(con: duckdb.DuckDBPyConnection, table: pa.Table, sql: str, parameters: dict[str, object]) -> None:
    con.register("_batch", table)
    try:
        con.execute(sql, parameters)
    finally:
        con.unregister("_batch")
