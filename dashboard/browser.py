"""What only the reader's browser knows: the width the page has for a map, and an embed's height for its host page.

Two tiny `st.components.v2` scripts (no iframe, no network): one reports the content width once per session and
again when it changes by a size class (so a map's zoom fits a 390 px phone and a 1280 px screen alike); the other,
in embed mode, tells the page around the iframe how tall the embed is (the snippet's listener sets the height).
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
  const measure = () => {
    const box = parentElement.closest('[data-testid="stMainBlockContainer"]') || parentElement;
    const style = getComputedStyle(box);
    const width = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    let chosen = classes[0];
    for (const c of classes) { if (c <= width) chosen = c; }
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


def content_width() -> int:
    """The page's content width in pixels (a width class; `DEFAULT_WIDTH` until the browser has said)."""
    known = st.session_state.get("_content_width")
    result = _components()[0](key="content_width", data={"classes": list(WIDTH_CLASSES), "current": known},
                              on_width_change=state.carry_notices)  # the rerun it causes keeps URL notices
    width = getattr(result, "width", None) or known
    # Kept beyond the component's own state, which Streamlit drops on a page that does not draw it.
    st.session_state["_content_width"] = width
    return width_class(width)


def known_width() -> int:
    """The width class the browser last reported, without drawing the width component (`DEFAULT_WIDTH` before):
    code above the component on the page reads the report of this run too, not only the previous run's."""
    reported = st.session_state.get("content_width")
    width = reported.get("width") if isinstance(reported, Mapping) else getattr(reported, "width", None)
    return width_class(width or st.session_state.get("_content_width"))


def report_height() -> None:
    """Embed mode: post the embed's content height to the host page whenever it changes."""
    _components()[1](key="embed_height", data={"message": HEIGHT_MESSAGE})
