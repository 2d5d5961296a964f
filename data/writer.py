"""Writes generated tables into a fresh raw database beside the target and swaps it in only when complete."""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import pyarrow as pa

from data.schema import RAW_TABLES_DDL, connect_raw

#: DuckDB keeps written blocks cached up to its memory limit (default: most of the RAM), so memory would grow
#: with the rows written. The blocks are on disk already; a small cap keeps the generator flat at no cost.
MEMORY_LIMIT = "256MB"
#: Inserts by column name, so the schema may gain columns without breaking the generator.
_INSERT = {name: f"INSERT INTO {name} BY NAME SELECT * FROM _chunk" for name in RAW_TABLES_DDL}  # noqa: S608


class RawWriter:
    """`with RawWriter(path) as w: w.append(tables); w.finish(metadata)`; leaves the old file alone on failure.

    Inserts run on one background thread (DuckDB releases the GIL), so the next chunk is generated meanwhile.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.temp = target.with_name(f".{target.name}.generating")
        self.rows: Counter[str] = Counter()
        for stale in (self.temp, _wal(self.temp)):
            stale.unlink(missing_ok=True)
        self.con = connect_raw(self.temp)
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-writer")
        self._pending: Future[None] | None = None

    def __enter__(self) -> RawWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is not None:
            self.abort()

    def append(self, tables: dict[str, pa.Table]) -> None:
        """Queue one chunk; waits for the previous one first, so at most two chunks are ever in memory."""
        self._wait()
        self._pending = self._pool.submit(self._insert, tables)

    def _insert(self, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            self.con.register("_chunk", table)
            try:
                self.con.execute(_INSERT[name])
            finally:
                self.con.unregister("_chunk")
            self.rows[name] += table.num_rows

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def finish(self, metadata: dict[str, str]) -> None:
        """Record how the data was made (plus rows per table), then replace the target in one step."""
        self._wait()
        self._pool.shutdown()
        facts = metadata | {f"rows_{name}": str(count) for name, count in self.rows.items()}
        self.con.executemany("INSERT INTO raw_metadata VALUES (?, ?)", sorted(facts.items()))
        self.con.execute("CHECKPOINT")
        self.con.close()
        # A write-ahead log left beside the old file would be replayed into the new one.
        _wal(self.target).unlink(missing_ok=True)
        os.replace(self.temp, self.target)

    def abort(self) -> None:
        # The caller's error is the one worth reporting, not a failed insert behind it.
        with contextlib.suppress(Exception):
            self._wait()
        self._pool.shutdown()
        self.con.close()
        for path in (self.temp, _wal(self.temp)):
            path.unlink(missing_ok=True)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")
