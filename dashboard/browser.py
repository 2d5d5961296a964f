"""What only the reader's browser knows: the width the page has for a map, and an embed's height for its host page.

Two tiny `st.components.v2` scripts (no iframe, no network): one, drawn before the page on every run, reports the
content width once per session and again when it changes by a size class (so a map's zoom fits a 390 px phone and
a 1280 px screen alike); the other, in embed mode, tells the page around the iframe how tall the embed is (the
snippet's listener sets the height).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from dashboard import state

#: Widths the map's zoom is computed for: a reading rounds down to one of them, so a resize within a class reruns
#: nothing and cached map views stay few. 350: a 390 px phone has 358 px (320 left a tenth of its width unused).
WIDTH_CLASSES = (320, 350, 360, 480, 640, 800, 960, 1200, 1600)
DEFAULT_WIDTH = 700
#: Below this content width tables stack or drop columns (a 390 px phone has about 358 px).
NARROW = 480
HEIGHT_MESSAGE = "bansos-terbuka:height"

_WIDTH_JS = """
export default function({ parentElement, setStateValue, data }) {
  const classes = data.classes;
  const root = document.documentElement;
  // The width class this run's layout was drawn for (null before the first report): with `bansosWidth` below it
  // tells a test (and anyone) that the page has its final layout, `bansosLayout === bansosWidth`, once not running.
  root.dataset.bansosLayout = String(data.current);
  // Nothing to see: the element takes no room (drawn above every page, its gap sat above the title).
  const slot = parentElement.closest('[data-testid="stElementContainer"]');
  if (slot) slot.style.display = 'none';
  const measure = () => {
    const box = document.querySelector('[data-testid="stMainBlockContainer"]') || parentElement;
    const style = getComputedStyle(box);
    const width = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    let chosen = classes[0];
    for (const c of classes) { if (c <= width) chosen = c; }
    root.dataset.bansosWidth = String(chosen);
    if (chosen !== data.current) { data.current = chosen; setStateValue('width', chosen); }
  };
  measure();
  let timer = null;
  const onResize = () => { clearTimeout(timer); timer = setTimeout(measure, 400); };
  window.addEventListener('resize', onResize);
  return () => window.removeEventListener('resize', onResize);
}
"""

_HEIGHT_JS = """
export default function({ data }) {
  if (window.parent === window) return;
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  if (!main) return;
  const send = () => {
    const height = Math.ceil(main.getBoundingClientRect().height);
    window.parent.postMessage({ type: data.message, height: height, src: location.href }, '*');
  };
  send();
  const observer = new ResizeObserver(send);
  observer.observe(main);
  return () => observer.disconnect();
}
"""


@st.cache_resource(show_spinner=False)
def _components():
    """Registered once per process (registering again on every run only logs warnings)."""
    return (st.components.v2.component("bansos_width", js=_WIDTH_JS, isolate_styles=False),
            st.components.v2.component("bansos_height", js=_HEIGHT_JS, isolate_styles=False))


def width_class(pixels: float | None) -> int:
    """The largest width class at most `pixels` (the smallest class for anything narrower)."""
    if pixels is None:
        return DEFAULT_WIDTH
    fitting = [c for c in WIDTH_CLASSES if c <= pixels]
    return fitting[-1] if fitting else WIDTH_CLASSES[0]


def measure() -> None:
    """Draw the width reporter: on every run, after the navigation and before the page (`app.py`), so the report
    of a new session's browser interrupts its first run early instead of rerunning a page drawn whole for
    `DEFAULT_WIDTH` (a phone saw the wide layout for seconds, then the page redrawn). The element takes no room."""
    known = _reported()
    result = _components()[0](key="content_width",
                              data={"classes": list(WIDTH_CLASSES), "current": width_class(known) if known else None},
                              on_width_change=state.carry_notices)  # the rerun it causes keeps URL notices
    # Kept beyond the component's own state (and set by tests that run pages without a browser).
    st.session_state["_content_width"] = getattr(result, "width", None) or known


def content_width() -> int:
    """The page's content width in pixels: the width class the browser reported (`DEFAULT_WIDTH` until it has)."""
    return width_class(_reported())


def _reported() -> int | None:
    """The browser's report as of this run (a report reruns the page and is read from its start)."""
    reported = st.session_state.get("content_width")
    width = reported.get("width") if isinstance(reported, Mapping) else getattr(reported, "width", None)
    return width or st.session_state.get("_content_width")


def report_height() -> None:
    """Embed mode: post the embed's content height to the host page whenever it changes."""
    _components()[1](key="embed_height", data={"message": HEIGHT_MESSAGE})
