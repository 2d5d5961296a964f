"""The describing files of a release's open-data package: `datapackage.json` (Frictionless Data Package v1 with
Table Schemas, keys, units and licences, and the metadata a CKAN portal maps to its fields), README, CITATION.cff and
the boundary licence notice. Pure: the release row, the written files and the dictionary in, texts out."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

import openformat
import provenance
from provenance import sha256_file
from published_schema import CELL_TABLES, PRIMARY_KEYS

#: Dictionary units as short unit names.
UNITS = {"Rupiah": "Rupiah", "keluarga / households": "households", "transaksi / payments": "payments",
         "pengaduan / complaints": "complaints", "pengajuan / submissions": "submissions",
         "derajat / degrees": "degrees", "desil": "decile"}
REGION_PATTERN = r"ID(\.\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?)?"
#: A month or a span of months (ISO 8601); in a revision, `@MM` marks a month as the release through month MM
#: published it and `+MM` the late records that arrived after that release (anonymize.revisions).
PERIOD_PATTERN = r"\d{4}-\d{2}(/\d{4}-\d{2})?([@+]\d{2})?"
#: d3-geo treats rings the other way round (spherical: clockwise = exterior); RFC 7946 says counter-clockwise.
WINDING_NOTE = ("Exterior rings are counter-clockwise and holes clockwise (RFC 7946). d3-geo expects the opposite "
                "(clockwise exteriors): apply d3.geoRewind or turf's rewind({reverse: true}) before drawing with d3.")


def texts(folder: Path, release: dict, written: list[dict], dictionary: pd.DataFrame,
          sources: pd.DataFrame | None, public_key: str | None) -> dict[str, str]:
    """File name -> text of every describing file (datapackage.json last: it lists the others' hashes)."""
    out = {"README.md": readme(release, public_key), "CITATION.cff": citation(release),
           "LICENSE-boundaries.txt": boundary_notice(sources)}
    if public_key:
        out["publisher.pub"] = public_key
    package = datapackage(folder, release, written, dictionary, sources)
    package["resources"] += [_file_resource(name, text.encode("utf-8")) for name, text in out.items()]
    out["datapackage.json"] = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    return out


def _hash(path: Path) -> dict[str, object]:
    return {"bytes": path.stat().st_size, "hash": "sha256:" + sha256_file(path)}


def _file_resource(name: str, data: bytes) -> dict[str, object]:
    return {"name": name.lower().replace(".", "-"), "path": name, "profile": "data-resource",
            "bytes": len(data), "hash": "sha256:" + hashlib.sha256(data).hexdigest()}


def schema(table: str, kinds: list[tuple[str, str]], dictionary: pd.DataFrame, decimal: str = ".") -> dict:
    """A Table Schema: types, units, descriptions in both languages, patterns, primary and foreign keys."""
    base = table.removesuffix("_earlier")
    notes = dictionary[(dictionary["table_name"] == table) & (dictionary["column_name"].fillna("") != "")]
    notes = notes.set_index("column_name")
    measures = False
    fields = []
    for column, kind in kinds:
        field: dict[str, object] = {"name": column, "type": kind}
        if column in notes.index:
            note = notes.loc[column]
            field["description"] = str(note["description_id"])
            field["description_en"] = str(note["description_en"])
            if note["unit"] in UNITS:
                field["unit"] = UNITS[note["unit"]]
            if note["unit"] == "JSON":
                field["type"] = "object"
        file_note = openformat.file_note(table, column)
        if file_note:
            field["constraints"] = {"pattern": PERIOD_PATTERN if column == "period" else REGION_PATTERN}
            field["description"] = str(field.get("description", "")) + file_note[0]
            field["description_en"] = str(field.get("description_en", "")) + file_note[1]
        elif measures and kind == "integer":
            field["constraints"] = {"minimum": 0}
        if kind == "number" and decimal != ".":
            field["decimalChar"] = decimal
        measures = measures or (base in CELL_TABLES and column == "suppressed")
        fields.append(field)
    out: dict[str, object] = {"fields": fields, "missingValues": [""]}
    if base in PRIMARY_KEYS:
        out["primaryKey"] = list(PRIMARY_KEYS[base])
    return out


def foreign_keys(table: str, suffix: str) -> list[dict]:
    """Cells -> regions, programs, periods (an earlier release's year to date is not a period of this one)."""
    base = table.removesuffix("_earlier")
    keys = []
    if base in CELL_TABLES or base == "boundary_centroids":
        column = "code" if base == "boundary_centroids" else "region_code"
        keys.append({"fields": column, "reference": {"resource": f"regions{suffix}", "fields": "code"}})
    if base == "disbursement_cells":
        keys.append({"fields": "program", "reference": {"resource": f"programs{suffix}", "fields": "code"}})
    if base in CELL_TABLES and table == base:
        keys.append({"fields": "period", "reference": {"resource": f"periods{suffix}", "fields": "period"}})
    if base == "regions":
        keys.append({"fields": "parent_code", "reference": {"resource": "", "fields": "code"}})
    return keys


def _table_description(dictionary: pd.DataFrame, table: str) -> tuple[str, str]:
    rows = dictionary[(dictionary["table_name"] == table) & (dictionary["column_name"].fillna("") == "")]
    return (str(rows["description_id"].iloc[0]), str(rows["description_en"].iloc[0])) if len(rows) else ("", "")


def table_resources(folder: Path, entry: dict, dictionary: pd.DataFrame) -> list[dict]:
    """The CSV (both flavours) and Parquet resources of one table."""
    table, kinds = entry["table"], entry["kinds"]
    text_id, text_en = _table_description(dictionary, table)
    common = {"description": text_id, "description_en": text_en, "licenses": [openformat.LICENCE]}
    out = []
    for fmt, suffix, decimal in (("csv", "", "."), ("csv_id", "-id", ",")):
        sep = openformat.CSV_FLAVOURS[fmt][0]
        table_schema = schema(table, kinds, dictionary, decimal)
        table_schema["foreignKeys"] = foreign_keys(table, suffix)
        out.append({"name": table.replace("_", "-") + suffix, "path": entry[fmt], "profile": "tabular-data-resource",
                    "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                    "dialect": {"delimiter": sep, "lineTerminator": "\r\n", "header": True},
                    **_hash(folder / entry[fmt]), "schema": table_schema, **common})
    # `type: file`: frictionless-py reads Parquet through pandas (NULL integers become "nan"); checked as a file.
    out.append({"name": table.replace("_", "-") + "-parquet", "path": entry["parquet"], "profile": "data-resource",
                "type": "file", "format": "parquet", "mediatype": "application/vnd.apache.parquet",
                **_hash(folder / entry["parquet"]),
                **common})
    return out


def layer_resource(folder: Path, entry: dict) -> dict:
    """A boundary layer keeps its own licence (MIT for the upstream boundaries): the notice travels beside it."""
    source = entry["source"]
    text = str(source.get("licence", ""))
    licence = ({"name": "MIT", "path": "https://opensource.org/licenses/MIT", "title": text.splitlines()[0]}
               if "MIT" in text else {"name": "other", "title": text.splitlines()[0] if text else "see notice"})
    return {"name": f"boundaries-{entry['layer']}-geojson", "path": entry["geojson"], "profile": "data-resource",
            "format": "geojson", "mediatype": "application/geo+json", **_hash(folder / entry["geojson"]),
            "licenses": [licence], "notice": "LICENSE-boundaries.txt",
            "description": f"{source.get('attribution_en', '')} {WINDING_NOTE}".strip()}


#: Said first in every describing file of a release the data generator made: its figures must never pass for real
#: disbursements once a file travels without the dashboard around it.
SYNTHETIC_NOTE = ("DATA DEMO SINTETIS: semua angka rilis ini dibuat oleh generator data bansos-terbuka, bukan data "
                  "penyaluran sebenarnya. / SYNTHETIC DEMO DATA: every figure of this release comes from the "
                  "bansos-terbuka data generator; none is a real disbursement.")
SYNTHETIC_TITLE = f" ({openformat.SYNTHETIC_MARK})"


def _synthetic_note(release: dict, end: str = "") -> str:
    return SYNTHETIC_NOTE + end if provenance.is_synthetic(release.get("sources")) else ""


def datapackage(folder: Path, release: dict, written: list[dict], dictionary: pd.DataFrame,
                sources: pd.DataFrame | None) -> dict:
    release_id, threshold = str(release["release_id"]), int(release["threshold"])
    resources = []
    for entry in written:
        resources += table_resources(folder, entry, dictionary) if "table" in entry else [layer_resource(folder, entry)]
    package_sources = [{"title": openformat.source_line(release_id),
                        "path": f"{openformat.PROJECT}/releases/{release_id}"}]
    for row in ([] if sources is None else sources.drop_duplicates("name").to_dict("records")):
        package_sources.append({"title": f"{row['name']} — {str(row['licence']).splitlines()[0]}"})
    return {
        "profile": "data-package", "name": f"{openformat.PROJECT}-{release_id.lower()}",
        "id": f"{openformat.PROJECT}/{release_id}", "title": f"Bansos Terbuka — rilis {release_id}",
        "description": (f"{_synthetic_note(release, ' ')}Agregat penyaluran bantuan sosial (PKH, Sembako, BLT Dana "
                        f"Desa) per wilayah sampai desa, "
                        f"data s.d. {release['data_through']}; sel dengan kurang dari {threshold} keluarga "
                        f"disembunyikan. / Social-assistance aggregates by region down to desa, data through "
                        f"{release['data_through']}; cells with fewer than {threshold} households are hidden. "
                        f"{openformat.source_line(release_id)}."),
        "version": release_id, "created": _created(release), "licenses": [openformat.LICENCE],
        "keywords": ["bansos", "bantuan sosial", "PKH", "BPNT", "BLT Dana Desa", "social assistance", "Indonesia"],
        "contributors": [{"title": openformat.PROJECT, "role": "publisher"},
                         {"title": openformat.PROJECT, "role": "maintainer"}],
        "sources": package_sources,
        "bansos_terbuka": {"release_id": release_id, "data_year": int(release["data_year"]),
                           "data_through": str(release["data_through"]), "threshold": threshold,
                           "previous_release_id": release.get("previous_release_id"),
                           "synthetic": provenance.is_synthetic(release.get("sources")),
                           "source_line": openformat.source_line(release_id)},
        "resources": resources,
    }


def _created(release: dict) -> str:
    """RFC 3339 with a `Z` (the release row holds `+00:00`)."""
    return str(release["created_at"]).replace("+00:00", "Z")


def readme(release: dict, public_key: str | None) -> str:
    release_id = str(release["release_id"])
    signed = ("Signed with the publisher key in `publisher.pub` (minisign, Ed25519): first match its key id with the "
              "one the publisher cites elsewhere, then\n\n"
              "    minisign -Vm SHA256SUMS -p publisher.pub && sha256sum -c SHA256SUMS\n\n"
              "The release's `manifest.json` (beside the zip, with `manifest.json.minisig`) chains this release to the "
              "earlier ones: `python -m anonymize verify --key publisher.pub` in a published folder checks both.\n"
              if public_key else "This release is **unsigned**: `sha256sum -c SHA256SUMS` shows the files are as "
              "listed, but only a hash cited elsewhere shows the list itself is the publisher's.\n")
    synthetic = _synthetic_note(release, "\n\n")
    return f"""# Bansos Terbuka — release {release_id}

{openformat.source_line(release_id)}

{synthetic}Social-assistance aggregates (PKH, Sembako/BPNT, BLT Dana Desa) by region, program and period, data through
{release['data_through']}. Cells with fewer than {release['threshold']} households are hidden (`suppressed` = true,
every measure empty), together with the cells needed so that they cannot be worked out. A hidden cell carries the
range its main counts must lie in (`recipients_lower`, `recipients_upper`, `amount_lower`, `amount_upper`, ...),
worked out from the published figures alone: anyone can compute it, so it reveals nothing (a desa's all-programs
`amount`, left empty beside a hidden program of the desa, carries its `amount_lower` and `amount_upper` the same
way). Some measures are
published only at some levels and are empty elsewhere, in cells that are not hidden too: `payments` and the counts
by payment status for kecamatan (whole year) and kabupaten/kota and up (by month and year), never for a desa or
per channel; eligible and registered households as the data dictionary (`csv/data_dictionary.csv`) says.

| path | what |
|---|---|
| `csv/<table>.csv` | RFC 4180, UTF-8, `,` separator, `.` decimals, header row first |
| `csv-id/<table>.csv` | the same with `;` and `,` decimals, UTF-8 with BOM (Excel in Indonesian) |
| `parquet/<table>.parquet` | the same, typed; the source line in the file metadata |
| `geojson/boundaries_<level>.geojson` | map layers, RFC 7946 (WGS 84) |
| `bansos.duckdb` | the published database itself |
| `datapackage.json` | Frictionless Data Package: types, units, keys, licences, file hashes |
| `SHA256SUMS` | `sha256sum -c SHA256SUMS` checks every file |

Region codes are written `ID.<Kemendagri code>` (`ID.53.10` is Kabupaten 53.10) and `ID` for the nation, periods
as `2025-01` (a month) or `2025-01/2025-12` (the year so far), so that spreadsheet and data-frame readers keep them
as text. {WINDING_NOTE}

## Verify

{signed}
## Cite

Bansos Terbuka ({str(release['created_at'])[:4]}). Release {release_id}, data through {release['data_through']}.
Licence CC BY 4.0 (boundaries: see `LICENSE-boundaries.txt`). See `CITATION.cff`.
"""


def citation(release: dict) -> str:
    release_id = str(release["release_id"])
    synthetic = provenance.is_synthetic(release.get("sources"))
    return (f'cff-version: 1.2.0\nmessage: "{openformat.source_line(release_id)}"\ntype: dataset\n'
            f'title: "Bansos Terbuka — rilis {release_id}{SYNTHETIC_TITLE if synthetic else ""}"\nauthors:\n'
            f'  - name: "{openformat.PROJECT}"\n'
            f'version: "{release_id}"\ndate-released: "{str(release["created_at"])[:10]}"\nlicense: CC-BY-4.0\n')


def boundary_notice(sources: pd.DataFrame | None) -> str:
    """Each boundary source's name, attribution and full licence text (the MIT notice must travel with copies)."""
    if sources is None or sources.empty:
        return "No boundary layers in this release.\n"
    parts = [f"{row['name']}\n{row['attribution_en']}\n\n{row['licence']}\n"
             for row in sources.drop_duplicates("name").to_dict("records")]
    return "\n\n".join(parts)
