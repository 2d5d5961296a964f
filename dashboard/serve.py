"""`python -m dashboard.serve`: the dashboard as several Streamlit processes behind Debian's nginx (a public server).

    python -m dashboard.serve --workers 2 --port 8080                   # http://127.0.0.1:8080
    python -m dashboard.serve --workers 4 --port 80 --address 0.0.0.0   # on the open internet

One Python process runs one page at a time (the interpreter lock), so a second processor needs a second process.
This starts `--workers` copies of `streamlit run app.py` on loopback ports and nginx in front of them. nginx keeps each
browser on one process (sticky sessions: a `bansos_worker` cookie chosen on the first request and hashed to a
process), passes websockets through, and is the only listener on `--address`. Ctrl-C or SIGTERM stops them all.
`streamlit run app.py` stays the one-command default for one machine and a few hundred visitors.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX = "/usr/sbin/nginx"

NGINX_CONF = """\
worker_processes auto;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    server_tokens off;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # Sticky sessions in open-source nginx: a browser without the cookie gets a random one (this request's id), and
    # the same value always hashes to the same Streamlit process.
    map $cookie_bansos_worker $bansos_worker {{ "" $request_id; default $cookie_bansos_worker; }}
    upstream dashboard {{
        hash $bansos_worker consistent;
{servers}
    }}
    server {{
        listen {address}:{port};
        # A path of two segments or more (`/wilayah/x`: an old link, one cut in a chat app) is sent to its first:
        # Streamlit would answer it with its page, whose scripts the browser then asks for under `/wilayah/`, get
        # that page again and stay blank. Streamlit's own paths of several segments are left alone.
        location ~ "^/(?!(?:static|_stcore|media|component|app|auth)/)([^/]+)/." {{
            return 302 /$1$is_args$args;
        }}
        location / {{
            proxy_pass http://dashboard;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1d;
            proxy_buffering off;
            add_header Set-Cookie "bansos_worker=$bansos_worker; Path=/; HttpOnly; SameSite=Lax" always;
        }}
    }}
}}
"""


def nginx_conf(run: Path, address: str, port: int, worker_ports: list[int]) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in worker_ports)
    return NGINX_CONF.format(run=run, address=address, port=port, servers=servers)


def wait_healthy(url: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            # S310: http URL of our own server.
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":  # noqa: S310
                return True
        except OSError:
            time.sleep(0.25)
    return False


def start_workers(count: int, first_port: int) -> list[tuple[int, subprocess.Popen]]:
    workers = []
    for port in range(first_port, first_port + count):
        process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                    "--server.port", str(port), "--server.address", "127.0.0.1"], cwd=ROOT)
        workers.append((port, process))
    return workers


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="Streamlit processes (default: cores)")
    parser.add_argument("--port", type=int, default=8080, help="the port nginx listens on (default 8080)")
    parser.add_argument("--address", default="127.0.0.1", help="the address nginx listens on (0.0.0.0: everyone)")
    parser.add_argument("--worker-port", type=int, default=8601, help="the first worker's loopback port")
    parser.add_argument("--nginx", default=NGINX, help="nginx binary (Debian: apt-get install nginx-light)")
    args = parser.parse_args(argv)
    if not shutil.which(args.nginx):
        print(f"error: {args.nginx} not found; install Debian's nginx (apt-get install -y nginx-light).",
              file=sys.stderr)
        return 2
    run = Path(tempfile.mkdtemp(prefix="bansos-serve-"))
    workers = start_workers(args.workers, args.worker_port)
    processes = [p for _, p in workers]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        for port, process in workers:
            if not wait_healthy(f"http://127.0.0.1:{port}"):
                print(f"error: the worker on port {port} did not start (exit {process.poll()}).", file=sys.stderr)
                return 2
        conf = run / "nginx.conf"
        conf.write_text(nginx_conf(run, args.address, args.port, [p for p, _ in workers]), encoding="utf-8")
        nginx = subprocess.Popen([args.nginx, "-c", str(conf), "-p", str(run), "-e", str(run / "error.log"),
                                  "-g", "daemon off;"])
        processes.append(nginx)
        # S104: a comparison.
        if not wait_healthy(f"http://127.0.0.1:{args.port}" if args.address in ("0.0.0.0", "127.0.0.1")  # noqa: S104
                            else f"http://{args.address}:{args.port}", 20):
            print(f"error: nginx did not start; see {run / 'error.log'}.", file=sys.stderr)
            return 2
        pids = ", ".join(str(p.pid) for _, p in workers)
        print(f"serving http://{args.address}:{args.port}: {args.workers} Streamlit workers (pids {pids}) behind "
              f"nginx (pid {nginx.pid}), sticky sessions; Ctrl-C stops all", flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        print("error: a process stopped; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
