"""Load test: N concurrent visitors over Streamlit's own websocket protocol against a dashboard on this machine.

    python benchmarks/bench_load.py --url http://127.0.0.1:8501 --sessions 100 --pid 12345
    python benchmarks/bench_load.py --serve --db data/published/bansos.duckdb --sessions 100

Each session is one visitor opening one page for one region, as a browser does: it loads the page (keeping the
cookies a proxy sets), opens the websocket (`/_stcore/stream`), asks for a script run with the page's query string,
and waits for the run to finish (`script_finished`). It is *served* when its run finishes within `--timeout`
seconds, *dropped* when the connection fails, closes or times out. All sessions start together. Meanwhile
`/_stcore/health` is polled every 0.25 s: its slowest answer is what a load balancer would see. Prints served/dropped,
median/p95/max seconds per session, script runs per second, the server's peak RSS (with `--pid`: that process and
its children, or the server `--serve` started) and the health check's max.

Only loopback addresses are accepted: this is a capacity test of your own server, not a tool to load others.
A real browser also reruns once to report its width (see dashboard/browser.py); these sessions do not.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
#: (page, query parameters): what visitors of a news story open; `{kec}`/`{desa}` take a region of the release.
VISITS = [
    ("", {"region": "{kab}"}), ("peta", {"region": "{kab}"}), ("peta", {}), ("tren", {"region": "{kec}"}),
    ("kesenjangan", {"region": "{kab}"}), ("wilayah", {"region": "{desa}"}), ("wilayah", {"region": "{desa}"}),
]


@dataclass
class Result:
    seconds: float | None = None
    error: str = ""


@dataclass
class Probe:
    health_max: float = 0.0
    rss_max: int = 0
    samples: list[float] = field(default_factory=list)


def loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        sys.exit(f"error: {url} is not a loopback address; bench_load only measures a server on this machine.")


def region_codes(db: Path | None) -> dict[str, list[str]]:
    """A few regions per level from the release (read-only), else the national view only."""
    if db is None:
        return {"kab": ["ID"], "kec": ["ID"], "desa": ["ID"]}
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return {key: [r[0] for r in con.execute("SELECT code FROM regions WHERE level = ? ORDER BY code",
                                                [level]).fetchall()] or ["ID"]
                for key, level in (("kab", "kabupaten"), ("kec", "kecamatan"), ("desa", "desa"))}


def visit(index: int, regions: dict[str, list[str]], rng: random.Random) -> tuple[str, str]:
    page, params = VISITS[index % len(VISITS)]
    filled = {k: v.format(**{key: rng.choice(codes) for key, codes in regions.items()}) for k, v in params.items()}
    return page, urlencode(filled)


def index_cookie(url: str, timeout: float) -> str:
    """Load the page as a browser does first; return the cookies it sets (a proxy's sticky-session cookie)."""
    with urllib.request.urlopen(f"{url}/", timeout=timeout) as response:  # noqa: S310 (http URL of our own server)
        response.read()
        return "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [])


async def session(url: str, page: str, query: str, timeout: float) -> Result:
    """One visitor: load the page, open the websocket, ask for the page's run, wait for it to finish."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.typing import Subprotocol

    stream = url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            cookie = await asyncio.to_thread(index_cookie, url, timeout)
            async with websockets.connect(stream, subprotocols=[Subprotocol("streamlit")], max_size=None,
                                          open_timeout=timeout,
                                          additional_headers={"Cookie": cookie} if cookie else None) as ws:
                message = BackMsg()
                message.rerun_script.query_string = query
                message.rerun_script.page_name = page
                await ws.send(message.SerializeToString())
                async for raw in ws:
                    forward = ForwardMsg()
                    forward.ParseFromString(raw)
                    if forward.WhichOneof("type") == "script_finished":
                        if forward.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                            return Result(time.perf_counter() - start)
                        if forward.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                            return Result(error="script error")
                return Result(error="closed")
    except TimeoutError:
        return Result(error="timeout")
    except Exception as error:  # a refused or reset connection is a dropped visitor, whatever its class
        return Result(error=type(error).__name__)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (Streamlit runs in one process; uvicorn may fork)."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


async def watch(url: str, pid: int | None, probe: Probe, stop: asyncio.Event) -> None:
    """Poll the health check (in a thread: a slow answer must not be hidden by our own event loop) and the RSS."""
    def health() -> float:
        begin = time.perf_counter()
        try:
            # S310: http URL of our own server.
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=60).read()  # noqa: S310
        except OSError:
            return 60.0
        return time.perf_counter() - begin

    while not stop.is_set():
        seconds = await asyncio.to_thread(health)
        probe.health_max = max(probe.health_max, seconds)
        probe.samples.append(seconds)
        if pid:
            probe.rss_max = max(probe.rss_max, rss_bytes(pid))
        await asyncio.sleep(0.25)


async def run(url: str, sessions: int, timeout: float, pid: int | None, regions: dict[str, list[str]],
              seed: int) -> tuple[list[Result], Probe, float]:
    rng = random.Random(seed)
    visits = [visit(i, regions, rng) for i in range(sessions)]
    probe, stop = Probe(), asyncio.Event()
    watcher = asyncio.create_task(watch(url, pid, probe, stop))
    start = time.perf_counter()
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=64))  # page loads in parallel
    results = await asyncio.gather(*(session(url, page, query, timeout) for page, query in visits))
    wall = time.perf_counter() - start
    stop.set()
    await watcher
    return results, probe, wall


def summary(results: list[Result], probe: Probe, wall: float, sessions: int) -> str:
    served = sorted(r.seconds for r in results if r.seconds is not None)
    errors: dict[str, int] = {}
    for r in results:
        if r.seconds is None:
            errors[r.error] = errors.get(r.error, 0) + 1
    dropped = sessions - len(served)
    quantile = (lambda q: served[min(int(q * len(served)), len(served) - 1)]) if served else (lambda q: float("nan"))
    why = f" ({', '.join(f'{k} {v}' for k, v in sorted(errors.items()))})" if errors else ""
    rss = f"{probe.rss_max / 2**20:,.0f} MB" if probe.rss_max else "n/a (give --pid)"
    return (f"{sessions} sessions: served {len(served)}, dropped {dropped}{why}; seconds per session median "
            f"{statistics.median(served) if served else float('nan'):.2f}, p95 {quantile(0.95):.2f}, max "
            f"{served[-1] if served else float('nan'):.2f}; {len(served) / wall:.2f} runs/s over {wall:.1f} s; "
            f"server RSS max {rss}; health check max {probe.health_max:.2f} s")


def serve(db: Path | None, extra: list[str]) -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app.py` on a free loopback port (the one-command default) and wait for its health."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, **({"BANSOS_PUBLISHED_DB": str(db)} if db else {})}
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                "--server.port", str(port), "--server.address", "127.0.0.1", *extra],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            # S310: http URL of our own server.
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":  # noqa: S310
                return process, url
        except OSError:
            time.sleep(0.25)
    process.kill()
    sys.exit("error: the dashboard did not answer its health check within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501", help="a running dashboard on this machine")
    parser.add_argument("--serve", action="store_true", help="start `streamlit run app.py` on a free port instead")
    parser.add_argument("--db", type=Path, help="the release to pick regions from (and to serve with --serve)")
    parser.add_argument("--sessions", type=int, nargs="+", default=[50], help="concurrent sessions (several: in turn)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a session counts as dropped")
    parser.add_argument("--pid", type=int, help="the server's process id, for its RSS")
    parser.add_argument("--warmup", type=int, default=7, help="sessions run one by one first (fills the caches)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    process = None
    if args.serve:
        process, args.url = serve(args.db, [])
        args.pid = process.pid
    loopback_only(args.url)
    try:
        regions = region_codes(args.db)
        if args.warmup:
            asyncio.run(run(args.url, args.warmup, args.timeout, None, regions, args.seed + 1))
        for sessions in args.sessions:
            results, probe, wall = asyncio.run(run(args.url, sessions, args.timeout, args.pid, regions, args.seed))
            print(summary(results, probe, wall, sessions), flush=True)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
