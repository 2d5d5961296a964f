"""Arrow column helpers shared by the generator's table builders."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def coded(indices: np.ndarray, values: Sequence[str] | np.ndarray | pa.Array,
          missing: np.ndarray | None = None) -> pa.DictionaryArray:
    """A string column as indices into `values`: no per-row string copies; `missing` marks NULL rows."""
    dictionary = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(indices, dtype=np.int32), mask=missing), dictionary)


def dates(values: np.ndarray) -> pa.Array:
    """datetime64[D] values as an Arrow date column (NaT becomes NULL)."""
    return pa.array(values, pa.date32())
