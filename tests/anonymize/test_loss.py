"""Information loss as users feel it (the publisher's figures): households, Rupiah and desa showing nothing."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from anonymize.aggregate import Scope
from anonymize.loss import user_loss


def test_loss_counts_hidden_households_rupiah_and_desa_where_nothing_is_shown():
    rows = [  # region, program, period, recipients, Rupiah, hidden
        ("K.1.1", "SEMUA", "2025", 20, 1_000, True), ("K.1.1", "PKH", "2025", 20, 1_000, True),
        ("K.1.2", "SEMUA", "2025", 30, 3_000, False), ("K.1.2", "PKH", "2025", 30, 3_000, True),
        ("K.1.3", "SEMUA", "2025", 0, 0, False), ("K.1.3", "PKH", "2025", 0, 0, False),
        ("K.1.4", "SEMUA", "2025", 10, 800, False), ("K.1.4", "PKH", "2025", 5, 300, True),
        ("K.1.4", "SEMBAKO", "2025", 5, 500, False),
        ("K.1", "SEMUA", "2025", 50, 4_000, True), ("K.1", "SEMUA", "2025-01", 40, 2_000, True),
        ("K.1", "PKH", "2025", 50, 4_000, False), ("K", "SEMUA", "2025", 50, 4_000, False),
    ]
    frame = pd.DataFrame(rows, columns=["region", "program", "period", "recipients", "amount", "hidden"])
    frame["channel"] = "SEMUA"
    regions = pd.DataFrame({"code": ["K", "K.1", "K.1.1", "K.1.2", "K.1.3", "K.1.4"],
                            "level": ["kabupaten", "kecamatan", "desa", "desa", "desa", "desa"]})
    recipients = frame["recipients"].to_numpy(dtype=float)
    table = SimpleNamespace(input=SimpleNamespace(frame=frame, table=SimpleNamespace(size=lambda: recipients)),
                            protection=SimpleNamespace(suppressed=frame["hidden"].to_numpy()))
    loss = user_loss(table, regions, Scope(2025, 1, ("K",)))
    desa = loss["levels"]["desa"]
    assert desa["SEMUA"]["households"] == 60 and desa["SEMUA"]["households_hidden"] == 20
    # The all-programs Rupiah of K.1.2 and K.1.4 is written only as their programs' sum, blank beside a hidden PKH:
    # not shown either; K.1.4's published Sembako is shown.
    assert desa["SEMUA"]["rupiah"] == 4_800 and desa["SEMUA"]["rupiah_hidden"] == 4_800
    assert desa["SEMBAKO"]["rupiah"] == 500 and desa["SEMBAKO"]["rupiah_hidden"] == 0
    assert desa["PKH"]["households_hidden"] == 55 and desa["PKH"]["cells_hidden"] == 3
    assert loss["levels"]["kecamatan"]["SEMUA"]["households_hidden"] == 50
    assert loss["levels"]["kabupaten"]["SEMUA"]["households_hidden"] == 0
    # K.1.1 shows nothing; K.1.2 shows its total; K.1.3 paid nobody (its zeros are published); K.1.4 shows some.
    assert (loss["desa_paid"], loss["desa_nothing"]) == (3, 1)
    assert [n for *_, n in loss["largest_hidden"]["kecamatan"]] == [50, 40]
    assert loss["largest_hidden"]["kabupaten"] == []
    assert np.isclose(sum(p["households_hidden"] for p in desa.values()), 75)
    # Every program's cells together (PKH and Sembako), not the all-programs ones: 55 of 60 desa households hidden.
    programs = loss["program_cells"]
    assert programs["desa"]["households"] == 60 and programs["desa"]["households_hidden"] == 55
    assert programs["desa"]["cells_hidden"] == 3 and programs["kecamatan"]["rupiah"] == 4_000
