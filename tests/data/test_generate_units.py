"""The generator's pure parts: NIK/KK numbers, PKH cap, fault overrides, presets, the plan, channels, names."""

from __future__ import annotations

import lokal
import numpy as np
import pytest

from data import identity
from data.faults import FaultRates, parse_overrides
from data.households import channel_shares
from data.members import BENEFITS, COMPONENTS, capped_benefit
from data.names import NamePools
from data.plan import MAX_DESA_RATE, assign_chunks, build_plan, eligible_share, select_desa
from data.presets import PROVINCES, poor_share, registry_households
from geo.regions import RegionCodeError, load_regions
from settings import CHANNELS, PKH_MAX_MEMBERS


@pytest.mark.parametrize(("keys", "expected"), [
    ([5, 5, 3, 5], [1, 2, 1, 3]),
    ([1, 2, 3], [1, 1, 1]),
    ([7, 7, 7, 7], [1, 2, 3, 4]),
    ([], []),
])
def test_serials_count_up_within_equal_keys_in_row_order(keys, expected):
    assert identity.serials(np.array(keys, dtype=np.int64)).tolist() == expected


def test_nik_digits_follow_the_dukcapil_layout():
    born = np.array(["1987-03-09", "1987-03-09", "2001-12-31"], dtype="datetime64[D]")
    female = np.array([False, True, True])
    niks = identity.make_numbers(np.array([340102, 340102, 530101]), identity.ddmmyy(born, female))
    assert identity.as_text(niks).to_pylist() == ["3401020903870001", "3401024903870001", "5301017112010001"]
    assert all(lokal.parse_nik(n).valid for n in identity.as_text(niks).to_pylist())


def test_corrupted_niks_are_all_rejected_and_the_rest_untouched():
    rng = np.random.default_rng(0)
    born = np.datetime64("1950-01-01") + rng.integers(0, 20_000, 3000).astype("timedelta64[D]")
    niks = identity.make_numbers(np.full(3000, 320405), identity.ddmmyy(born, rng.random(3000) < 0.5))
    rows = np.arange(0, 3000, 2)
    corrupted = identity.corrupt(rng, niks, rows)
    text = identity.as_text(corrupted).to_pylist()
    assert not any(lokal.parse_nik(text[i]).valid for i in rows)
    assert all(lokal.parse_nik(text[i]).valid for i in range(1, 3000, 2))
    assert {len(text[i]) for i in rows} == {15, 16, 17}


def test_pkh_benefit_takes_the_four_best_paid_members():
    component = {name: i for i, name in enumerate(COMPONENTS)}
    household = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    members = np.array([component["sd"], component["anak_usia_dini"], component["lansia"], component["sma"],
                        component["ibu_hamil"], -1, component["smp"], -1], dtype=np.int8)
    benefit = capped_benefit(household, members, 2)
    assert PKH_MAX_MEMBERS == 4
    assert benefit.tolist() == [3_000_000 + 3_000_000 + 2_400_000 + 2_000_000, 1_500_000]
    assert benefit[0] < BENEFITS[members[:5]].sum()


@pytest.mark.parametrize(("items", "expected"), [
    ([], FaultRates()),
    (["exclusion=0.3"], FaultRates(exclusion=0.3)),
    (["exclusion=0.3,late=0", "failed=0.1"], FaultRates(exclusion=0.3, late=0.0, failed=0.1)),
    (["duplicate-nik=0.05"], FaultRates(duplicate_nik=0.05)),
])
def test_fault_overrides(items, expected):
    assert parse_overrides(items) == expected


@pytest.mark.parametrize("item", ["exclusion", "nope=0.1", "exclusion=abc", "exclusion=-0.1", "late=0.95"])
def test_bad_fault_overrides_are_refused(item):
    with pytest.raises(ValueError, match=r"\.$"):
        parse_overrides([item])


def test_presets_cover_the_38_provinces_and_about_20_million_households():
    regions = load_regions()
    assert set(PROVINCES) == set(regions.loc[regions["level"] == "provinsi", "code"])
    total = sum(registry_households(code) for code in PROVINCES)
    assert 19.5e6 < total < 20.5e6
    assert poor_share("95") > poor_share("53") > poor_share("34") > poor_share("31")


@pytest.fixture(scope="module")
def demo_plan():
    return build_plan(1, select_desa(("34", "53")), 1.0, FaultRates())


def test_plan_matches_province_totals_and_poverty(demo_plan):
    for province in ("34", "53"):
        part = demo_plan[demo_plan["province_code"] == province]
        assert part["households"].sum() == pytest.approx(registry_households(province), rel=0.01)
        poor = np.average(eligible_share(part["welfare_mu"].to_numpy()), weights=part["households"])
        assert poor == pytest.approx(poor_share(province), abs=0.05)
    kelurahan = demo_plan.groupby("kelurahan")["households"].mean()
    assert kelurahan[True] > 2 * kelurahan[False]


def test_plan_fault_rates_average_to_the_configured_ones(demo_plan):
    exclusion = demo_plan["rate_exclusion"]
    weights = demo_plan["households"] * eligible_share(demo_plan["welfare_mu"].to_numpy())
    assert np.average(exclusion, weights=weights) == pytest.approx(FaultRates().exclusion, rel=0.01)
    assert exclusion.max() <= MAX_DESA_RATE
    # Remote NTT desa are worse on average than DI Yogyakarta's.
    late = demo_plan.groupby("province_code")["rate_late"].mean()
    assert late["53"] > 1.5 * late["34"]


def test_a_desa_looks_the_same_whichever_subset_is_generated(demo_plan):
    alone = build_plan(1, select_desa(("53.12",)), 1.0, FaultRates())
    within = demo_plan[demo_plan["code"].str.startswith("53.12.")].reset_index(drop=True)
    for column in ("code", "households", "welfare_mu", "trouble", "blt_quarterly"):
        assert alone[column].tolist() == within[column].tolist(), column


def test_papua_has_many_tiny_desa():
    plan = build_plan(1, select_desa(("95",)), 1.0, FaultRates())
    assert plan["households"].median() < 30
    assert plan["households"].max() > 20 * plan["households"].median()


def test_chunks_hold_whole_kecamatan_in_code_order(demo_plan):
    chunks = assign_chunks(demo_plan, 50_000)
    assert (np.diff(chunks) >= 0).all() and chunks.max() >= 10
    assert (demo_plan.groupby("kecamatan_code").apply(lambda g: chunks[g.index].min() == chunks[g.index].max())).all()
    sizes = demo_plan.groupby(chunks)["households"].sum()
    assert sizes.iloc[:-1].min() > 30_000 and sizes.max() < 100_000


@pytest.mark.parametrize("prefix", ["99", "34.01.01", "34.99", "abc"])
def test_unknown_or_too_fine_regions_are_refused(prefix):
    with pytest.raises(RegionCodeError):
        select_desa((prefix,))


@pytest.mark.parametrize(("province", "remote"), [(11, 1), (34, 0), (53, 2), (95, 2)])
def test_channel_shares(province, remote):
    shares = dict(zip(CHANNELS, channel_shares(province, remote), strict=True))
    assert sum(shares.values()) == pytest.approx(1)
    banks = {"BRI", "BNI", "MANDIRI", "BTN"}
    if province == 11:
        assert shares["BSI"] > 0.8 and all(shares[b] == 0 for b in banks)
    else:
        assert shares["BSI"] == 0 and shares["BRI"] > shares["BNI"] > shares["BTN"]
    assert shares["POS"] >= (0.3 if remote == 2 else 0.0)


def test_names_come_from_the_faker_pools_and_are_deterministic():
    pools = NamePools.build(1)
    assert min(len(pools.male), len(pools.female), len(pools.family)) > 50
    female = np.arange(2000) % 2 == 0
    names = pools.compose(np.random.default_rng(5), female).to_pylist()
    assert names == NamePools.build(1).compose(np.random.default_rng(5), female).to_pylist()
    women, men = set(pools.female.to_pylist()), set(pools.male.to_pylist())
    assert all(name.split(" ")[0] in (women if f else men) for name, f in zip(names, female, strict=True))
    assert 1 < np.mean([len(n.split(" ")) for n in names]) < 3
