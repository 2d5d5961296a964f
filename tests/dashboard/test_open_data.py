"""Open data: the page and its URL state, the files it offers (source line, encodings, data package, zip that
`anonymize verify` accepts), release pinning and history, and "download what I see" against the published DB."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import db, export, maps, opendata, panels
from dashboard.components import PageContext
from dashboard.i18n import hidden_label

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
CELL_TABLES = ("disbursement_cells", "complaint_cells", "proposal_cells", "quality_cells")


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


# --- Files -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "csv_id"])
def test_csv_has_a_bom_the_source_line_and_reads_back_as_the_table(published, release_id, fmt):
    table = db.get_table(release_id, "disbursement_cells")
    data = opendata.csv_bytes(table, release_id, fmt)
    assert data.startswith(b"\xef\xbb\xbf# Sumber: bansos-terbuka, rilis " + release_id.encode() + b", CC BY 4.0\r\n")
    header = data.decode("utf-8-sig").splitlines()[1]
    assert header.split(";" if fmt == "csv_id" else ",")[:3] == ["region_code", "level", "program"]
    back = opendata.read_csv(data, fmt)
    expected = published.execute("SELECT * FROM disbursement_cells").df()
    assert len(back) == len(expected)
    pd.testing.assert_series_equal(back["amount"].astype("Float64"), expected["amount"].astype("Float64"),
                                   check_names=False)


def test_hidden_cells_stay_hidden_in_every_download(release_id):
    """The guarantee, on the files: a hidden cell carries no value in any measure column."""
    for name in CELL_TABLES:
        back = opendata.read_csv(opendata.csv_bytes(db.get_table(release_id, name), release_id), "csv")
        measures = back.columns[list(back.columns).index("suppressed") + 1:]
        hidden = back[back["suppressed"].astype(str) == "True"]
        assert len(hidden) > 0 or name == "quality_cells"
        assert hidden[measures].isna().all().all(), name


def test_parquet_and_geojson_carry_the_source_line(release_id):
    parquet = pq.read_table(io.BytesIO(opendata.parquet_bytes(db.get_table(release_id, "regions"), release_id)))
    assert parquet.schema.metadata[b"source"].decode() == opendata.source_line(release_id)
    assert parquet.num_rows == len(db.get_table(release_id, "regions"))
    layer = db.get_boundary_layer(release_id, "kecamatan")
    geo = json.loads(opendata.geojson_bytes(layer, "kecamatan", db.get_boundary_source(release_id, "kecamatan"),
                                            release_id))
    assert geo["source"] == opendata.source_line(release_id)
    assert len(geo["features"]) == layer["code"].nunique() > 0
    assert geo["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_datapackage_describes_every_file_with_types_units_licences_and_hashes(release_id):
    files = opendata.get_package_files(release_id)
    package = json.loads(files["datapackage.json"])
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["bansos_terbuka"]["release_id"] == release_id
    by_name = {r["name"]: r for r in package["resources"]}
    assert set(db.get_table_names(release_id)) <= set(by_name)
    fields = {f["name"]: f for f in by_name["disbursement_cells"]["schema"]["fields"]}
    assert fields["amount"]["type"] == "integer" and fields["amount"]["unit"] == "Rupiah"
    assert fields["recipients"]["unit"] == "households" and fields["suppressed"]["type"] == "boolean"
    assert fields["amount"]["description"] and fields["amount"]["description_en"]
    assert by_name["boundaries_desa"]["licenses"][0]["name"] in ("MIT", "other")
    for resource in package["resources"]:
        data = files[resource["path"]]
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_the_release_zip_verifies_and_a_tampered_one_does_not(on_chain, tmp_path):
    older, newer = on_chain
    data = opendata.get_release_zip(newer)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    root = f"bansos-terbuka-{newer}/"
    assert {root + "release/bansos.duckdb", root + "release/manifest.json", root + "datapackage.json",
            root + f"release/chain/{older}.manifest.json"} <= set(names)
    good = tmp_path / "good.zip"
    good.write_bytes(data)
    done = subprocess.run([sys.executable, "-m", "anonymize", "verify", str(good)], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{older} -> {newer} intact" in done.stdout
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            content = src.read(item)
            if item.filename.endswith("data/regions.csv"):
                content = content.replace(b"Kulon Progo", b"Kulon Prago")
            dst.writestr(item, content)
    done = subprocess.run([sys.executable, "-m", "anonymize", "verify", str(bad)], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 1 and "regions.csv was changed" in done.stdout


# --- The page ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["id", "en"])
def test_open_data_page_renders_every_section(published_db, release_id, lang):
    at = run_app(page="data", lang=lang)
    assert not at.exception, at.exception
    assert at.title[0].value == ("Data terbuka" if lang == "id" else "Open data")
    downloads = at.get("download_button")
    layers = len(db.get_table(release_id, "boundary_sources"))
    assert len(downloads) == 2 + len(db.get_table_names(release_id)) + layers  # zip, package, tables, layers
    text = " ".join(m.value for m in at.markdown)
    assert f"Sumber: bansos-terbuka, rilis {release_id}, CC BY 4.0" in text
    dictionary = at.dataframe[0].value
    assert {"amount", "recipients"} <= set(dictionary.iloc[:, 1])
    assert any(f"anonymize verify bansos-terbuka-{release_id}.zip" in c.value for c in at.code)


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
    history = at.dataframe[1].value
    assert history["Release"].tolist() == [newer, older]
    assert history["Chained to the previous release"].tolist() == ["✓", "–"]
    assert "October 2025" in history["Changes"].iloc[0] and "December 2025" in history["Changes"].iloc[0]
    at.button(key="verify_now").click().run()
    assert at.success and "intact" in at.success[0].value


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
    data = opendata.csv_bytes(export.plotted_frame(panel.plotted, export.REGION_KEYS), release_id)
    back = opendata.read_csv(data).set_index("region_code")
    expected = published.execute("SELECT region_code, suppressed, recipients FROM disbursement_cells WHERE level = "
                                 "'desa' AND program = 'SEMUA' AND period = '2025' AND channel = 'SEMUA' AND "
                                 "region_code LIKE ? || '.%'", [kecamatan]).df().set_index("region_code")
    assert set(back.index) == set(expected.index)
    for code, row in expected.iterrows():
        if row["suppressed"]:
            assert back.loc[code, "value"] == hidden_label("id", 10) and back.loc[code, "status"] == "hidden"
        else:
            assert int(back.loc[code, "value"]) == row["recipients"] and back.loc[code, "status"] == "ok"


def test_trend_csv_marks_hidden_months_not_blank(release_id):
    ctx = PageContext("en", db.get_release())
    panel = panels.trend_panel(ctx, "34.01.01", "PKH", "recipients", "none", "program")
    frame = export.plotted_frame(panel.plotted, export.SERIES_KEYS)
    assert len(frame) == len(panel.plotted) and frame["value"].notna().all()
    assert (frame["value"].astype(str) != "").all()
    assert set(frame["status"]) <= {"ok", "hidden", "na", "undefined"}


@pytest.mark.slow
def test_chart_and_map_images_carry_the_source_line(release_id):
    if not Path(export.CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    ctx = PageContext("en", db.get_release())
    trend = panels.trend_panel(ctx, "34.01", "SEMUA", "amount", "none", "program")
    assert export.image_bytes(trend.figure, release_id, "png").startswith(b"\x89PNG\r\n\x1a\n")
    panel = panels.map_panel(ctx, "34.01", "kecamatan", "PKH", "2025", "coverage", "none")
    legend = maps.legend_items(panel.edges, str, "en", 10)
    svg = export.image_bytes(maps.build_map_figure(panel.shapes, panel.plotted, panel.edges, legend, panel.title),
                             release_id, "svg").decode("utf-8")
    assert opendata.source_line(release_id) in svg
    fills = [maps.fill_for(v, s, panel.edges) for v, s in zip(panel.plotted["value"], panel.plotted["status"],
                                                               strict=True)]
    shown = {text for colour, text in legend if colour in fills}
    assert shown and all(text.replace("<", "&#60;") in svg for text in shown)  # the legend names each colour
    assert svg.count('class="trace scatter') >= 2  # a filled trace per colour class
