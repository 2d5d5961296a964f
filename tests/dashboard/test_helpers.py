"""Pure helpers of the dashboard: formats, measures and their status, ranking, bins, selection, URL state, search."""

from __future__ import annotations

import dataclasses
import json
import re
import sys

import numpy as np
import pandas as pd
import pytest

from dashboard import browser, charts, components, i18n, maps, metrics, search, state, views
from dashboard.build_demo import Progress, demo_commands, overall, parse_progress
from geo.regions import load_regions
from settings import Settings


@pytest.mark.parametrize(("value", "lang", "expected"), [
    (12345, "id", "12.345"), (12345, "en", "12,345"), (0, "id", "0"), (1234567.4, "en", "1,234,567"),
])
def test_format_int(value, lang, expected):
    assert i18n.format_int(value, lang) == expected


@pytest.mark.parametrize(("value", "lang", "expected"), [
    (1.2e9, "id", "Rp1,20\u00a0M"), (1.2e9, "en", "Rp1.20bn"), (2.5e12, "en", "Rp2.50tn"), (3.4e6, "en", "Rp3.40mn"),
    (45_000, "en", "Rp45.0k"), (950, "en", "Rp950"), (2e9, "en", "Rp2.00bn"), (30.04e9, "id", "Rp30,0\u00a0M"),
    (30.8e9, "id", "Rp30,8\u00a0M"), (740.8e6, "id", "Rp741\u00a0jt"), (999.96e6, "id", "Rp1,00\u00a0M"),
    (1.18e12, "id", "Rp1,18\u00a0T"), (1.18e12, "en", "Rp1.18tn"),
])
def test_format_rupiah_short(value, lang, expected):
    """Indonesian keeps a space before the unit, a no-break one (a metric wrapped "Rp1.18" over "T"); English writes
    the unit close up, as English financial text does ("Rp1.18tn")."""
    assert i18n.format_rupiah(value, lang) == expected
    assert " " not in expected


@pytest.mark.parametrize(("value", "lang", "expected"), [
    (30e9, "id", "Rp30\u00a0M"), (2.5e9, "id", "Rp2,5\u00a0M"), (2e9, "en", "Rp2bn"), (2.5e9, "en", "Rp2.5bn"),
    (0, "en", "Rp0"),
])
def test_rupiah_axis_ticks_read_as_round_as_they_are(value, lang, expected):
    assert i18n.format_rupiah_tick(value, lang) == expected


@pytest.mark.parametrize("value", [950, 45_000, 3.4e6, 149e6, 742e9, 1.18e12])
def test_no_english_rupiah_unit_is_one_indonesian_uses_for_another_scale(value):
    """Indonesian "M" is miliar (a billion): an English "Rp149M" (a million) beside an Indonesian "Rp742 M" is read
    1,000 times off once copied from one language's page into the other's text (a new user's walk). An English
    figure's unit is never an Indonesian unit of another scale, in figures and axis ticks alike."""
    indonesian = {unit: scale for scale, unit in ((1e12, "T"), (1e9, "M"), (1e6, "jt"), (1e3, "rb"))}
    for text in (i18n.format_rupiah(value, "en"), i18n.format_rupiah_tick(value, "en")):
        unit = text.lstrip("Rp0123456789.,")
        assert unit not in indonesian or indonesian[unit] <= value < indonesian[unit] * 1000, (value, text)


@pytest.mark.parametrize(("period", "lang", "expected"), [
    ("2025-10", "id", "Oktober 2025"), ("2025-10", "en", "October 2025"), ("2025", "id", "Setahun 2025"),
    ("2025", "en", "Whole year 2025"),
])
def test_format_period(period, lang, expected):
    assert i18n.format_period(period, lang) == expected


def test_percent_and_hidden_label_follow_the_language():
    assert i18n.format_percent(0.875, "id") == "87,5%"
    assert i18n.format_percent(0.875, "en") == "87.5%"
    # One neutral label, whatever the threshold: a hidden cell may be large (hidden to protect a small one).
    assert i18n.hidden_label("id", 10) == i18n.hidden_label("id", 25) == "disembunyikan"
    assert i18n.hidden_label("en", 10) == "hidden"
    for lang in i18n.LANGS:
        assert "<" not in i18n.hidden_label(lang) and "10" not in i18n.hidden_label(lang)
        assert "10" in i18n.hidden_note(lang, 10)  # the sentence of why names the threshold of small cells


def test_every_text_has_both_languages():
    for key, pair in i18n.TEXT.items():
        assert len(pair) == 2 and all(pair), key
        assert set(_placeholders(pair[0])) == set(_placeholders(pair[1])), key


#: Indonesian words with a plain English one, which English text must not borrow (unlike the level names kabupaten,
#: kecamatan, desa, which English running text keeps on purpose).
_UNTRANSLATED = {"desil": "decile", "keluarga": "households", "keterangan": "description", "satuan": "unit"}


@pytest.mark.parametrize(("word", "english"), _UNTRANSLATED.items())
def test_english_text_uses_the_english_word(word, english):
    """The coverage-gaps intro read "desil within the program's target" in English."""
    borrowed = [key for key, pair in i18n.TEXT.items() if re.search(rf"\b{word}\b", pair[1], re.IGNORECASE)]
    assert not borrowed, f"English text of {borrowed} says {word!r}, not {english!r}"


def _placeholders(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def _cells(**columns) -> pd.DataFrame:
    base = {"region_code": ["a", "b", "c", "d"], "program": ["PKH"] * 4, "suppressed": [False, True, False, False]}
    frame = pd.DataFrame({**base, **columns})
    for name in columns:
        frame[name] = frame[name].astype("Int64")
    return frame


def test_build_values_marks_hidden_unpublished_and_undefined():
    # The last: households paid though none is eligible (a ratio over zero).
    cells = _cells(recipients=[8, None, None, 3], eligible_households=[10, None, None, 0])
    values = metrics.build_values(cells, "coverage")
    assert values["status"].tolist() == ["ok", "hidden", "na", "undefined"]
    assert values["value"].iloc[0] == pytest.approx(0.8)
    assert values["value"].iloc[1:].isna().all()


def test_a_desas_all_programs_rupiah_left_blank_beside_a_hidden_program_shows_as_hidden():
    """A release writes a desa's all-programs Rupiah only as its programs' sum, blank where one is hidden
    (published_schema.PROGRAM_SUM_MEASURES): hidden, not "not published at this level" (a kecamatan's blank is; a
    desa's payment statuses are never published, so its share paid on time stays "not published")."""
    cells = pd.DataFrame({"region_code": ["34.01.01.2001", "34.01.01.2002", "34.01.01", "34.01.01.2003"],
                          "program": ["SEMUA", "SEMUA", "SEMUA", "PKH"], "suppressed": [False] * 4,
                          "amount": pd.array([None, 5_000, None, None], dtype="Int64"),
                          "paid_payments": pd.array([None, 10, None, None], dtype="Int64"),
                          "late_payments": pd.array([None, None, None, None], dtype="Int64")})
    assert metrics.build_values(cells, "amount")["status"].tolist() == ["hidden", "ok", "na", "na"]
    assert metrics.build_values(cells, "ontime")["status"].tolist() == ["na"] * 4


def test_a_desas_blank_all_programs_rupiah_shows_its_published_range():
    """The blank carries its range like a hidden cell's (amount_lower, amount_upper: anonymize.tables.blank_values);
    the map, tables and profiles label it "disembunyikan (antara ... dan ...)"; the cell's published households
    keep their number."""
    cells = pd.DataFrame({"region_code": ["34.01.01.2001", "34.01.01.2002"], "program": ["SEMUA", "SEMUA"],
                          "suppressed": [False, False], "recipients": pd.array([40, 12], dtype="Int64"),
                          "amount": pd.array([None, 5_000_000], dtype="Int64"),
                          "paid_payments": pd.array([None, 10], dtype="Int64"),
                          "amount_lower": pd.array([12_300_000, None], dtype="Int64"),
                          "amount_upper": pd.array([18_700_000, None], dtype="Int64"),
                          "recipients_lower": pd.array([None, None], dtype="Int64"),
                          "recipients_upper": pd.array([None, None], dtype="Int64")})
    values = metrics.build_values(cells, "amount")
    assert values["status"].tolist() == ["hidden", "ok"]
    assert values["lower"].tolist()[0] == 12_300_000 and values["upper"].tolist()[0] == 18_700_000
    labels = [label.replace("\xa0", " ") for label in metrics.format_values(values, "amount", "none", "id", 10)]
    assert labels[0] == "disembunyikan (antara Rp12,3 jt dan Rp18,7 jt)", labels[0]
    assert metrics.format_values(values, "amount", "none", "en", 10)[0].startswith("hidden (between Rp12.3")
    households = metrics.build_values(cells, "recipients")
    assert households["status"].tolist() == ["ok", "ok"] and households["lower"].isna().all()


def test_a_region_the_release_does_not_cover_has_no_data_not_a_zero():
    """All-programs year cells with no registered household and no recipient are a region the release's data do
    not cover (a walk found them coloured as the map's lowest class, zero): "no data", as a program that does not
    run there is. A real zero beside registered households stays a zero."""
    cells = _cells(recipients=[0, None, 0, 5], registered_households=[0, None, 40, 0]).assign(program="SEMUA")
    assert metrics.build_values(cells, "recipients")["status"].tolist() == ["nodata", "hidden", "ok", "ok"]
    assert metrics.build_values(cells.assign(program="PKH"), "recipients")["status"].tolist() == \
        ["ok", "hidden", "ok", "ok"]


def test_normalised_value_is_hidden_when_its_denominator_is():
    cells = _cells(recipients=[50, None, 20, 30])
    denominators = pd.DataFrame({"region_code": ["a", "b", "c", "d"], "program": ["PKH"] * 4,
                                 "registered_households": pd.array([1000, None, None, 0], dtype="Int64"),
                                 "registered_suppressed": [False, True, True, False],
                                 "eligible_households": pd.array([100, None, 40, None], dtype="Int64"),
                                 "eligible_suppressed": [False, True, False, False]})
    per_registered = metrics.build_values(cells, "recipients", "registered", denominators)
    assert per_registered["status"].tolist() == ["ok", "hidden", "hidden", "undefined"]
    assert per_registered["value"].iloc[0] == pytest.approx(50.0)
    per_eligible = metrics.build_values(cells, "recipients", "eligible", denominators)
    assert per_eligible["status"].tolist() == ["ok", "hidden", "ok", "na"]
    assert per_eligible["value"].tolist()[::2] == pytest.approx([0.5, 0.5])


def test_rates_ignore_normalisation():
    cells = _cells(late_payments=[1, None, 0, 2], paid_payments=[10, None, 5, 4])
    values = metrics.build_values(cells, "ontime", "registered", None)
    assert values["value"].tolist()[::2] == pytest.approx([0.9, 1.0])


def test_rank_puts_hidden_last_and_unranked():
    values = pd.DataFrame({"region_code": list("abcde"), "value": [5.0, np.nan, 9.0, np.nan, 5.0],
                           "status": ["ok", "hidden", "ok", "na", "ok"]})
    ranked = metrics.rank_values(values)
    assert ranked["region_code"].tolist() == ["c", "a", "e", "d", "b"]
    assert ranked["rank"].tolist()[:3] == [1, 2, 2]
    assert ranked["rank"].iloc[3:].isna().all()


@pytest.mark.parametrize(("status", "expected"), [
    ("hidden", "disembunyikan"), ("na", "tidak tersedia di tingkat ini"), ("undefined", "–"),
])
def test_format_value_never_turns_a_hidden_value_into_a_number(status, expected):
    assert metrics.format_value(0.0, status, "amount", "none", "id", 10) == expected


def test_bins_use_published_values_only():
    edges = maps.make_bins(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, np.nan]))
    assert edges[0] == 1.0 and edges[-1] == 5.0
    assert maps.bin_index(5.0, edges) == len(edges) - 2
    assert maps.fill_for(0.0, "hidden", edges) == maps.HIDDEN_FILL
    assert maps.fill_for(np.nan, "na", edges) == maps.NA_FILL != [255, 255, 255]  # white vanishes on the page
    assert maps.make_bins(pd.Series([np.nan])) == []


@pytest.mark.parametrize(("event", "expected"), [
    ({"selection": {"indices": {"regions": [3]}, "objects": {"regions": [{"c": "34.01", "n": "x"}]}}}, "34.01"),
    ({"selection": {"indices": {}, "objects": {}}}, None),
    ({"selection": {"objects": {"other": [{"c": "34"}]}}}, None),
    (None, None), ({}, None), ({"selection": {"objects": {"regions": [{"n": "no code"}]}}}, None),
])
def test_selected_code(event, expected):
    assert maps.selected_code(event) == expected


@pytest.mark.parametrize(("clicked", "region_level", "level", "expected"), [
    ("34", "nasional", "provinsi", "34"), ("34.01", "provinsi", "kabupaten", "34.01"),
    ("34.01.01", "kabupaten", "kecamatan", "34.01.01"),
    ("34.01.01.2001", "kecamatan", "desa", None),  # a desa has no map below it
    ("34.01.01", "nasional", "kecamatan", None),  # not the next level down: no jump over two levels
    (None, "nasional", "provinsi", None),
])
def test_drill_target(clicked, region_level, level, expected):
    assert maps.drill_target(clicked, region_level, level) == expected


def test_build_map_rows_one_row_per_part_and_escaped():
    values = pd.DataFrame({"region_code": ["a", "b"], "name": ["<A>", "B"], "value": [1.0, np.nan],
                           "status": ["ok", "hidden"], "label": ["1", "hidden"]})
    shapes = {"a": ("[[[0,0],[1,0],[0,1]]]", "[[[5,5],[6,5],[5,6]]]"), "b": ("[[[2,2],[3,2],[2,3]]]",)}
    rows = [json.loads(row) for row in maps.build_map_rows(shapes, values, [0.0, 2.0])]
    assert [r["c"] for r in rows] == ["a", "a", "b"]
    assert rows[0]["n"] == "&lt;A&gt;" and rows[2]["l"] == "hidden"
    assert rows[2]["f"] == maps.HIDDEN_FILL


@pytest.mark.parametrize(("value", "valid", "multi", "expected"), [
    (None, ["a"], False, ("d", False)), ("a", ["a"], False, ("a", False)), ("x", ["a"], False, ("d", True)),
    (["x", "a"], ["a"], False, ("a", False)), (["a", "x", "b"], ["a", "b"], True, (["a", "b"], True)),
    ("a", ["a"], True, (["a"], False)),
])
def test_validate(value, valid, multi, expected):
    assert state.validate(value, valid, "d", multi=multi) == expected


def test_validate_caps_multi_and_accepts_callables():
    # Extra ones are dropped, with a notice.
    assert state.validate(["a", "b", "c"], ["a", "b", "c"], [], multi=True, max_items=2) == (["a", "b"], True)
    assert state.validate("34", lambda c: c.isdigit(), "ID") == ("34", False)


def test_to_query_drops_defaults_and_undeclared():
    assert state.to_query({"lang": "id", "region": "34", "metric": "amount", "q": ""},
                          {"lang": "id", "region": "ID", "q": ""}) == {"region": "34"}
    assert state.parse_query({"a": ["1"], "b": ["1", "2"], "embed": ["true"]}) == {"a": "1", "b": ["1", "2"]}
    assert state.query_string({"region": "34.01", "compare": ["a", "b"]}) == "?region=34.01&compare=a&compare=b"


def _regions() -> pd.DataFrame:
    return pd.DataFrame({
        "code": ["34.04.06.2001", "33.04.19.2002", "34.04.06", "32.04.17.2007", "32.73.14.1004"],
        "level": ["desa", "desa", "kecamatan", "desa", "desa"],
        "name": ["Sinduadi", "Sinduaji", "Mlati", "Sukamaju", "Sukamaju"],
        "kind": ["desa", "desa", "kecamatan", "desa", "kelurahan"],
        "kecamatan": ["Mlati", "Pandanarum", None, "Cimaung", "Cibeunying Kidul"],
        "kabupaten": ["Kabupaten Sleman", "Kabupaten Banjarnegara", "Kabupaten Sleman", "Kabupaten Bandung",
                      "Kota Bandung"],
        "kabupaten_kind": ["kabupaten", "kabupaten", "kabupaten", "kabupaten", "kota"],
        "provinsi": ["DI Yogyakarta", "Jawa Tengah", "DI Yogyakarta", "Jawa Barat", "Jawa Barat"]})


@pytest.mark.parametrize(("query", "first"), [
    ("sinduadi", "34.04.06.2001"), ("SINDUADY", "34.04.06.2001"), ("sindaudi mlati", "34.04.06.2001"),
    ("Desa Sinduadi", "34.04.06.2001"), ("sukamaju cimaung", "32.04.17.2007"),
    ("sukamaju cibeunying", "32.73.14.1004"), ("kec. mlati", "34.04.06"),
])
def test_search_is_typo_and_case_tolerant_and_uses_context(query, first):
    found = search.search(search.build_index(_regions()), query)
    assert found["code"].iloc[0] == first


def test_search_finds_nothing_for_gibberish():
    assert search.search(search.build_index(_regions()), "qqqqzzzz").empty
    assert search.search(search.build_index(_regions()), "   ").empty


@pytest.fixture(scope="module")
def registry_index() -> search.SearchIndex:
    """The search index over the real Kemendagri registry, shaped as `queries.all_regions` returns it."""
    regions = load_regions()
    regions = regions[regions["level"].isin(["desa", "kecamatan", "kabupaten", "provinsi"])]
    names = regions.set_index("code")["name"]
    kinds = regions.set_index("code")["kind"]
    level = regions["level"]
    return search.build_index(pd.DataFrame({
        "code": regions["code"], "level": level, "name": regions["name"], "kind": regions["kind"],
        "kecamatan": regions["kecamatan_code"].map(names).where(level == "desa"),
        "kabupaten": regions["kabupaten_code"].map(names).where(level.isin(["desa", "kecamatan"])),
        "kabupaten_kind": regions["kabupaten_code"].map(kinds).where(level.isin(["desa", "kecamatan"])),
        "provinsi": regions["province_code"].map(names).where(level != "provinsi")}).sort_values("code"))


@pytest.mark.parametrize(("query", "first"), [
    # The name with its kind word beats desa of the same name and fuzzy look-alikes ("Tupan" once came first).
    ("Kota Kupang", "53.71"), ("kota  KUPANG", "53.71"), ("Kabupaten Kupang", "53.01"), ("Kabupaten Sleman", "34.04"),
    ("kab. sleman", "34.04"), ("Desa Caturtunggal", "34.04.07.2001"), ("Kecamatan Mlati", "34.04.06"),
    # Typos and context still work over ninety thousand names.
    ("caturtungal", "34.04.07.2001"), ("sindaudi mlati", "34.04.06.2001"), ("Sinduadi", "34.04.06.2001"),
])
def test_search_over_the_registry_puts_the_exact_match_first(registry_index, query, first):
    assert search.search(registry_index, query)["code"].iloc[0] == first


def test_search_puts_the_higher_level_first_and_no_near_spellings_after_exact_names(registry_index):
    """/wilayah?q=Sleman opened Kecamatan Sleman, with Kabupaten Sleman second and eight look-alikes (Semanu,
    Lemanu, Semang, ...) listed after them."""
    found = search.search(registry_index, "Sleman")
    assert found[["code", "level"]].values.tolist()[:2] == [["34.04", "kabupaten"], ["34.04.13", "kecamatan"]]
    assert all("sleman" in search.normalise(n).split() for n in found["name"]), found["name"].tolist()
    # Among equal names the order is provinsi, kabupaten/kota, kecamatan, desa.
    levels = search.search(registry_index, "Depok", limit=30)["level"].tolist()
    order = ["provinsi", "kabupaten", "kecamatan", "desa"]
    exact = [lv for lv, n in zip(levels, search.search(registry_index, "Depok", limit=30)["name"], strict=True)
             if search.normalise(n) in ("depok", "kota depok")]
    assert exact == sorted(exact, key=order.index) and exact[0] == "kabupaten"
    # With no exact name, near spellings are what the reader needs.
    assert search.search(registry_index, "Semann")["name"].str.len().gt(0).all()
    assert len(search.search(registry_index, "slemann")) > 1


def test_search_leaves_out_near_spellings_far_below_the_best_match(registry_index):
    """'sindaudi mlati' found Sinduadi (Mlati, 92) and then nine look-alikes from Sumatra to Alor at 55-73
    (Sidabui, Sidodadi...): the list under the answer was noise. A runner-up close to the best stays."""
    found = search.search(registry_index, "sindaudi mlati")
    assert found["code"].iloc[0] == "34.04.06.2001"
    assert "Sidabui" not in found["name"].tolist()
    assert (found["score"] >= found["score"].iloc[0] - 25).all(), found[["name", "score"]]
    close = search.search(registry_index, "katurtunggal depok")
    assert close["code"].iloc[0] == "34.04.07.2001"
    assert any(search.normalise(n) == "catur tunggal" for n in close["name"]), close["name"].tolist()


def test_search_kind_word_picks_the_region_of_that_kind(registry_index):
    found = search.search(registry_index, "Kecamatan Depok")
    assert (found["level"].iloc[0], found["name"].iloc[0]) == ("kecamatan", "Depok")
    # Without the kind word every region called Depok is an exact match and comes before look-alikes.
    found = search.search(registry_index, "Depok", limit=30)
    exact = found["name"].map(search.normalise).map(lambda n: n in ("depok", "kota depok"))
    assert exact.any() and not exact.iloc[:exact.sum()].eq(False).any()


def test_search_whole_words_beat_partial_matches():
    regions = pd.DataFrame({"code": ["11.01.01.2001", "11.01.01.2002"], "level": ["desa", "desa"],
                            "name": ["Tunggul", "Batu Tunggal"], "kind": ["desa", "desa"],
                            "kecamatan": ["A", "A"], "kabupaten": ["B", "B"], "provinsi": ["C", "C"]})
    # "Tunggul" is the closer string, but only "Batu Tunggal" holds the word typed.
    assert search.search(search.build_index(regions), "tunggal")["name"].tolist()[0] == "Batu Tunggal"
    accented = regions.assign(name=["Tunggul", "Batú Tunggal"])
    assert search.search(search.build_index(accented), "BATU TUNGGAL")["name"].iloc[0] == "Batú Tunggal"


def _year_cells(**overrides) -> pd.DataFrame:
    rows = {"program": ["PKH", "SEMBAKO", "BLT_DD"], "suppressed": [False, False, False],
            "eligible_households": [100, 200, 50], "recipients": [80, 150, 40], "amount": [240e6, 300e6, 120e6]}
    rows.update(overrides)
    return pd.DataFrame(rows)


def test_annual_target_from_published_figures():
    cells = _year_cells()
    assert views.annual_target(cells, "SEMBAKO") == 200 * 2_400_000
    assert views.annual_target(cells, "BLT_DD") == 50 * 3_600_000
    assert views.annual_target(cells, "PKH") == pytest.approx(100 * 240e6 / 80)
    assert views.annual_target(cells, "SEMUA") == pytest.approx(100 * 3e6 + 200 * 2.4e6 + 50 * 3.6e6)
    hidden = _year_cells(suppressed=[True, False, False])
    assert views.annual_target(hidden, "PKH") is None and views.annual_target(hidden, "SEMUA") is None


def test_cumulative_stops_at_the_first_hidden_month():
    monthly = pd.DataFrame({"period": ["2025-01", "2025-02", "2025-03"], "amount": pd.array([5, None, 7], "Int64"),
                            "suppressed": [False, True, False]})
    cumulative = views.build_cumulative(monthly, "en")
    assert cumulative["value"].iloc[0] == 5 and cumulative["value"].iloc[1:].isna().all()
    assert cumulative["label"].tolist()[1:] == ["–", "–"]


def test_gaps_and_ranking():
    cells = pd.DataFrame({"region_code": ["a", "b", "c"], "name": ["A", "B", "C"], "parent_code": ["p"] * 3,
                          "suppressed": [False, True, False], "recipients": pd.array([90, None, 50], "Int64"),
                          "eligible_households": pd.array([100, None, 200], "Int64")})
    registered = pd.DataFrame({"region_code": ["a", "b", "c"], "registered_households": [400, 100, 500],
                               "registered_suppressed": [False, False, True]})
    gaps = views.build_gaps(cells, registered)
    # Eligible minus recipients (how many eligible households were paid is not published).
    assert gaps["gap"].tolist()[::2] == [10, 150]
    assert gaps["coverage"].tolist()[::2] == [0.9, 0.25]
    assert "inclusion" not in gaps
    assert gaps["eligible_share"].iloc[0] == 0.25 and np.isnan(gaps["eligible_share"].iloc[2])
    ranked = views.rank_gaps(gaps, "gap_share")
    assert ranked["region_code"].tolist() == ["c", "a", "b"] and pd.isna(ranked["rank"].iloc[2])


@pytest.mark.parametrize("flags", [[], ["NIK ganda", "NIK tidak valid", "Meninggal tetapi dibayar"]])
def test_the_gaps_table_splits_into_figures_and_the_rest_of_the_same_rows(flags):
    names = ["Peringkat", "Nama", "Kode", "Keluarga sasaran", "Keluarga penerima", "Kesenjangan", "Kesenjangan (%)",
             *flags]
    table = pd.DataFrame([[f"{name} {row}" for name in names] for row in range(3)], columns=names)
    figures, others, title = views.split_gap_table(table, "id")
    assert list(figures.columns) == names[:7]
    assert title == i18n.t("quality_flags_all", "id")
    if not flags:       # nothing but rank and name would be left: no second table
        assert others is None
        return
    assert list(others.columns) == ["Peringkat", "Nama", *flags]
    assert len(figures) == len(others) == 3  # every row in both, every column once but rank and name


def test_a_region_without_the_program_is_no_data_never_a_gap_of_zero():
    """BLT Dana Desa in a kota: no eligible household and no recipient. Not ranked, not a bar, "tidak ada data"."""
    cells = pd.DataFrame({"region_code": ["a", "kota"], "name": ["A", "Kota"], "parent_code": ["p"] * 2,
                          "suppressed": [False, False], "recipients": pd.array([90, 0], "Int64"),
                          "eligible_households": pd.array([90, 0], "Int64")})
    registered = pd.DataFrame({"region_code": ["a", "kota"], "registered_households": [400, 300],
                               "registered_suppressed": [False, False]})
    ranked = views.rank_gaps(views.build_gaps(cells, registered), "gap")
    # A's gap is 0 too (as many recipients as eligible): that zero is real and ranked; the kota's is not.
    assert ranked["region_code"].tolist() == ["a", "kota"] and ranked["rank"].iloc[0] == 1
    assert ranked["status"].iloc[1] == "nodata" and pd.isna(ranked["rank"].iloc[1]) and np.isnan(ranked["gap"].iloc[1])
    table = views.build_gap_table(ranked, pd.DataFrame(), "id", 10)
    assert table.iloc[1].tolist()[3:] == ["tidak ada data"] * 4 and table.iloc[1, 0] == "–"
    assert views.build_scatter_points(ranked, "id")["region_code"].tolist() == ["a"]
    values = metrics.build_values(cells, "recipients")
    assert values["status"].tolist() == ["ok", "nodata"] and np.isnan(values["value"].iloc[1])
    assert metrics.rank_values(values)["rank"].isna().tolist() == [False, True]


def test_a_map_of_one_value_has_a_legend_entry_for_it():
    from dashboard import maps

    items = maps.legend_items([42.0], lambda v: str(int(v)), "id", 10)
    assert items[0] == (maps.PALETTE[0], "42") and maps.fill_for(42.0, "ok", [42.0]) == maps.PALETTE[0]
    assert [text for _, text in items[1:]] == ["disembunyikan", "tidak tersedia di tingkat ini / tidak ada data"]


def test_outliers_are_far_from_the_fit():
    x = np.linspace(0.1, 0.6, 30)
    frame = pd.DataFrame({"x": x, "y": 0.5 + 0.5 * x + np.sin(np.arange(30)) * 0.01})
    frame.loc[7, "y"] = 0.1
    flags = views.flag_outliers(frame, "x", "y")
    assert flags.tolist().count(True) == 1 and flags.iloc[7]


def test_demo_build_commands_and_progress(tmp_path):
    settings = Settings(raw_db=tmp_path / "raw.duckdb", published_db=tmp_path / "p" / "bansos.duckdb",
                        geo_dir=tmp_path / "geo")
    generate, publish = demo_commands(settings, regions="34.71", scale="0.1")
    assert generate.argv[1:4] == ("-m", "data", "generate") and "--regions" in generate.argv
    assert publish.argv[1:4] == ("-m", "anonymize", "publish") and str(settings.published_db) in publish.argv
    assert parse_progress("[1/5] aggregate and protect (hide small cells, audit, repair) ...") == \
        (0.0, "stage_publish_1", {})
    # The first stage takes most of publishing; the later ones share the rest.
    assert parse_progress("[2/5] write the release and its boundaries ...") == (0.85, "stage_publish_2", {})
    assert parse_progress("[5/5] sign and swap the new release in ...")[0] == pytest.approx(0.85 + 0.15 * 3 / 4)
    assert parse_progress("[7/9] a new stage ...")[1] == "a new stage"
    assert parse_progress("[2/5] write the release and its boundaries done in 2.9 s") is None
    assert parse_progress("generate:  40%|████      | 2/5 [00:01<00:01]") == (0.4, "stage_generate", {})
    assert overall(0, 1.0) == pytest.approx(0.1) and overall(1, 1.0) == 1.0


@pytest.mark.parametrize(("line", "fraction", "id_text", "en_text"), [
    ("year 2023 protected (2 of 4)", 0.85 / 2,
     "Langkah 2 dari 2 · Penerbitan: menyembunyikan angka kecil — tahun 2023 selesai (2 dari 4)",
     "Step 2 of 2 · Publishing: hiding small numbers — 2023 done (2 of 4)"),
    ("year 2025 protected (4 of 4)\n", 0.85, "tahun 2025 selesai (4 dari 4)", "2025 done (4 of 4)"),
    ("year 2019 protected (1 of 1)", 0.85, "tahun 2019 selesai (1 dari 1)", "2019 done (1 of 1)"),
])
def test_each_protected_year_moves_the_first_run_bar(line, fraction, id_text, en_text):
    within, stage, values = parse_progress(line)
    assert within == pytest.approx(fraction)
    progress = Progress(overall(1, within), "publish", stage, values)
    assert overall(1, 0.0) < progress.fraction < overall(1, parse_progress("[2/5] write ...")[0]) + 1e-9
    assert id_text in progress.text("id") and en_text in progress.text("en")
    # It survives the progress file's JSON, which every watching page reads.
    assert Progress(**json.loads(json.dumps(dataclasses.asdict(progress)))).text("en") == progress.text("en")


def test_search_result_labels_tell_same_named_regions_apart():
    from dashboard.components import result_label

    rows = _regions().to_dict("records")
    assert result_label(rows[0], "id") == ("Sinduadi — Desa, Kecamatan Mlati, Kabupaten Sleman, DI Yogyakarta")
    assert result_label(rows[0], "en") == ("Sinduadi — Village, Mlati District, Sleman Regency, DI Yogyakarta")
    assert result_label(rows[2], "en") == "Mlati — District, Sleman Regency, DI Yogyakarta"  # no "Kec. nan"
    assert result_label(rows[3], "id") != result_label(rows[4], "id")
    # A kabupaten's name carries its kind: not "Kabupaten Sleman — Regency, ..." (a new user's walk).
    sleman = {"name": "Kabupaten Sleman", "kind": "kabupaten", "provinsi": "DI Yogyakarta"}
    assert result_label(sleman, "en") == "Sleman Regency — DI Yogyakarta"
    assert result_label(sleman, "id") == "Kabupaten Sleman — DI Yogyakarta"


def test_deck_json_is_compact_and_carries_the_rows():
    rows = ['{"c":"a","n":"A","l":"1","f":[1,2,3],"p":[[[110.1,-7.2],[110.3,-7.4],[110.2,-7.1]]]}']
    deck = maps.build_deck(rows, maps.view_for_bbox((110.0, -7.5, 110.5, -7.0)), stroked=False)
    compact = deck.to_json()
    assert "\n" not in compact and ", " not in compact
    spec = json.loads(compact)
    assert spec["layers"][0]["data"] == [json.loads(rows[0])] and spec["layers"][0]["id"] == "regions"
    assert "mapProvider" not in spec  # map_provider=None: no basemap tiles or style requested
    # Hover lightens a region: deck.gl's default blue mix made a hidden grey region look like a value class.
    red, green, blue, alpha = spec["layers"][0]["highlightColor"]
    assert (red, green, blue) == (255, 255, 255) and alpha < 128


@pytest.mark.parametrize(("text", "absent"), [
    ("[Unduh data resmi](https://evil.example)", "]("),
    ("x`![img](http://e/i.png)`", "`!"),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("$\\sqrt{x}$ :red[merah] :material/home:", ":red["),
])
def test_escape_leaves_no_markdown_construct(text, absent):
    escaped = i18n.escape(text)
    assert re.search(r"(?<!\\)" + re.escape(absent), escaped) is None  # only with a backslash before it
    assert re.sub(r"\\(.)", r"\1", escaped).replace(i18n.WORD_JOINER, "") == text  # nothing lost but the markup


def test_escape_caps_and_flattens_echoed_text():
    escaped = i18n.escape("a\nb" + "c" * 200)
    assert "\n" not in escaped and escaped.endswith("…") and len(escaped) <= i18n.ECHO_LIMIT + 1


@pytest.mark.parametrize(("name", "kind", "lang", "expected"), [
    ("Kabupaten Sleman", "kabupaten", "en", "Sleman Regency"), ("Kota Yogyakarta", "kota", "en", "Yogyakarta City"),
    ("Kabupaten Sleman", "kabupaten", "id", "Kabupaten Sleman"), ("Mlati", "kecamatan", "en", "Mlati"),
])
def test_region_name_follows_the_language(name, kind, lang, expected):
    assert i18n.region_name(name, kind, lang) == expected


@pytest.mark.parametrize(("name", "kind", "level", "id_label", "en_label"), [
    ("DI Yogyakarta", "provinsi", "provinsi", "Provinsi DI Yogyakarta", "DI Yogyakarta Province"),
    ("Kabupaten Sleman", "kabupaten", "kabupaten", "Kabupaten Sleman", "Sleman Regency"),
    ("Kota Yogyakarta", "kota", "kabupaten", "Kota Yogyakarta", "Yogyakarta City"),
    ("Mlati", "kecamatan", "kecamatan", "Kecamatan Mlati", "Mlati District"),
    ("Sinduadi", "desa", "desa", "Desa Sinduadi", "Sinduadi Village"),
    ("Caturtunggal", "kelurahan", "desa", "Kelurahan Caturtunggal", "Caturtunggal Urban Village"),
])
def test_region_labels_follow_one_convention_per_language(name, kind, level, id_label, en_label):
    """English mixed "Village Sinduadi" (kind first) with "Sleman Regency" (kind after): every level now puts the
    kind after the name in English, before it in Bahasa Indonesia."""
    assert i18n.region_label(name, kind, level, "id") == id_label
    assert i18n.region_label(name, kind, level, "en") == en_label


def test_notice_tells_unknown_from_not_applicable_and_too_many():
    assert state.notice_for("level", "desa", "provinsi", ["provinsi"], known=("desa",))[0] == "not_applicable_param"
    # A few valid values are listed (a new user's walk: `rank=pct` said only "not valid").
    assert state.notice_for("level", "dusun", "provinsi", ["provinsi"], known=("desa",)) == \
        ("invalid_param_choices", {"name": "level", "value": "dusun", "choices": "provinsi"})
    assert state.notice_for("region", "99", "ID", lambda c: c.startswith("3"))[0] == "invalid_param"
    assert state.notice_for("period", "x", "2025", [str(i) for i in range(14)])[0] == "invalid_param"  # too many
    assert state.notice_for("compare", list("abcdef"), [], list("abcdef"), max_items=5)[0] == "too_many_param"
    looks_like_year = str.isdigit
    assert state.notice_for("year", "1999", "2025", ["2024", "2025"], known=looks_like_year,
                            absent="year_not_in_release") == \
        ("year_not_in_release", {"name": "year", "value": "1999", "default": "2025"})
    assert state.notice_for("year", "abc", "2025", ["2025"], known=looks_like_year)[0] == "invalid_param_choices"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_headline_rows_put_per_program_coverage_under_one_title(lang):
    """"Coverage of eligible households (BLT Dana …" was cut in a third of the page at 1280 px."""
    headlines = [(f"{i18n.t('m_coverage', lang)} ({name})", "80%") if i >= 5 else (f"m{i}", str(i))
                 for i, name in enumerate(["", "", "", "", "", "PKH", "Sembako", "BLT Dana Desa"])]
    rows = views.headline_rows(headlines, lang)
    assert [title for title, _ in rows] == ["", i18n.t("m_coverage_by_program", lang)]
    assert rows[0][1] == headlines[:5]
    assert rows[1][1] == [("PKH", "80%"), ("Sembako", "80%"), ("BLT Dana Desa", "80%")]
    assert all(len(label) <= 20 for _, figures in rows for label, _ in figures)
    # One program chosen: its coverage label has no program and stays with the others.
    single = [("m0", "1"), (i18n.t("m_coverage", lang), "80%")]
    assert views.headline_rows(single, lang) == [("", single)]


def test_stack_table_keeps_every_cell_in_row_order():
    wide = pd.DataFrame({"Program": ["PKH", "Semua"], "A": ["1", "2"], "B": ["3", "disembunyikan"]})
    long = views.stack_table(wide, "Ukuran", "Nilai", "id")
    assert list(long.columns) == ["Program", "Ukuran", "Nilai"]
    assert long.values.tolist() == [["PKH", "A", "1"], ["PKH", "B", "3"], ["Semua", "A", "2"],
                                    ["Semua", "B", "disembunyikan"]]


def test_stack_table_keeps_two_rows_of_one_name_apart():
    """The gaps' second table on a phone is stacked by name, and two regions may share one."""
    wide = pd.DataFrame({"Nama": ["Sidomulyo", "Banyurejo", "Sidomulyo"], "A": ["1", "2", "3"], "B": ["4", "5", "6"]})
    long = views.stack_table(wide, "Ukuran", "Nilai", "id")
    assert long.values.tolist() == [["Sidomulyo", "A", "1"], ["Sidomulyo", "B", "4"], ["Banyurejo", "A", "2"],
                                    ["Banyurejo", "B", "5"], ["Sidomulyo", "A", "3"], ["Sidomulyo", "B", "6"]]


@pytest.mark.parametrize(("lang", "texts"), [("id", ["12.345", "0,8%", "2,5"]), ("en", ["12,345", "0.8%", "2.5"])])
def test_stack_table_values_are_one_type_of_text_and_empty_cells_make_no_row(lang, texts):
    """A count beside a formatted share in one column made Arrow fail (pyarrow tracebacks in the server log at 390 px);
    an empty description made a row with nothing in it."""
    import pyarrow as pa

    wide = pd.DataFrame({"Diukur": ["Keluarga", "Rupiah"], "Seri": [12345, 7], "MAPE": ["0,8%", "1,2%"],
                         "Rasio": [2.5, np.nan], "Keterangan": ["", "perkiraan"]})
    wide["MAPE"] = [texts[1], "1,2%"]
    long = views.stack_table(wide, "Ukuran", "Nilai", lang)
    pa.Table.from_pandas(long)  # raised ArrowInvalid before
    assert long["Nilai"].map(type).eq(str).all()
    assert long["Nilai"].tolist()[:3] == texts
    assert long.values.tolist()[3:] == [["Rupiah", "Seri", "7"], ["Rupiah", "MAPE", "1,2%"],
                                        ["Rupiah", "Keterangan", "perkiraan"]]


@pytest.mark.parametrize(("pixels", "expected"), [(None, 700), (120, 320), (358, 350), (390, 360), (1184, 960)])
def test_width_class(pixels, expected):
    assert browser.width_class(pixels) == expected


def test_a_view_fits_its_box_at_phone_width():
    bbox = (95.0, -11.0, 141.0, 6.0)  # Indonesia
    phone, desktop = maps.view_for_bbox(bbox, 360, 380), maps.view_for_bbox(bbox, 1200, 520)
    for view, width in ((phone, 360), (desktop, 1200)):
        assert 0.85 * width <= 512 * 2 ** view.zoom * 46 / 360 <= width  # 46 degrees of longitude fill the width
    assert phone.zoom < desktop.zoom


def test_a_flat_region_gets_a_map_no_taller_than_it_needs():
    flat, tall = (110.0, -11.0, 125.2, -7.5), (123.5, -10.5, 124.5, -8.5)  # DIY and NTT together; a tall kabupaten
    assert maps.map_height(350, flat) < maps.map_height(350) == 380
    view = maps.view_for_bbox(flat, 350, maps.map_height(350, flat))
    assert 512 * 2 ** view.zoom * 15.2 / 360 >= 0.85 * 350  # still as wide as the phone
    assert maps.map_height(350, tall) == 380 and maps.map_height(1200, tall) == 520


def test_best_match_opens_the_first_result_unless_the_reader_picked_another():
    found = pd.DataFrame({"code": ["a", "b"]})
    assert components.best_match(found, "ID", None, "q") == "a"
    assert components.best_match(found, "b", "q", "q") == "b"  # picked among this query's results
    assert components.best_match(found, "b", "old", "q") == "a"  # a new query opens its own best match
    assert components.best_match(found.iloc[0:0], "ID", None, "q") is None


def test_long_titles_wrap_for_phones_and_target_is_labelled():
    text, lines = charts.wrap_title("Keluarga penerima — Per program — Kabupaten Kulon Progo, Semua program")
    assert lines == 2 and all(len(line) <= charts.TITLE_LINE for line in text.split("<br>"))
    frame = pd.DataFrame({"period": ["2025-01", "2025-02"], "value": [1.0, 2.0], "label": ["1", "2"]})
    figure = charts.build_cumulative(frame, 10.0, "en", "t")
    assert figure.layout.yaxis.rangemode == "tozero"
    assert any("Annual target" in a.text for a in figure.layout.annotations)


def test_the_target_label_sits_where_a_running_total_is_lowest():
    """A year that reached its target drew its line and last points through the label at the last month (the
    demo's Kecamatan Gamping, PKH 2025): the label is at the first month, left-aligned, above the dashed line."""
    frame = pd.DataFrame({"period": [f"2025-{m:02d}" for m in range(1, 13)], "value": [m * 1.0 for m in range(1, 13)],
                          "label": [str(m) for m in range(1, 13)]})
    figure = charts.build_cumulative(frame, 10.0, "en", "t")
    (label,) = [a for a in figure.layout.annotations if "Annual target" in a.text]
    assert label.x == figure.data[0].x[0] and label.xanchor == "left" and label.yanchor == "bottom"
    assert frame["value"].iloc[0] < 10.0 < frame["value"].iloc[-1]    # the line crosses the target: a real case


def test_a_chart_on_the_page_has_its_title_above_it_and_keeps_it_for_images():
    """Plotly cuts a long title at the chart's edge: the page writes it above the chart (where text wraps to any
    width) and draws an untitled copy; the figure itself, which PNG/SVG downloads draw, keeps its title."""
    frame = pd.DataFrame({"period": ["2025-01", "2025-02"], "series": "A", "value": [1.0, 2.0], "label": ["1", "2"]})
    long = "Keluarga penerima — Per program — Kabupaten Timor Tengah Selatan, Semua program"
    figure = charts.build_lines(frame, "id", long)
    shown = charts.untitled(figure)
    assert not shown.layout.title.text and shown.layout.margin.t < figure.layout.margin.t
    assert shown.layout.height < figure.layout.height  # the wrapped title's extra lines are given back
    assert charts.title_of(figure) == long and "<br>" in figure.layout.title.text


@pytest.mark.parametrize("names", [True, False])
def test_outlier_names_are_written_on_the_scatter_only_where_they_fit(names):
    points = pd.DataFrame({"x": [0.1, 0.2, 0.3], "y": [0.5, 0.9, 0.4], "name": ["A", "B", "C"],
                           "label": ["A: 1", "B: 2", "C: 3"], "outlier": [False, True, True]})
    outliers = charts.build_scatter(points, "id", "t", "x", "y", names=names).data[1]
    assert (outliers.mode == "markers+text") is names and (outliers.text is not None) is names
    assert names or list(outliers.hovertext) == ["B: 2", "C: 3"]  # on a phone the name is in the hover


def _label_boxes(x: np.ndarray, y: np.ndarray, names: list[str], positions: list[str], every_x: np.ndarray,
                 every_y: np.ndarray, plot: tuple[float, float]) -> list[tuple[float, float, float, float]]:
    """(left, bottom, right, top) in pixels of each drawn name (position not empty), from plotly's position words
    and each name's length, on a plot of `plot` pixels spanning every point."""
    char, line, gap = charts._CHAR_PX, charts._LINE_PX, charts._MARKER_PX
    px = (x - every_x.min()) / (every_x.max() - every_x.min()) * plot[0]
    py = (y - every_y.min()) / (every_y.max() - every_y.min()) * plot[1]
    boxes = []
    for i, position in enumerate(positions):
        if not position:
            continue
        vertical, horizontal = position.split()
        w = len(names[i]) * char
        left = {"center": px[i] - w / 2, "right": px[i] + gap, "left": px[i] - gap - w}[horizontal]
        bottom = {"middle": py[i] - line / 2, "top": py[i] + gap, "bottom": py[i] - gap - line}[vertical]
        boxes.append((left, bottom, left + w, bottom + line))
    return boxes


def test_outlier_names_beside_each_other_are_placed_apart():
    """The demo's coverage scatter wrote Elar Selatan, Lamba Leda Timur and Wewaria over each other: positions
    alternated by rank, whatever the distance. Names now go where their boxes (pixels on a desktop chart, from each
    name's length) overlap no other name and no labelled marker, as computed here from plotly's position words."""
    x = np.array([0.31, 0.34, 0.35, 0.37, 0.41, 0.46, 0.475, 0.545])
    y = np.array([0.37, 0.46, 0.355, 0.485, 0.46, 0.455, 0.455, 0.53])
    names = ["Wewaria", "Elar Selatan", "Ngampilan", "Ruteng Barat", "Kota Komba Utara", "Umbu Ratu Nggay", "Sulamu",
             "Lamba Leda Timur"]
    every_x, every_y = np.append(x, [0.15, 0.72]), np.append(y, [0.35, 1.0])
    positions = charts.label_positions(x, y, names, every_x, every_y)
    assert set(positions) <= {place for place, _, _ in charts._LABEL_PLACES}
    boxes = _label_boxes(x, y, names, positions, every_x, every_y, charts._PLOT_PX)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            # Touching within a pixel or two is apart (the boxes are estimates of the rendered text).
            apart = a[2] <= b[0] + 2 or b[2] <= a[0] + 2 or a[3] <= b[1] + 2 or b[3] <= a[1] + 2
            assert apart, (names[boxes.index(a)], names[boxes.index(b)], positions)
    # By rank alone (the old rule) the first two names shared their space.
    assert positions != [("top center", "bottom center", "top right", "bottom left")[i % 4] for i in range(8)]


def test_a_name_goes_where_it_covers_no_unlabelled_dot_when_such_a_place_is_free():
    """At 1280 px a gaps scatter's name sat half over an unlabelled dot though the place below its point was free:
    places that cover no name and no labelled marker are now told apart by the dots they cover."""
    x, y = np.array([0.5]), np.array([0.5])
    plot = charts._PLOT_PX
    # An unlabelled dot 12 px above the labelled point, under where "top center" would write the name; the axes'
    # extent set by two corner dots.
    every_x = np.array([0.5, 0.5, 0.0, 1.0])
    every_y = np.array([0.5, 0.5 + 12 / plot[1], 0.0, 1.0])
    names = ["Kota Komba Utara"]
    assert charts.label_positions(x, y, names, every_x[[0, 2, 3]], every_y[[0, 2, 3]]) == ["top center"]
    positions = charts.label_positions(x, y, names, every_x, every_y)
    assert positions[0] not in (None, "top center")
    (box,) = _label_boxes(x, y, names, positions, every_x, every_y, plot)
    dot = (0.5 * plot[0], (0.5 + 12 / plot[1]) * plot[1])
    r = charts._DOT_PX
    assert box[2] <= dot[0] - r or dot[0] + r <= box[0] or box[3] <= dot[1] - r or dot[1] + r <= box[1], (box, dot)


def test_the_header_names_the_release_when_two_releases_share_a_day():
    from dashboard.db import Release

    release = Release("20251103T101500Z", "2025-11-03T10:15:00+00:00", 2025, "2025-10", ("34",), 10)
    alone = components.freshness(release, "en", kept=["20251103T101500Z", "20251001T090000Z"])
    shared = components.freshness(release, "en", kept=["20251103T101500Z", "20251103T090000Z"])
    assert alone.endswith("release 2025-11-03") and shared.endswith("release 2025-11-03 (20251103T101500Z)")


@pytest.mark.parametrize(("view", "top", "expected"), [("map", "10", 1100), ("gap", "10", 860), ("gap", "20", 1140),
                                                       ("gap", "all", 1980), ("profile", "10", 1400)])
def test_embed_height_per_view(view, top, expected):
    assert components.embed_height(view, top) == expected


@pytest.mark.parametrize(("lang", "expected"), [("id", "50.000"), ("en", "50,000")])
def test_count_axes_follow_the_language_not_si_suffixes(lang, expected):
    """Axis numbers as the page writes numbers, drawn by Plotly itself (kaleido): its default would label 50000 as
    "50k" in both languages."""
    from dashboard import charts, export
    frame = pd.DataFrame({"series": ["a", "a"], "period": ["2025-01", "2025-02"], "value": [40_000, 60_000],
                          "label": ["40.000", "60.000"]})
    svg = export.image_bytes(charts.build_lines(frame, lang, "t"), "Sumber: a test", "svg").decode()
    ticks = re.findall(r'class="ytick"[^>]*>.*?<text[^>]*>([^<]*)</text>', svg)
    assert expected in ticks, ticks
    assert not any(tick.endswith("k") for tick in ticks), ticks


def test_all_programs_leave_out_the_coverage_of_a_program_that_does_not_run_there(published):
    """A kelurahan of a kota has no BLT Dana Desa (no eligible household, none paid): its coverage is no figure
    at all, so the all-programs headlines do not show it as "–"."""
    from dashboard import queries, views

    year = str(queries.release(published).data_year)
    absent = published.execute(
        "SELECT region_code FROM disbursement_cells WHERE program = 'BLT_DD' AND period = ? AND channel = 'SEMUA' "
        "AND NOT suppressed AND recipients = 0 AND coalesce(eligible_households, 0) = 0 AND level = 'desa' LIMIT 1",
        [year]).fetchall()
    if not absent:
        pytest.skip("every desa of the fixture has BLT Dana Desa")
    code = absent[0][0]
    cells = queries.region_cells(published, code, year)
    labels = [label for label, _ in views.build_headlines(cells[cells["program"] == "SEMUA"], cells, "SEMUA", "en", 10)]
    assert not any("BLT" in label for label in labels)
    assert any(label.startswith(i18n.t("m_coverage", "en")) for label in labels)


def test_the_boundary_credit_names_its_source_once():
    from dashboard import maps

    source = {"name": "cahyadsn/wilayah_boundaries @ 3c5a796", "licence": "MIT License\n\nCopyright ...",
              "attribution_id": "Batas wilayah: cahyadsn/wilayah_boundaries @ 3c5a796 (MIT, © 2024 Cahya DSN).",
              "attribution_en": ""}
    text = maps.boundary_credit(source, "id")
    assert text.count("cahyadsn/wilayah_boundaries") == 1 and "Lisensi: MIT License." in text
    english = maps.boundary_credit(source, "en")   # no attribution in English: name and licence
    assert english == "Boundary source: cahyadsn/wilayah_boundaries @ 3c5a796. Licence: MIT License."


def test_a_single_line_keeps_its_name_in_the_legend():
    from dashboard import charts

    frame = pd.DataFrame({"period": ["2025-01", "2025-02"], "series": "Kulon Progo", "value": [1.0, 2.0],
                          "label": ["1", "2"]})
    figure = charts.build_lines(frame, "id", "Penerima")
    assert figure.layout.showlegend is True and figure.data[0].name == "Kulon Progo"


def test_legend_classes_do_not_share_an_edge():
    """A class holds its lower edge only (the last one both): the labels say so instead of "26 – 39", "39 – 59"."""
    from dashboard import maps

    items = maps.legend_items([0, 26, 39, 59], lambda v: str(int(v)), "id", 10)
    assert [text for _, text in items[:3]] == ["0 – <26", "26 – <39", "39 – 59"]
    assert maps.bin_index(39, [0, 26, 39, 59]) == 2 and maps.bin_index(59, [0, 26, 39, 59]) == 2


def test_every_shareable_view_declares_its_title():
    from dashboard import i18n, shareable

    for view in shareable.VIEWS.values():
        for lang in i18n.LANGS:
            title = view.title(lang, measure="M", region="R", program="P", period="T", detail="D", level="L", year="Y")
            assert title.startswith("M — "), (view.kind, lang, title)


def test_a_program_keeps_its_colour_and_legend_place_in_both_languages():
    """Series follow the order of their codes, not of their translated names (Sembako sorted before PKH in one
    language and after it in the other, swapping colours between two screenshots of one chart)."""
    monthly = pd.DataFrame({"region_code": "34", "period": ["2025-01"] * 3, "program": ["PKH", "SEMBAKO", "BLT_DD"],
                            "recipients": [120.0, 80.0, 40.0], "suppressed": [False, False, False]})
    names = {"id": {"PKH": "PKH", "SEMBAKO": "Sembako", "BLT_DD": "BLT Dana Desa"},
             "en": {"PKH": "Family Hope (PKH)", "SEMBAKO": "Basic food (Sembako)", "BLT_DD": "Village cash (BLT)"}}
    colours = {}
    for lang in ("id", "en"):
        series = views.build_monthly_series(monthly, "recipients", "program", names[lang], "none", lang, 10)
        figure = charts.build_lines(series, lang, "t")
        colours[lang] = [trace.line.color for trace in figure.data]
        assert [trace.name for trace in figure.data] == list(names[lang].values())
        assert series["program"].tolist() == list(names[lang])  # each row's program code, for downloads
    assert colours["id"] == colours["en"]


def test_line_charts_start_their_y_axis_at_zero():
    frame = pd.DataFrame({"period": ["2025-01", "2025-02"], "series": ["A", "A"], "value": [25_000.0, 26_000.0],
                          "label": ["25.000", "26.000"]})
    assert charts.build_lines(frame, "id", "t").layout.yaxis.rangemode == "tozero"


def test_a_map_of_few_values_has_no_empty_classes_in_its_key():
    edges = maps.make_bins(pd.Series([120.0, 4_500.0, np.nan]))
    classes = [maps.bin_index(v, edges) for v in (120.0, 4_500.0)]
    assert len(edges) - 1 == 2 and sorted(classes) == [0, 1]
    items = maps.legend_items(edges, lambda v: f"{v:,.0f}", "id", 10)
    assert len(items) == 2 + 2      # two classes, then the hidden and not-published swatches


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_hidden_value_the_published_figures_pin_says_so_instead_of_a_range_of_one_value(lang):
    """A new user read "disembunyikan (antara 498 dan 498 keluarga)": a partner whose published range is one
    value (the audit lets a cell shown not to be small be pinned). It now says the other figures give it."""
    from dashboard import change

    pinned = metrics.hidden_between(498, 498, lang, "unit_households")
    assert pinned == i18n.t("hidden_derivable", lang, value=i18n.t("unit_households", lang, n="498"))
    assert i18n.is_hidden_label(pinned, lang)
    wide = metrics.hidden_between(180, 260, lang, "unit_households")
    assert wide == i18n.t("hidden_between", lang, low="180", high=i18n.t("unit_households", lang, n="260"))
    rupiah = metrics.hidden_between(3_300_000_000, 3_300_000_000, lang, None)
    assert rupiah == i18n.t("hidden_derivable", lang, value=i18n.format_rupiah(3_300_000_000, lang))
    # Ends that differ but print alike once rounded are "about", never "between x and x" nor "given".
    close = metrics.hidden_between(3_301_000_000, 3_302_000_000, lang, None)
    assert close == i18n.t("hidden_about", lang, value=i18n.format_rupiah(3_301_000_000, lang))
    assert change.format_change(np.nan, change.HIDDEN, "recipients", "abs", lang, 10, -6.0, -6.0) == \
        i18n.t("hidden_derivable", lang, value="−6")


def test_the_overview_sparkline_leaves_hidden_months_unfilled():
    """The filled line joined April to July across a hidden May and June (Plotly fills to zero across NaN)."""
    frame = pd.DataFrame({"period": ["2025-03", "2025-04", "2025-05", "2025-06", "2025-07"],
                          "value": [530e6, 536e6, np.nan, np.nan, 538e6], "label": list("abcde")})
    fig = charts.build_sparkline(frame, "id", "t")
    filled = [trace for trace in fig.data if trace.fill == "tozeroy"]
    assert [list(trace.x) for trace in filled] == [["Mar 2025", "Apr 2025"], ["Jul 2025"]]
    assert list(fig.layout.xaxis.categoryarray) == ["Mar 2025", "Apr 2025", "Mei 2025", "Jun 2025", "Jul 2025"]


def test_the_first_run_bar_moves_with_each_years_tables_and_never_back(tmp_path):
    """Four demo years, two at a time: the bar sat at 10% for five minutes until two whole years were done. Each
    year's protected tables now move it, by their share of the year's cells, and a year's own line never moves
    it back."""
    from dashboard.build_demo import Command, run_build

    lines = ["protecting 2022, 2023, 2024, 2025: 2 year(s) at once",
             "2022 year 2022: 1,000 cells in 3 tables to protect", "2023 year 2023: 1,000 cells in 3 tables to protect",
             "2022 year 2022: 100 cells protected (1 of 3 tables)",
             "2023 year 2023: 500 cells protected (2 of 3 tables)",
             "2022 year 2022: 1,000 cells protected (3 of 3 tables)", "year 2022 protected (1 of 4)",
             "[2/5] write the release and its boundaries ..."]
    script = tmp_path / "lines.py"
    script.write_text("import sys\n" + "".join(f"print({line!r}, file=sys.stderr, flush=True)\n" for line in lines))
    seen: list[Progress] = []
    commands = [Command("generate", (sys.executable, "-c", "pass")), Command("publish", (sys.executable, str(script)))]
    assert run_build(commands, seen.append).ok
    fractions = [p.fraction for p in seen if p.step == "publish"]
    assert fractions == sorted(fractions), fractions
    by_line = [p for p in seen if p.step == "publish"][1:]  # after "starting", one progress per line
    # Stage 1 is 85% of publishing: 100 of one year's 1,000 cells of four years, then 600, then 1,500; the year's
    # own line keeps it there (a whole year and half of the other).
    assert [p.fraction for p in by_line[3:7]] == pytest.approx([overall(1, 0.85 * x / 4) for x in (0.1, 0.6, 1.5, 1.5)])
    assert by_line[4].text("en") == ("Step 2 of 2 · Publishing: hiding small numbers so that no household can be "
                                     "singled out (0 of 4 years done)")
    assert by_line[4].details("en") == "2022: 1 of 3 tables done; 2023: 2 of 3 tables done"
    assert "tahun 2023: 2 dari 3 tabel selesai" in by_line[4].details("id")
    assert by_line[6].text("en").endswith("(1 of 4 years done)")
    assert by_line[6].details("en") == "2023: 2 of 3 tables done"
    assert seen[-1].fraction == 1.0


def test_the_first_run_bar_moves_with_each_round_of_a_table_in_protection():
    """The demo's first table is 92% of a year's cells and its rounds take minutes: the bar moved only when the
    whole table was done. Each round or un-hide line now moves it by part of what is left of that table (never to
    the table's end), and the table's own line takes it there; the text says which table and step."""
    from dashboard.build_demo import YearsProgress

    progress = YearsProgress()
    lines = ["protecting 2022, 2023: 2 year(s) at once", "2022 year 2022: 1,000 cells in 2 tables to protect",
             "2022 protecting disbursement_cells (900 cells)",
             "2022   disbursement_cells round 1: 70 hidden, 3 values too narrow (1.0 s)",
             "2022   disbursement_cells round 2: 80 hidden, 0 values too narrow (1.0 s)",
             "2022   disbursement_cells un-hide 1: 40 tried, 10 published again, 30 kept hidden",
             "2022 year 2022: 900 cells protected (1 of 2 tables)"]
    fed = [progress.feed(line) for line in lines]
    assert [f is None for f in fed] == [False] * 7 and {f[1] for f in fed if f} == {"stage_publish_years"}
    assert [f[0] for f in fed[:3] if f] == [0.0] * 3
    rounds = [f for f in fed[3:6] if f is not None]
    fractions = [f[0] for f in rounds]
    # Half the stage is 2022; of its 1,000 cells the 900 in protection are credited 18%, 32.4%, 43.9% of 90%.
    assert fractions == pytest.approx([0.85 * 0.5 * 900 * 0.9 * (1 - 0.8 ** k) / 1000 for k in (1, 2, 3)])
    assert rounds[2][2] == {"done": 0, "total": 2}
    assert rounds[2][3] == (("stage_year_round", {"year": 2022, "table": 1, "total": 2, "step": 3}),)
    done = fed[6]
    assert done is not None and done[3] == (("stage_year_tables", {"year": 2022, "done": 1, "total": 2}),)
    assert done[0] > fractions[-1] and done[0] == pytest.approx(0.85 * 0.5 * 0.9)
    progress = Progress(0.5, "publish", *rounds[2][1:])
    assert progress.text("id") == ("Langkah 2 dari 2 · Penerbitan: menyembunyikan angka kecil agar tak satu keluarga "
                                   "pun bisa dikenali (0 dari 2 tahun selesai)")
    assert progress.details("id") == "tahun 2022: mengerjakan tabel ke-1 dari 2, putaran pemeriksaan ke-3"


def test_the_first_run_caption_shows_the_time_the_build_has_run_and_each_years_table():
    """The bar stood still for minutes between protection rounds (a new user's walk: 2 minutes at 28%, 2 more at
    34%) under a text of no stated total ("langkah 5"): the line under it now counts the build's time, the same for
    every watcher (the start is in the progress file), and says what each year is working on."""
    from dashboard.build_demo import watch_caption

    parts = (("stage_year_round", {"year": 2022, "table": 3, "total": 4, "step": 2}),
             ("stage_year_table", {"year": 2023, "table": 1, "total": 4}))
    progress = Progress(0.3, "publish", "stage_publish_years", {"done": 0, "total": 4}, parts, started=1_000.0)
    read_back = Progress(**json.loads(json.dumps(dataclasses.asdict(progress))))
    assert watch_caption(read_back, "id", 1_000.0 + 754.9) == (
        "Sudah berjalan 12 menit 34 detik. Tahun 2022: mengerjakan tabel ke-3 dari 4, putaran pemeriksaan ke-2; "
        "tahun 2023: mengerjakan tabel ke-1 dari 4")
    assert watch_caption(read_back, "en", 1_065.0).startswith("Running for 1 min 5 s. 2022: working on table 3 of 4")
    # Before the build wrote its start (an older progress file), and with no year in protection: nothing to say.
    assert watch_caption(Progress(0.05, "generate", "stage_generate"), "id", 5.0) == ""


def test_the_first_run_text_names_every_year_in_protection_in_year_order():
    """Two years are protected side by side and write their lines in turn: the text named the last line's year
    alone and flipped between the two every few seconds. It now names both, always in year order, and a year
    leaves it (counted in the head) once its own line says it is protected."""
    from dashboard.build_demo import YearsProgress

    progress = YearsProgress()
    lines = ["protecting 2022, 2023, 2024: 2 year(s) at once",
             "2022 year 2022: 1,000 cells in 2 tables to protect", "2022 protecting disbursement_cells (900 cells)",
             "2023 year 2023: 1,000 cells in 2 tables to protect", "2023 protecting disbursement_cells (900 cells)",
             *[f"{year}   disbursement_cells round {k}: 70 hidden, 3 values too narrow (1.0 s)"
               for k in (1, 2) for year in (2023, 2022)],
             "2023 year 2023: 900 cells protected (1 of 2 tables)",
             "2023 protecting complaint_cells (100 cells)", "2023 year 2023: 1,000 cells protected (2 of 2 tables)",
             "year 2023 protected (1 of 3)", "2022   disbursement_cells round 3: 1 hidden, 0 values too narrow (1.0 s)"]
    shown = [Progress(0.5, "publish", *fed[1:]) for line in lines if (fed := progress.feed(line))]
    texts = [f"{p.text('en')} — {p.details('en')}" for p in shown]
    both = texts[4:11]
    assert all(re.search(r"— 2022: .+; 2023: ", text) for text in both), both
    assert both[4].endswith("(0 of 3 years done) — 2022: working on table 1 of 2, round of checks 2; "
                            "2023: working on table 1 of 2, round of checks 2")
    assert texts[-2].endswith("(1 of 3 years done) — 2022: working on table 1 of 2, round of checks 2")
    assert texts[-1].endswith("(1 of 3 years done) — 2022: working on table 1 of 2, round of checks 3")


#: The Indonesian word of each level below the province, as the English UI's running text writes it.
_LEVEL_WORDS = {"kabupaten": "kabupaten/kota", "kecamatan": "kecamatan", "desa": "desa/kelurahan"}


@pytest.mark.parametrize(("level", "word"), _LEVEL_WORDS.items())
def test_english_level_names_carry_the_word_the_english_text_uses(level, word):
    """The outlook's backtest rows read "regencies/cities" while the text beside them said "kabupaten/kota"."""
    assert any(word in text[1] for text in i18n.TEXT.values())  # English running text uses the Indonesian word
    assert word in i18n.level_name(level, "en").lower()
    assert word in i18n.pick(i18n.LEVEL_ONE[level], "en").lower()


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(("statuses", "mine", "hidden", "other"), [
    (["ok", "ok", "hidden", "hidden", "hidden"], "a", 3, 0),  # "among 5", then "1 of 2": three hidden siblings
    (["ok", "hidden", "ok", "nodata", "ok"], "c", 1, 1),
    (["hidden", "ok", "hidden", "ok", "ok"], "a", 1, 0),       # its own value hidden: not counted as a sibling
    (["ok", "ok", "ok"], "b", 0, 0),
    (["undefined", "ok", "ok"], "a", 0, 0),   # its own figure undefined (no registered household): not "hidden"
    (["nodata", "ok", "hidden"], "a", 1, 0),
])
def test_the_rank_says_why_siblings_are_not_ranked(statuses, mine, hidden, other, lang):
    """The profile said "rank among 5" and then "1 of 2" without saying that hidden siblings are not ranked."""
    codes = list("abcde")[:len(statuses)]
    values = pd.DataFrame({"region_code": codes, "status": statuses,
                           "value": [float(i + 1) if s == "ok" else np.nan for i, s in enumerate(statuses)]})
    text = views.rank_text(values, mine, "m", lang)
    ranked = statuses.count("ok")
    assert (i18n.t("rank_unranked_hidden", lang, k=hidden, n=ranked) in text) is bool(hidden)
    assert (i18n.t("rank_unranked_other", lang, k=other) in text) is bool(other)
    if statuses[codes.index(mine)] == "ok":
        own = float(values.loc[values["region_code"] == mine, "value"].iloc[0])
        shown = i18n.format_decimal(own, lang, 1)  # recipients per 1,000 registered households, as the map writes
        assert text.startswith(i18n.t("rank_value", lang, rank=views.sibling_rank(values, mine)[0], n=ranked,
                                      metric="m", value=shown)), text
    else:
        own = statuses[codes.index(mine)]
        assert text.startswith(i18n.t("rank_hidden" if own == "hidden" else "rank_no_value", lang)), text


@pytest.mark.parametrize("rows", [0, 1, 4, 5, 6, 23])
def test_a_phone_shows_a_long_tables_first_rows_and_keeps_the_rest(rows):
    """A province's stacked outlook table (23 rows) was about 12,000 px tall at 390 px."""
    table = pd.DataFrame({"region": [f"r{i}" for i in range(rows)], "value": range(rows)})
    first, rest = components.split_rows(table)
    assert list(first["region"]) + list(rest["region"]) == list(table["region"])  # none lost, none repeated
    assert len(first) <= components.PHONE_ROWS + 1
    assert rest.empty or len(rest) >= 2  # an expander never hides a single row


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("value", [30.04e9, 30.8e9, 5e9, 2.6e9, 740.8e6, 1.4e12, 1.41e12, 27_600_000.0])
def test_every_rupiah_figure_follows_one_rule(value, lang):
    """A profile showed "Rp30 M" beside "Rp30,8 M" (one decimal, its zero dropped) and the outlook's "Rp1,41 T"
    (three digits) beside the figures' "Rp1,4 T": the same kind of figure at different precision on one page."""
    from dashboard import change, outlook_views

    shown = {"figure": metrics.format_value(value, metrics.OK, "amount", "none", lang, 10),
             "outlook": outlook_views.format_value(value, "amount", lang),
             "change": change.format_number(value, "amount", "abs", lang).lstrip("+"),
             "range": metrics.format_value(np.nan, metrics.HIDDEN, "amount", "none", lang, 10, value, value * 2)}
    text = i18n.format_rupiah(value, lang)
    assert shown["figure"] == shown["outlook"] == shown["change"] == text
    assert text in shown["range"]
    digits = re.sub(r"\D", "", text)
    assert len(digits) == 3, text  # three significant digits, a trailing zero kept


@pytest.mark.parametrize("width", [520, 760, 1200])
def test_outlier_names_of_points_close_together_are_never_drawn_over_each_other(width):
    """Names of outliers close together were stacked over each other, unreadable, where no place around a point
    was free (the least-covering place was taken all the same). A name that would cover another is now left off
    the chart (it stays in the hover and the table), whatever the page's width."""
    rng = np.random.default_rng(3)
    x, y = 0.40 + rng.uniform(0, 0.01, 8), 0.30 + rng.uniform(0, 0.01, 8)
    names = ["Kota Komba Utara", "Lamba Leda Timur", "Elar Selatan", "Umbu Ratu Nggay", "Wewaria", "Ruteng Barat",
             "Sulamu", "Ngampilan"]
    every_x, every_y = np.append(x, [0.15, 0.72]), np.append(y, [0.2, 1.0])
    plot = (width - charts._PLOT_MARGIN_PX, charts._PLOT_PX[1])
    positions = charts.label_positions(x, y, names, every_x, every_y, plot)
    drawn = [i for i, p in enumerate(positions) if p]
    assert 1 <= len(drawn) < len(names), positions
    boxes = _label_boxes(x, y, names, positions, every_x, every_y, plot)
    for k, a in enumerate(boxes):
        for b in boxes[k + 1:]:
            assert a[2] <= b[0] + 2 or b[2] <= a[0] + 2 or a[3] <= b[1] + 2 or b[3] <= a[1] + 2, positions
    # On the chart: the names left off are empty text, every outlier keeps its marker.
    points = pd.DataFrame({"x": every_x, "y": every_y, "name": [*names, "P", "Q"], "label": [*names, "P", "Q"],
                           "outlier": [True] * 8 + [False, False]})
    texts = list(charts.build_scatter(points, "en", "t", "x", "y", width=width).data[1].text)
    assert len(texts) == 8 and 1 <= sum(bool(t) for t in texts) < 8


@pytest.mark.parametrize(("lang", "sembako"), [("id", "Sembako Rp2,40\u00a0jt"), ("en", "Sembako Rp2.40mn")])
def test_the_target_definition_writes_its_benefits_as_every_rupiah_figure(lang, sembako):
    """The English text had "Rp2.4 M" (a space, the scale of a billion in Indonesian) where every other figure
    reads Rp2.40mn (a new user's walk): the benefits come from the rule and the one formatter."""
    from dashboard import views

    text = views.target_definition(lang)
    assert sembako in text and "{" not in text


def test_a_figure_without_a_finite_value_has_no_points_to_draw():
    """charts.render_chart draws a note instead of empty axes where a view has nothing published (every region
    hidden): bars by name with numbers on one axis have points; NaN-only or empty traces have none."""
    import plotly.graph_objects as go

    from dashboard.charts import has_points

    assert has_points(go.Figure(go.Bar(x=[3.0, 5.0], y=["Galur", "Lendah"], orientation="h")))
    assert has_points(go.Figure(go.Scatter(x=["2025-01", "2025-02"], y=[float("nan"), 7])))
    assert not has_points(go.Figure(go.Bar(x=[], y=[], orientation="h")))
    assert not has_points(go.Figure(go.Scatter(x=["2025-01"], y=[float("nan")])))
    assert not has_points(go.Figure())
    assert has_points(go.Figure(go.Pie(values=[1, 2])))     # no x and y: drawn as it is


def test_a_stale_label_of_the_other_language_never_becomes_a_choice(monkeypatch):
    """A walk's finding (once in about 17 language switches on the gaps page): Streamlit hands back a select's
    displayed label when it matches none of the run's options, so a switch racing a change stored
    `rank="Kesenjangan (keluarga)"` and `region="Seluruh Indonesia"`, and the page warned that its own labels were
    not valid. The callbacks keep the previous choice instead; a real choice still goes through."""
    from types import SimpleNamespace

    session: dict = {"_url_state": {"rank": "gap", "region": "34"}}
    fake = SimpleNamespace(session_state=session)
    monkeypatch.setattr(state, "st", fake)
    monkeypatch.setattr(components, "st", fake)
    session["w_rank"] = "Kesenjangan (keluarga)"
    state._copy_back("rank", ("gap", "gap_share"))
    assert session["_url_state"]["rank"] == "gap"
    session["w_rank"] = "gap_share"
    state._copy_back("rank", ("gap", "gap_share"))
    assert session["_url_state"]["rank"] == "gap_share"
    session["pick_provinsi"] = "Seluruh Indonesia"
    components._pick("provinsi", "ID", ("34", "53"))
    assert session["_url_state"]["region"] == "34"
    session["pick_provinsi"] = "53"
    components._pick("provinsi", "ID", ("34", "53"))
    assert session["_url_state"]["region"] == "53"
    session["pick_provinsi"] = ""        # the empty choice: the whole parent
    components._pick("provinsi", "ID", ("34", "53"))
    assert session["_url_state"]["region"] == "ID"
    for stale in ("Seluruh Indonesia", ["PKH", "Semua program"]):
        assert not state.is_option(stale, ("PKH", "SEMBAKO"))
    assert state.is_option(["PKH"], ("PKH", "SEMBAKO")) and state.is_option(None, ("PKH",))
