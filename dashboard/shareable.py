"""One declaration per shareable view (map, trend, gap, profile): its page, its parameters with their options and
defaults, its embed height, and which region it shows. Pages, embeds and share links read parameters through it.

A desa has no months and no map of its own (the release publishes a desa's whole year only): every view that needs
them shows the desa's kecamatan, and `shown_region` is the one place that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dashboard import change, db, i18n, maps, metrics, state
from published_schema import ALL_PROGRAMS, LEVELS, PROGRAM_CHOICES, PROGRAM_CODES, has_months


@dataclass(frozen=True)
class Where:
    """What a view's options depend on: the year shown and its periods, and the level of the region shown."""

    year: str
    periods: tuple[str, ...]
    region_level: str


@dataclass(frozen=True)
class Param:
    """A URL parameter of a view: its valid values and default (fixed, or depending on `Where`)."""

    name: str
    options: tuple[str, ...] | Callable[[Where], tuple[str, ...]]
    default: str | Callable[[Where], str]
    #: Values valid in other views (`level=desa` on the national map): the notice says "does not apply here".
    known: tuple[str, ...] = ()

    def options_for(self, where: Where | None = None) -> list[str]:
        if callable(self.options):
            return list(self.options(self._needs(where)))
        return list(self.options)

    def default_for(self, where: Where | None = None) -> str:
        return self.default(self._needs(where)) if callable(self.default) else self.default

    def _needs(self, where: Where | None) -> Where:
        if where is None:
            raise ValueError(f"the values of parameter {self.name!r} depend on the region shown: pass `where`")
        return where


@dataclass(frozen=True)
class View:
    kind: str
    #: The full page it comes from (`/peta`): an embed links back to it.
    page: str
    #: Height of its embed's iframe before the embed's script reports the real one, measured in Chromium at 1280 and
    #: 390 px wide (the larger of the two, plus a margin: tests/dashboard/test_browser.py checks it still fits).
    embed_height: int
    params: tuple[Param, ...] = ()
    #: Its title's shape (an i18n key with named parts: measure, region, program, period, detail), the same on the
    #: page, in the embed and in exported images.
    title_key: str = ""

    def title(self, lang: str, **parts: str) -> str:
        return i18n.t(self.title_key, lang, **parts)

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


def _map_levels(where: Where) -> tuple[str, ...]:
    return tuple(maps.map_levels(where.region_level))


def _gap_level(where: Where) -> str:
    levels = _map_levels(where)
    return "kecamatan" if "kecamatan" in levels else levels[0]


def _periods(where: Where) -> tuple[str, ...]:
    """The whole year (the default) first, then the months."""
    return (where.year, *[p for p in where.periods if p != where.year])


PROGRAM = Param("program", PROGRAM_CHOICES, ALL_PROGRAMS)
METRIC = Param("metric", metrics.METRICS, metrics.METRICS[0])
NORM = Param("norm", metrics.NORMS, "none")
#: Trends: what the lines are (`by=`, on the page and in an embed).
BREAKDOWN = Param("by", ("program", "channel", "status", "year"), "program")
#: Maps: colour the change since the year before (difference or percent) instead of the level.
CHANGE = Param("change", change.KINDS, "none")
TREND_METRICS = ("recipients", "amount", "ontime", "failed_share")

VIEWS = {
    "map": View("map", "peta", 1100, (
        Param("level", _map_levels, lambda w: _map_levels(w)[0], LEVELS), PROGRAM,
        Param("period", _periods, lambda w: w.year), METRIC, NORM, CHANGE), "title_map"),
    "trend": View("trend", "tren", 680, (
        PROGRAM, Param("metric", TREND_METRICS, TREND_METRICS[0]), NORM, BREAKDOWN), "title_trend"),
    "gap": View("gap", "kesenjangan", 860, (
        Param("level", _map_levels, _gap_level, LEVELS), Param("program", PROGRAM_CODES, PROGRAM_CODES[0]),
        Param("rank", ("gap", "gap_share"), "gap"), Param("top", ("10", "20", "50", "all"), "10")), "title_gap"),
    # Its figures' table above the chart (a desa's own figures: its chart is its kecamatan's months).
    "profile": View("profile", "wilayah", 1400, (), "title_profile"),
}
#: The embed's parameter naming which view it shows (`?embed=true&chart=map`): a chart kind.
CHART = Param("chart", tuple(VIEWS), "map")
#: What links made before the rename call both (`?embed=true&view=map`, `/tren?view=channel`): still read, never
#: written.
LEGACY_NAME = "view"


def embed_params(kind: str, **own: str) -> dict[str, str]:
    """The parameters an embed snippet of this view adds to the page's: which chart, and its own (`by=`)."""
    return {CHART.name: VIEWS[kind].kind, **own}


def full_view_params(kind: str, params: dict[str, Any], by: str | None = None) -> dict[str, Any]:
    """An embed's parameters as its full page reads them (the link back): without the chart kind, and a trend's
    breakdown `by` only when it is not the default."""
    full = {k: v for k, v in params.items() if k not in (CHART.name, BREAKDOWN.name)}
    if kind == "trend" and by not in (None, BREAKDOWN.default_for()):
        full[BREAKDOWN.name] = by
    return full


def read_legacy(param: Param) -> None:
    """Carry an old link's `view=` into `param` (the chart kind of an embed, the breakdown of Trends) unless the
    link also names `param`; an invalid old value gives its notice under the old name."""
    old = state.take(LEGACY_NAME, param.options_for())
    if old is not None and state.current(param.name, None) is None:
        state.set_value(param.name, old)


def shown_region(release_id: str, code: str) -> str:
    """The region a view of months or a map shows for `code`: the region itself, or for a desa (no months, no map
    of its own) its kecamatan."""
    region = db.get_region(release_id, code)
    if region is None or has_months(region["level"]):
        return code
    return region["kecamatan_code"]


def where(release_id: str, year: str, code: str) -> Where:
    """The options of a view of `code` in the published `year` (its months only)."""
    return Where(year, tuple(db.get_periods(release_id, year)), db.level_of_code(code))


def read(param: Param, at: Where | None = None, shown_default: str | None = None) -> Any:
    """The parameter's value from the URL (no widget: embeds), validated with a notice when invalid."""
    default = param.default_for(at)
    return state.get(param.name, param.options_for(at), default, known=param.known, shown_default=shown_default)


def choose(render: Callable[..., Any], param: Param, at: Where, **kwargs: Any) -> Any:
    """A widget bound to the parameter (full pages)."""
    return state.widget(render, param.name, param.options_for(at), param.default_for(at), known=param.known,
                        **kwargs)
