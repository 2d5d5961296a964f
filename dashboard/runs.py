"""At most a few page runs compute at once in one server process; the others wait their turn, asleep.

Streamlit runs every session's script in its own thread. Python runs one thread at a time, so 100 visitors arriving
together time-slice 100 runs: every run finishes only when all do, and the event loop that answers websocket pings
and the health check gets a hundredth of the processor, so connections drop. With a few slots the runs finish one
after another (first come, first served) and the event loop stays responsive. More throughput comes from more
processes (see the README's "Serving the public"), not from more threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

#: Page runs computing at once per process (`BANSOS_CONCURRENT_RUNS`); 2 keeps one run busy while another waits on
#: DuckDB or the network.
DEFAULT_SLOTS = 2


@st.cache_resource(show_spinner=False)
def _slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(max(int(os.environ.get("BANSOS_CONCURRENT_RUNS", DEFAULT_SLOTS)), 1))


@contextmanager
def slot() -> Iterator[None]:
    """Hold one of the process's run slots while the page computes (blocks, without using the processor)."""
    slots = _slots()
    slots.acquire()
    try:
        yield
    finally:
        slots.release()
