"""How published files are written so that every reader gets them right with its defaults: names, the source line,
the text form of region codes and periods, and CSV. Shared by the publisher and the dashboard's own downloads.

Readers guess a column's type from its values: `pandas.read_csv` turns Kemendagri code `53.10` into the float `53.1`
(and a column of 262,144 rows of `2025` into integers beside `2025-01` strings), Excel and R do the same. So every
value of a key column is written in a form no reader takes for a number:

- region codes under the national root `ID`: `ID` (nasional), `ID.53` (provinsi), `ID.53.10` (kabupaten/kota),
  `ID.53.10.01`, `ID.53.10.01.2001`; the Kemendagri code is what follows `ID.`;
- periods as ISO 8601: a month `2025-01`, a span of months `2025-01/2025-12` (the whole year published so far; an
  earlier release's year to date is `2025-01/2025-10`).
"""

from __future__ import annotations

import re

import pandas as pd

PROJECT = "bansos-terbuka"
LICENCE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
NATIONAL = "ID"
#: Columns that hold a region code, in every table, and tables whose `code` column is a region code.
REGION_CODE_COLUMNS = ("region_code", "parent_code", "province_code", "kabupaten_code", "kecamatan_code")
REGION_CODE_TABLES = ("regions", "boundary_centroids", "boundaries", "boundaries_detail")
#: CSV flavours: (field separator, decimal mark, folder). Indonesian Excel splits on `;` and writes decimals with `,`.
CSV_FLAVOURS = {"csv": (",", ".", "csv"), "csv_id": (";", ",", "csv-id")}
_YEAR = re.compile(r"^(\d{4})(?:@(\d{2}))?$")
_LATE_YEAR = re.compile(r"^(\d{4})\+(\d{2})$")


#: What a synthetic (demo) release's files and images add to their source line, in both languages: they travel.
SYNTHETIC_MARK = "data demo sintetis / synthetic demo data"


def source_line(release_id: str) -> str:
    """The citation every file carries (never inside a CSV's rows: in its package, README, metadata, subtitle)."""
    return f"Sumber: {PROJECT}, rilis {release_id}, CC BY 4.0"


def file_name(release_id: str, stem: str, extension: str) -> str:
    return f"{PROJECT}-{release_id}-{stem}.{extension}"


def is_region_code_column(table: str, column: str) -> bool:
    return column in REGION_CODE_COLUMNS or (column == "code" and table.removesuffix("_earlier") in
                                             REGION_CODE_TABLES)


#: How the files write what the database holds differently: (Bahasa Indonesia, English).
FILE_NOTES = {
    "region": (" Dalam berkas: ID.<kode Kemendagri> (ID.53.10 = 53.10), ID untuk nasional, agar tidak dibaca sebagai "
               "angka.", " In the files: ID.<Kemendagri code> (ID.53.10 = 53.10), ID for the nation, so that no "
               "reader takes a code for a number."),
    "period": (" Dalam berkas: bulan 2025-01, atau rentang bulan 2025-01/2025-12 (ISO 8601); revisi: 2025-04@10 = "
               "April seperti diterbitkan rilis s.d. Oktober, 2025-04+10 dan 2025-01/2025-10+10 = data susulannya.",
               " In the files: a month 2025-01, or a span of months 2025-01/2025-12 (ISO 8601); revisions: "
               "2025-04@10 = April as the release through October published it, 2025-04+10 and "
               "2025-01/2025-10+10 = its late records."),
}


def file_note(table: str, column: str) -> tuple[str, str] | None:
    """How the files write a column the database holds in another form (region codes, periods), as (Bahasa
    Indonesia, English) text to add to its description; None for the others."""
    if is_region_code_column(table, column):
        return FILE_NOTES["region"]
    return FILE_NOTES["period"] if column == "period" else None


def public_code(code: object) -> object:
    """`53.10` -> `ID.53.10`, `ID` -> `ID`; empty stays empty."""
    if code is None or (isinstance(code, float) and pd.isna(code)) or code is pd.NA:
        return None
    text = str(code)
    return text if text == NATIONAL else f"{NATIONAL}.{text}"


def public_period(period: object, data_through: str) -> object:
    """`2025-01` stays; the year `2025` -> `2025-01/<data_through>`; year to date `2025@10` -> `2025-01/2025-10`;
    its late records `2025+10` -> `2025-01/2025-10+10` (a revised month `2025-04@10`, `2025-04+10` stays)."""
    if period is None or (isinstance(period, float) and pd.isna(period)):
        return None
    text = str(period)
    late = _LATE_YEAR.match(text)
    if late:
        year, month = late.groups()
        return f"{year}-01/{year}-{month}+{month}"
    match = _YEAR.match(text)
    if not match:
        return text
    year, month = match.groups()
    last = f"{year}-{month}" if month else (data_through if data_through.startswith(year) else f"{year}-12")
    return f"{year}-01/{last}"


def csv_bytes(frame: pd.DataFrame, fmt: str = "csv") -> bytes:
    """RFC 4180 CSV (CRLF, `"` quoting, a header row, nothing before it) in UTF-8 with a BOM for Excel; whole numbers
    without `.0`: a column of counts with an empty cell is still integers, and a column of several measures (a
    profile's households, Rupiah and coverage) writes its whole numbers as such (`10651`, not `10651.0`)."""
    sep, decimal, _ = CSV_FLAVOURS[fmt]
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        whole = values.dropna().map(float.is_integer)
        if whole.all():
            frame[column] = values.astype("Int64")
        elif whole.any():
            # Text per value (pandas applies `decimal` to float columns only): read back as numbers all the same.
            frame[column] = values.map(lambda v: "" if pd.isna(v) else str(int(v)) if float(v).is_integer()
                                       else repr(float(v)).replace(".", decimal)).astype(object)
    body = frame.to_csv(index=False, sep=sep, decimal=decimal, lineterminator="\r\n")
    return body.encode("utf-8-sig")
