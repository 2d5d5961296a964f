"""Open data: the page and its URL state, the files it offers (source line, encodings, data package, zip that
`anonymize verify` accepts), release pinning and history, and "download what I see" against the published DB."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import openformat
from dashboard import db, export, maps, opendata, panels
from dashboard.components import PageContext
from dashboard.i18n import program_short, t
from published_schema import PROGRAM_CODES

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"


@pytest.fixture
def release_id(published_db) -> str:
    return db.get_release().release_id


@pytest.fixture
def on_chain(chain_db, monkeypatch):
    """The dashboard over two chained releases; returns (older id, newer id)."""
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(chain_db))
    older, newer = sorted(p.name for p in (chain_db.parent / "releases").iterdir())
    return older, newer


def run_app(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at


# --- Files: served from the release folder as publish wrote them ---------------------------------------------------

@pytest.fixture
def deferred(monkeypatch) -> dict[str, object]:
    """file id -> the callable a download button registered (run only when the button is clicked); the name it
    downloads under is in `deferred["names"][file id]`."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    names: dict[str, str | None] = {}
    calls: dict[str, object] = {"names": names}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = original(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        calls[file_id], names[file_id] = data_callable, file_name
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return calls


@pytest.mark.parametrize("fmt", ["csv", "csv_id", "parquet"])
def test_every_download_button_serves_the_file_on_disk(published_db, release_id, deferred, fmt):
    at = run_app(page="data", format=fmt)
    assert not at.exception, at.exception
    folder = db.release_folder(release_id)
    buttons = {b.proto.id.rsplit("-", 1)[-1]: b.proto for b in at.get("download_button")}
    expected = {"zip": opendata.zip_path(release_id), "datapackage": "datapackage.json"}
    expected |= {f"dl_{t}": opendata.table_path(t, fmt) for t in db.get_table_names(release_id)}
    expected |= {f"geo_{level}": opendata.layer_path(level) for level in ("provinsi", "kabupaten", "kecamatan", "desa")}
    expected |= {f"v_{name}": name for name in ("SHA256SUMS", "manifest.json")}
    assert set(expected) <= set(buttons)
    for key, path in expected.items():
        served = deferred[buttons[key].deferred_file_id]()
        assert served == (folder / path).read_bytes(), key
    assert buttons["zip"].deferred_file_id and not at.exception


def test_the_two_csv_flavours_download_under_two_names(published_db, release_id, deferred):
    """The comma CSV and the Excel CSV (`;`, decimal comma) of a table downloaded under one name, so a reader who
    downloaded both kept only the second: the Excel one's name says so, and the page states both names."""
    names = {}
    for fmt in opendata.FORMATS:
        at = run_app(page="data", format=fmt, lang="en")
        assert not at.exception, at.exception
        names[fmt] = {b.proto.id.rsplit("-", 1)[-1]: deferred["names"][b.proto.deferred_file_id]
                      for b in at.get("download_button") if b.proto.id.rsplit("-", 1)[-1].startswith("dl_")}
    tables = db.get_table_names(release_id)
    assert set(names["csv"]) == {f"dl_{table}" for table in tables}
    for table in tables:
        comma, excel, parquet = (names[fmt][f"dl_{table}"] for fmt in opendata.FORMATS)
        assert comma == f"bansos-terbuka-{release_id}-{table}.csv"
        assert excel == f"bansos-terbuka-{release_id}-{table}-excel.csv"
        assert parquet == f"bansos-terbuka-{release_id}-{table}.parquet"
    assert len({name for by_format in names.values() for name in by_format.values()}) == 3 * len(tables)
    # The page names both CSV files, as they download.
    captions = " ".join(c.value for c in at.caption)
    example = names["csv_id"]["dl_disbursement_cells"]
    assert f"`{names['csv']['dl_disbursement_cells']}` (comma)" in captions and f"`{example}` (semicolon" in captions


def test_the_page_builds_no_file_and_reads_none_until_clicked(published_db, monkeypatch):
    """Rendering the page must not read (or build) any data file: only a click does."""
    reads = []
    monkeypatch.setattr(opendata, "read_package_file", lambda *args: reads.append(args) or b"")
    at = run_app(page="data")
    assert not at.exception and reads == []


def test_download_what_i_see_csv_has_numbers_only_and_a_reason(published, release_id):
    ctx = PageContext("en", db.get_release())
    panel = panels.trend_panel(ctx, "34.01.01", "PKH", "recipients", "none", "program")
    view = {"measure": "recipients", "program": "PKH", "region_code": "34.01.01"}
    frame = export.download_frame(panel.plotted, export.SERIES_KEYS, release_id, view)
    back = pd.read_csv(io.BytesIO(openformat.csv_bytes(frame)))
    assert list(back.columns) == ["period", "series", "measure", "program", "region_code", "value", "range_lower",
                                  "range_upper", "status", "source"]
    # The trend names its region, in the same public form as every other file's region codes.
    assert (back["region_code"] == "ID.34.01.01").all() and (back["measure"] == "recipients").all()
    # Lines by program: each row is of its own program (the view's "PKH" is not what the other lines are).
    assert (back["series"] == back["program"].map(lambda code: program_short(code, "en"))).all()
    assert "PKH" in set(back["program"]) and back["period"].astype(str).str.match(r"^\d{4}-\d{2}$").all()
    assert back["value"].dtype.kind in "if"
    assert set(back["status"]) <= {"ok", "hidden", "not_published_at_level", "undefined"}
    assert back.loc[back["status"] != "ok", "value"].isna().all()
    # Only a hidden value has a range (its published one).
    hidden = back["status"] == "hidden"
    assert back.loc[~hidden, ["range_lower", "range_upper"]].isna().all().all()
    assert (back.loc[hidden, "range_lower"] <= back.loc[hidden, "range_upper"]).all()
    # The test release is the generator's: every row says so beside the source line (rows travel without the page).
    assert (back["source"] == f"{opendata.source_line(release_id)} — {openformat.SYNTHETIC_MARK}").all()


# --- The page ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["id", "en"])
def test_open_data_page_renders_every_section(published_db, release_id, lang):
    at = run_app(page="data", lang=lang)
    assert not at.exception, at.exception
    assert at.title[0].value == ("Data terbuka" if lang == "id" else "Open data")
    downloads = at.get("download_button")
    layers = len(db.get_table(release_id, "boundary_sources"))
    # zip, package, tables, layers, SHA256SUMS, manifest (the release is unsigned: no signature files, no key)
    assert len(downloads) == 2 + len(db.get_table_names(release_id)) + layers + 2
    # Every button names what it downloads (a new user found six that all said "Unduh"): the table buttons their
    # file, the end of the name the file downloads under.
    labels = [d.proto.label for d in downloads]
    assert len(set(labels)) == len(labels), labels
    assert {f"{name}.csv" for name in db.get_table_names(release_id)} <= set(labels)
    assert {"batas-provinsi.geojson", "batas-desa.geojson"} <= set(labels)
    text = " ".join(m.value for m in at.markdown)
    assert f"Sumber: bansos-terbuka, rilis {release_id}, CC BY 4.0" in text
    # One expander per table, the first open, each a plain table (long descriptions wrap instead of being cut);
    # no earlier releases' table the page does not offer.
    tables = db.get_table_names(release_id)
    headings = [e.label.replace("\\_", "_") for e in at.expander]      # labels are markdown: `_` escaped
    assert headings[0].startswith("disbursement_cells (") and at.expander[0].proto.expanded
    assert not any(e.proto.expanded for e in at.expander[1:])
    assert all(any(h.startswith(name + " (") for h in headings) for name in tables)
    listed = [h.split(" (")[0] for h in headings]
    assert len(set(listed)) == len(listed) and not [n for n in listed if n.endswith("_earlier") and n not in tables]
    dictionary = at.table[0].value
    assert list(dictionary.columns) == [t("col_column", lang), t("col_unit", lang), t("col_description", lang)]
    assert {"amount", "recipients"} <= set(dictionary.iloc[:, 0])
    assert len(dictionary) == int(headings[0].split("(")[1].split()[0])
    # Units in the page's language only: the Indonesian page showed "keluarga / households".
    units = set(dictionary[t("col_unit", lang)])
    assert ("keluarga" if lang == "id" else "households") in units and not any(" / " in unit for unit in units)
    assert ("households" if lang == "id" else "keluarga") not in units
    assert any(f"unzip bansos-terbuka-{release_id}.zip" in c.value and "sha256sum -c SHA256SUMS" in c.value
               for c in at.code)
    # Readers verify with standard tools; no command of the project's own code is shown to them.
    assert not any("python -m" in c.value for c in at.code)
    assert any(("unsigned" if lang == "en" else "tidak ditandatangani") in m.value for m in at.markdown)


@pytest.mark.parametrize(("unit", "lang", "expected"), [
    ("keluarga / households", "id", "keluarga"), ("keluarga / households", "en", "households"),
    ("keluarga (baris untuk quarantined_rows) / households (rows for quarantined_rows)", "en",
     "households (rows for quarantined_rows)"),
    ("desil", "id", "desil"), ("desil", "en", "decile"), ("Rupiah", "en", "Rupiah"), ("", "id", ""), (None, "en", ""),
])
def test_a_dictionary_unit_is_shown_in_the_page_language(unit, lang, expected):
    assert opendata.unit_text(unit, lang) == expected


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_dictionary_on_the_page_says_how_the_files_write_codes_and_periods(release_id, lang):
    """The database keeps `53.10` and `2025`, the CSVs beside the dictionary `ID.53.10` and `2025-01/2025-12`: a new
    user read the one and found the other."""
    table = opendata.build_dictionary_table(db.get_dictionary(release_id), lang)
    table_col, column_col, description_col = (t(k, lang) for k in ("col_table", "col_column", "col_description"))

    def described(table_name: str, column: str) -> str:
        rows = table[(table[table_col] == table_name) & (table[column_col] == column)]
        return str(rows[description_col].iloc[0])
    assert "ID.53.10" in described("disbursement_cells", "region_code")
    assert "2025-01/2025-12" in described("disbursement_cells", "period")
    assert "ID.53.10" not in described("disbursement_cells", "recipients")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_on_a_phone_the_dictionary_lists_each_tables_columns_and_the_history_stacks(published_db, release_id, lang):
    """At 390 px the dictionary's four columns showed only Tabel and Kolom, and the history's data grid and the
    `unzip` line were cut at the right edge: a phone gets one expander per table listing its columns (name, unit,
    description), the history stacked into three columns, and code blocks that wrap."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["page"], at.query_params["lang"] = "data", lang
    at.session_state["_content_width"] = 390
    at.run()
    assert not at.exception, at.exception
    tables = db.get_table_names(release_id)
    headings = [e.label for e in at.expander]
    assert all(any(h.startswith(opendata.i18n.escape(name) + " (") for h in headings) for name in tables)
    assert [e.proto.expanded for e in at.expander[:2]] == [True, False]  # the first table open, as at 1280
    listed = " ".join(m.value for m in at.markdown)
    unit = "keluarga" if lang == "id" else "households"
    assert f"- `recipients` ({unit}): " in listed and "keluarga / households" not in listed
    assert [list(table.value.columns) for table in at.table] == [
        [t("col_release", lang), t("col_item", lang), t("col_value", lang)]]
    assert not at.dataframe
    assert all(c.proto.wrap_lines for c in at.code)


def test_open_data_url_round_trip_and_bad_params(published_db):
    at = run_app(page="data", format="csv_id", lang="en")
    assert at.query_params.get("format") == "csv_id" and at.query_params.get("lang") == "en"
    assert at.radio(key="w_format").value == "csv_id"
    at = run_app(page="data", format="xls", release="19990101T000000Z")
    assert not at.exception
    notices = re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning)).replace('"', "")
    assert "format=xls" in notices and "19990101T000000Z" in notices
    assert at.radio(key="w_format").value == "csv"
    assert "release" not in at.query_params and "format" not in at.query_params


def test_history_lists_both_releases_with_the_chain(on_chain):
    older, newer = on_chain
    at = run_app(page="data", lang="en")
    history = at.table[-1].value  # plain tables, whose text wraps: the dictionary's (one a table), then the history
    assert history["Release"].tolist() == [newer, older]
    assert history["Chained to the previous release"].tolist() == ["✓", "–"]
    # Its hidden count is the release's (every table and year), and says so: "Hidden 28,470" beside the overview's
    # one year read as a contradiction (a new user's walk).
    assert "Hidden cells (all tables and years)" in history.columns
    assert "October 2025" in history["Changes"].iloc[0] and "December 2025" in history["Changes"].iloc[0]
    # Each manifest's SHA-256 in a code block that wraps (64 characters no table column fits on a phone).
    digests = next(c.value for c in at.code if c.value.startswith(newer))
    assert [line.split("  ")[0] for line in digests.splitlines()] == [newer, older]
    assert all(re.fullmatch(r"[0-9a-f]{64}", line.split("  ")[1]) for line in digests.splitlines())
    at.button(key="verify_now").click().run()
    assert at.success and "intact" in at.success[0].value


def test_the_verdict_follows_the_page_language(on_chain):
    """The result of 'verify now' is a sentence in the page's language, not the checker's English."""
    at = run_app(page="data", lang="id")
    at.button(key="verify_now").click().run()
    text = at.success[0].value
    assert text.startswith("Utuh: rilis ") and "berkas" in text and "intact" not in text


def test_a_pinned_older_release_shows_its_figures_and_a_banner(on_chain):
    older, newer = on_chain
    at = run_app(page="peta", region="34.01", release=older, lang="en")
    assert not at.exception
    assert at.query_params.get("release") == older
    assert any(older in i.value and newer in i.value for i in at.info)
    assert "October 2025" in at.caption[0].value  # freshness of the pinned release
    at.button(key="show_newest").click().run()
    assert "release" not in at.query_params
    assert not any(older in i.value for i in at.info)


# --- Download what I see -------------------------------------------------------------------------------------------

def test_map_csv_is_exactly_the_plotted_values_with_hidden_marked(published, release_id):
    ctx = PageContext("id", db.get_release())
    kecamatan = published.execute("SELECT r.kecamatan_code FROM disbursement_cells c JOIN regions r ON r.code = "
                                  "c.region_code WHERE c.level = 'desa' AND c.program = 'SEMUA' AND c.suppressed "
                                  "ORDER BY 1 LIMIT 1").fetchone()[0]
    panel = panels.map_panel(ctx, kecamatan, "desa", "SEMUA", "2025", "recipients", "none")
    view = {"measure": "recipients", "program": "SEMUA", "period": "2025", "level": "desa", "region_code": kecamatan}
    data = openformat.csv_bytes(export.download_frame(panel.plotted, export.REGION_KEYS, release_id, view))
    back = pd.read_csv(io.BytesIO(data)).set_index("region_code")  # pandas' defaults, as a reader would
    # Each row says what its value is; the map's own region (the kecamatan) is in the file name, not a column.
    assert list(back.columns) == ["name", "measure", "program", "period", "level", "value", "range_lower",
                                  "range_upper", "status", "source"]
    assert (back["measure"] == "recipients").all() and (back["program"] == "SEMUA").all()
    # The year in the open-data files' form (text to every reader), not a bare 2025 that pandas reads as a number.
    through = db.get_release_row(release_id)["data_through"]
    assert (back["period"] == f"2025-01/{through}").all()   # text: a number would never equal it
    assert (back["level"] == "desa").all()
    expected = published.execute("SELECT region_code, suppressed, recipients, recipients_lower, recipients_upper "
                                 "FROM disbursement_cells WHERE level = "
                                 "'desa' AND program = 'SEMUA' AND period = '2025' AND channel = 'SEMUA' AND "
                                 "region_code LIKE ? || '.%'", [kecamatan]).df().set_index("region_code")
    assert set(back.index) == {openformat.public_code(c) for c in expected.index}
    for code, row in expected.iterrows():
        shown = back.loc[openformat.public_code(code)]
        if row["suppressed"]:
            assert pd.isna(shown["value"]) and shown["status"] == "hidden"
            assert (shown["range_lower"], shown["range_upper"]) == (row["recipients_lower"], row["recipients_upper"])
        else:
            assert shown["value"] == row["recipients"] and shown["status"] == "ok"
            assert pd.isna(shown["range_lower"]) and pd.isna(shown["range_upper"])


@pytest.fixture
def served(monkeypatch) -> dict[str, tuple[bytes, str | None]]:
    """URL -> (bytes, file name) of every download button given its bytes ("download what I see")."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    files: dict[str, tuple[bytes, str | None]] = {}
    original = MediaFileManager.add

    def record(self, data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        url = original(self, data, mimetype, coordinates, file_name, is_for_static_download)
        files[url] = (data, file_name)
        return url

    monkeypatch.setattr(MediaFileManager, "add", record)
    return files


def downloaded(at: AppTest, served: dict[str, tuple[bytes, str | None]], key: str) -> tuple[pd.DataFrame, str | None]:
    """The CSV the download button `key` serves, read with pandas' defaults, and the name it downloads under."""
    button = next(b.proto for b in at.get("download_button") if b.proto.id.endswith(f"-{key}"))
    data, name = served[button.url]
    return pd.read_csv(io.BytesIO(data)), name


@pytest.mark.parametrize("program", ["SEMUA", "PKH"])
def test_a_trend_by_program_downloads_the_program_of_each_row(published_db, release_id, served, program):
    """The trends page's CSV said `program` = SEMUA (the picker's value) on every row, though each line by program
    is one program: each row now says its own, and the file is named for all programs whatever the picker holds."""
    at = run_app(page="tren", region="34.01", program=program)  # lines by program: the default breakdown
    assert not at.exception, at.exception
    back, name = downloaded(at, served, "breakdown_csv")
    codes = {program_short(code, "id"): code for code in PROGRAM_CODES}
    assert set(back["program"]) == set(PROGRAM_CODES)  # Kulon Progo has desa: BLT Dana Desa runs there
    assert (back["series"].map(codes) == back["program"]).all()
    with duckdb.connect(str(published_db), read_only=True) as con:
        year = con.execute("SELECT data_year FROM release").fetchone()[0]
    assert name == f"bansos-terbuka-{release_id}-tren-program-recipients-SEMUA-{year}-ID.34.01.csv"
    # The cumulative line and the compared regions are of the picked program.
    for key in ("cumulative_csv", "compare_csv"):
        assert (downloaded(at, served, key)[0]["program"] == program).all(), key


@pytest.mark.parametrize("by", ["channel", "status", "year"])
def test_a_trend_of_one_program_downloads_that_program_on_every_row(published_db, served, by):
    at = run_app(page="tren", region="34.01", program="PKH", by=by)
    assert not at.exception, at.exception
    back, name = downloaded(at, served, "breakdown_csv")
    assert not back.empty and (back["program"] == "PKH").all() and f"-tren-{by}-recipients-PKH-" in str(name)
    if by == "year":    # named for the years its rows hold (it said the picked year while holding every year's)
        years = sorted({end[:4] for period in back["period"].astype(str) for end in period.split("/")})
        span = years[0] if len(years) == 1 else f"{years[0]}-{years[-1]}"
        assert f"-tren-year-recipients-PKH-{span}-ID.34.01.csv" in str(name), (name, years)


def test_a_profile_downloads_the_program_of_each_row(published_db, served):
    """A region's profile draws one line per program: its CSV had no `program` column at all."""
    at = run_app(page="wilayah", region="34.01")
    assert not at.exception, at.exception
    back, _ = downloaded(at, served, "profile_trend_csv")
    codes = {program_short(code, "id"): code for code in PROGRAM_CODES}
    assert set(back["program"]) == set(PROGRAM_CODES) and (back["series"].map(codes) == back["program"]).all()


def test_trend_csv_marks_hidden_months_with_a_status(release_id):
    ctx = PageContext("en", db.get_release())
    panel = panels.trend_panel(ctx, "34.01.01", "PKH", "recipients", "none", "program")
    frame = export.plotted_frame(panel.plotted, export.SERIES_KEYS, release_id)
    assert len(frame) == len(panel.plotted)
    assert (frame["status"] == "ok").eq(frame["value"].notna()).all()


def test_download_names_carry_the_view_so_two_views_never_share_one():
    view = {"measure": export.measure_name("amount", "eligible"), "program": "PKH", "period": "2025-10",
            "level": "desa", "region_code": "34.01"}
    assert export.view_stem("peta", view) == "peta-amount_per_eligible-PKH-2025-10-desa-ID.34.01"
    assert export.measure_name("coverage", "eligible") == "coverage"  # a rate takes no normalisation
    names = {export.view_stem("peta", {**view, **change}) for change in
             ({}, {"measure": "recipients"}, {"program": "SEMUA"}, {"period": "2025"}, {"level": "kecamatan"},
              {"region_code": "34.02"})}
    assert len(names) == 6
    # Nothing but letters, digits, dot, dash and underscore reaches a file name, whatever a parameter holds.
    odd = export.view_stem("tren", {"measure": "a/b c", "program": "../x", "region_code": "ID"})
    assert re.fullmatch(r"[A-Za-z0-9._-]+", odd) and ".." not in odd and "/" not in odd


def test_compare_csv_names_each_line_region(release_id):
    monthly = db.get_monthly(release_id, ("34.01", "34.71"), ("PKH",), str(db.get_release(release_id).data_year))
    # As the trends page passes compared lines: one series per region, its code next to its name.
    series = monthly[["period", "name", "recipients", "region_code"]].rename(
        columns={"name": "series", "recipients": "value"})
    frame = export.plotted_frame(series, export.COMPARE_KEYS, release_id, {"measure": "recipients", "program": "PKH"})
    back = pd.read_csv(io.BytesIO(openformat.csv_bytes(frame)))
    assert set(back["region_code"]) == {"ID.34.01", "ID.34.71"}
    assert (back["program"] == "PKH").all()


def test_an_image_that_chromium_never_draws_is_tried_again_and_then_refused(monkeypatch):
    """kaleido can wait for ever on a Chromium that never answers (a test worker waited 40 minutes under load):
    image_bytes gives each attempt IMAGE_SECONDS, draws once more in a new browser, then raises ImageTimeout
    instead of hanging the download (or the test run)."""
    import threading
    import time

    import plotly.graph_objects as go
    calls = []
    release = threading.Event()

    def to_image(self, **kwargs):
        calls.append(kwargs["format"])
        if len(calls) == 1:
            release.wait(30)        # the first browser never answers (released at the end of the test)
        return b"drawn"
    monkeypatch.setattr(go.Figure, "to_image", to_image)
    monkeypatch.setattr(export, "IMAGE_SECONDS", 0.5)
    monkeypatch.setenv("BROWSER_PATH", export.CHROMIUM)    # the browser check passes where Chromium is absent too
    figure = go.Figure(go.Bar(x=[1], y=[2]))
    start = time.perf_counter()
    assert export.image_bytes(figure, "Sumber: a test", "svg") == b"drawn"
    assert calls == ["svg", "svg"] and time.perf_counter() - start < 5
    calls.clear()
    monkeypatch.setattr(go.Figure, "to_image", lambda self, **kwargs: calls.append(1) or release.wait(30) or b"")
    with pytest.raises(export.ImageTimeout, match="not drawn in 2 x"):
        export.image_bytes(figure, "Sumber: a test", "png")
    assert len(calls) == export.IMAGE_ATTEMPTS
    release.set()


@pytest.mark.slow
def test_chart_and_map_images_carry_the_source_line(release_id):
    if not Path(export.CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    ctx = PageContext("en", db.get_release())
    trend = panels.trend_panel(ctx, "34.01", "SEMUA", "amount", "none", "program")
    citation = opendata.citation(release_id)
    assert export.image_bytes(trend.figure, citation, "png").startswith(b"\x89PNG\r\n\x1a\n")
    panel = panels.map_panel(ctx, "34.01", "kecamatan", "PKH", "2025", "coverage", "none")
    legend = maps.legend_items(panel.edges, str, "en", 10)
    svg = export.image_bytes(maps.build_map_figure(panel.shapes, panel.plotted, panel.edges, legend, panel.title),
                             citation, "svg").decode("utf-8")
    # The source line and, the test release being the generator's, that its figures are synthetic.
    assert opendata.source_line(release_id) in svg and openformat.SYNTHETIC_MARK in svg
    fills = [maps.fill_for(v, s, panel.edges) for v, s in zip(panel.plotted["value"], panel.plotted["status"],
                                                               strict=True)]
    shown = {text for colour, text in legend if colour in fills}
    assert shown and all(text.replace("<", "&#60;") in svg for text in shown)  # the legend names each colour
    assert svg.count('class="trace scatter') >= 2  # a filled trace per colour class


def test_a_signed_release_shows_its_key_id_and_how_to_check_it(published_db, tmp_path, monkeypatch):
    import signing

    copy = tmp_path / "published"
    subprocess.run(["cp", "-a", str(published_db.parent), str(copy)], check=True)  # keeps the current file's link
    folder = next((copy / "releases").iterdir())
    key = signing.generate_keypair(tmp_path / "k.key", folder / signing.PUBLIC_KEY_NAME)
    signing.sign_file(folder / "manifest.json", tmp_path / "k.key", "test")
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(copy / published_db.name))
    at = run_app(page="data", lang="en")
    assert not at.exception, at.exception
    assert any(key.fingerprint in m.value for m in at.markdown)
    assert any("minisign -Vm SHA256SUMS -p publisher.pub" in c.value and "minisign -Vm bansos-terbuka-" in c.value
               for c in at.code)


def test_verify_now_hashes_again_only_when_a_file_changed(on_chain, monkeypatch):
    import os

    import provenance

    hashed = []
    real = provenance.sha256_file
    monkeypatch.setattr(provenance, "sha256_file", lambda path: hashed.append(path) or real(path))
    folders = [db.release_folder(k) for k in db.kept_release_ids()]
    opendata._verify.clear()
    assert opendata.verify_kept(folders).intact and hashed
    hashed.clear()
    assert opendata.verify_kept(folders).intact and not hashed  # a second click: a directory listing only
    target = folders[0] / "README.md"
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 1_000_000))
    assert opendata.verify_kept(folders).intact and hashed


def test_empty_earlier_release_tables_are_not_offered(on_chain, chain_db, tmp_path):
    """The first release of a year has no earlier cells: its `_earlier` tables are not listed for download; a
    release that continues one lists them."""
    import shutil

    from dashboard import queries

    older, newer = on_chain
    releases = chain_db.parent / "releases"
    empty = {}
    for release in (older, newer):
        # A copy: the app in this process may hold the file open with its own connection settings.
        copy = shutil.copy(releases / release / "bansos.duckdb", tmp_path / f"{release}.duckdb")
        con = duckdb.connect(str(copy), read_only=True)
        empty[release] = queries.empty_earlier_tables(con)
        con.close()
    assert empty[older] and all(name.endswith("_earlier") for name in empty[older])
    # Data-quality flags are published for the complete year only: no release holds a year-to-date of them.
    assert list(empty[newer]) == ["quality_cells_earlier"]
    at = run_app(page="data", lang="en", release=older)
    listed = " ".join(m.value for m in at.markdown)
    assert "`disbursement_cells`" in listed
    assert not any(f"`{name}`" in listed for name in empty[older])


def test_a_desa_profile_downloads_its_own_figures(published, published_db, release_id, served):
    """A desa profile's only CSV held its kecamatan's months (a new user's walk): its figures table downloads too,
    one row per program and measure, read with pandas' defaults: the region and period as text, every hidden value
    empty with its published range where it has one, and every published value the database's."""
    desa = published.execute("SELECT region_code FROM disbursement_cells WHERE level = 'desa' AND suppressed "
                             "AND recipients_lower IS NOT NULL ORDER BY region_code LIMIT 1").fetchone()[0]
    at = run_app(page="wilayah", region=desa)
    assert not at.exception, at.exception
    back, name = downloaded(at, served, "profile_figures_csv")
    assert "-profil-angka-" in name and name.endswith(f"ID.{desa}.csv"), name
    assert set(back["region_code"]) == {f"ID.{desa}"} and back["period"].str.fullmatch(r"\d{4}-01/\d{4}-\d{2}").all()
    cells = published.execute("SELECT program, suppressed, recipients, amount, eligible_households, "
                              "registered_households, recipients_lower, recipients_upper FROM disbursement_cells "
                              "WHERE region_code = ? AND period = ? AND channel = 'SEMUA'",
                              [desa, back["period"].iloc[0][:4]]).df().set_index("program")
    hidden = back["status"] == "hidden"
    assert hidden.any() and back.loc[hidden, "value"].isna().all()
    for row in back[back["status"] == "ok"].itertuples():
        if row.measure != "coverage":
            assert row.value == pytest.approx(float(cells.loc[row.program, row.measure]))
    for row in back[hidden & (back["measure"] == "recipients")].itertuples():
        assert (row.range_lower, row.range_upper) == (cells.loc[row.program, "recipients_lower"],
                                                      cells.loc[row.program, "recipients_upper"])
    assert set(back.loc[(back["program"] == "SEMUA") & (back["measure"] == "eligible_households"), "status"]) \
        == {"undefined"}


def test_a_profiles_file_writes_counts_and_rupiah_whole_and_its_coverage_to_four_decimals(published, served):
    """A profile's figures file holds households, Rupiah and coverage in one `value` column: it wrote `10651.0`
    households, `46973525000.0` Rupiah and coverage as `0.8065884134797425` (a walk). Whole numbers are written
    whole, a ratio to export.RATIO_DECIMALS decimals, and pandas' defaults still read the column as numbers."""
    at = run_app(page="wilayah", region="34.01")
    assert not at.exception, at.exception
    button = next(b.proto for b in at.get("download_button") if b.proto.id.endswith("-profile_figures_csv"))
    data, _ = served[button.url]
    text = data.decode("utf-8-sig")
    back = pd.read_csv(io.BytesIO(data))
    assert pd.api.types.is_float_dtype(back["value"])
    shown = back[back["status"] == "ok"]
    whole = shown[shown["measure"] != "coverage"]
    assert len(whole) and (whole["value"] % 1 == 0).all()
    assert not re.search(r",\d+\.0,", text), text[:400]
    coverage = shown[shown["measure"] == "coverage"]
    assert len(coverage) and (coverage["value"].round(export.RATIO_DECIMALS) == coverage["value"]).all()
    cells = published.execute("SELECT program, recipients, eligible_households FROM disbursement_cells WHERE "
                              "region_code = '34.01' AND period = ? AND channel = 'SEMUA' AND NOT suppressed",
                              [back["period"].iloc[0][:4]]).df().set_index("program")
    ratios = [cells.loc[row.program, "recipients"] / cells.loc[row.program, "eligible_households"]
              for row in coverage.itertuples()]
    assert coverage["value"].tolist() == pytest.approx([round(r, export.RATIO_DECIMALS) for r in ratios], abs=1e-12)
    assert coverage["value"].tolist() != ratios     # the ratios have more decimals than the file keeps


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_release_opened_from_its_database_alone_says_what_is_missing_to_the_public(published_db, tmp_path,
                                                                                      monkeypatch, lang):
    """A release served from its database file alone (no package, no kept releases): the page told the public to
    "publish again", still showed how to check a zip it did not offer, and an empty history table read "empty" in
    English on the Indonesian page. The credit line it offers is the one downloads carry (synthetic said)."""
    import shutil

    from openformat import SYNTHETIC_MARK

    alone = tmp_path / "alone" / "bansos.duckdb"
    alone.parent.mkdir()
    shutil.copy(published_db, alone)
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(alone))
    at = run_app(page="data", lang=lang)
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert t("no_package", lang) in captions and t("no_manifest", lang) in captions
    assert not any("unzip" in c.value for c in at.code)
    assert not at.table or all(not table.value.empty for table in at.table)
    intro = " ".join(m.value for m in at.markdown)
    assert SYNTHETIC_MARK in intro  # the test release is the generator's: its credit says so


def test_the_gaps_csv_holds_the_households_its_gap_is_worked_out_from(published_db, served):
    """The coverage-gaps table shows eligible and recipient households beside each gap; its CSV held the gap
    alone (a new user's walk): they are in the file now, whole numbers, empty for a hidden region, and the gap is
    their difference."""
    at = run_app(page="kesenjangan", region="34", level="kecamatan", top="all")
    assert not at.exception, at.exception
    back, _ = downloaded(at, served, "gap_bars_csv")
    assert list(back.columns[:5]) == ["rank", "region_code", "name", "eligible_households", "recipients"]
    ok = back["status"] == "ok"
    assert ok.sum() >= 5 and (back.loc[ok, "measure"] == "gap").all()
    assert (back.loc[ok, "value"] == back.loc[ok, "eligible_households"] - back.loc[ok, "recipients"]).all()
    assert (back.loc[ok, ["eligible_households", "recipients"]] % 1 == 0).all().all()
    assert back.loc[back["status"] == "hidden", ["eligible_households", "recipients"]].isna().all().all()
    # The page names each kecamatan's kabupaten beside it; the file keeps the region's own name (its code says where).
    assert not back["name"].str.contains(" — ").any() and back["name"].str.len().gt(0).all()


@pytest.mark.parametrize("params", [{"page": "peta"}, {"embed": "true", "chart": "gap"}])
def test_a_link_pinned_to_the_release_served_from_its_database_alone_shows_it_without_a_warning(
        published_db, tmp_path, monkeypatch, params):
    """A walk pasted the embed snippets of a release served from its database alone: every one, and every link
    pinned with `release=`, opened with "Rilis ... tidak (lagi) disimpan", naming the release it showed (no kept
    releases folder). The current release pins itself; an id that is neither current nor kept still warns."""
    import shutil

    alone = tmp_path / "alone" / "bansos.duckdb"
    alone.parent.mkdir()
    shutil.copy(published_db, alone)
    monkeypatch.setenv("BANSOS_PUBLISHED_DB", str(alone))
    with duckdb.connect(str(alone), read_only=True) as con:
        current = con.execute("SELECT release_id FROM release").fetchone()[0]
    at = run_app(**params, release=current)
    assert not at.exception, at.exception
    assert not [w.value for w in at.warning], [w.value for w in at.warning]
    gone = run_app(**params, release="20000101T000000Z")
    assert not gone.exception, gone.exception
    assert any("20000101T000000Z" in w.value for w in gone.warning), [w.value for w in gone.warning]


def test_two_years_of_one_view_download_under_two_names(published_db, served):
    """A walk downloaded Beranda's monthly Rupiah, the trends and a profile's months for 2024 and for 2025: each
    pair came under one name (the year was not in it), and the second file overwrote the first."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        years = [str(y) for (y,) in con.execute("SELECT DISTINCT period FROM disbursement_cells "
                                                 "WHERE length(period) = 4 ORDER BY 1 DESC LIMIT 2").fetchall()]
    assert len(years) == 2, years
    views = (("beranda", {"region": "34.01"}, ("sparkline_csv",)),
             ("tren", {"region": "34.01"}, ("breakdown_csv", "cumulative_csv", "compare_csv")),
             ("wilayah", {"region": "34.01"}, ("profile_trend_csv",)))
    for page, params, keys in views:
        names = {}
        for year in years:
            at = run_app(page=page, year=year, **params)
            assert not at.exception, at.exception
            for key in keys:
                back, name = downloaded(at, served, key)
                assert f"-{year}-" in str(name) and not back.empty, (page, key, name)
                names.setdefault(key, set()).add(name)
        assert all(len(both) == 2 for both in names.values()), (page, names)
