"""Information loss as users feel it: households and Rupiah hidden per level, desa where a citizen finds nothing.

These are the publisher's own figures (benchmarks, the operator's log summary), never published: counts of hidden
households and the largest hidden cells tell small hidden cells from partners (a hidden kecamatan with 2,000
households is a partner), and a count of each kind would tell a reader that every other hidden cell is small (see
build.information_loss, which is what a release says about its own suppression).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from anonymize.aggregate import Scope
from anonymize.build import ProtectedTable
from anonymize.tables import blank_sums, current_written, published_rows
from published_schema import ALL_CHANNELS, ALL_PROGRAMS

LEVELS = ("desa", "kecamatan", "kabupaten")
#: Largest hidden cells listed per level.
LARGEST = 5


def user_loss(table: ProtectedTable, regions: pd.DataFrame, scope: Scope) -> dict[str, object]:
    """The disbursement table's loss, from the protected table (true values and the pattern).

    - `levels[level][program]`: for the whole year and every channel, households (recipients) and Rupiah in
      the level's cells, and how many of them are in hidden cells (`program` is `SEMUA` for all programs; Rupiah
      also where a desa's all-programs sum is left blank beside a hidden program: tables.program_sums);
    - `program_cells[level]`: the same summed over the level's cells of each program (not the all-programs
      ones): the region × program × year table's loss, the measure issue 12 states its target in;
    - `desa_nothing`: desa with something paid whose every whole-year cell (each program and all programs) is
      hidden, i.e. a citizen looking the desa up finds no figure; `desa_paid`: desa with something paid;
    - `largest_hidden[level]`: the largest hidden cells of the level (any program, period or channel of this
      release) by recipients, largest first: (region, program, period, channel, recipients).
    """
    frame = table.input.frame
    suppressed = table.protection.suppressed
    level = frame["region"].map(regions.set_index("code")["level"]).to_numpy()
    recipients = np.nan_to_num(frame["recipients"].to_numpy(dtype="float64"))
    amount = np.nan_to_num(frame["amount"].to_numpy(dtype="float64"))
    written = published_rows(frame)
    year = (frame["period"] == scope.year_code).to_numpy() & (frame["channel"] == ALL_CHANNELS).to_numpy() & written
    program = frame["program"].to_numpy()
    # Rupiah not shown: hidden cells, and all-programs sums left blank beside a hidden program (tables.program_sums).
    rupiah_unshown = suppressed | blank_sums(frame, regions, suppressed)

    levels: dict[str, dict[str, dict[str, float]]] = {}
    program_cells: dict[str, dict[str, float]] = {}
    for name in LEVELS:
        mine = year & (level == name)
        levels[name] = {}
        for code in [ALL_PROGRAMS, *sorted(set(program[mine]) - {ALL_PROGRAMS})]:
            cells = mine & (program == code)
            hidden = cells & suppressed
            levels[name][code] = {
                "households": float(recipients[cells].sum()), "households_hidden": float(recipients[hidden].sum()),
                "rupiah": float(amount[cells].sum()), "rupiah_hidden": float(amount[cells & rupiah_unshown].sum()),
                "cells": int(cells.sum()), "cells_hidden": int(hidden.sum()),
            }
        program_cells[name] = {key: sum(p[key] for code, p in levels[name].items() if code != ALL_PROGRAMS)
                               for key in levels[name][ALL_PROGRAMS]}

    desa_year = year & (level == "desa")
    nonempty = desa_year & (table.input.table.size() > 0)
    per_desa = pd.DataFrame({"region": frame["region"].to_numpy()[nonempty],
                             "shown": ~suppressed[nonempty]}).groupby("region")["shown"].any()
    current = current_written(frame, scope)
    largest: dict[str, list[tuple[str, str, str, str, int]]] = {}
    for name in ("kecamatan", "kabupaten"):
        hidden = np.flatnonzero(current & (level == name) & suppressed)
        top = hidden[np.lexsort((hidden, -recipients[hidden]))][:LARGEST]
        largest[name] = [(str(frame.at[i, "region"]), str(frame.at[i, "program"]), str(frame.at[i, "period"]),
                          str(frame.at[i, "channel"]), int(recipients[i])) for i in top]
    return {"levels": levels, "program_cells": program_cells, "desa_paid": len(per_desa),
            "desa_nothing": int((~per_desa).sum()), "largest_hidden": largest}


def summary_line(loss: dict[str, object]) -> str:
    """One line for the operator's log: households / Rupiah hidden per level (whole year, all programs) and the
    desa showing nothing (counts only, no cell named)."""
    levels = loss["levels"]
    parts = [f"{level} {share(p['households_hidden'], p['households']):.1%} / "
             f"{share(p['rupiah_hidden'], p['rupiah']):.1%}"
             for level, p in ((name, levels[name][ALL_PROGRAMS]) for name in LEVELS)]    # type: ignore[index]
    return (f"hidden households / Rupiah (whole year, publisher only): {', '.join(parts)}; "
            f"{loss['desa_nothing']:,} of {loss['desa_paid']:,} paid desa show nothing")


def share(part: float, whole: float) -> float:
    """part / whole, 0 for an empty whole."""
    return part / whole if whole else 0.0
