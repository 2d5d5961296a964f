from __future__ import annotations

import pytest

from geo.parallel import map_groups


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_back_in_order(jobs: int) -> None:
    assert map_groups(abs, [-3, 1, -2, 5], jobs, "test") == [3, 1, 2, 5]
