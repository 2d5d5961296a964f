"""The row validator: each rule on its own, then fuzzing for the guarantees (total, never raises, no personal data)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from messy_files import DESA, KELURAHAN, NAMES, REFERENCE_DATE, kk, nik

from data.validate import FIELDS, Accepted, Rejected, validate_columns, validate_row
from geo.regions import get_registry
from settings import CHANNELS, PROGRAMS, STATUSES


def good(**cells: str | None) -> dict[str, str | None]:
    """A valid row keyed by canonical column, with some cells replaced (None removes the key)."""
    row = {"nik": nik(1), "name": "Siti Aminah", "kk_number": kk(1), "desa_code": DESA, "program": "PKH",
           "period": "2025-01", "tahap": "1", "amount": "600.000", "channel": "BRI", "status": "disalurkan",
           "scheduled_date": "10/01/2025", "paid_date": "15/01/2025"}
    row.update(cells)
    return {key: value for key, value in row.items() if value is not None}


def accepted(**cells: str | None) -> dict[str, object]:
    outcome = validate_row(good(**cells), REFERENCE_DATE)
    assert isinstance(outcome, Accepted), outcome
    return outcome.record


def codes(**cells: str | None) -> set[str]:
    outcome = validate_row(good(**cells), REFERENCE_DATE)
    assert isinstance(outcome, Rejected), outcome
    return {reason.code for reason in outcome.reasons}


def test_a_clean_row_is_accepted_typed_and_normalised():
    assert accepted(name="  Siti   Aminah ") == {
        "nik": nik(1), "name": "Siti Aminah", "kk_number": kk(1), "desa_code": DESA, "program": "PKH",
        "period": "2025-01", "tahap": 1, "amount": 600_000, "channel": "BRI", "status": "disalurkan",
        "scheduled_date": date(2025, 1, 10), "paid_date": date(2025, 1, 15),
        "status_date": None, "desa_code_from": None,
    }


@pytest.mark.parametrize(("field", "text", "value"), [
    ("nik", "3204 0515 0190 0001", nik(1)),
    ("nik", "3204051501900001.0", nik(1)),
    ("nik", "3.204051501900001e+15", nik(1)),     # a float column read back from Parquet: no digit lost
    ("nik", "'3204051501900001", nik(1)),          # Excel's "keep as text" apostrophe
    ("kk_number", "3204-0512-0115-0001", kk(1)),
    ("desa_code", "3204052001", DESA),
    ("desa_code", " 32.04.05.2001 ", DESA),
    ("desa_code", "3.204052001E+09", DESA),
    ("program", "pkh", "PKH"),
    ("program", "Program Keluarga Harapan", "PKH"),
    ("program", "BPNT", "SEMBAKO"),
    ("program", "Sembako", "SEMBAKO"),
    ("program", "BLT-DD", "BLT_DD"),
    ("program", "blt dana desa", "BLT_DD"),
    ("period", "01/2025", "2025-01"),
    ("period", "1/2025", "2025-01"),
    ("period", "202501", "2025-01"),
    ("period", "Januari 2025", "2025-01"),
    ("period", "Jan 2025", "2025-01"),
    ("period", "DES 2024", "2024-12"),
    ("tahap", "Tahap 2", 2),
    ("tahap", "2.0", 2),
    ("amount", "600.000,00", 600_000),
    ("amount", "Rp 600.000", 600_000),
    ("amount", "Rp600.000", 600_000),
    ("amount", "600,000.00", 600_000),
    ("amount", "600000", 600_000),
    ("channel", "Bank Mandiri", "MANDIRI"),
    ("channel", "PT Pos Indonesia", "POS"),
    ("channel", "bank syariah indonesia", "BSI"),
    ("channel", None, None),
    ("kk_number", None, None),
    ("tahap", None, None),
    ("scheduled_date", "2025-01-10", date(2025, 1, 10)),
    ("scheduled_date", "10-01-2025", date(2025, 1, 10)),
    ("scheduled_date", "2025-01-10 00:00:00.000", date(2025, 1, 10)),
    ("scheduled_date", "2025-01-10T08:30:00+0700", date(2025, 1, 10)),
])
def test_forms_people_export_are_normalised(field, text, value):
    assert accepted(**{field: text})[field] == value


@pytest.mark.parametrize(("program", "amount", "desa"), [
    ("BLT DD", "300.000", DESA),
    ("BLT-DD", "900.000", DESA),
    ("BLT Dana Desa", "600.000", DESA),
    ("Sembako", "600.000", KELURAHAN),
    ("PKH", "3.000.000", KELURAHAN),
])
def test_program_rules_accept_what_programs_pay(program, amount, desa):
    assert accepted(program=program, amount=amount, desa_code=desa)["amount"] > 0


@pytest.mark.parametrize(("cells", "expected"), [
    ({"nik": "3.20405E+15"}, {"nik_excel"}),
    ({"nik": "32040515019000"}, {"nik_format"}),
    ({"nik": "3204O51501900001"}, {"nik_format"}),
    ({"nik": "9904051501900001"}, {"nik_province"}),
    ({"nik": "3200001501900001"}, {"nik_wilayah"}),
    ({"nik": "3204059901900001"}, {"nik_birth_date"}),
    ({"nik": "3204051501900000"}, {"nik_serial"}),
    ({"nik": "3204991501900001"}, {"nik_kecamatan_unknown"}),
    ({"kk_number": "3.20405E+15"}, {"kk_number_excel"}),
    ({"kk_number": "3204"}, {"kk_number_format"}),
    ({"desa_code": "32.04.05.9999"}, {"desa_code_unknown"}),
    ({"desa_code": "32.04"}, {"desa_code_level"}),
    ({"desa_code": "Cileunyi"}, {"desa_code_format"}),
    ({"program": "BST"}, {"program_unknown"}),
    ({"period": "2025-13"}, {"period_format"}),
    ({"period": "2006-12"}, {"period_implausible"}),
    ({"period": "2026-01"}, {"period_implausible"}),
    ({"tahap": "0"}, {"tahap_invalid"}),
    ({"amount": "-750.000"}, {"amount_not_positive"}),
    ({"amount": "(750.000)"}, {"amount_not_positive"}),
    ({"amount": "0"}, {"amount_not_positive"}),
    ({"amount": "750.000,50"}, {"amount_fraction"}),
    ({"amount": "sekitar 750 ribu"}, {"amount_format"}),
    ({"amount": "3.025.000"}, {"amount_too_large"}),
    ({"amount": "760.000"}, {"amount_step"}),
    ({"program": "BLT DD", "amount": "300.000", "desa_code": KELURAHAN}, {"program_in_kelurahan"}),
    ({"channel": "Bank Jago"}, {"channel_unknown"}),
    ({"status": "sukses"}, {"status_unknown"}),
    ({"status": "DISALURKAN", "paid_date": None}, {"paid_date_missing"}),
    ({"paid_date": "2026-01-01"}, {"paid_date_future"}),
    ({"paid_date": "02/30/2025"}, {"paid_date_format"}),   # month first is never read
    ({"scheduled_date": "1/1/25"}, {"scheduled_date_format"}),
    ({"scheduled_date": "2006-12-31"}, {"scheduled_date_implausible"}),
    ({"name": "   "}, {"name_missing"}),
    ({"nik": None, "name": None, "desa_code": None, "program": None, "period": None, "amount": None,
      "status": None}, {"nik_missing", "name_missing", "desa_code_missing", "program_missing", "period_missing",
                        "amount_missing", "status_missing"}),
])
def test_each_rule_gives_its_reason(cells, expected):
    assert codes(**cells) == expected


def test_every_reason_is_collected_not_only_the_first():
    found = codes(nik="3.20405E+15", program="BLT DD", amount="-1", desa_code=KELURAHAN, status="paid",
                  tahap="13", channel="Bank Jago", period="kemarin", scheduled_date="2030-01-01")
    assert found == {"nik_excel", "amount_not_positive", "program_in_kelurahan", "status_unknown", "tahap_invalid",
                     "channel_unknown", "period_format", "scheduled_date_future"}


def test_a_nik_from_another_kecamatan_than_the_desa_is_allowed():
    # People move; a NIK keeps the kecamatan where it was issued.
    assert accepted(nik="3471015501900001", desa_code=DESA)["nik"] == "3471015501900001"


def test_the_reference_date_decides_what_is_in_the_future():
    row = good(period="2026-11", scheduled_date="2026-11-20", paid_date="2026-11-21")
    assert isinstance(validate_row(row, date(2026, 11, 21)), Accepted)
    later = {r.code for r in validate_row(row, date(2026, 11, 20)).reasons}  # type: ignore[union-attr]
    assert later == {"paid_date_future"}


def test_rejected_rows_keep_their_valid_desa_code():
    assert validate_row(good(program="BST"), REFERENCE_DATE).desa_code == DESA  # type: ignore[union-attr]
    assert validate_row(good(desa_code="99"), REFERENCE_DATE).desa_code is None  # type: ignore[union-attr]


def test_messages_show_a_nik_masked_never_whole():
    outcome = validate_row(good(nik="3204051501900000", name="Dédé Suryani"), REFERENCE_DATE)
    text = " ".join(str(reason) for reason in outcome.reasons)  # type: ignore[union-attr]
    assert "3204********0000" in text
    assert "3204051501900000" not in text


# --- fuzzing -------------------------------------------------------------------------------------------

_any_text = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["", " ", "0", "-1", "1e5", "NaN", "\x00"]))
_arbitrary_rows = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), _any_text, max_size=16)


@st.composite
def _near_valid_rows(draw: st.DrawFn) -> dict[str, str | None]:
    """A valid row with some cells replaced by arbitrary text or removed: reaches every rule, not just 'missing'."""
    row: dict[str, str | None] = dict(good(nik=nik(draw(st.integers(1, 9999))), name=draw(st.sampled_from(NAMES))))
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        row[field] = draw(_any_text)
    return row


_fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_guarantees(row: dict[str, str | None]) -> Accepted | Rejected:
    outcome = validate_row(row, REFERENCE_DATE)
    assert isinstance(outcome, Accepted) != isinstance(outcome, Rejected)
    if isinstance(outcome, Rejected):
        assert outcome.reasons
        for reason in outcome.reasons:
            assert re.fullmatch(r"[a-z_]+", reason.code) and reason.message
        assert outcome.desa_code is None or outcome.desa_code in get_registry()
    else:
        record = outcome.record
        program = PROGRAMS[record["program"]]
        assert 0 < record["amount"] <= program.max_payment and record["amount"] % program.payment_step == 0
        assert record["status"] in STATUSES and record["channel"] in (None, *CHANNELS)
        assert (record["paid_date"] is not None) == (record["status"] == "disalurkan")
        assert len(record["nik"]) == 16 and record["name"]
    return outcome


@_fuzz
@given(_arbitrary_rows)
def test_fuzz_arbitrary_rows_never_raise_and_are_accepted_xor_rejected(row):
    _check_guarantees(row)


@_fuzz
@given(_near_valid_rows())
def test_fuzz_near_valid_rows_keep_the_guarantees_and_never_leak_the_nik_or_name(row):
    outcome = _check_guarantees(row)
    if isinstance(outcome, Rejected):
        text = " ".join(str(reason) for reason in outcome.reasons)
        for field in ("nik", "name", "kk_number"):
            value = (row.get(field) or "").strip()
            if len(value) >= 8:
                assert value not in text
        assert not _LONG_DIGITS.search(text)


_LONG_DIGITS = re.compile(r"\d(?:[\s.,\-/']?\d){11,}")


@st.composite
def _shifted_rows(draw: st.DrawFn) -> dict[str, str | None]:
    """A valid row whose cells slid left or right (a missing or extra cell upstream), as office exports have."""
    person = draw(st.integers(1, 9999))
    cells = list(good(nik=nik(person), name=draw(st.sampled_from(NAMES)), kk_number=kk(person % 1000)).values())
    shift = draw(st.integers(1, len(cells) - 1))
    # A cell missing upstream moves everything left; an extra one moves everything right.
    left = draw(st.booleans())
    cells = cells[shift:] + [None] * shift if left else [draw(_any_text) for _ in range(shift)] + cells
    separated = draw(st.sampled_from(["", " ", ".", "-", ","]))
    if separated:  # a NIK or KK written in groups, e.g. 3204 0515 0190 0001
        cells = [_grouped(cell, separated) if cell and cell.isdigit() and len(cell) == 16 else cell
                 for cell in cells]
    return dict(zip(FIELDS, cells, strict=False))


def _grouped(digits: str, separator: str) -> str:
    return separator.join(digits[i:i + 4] for i in range(0, 16, 4))


@_fuzz
@given(_shifted_rows())
def test_fuzz_shifted_rows_never_echo_a_nik_kk_or_name_from_any_column(row):
    outcome = validate_row(row, REFERENCE_DATE)
    assert isinstance(outcome, Rejected)
    text = " ".join(str(reason) for reason in outcome.reasons)
    assert not _LONG_DIGITS.search(text), text
    for name in NAMES:
        assert name not in text
        assert not any(word in text for word in name.split() if len(word) >= 5), text


@pytest.mark.parametrize(("cells", "hidden"), [
    ({"amount": "3404011203850003"}, "3404011203850003"),       # a NIK shifted into nominal
    ({"amount": "3.404.011.203.850.003"}, "3.404.011.203.850.003"),
    ({"program": "Siti Aminah"}, "Siti Aminah"),                # a name shifted into program
    ({"status": "Budi Santosa"}, "Budi Santosa"),
    ({"period": "Dédé Suryani"}, "Dédé Suryani"),
    ({"desa_code": "Siti Aminah"}, "Siti Aminah"),
    ({"desa_code": "3204051501900001"}, "3204051501900001"),    # a NIK shifted into kode_desa
    ({"tahap": "3204 0515 0190 0001"}, "3204 0515 0190 0001"),
])
def test_a_shifted_cell_is_never_echoed(cells, hidden):
    text = " ".join(str(reason) for reason in validate_row(good(**cells), REFERENCE_DATE).reasons)  # type: ignore[union-attr]
    assert hidden not in text and not _LONG_DIGITS.search(text)
    assert "not shown" in text or "hidden" in text


@settings(max_examples=100, deadline=None)
@given(st.lists(_near_valid_rows(), min_size=1, max_size=8))
def test_fuzz_a_batch_gives_the_same_outcome_as_each_row_alone(rows):
    batch = validate_columns({field: [row.get(field) for row in rows] for field in FIELDS}, len(rows), REFERENCE_DATE)
    for position, row in enumerate(rows):
        alone = validate_row(row, REFERENCE_DATE)
        if isinstance(alone, Rejected):
            assert batch.rejected[position] == alone
        else:
            index = batch.accepted_positions.index(position)
            assert {field: values[index] for field, values in batch.accepted.items()} == alone.record
