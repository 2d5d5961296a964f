"""First run: build the demo release with the pipeline's own CLIs in subprocesses, showing progress and stage names.

The dashboard process never imports `data` or `anonymize`: it runs `python -m data generate` and
`python -m anonymize publish` as child processes and reads their progress lines (`generate:  40%|...` from the
generator's bar, `[2/5] write the release and its boundaries ...` from the publisher's stages, and `year 2023
protected (2 of 4)` from inside its first stage, which takes most of its time).

The build runs in a thread of the server process, not in the script run of the visitor who started it: it finishes
when that visitor leaves, and every page (of any server process) watches it through a progress file beside the release.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import streamlit as st
from streamlit.logger import get_logger

from dashboard import i18n
from locking import is_held
from settings import ROOT, Settings, get_settings

#: The server's log (Streamlit's handler and level, so the terminal that runs `streamlit run` shows it); it also
#: propagates, to whatever handler the root has (none under Streamlit; pytest's caplog).
_log = get_logger(__name__)
_log.propagate = True
_STAGE = re.compile(r"^\[(\d+)/(\d+)\] (.+?) \.\.\.$")
_PERCENT = re.compile(r"(\d{1,3})%\|")
_YEAR_DONE = re.compile(r"^year (\d{4}) protected \((\d+) of (\d+)\)$")
_YEARS = re.compile(r"^protecting ([\d, ]+): \d+ year\(s\) at once$")
_YEAR_CELLS = re.compile(r"^(?:\d{4} )?year (\d{4}): ([\d,]+) cells in (\d+) tables to protect$")
_TABLE_DONE = re.compile(r"^(?:\d{4} )?year (\d{4}): ([\d,]+) cells protected \((\d+) of (\d+) tables\)$")
_TABLE_START = re.compile(r"^(\d{4}) protecting \w+ \(([\d,]+) cells\)$")
_TABLE_STEP = re.compile(r"^(\d{4})\s+\w+ (?:round|un-hide) \d+:")
#: Share of a table in protection credited per round or un-hide line, of what is left below _STEP_CAP: a table's
#: number of rounds is not known ahead (the demo's disbursement table takes about ten such lines, minutes apart).
_STEP_SHARE, _STEP_CAP = 0.2, 0.9
#: Share of the progress bar each command takes (measured on the demo: generation ~40 s, publishing ~10 min).
_WEIGHTS = (0.1, 0.9)
#: Share of publishing its first stage takes (aggregate and protect every year: ~95% of its time on the demo);
#: the later stages share the rest evenly.
_FIRST_STAGE = 0.85


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
    #: The command was stopped from outside (Ctrl-C in the terminal that runs the server, a service stop), not
    #: failed: nothing is wrong with the build, so the next visit starts it again (see INTERRUPTED_EXITS).
    interrupted: bool = False


#: Exit statuses of a command stopped from outside: our CLIs' status for Ctrl-C (cli.py), and a signal's negative
#: status from subprocess for SIGHUP, SIGINT and SIGTERM. SIGKILL is not among them: the kernel's out-of-memory
#: killer sends it, and a build that will be killed again must not restart on every visit.
INTERRUPTED_EXITS = frozenset({130, -1, -2, -15})


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


#: The build's commands, in order (`demo_commands`): the bar's text numbers them.
STEPS = ("generate", "publish")


@dataclass(frozen=True)
class Progress:
    """Where a build is, in no language (the watching page words it in its reader's): the fraction of the whole
    build, the command (`generate`/`publish`) and the stage's text key (its English name when it has none)."""

    fraction: float
    step: str
    stage: str
    #: The stage text's placeholders (`stage_publish_year`: year, done, total).
    values: dict[str, int] = field(default_factory=dict)
    #: Details under the bar, one per year in protection, in year order: (text key, its placeholders).
    parts: tuple[tuple[str, dict[str, int]], ...] = ()
    #: When the build began (seconds since the epoch; 0 when unknown): every watcher shows the same elapsed time,
    #: whichever process or visit started it.
    started: float = 0.0

    def text(self, lang: str) -> str:
        """The bar's text: which of the build's steps, and its stage (`Langkah 2 dari 2 · Penerbitan: ...`)."""
        if self.step == "done":
            return i18n.t("build_done", lang)
        stage = i18n.t(self.stage, lang, **self.values) if self.stage in i18n.TEXT else self.stage
        number = STEPS.index(self.step) + 1 if self.step in STEPS else 0
        head = i18n.t(f"step_{self.step}", lang)
        if number:
            head = i18n.t("build_step", lang, number=number, total=len(STEPS), name=head)
        return f"{head}: {stage}"

    def details(self, lang: str) -> str:
        """What each year in protection is at, under the bar (a year's tables and the round of the one in
        protection), or "" when there is nothing finer than the bar's text."""
        return "; ".join(i18n.t(key, lang, **values) for key, values in self.parts)


def parse_progress(line: str) -> tuple[float, str, dict[str, int]] | None:
    """(fraction within one command, stage text key or name, the text's values) from one line of a command's
    stderr, or None."""
    line = line.strip()
    stage = _STAGE.match(line)
    if stage:
        number, total, name = int(stage.group(1)), int(stage.group(2)), stage.group(3)
        key = f"stage_publish_{number}"
        return stage_start(number, total), key if key in i18n.TEXT else name, {}
    year = _YEAR_DONE.match(line)
    if year:
        done, total = int(year.group(2)), int(year.group(3))
        values = {"year": int(year.group(1)), "done": done, "total": total}
        return _FIRST_STAGE * min(done / max(total, 1), 1.0), "stage_publish_year", values
    percent = _PERCENT.search(line)
    if percent and line.startswith("generate"):
        return min(int(percent.group(1)), 100) / 100, "stage_generate", {}
    return None


class YearsProgress:
    """The first publishing stage's progress between its "year N protected" lines, which on the demo come minutes
    apart (four years, two at a time: the bar sat at 10% for five minutes): each year's share is the share of its
    cells in tables already protected (`year 2023: 1,234 cells protected (2 of 4 tables)`), plus part of the table
    in protection for each of its rounds (`2023   disbursement_cells round 3: ...`): the demo's first table is 92%
    of a year's cells and took minutes, during which the bar stood still.

    Fed every stderr line of the publish command; `feed` returns the stage's fraction and the progress's text (its
    key, values and one part per year in protection) when a line moves it. The text names every year in protection
    at once, in year order: the years protected side by side write their lines in turn, and a text of the last
    line's year alone flipped between them every few seconds."""

    def __init__(self) -> None:
        self.years = 0
        self.cells: dict[int, int] = {}
        self.tables: dict[int, int] = {}
        self.protected: dict[int, int] = {}
        self.done: dict[int, int] = {}
        #: Per year, the table in protection: its cells and the round or un-hide lines seen for it.
        self.current: dict[int, tuple[int, int]] = {}
        self.finished: set[int] = set()

    def feed(self, line: str) -> tuple[float, str, dict[str, int], tuple[tuple[str, dict[str, int]], ...]] | None:
        if not self._read(line.strip()) or not self.years:
            return None
        values = {"done": len(self.finished), "total": self.years}
        return self._fraction(), "stage_publish_years", values, self.parts()

    def _read(self, line: str) -> bool:
        """Take in one line; whether it was one of this stage's."""
        if match := _YEARS.match(line):
            self.years = len([y for y in match.group(1).split(",") if y.strip()])
        elif match := _YEAR_CELLS.match(line):
            self.cells[int(match.group(1))] = int(match.group(2).replace(",", ""))
            self.tables[int(match.group(1))] = int(match.group(3))
        elif match := _TABLE_START.match(line):
            self.current[int(match.group(1))] = (int(match.group(2).replace(",", "")), 0)
        elif match := _TABLE_STEP.match(line):
            year = int(match.group(1))
            if year not in self.current:
                return False
            cells, steps = self.current[year]
            self.current[year] = (cells, steps + 1)
        elif match := _TABLE_DONE.match(line):
            year = int(match.group(1))
            self.protected[year] = int(match.group(2).replace(",", ""))
            self.done[year] = int(match.group(3))
            self.current.pop(year, None)
        elif match := _YEAR_DONE.match(line):
            self.finished.add(int(match.group(1)))
        else:
            return False
        return True

    def parts(self) -> tuple[tuple[str, dict[str, int]], ...]:
        """One text per year begun and not yet protected, in year order: the table in protection and its step, or
        the tables done."""
        out = []
        for year in sorted(set(self.cells) - self.finished):
            done, total = self.done.get(year, 0), self.tables.get(year, 0)
            steps = self.current.get(year, (0, 0))[1]
            if year in self.current or not done:
                key = "stage_year_round" if steps else "stage_year_table"
                out.append((key, {"year": year, "table": done + 1, "total": total, "step": steps}))
            else:
                out.append(("stage_year_tables", {"year": year, "done": done, "total": total}))
        return tuple(out)

    def _fraction(self) -> float:
        shares = float(len(self.finished))
        for year in (set(self.protected) | set(self.current)) - self.finished:
            cells, steps = self.current.get(year, (0, 0))
            partial = cells * _STEP_CAP * (1 - (1 - _STEP_SHARE) ** steps)
            shares += min((self.protected.get(year, 0) + partial) / max(self.cells.get(year, 1), 1), 1.0)
        # A year's own "protected" line comes after its tables: stop short of it until every year has said it.
        return _FIRST_STAGE * min(shares / self.years, 1.0 if len(self.finished) >= self.years else 0.999)


def stage_start(number: int, total: int) -> float:
    """Where stage `number` of `total` starts within its command: the first takes _FIRST_STAGE, the rest share
    what is left."""
    if number <= 1 or total <= 1:
        return 0.0
    return _FIRST_STAGE + (1 - _FIRST_STAGE) * (number - 2) / (total - 1)


def overall(step: int, fraction: float) -> float:
    """Progress of the whole build from the command index and the fraction done within it."""
    return min(sum(_WEIGHTS[:step]) + _WEIGHTS[step] * fraction, 1.0)


def _error_reason(lines: list[str]) -> str:
    errors = [line.removeprefix("error:").strip() for line in lines if line.startswith("error:")]
    if errors:
        return errors[-1]
    return next((line for line in reversed(lines) if line.strip()), "exit status not zero")[:300]


class _ServerLog:
    """A command's output lines into the server log, prefixed with the command: every line but a progress bar's
    redraws (a dozen a second), of which it logs one per tenth of the bar."""

    def __init__(self, name: str) -> None:
        self.name, self.tenth = name, -1

    def write(self, line: str) -> None:
        line = line.strip()
        percent = _PERCENT.search(line)
        if percent:
            tenth = int(percent.group(1)) // 10
            if tenth <= self.tenth:
                return
            self.tenth = tenth
        if line:
            _log.info("demo build, %s: %s", self.name, line)


def run_build(commands: list[Command], on_progress: Callable[[Progress], object]) -> Outcome:
    """Run the commands one after the other, reporting progress; stop at the first that fails. The outcome's stage
    is in English (the server log's language); pages word a failure from the marker's stage."""
    for step, command in enumerate(commands):
        stage = "stage_starting"
        on_progress(Progress(overall(step, 0.0), command.name, stage))
        lines: list[str] = []
        years, furthest = YearsProgress(), overall(step, 0.0)
        # Text mode reads tqdm's carriage-return updates as separate lines. Stdout (the command's summary line) and
        # stderr (its progress) in one pipe, in order, each line to the server log too: the first run's progress
        # showed on the page only, and an operator watching the terminal saw nothing for minutes.
        with subprocess.Popen(command.argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"}) as process:
            logged = _ServerLog(command.name)
            for line in process.stdout or ():
                lines.append(line.rstrip())
                logged.write(line)
                parsed = parse_progress(line)
                years_moved = years.feed(line)
                if parsed and not parsed[2]:
                    stage = parsed[1]  # a failure names the stage, not the last year done (the marker keeps no values)
                if years_moved:
                    # Every year in protection in one stable text; the bar never goes back ("year 2022 protected
                    # (1 of 4)" counts whole years only, while the tables of the year beside it may have moved it).
                    furthest = max(furthest, overall(step, max(years_moved[0], parsed[0] if parsed else 0.0)))
                    on_progress(Progress(furthest, command.name, years_moved[1], years_moved[2], years_moved[3]))
                elif parsed:
                    furthest = max(furthest, overall(step, parsed[0]))
                    on_progress(Progress(furthest, command.name, parsed[1], parsed[2]))
        if process.returncode != 0:
            shown = " ".join(["python", *command.argv[1:]])
            interrupted = process.returncode in INTERRUPTED_EXITS
            reason = f"stopped (exit status {process.returncode})" if interrupted else _error_reason(lines)
            return Outcome(False, f"{command.name}|{stage}", reason, shown, interrupted)
    on_progress(Progress(1.0, "done", "build_done"))
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
#: starting the same doomed build again (each costs a minute of CPU); the operator removes it to retry. A build
#: stopped from outside (Outcome.interrupted) leaves none.
FAILED_MARKER = ".demo-build-failed"
#: The running build's progress (JSON of `Progress`), read by every page that watches it, in any server process.
PROGRESS_FILE = ".demo-build-progress.json"
#: How often a watching page reads the progress.
POLL_SECONDS = 0.5


def failed_marker(settings: Settings) -> Path:
    return settings.published_db.parent / FAILED_MARKER


def failed_stage(marker: Path, lang: str) -> str:
    """The stage a failed build stopped at, in the reader's language (the marker holds `command|stage key`)."""
    text = marker.read_text(encoding="utf-8").strip()
    step, _, stage = text.partition("|")
    return Progress(0.0, step, stage).text(lang) if stage else text


def progress_file(settings: Settings) -> Path:
    return settings.published_db.parent / PROGRESS_FILE


def read_progress(settings: Settings, before: Progress | None = None) -> Progress:
    """The running build's last progress (from any server process); when there is none, `before` (what the page
    showed: the build removes the file as it ends, and its watchers' bar and time must not fall back to zero), or
    "starting" before the build wrote one."""
    try:
        return Progress(**json.loads(progress_file(settings).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return before or Progress(0.0, "generate", "stage_starting")


def _write_progress(path: Path, progress: Progress) -> None:
    """Atomically: a page reading it meanwhile sees the old or the new progress, never half of one."""
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(asdict(progress)), encoding="utf-8")
    partial.replace(path)


def is_building(settings: Settings) -> bool:
    """Whether a build holds the lock, in this server process or another (an nginx set-up runs several)."""
    return is_held(settings.published_db.parent / ".demo-build.lock")


def _build(settings: Settings) -> None:
    """The build itself, in the server's own thread: it goes on when the visitor who started it leaves."""
    marker, progress = failed_marker(settings), progress_file(settings)
    with _build_lock(settings.published_db):
        if settings.published_db.exists() or marker.exists():  # another process finished (or failed) meanwhile
            return
        commands = demo_commands(settings, os.environ.get("BANSOS_DEMO_REGIONS"), os.environ.get("BANSOS_DEMO_SCALE"))
        # A server killed during an earlier build left that build's last progress: watchers of this one would see
        # it (say 60%) until this build's first line.
        started = time.time()
        _write_progress(progress, Progress(0.0, "generate", "stage_starting", started=started))
        try:
            outcome = run_build(commands, lambda reported: _write_progress(
                progress, replace(reported, started=started)))
        except Exception as error:  # a crash of the builder must leave the marker, or every visit would wait forever
            outcome = Outcome(False, "generate|stage_starting", repr(error), "")
        if outcome.interrupted:
            # A server stopped with Ctrl-C stops its build too: that is no failure to show on every later visit.
            _log.warning("demo build stopped at %s (%s); the next visit starts it again", outcome.stage,
                         outcome.reason)
        elif not outcome.ok:
            _log.error("demo build failed at %s: %s; the command was `%s`; remove %s to let the next visit try again",
                       outcome.stage, outcome.reason, outcome.command, marker)
            marker.write_text(outcome.stage + "\n", encoding="utf-8")
        else:
            _log.info("demo build done: the dashboard now shows %s", settings.published_db)
        progress.unlink(missing_ok=True)


_builders: dict[Path, threading.Thread] = {}
_builders_lock = threading.Lock()


def start_build(settings: Settings) -> threading.Thread:
    """The process's build thread for this release path, started once however many visitors arrive together."""
    with _builders_lock:
        thread = _builders.get(settings.published_db)
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=_build, args=(settings,), name="demo-build", daemon=True)
            thread.start()
            _builders[settings.published_db] = thread
        return thread


def watch_caption(progress: Progress, lang: str, now: float) -> str:
    """The line under the bar: how long the build has run (it moves while the bar waits minutes for a protection
    round) and what each year in protection is at."""
    parts = []
    if progress.started:
        minutes, seconds = divmod(max(int(now - progress.started), 0), 60)
        parts.append(i18n.t("build_elapsed", lang, minutes=minutes, seconds=seconds))
    if details := progress.details(lang):
        parts.append(details[0].upper() + details[1:])
    return ". ".join(parts)


def render_first_run(lang: str) -> None:
    """Start the demo build (once per server, owned by the server process), show its progress to whoever watches,
    then rerun into the dashboard; on failure one clear message and stop.

    A visitor who closes the tab stops only their own watching: the build goes on. The details of a failure (the
    command and its error) go to the server log, never to the public page."""
    settings = get_settings()
    st.title(i18n.t("build_title", lang))
    marker = failed_marker(settings)
    if marker.exists():
        st.error(i18n.t("build_failed", lang, stage=failed_stage(marker, lang)))
        st.stop()
    thread = None
    if not is_building(settings):
        if not may_build(settings):
            st.info(i18n.t("build_blocked", lang))
            st.stop()
        thread = start_build(settings)
    st.write(i18n.t("build_intro", lang))
    # A markdown link opens a new tab (Streamlit's rule for its links); a plain HTML one opens in this tab, and
    # this one only changes the language. Each language links to the other (the English page had no way back).
    other = "en" if lang != "en" else "id"
    st.html(f'<a href="?lang={other}">{html.escape(i18n.t("build_in_other", other))}</a>')
    bar = st.progress(0.0, text=i18n.t("stage_starting", lang))
    below = st.empty()
    # Watch until the release appears or the build stops (this process's thread, or another process's lock).
    progress = None
    while not settings.published_db.exists() and not marker.exists():
        progress = read_progress(settings, progress)
        bar.progress(progress.fraction, text=progress.text(lang))
        below.caption(watch_caption(progress, lang, time.time()))
        if (thread is not None and not thread.is_alive()) or (thread is None and not is_building(settings)):
            break
        time.sleep(POLL_SECONDS)
    if not settings.published_db.exists():
        if not marker.exists():  # stopped from outside, not failed: a reload starts it again
            st.warning(i18n.t("build_stopped", lang))
            st.stop()
        st.error(i18n.t("build_failed", lang, stage=failed_stage(marker, lang)))
        st.stop()
    bar.progress(1.0, text=i18n.t("build_done", lang))
    time.sleep(0.3)
    st.rerun()
