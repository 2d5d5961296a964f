"""The contract of the published database: its tables, columns, codes and the levels each breakdown is published at.

The publisher writes what this module declares, the data dictionary describes it, and the dashboard reads it. It
imports nothing of the project (like `provenance.py`), so the dashboard may use it without reaching the pipeline.
`tests/anonymize/test_schema.py` checks a real published database against it.
"""

from __future__ import annotations

#: The code of "everything together" in a dimension of a cell table: all programs, channels, categories, kinds.
ALL = "SEMUA"
ALL_PROGRAMS = ALL
ALL_CHANNELS = ALL
ALL_CATEGORIES = ALL

#: Region code of the whole country (the registry's root).
NATIONAL_CODE = "ID"
#: Region levels, from the whole country down.
LEVELS = ("nasional", "provinsi", "kabupaten", "kecamatan", "desa")

#: The programs in the order every page, table and file lists them (settings.PROGRAMS holds their rules).
PROGRAM_CODES = ("PKH", "SEMBAKO", "BLT_DD")
#: A program choice where "all programs" is offered: all first.
PROGRAM_CHOICES = (ALL_PROGRAMS, *PROGRAM_CODES)

#: Distribution channels: the Himbara state banks, BSI (Aceh runs Islamic banking only) and PT Pos; payments whose
#: channel the source did not state are published as LAINNYA.
CHANNELS = ("BRI", "BNI", "MANDIRI", "BTN", "BSI", "POS")
UNKNOWN_CHANNEL = "LAINNYA"

#: Complaint (pengaduan) vocabulary: what it is about and where it stands.
COMPLAINT_CATEGORIES = (
    "tidak_terdaftar", "salah_sasaran", "dana_belum_diterima", "potongan_liar", "data_tidak_sesuai", "lainnya",
)
COMPLAINT_STATUSES = ("baru", "diproses", "selesai", "ditolak")
#: Usul adds a household to the list, sanggah objects to a listed one.
PROPOSAL_KINDS = ("usul", "sanggah")
PROPOSAL_STATUSES = ("diajukan", "diverifikasi", "disetujui", "ditolak")
#: Data-quality indicators, each a count of recipient households (rows for `quarantined_rows`) per region and year.
QUALITY_INDICATORS = ("duplicate_nik", "invalid_nik", "deceased_paid", "quarantined_rows")
#: The indicators about recipients (what the gaps page shows beside each region).
RECIPIENT_QUALITY_INDICATORS = QUALITY_INDICATORS[:3]

# --- Tables and columns ---------------------------------------------------------------------------------------

DISBURSEMENT_CELLS = "disbursement_cells"
COMPLAINT_CELLS = "complaint_cells"
PROPOSAL_CELLS = "proposal_cells"
QUALITY_CELLS = "quality_cells"
#: Cell tables of a release, in the order they are protected and published.
CELL_TABLES = (DISBURSEMENT_CELLS, COMPLAINT_CELLS, PROPOSAL_CELLS, QUALITY_CELLS)
#: Beside each cell table, `<table>_earlier` carries the year-to-date cells of earlier releases of the same year
#: exactly as they were published (period `2025@10`: January to October); in a release that late records revise,
#: also the previous release's months (`2025-04@10`) and the late records' cells (`2025-04+10`, `2025+10`).
EARLIER_SUFFIX = "_earlier"
#: Each desa's payment size of the programs whose schedule a desa chooses, per year (see its dictionary entry).
DESA_SCHEDULES = "desa_schedules"
#: Tables published as map layers (GeoJSON), not as flat files: their polygons are JSON text.
GEO_TABLES = ("boundaries", "boundaries_detail")

#: Measures of `disbursement_cells`, in column order.
#: (No count of eligible households paid: it is nested in both the eligible and the recipients, and the
#: differences, eligible not paid and paid though not eligible, are 1-9 households in most desa. README, "Eligible
#: households paid: not published".)
DISBURSEMENT_MEASURES = ("recipients", "eligible_households", "registered_households", "payments", "paid_payments",
                         "failed_payments", "returned_payments", "pending_payments", "late_payments", "amount")
#: Counts of payments by status (with all payments): published from kabupaten up by month, kecamatan by year.
STATUS_COUNTS = ("payments", "failed_payments", "returned_payments", "pending_payments", "late_payments")

#: A desa's all-programs payments and Rupiah are published only as the sum of its programs' where each of those
#: is published, and are blank where one is hidden (the cell's households stay published): the all-programs figure
#: minus the published programs would be the hidden program's, so a small BLT Dana Desa cell needed a second
#: program of its desa hidden beside it. README, "A desa's all-programs payments and Rupiah".
PROGRAM_SUM_LEVELS = ("desa",)
PROGRAM_SUM_MEASURES = ("payments", "paid_payments", "failed_payments", "returned_payments", "pending_payments",
                        "late_payments", "amount")

#: Beside each hidden cell, the range of its main counts that every reader can compute from the published figures
#: (`anonymize.ranges`): `<measure>_lower` and `<measure>_upper`, NULL on a published value. A value a published
#: cell leaves blank (a desa's all-programs Rupiah beside a hidden program: PROGRAM_SUM_MEASURES) has its range too.
RANGE_MEASURES: dict[str, tuple[str, ...]] = {
    DISBURSEMENT_CELLS: ("recipients", "amount"),
    COMPLAINT_CELLS: ("complaints",),
    PROPOSAL_CELLS: ("proposals",),
    QUALITY_CELLS: ("households",),
}


def range_columns(measure: str) -> tuple[str, str]:
    """The two columns of a hidden value's published range: `recipients` -> recipients_lower, recipients_upper."""
    return f"{measure}_lower", f"{measure}_upper"


def table_range_columns(table: str) -> tuple[str, ...]:
    """Every range column of a cell table (or its `_earlier` table), in order."""
    return tuple(c for m in RANGE_MEASURES.get(table.removesuffix(EARLIER_SUFFIX), ()) for c in range_columns(m))


_CELL_KEYS = ("region_code", "level")
#: Every table of a release and its columns, in order.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    DISBURSEMENT_CELLS: (*_CELL_KEYS, "program", "period", "channel", "suppressed", *DISBURSEMENT_MEASURES,
                         *table_range_columns(DISBURSEMENT_CELLS)),
    COMPLAINT_CELLS: (*_CELL_KEYS, "category", "period", "suppressed", "complaints", *COMPLAINT_STATUSES,
                      *table_range_columns(COMPLAINT_CELLS)),
    PROPOSAL_CELLS: (*_CELL_KEYS, "kind", "period", "suppressed", "proposals", *PROPOSAL_STATUSES,
                     *table_range_columns(PROPOSAL_CELLS)),
    QUALITY_CELLS: (*_CELL_KEYS, "indicator", "period", "suppressed", "households",
                    *table_range_columns(QUALITY_CELLS)),
    "regions": ("code", "level", "name", "kind", "parent_code", "province_code", "kabupaten_code", "kecamatan_code"),
    "programs": ("code", "name_id", "name_en", "target_desil", "desa_only"),
    "periods": ("period", "kind", "year", "month"),
    # What each desa's schedule of a program it chooses (BLT Dana Desa) was: anonymize.knowledge.desa_schedules.
    DESA_SCHEDULES: ("region_code", "program", "period", "payment_size"),
    "data_dictionary": ("table_name", "column_name", "unit", "description_id", "description_en"),
    "release": ("release_id", "created_at", "data_year", "data_through", "provinces", "threshold", "rules", "sources",
                "tables", "audit", "previous_release_id", "years"),
    "boundaries": ("level", "code", "part", "polygon"),
    "boundaries_detail": ("level", "code", "part", "polygon"),
    "boundary_centroids": ("level", "code", "lon", "lat", "min_lon", "min_lat", "max_lon", "max_lat", "source"),
    "boundary_sources": ("level", "kind", "name", "licence", "attribution_id", "attribution_en", "illustrative",
                         "built_at", "regions", "regions_without_shape"),
}
for _table in CELL_TABLES:
    TABLE_COLUMNS[f"{_table}{EARLIER_SUFFIX}"] = TABLE_COLUMNS[_table]
#: Each table's primary key (`<table>_earlier` as its table).
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    DISBURSEMENT_CELLS: ("region_code", "program", "period", "channel"),
    COMPLAINT_CELLS: ("region_code", "category", "period"),
    PROPOSAL_CELLS: ("region_code", "kind", "period"),
    QUALITY_CELLS: ("region_code", "indicator", "period"),
    "regions": ("code",), "programs": ("code",), "periods": ("period",), "boundary_centroids": ("code",),
    DESA_SCHEDULES: ("region_code", "program", "period"),
    # A level can mix sources (a user's layers, the shipped pack, illustrative shapes): one row per source.
    "boundary_sources": ("level", "kind"), "release": ("release_id",),
}

# --- At which levels each breakdown is published ------------------------------------------------------------

#: Disbursements are published at every level; a desa for the complete year only (months from kecamatan up; see
#: anonymize.aggregate.Scope.small_area_codes).
MONTHLY_LEVELS = LEVELS[:4]
#: Channels, and payment statuses by month, are broken down from kabupaten/kota up.
CHANNEL_LEVELS = LEVELS[:3]
STATUS_MONTHLY_LEVELS = CHANNEL_LEVELS
#: Payment statuses for the whole year from kecamatan up (never for a desa).
STATUS_YEAR_LEVELS = LEVELS[:4]
#: Complaints, proposals and data-quality counts are small at desa level: published from kecamatan up.
FEEDBACK_LEVELS = LEVELS[:4]
#: The levels each cell table has rows at.
TABLE_LEVELS = {DISBURSEMENT_CELLS: LEVELS, COMPLAINT_CELLS: FEEDBACK_LEVELS, PROPOSAL_CELLS: FEEDBACK_LEVELS,
                QUALITY_CELLS: FEEDBACK_LEVELS}


def level_of_code(code: str) -> str:
    """'ID' nasional, '34' provinsi, '34.01' kabupaten, '34.01.02' kecamatan, '34.01.02.2001' desa."""
    if code == NATIONAL_CODE:
        return "nasional"
    return LEVELS[min(code.count(".") + 1, 4)]


def has_months(level: str) -> bool:
    """Whether regions at `level` have monthly figures (and so trends and maps by month): a desa has not."""
    return level in MONTHLY_LEVELS
