"""The open-data package `publish` writes: read by the ecosystem's own tools with their defaults (pandas, DuckDB,
frictionless, sha256sum, minisign, shapely), compared value by value with the published database."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import shapely

import openformat
import signing
from anonymize import package
from provenance import MANIFEST_NAME, read_manifest
from published_schema import table_range_columns


@pytest.fixture(scope="session")
def folder(release_db: Path) -> Path:
    """The release folder the current database links to."""
    return next((release_db.parent / "releases").iterdir())


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                                      "ORDER BY 1").fetchall() if t not in package.GEO_TABLES]


def expected_frame(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """The published table as the files must hold it: codes and periods in `openformat`'s documented form, an empty
    text missing."""
    frame = con.execute(f'SELECT * FROM "{table}"').df().replace("", None)
    through = con.execute("SELECT data_through FROM release").fetchone()[0]
    for column in frame.columns:
        if openformat.is_region_code_column(table, column):
            frame[column] = frame[column].map(openformat.public_code)
        elif column == "period":
            frame[column] = frame[column].map(lambda p: openformat.public_period(p, through))
        elif table == "release" and column == "provinces":
            frame[column] = frame[column].map(lambda p: ",".join(openformat.public_code(c) for c in p.split(",")))
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame


def _cell(value: object) -> object:
    """One value, compared across readers: missing is None, whole floats are ints, timestamps ISO text."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return (value if value.tz is None else value.tz_convert("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def assert_same(read: pd.DataFrame, expected: pd.DataFrame, label: str) -> None:
    assert list(read.columns) == list(expected.columns), label
    assert len(read) == len(expected), label
    for column in expected.columns:
        got = [_cell(v) for v in read[column].tolist()]
        want = [_cell(v) for v in expected[column].tolist()]
        wrong = [(i, g, w) for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
        assert not wrong, f"{label}.{column}: {len(wrong)} values differ, first {wrong[:3]}"


def test_every_csv_reads_right_with_pandas_defaults_and_duckdb(folder, published):
    for table in _tables(published):
        expected = expected_frame(published, table)
        path = folder / "csv" / f"{table}.csv"
        raw = path.read_bytes()
        assert raw.startswith(",".join(expected.columns).encode()), f"{table}: the header must come first"
        # Records end with CRLF (RFC 4180); a line break inside a quoted field (the boundary licence's notice) is a
        # bare LF, which RFC 4180 allows there: the csv module finds exactly one record per row.
        assert raw.count(b"\r\n") == len(expected) + 1, table
        assert len(list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))) == len(expected) + 1, table
        assert_same(pd.read_csv(path), expected, f"pandas {table}")
        excel = pd.read_csv(folder / "csv-id" / f"{table}.csv", sep=";", decimal=",", encoding="utf-8-sig")
        assert_same(excel, expected, f"pandas ; {table}")
        # DuckDB's sniffer may type created_at as a timestamp: compare its text form.
        sniffed = duckdb.read_csv(str(path)).df()
        if table == "release":
            sniffed["created_at"] = sniffed["created_at"].map(lambda v: v.isoformat() if hasattr(v, "isoformat")
                                                              else v)
        assert_same(sniffed, expected, f"duckdb {table}")


def test_codes_and_periods_stay_text_where_a_reader_would_guess_numbers(folder):
    regions = pd.read_csv(folder / "csv" / "regions.csv")
    for column in ("code", "parent_code", "province_code", "kabupaten_code", "kecamatan_code"):
        values = regions[column].dropna()
        assert values.map(lambda v: isinstance(v, str) and re.fullmatch(r"ID(\.\d+)*", v) is not None).all(), column
    cells = pd.read_csv(folder / "csv" / "disbursement_cells.csv")
    assert cells["recipients"].dtype.kind == "f" or cells["recipients"].dtype.kind == "i"
    assert not (folder / "csv" / "disbursement_cells.csv").read_text(encoding="utf-8").count(".0,")
    assert set(cells["period"].map(type)) == {str}


def test_hidden_cells_carry_no_value_in_any_file(folder, published):
    for table in ("disbursement_cells", "complaint_cells", "proposal_cells", "quality_cells"):
        back = pd.read_csv(folder / "csv" / f"{table}.csv")
        ranges = list(table_range_columns(table))
        measures = [c for c in back.columns[list(back.columns).index("suppressed") + 1:] if c not in ranges]
        hidden = back[back["suppressed"]]
        assert len(hidden) > 0 or table == "quality_cells"
        assert hidden[measures].isna().all().all(), table
        # Every hidden cell has a range (read by pandas, not our reader); a published cell has one only for a value
        # it leaves blank (a desa's all-programs Rupiah beside a hidden program), never beside a published value.
        assert ranges and hidden[ranges].notna().all().all(), table
        shown = back[~back["suppressed"]]
        for low, high in zip(ranges[0::2], ranges[1::2], strict=True):
            measure = low.removesuffix("_lower")
            ranged = shown[low].notna()
            assert (ranged == shown[high].notna()).all() and shown.loc[ranged, measure].isna().all(), (table, low)
            if table == "disbursement_cells" and measure == "amount":
                assert ranged.any() and (shown.loc[ranged, "program"] == "SEMUA").all()
            else:
                assert not ranged.any(), (table, low)
        assert (hidden[ranges[0::2]].to_numpy() <= hidden[ranges[1::2]].to_numpy()).all(), table
        parquet = pd.read_parquet(folder / "parquet" / f"{table}.parquet")
        assert parquet[parquet["suppressed"]][measures].isna().all().all(), table
        assert parquet[parquet["suppressed"]][ranges].notna().all().all(), table


def test_parquet_holds_the_same_values_and_the_source_line(folder, published):
    import pyarrow.parquet as pq

    for table in _tables(published):
        path = folder / "parquet" / f"{table}.parquet"
        assert_same(pd.read_parquet(path), expected_frame(published, table), f"parquet {table}")
        release_id = published.execute("SELECT release_id FROM release").fetchone()[0]
        assert pq.read_schema(path).metadata[b"source"].decode() == openformat.source_line(release_id)


def test_frictionless_validates_the_package_and_catches_a_changed_file(folder, tmp_path):
    done = subprocess.run(["frictionless", "validate", "--json", str(folder / "datapackage.json")],
                          capture_output=True, text=True)
    report = json.loads(done.stdout)
    bad = [(t["name"], t["errors"][:1]) for t in report["tasks"] if not t["valid"]]
    assert report["valid"] and not bad, bad
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    schema = resources["disbursement-cells"]["schema"]
    assert schema["primaryKey"] == ["region_code", "program", "period", "channel"]
    assert {k["reference"]["resource"] for k in schema["foreignKeys"]} == {"regions", "programs", "periods"}
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["amount"]["type"] == "integer" and fields["amount"]["unit"] == "Rupiah"
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0" and descriptor["keywords"]
    copy = Path(shutil.copytree(folder, tmp_path / "copy"))
    target = copy / "csv" / "programs.csv"
    target.write_bytes(target.read_bytes().replace(b"PKH", b"PKX", 1))
    done = subprocess.run(["frictionless", "validate", "--json", str(copy / "datapackage.json")],
                          capture_output=True, text=True)
    assert not json.loads(done.stdout)["valid"]


def test_geojson_rings_follow_rfc_7946(folder, published):
    layers = sorted((folder / "geojson").glob("*.geojson"))
    assert layers
    for path in layers:
        collection = json.loads(path.read_text(encoding="utf-8"))
        assert collection["type"] == "FeatureCollection" and collection["source"].startswith("Sumber: ")
        for feature in collection["features"]:
            assert feature["geometry"]["type"] == "MultiPolygon"
            assert re.fullmatch(r"ID(\.\d+)*", feature["properties"]["code"])
            for polygon in feature["geometry"]["coordinates"]:
                exterior, *holes = polygon
                assert shapely.is_ccw(shapely.LinearRing(exterior)), (path.name, feature["properties"]["code"])
                assert all(not shapely.is_ccw(shapely.LinearRing(h)) for h in holes)
                assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in exterior)
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\d\.\d{7,}", text), f"{path.name}: more than 6 decimals"
    # Each region names its own boundary source; the layer names every source of its level.
    for path in layers:
        collection = json.loads(path.read_text(encoding="utf-8"))
        level = collection["features"][0]["properties"]["level"]
        names = dict(published.execute(
            "SELECT c.code, s.name FROM boundary_centroids c JOIN boundary_sources s ON s.level = c.level "
            "AND s.kind = c.source WHERE c.level = ?", [level]).fetchall())
        for feature in collection["features"]:
            code = feature["properties"]["code"].removeprefix("ID.")
            assert feature["properties"]["boundary_source"] == names[code], (path.name, code)
        assert set(collection["boundary_source"].split("; ")) == set(names.values())
    source = published.execute("SELECT count(*) FROM boundaries WHERE level = 'desa'").fetchone()[0]
    desa = json.loads((folder / "geojson" / "boundaries_desa.geojson").read_text(encoding="utf-8"))
    assert sum(len(f["geometry"]["coordinates"]) for f in desa["features"]) == source


def test_clockwise_input_is_turned_counter_clockwise():
    clockwise = "[[[0,0],[0,1],[1,1],[1,0],[0,0]],[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.4],[0.2,0.2]]]"
    exterior, hole = json.loads(package.oriented_part(clockwise))
    assert shapely.is_ccw(shapely.LinearRing(exterior)) and not shapely.is_ccw(shapely.LinearRing(hole))


def test_sha256sums_checks_with_sha256sum_and_fails_after_a_flipped_byte(folder, tmp_path):
    if shutil.which("sha256sum") is None:
        pytest.skip("coreutils' sha256sum is not installed")
    copy = Path(shutil.copytree(folder, tmp_path / "copy"))
    assert subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=copy).returncode == 0
    target = copy / "csv" / "regions.csv"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 1
    target.write_bytes(bytes(data))
    done = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=copy, capture_output=True, text=True)
    assert done.returncode == 1 and "csv/regions.csv: FAILED" in done.stdout


def test_a_synthetic_release_says_so_in_every_describing_file(folder):
    """The test release comes from the data generator: its README, CITATION.cff and data package say so first, so
    a copy that travels without the dashboard never passes the demo's figures off as real disbursements."""
    from anonymize.package_meta import SYNTHETIC_NOTE
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert SYNTHETIC_NOTE in readme and readme.index(SYNTHETIC_NOTE) < readme.index("Social-assistance aggregates")
    assert openformat.SYNTHETIC_MARK in (folder / "CITATION.cff").read_text(encoding="utf-8")
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package["description"].startswith(SYNTHETIC_NOTE) and package["bansos_terbuka"]["synthetic"] is True


def test_only_a_release_of_the_generator_alone_is_synthetic():
    import provenance
    generated = {"ingested_files": [], "generator": {"preset": "demo", "seed": "1"}}
    assert provenance.is_synthetic(generated) and provenance.is_synthetic(json.dumps(generated))
    assert not provenance.is_synthetic({"ingested_files": [{"source": "penyaluran_2025_01.csv"}], "generator": {}})
    assert not provenance.is_synthetic({"ingested_files": [{"source": "a.csv"}], "generator": {"preset": "demo"}})
    assert not provenance.is_synthetic(None) and not provenance.is_synthetic("")
    assert not provenance.is_synthetic(float("nan"))     # a NULL read through pandas


def test_manifest_and_zip_cover_every_file(folder):
    manifest = read_manifest(folder / MANIFEST_NAME)
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == on_disk - {MANIFEST_NAME} - {n for n in on_disk if n.endswith(".minisig")}
    assert {"SHA256SUMS", "datapackage.json", "csv/regions.csv", "csv-id/regions.csv", "parquet/regions.parquet",
            "geojson/boundaries_desa.geojson", f"bansos-terbuka-{folder.name}.zip"} <= set(manifest["files"])
    sums = {line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()}
    with zipfile.ZipFile(folder / f"bansos-terbuka-{folder.name}.zip") as archive:
        names = {n.split("/", 1)[1] for n in archive.namelist()}
        assert archive.comment.decode() == openformat.source_line(folder.name)
    assert names == sums | {"SHA256SUMS"}


# --- Signatures ------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def signed(workspace: Path, raw_db: Path, run_module) -> tuple[Path, Path]:
    """(published folder, public key) of a release published with a publisher key."""
    key = workspace / "keys" / "publisher.key"
    run_module("anonymize", "keygen", "--out", key)
    current = workspace / "published-signed" / "bansos.duckdb"
    done = run_module("anonymize", "publish", "--raw", raw_db, "--out", current, "--geo-dir", workspace / "no-geo",
                      "--key", key)
    assert "signed by key " in done.stdout
    return current.parent, key.with_suffix(".pub")


def test_a_signed_release_verifies_with_its_key_and_with_minisign(signed, anonymize_cli):
    published, public = signed
    code, out, _ = anonymize_cli("verify", published, "--key", public)
    fingerprint = signing.read_public_key(public).fingerprint
    assert code == 0 and out.count("\n") == 1, out
    assert "intact" in out and f"signature by key {fingerprint} valid for the manifest of release" in out
    folder = next((published / "releases").iterdir())
    assert (folder / "publisher.pub").read_text(encoding="utf-8") == public.read_text(encoding="utf-8")
    if shutil.which("minisign") is None:
        pytest.skip("minisign is not installed (apt-get install minisign)")
    for name in ("manifest.json", "SHA256SUMS", f"bansos-terbuka-{folder.name}.zip"):
        done = subprocess.run(["minisign", "-Vm", name, "-p", str(public)], cwd=folder, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_a_tampered_or_re_signed_manifest_fails_verify(signed, copy_release, anonymize_cli, tmp_path):
    published, public = signed
    current = copy_release(published / "bansos.duckdb")
    folder = next((current.parent / "releases").iterdir())
    manifest = folder / MANIFEST_NAME
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"passed": true', '"passed": false'),
                        encoding="utf-8")
    code, out, _ = anonymize_cli("verify", current.parent, "--key", public)
    assert code == 1 and "signature of manifest.json does not match" in out
    other = tmp_path / "other.key"
    signing.generate_keypair(other, tmp_path / "other.pub")
    signing.sign_file(manifest, other, "forged")
    code, out, _ = anonymize_cli("verify", current.parent, "--key", public)
    assert code == 1 and f"not by {signing.read_public_key(public).fingerprint}" in out


def test_an_unsigned_release_says_so_and_fails_when_a_key_is_required(release_db, anonymize_cli, signed):
    code, out, _ = anonymize_cli("verify", release_db.parent)
    assert code == 0 and "unsigned" in out
    code, out, _ = anonymize_cli("verify", release_db.parent, "--key", signed[1])
    assert code == 1 and "is not signed" in out


def test_keygen_refuses_to_overwrite_and_to_write_inside_the_repository(anonymize_cli, tmp_path):
    key = tmp_path / "k.key"
    assert anonymize_cli("keygen", "--out", key)[0] == 0
    assert key.stat().st_mode & 0o077 == 0
    code, _, err = anonymize_cli("keygen", "--out", key)
    assert code == 2 and "already exists" in err
    code, _, err = anonymize_cli("keygen", "--out", Path(__file__).parent / "k.key")
    assert code == 2 and "outside the repository" in err


def test_the_published_zip_verifies_and_a_tampered_one_does_not(folder, anonymize_cli, tmp_path):
    zip_path = folder / f"bansos-terbuka-{folder.name}.zip"
    code, out, _ = anonymize_cli("verify", zip_path)
    assert code == 0 and "match SHA256SUMS and datapackage.json" in out and "unsigned" in out
    bad = tmp_path / zip_path.name
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.endswith("csv/programs.csv"):
                content = content.replace(b"PKH", b"PKX", 1)
            target.writestr(item, content)
    code, out, _ = anonymize_cli("verify", bad)
    assert code == 1 and "csv/programs.csv was changed" in out
