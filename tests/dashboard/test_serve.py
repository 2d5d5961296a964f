"""The multi-process setup: `python -m dashboard.serve` behind Debian's nginx answers, keeps sessions sticky and
spreads visitors over its workers. Skipped without nginx, except in CI."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dashboard import serve

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "benchmarks" / "bench_load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_the_nginx_config_passes_websockets_and_hashes_a_sticky_cookie(tmp_path):
    conf = serve.nginx_conf(tmp_path, "127.0.0.1", 8080, [8601, 8602])
    assert "proxy_set_header Upgrade $http_upgrade;" in conf and "hash $bansos_worker consistent;" in conf
    assert conf.count("server 127.0.0.1:86") == 2 and "listen 127.0.0.1:8080;" in conf
    if Path(serve.NGINX).exists():  # nginx itself accepts it
        (tmp_path / "nginx.conf").write_text(conf)
        check = subprocess.run([serve.NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-e",
                                str(tmp_path / "error.log")], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the 302 itself is what is checked
        return None


def test_nginx_sends_a_page_path_with_more_after_it_to_the_page_and_leaves_streamlits_paths(tmp_path):
    """`/wilayah/x` left Streamlit's page blank (its scripts asked for under `/wilayah/`, answered with HTML)."""
    if not Path(serve.NGINX).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is missing in CI: apt-get install -y nginx-light")
        pytest.skip("Debian's nginx is not installed (apt-get install -y nginx-light)")
    site = tmp_path / "site"  # a stand-in for the Streamlit worker: files at Streamlit's own paths
    for path in ("static/js/index.js", "_stcore/health", "media/a.png", "component/x/index.html"):
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text("ok" if path == "_stcore/health" else path)  # serve.wait_healthy reads "ok"
    worker_port, port = _free_port(), _free_port()
    worker = subprocess.Popen([sys.executable, "-m", "http.server", str(worker_port), "--bind", "127.0.0.1",
                               "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = tmp_path / "run"
    run.mkdir()
    (run / "nginx.conf").write_text(serve.nginx_conf(run, "127.0.0.1", port, [worker_port]))
    nginx = subprocess.Popen([serve.NGINX, "-c", str(run / "nginx.conf"), "-p", str(run), "-e",
                              str(run / "error.log"), "-g", "daemon off;"])
    try:
        assert serve.wait_healthy(f"http://127.0.0.1:{port}", 20)
        opener = urllib.request.build_opener(_NoRedirect)
        for asked, page in (("/wilayah/extra?region=34.01&lang=en", "/wilayah?region=34.01&lang=en"),
                            ("/peta/a/b", "/peta"), ("/petaa/x", "/petaa")):
            with pytest.raises(urllib.error.HTTPError) as redirect:
                opener.open(f"http://127.0.0.1:{port}{asked}", timeout=10)
            assert redirect.value.code == 302 and redirect.value.headers["Location"].endswith(page), asked
        for path in ("static/js/index.js", "_stcore/health", "media/a.png", "component/x/index.html"):
            body = opener.open(f"http://127.0.0.1:{port}/{path}", timeout=10).read().decode()
            assert body == ("ok" if path == "_stcore/health" else path), path
    finally:
        nginx.terminate()
        worker.terminate()
        nginx.wait(timeout=15)
        worker.wait(timeout=15)


def test_two_workers_behind_nginx_serve_every_session(published_db):
    if not Path(serve.NGINX).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is missing in CI: apt-get install -y nginx-light")
        pytest.skip("Debian's nginx is not installed (apt-get install -y nginx-light)")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "dashboard.serve", "--workers", "2", "--port", str(port),
                                "--worker-port", str(_free_port())], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                               env={**os.environ, "BANSOS_PUBLISHED_DB": str(published_db)})
    try:
        line = ""
        deadline = time.monotonic() + 90
        while "serving" not in line and time.monotonic() < deadline and process.poll() is None:
            line = process.stdout.readline()
        assert line.startswith(f"serving http://127.0.0.1:{port}"), line
        workers = [int(p) for p in re.search(r"pids ([\d, ]+)\)", line).group(1).split(", ")]
        url = f"http://127.0.0.1:{port}"
        first = urllib.request.urlopen(f"{url}/", timeout=10)
        cookie = first.headers["Set-Cookie"]
        assert cookie.startswith("bansos_worker=") and "HttpOnly" in cookie
        # The same browser (cookie) keeps its value: it stays on one worker.
        request = urllib.request.Request(f"{url}/", headers={"Cookie": cookie.split(";")[0]})
        assert urllib.request.urlopen(request, timeout=10).headers["Set-Cookie"].split(";")[0] == cookie.split(";")[0]
        bench = _bench()
        before = [_cpu_ticks(pid) for pid in workers]
        results, probe, _ = asyncio.run(bench.run(url, 24, 120, None, bench.region_codes(published_db), 1))
        assert all(r.seconds is not None for r in results), [r.error for r in results]
        assert probe.health_max < 10
        assert all(_cpu_ticks(pid) > ticks for pid, ticks in zip(workers, before, strict=True))  # both worked
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
