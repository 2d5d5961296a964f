"""First run: build the demo release with the pipeline's own CLIs in subprocesses, showing progress and stage names.

The dashboard process never imports `data` or `anonymize`: it runs `python -m data generate` and
`python -m anonymize publish` as child processes and reads their progress lines (`generate:  40%|...` from the
generator's bar, `[2/4] write the release and its boundaries ...` from the publisher's stages).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard import i18n
from settings import ROOT, Settings, get_settings

_log = logging.getLogger(__name__)
_STAGE = re.compile(r"^\[(\d+)/(\d+)\] (.+?) \.\.\.$")
_PERCENT = re.compile(r"(\d{1,3})%\|")
#: Share of the progress bar each command takes (generation is the quicker one).
_WEIGHTS = (0.3, 0.7)


@dataclass(frozen=True)
class Command:
    name: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    stage: str = ""
    reason: str = ""
    command: str = ""


def demo_commands(settings: Settings, regions: str | None = None, scale: str | None = None) -> list[Command]:
    """The two commands of the demo build. `regions`/`scale` (env BANSOS_DEMO_REGIONS/SCALE) make it smaller."""
    generate = [sys.executable, "-m", "data", "generate", "--preset", "demo", "--seed", "1",
                "--out", str(settings.raw_db)]
    if regions:
        generate += ["--regions", regions]
    if scale:
        generate += ["--scale", scale]
    publish = [sys.executable, "-m", "anonymize", "publish", "--raw", str(settings.raw_db),
               "--out", str(settings.published_db), "--geo-dir", str(settings.geo_dir)]
    return [Command("generate", tuple(generate)), Command("publish", tuple(publish))]


def parse_progress(line: str, lang: str) -> tuple[float, str] | None:
    """(fraction within one command, stage name in `lang`) from one line of a command's stderr, or None."""
    line = line.strip()
    stage = _STAGE.match(line)
    if stage:
        number, total, name = int(stage.group(1)), int(stage.group(2)), stage.group(3)
        key = f"stage_publish_{number}"
        return (number - 1) / total, i18n.t(key, lang) if key in i18n.TEXT else name
    percent = _PERCENT.search(line)
    if percent and line.startswith("generate"):
        return min(int(percent.group(1)), 100) / 100, i18n.t("stage_generate", lang)
    return None


def overall(step: int, fraction: float) -> float:
    """Progress of the whole build from the command index and the fraction done within it."""
    return min(sum(_WEIGHTS[:step]) + _WEIGHTS[step] * fraction, 1.0)


def _error_reason(lines: list[str]) -> str:
    errors = [line.removeprefix("error:").strip() for line in lines if line.startswith("error:")]
    if errors:
        return errors[-1]
    return next((line for line in reversed(lines) if line.strip()), "exit status not zero")[:300]


def run_build(commands: list[Command], on_progress: Callable[[float, str], object], lang: str) -> Outcome:
    """Run the commands one after the other, reporting progress; stop at the first that fails."""
    for step, command in enumerate(commands):
        stage = i18n.t("stage_starting", lang)
        step_name = i18n.t(f"step_{command.name}", lang)
        on_progress(overall(step, 0.0), f"{step_name}: {stage}")
        lines: list[str] = []
        # Text mode reads tqdm's carriage-return updates as separate lines.
        with subprocess.Popen(command.argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"}) as process:
            for line in process.stderr or ():
                lines.append(line.rstrip())
                parsed = parse_progress(line, lang)
                if parsed:
                    stage = parsed[1]
                    on_progress(overall(step, parsed[0]), f"{step_name}: {stage}")
        if process.returncode != 0:
            shown = " ".join(["python", *command.argv[1:]])
            return Outcome(False, f"{step_name}: {stage}", _error_reason(lines), shown)
    on_progress(1.0, i18n.t("build_done", lang))
    return Outcome(True)


@contextmanager
def _build_lock(published: Path) -> Iterator[None]:
    """One build at a time even if several browser tabs open the fresh dashboard together."""
    published.parent.mkdir(parents=True, exist_ok=True)
    with (published.parent / ".demo-build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: Run in a child process (the dashboard never opens the raw database): how many files were ingested into it.
_COUNT_INGESTED = ("import sys, duckdb\n"
                   "con = duckdb.connect(sys.argv[1], read_only=True)\n"
                   "tables = {r[0] for r in con.execute('SELECT table_name FROM information_schema.tables')"
                   ".fetchall()}\n"
                   "print(con.execute('SELECT count(*) FROM ingested_files').fetchone()[0] "
                   "if 'ingested_files' in tables else 0)\n")


def has_ingested_data(raw_db: Path) -> bool:
    """Whether the raw database holds ingested (real) files; unreadable counts as yes: never risk replacing it."""
    if not raw_db.exists():
        return False
    probe = subprocess.run([sys.executable, "-c", _COUNT_INGESTED, str(raw_db)], capture_output=True, text=True,
                           timeout=60, check=False)
    return probe.returncode != 0 or probe.stdout.strip() != "0"


def may_build(settings: Settings) -> bool:
    """The demo is built only where it can replace nothing: no release (current or kept) and no ingested raw data."""
    published = settings.published_db
    kept = any((published.parent / "releases").glob(f"*/{published.name}"))
    return not published.exists() and not kept and not has_ingested_data(settings.raw_db)


#: Left beside the published database when the first build fails: later visits show the failure instead of
#: starting the same doomed build again (each costs a minute of CPU); the operator removes it to retry.
FAILED_MARKER = ".demo-build-failed"


def failed_marker(settings: Settings) -> Path:
    return settings.published_db.parent / FAILED_MARKER


def render_first_run(lang: str) -> None:
    """Build the demo with a progress bar, then rerun into the dashboard; on failure one clear message and stop.

    The details of a failure (the command and its error) go to the server log, never to the public page."""
    settings = get_settings()
    st.title(i18n.t("build_title", lang))
    if not may_build(settings):
        st.info(i18n.t("build_blocked", lang))
        st.stop()
    marker = failed_marker(settings)
    if marker.exists():
        st.error(i18n.t("build_failed", lang, stage=marker.read_text(encoding="utf-8").strip()))
        st.stop()
    st.write(i18n.t("build_intro", lang))
    bar = st.progress(0.0, text=i18n.t("stage_starting", lang))
    with _build_lock(settings.published_db):
        if settings.published_db.exists():  # another session finished it while we waited
            outcome = Outcome(True)
        else:
            commands = demo_commands(settings, os.environ.get("BANSOS_DEMO_REGIONS"),
                                     os.environ.get("BANSOS_DEMO_SCALE"))
            outcome = run_build(commands, lambda f, text: bar.progress(f, text=text), lang)
    if not outcome.ok:
        _log.error("demo build failed at %s: %s; the command was `%s`; remove %s to let the next visit try again",
                   outcome.stage, outcome.reason, outcome.command, marker)
        marker.write_text(outcome.stage + "\n", encoding="utf-8")
        st.error(i18n.t("build_failed", lang, stage=outcome.stage))
        st.stop()
    time.sleep(0.3)
    st.rerun()
