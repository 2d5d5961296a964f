"""Several generated years: each dynamic at its configured rate, amounts by year, quotas, the disaster, cleaning."""

from __future__ import annotations

import json
from dataclasses import replace

import duckdb
import numpy as np
import pytest
from scipy.stats import multivariate_normal

from data import identity
from data.dynamics import Dynamics, pick_shocks, welfare_shift
from data.faults import FaultRates
from data.generate import TABLES, GenerationConfig, generate
from data.plan import DESIL_CUTS, build_plan, select_desa
from settings import PKH_TAHAP_MONTHS, SEMBAKO_BATCHES, program_year

#: Four NTT kabupaten (poor, remote: many recipients and faults) at a third of their density, in several chunks.
REGIONS = ("53.10", "53.11", "53.12", "53.13")
YEARS = (2021, 2025)
FAULTS = FaultRates(duplicate_nik=0.02, invalid_nik=0.03, deceased=0.02, inclusion=0.10, exclusion=0.20,
                    failed=0.03, returned=0.02, late=0.08)
CONFIG = GenerationConfig(seed=5, first_year=YEARS[0], year=YEARS[1], regions=REGIONS, scale=0.3, faults=FAULTS,
                          chunk_households=6000)
DYNAMICS = Dynamics()


def sigma_band(rate: float, n: int, sigmas: float = 4.0) -> float:
    """Half-width of a Bernoulli share's band around `rate` over `n` draws."""
    return sigmas * float(np.sqrt(rate * (1 - rate) / max(n, 1)))


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("years") / "raw.duckdb"
    generate(replace(CONFIG, out=out), show_progress=False)
    connection = duckdb.connect(str(out), read_only=True)
    yield connection, out
    connection.close()


@pytest.fixture(scope="module")
def con(raw) -> duckdb.DuckDBPyConnection:
    return raw[0]


def value(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchall()[0][0]


def metadata(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM raw_metadata").fetchall())


#: Consecutive years of the same household: `a` the year, `b` the next.
PAIRS = """FROM households a JOIN households b ON b.household_id = a.household_id AND b.year = a.year + 1"""


def test_every_table_has_every_year_and_the_metadata_says_how_they_relate(con):
    years = list(range(YEARS[0], YEARS[1] + 1))
    assert value(con, "SELECT list(DISTINCT year ORDER BY year) FROM households") == years
    assert value(con, "SELECT list(DISTINCT year ORDER BY year) FROM members") == years
    for table, year_of in (("disbursements", "left(period, 4)::INT"), ("complaints", "year(received_date)")):
        assert value(con, f"SELECT list(DISTINCT y ORDER BY y) FROM (SELECT {year_of} AS y FROM {table})") == years
    assert value(con, "SELECT count(*) - count(DISTINCT complaint_id) FROM complaints") == 0
    assert value(con, "SELECT count(*) - count(DISTINCT (year, household_id)) FROM households") == 0
    meta = metadata(con)
    assert meta["years"] == "2021-2025" and meta["year"] == "2025"
    assert set(json.loads(meta["quota_factors"])) == set(REGIONS)
    assert json.loads(meta["dynamics"])["move_rate"] == DYNAMICS.move_rate
    assert len(json.loads(meta["shocks"])) >= 1


def test_a_household_keeps_its_family_card_and_desa_unless_it_moved(con):
    same_card = value(con, f"SELECT avg((a.kk_number = b.kk_number)::int) {PAIRS}")
    assert same_card == 1
    moved = value(con, f"SELECT avg((a.desa_code <> b.desa_code)::int) {PAIRS} WHERE a.head_died_on IS NULL")
    assert 0 < moved < 2 * DYNAMICS.move_rate
    # Moves stay in the kabupaten, mostly in the kecamatan.
    assert value(con, f"SELECT count(*) {PAIRS} WHERE left(a.desa_code, 5) <> left(b.desa_code, 5)") == 0
    within = value(con, f"SELECT avg((left(a.desa_code, 8) = left(b.desa_code, 8))::int) {PAIRS} "
                        "WHERE a.desa_code <> b.desa_code")
    assert within == pytest.approx(DYNAMICS.move_within_kecamatan, abs=0.1)
    # Member lists match each year's household rows.
    assert value(con, """SELECT count(*) FROM households h LEFT JOIN (SELECT year, household_id, count(*) AS n
        FROM members GROUP BY ALL) m USING (year, household_id) WHERE m.n IS DISTINCT FROM h.member_count""") == 0


def test_moves_deaths_leavers_and_newcomers_happen_at_their_configured_rates(con):
    alive = f"{PAIRS} WHERE a.head_died_on IS NULL"
    n = value(con, f"SELECT count(*) {alive}")
    moved = value(con, f"SELECT avg((a.desa_code <> b.desa_code)::int) {alive}")
    # A few households live in a kecamatan or kabupaten part with no other desa to move to.
    assert DYNAMICS.move_rate * 0.85 - sigma_band(DYNAMICS.move_rate, n) < moved
    assert moved < DYNAMICS.move_rate + sigma_band(DYNAMICS.move_rate, n)
    died = value(con, f"SELECT avg((b.head_died_on IS NOT NULL)::int) {alive}")
    assert abs(died - DYNAMICS.head_death_rate) < sigma_band(DYNAMICS.head_death_rate, n)
    newcomers = value(con, """SELECT count(*) FROM households b WHERE b.year > ? AND NOT EXISTS (SELECT 1 FROM
        households a WHERE a.household_id = b.household_id AND a.year = b.year - 1)""", [YEARS[0]])
    living_before = value(con, "SELECT count(*) FROM households WHERE year < ? AND head_died_on IS NULL", [YEARS[1]])
    assert abs(newcomers / living_before - DYNAMICS.new_household_rate) < sigma_band(
        DYNAMICS.new_household_rate, living_before)
    # Newcomers are younger than the registry and enter with family cards issued that year.
    young = value(con, "SELECT avg(year - year(head_birth_date)) FROM households WHERE household_id >= 10^12")
    assert young < 40
    assert value(con, """SELECT count(*) FROM (SELECT household_id, min(year) AS joined, any_value(kk_number) AS kk
        FROM households WHERE household_id >= 10^12 GROUP BY ALL) WHERE substr(kk, 11, 2)::INT <> joined % 100""") == 0
    left = value(con, """SELECT avg((b.household_id IS NULL)::int) FROM households a LEFT JOIN households b
        ON b.household_id = a.household_id AND b.year = a.year + 1 WHERE a.year < ? AND a.head_died_on IS NULL""",
                 [YEARS[1]])
    assert abs(left - DYNAMICS.leave_rate) < sigma_band(DYNAMICS.leave_rate, living_before)


def expected_desil_moves(persistence: float, shift: float, plan_mu: np.ndarray, weights: np.ndarray) -> tuple[
        float, float]:
    """Shares of households one year later in a higher and a lower desil: the own welfare (sd 1) of two years is
    bivariate normal with correlation `persistence`, the desa mean fixed, the year's level moved by `shift`."""
    cuts = np.r_[-np.inf, DESIL_CUTS, np.inf]
    law = multivariate_normal(mean=[0, 0], cov=[[1, persistence], [persistence, 1]])
    up = down = 0.0
    for mu, weight in zip(plan_mu, weights, strict=True):
        before, after = cuts - mu, cuts - mu - shift
        same = 0.0
        for d in range(10):
            lo = np.maximum([before[d], after[d]], -8)
            hi = np.minimum([before[d + 1], after[d + 1]], 8)
            same += law.cdf(hi) - law.cdf([lo[0], hi[1]]) - law.cdf([hi[0], lo[1]]) + law.cdf(lo)
        # P(lower desil next year) = P(after-band index < before-band index); by symmetry of the joint law split the
        # changed mass with the drift: integrate the lower-triangle cells.
        lower = 0.0
        for d in range(10):
            for e in range(d):
                lo = np.maximum([before[d], after[e]], -8)
                hi = np.minimum([before[d + 1], after[e + 1]], 8)
                lower += law.cdf(hi) - law.cdf([lo[0], hi[1]]) - law.cdf([hi[0], lo[1]]) + law.cdf(lo)
        up += weight * (1 - same - lower)
        down += weight * lower
    return up / weights.sum(), down / weights.sum()


def test_desil_moves_up_and_down_at_the_rate_the_welfare_persistence_gives(con):
    """Households of desa without a disaster, staying in their desa, 2023 -> 2024: measured shares of improving
    and falling households against an independent integration over the run's desa welfare means."""
    shocked = [s["kabupaten"] for s in json.loads(metadata(con)["shocks"]) if s["year"] >= 2022]
    plan = build_plan(CONFIG.seed, select_desa(REGIONS), CONFIG.scale, FAULTS)
    plan = plan[~plan["code"].str[:5].isin(shocked) & (plan["households"] > 0)]
    # The integral is over desa means only; bin them to keep it quick.
    bins = np.round(plan["welfare_mu"].to_numpy(), 1)
    mus, inverse = np.unique(bins, return_inverse=True)
    weights = np.bincount(inverse, weights=plan["households"].to_numpy())
    up, down = expected_desil_moves(DYNAMICS.welfare_persistence, welfare_shift(2024) - welfare_shift(2023), mus,
                                    weights)
    measured = con.execute(f"""SELECT avg((b.desil > a.desil)::int), avg((b.desil < a.desil)::int), count(*) {PAIRS}
        WHERE a.year = 2023 AND a.desa_code = b.desa_code AND left(a.desa_code, 5) NOT IN (SELECT unnest(?))
        AND a.household_id < 10^12""", [shocked or [""]]).fetchall()[0]
    # Newcomers' extra poverty still fading and the binning blur the expectation a little.
    assert measured[0] == pytest.approx(up, abs=0.03)
    assert measured[1] == pytest.approx(down, abs=0.03)
    assert 0.3 < up + down < 0.7


def test_sembako_caseload_per_kabupaten_follows_its_quota(con):
    factors = json.loads(metadata(con)["quota_factors"])
    caseload = {(kab, int(year)): n for kab, year, n in con.execute("""
        SELECT left(desa_code, 5), left(period, 4), count(DISTINCT kk_number) FROM disbursements
        WHERE program = 'SEMBAKO' GROUP BY ALL""").fetchall()}
    chunks = 1 + value(con, "SELECT max(complaint_id // 100000000 % 100000) FROM complaints")
    # A listed head whose death was caught before the first Sembako batch (January) has no payment to count.
    early = {(kab, year): n for kab, year, n in con.execute("""SELECT left(desa_code, 5), year, count(*)
        FROM households WHERE head_died_on < make_date(year, 1, 25) AND year(head_died_on) = year
        GROUP BY ALL""").fetchall()}
    living = {(kab, year): n for kab, year, n in con.execute("""SELECT left(desa_code, 5), year, count(*)
        FROM households WHERE head_died_on IS NULL OR year(head_died_on) = year GROUP BY ALL""").fetchall()}
    checked = 0
    for kab in REGIONS:
        first = caseload[(kab, YEARS[0])]
        for year in range(YEARS[0] + 1, YEARS[1] + 1):
            wanted = first * factors[kab][str(year)]
            if wanted > 0.9 * living[(kab, year)]:
                # A quota above the kabupaten's households lists (nearly) all of them.
                assert caseload[(kab, year)] > 0.9 * living[(kab, year)], (kab, year)
                continue
            # Each chunk's part of a kabupaten rounds its own quota.
            allowed = chunks + early.get((kab, year), 0)
            assert abs(caseload[(kab, year)] - wanted) <= allowed, (kab, year)
            checked += 1
    assert checked >= len(REGIONS)


def test_the_disaster_raises_need_caseload_and_rupiah_against_the_year_before_and_the_neighbours(con):
    """In a disaster's kabupaten and year: more of the poorest, more BLT Dana Desa households (it follows need),
    and, where the lists had room, more Sembako and PKH households and Rupiah (the quota's uplift) than the year
    before, by more than in the kabupaten no disaster touched."""
    shocks = json.loads(metadata(con)["shocks"])
    assert all(s["year"] > YEARS[0] and s["kabupaten"] in REGIONS for s in shocks)
    hit = {(s["kabupaten"], s["year"]) for s in shocks}
    growth = {(kab, int(year), kind): (households, rupiah) for kab, year, kind, households, rupiah in con.execute("""
        WITH y AS (SELECT left(desa_code, 5) AS kab, left(period, 4)::INT AS year, program IN ('PKH', 'SEMBAKO')
                          AS listed, count(DISTINCT kk_number) AS households, sum(amount) AS rupiah
                   FROM disbursements GROUP BY ALL)
        SELECT y.kab, y.year, CASE WHEN y.listed THEN 'listed' ELSE 'BLT_DD' END, y.households / p.households,
               y.rupiah / p.rupiah
        FROM y JOIN y p ON p.kab = y.kab AND p.year = y.year - 1 AND p.listed = y.listed""").fetchall()}
    poor = {(kab, year): share for kab, year, share in con.execute(
        "SELECT left(desa_code, 5), year, avg((desil <= 2)::int) FROM households GROUP BY ALL").fetchall()}
    coverage = {(kab, int(year)): share for kab, year, share in con.execute("""SELECT left(desa_code, 5), year,
        count(DISTINCT kk_number) FILTER (WHERE kk_number IN (SELECT kk_number FROM disbursements d
            WHERE d.program = 'SEMBAKO' AND left(d.period, 4)::INT = h.year)) / count(*)
        FROM households h GROUP BY ALL""").fetchall()}
    for kab, year in hit:
        calm = [k for k in REGIONS if not any((k, y) in hit for y in range(year - 2, year + 1))]
        assert poor[(kab, year)] > poor[(kab, year - 1)] + 0.05
        blt = growth[(kab, year, "BLT_DD")][0]
        assert blt > 1.1 and all(blt > growth[(k, year, "BLT_DD")][0] + 0.05 for k in calm), (kab, year)
        if coverage[(kab, year - 1)] > 0.7:
            continue  # nearly every household was listed already: no room for emergency recipients
        listed = growth[(kab, year, "listed")]
        assert listed[0] > 1.15 and listed[1] > 1.15, (kab, year)
        assert all(listed[0] > growth[(k, year, "listed")][0] + 0.1 for k in calm), (kab, year)
        assert all(listed[1] > growth[(k, year, "listed")][1] + 0.1 for k in calm), (kab, year)


def test_disasters_are_seeded_per_kabupaten_and_year():
    years = range(2021, 2026)
    everywhere = pick_shocks(5, [f"53.{k:02d}" for k in range(1, 23)], years, Dynamics(shock_rate=0.2))
    assert everywhere == pick_shocks(5, [f"53.{k:02d}" for k in range(1, 23)], years, Dynamics(shock_rate=0.2))
    some = {s.kabupaten for s in everywhere}
    # A kabupaten hit in the whole province is hit when generated with fewer neighbours too.
    subset = pick_shocks(5, [*sorted(some)[:2], "53.99"], years, Dynamics(shock_rate=0.2))
    assert {s for s in everywhere if s.kabupaten in sorted(some)[:2]} <= set(subset)
    assert pick_shocks(5, ["53.10"], range(2025, 2026), Dynamics()) == ()


def measured_faults(con: duckdb.DuckDBPyConnection, year: int, skip: list[str] | None = None) -> dict[str, float]:
    """Each fault's share in one year (as tests/data/test_generate.py measures them in a single year), leaving out
    the kabupaten in `skip`."""
    kept = [code for (code,) in con.execute("SELECT DISTINCT left(desa_code, 5) FROM households").fetchall()
            if code not in (skip or [])]
    con.execute("CREATE OR REPLACE TEMP TABLE kept AS SELECT unnest(?::VARCHAR[]) AS kabupaten", [kept])
    for table in ("disbursements", "households"):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table}_in AS SELECT * FROM {table} "
                    "WHERE left(desa_code, 5) IN (SELECT kabupaten FROM kept)")
    params = [str(year)]
    return {
        "invalid_nik": value(con, "SELECT avg((NOT nik_valid)::int) FROM disbursements_in WHERE left(period, 4) = ?",
                             params),
        "duplicate_nik": value(con, """SELECT count(DISTINCT kk_number) FILTER (WHERE nik IN (SELECT nik FROM
            disbursements WHERE left(period, 4) = $1 GROUP BY nik HAVING count(DISTINCT desa_code) > 1))
            / count(DISTINCT kk_number) FROM disbursements_in WHERE left(period, 4) = $1""", params),
        "exclusion": value(con, """SELECT avg((kk_number NOT IN (SELECT kk_number FROM disbursements_in
            WHERE left(period, 4) = $1))::int) FROM households_in WHERE year = $1::INT AND desil <= 4""", params),
        "inclusion": value(con, """SELECT avg((desil > 4)::int) FROM households_in WHERE year = $1::INT AND kk_number IN
            (SELECT kk_number FROM disbursements_in WHERE program = 'SEMBAKO' AND left(period, 4) = $1)""", params),
        "deceased": value(con, """SELECT count(DISTINCT d.kk_number) / (SELECT count(DISTINCT kk_number)
            FROM disbursements_in WHERE left(period, 4) = $1) FROM disbursements_in d JOIN households_in h
            ON h.kk_number = d.kk_number AND h.year = $1::INT
            WHERE left(d.period, 4) = $1 AND d.paid_date > h.head_died_on""", params),
        "failed": value(con, "SELECT avg((status = 'gagal')::int) FROM disbursements_in WHERE left(period, 4) = ?",
                        params),
        "returned": value(con, "SELECT avg((status = 'retur')::int) FROM disbursements_in WHERE left(period, 4) = ?",
                          params),
        "late": value(con, """SELECT avg((paid_date - scheduled_date > 14)::int) FROM disbursements_in
            WHERE status = 'disalurkan' AND left(period, 4) = ?""", params),
    }


def test_faults_fall_as_the_data_is_cleaned(con):
    """Faults drawn per household or payment fall by their yearly factor. Exclusion and inclusion are also what
    the quotas leave, and dead heads the lists miss pile up from every earlier year: those only fall, in the
    kabupaten no disaster struck and whose quota did not shrink."""
    first, last = measured_faults(con, YEARS[0]), measured_faults(con, YEARS[1])
    # Where a disaster struck or the quota shrank, the lists move more than cleaning moves them.
    factors = json.loads(metadata(con)["quota_factors"])
    shocked = {s["kabupaten"] for s in json.loads(metadata(con)["shocks"])}
    moved = sorted(k for k in REGIONS if k in shocked or factors[k][str(YEARS[1])] < 0.95)
    assert len(moved) < len(REGIONS)
    calm_first, calm_last = measured_faults(con, YEARS[0], moved), measured_faults(con, YEARS[1], moved)
    span = YEARS[1] - YEARS[0]
    for name, rate in first.items():
        if name in ("exclusion", "inclusion", "deceased"):
            assert calm_last[name] < calm_first[name], (name, calm_first[name], calm_last[name])
        else:
            expected = rate * DYNAMICS.fault_improvement[name] ** span
            assert last[name] == pytest.approx(expected, rel=0.3), (name, rate, last[name], expected)
    recorded = json.loads(metadata(con)["fault_rates_by_year"])
    assert recorded[str(YEARS[1])]["late"] == pytest.approx(FAULTS.late * DYNAMICS.fault_improvement["late"] ** span)


def test_deaths_the_lists_miss_keep_being_paid_and_the_caught_ones_leave(con):
    """A head who died during year t stays listed in t + 1 only while the lists miss deaths (falling each year)."""
    for year in range(YEARS[0] + 1, YEARS[1]):
        dead, kept = con.execute("""SELECT count(*), count(b.household_id) FROM households a LEFT JOIN households b
            ON b.household_id = a.household_id AND b.year = a.year + 1
            WHERE a.year = ? AND year(a.head_died_on) = a.year""", [year]).fetchall()[0]
        missed = DYNAMICS.fault_factor("deceased", year + 1 - YEARS[0])
        assert abs(kept / dead - missed) < sigma_band(missed, dead), year


def test_the_same_seed_gives_the_same_years_and_the_first_year_is_a_single_year_run(raw, tmp_path):
    small = replace(CONFIG, regions=("53.12",), first_year=2023, year=2024)
    runs = {name: tmp_path / f"{name}.duckdb" for name in ("a", "b", "single", "other")}
    generate(replace(small, out=runs["a"]), show_progress=False)
    generate(replace(small, out=runs["b"]), show_progress=False)
    generate(replace(small, first_year=None, year=2023, out=runs["single"]), show_progress=False)
    generate(replace(small, seed=6, out=runs["other"]), show_progress=False)

    def digest(path) -> dict[str, list[tuple]]:
        with duckdb.connect(str(path), read_only=True) as connection:
            return {t: connection.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {t}").fetchall()
                    for t in TABLES}

    assert digest(runs["a"]) == digest(runs["b"])
    assert digest(runs["a"]) != digest(runs["other"])
    with duckdb.connect(str(runs["a"]), read_only=True) as a, duckdb.connect(str(runs["single"]),
                                                                             read_only=True) as single:
        for table, year_of in (("households", "year"), ("members", "year"), ("disbursements", "left(period, 4)::INT"),
                               ("complaints", "year(received_date)"), ("usul_sanggah", "year(submitted_date)")):
            sql = f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {table} WHERE {year_of} = 2023"
            assert a.execute(sql).fetchall() == single.execute(sql).fetchall(), table


def expected_fixed_amounts(year: int) -> dict[tuple[str, str, int], tuple[int, int]]:
    """(program, BLT Dana Desa mode, tahap) -> (scheduled month, Rupiah) from the year's settings."""
    rules = program_year(year)
    steps = {("SEMBAKO", "", t): (first, months) for t, (first, months) in SEMBAKO_BATCHES.items()}
    steps |= {("BLT_DD", "monthly", m): (m, 1) for m in range(1, 13)}
    steps |= {("BLT_DD", "quarterly", q): (3 * q - 2, 3) for q in range(1, 5)}
    expected = {}
    for (program, mode, tahap), (month, months) in steps.items():
        monthly = rules.sembako_monthly if program == "SEMBAKO" else rules.blt_dd_monthly
        amount = sum(monthly[month - 1:month - 1 + months])
        if amount:
            expected[(program, mode, tahap)] = (month, amount)
    return expected


@pytest.mark.parametrize("year", [2019, 2020, 2021, 2025])
def test_program_amounts_follow_the_years_rules(tmp_path, year):
    """Sembako and BLT Dana Desa pay the year's monthly rates over the months of each payment (and nothing in
    months a program did not run); PKH pays the household's capped benefit pro rata times the instalment's
    percent, on the year's instalments."""
    out = tmp_path / "raw.duckdb"
    generate(GenerationConfig(seed=2, year=year, regions=("53.12",), scale=0.2, out=out), show_progress=False)
    rules = program_year(year)
    with duckdb.connect(str(out), read_only=True) as connection:
        fixed = connection.execute("""
            WITH mode AS (SELECT desa_code, CASE WHEN max(tahap) > 4 THEN 'monthly' ELSE 'quarterly' END AS mode
                          FROM disbursements WHERE program = 'BLT_DD' GROUP BY ALL)
            SELECT program, CASE WHEN program = 'BLT_DD' THEN mode ELSE '' END, tahap, right(period, 2)::INT,
                   list(DISTINCT amount)
            FROM disbursements LEFT JOIN mode USING (desa_code) WHERE program <> 'PKH' GROUP BY ALL""").fetchall()
        pkh = connection.execute("""SELECT d.tahap, right(d.period, 2)::INT, d.amount, h.pkh_annual_benefit
            FROM disbursements d JOIN households h USING (kk_number) WHERE d.program = 'PKH'""").fetchall()
    expected = expected_fixed_amounts(year)
    seen = {(program, mode, tahap): (month, amounts) for program, mode, tahap, month, amounts in fixed}
    assert {key: (month, [amount]) for key, (month, amount) in expected.items()} == seen
    instalments = {tahap: (month, months, percent) for tahap, month, months, percent in rules.pkh_tahap}
    assert {tahap for tahap, *_ in pkh} == set(instalments)
    for tahap, month, amount, annual in pkh:
        scheduled, months, percent = instalments[tahap]
        assert (month, amount) == (scheduled, annual * months * percent // 1200), (tahap, amount, annual)
    if year != 2020:
        assert [(t, m) for t, m, *_ in rules.pkh_tahap] == list(PKH_TAHAP_MONTHS.items())


def test_the_years_welfare_level_follows_the_poverty_rate_of_the_march_before():
    assert welfare_shift(2025) == 0.0
    # March 2021 (10.14%) was poorer than March 2024 (9.03%), March 2025 (8.47%) richer; later years hold it.
    assert welfare_shift(2022) < welfare_shift(2024) < 0 < welfare_shift(2026) == welfare_shift(2030)
    assert welfare_shift(2010) == welfare_shift(2019)


def test_fresh_numbers_never_repeat_a_taken_serial():
    taken = np.array([3401020903870001, 3401020903870002, 3401021003870005])
    new = np.array([3401020903870001, 3401021003870001, 3401021103870001, 3401020903870002])
    assert identity.fresh_numbers(new, taken).tolist() == [3401020903870003, 3401021003870006, 3401021103870001,
                                                           3401020903870004]
    assert identity.fresh_numbers(new, np.zeros(0, dtype=np.int64)).tolist() == new.tolist()


def test_through_cuts_only_the_last_year(tmp_path):
    """`--through` keeps exactly the first months of the last year; earlier years are whole and unchanged."""
    small = replace(CONFIG, regions=("53.12",), first_year=2024, year=2025)
    whole, cut = tmp_path / "whole.duckdb", tmp_path / "cut.duckdb"
    generate(replace(small, out=whole), show_progress=False)
    generate(replace(small, through="2025-06", out=cut), show_progress=False)
    dated = {"households": "make_date(year, 1, 1)", "members": "make_date(year, 1, 1)",
             "disbursements": "scheduled_date", "complaints": "received_date", "usul_sanggah": "submitted_date"}
    with duckdb.connect(str(whole), read_only=True) as a, duckdb.connect(str(cut), read_only=True) as b:
        for table, date in dated.items():
            sql = f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {table} WHERE {date} < DATE '2025-07-01'"
            assert a.execute(sql).fetchall() == b.execute(sql).fetchall(), table
        assert b.execute("SELECT max(period) FROM disbursements").fetchall()[0][0] == "2025-06"
        assert b.execute("SELECT count(*) FROM households WHERE year = 2025").fetchall()[0][0] > 0
