"""From a raw database to protected tables: aggregate every level, then run disclosure control on each table."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from anonymize import aggregate
from anonymize.aggregate import ALL_CHANNELS, QUALITY_INDICATORS, Scope
from anonymize.protect import Protection, protect
from anonymize.tables import (
    DISBURSEMENT_MEASURES,
    ProtectedTableInput,
    complete_disbursement_cells,
    disbursement_table,
    feedback_table,
    quality_table,
)
from settings import (
    ALL_PROGRAMS,
    COMPLAINT_CATEGORIES,
    COMPLAINT_STATUSES,
    NATIONAL_CODE,
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
)

log = logging.getLogger(__name__)

#: Complaints, proposals and data-quality counts are small at desa level: published from kecamatan up.
FEEDBACK_LEVELS = ("nasional", "provinsi", "kabupaten", "kecamatan")


@dataclass
class ProtectedTable:
    input: ProtectedTableInput
    protection: Protection

    @property
    def name(self) -> str:
        return self.input.name


@dataclass
class BuildResult:
    scope: Scope
    regions: pd.DataFrame
    tables: list[ProtectedTable]
    seconds: dict[str, float] = field(default_factory=dict)
    rows_aggregated: int = 0


def scope_regions(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Registry rows of every region inside the scope's provinces, and the national root."""
    return con.execute(
        """SELECT code, level, name, kind, parent_code, province_code, kabupaten_code, kecamatan_code
           FROM regions WHERE code = ? OR list_contains(?, province_code)
           ORDER BY level_no, code""",
        [NATIONAL_CODE, list(scope.provinces)],
    ).df()


def build_tables(raw: duckdb.DuckDBPyConnection, threshold: int, late_after_days: int,
                 through: str | None = None) -> BuildResult:
    """Aggregate the raw database and protect every table to be published."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    scope = aggregate.detect_scope(raw, through)
    regions = scope_regions(raw, scope)
    inputs, rows = _aggregate_inputs(raw, scope, regions, threshold, late_after_days)
    seconds["aggregate"] = time.perf_counter() - start
    tables = []
    for table_input in inputs:
        log.info("protecting %s (%s cells)", table_input.name, f"{table_input.table.n_cells:,}")
        protection = protect(table_input.table, table_input.rules)
        for stage, spent in protection.seconds.items():
            seconds[stage] = seconds.get(stage, 0.0) + spent
        tables.append(ProtectedTable(table_input, protection))
    return BuildResult(scope, regions, tables, seconds, rows)


def _aggregate_inputs(raw: duckdb.DuckDBPyConnection, scope: Scope, regions: pd.DataFrame, threshold: int,
                      late_after_days: int) -> tuple[list[ProtectedTableInput], int]:
    rows = raw.execute("SELECT count(*) FROM disbursements WHERE period BETWEEN ? AND ?",
                       [f"{scope.year}-01", scope.through]).fetchone()[0]
    desa = aggregate.desa_disbursements(raw, scope, late_after_days)
    eligibility = aggregate.desa_eligibility(raw, scope, late_after_days)
    keys = ["program", "period", "channel"]
    desa = desa.merge(eligibility, how="outer", on=["region", *keys])
    measures = [m.name for m in DISBURSEMENT_MEASURES]
    rolled = aggregate.roll_up(desa, regions, keys, measures)
    cells = complete_disbursement_cells(rolled, regions, scope)
    inputs = [disbursement_table(cells, regions, scope, threshold)]

    upper = regions[regions["level"].isin(FEEDBACK_LEVELS)]
    complaints = _upper_levels(aggregate.desa_complaints(raw, scope), regions, ["category", "period"],
                               ["complaints", *COMPLAINT_STATUSES])
    inputs.append(feedback_table("complaint_cells", complaints, upper, scope, threshold, "category",
                                 list(COMPLAINT_CATEGORIES), "complaints", list(COMPLAINT_STATUSES)))
    proposals = _upper_levels(aggregate.desa_proposals(raw, scope), regions, ["kind", "period"],
                              ["proposals", *PROPOSAL_STATUSES])
    inputs.append(feedback_table("proposal_cells", proposals, upper, scope, threshold, "kind",
                                 list(PROPOSAL_KINDS), "proposals", list(PROPOSAL_STATUSES)))
    quality = _upper_levels(aggregate.desa_quality(raw, scope, late_after_days), regions,
                            ["indicator", "period"], ["households"])
    inputs.append(quality_table(quality, upper, scope, threshold, list(QUALITY_INDICATORS)))
    return inputs, int(rows)


def _upper_levels(desa_rows: pd.DataFrame, regions: pd.DataFrame, keys: list[str],
                  measures: list[str]) -> pd.DataFrame:
    """Roll desa rows up and keep kecamatan and above."""
    desa_rows = desa_rows[desa_rows["region"].isin(regions["code"])]
    rolled = aggregate.roll_up(desa_rows, regions, keys, measures)
    level = regions.set_index("code")["level"]
    return rolled[rolled["region"].map(level).isin(FEEDBACK_LEVELS)].reset_index(drop=True)


def published_frame(table: ProtectedTable, regions: pd.DataFrame) -> pd.DataFrame:
    """The cells as published: keys, level, the hidden flag, then measures; a hidden cell loses every value."""
    frame = table.input.frame
    measures = [m.name for m in table.input.table.measures]
    keys = [c for c in frame.columns if c not in measures and not c.startswith("_")]
    published = frame[keys].rename(columns={"region": "region_code"})
    published.insert(1, "level", frame["region"].map(regions.set_index("code")["level"]).to_numpy())
    published["suppressed"] = table.protection.suppressed
    for column in measures:
        values = frame[column].to_numpy(dtype="float64").copy()
        values[table.protection.suppressed] = np.nan
        published[column] = pd.array(np.round(values), dtype="Int64")
    return published


def information_loss(table: ProtectedTable, regions: pd.DataFrame) -> dict[str, float | int]:
    """How much the suppression hides: cells, and (for disbursements) Rupiah at each region's own level."""
    protection = table.protection
    nonempty = table.input.table.size() > 0
    stats: dict[str, float | int] = {
        "cells": int(table.input.table.n_cells),
        "nonempty_cells": int(nonempty.sum()),
        "suppressed": int(protection.suppressed.sum()),
        "primary": int(protection.primary.sum()),
        "secondary": int(protection.secondary.sum()),
        "share_nonempty_suppressed": float(protection.suppressed.sum() / max(nonempty.sum(), 1)),
    }
    frame = table.input.frame
    if "amount" in frame:
        level = regions.set_index("code")["level"]
        whole = ((frame["program"] == ALL_PROGRAMS) & (frame["period"].str.len() == 4)
                 & (frame["channel"] == ALL_CHANNELS)).to_numpy()
        cell_level = frame["region"].map(level).to_numpy()
        for name in ("desa", "kecamatan", "kabupaten"):
            mine = whole & (cell_level == name)
            total = frame.loc[mine, "amount"].sum()
            hidden = frame.loc[mine & protection.suppressed, "amount"].sum()
            stats[f"share_amount_hidden_{name}"] = float(hidden / total) if total else 0.0
    return stats
