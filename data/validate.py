"""The row validator: one ingested row of text in, an accepted disbursement or every reason to quarantine it out.

Pure and total: `validate_row` (one row) and `validate_columns` (a batch, column-wise; what ingestion uses,
and the same code) never raise, whatever text or missing keys they are given. Reasons are
`Reason(code, message)`; stored in `quarantine.reasons` as ``"code: message"`` (split on the first ``": "``).
Messages never contain a raw NIK, KK number or name: NIKs are shown masked (``3204********0001``).

Decisions (see README, `python -m data ingest`):
- A NIK whose kecamatan differs from `kode_desa` is accepted (people move; the NIK keeps the old code), but
  the NIK's kecamatan must exist in the registry or in an earlier edition (`geo.code_history`): a NIK issued
  before its kecamatan was split or renumbered (pemekaran, e.g. Papua's 91.01.01 before 2022) is valid.
  A kecamatan no edition has is quarantined for review (lokal-id treats it as a warning).
- `tanggal_salur` (paid date) is required when the status is `disalurkan`. For `gagal`, `retur` and
  `tertunda` real exports fill it too (the attempt, the return to the treasury, the new schedule): that day
  is kept as `status_date` and `paid_date` stays NULL, so only `disalurkan` with a date counts as paid.
- A `kode_desa` of an earlier Kemendagri edition (2016-2023, `geo.code_history`) that moved is translated to
  today's code and the row keeps the given code in `desa_code_from`; one that is gone is quarantined with a
  reason naming its editions. A code that exists today is today's place.
- Messages never echo a value with letters (a shifted row puts a name in any column) and mask every run of
  12 or more digits, separators included (a shifted NIK or KK number).
- Nothing may be dated after the reference date (the day of ingestion unless given), nor before 2007,
  when PKH, the oldest program, began.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import chain, compress
from typing import cast

import lokal

from data.vocabulary import CHANNEL_ALIASES, FIELDS, LABELS, MONTHS, PROGRAM_ALIASES, STATUS_ALIASES
from geo.code_history import earlier_code
from geo.regions import RegionCodeError, get_registry, level_of, normalize_region_code
from settings import CHANNELS, PROGRAMS, STATUS_PAID, STATUSES

#: Columns of an accepted row beyond the file's: the day a failed, returned or pending payment carries, and
#: the code as given when `kode_desa` was translated (earlier edition or crosswalk).
DERIVED_FIELDS = ("status_date", "desa_code_from")
#: Columns every row must fill.
REQUIRED_FIELDS = ("nik", "name", "desa_code", "program", "period", "amount", "status")
#: The first year any of the programs paid (PKH, 2007).
EARLIEST_YEAR = 2007

_CACHE = 1 << 16
#: NIKs and KK numbers: a year's export repeats each recipient at every instalment.
_PEOPLE_CACHE = 1 << 17
_EXCEL_SCIENTIFIC = re.compile(r"(\d)(?:[.,](\d+))?[eE]\+?(\d+)", re.ASCII)
_EXCEL_FLOAT = re.compile(r"(\d+)[.,]0+", re.ASCII)
_ID_SEPARATORS = re.compile(r"[\s.\-]+")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
#: 12 or more digits, single separators between them allowed: a NIK or KK number, however written.
_LONG_NUMBER = re.compile(r"\d(?:[\s.,\-/']?\d){11,}")
_LETTER = re.compile(r"[^\W\d_]")
#: OCHA/HDX p-codes: `ID` + the compact Kemendagri code (ID3404012001).
_OCHA_PREFIX = re.compile(r"^ID(?=\d)", re.IGNORECASE)
_PERIOD_FORMS = tuple(re.compile(form, re.ASCII) for form in (
    r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})",                 # 2025-01, 2025/1
    r"(?P<m>\d{1,2})[-/.](?P<y>\d{4})",                 # 01/2025, 1-2025
    r"(?P<y>\d{4})(?P<m>\d{2})",                        # 202501
    r"(?P<name>[a-z]+)\.?[\s\-/]*(?P<y>\d{4})",          # Januari 2025, Jan 2025, jan-2025
))
_DATE_FORMS = tuple(re.compile(form, re.ASCII) for form in (
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",                  # ISO
    r"(?P<d>\d{1,2})(?P<sep>[/.\-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})",  # Indonesian: day first, never month first
))
#: Excel and Parquet timestamps carry a time of day; midnight or not, only the day matters.
_TIME_SUFFIX = re.compile(r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?", re.ASCII)
_TAHAP_PREFIX = re.compile(r"(?i)^tahap[\s\-]*")
_NIK_ISSUES = {
    "province": "its first two digits are not an Indonesian province",
    "wilayah": "its kabupaten or kecamatan digits are 00",
    "birth_date": "digits 7-12 are not a valid birth date (DDMMYY, women's day + 40)",
    "serial": "its last four digits (the serial number) are 0000",
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule a row broke: a short stable code and a readable sentence without personal data."""

    code: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", mask_long_numbers(self.message))

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


#: What a cell parser returns: the typed value (None when invalid) and the reasons it is invalid.
Parsed = tuple[object, tuple["Reason", ...]]


@dataclass(frozen=True, slots=True)
class Accepted:
    """A valid row, typed, keyed by the columns of `disbursements` (without source and source_line)."""

    record: dict[str, object]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row to quarantine: every reason, and the normalised desa code and month when the row had valid ones."""

    reasons: tuple[Reason, ...]
    desa_code: str | None
    #: 'YYYY-MM': the data-quality count of quarantined rows is a year's, like every other published count.
    period: str | None = None


def mask_long_numbers(text: str) -> str:
    """`amount 3,404,011,203,850,003` -> `amount [a number of 16 digits, hidden]`: never a NIK or KK in a message."""
    return _LONG_NUMBER.sub(lambda m: f"[a number of {sum(c.isdigit() for c in m.group())} digits, hidden]", text)


def validate_row(row: Mapping[str, object], reference_date: date) -> Accepted | Rejected:
    """Check one row of text (canonical column -> text; missing keys are empty) against every rule."""
    batch = validate_columns({field: [row.get(field)] for field in FIELDS}, 1, reference_date)
    if batch.rejected:
        return batch.rejected[0]
    return Accepted({field: values[0] for field, values in batch.accepted.items()})


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """Whether a batch's `kode_desa` are Kemendagri codes: rows with a code, unknown codes, and codes in
    another kecamatan than the recipient's NIK (one example kept: code and NIK kecamatan, no NIK)."""

    with_code: int = 0
    unknown: int = 0
    elsewhere: int = 0
    example: tuple[str, str] | None = None

    def __add__(self, other: CodeCheck) -> CodeCheck:
        return CodeCheck(self.with_code + other.with_code, self.unknown + other.unknown,
                         self.elsewhere + other.elsewhere, self.example or other.example)

    @property
    def foreign(self) -> bool:
        """Most rows disagree: not a Kemendagri-coded file (a BPS extract), not people who moved."""
        return self.with_code > 0 and (self.unknown + self.elsewhere) * 2 > self.with_code


@dataclass(frozen=True, slots=True)
class Batch:
    """A validated batch: the accepted rows as typed columns, the others by position."""

    accepted: dict[str, list[object]]
    accepted_positions: list[int]
    rejected: dict[int, Rejected]
    codes: CodeCheck = CodeCheck()


def validate_columns(columns: Mapping[str, Sequence[object]], size: int, reference_date: date,
                     extra_reasons: Mapping[int, Reason | Sequence[Reason]] | None = None) -> Batch:
    """Validate `size` rows given column-wise (canonical column -> cells of text; absent columns are empty).

    Each column is parsed once per distinct cell, which is what makes ingestion fast: a file repeats the
    same codes, amounts, dates and (across instalments) people. `extra_reasons` are found outside the
    cells (e.g. a row with the wrong number of cells) and reject their rows too. The accepted columns are
    FIELDS and DERIVED_FIELDS.
    """
    values, problems = {}, []
    for field in FIELDS:
        cells = columns.get(field) or [None] * size
        values[field], field_problems = _parse_column(field, cells, reference_date)
        problems.append(field_problems)
    desa_cells = columns.get("desa_code") or [None] * size
    translated = {cell: _desa_from(cell.strip()) if cell.__class__ is str else None for cell in set(desa_cells)}
    values["desa_code_from"] = list(map(translated.__getitem__, desa_cells))
    problems.append(list(map(_program_rules, values["program"], values["amount"], values["desa_code"])))
    problems.append(list(map(_paid_date_rule, values["status"], _present(columns.get("paid_date"), size))))
    # gagal/retur/tertunda: the day in tanggal_salur is the attempt, return or schedule, never a payment.
    paid = values["paid_date"]
    values["status_date"] = [None if s == STATUS_PAID else d for s, d in zip(values["status"], paid, strict=True)]
    values["paid_date"] = [d if s == STATUS_PAID else None for s, d in zip(values["status"], paid, strict=True)]
    extra = {position: (reason,) if isinstance(reason, Reason) else tuple(reason)
             for position, reason in (extra_reasons or {}).items()}
    # compress() keeps the positions whose reasons are not empty, without a Python loop over good rows.
    bad = sorted(set(extra).union(*(compress(range(size), column) for column in problems)))
    rejected = {
        position: Rejected(
            extra.get(position, ()) + tuple(chain.from_iterable(column[position] for column in problems)),
            # Parsed codes and months are text or None.
            cast("str | None", values["desa_code"][position]), cast("str | None", values["period"][position]))
        for position in bad
    }
    codes = _code_check(values["nik"], values["desa_code"], problems[FIELDS.index("desa_code")])
    if not rejected:
        return Batch(values, list(range(size)), {}, codes)
    kept = [position for position in range(size) if position not in rejected]
    return Batch({field: [column[i] for i in kept] for field, column in values.items()}, kept, rejected, codes)


def _code_check(parsed_niks: Sequence[object], parsed_desas: Sequence[object],
                desa_reasons: Sequence[tuple]) -> CodeCheck:
    # Parsed NIKs and desa codes are text or None (no copy: a batch is large).
    niks, desas = cast("Sequence[str | None]", parsed_niks), cast("Sequence[str | None]", parsed_desas)
    # Compared as digits first (one slice per row); only disagreeing rows look the NIK's kecamatan up in history.
    kecamatan = {desa: desa[:8].replace(".", "") for desa in set(desas) if desa is not None}
    unknown = sum(1 for reasons in desa_reasons if reasons and reasons[0].code == "desa_code_unknown")
    elsewhere, example = 0, None
    for nik, desa in zip(niks, desas, strict=True):
        if desa is not None and nik is not None and nik[:6] != kecamatan[desa]:
            home = _nik_kecamatan(nik)
            if home != desa[:8]:
                elsewhere += 1
                example = example or (str(desa), home)
    return CodeCheck(len(desas) - desas.count(None) + unknown, unknown, elsewhere, example)


@lru_cache(maxsize=_CACHE)
def _nik_kecamatan(nik: str) -> str:
    """Today's code of the kecamatan a NIK was issued in (an earlier edition's code is translated)."""
    kecamatan = f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"
    earlier = earlier_code(kecamatan) if kecamatan not in get_registry() else None
    return earlier.current or kecamatan if earlier else kecamatan


def _parse_column(field: str, cells: Sequence[object], reference_date: date) -> tuple[list[object], list[tuple]]:
    """Typed values and reasons of one column, cleaning and parsing each distinct cell once."""
    parse = _PARSERS[field]
    missing = (Reason(f"{field}_missing", f"{LABELS[field]} is empty."),) if field in REQUIRED_FIELDS else ()
    typed, reasons = {}, {}
    for cell in set(cells):
        text = cell.strip() if cell.__class__ is str else _clean(cell)
        typed[cell], reasons[cell] = parse(text, reference_date) if text else (None, missing)
    return list(map(typed.__getitem__, cells)), list(map(reasons.__getitem__, cells))


def _present(cells: Sequence[object] | None, size: int) -> list[bool]:
    if cells is None:
        return [False] * size
    present = {cell: _clean(cell) is not None for cell in set(cells)}
    return list(map(present.__getitem__, cells))


def _clean(value: object) -> str | None:
    return None if value is None else (str(value).strip() or None)


def _invalid(code: str, message: str) -> Parsed:
    return None, (Reason(code, message),)


def _shown(text: str) -> str:
    """The cell for a message, unless it has letters: in a shifted row any column may hold a name."""
    if _LETTER.search(text):
        return f"(a text of {len(text)} characters, not shown: it may be personal data)"
    return repr(text if len(text) <= 40 else text[:37] + "...")


# Every parser below is cached: exports repeat the same codes, amounts, dates and, across a year's
# instalments, the same people, so most cells are read once per file rather than once per row.

def nik_problems(text: str, reference_date: date) -> tuple[Reason, ...]:
    """Why a NIK is not a valid one (empty when it is): the NIK rule, applied once when a row enters the raw
    database (`disbursements.nik_valid`)."""
    return _nik_of(text, reference_date)[1]


@lru_cache(maxsize=_PEOPLE_CACHE)
def _nik_of(text: str, reference_date: date) -> Parsed:
    found, problems = _identity_digits(text, "nik")
    if found is None:
        return None, problems
    digits = str(found)
    issues = lokal.parse_nik(digits, reference_date=reference_date).errors
    kecamatan = f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}"
    if not issues and (kecamatan in get_registry() or earlier_code(kecamatan) is not None):
        return digits, ()
    masked = lokal.partial_mask("NIK", digits)
    if not issues:
        return _invalid("nik_kecamatan_unknown", f"NIK {masked} starts with kecamatan {kecamatan}, "
                        "which is in no Kemendagri edition (2016-2025).")
    return None, tuple(Reason(f"nik_{issue.code}", f"NIK {masked} is not a valid NIK: "
                              f"{_NIK_ISSUES.get(issue.code, issue.message)}.") for issue in issues)


@lru_cache(maxsize=_PEOPLE_CACHE)
def _kk_of(text: str) -> Parsed:
    return _identity_digits(text, "no_kk")


def _identity_digits(text: str, label: str) -> Parsed:
    """The 16 digits of a NIK or KK number as people export them (separators, Excel floats, leading ')."""
    if len(text) == 16 and text.isdigit() and text.isascii():  # as it should be: skip the repairs below
        return text, ()
    code = "kk_number" if label == "no_kk" else label
    text = text.lstrip("'")
    scientific = _EXCEL_SCIENTIFIC.fullmatch(text)
    excel_float = _EXCEL_FLOAT.fullmatch(text)
    if scientific:
        mantissa = scientific.group(1) + (scientific.group(2) or "")
        if len(mantissa) < int(scientific.group(3)) + 1:
            return _invalid(f"{code}_excel", f"{label} was turned into a number by Excel (scientific notation) "
                            "and lost its last digits; format the column as text and export again.")
        # As many mantissa digits as the exponent needs: the value is whole (e.g. Parquet float -> text).
        digits = str(int(Decimal(text.replace(",", "."))))
    else:
        digits = excel_float.group(1) if excel_float else _ID_SEPARATORS.sub("", text)
    if not (digits.isascii() and digits.isdigit()):
        return _invalid(f"{code}_format", f"{label} contains characters other than digits.")
    if len(digits) != 16:
        return _invalid(f"{code}_format", f"{label} must have 16 digits, not {len(digits)}.")
    return digits, ()


def _desa_text(text: str) -> tuple[str | None, Reason | None]:
    """The dotted code of a cell as written (leading `'` of Excel text, OCHA `ID` prefix), not yet looked up."""
    text = _OCHA_PREFIX.sub("", text.lstrip("'").strip())
    try:
        return normalize_region_code(text), None
    except RegionCodeError as error:
        if _LETTER.search(text.replace("E+", "").replace("e+", "")):
            return None, Reason("desa_code_format", "kode_desa is not a region code: it contains letters "
                                "(the value is not shown: it may be personal data).")
        return None, Reason("desa_code_format", f"kode_desa: {error}")


@lru_cache(maxsize=_CACHE)
def _desa_of(text: str) -> Parsed:
    code, problem = _desa_text(text)
    if code is None:
        return None, (problem,) if problem else ()
    if code not in get_registry():
        earlier = earlier_code(code)
        if earlier is None:
            return _invalid("desa_code_unknown", f"kode_desa {code} is not in the Kemendagri registry "
                            "(2025 edition) nor in its 2016-2023 editions.")
        if earlier.current is None:
            return _invalid("desa_code_gone", f"kode_desa {code} is {earlier.describe()}; "
                            "give the code of the place today.")
        code = earlier.current
    if level_of(code) != "desa":
        return _invalid("desa_code_level", f"kode_desa {code} is a {level_of(code)} code, not a desa/kelurahan.")
    return code, ()


@lru_cache(maxsize=_CACHE)
def _desa_from(text: str) -> str | None:
    """`91.01.01.1002 (2016-2022 edition)` when the cell is an earlier edition's code that moved, else None."""
    code = _desa_text(text)[0] if text else None
    if code is None or code in get_registry():
        return None
    earlier = earlier_code(code)
    return f"{code} ({earlier.editions} edition)" if earlier and earlier.current else None


def _known(value: str | None, text: str, field: str, allowed: Collection[str]) -> Parsed:
    if value is not None:
        return value, ()
    return _invalid(f"{field}_unknown", f"{LABELS[field]} {_shown(text)} is not one of {', '.join(allowed)}.")


@lru_cache(maxsize=_CACHE)
def _program_of(text: str) -> Parsed:
    return _known(PROGRAM_ALIASES.get(_NOT_ALNUM.sub("", text.upper())), text, "program", PROGRAMS)


@lru_cache(maxsize=_CACHE)
def _status_of(text: str) -> Parsed:
    return _known(STATUS_ALIASES.get(" ".join(text.lower().replace("_", " ").split())), text, "status", STATUSES)


@lru_cache(maxsize=_CACHE)
def _channel_of(text: str) -> Parsed:
    return _known(CHANNEL_ALIASES.get(_NOT_ALNUM.sub("", text.upper())), text, "channel", CHANNELS)


@lru_cache(maxsize=_CACHE)
def _tahap_of(text: str) -> Parsed:
    number = _TAHAP_PREFIX.sub("", text).removesuffix(".0")
    if number.isascii() and number.isdigit() and 1 <= int(number) <= 12:
        return int(number), ()
    return _invalid("tahap_invalid", f"tahap {_shown(text)} is not an instalment number from 1 to 12.")


@lru_cache(maxsize=_CACHE)
def _amount_of(text: str) -> Parsed:
    # lokal.parse_rupiah drops a minus sign, so negative amounts (also as accounting brackets) are caught first.
    if text[0] in "-\u2212(" or text.endswith("-"):
        return _invalid("amount_not_positive", f"nominal {_shown(text)} is negative.")
    parsed = lokal.parse_rupiah(text)
    if parsed is None or parsed.approximate:
        return _invalid("amount_format", f"nominal {_shown(text)} is not an amount in Rupiah.")
    if parsed.amount != int(parsed.amount):
        return _invalid("amount_fraction", f"nominal {_shown(text)} has sen; bansos are paid in whole Rupiah.")
    if parsed.amount <= 0:
        return _invalid("amount_not_positive", f"nominal {_shown(text)} is not positive.")
    return int(parsed.amount), ()


@lru_cache(maxsize=_CACHE)
def _period_of(text: str, reference_date: date) -> Parsed:
    month = _month_of(text.lower())
    if month is None:
        return _invalid("period_format", f"periode {_shown(text)} is not a month "
                        "(expected e.g. 2025-01, 01/2025, 202501 or Januari 2025).")
    latest = f"{reference_date.year:04d}-{reference_date.month:02d}"
    if not f"{EARLIEST_YEAR}-01" <= month <= latest:
        return _invalid("period_implausible", f"periode {month} is outside {EARLIEST_YEAR}-01 .. {latest}.")
    return month, ()


def _month_of(text: str) -> str | None:
    for pattern in _PERIOD_FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        month = MONTHS.get(parts["name"], 0) if "name" in parts else int(parts["m"])
        return f"{int(parts['y']):04d}-{month:02d}" if 1 <= month <= 12 else None
    return None


@lru_cache(maxsize=_CACHE)
def _date_of(text: str, field: str, reference_date: date) -> Parsed:
    day, label = _day_of(text), LABELS[field]
    if day is None:
        return _invalid(f"{field}_format", f"{label} {_shown(text)} is not a date (dd/mm/yyyy or yyyy-mm-dd).")
    if day > reference_date:
        return _invalid(f"{field}_future", f"{label} {day.isoformat()} is after {reference_date.isoformat()}.")
    if day.year < EARLIEST_YEAR:
        return _invalid(f"{field}_implausible", f"{label} {day.isoformat()} is before {EARLIEST_YEAR}.")
    return day, ()


def _day_of(text: str) -> date | None:
    for pattern in _DATE_FORMS:
        match = pattern.match(text)
        if match is None or not _TIME_SUFFIX.fullmatch(text, match.end()):
            continue
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return None
    return None


@lru_cache(maxsize=_CACHE)
def _program_rules(program_code: object, amount: object, desa: object) -> tuple[Reason, ...]:
    """Rules of the program itself: the amounts it pays, and where (BLT Dana Desa never in a kelurahan)."""
    program = PROGRAMS.get(str(program_code))
    if program is None:
        return ()
    reasons = []
    if isinstance(amount, int) and amount > program.max_payment:
        reasons.append(Reason("amount_too_large", f"nominal {amount:,} is more than {program.code} "
                              f"ever pays at once ({program.max_payment:,})."))
    elif isinstance(amount, int) and amount % program.payment_step:
        reasons.append(Reason("amount_step", f"nominal {amount:,} is not a multiple of {program.code}'s "
                              f"payment step ({program.payment_step:,})."))
    if program.desa_only and get_registry().kinds.get(str(desa)) == "kelurahan":
        reasons.append(Reason("program_in_kelurahan", f"{program.code} is paid from the village fund (Dana Desa), "
                              f"but {desa} is a kelurahan."))
    return tuple(reasons)


@lru_cache(maxsize=_CACHE)
def _paid_date_rule(status: object, has_paid_date: bool) -> tuple[Reason, ...]:
    if status == STATUS_PAID and not has_paid_date:
        return (Reason("paid_date_missing", f"status {STATUS_PAID} needs tanggal_salur (the paid date)."),)
    return ()


#: Each column's parser, as `parse(text, reference_date) -> (value, reasons)`.
_PARSERS: dict[str, Callable[[str, date], Parsed]] = {
    "nik": _nik_of,
    "name": lambda text, _: (" ".join(text.split()), ()),
    "kk_number": lambda text, _: _kk_of(text),
    "desa_code": lambda text, _: _desa_of(text),
    "program": lambda text, _: _program_of(text),
    "period": _period_of,
    "tahap": lambda text, _: _tahap_of(text),
    "amount": lambda text, _: _amount_of(text),
    "channel": lambda text, _: _channel_of(text),
    "status": lambda text, _: _status_of(text),
    "scheduled_date": lambda text, reference_date: _date_of(text, "scheduled_date", reference_date),
    "paid_date": lambda text, reference_date: _date_of(text, "paid_date", reference_date),
}
