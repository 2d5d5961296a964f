"""The raw database: its tables (row-level, private) and how to open it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from geo.regions import write_regions

#: Row-level tables. These hold personal data and never leave the raw database.
RAW_TABLES_DDL = {
    # A DTSEN-like registry of households (one row per household, its head's identity).
    "households": """
        CREATE TABLE IF NOT EXISTS households (
            household_id      BIGINT NOT NULL,
            kk_number         VARCHAR NOT NULL,   -- Kartu Keluarga number, 16 digits
            head_nik          VARCHAR NOT NULL,   -- NIK of the head of household
            head_name         VARCHAR NOT NULL,
            head_sex          VARCHAR NOT NULL,   -- 'L' or 'P'
            head_birth_date   DATE NOT NULL,
            desa_code         VARCHAR NOT NULL,   -- dotted Kemendagri code, PP.KK.CC.DDDD
            member_count      TINYINT NOT NULL,
            desil             TINYINT NOT NULL,   -- welfare decile 1 (poorest) .. 10
            pkh_components    TINYINT NOT NULL,   -- members qualifying for a PKH component (before the cap)
            pkh_annual_benefit BIGINT NOT NULL,   -- PKH entitlement per year after the member cap, Rupiah
            head_died_on      DATE                -- set when the head has died (still listed: a data fault)
        )""",
    "members": """
        CREATE TABLE IF NOT EXISTS members (
            household_id      BIGINT NOT NULL,
            member_no         TINYINT NOT NULL,   -- 1 = head
            sex               VARCHAR NOT NULL,
            age               TINYINT NOT NULL,
            school_level      VARCHAR,            -- 'SD', 'SMP', 'SMA' or NULL
            pregnant          BOOLEAN NOT NULL,
            severe_disability BOOLEAN NOT NULL,
            pkh_component     VARCHAR             -- key of settings.PKH_ANNUAL_BENEFIT or NULL
        )""",
    # One row per payment (attempt). Generated rows and ingested rows share this table.
    "disbursements": """
        CREATE TABLE IF NOT EXISTS disbursements (
            nik               VARCHAR NOT NULL,
            name              VARCHAR NOT NULL,
            kk_number         VARCHAR,            -- the household key for "recipients"; NULL if unknown
            desa_code         VARCHAR NOT NULL,
            program           VARCHAR NOT NULL,   -- a key of settings.PROGRAMS
            period            VARCHAR NOT NULL,   -- scheduled month, 'YYYY-MM'
            tahap             TINYINT,            -- instalment number within the year
            amount            BIGINT NOT NULL,    -- Rupiah
            channel           VARCHAR,            -- one of settings.CHANNELS
            status            VARCHAR NOT NULL,   -- one of settings.STATUSES
            scheduled_date    DATE,
            paid_date         DATE,               -- NULL unless money reached the recipient
            source            VARCHAR NOT NULL,   -- 'generator' or the ingested file's name
            source_line       BIGINT,             -- line number in that file (from its top, title lines included)
            status_date       DATE,               -- gagal/retur/tertunda: the attempt, return or schedule given
            desa_code_from    VARCHAR             -- when kode_desa was translated: the code given and how
        )""",
    # Complaints (pengaduan) about social assistance, by desa.
    "complaints": """
        CREATE TABLE IF NOT EXISTS complaints (
            complaint_id      BIGINT NOT NULL,
            desa_code         VARCHAR NOT NULL,
            program           VARCHAR,            -- NULL when the complaint names no program
            category          VARCHAR NOT NULL,
            status            VARCHAR NOT NULL,
            channel           VARCHAR NOT NULL,
            received_date     DATE NOT NULL,
            closed_date       DATE
        )""",
    # Usul (proposal to add a household) and sanggah (objection to a listed household), by desa.
    "usul_sanggah": """
        CREATE TABLE IF NOT EXISTS usul_sanggah (
            proposal_id       BIGINT NOT NULL,
            desa_code         VARCHAR NOT NULL,
            kind              VARCHAR NOT NULL,   -- 'usul' or 'sanggah'
            program           VARCHAR NOT NULL,
            status            VARCHAR NOT NULL,
            submitted_date    DATE NOT NULL,
            decided_date      DATE
        )""",
    # Rows of ingested files that failed validation, kept whole so nothing is lost.
    "quarantine": """
        CREATE TABLE IF NOT EXISTS quarantine (
            source            VARCHAR NOT NULL,   -- file name
            source_sha256     VARCHAR NOT NULL,
            source_line       BIGINT NOT NULL,
            reasons           VARCHAR[] NOT NULL, -- every rule the row broke
            desa_code         VARCHAR,            -- normalised, when the row had a valid one
            record            JSON NOT NULL       -- the row as read, column -> text
        )""",
    # One row per ingested file: makes re-ingestion idempotent and counts reconcilable.
    "ingested_files": """
        CREATE TABLE IF NOT EXISTS ingested_files (
            source            VARCHAR NOT NULL,
            source_sha256     VARCHAR NOT NULL PRIMARY KEY,
            ingested_at       TIMESTAMP NOT NULL,
            input_rows        BIGINT NOT NULL,
            accepted          BIGINT NOT NULL,
            quarantined       BIGINT NOT NULL,
            crosswalk         VARCHAR             -- the --crosswalk file (name, sha256) its codes went through
        )""",
    # Key/value facts about how the raw database was made (preset, seed, year, ...).
    "raw_metadata": """
        CREATE TABLE IF NOT EXISTS raw_metadata (
            key               VARCHAR PRIMARY KEY,
            value             VARCHAR NOT NULL
        )""",
}



def connect_raw(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a raw database with its schema and region registry in place."""
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"No raw database at {path}; run `python -m data generate` first.")
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    create_raw_schema(con)
    return con


#: Columns added after the first release: databases made before them gain them (NULL) when opened.
ADDED_COLUMNS = (
    ("disbursements", "status_date", "DATE"),
    ("disbursements", "desa_code_from", "VARCHAR"),
    ("ingested_files", "crosswalk", "VARCHAR"),
    # Whether the NIK passes the NIK rule (data.validate, through lokal): ingest accepts only such rows, the
    # generator marks the NIKs it made impossible. The publisher counts invalid NIKs from this, never again.
    ("disbursements", "nik_valid", "BOOLEAN"),
    # The month of a quarantined row when it could be read ('YYYY-MM'): the published count is the year's.
    ("quarantine", "period", "VARCHAR"),
    # The registry year of a household or member row: a generated run of several years lists each household once
    # per year (NULL: a registry without years, which counts for every year).
    ("households", "year", "SMALLINT"),
    ("members", "year", "SMALLINT"),
)


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in RAW_TABLES_DDL.values():
        con.execute(ddl)
    for table, column, kind in ADDED_COLUMNS:
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
    # fetchall, not fetchone: DuckDB 2 refuses register() while a result is still open on the connection.
    has_regions = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'regions'"
    ).fetchall()[0][0]
    if not has_regions:
        write_regions(con)
