"""Page state in the URL query string: read once per link, validated per widget, kept across pages, written back.

Every choice a reader makes (language, region, program, period, metric, normalisation, ...) is a query parameter
so that any view can be shared as a link (and embedded or exported later). The canonical values live in
`st.session_state` (query parameters are cleared when the reader switches page); a widget is seeded from them on
every run and copies its new value back in its `on_change` callback. An invalid value falls back to the default
with a notice, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import streamlit as st

from dashboard import i18n

#: Parameter names Streamlit reserves, or that a later feature (embedding, exports) owns: never touched here.
RESERVED = frozenset({"embed", "embed_options"})
_STORE, _WRITTEN, _RUN, _CARRY = "_url_state", "_url_written", "_url_run", "_url_carry"


@dataclass
class RunState:
    """What one script run declared: parameters with their defaults, and notices about invalid values."""

    defaults: dict[str, Any] = field(default_factory=dict)
    #: (text key, values): `invalid_param` (or `invalid_param_choices`, naming the valid values),
    #: `not_applicable_param` or `too_many_param` with the parameter's name and
    #: the raw URL value (escaped only when shown).
    notices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def parse_query(raw: dict[str, list[str]]) -> dict[str, Any]:
    """Query parameters as stored: one value as a string, a repeated one as a list; reserved names dropped."""
    return {k: (v[0] if len(v) == 1 else list(v)) for k, v in raw.items() if k not in RESERVED and v}


def validate(value: Any, valid: Collection[str] | Callable[[str], bool], default: Any,
             multi: bool = False, max_items: int | None = None) -> tuple[Any, bool]:
    """(value to use, whether the given value was invalid). None means "not given": the default, no notice."""
    if value is None:
        return default, False

    def ok(item: Any) -> bool:
        return isinstance(item, str) and (valid(item) if callable(valid) else item in valid)

    if multi:
        items = [value] if isinstance(value, str) else list(value)
        items = [i for i in dict.fromkeys(items) if i != ""]
        kept = [i for i in items if ok(i)][:max_items]
        return kept, len(kept) != len(items)
    if isinstance(value, list):
        value = value[-1]
    return (value, False) if ok(value) else (default, True)


def to_query(values: dict[str, Any], defaults: dict[str, Any]) -> dict[str, str | list[str]]:
    """The query string for declared parameters whose value differs from the default (clean shareable links)."""
    return {k: v for k, v in values.items() if k in defaults and v != defaults[k] and v not in (None, "", [])}


# --- Streamlit side ---------------------------------------------------------------------------------------------

def _store() -> dict[str, Any]:
    return st.session_state.setdefault(_STORE, {})


def _run() -> RunState:
    return st.session_state.setdefault(_RUN, RunState())


def begin_run() -> None:
    """Called first on every run (by the router): take the URL's values when the URL changed under us."""
    carried = st.session_state.pop(_CARRY, [])
    st.session_state[_RUN] = RunState(notices=list(carried))
    current = parse_query({k: st.query_params.get_all(k) for k in st.query_params})
    # An empty query after a page switch keeps the session's choices; a new link or a back button replaces them.
    if current and current != st.session_state.get(_WRITTEN):
        st.session_state[_STORE] = dict(current)
        st.session_state[_WRITTEN] = current


#: An invalid URL value's notice lists the valid ones when there are at most this many (a year's 13 periods).
LISTED_CHOICES = 13


def notice_for(name: str, raw: Any, default: Any, valid: Collection[str] | Callable[[str], bool],
               known: Collection[str] | Callable[[str], bool] = (), max_items: int | None = None,
               absent: str = "not_applicable_param") -> tuple[str, dict[str, Any]]:
    """Why a URL value was not used: too many values (all valid), valid elsewhere but not here (`known`, a set or
    a test such as "looks like a year": the notice `absent` says so, naming the default), or unknown."""
    items = [raw] if isinstance(raw, str) else list(raw)
    ok = all(valid(i) if callable(valid) else i in valid for i in items if i)
    if max_items is not None and ok and len(items) > max_items:
        return "too_many_param", {"name": name, "limit": max_items}
    shown = ",".join(str(i) for i in items)
    if items and all(known(str(i)) if callable(known) else i in known for i in items):
        return absent, {"name": name, "value": shown, "default": default}
    if not callable(valid) and 0 < len(valid) <= LISTED_CHOICES:
        # A reader who typed `rank=pct` learns what the link takes (`gap, gap_share`), not only that it was wrong.
        return "invalid_param_choices", {"name": name, "value": shown, "choices": ", ".join(map(str, valid))}
    return "invalid_param", {"name": name, "value": shown}


def get(name: str, valid: Collection[str] | Callable[[str], bool], default: Any, multi: bool = False,
        max_items: int | None = None, known: Collection[str] | Callable[[str], bool] = (),
        shown_default: str | None = None, absent: str = "not_applicable_param") -> Any:
    """The current value of a parameter that no widget shows (region, compare list): validated, declared.

    `known`: values that are valid elsewhere (`level=desa` on the national map): the notice `absent` says "does not
    apply" (or "not in this release") rather than "not valid", naming `shown_default` (the default as a reader reads
    it)."""
    value, invalid = validate(_store().get(name), valid, default, multi, max_items)
    run = _run()
    if invalid:
        run.notices.append(notice_for(name, _store().get(name), shown_default or default, valid, known, max_items,
                                      absent))
    run.defaults[name] = default
    _store()[name] = value
    return value


def set_value(name: str, value: Any) -> None:
    """Change a parameter from code (a map click, a breadcrumb); the caller usually reruns."""
    _store()[name] = value


def _copy_back(name: str, options: tuple[str, ...] | None = None) -> None:
    """A widget's new value into the store. With `options` (a choice widget's, as this run drew them), a value that
    is none of them is dropped: Streamlit hands back a select's displayed label when it matches no option, and a
    language switch racing a change sent the other language's label (`rank="Kesenjangan (keluarga)"` in English:
    a walk's finding, once in about 17 switches)."""
    value = st.session_state[f"w_{name}"]
    if options is not None and not is_option(value, options):
        return
    _store()[name] = value


def is_option(value: Any, options: Collection[str]) -> bool:
    """Is a choice widget's value (one, none, or a list from a multiselect) among its `options`?"""
    if value is None:
        return True
    values = value if isinstance(value, list | tuple) else [value]
    return all(str(v) in options for v in values)


def widget(render: Callable[..., Any], name: str, options: Sequence[Any], default: Any,
           known: Collection[str] | Callable[[str], bool] = (), absent: str = "not_applicable_param",
           **kwargs: Any) -> Any:
    """Render a choice widget (selectbox, radio, segmented_control, multiselect) bound to a URL parameter."""
    multi = render is st.multiselect
    format_func = kwargs.get("format_func", str)
    choices = tuple(str(o) for o in options)
    value = get(name, choices, default, multi=multi, max_items=kwargs.get("max_selections"),
                known=known, shown_default=None if multi else str(format_func(default)), absent=absent)
    st.session_state[f"w_{name}"] = value
    result = render(options=options, key=f"w_{name}", on_change=_copy_back, args=(name, choices), **kwargs)
    if result is None or not is_option(result, choices):
        # A segmented control can be cleared, and a select hands back a stale label (see _copy_back): keep the
        # previous choice.
        result = value
    _store()[name] = result
    return result


def text(name: str, default: str = "", max_chars: int = i18n.ECHO_LIMIT, **kwargs: Any) -> str:
    """A text input bound to a URL parameter (any text is valid, cut to `max_chars`: a URL can carry megabytes)."""
    value = str(get(name, lambda _: True, default))[:max_chars]
    _store()[name] = value
    st.session_state[f"w_{name}"] = value
    return st.text_input(key=f"w_{name}", on_change=_copy_back, args=(name,), max_chars=max_chars, **kwargs) or ""


def add_notice(key: str, **values: Any) -> None:
    """A notice about a URL value, shown with the others above the page (its values escaped there)."""
    _run().notices.append((key, values))


def carry_notices() -> None:
    """Keep this run's notices for the next run (before `st.switch_page`, which starts a new run)."""
    st.session_state[_CARRY] = list(_run().notices)


def render_notices(lang: str) -> None:
    for key, values in _run().notices:
        # Every value that came from the URL is escaped (and cut) before it reaches markdown.
        # The valid values are ours, listed whole (a year's 13 periods are longer than a URL value's cut).
        st.warning(i18n.t(key, lang, **{k: i18n.escape(v, limit=400 if k == "choices" else i18n.ECHO_LIMIT)
                                        for k, v in values.items()}))


def write_url() -> None:
    """Put the declared parameters of this run into the URL (removing defaults); keep other parameters."""
    run = _run()
    wanted = to_query(_store(), run.defaults)
    for key in list(st.query_params):
        if key not in RESERVED and key not in wanted:
            del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get_all(key) != ([value] if isinstance(value, str) else list(value)):
            st.query_params[key] = value
    st.session_state[_WRITTEN] = parse_query({k: st.query_params.get_all(k) for k in st.query_params})


def params() -> dict[str, Any]:
    """The parameters declared so far in this run whose value differs from the default (what a link must carry)."""
    return to_query(_store(), _run().defaults)


def query_string(values: dict[str, Any]) -> str:
    """`?a=1&b=2` for a link (repeated keys for lists)."""
    pairs = [(k, item) for k, v in values.items() for item in ([v] if isinstance(v, str) else v)]
    return "?" + urlencode(pairs) if pairs else ""


def current(name: str, default: Any = None) -> Any:
    return _store().get(name, default)


def requested_path() -> str:
    """The page path the browser asked for, URL-decoded and without the server's base path: `/peta?x=1` -> "peta",
    the root -> "" (also outside a browser session)."""
    try:
        url = st.context.url
    except Exception:  # not in a browser session (tests)
        url = None
    path = unquote(urlsplit(url or "").path).strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base):].strip("/")
    return path


def take(name: str, valid: Collection[str]) -> str | None:
    """A one-shot parameter (e.g. `page`): its valid value once, then forgotten; an invalid one gives a notice."""
    value = _store().pop(name, None)
    if value is None:
        return None
    chosen, invalid = validate(value, valid, None)
    if invalid:
        _run().notices.append(notice_for(name, value, None, valid))
    return chosen
