"""Rates of the realistic data faults the generator injects, and reading overrides like `exclusion=0.2`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

#: Largest rate accepted for any fault: above this the data stops looking like a real program.
MAX_RATE = 0.9


@dataclass(frozen=True)
class FaultRates:
    """Run-wide average rates; each desa gets its own rate around these (see data.plan)."""

    #: Share of recipient households whose head's NIK is a copy of another recipient's NIK in another desa.
    duplicate_nik: float = 0.005
    #: Share of households whose head's NIK is impossible (bad date, serial 0000, wrong length).
    invalid_nik: float = 0.01
    #: Share of households whose head has died; the payments keep coming.
    deceased: float = 0.01
    #: Share of Sembako recipient households above the target desil (mostly desil 5-6).
    inclusion: float = 0.10
    #: Share of eligible households (desil 1-4) that receive nothing at all.
    exclusion: float = 0.20
    #: Share of payments that fail (status `gagal`).
    failed: float = 0.02
    #: Share of payments returned to the treasury (status `retur`).
    returned: float = 0.01
    #: Share of paid payments that arrive more than `late_after_days` after their scheduled date.
    late: float = 0.06

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def fault_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(FaultRates))


def parse_overrides(items: list[str], base: FaultRates | None = None) -> FaultRates:
    """Apply `name=rate` items (each may hold several, comma-separated); raise ValueError with one sentence."""
    rates = base or FaultRates()
    for item in items:
        for part in filter(None, (p.strip() for p in item.split(","))):
            name, sep, value = part.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in fault_names():
                raise ValueError(f"{part!r} is not a fault override; use NAME=RATE with NAME one of "
                                 f"{', '.join(fault_names())}.")
            rates = replace(rates, **{name: _rate(name, value)})
    return rates


def _rate(name: str, value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        raise ValueError(f"The rate for fault {name} must be a number, got {value.strip()!r}.") from None
    if not 0 <= rate <= MAX_RATE:
        raise ValueError(f"The rate for fault {name} must be between 0 and {MAX_RATE}, got {rate}.")
    return rate
