"""Every page through AppTest: renders, selectors change what is shown, URL state round-trips, bad params fall back,
hidden cells never show as numbers."""

from __future__ import annotations

import html
import json
import re

import duckdb
import pandas as pd
import pytest

from dashboard import charts
from dashboard.i18n import (
    CATEGORIES,
    KINDS,
    format_int,
    format_percent,
    format_period,
    format_rupiah,
    hidden_label,
    hidden_note,
    pick,
    program_short,
    t,
)
from dashboard.maps import ROW_KEYS

HIDDEN_ID = hidden_label("id", 10)
HIDDEN_EN = hidden_label("en", 10)
#: Map tooltips are HTML: labels travel escaped; a hidden region's tooltip says why in a few words.
HIDDEN_ID_HTML = html.escape(t("hidden_tooltip", "id"))


def shown(markdown: str) -> str:
    """Markdown as a reader reads it: backslash escapes and the quotes around URL values removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace('"', "")
TITLES = {"beranda": ("Beranda", "Overview"), "peta": ("Peta", "Map"), "tren": ("Tren bulanan", "Monthly trends"),
          "kesenjangan": ("Kesenjangan cakupan", "Coverage gaps"), "wilayah": ("Cek wilayah", "My region")}


def texts(at) -> str:
    """Everything the page shows as text (markdown, captions, alerts, metrics, tables)."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "title", "header", "subheader")
             for e in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_string() for d in (*at.dataframe, *at.table)]  # data grids and plain tables
    return "\n".join(str(p) for p in parts)


def deck_rows(at) -> list[dict]:
    """The map's polygon rows, with the short keys spelled out."""
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    names = {short: long for long, short in ROW_KEYS.items()}
    return [{names[k]: v for k, v in row.items()} for row in spec["layers"][0]["data"]]


@pytest.mark.parametrize("page", list(TITLES))
@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_page_renders_in_both_languages(open_page, page, lang):
    at = open_page(page, lang=lang)
    assert not at.exception, at.exception
    assert not at.error
    assert at.title[0].value == TITLES[page][lang == "en"]
    assert at.query_params.get("lang") == (None if lang == "id" else "en")


@pytest.mark.parametrize("page", list(TITLES))
def test_invalid_query_params_fall_back_with_a_notice(open_page, page):
    at = open_page(page, region="99.99", program="NOPE", period="1999-13", metric="x", norm="y", level="z",
                   lang="fr")
    assert not at.exception, at.exception
    notices = shown(" ".join(w.value for w in at.warning))
    assert "lang=fr" in notices and "region=99.99" in notices
    for bad in ("99.99", "NOPE", "1999-13", "fr"):
        assert bad not in at.query_params.values()


def test_unknown_page_param_gives_a_notice_and_the_overview(open_page):
    at = open_page("nowhere")
    assert not at.exception
    assert at.title[0].value == "Beranda"
    assert any("page=nowhere" in shown(w.value) for w in at.warning)


def test_url_state_round_trips_through_the_map(open_page):
    params = {"region": "34.01", "program": "PKH", "period": "2025-03", "metric": "amount", "norm": "registered",
              "lang": "en"}
    at = open_page("peta", **params)
    assert not at.exception
    assert {k: at.query_params.get(k) for k in params} == params
    assert at.selectbox(key="w_program").value == "PKH"
    assert at.selectbox(key="w_period").value == "2025-03"
    assert at.radio(key="w_norm").value == "registered"


def test_map_selectors_change_what_is_shown(open_page):
    at = open_page("peta", region="34.01")
    before = deck_rows(at)
    at.selectbox(key="w_metric").set_value("coverage")
    at.selectbox(key="w_program").set_value("PKH").run()
    assert not at.exception
    after = deck_rows(at)
    assert [r["label"] for r in after] != [r["label"] for r in before]
    assert all(r["label"].endswith("%") or r["label"] == HIDDEN_ID_HTML or "tidak" in r["label"]
               for r in after)
    assert at.query_params.get("metric") == "coverage" and at.query_params.get("program") == "PKH"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_recipients_per_eligible_household_on_the_map_read_as_the_percent_beranda_shows(open_page, lang):
    """A walk read "0,87" on the map per eligible household and "87,0%" for the same figure on Beranda: the map's
    labels, legend and table give it as a percent, as coverage is everywhere."""
    at = open_page("peta", region="34", program="PKH", norm="eligible", lang=lang)
    assert not at.exception, at.exception
    labels = [r["label"] for r in deck_rows(at)]
    shown = [label for label in labels if label[:1].isdigit()]
    assert shown and all(label.endswith("%") for label in shown), labels
    table = at.dataframe[-1].value
    values = [v for v in table.iloc[:, -1] if str(v)[:1].isdigit()]
    assert values and all(str(v).endswith("%") for v in values), table


def test_the_map_table_on_a_phone_keeps_rank_name_and_value(open_page):
    """At a phone's width the ranked table drops the code column, which pushed the value out of view at 390 px."""
    at = open_page("peta", region="34.01")
    assert "Kode" in at.dataframe[-1].value.columns
    at.session_state["_content_width"] = 390
    at.run()
    assert not at.exception
    # A plain table, whose text wraps: a data grid cut the values ("12.34" for 12.340 at 390 px, a walk).
    assert list(at.table[-1].value.columns) == ["Peringkat", "Nama", "Nilai"]


def test_map_breadcrumb_goes_back_up(open_page):
    at = open_page("peta", region="34.01.01")
    assert {r["code"][:8] for r in deck_rows(at)} == {"34.01.01"}
    # Ancestors are link-like (tertiary) buttons; the region shown is bold text, not a disabled button (at the
    # national level one such button, stretched across the page, read as an empty input box).
    crumbs = [b for b in at.button if str(b.key).startswith("crumb_")]
    assert [b.key for b in crumbs] == ["crumb_ID", "crumb_34", "crumb_34.01"]
    assert {b.proto.type for b in crumbs} == {"tertiary"} and not any(b.disabled for b in crumbs)
    # The region shown names its kind (a new user's walk read "Ende Regency › Ende" as the kabupaten twice).
    assert any(m.value.startswith("**Kecamatan ") for m in at.markdown)
    at.button(key="crumb_34.01").click().run()
    assert at.query_params.get("region") == "34.01"
    assert {len(r["code"]) for r in deck_rows(at)} == {8}  # kecamatan of Kulon Progo


def test_the_national_map_breadcrumb_is_text(open_page):
    at = open_page("peta")
    assert not [b for b in at.button if str(b.key).startswith("crumb_")]
    assert any(m.value == "**Indonesia**" for m in at.markdown)


def test_map_at_desa_level_switches_to_the_year(open_page):
    at = open_page("peta", region="34.01.01", period="2025-03")
    assert any("2025" in i.value for i in at.info)
    assert {len(r["code"]) for r in deck_rows(at)} == {13}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_map_hint_offers_a_level_down_only_where_a_click_goes_there(open_page, lang):
    """A desa map said "click a region ... to go one level down", where desa is the lowest level and the picker
    opens a profile (a new user's walk)."""
    captions = [c.value for c in open_page("peta", region="34.01", lang=lang).caption]
    assert t("map_hint", lang) in captions and t("map_hint_profile", lang) not in captions
    captions = [c.value for c in open_page("peta", region="34.01.01", lang=lang).caption]
    assert t("map_hint_profile", lang) in captions and t("map_hint", lang) not in captions


def _suppressed_desa(published) -> tuple[str, str]:
    code, kecamatan = published.execute(
        "SELECT c.region_code, r.kecamatan_code FROM disbursement_cells c JOIN regions r ON r.code = c.region_code "
        "WHERE c.level = 'desa' AND c.program = 'SEMUA' AND c.suppressed AND c.period = '2025' "
        "AND c.recipients_lower < c.recipients_upper ORDER BY 1 LIMIT 1").fetchone()
    return code, kecamatan


def _range_of(published, code: str, measure: str) -> tuple[int, int]:
    """A hidden cell's published range (SEMUA, whole year), read straight from the release."""
    return published.execute(
        f"SELECT {measure}_lower, {measure}_upper FROM disbursement_cells WHERE region_code = ? "
        "AND program = 'SEMUA' AND period = '2025' AND channel = 'SEMUA'", [code]).fetchone()


def between(published, code: str, metric: str, lang: str) -> str:
    """What a page shows for a hidden value: the hidden label with its published range."""
    low, high = _range_of(published, code, metric)
    if metric == "amount":
        ends = format_rupiah(low, lang), format_rupiah(high, lang)
    else:
        ends = format_int(low, lang), t("unit_households", lang, n=format_int(high, lang))
    return t("hidden_between", lang, low=ends[0], high=ends[1])


def test_hidden_desa_is_labelled_never_a_number_on_the_map(open_page, published):
    """Hidden: never its value; for recipients and Rupiah, the range the published figures already give."""
    code, kecamatan = _suppressed_desa(published)
    for metric in ("recipients", "amount", "coverage"):
        at = open_page("peta", region=kecamatan, metric=metric, program="SEMUA")
        label = between(published, code, metric, "id") if metric != "coverage" else HIDDEN_ID
        assert label.startswith(HIDDEN_ID)
        rows = [r for r in deck_rows(at) if r["code"] == code]
        assert rows and all(r["label"] == (html.escape(label) if metric != "coverage" else HIDDEN_ID_HTML)
                            for r in rows)
        assert all(r["fill"] == [150, 150, 150] for r in rows)
        table = at.dataframe[-1].value
        mine = table[table["Kode"] == code]
        assert mine["Nilai"].tolist() == [label] and mine["Peringkat"].tolist() == ["–"]
        hidden = table["Nilai"].str.startswith(HIDDEN_ID)
        assert table.index[table["Kode"] == code][0] >= (~hidden).sum()  # listed last


@pytest.mark.parametrize("lang", ["id", "en"])
def test_hidden_desa_profile_shows_the_hidden_label_with_its_range(open_page, published, lang):
    code, _ = _suppressed_desa(published)
    at = open_page("wilayah", region=code, lang=lang)
    assert not at.exception
    profile = at.table[0].value  # a plain table: a data grid cut the hidden label's range at 1280 px
    semua = profile[profile[t("program", lang)] == program_short("SEMUA", lang)].iloc[0]
    recipients, amount = between(published, code, "recipients", lang), between(published, code, "amount", lang)
    assert semua[t("m_recipients", lang)] == recipients and semua[t("m_amount", lang)] == amount
    # ("hidden (between 180 and 260 households)" in English, "disembunyikan (antara 180 dan 260 keluarga)".)
    assert re.fullmatch(r"(hidden \(between|disembunyikan \(antara) [\d.,]+ (and|dan) [\d.,]+ (households|keluarga)\)",
                        recipients)
    # No other number: every other figure of the hidden cell is the bare hidden label.
    rest = " ".join(semua.drop([t("program", lang), t("m_recipients", lang), t("m_amount", lang)]).astype(str))
    assert not re.search(r"\d", rest.replace(hidden_label(lang, 10), ""))
    assert t("hidden_range_note", lang) in texts(at)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_blt_dana_desas_low_recipients_per_eligible_household_are_explained_where_they_show(open_page, lang):
    """A walk read BLT Dana Desa's 35,5% on Beranda beside PKH's and Sembako's higher figures with nothing saying
    why (the village fund pays poor families not already on PKH; its eligible households are counted by decile
    alone), and its gaps and Rupiah against the annual target likewise. Beranda says so under BLT Dana Desa's
    figure, all programs or its own, a profile that shows it, its gaps and its trend's target; not for PKH alone,
    nor for a kota, which has no BLT Dana Desa."""
    note = t("blt_coverage_note", lang)
    for page, params in (("beranda", {}), ("beranda", {"program": "BLT_DD"}), ("wilayah", {"region": "34.01"}),
                         ("kesenjangan", {"region": "34", "program": "BLT_DD"}),
                         ("tren", {"region": "34.01", "program": "BLT_DD"})):
        at = open_page(page, lang=lang, **params)
        assert not at.exception, at.exception
        assert note in [c.value for c in at.caption], (page, params)
    for page, params in (("beranda", {"program": "PKH"}), ("beranda", {"region": "34.71"}),
                         ("wilayah", {"region": "34.71"}), ("kesenjangan", {"region": "34", "program": "PKH"}),
                         ("tren", {"region": "34.71"})):
        at = open_page(page, lang=lang, **params)
        assert not at.exception, at.exception
        assert note not in [c.value for c in at.caption], (page, params)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_profiles_dashes_are_explained(open_page, lang):
    """A walk: the profile's "–" (registered households on a program's row, eligible households on all programs')
    was never explained; a caption says which figure applies to which rows."""
    at = open_page("wilayah", region="34.01.01", lang=lang)
    assert not at.exception, at.exception
    assert (at.table[0].value == "–").any().any()
    assert t("profile_dash_note", lang) in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_profile_says_why_a_value_of_the_year_before_is_hidden(open_page, published, lang):
    """A walk found "disembunyikan (antara 50 dan 78 keluarga)" in a desa's change table (the year before) with
    nothing on the page saying why: the note shows under a change table that holds a hidden value, even when this
    year's figures hide nothing."""
    years = [y for (y,) in published.execute("SELECT DISTINCT period FROM disbursement_cells "
                                             "WHERE length(period) = 4 ORDER BY 1 DESC LIMIT 2").fetchall()]
    row = published.execute(
        """SELECT region_code FROM disbursement_cells WHERE level = 'desa' AND channel = 'SEMUA'
           AND program IN ('SEMUA', 'PKH', 'SEMBAKO', 'BLT_DD') GROUP BY region_code
           HAVING bool_and(NOT suppressed OR period <> ?) AND bool_or(suppressed AND period = ?)
           ORDER BY region_code LIMIT 1""", years).fetchone()
    assert row, "the test release has no desa hidden only in the year before"
    at = open_page("wilayah", region=row[0], year=years[0], lang=lang)
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    threshold = published.execute("SELECT threshold FROM release").fetchone()[0]
    assert captions.count(hidden_note(lang, threshold)) == 1, captions


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_profile_says_why_recipients_per_eligible_household_are_above_100_percent(open_page, published, lang):
    """A new user read "Penerima per keluarga sasaran 110,5%" on a desa profile as an error: households paid
    outside a program's target count as recipients. The profile says so where a published figure is above 100%,
    naming the programs, and says nothing where none is."""
    sql = ("SELECT region_code, period FROM disbursement_cells WHERE level = 'desa' AND channel = 'SEMUA' "
           "AND length(period) = 4 AND program <> 'SEMUA' GROUP BY ALL HAVING "
           "{} ORDER BY period DESC, region_code LIMIT 1")
    above_condition = "bool_or(NOT suppressed AND eligible_households > 0 AND recipients > eligible_households)"
    above, year = published.execute(sql.format(above_condition)).fetchone()
    below, below_year = published.execute(sql.format(
        f"NOT {above_condition} AND bool_and(NOT suppressed AND eligible_households > 0)")).fetchone()
    programs = [p for (p,) in published.execute(
        "SELECT program FROM disbursement_cells WHERE region_code = ? AND period = ? AND channel = 'SEMUA' AND NOT "
        "suppressed AND eligible_households > 0 AND recipients > eligible_households AND program <> 'SEMUA'",
        [above, year]).fetchall()]
    at = open_page("wilayah", region=above, year=year, lang=lang)
    assert not at.exception
    note = [c.value for c in at.caption if c.value.startswith(t("m_coverage", lang))]
    assert len(note) == 1 and all(program_short(p, lang) in note[0] for p in programs), note
    shown = at.table[0].value.set_index(t("program", lang))[t("m_coverage", lang)]
    number = {"id": lambda text: text.replace(".", "").replace(",", "."), "en": lambda text: text.replace(",", "")}
    assert any(float(number[lang](shown[program_short(p, lang)].rstrip("%"))) > 100 for p in programs), shown
    quiet = open_page("wilayah", region=below, year=below_year, lang=lang)
    assert not quiet.exception and not [c for c in quiet.caption if c.value.startswith(t("m_coverage", lang))]


def test_a_profile_explains_hiding_only_when_it_hides_and_says_programs_overlap(open_page, published):
    """A new user read the note on hidden values under a profile that hid nothing (Sinduadi, Kabupaten Kupang),
    and added the programs' households up to more than "Semua program" with nothing saying why."""
    sql = ("SELECT region_code FROM disbursement_cells WHERE level = 'desa' AND channel = 'SEMUA' AND period = '2025' "
           "GROUP BY ALL HAVING {} AND count(DISTINCT program) >= 3 ORDER BY 1 LIMIT 1")
    (shown,) = published.execute(sql.format("NOT bool_or(suppressed)")).fetchone()
    (hiding,) = published.execute(sql.format("bool_or(suppressed)")).fetchone()
    for code, hides in ((shown, False), (hiding, True)):
        at = open_page("wilayah", region=code, year="2025")
        assert not at.exception
        captions = [c.value for c in at.caption]
        assert (t("hidden_range_note", "id") in " ".join(captions)) is hides, (code, captions)
        assert t("programs_overlap", "id") in captions, (code, captions)


def test_a_hidden_row_of_a_profile_is_hidden_only_where_its_program_has_the_figure(open_page, published):
    """Registered households are counted for all programs together, eligible households per program: a hidden
    PKH row has no registered count to hide ("–", as on a published PKH row), and a hidden all-programs row no
    eligible count (a new user read "disembunyikan" under DTSEN for PKH and BLT Dana Desa but "–" for Sembako)."""
    code, program = published.execute(
        "SELECT c.region_code, c.program FROM disbursement_cells c JOIN disbursement_cells s "
        "ON s.region_code = c.region_code AND s.period = c.period AND s.program = 'SEMUA' AND s.channel = 'SEMUA' "
        "WHERE c.level = 'desa' AND c.program <> 'SEMUA' AND c.suppressed AND s.suppressed AND c.period = '2025' "
        "ORDER BY 1, 2 LIMIT 1").fetchone()
    at = open_page("wilayah", region=code, lang="en")
    assert not at.exception
    profile = at.table[0].value.set_index(t("program", "en"))
    hidden_row, all_row = profile.loc[program_short(program, "en")], profile.loc[program_short("SEMUA", "en")]
    assert hidden_row[t("m_registered", "en")] == "–"
    assert hidden_row[t("m_eligible", "en")] == HIDDEN_EN
    assert all_row[t("m_eligible", "en")] == "–"
    assert all_row[t("m_registered", "en")] == HIDDEN_EN


@pytest.mark.parametrize("page", ["beranda", "peta", "tren", "kesenjangan", "wilayah", "proyeksi", "data"])
def test_every_page_of_a_synthetic_release_says_its_figures_are_synthetic(open_page, page):
    """The test release comes from the data generator, as the first run's demo does: a new user found no page (but
    the outlook's) saying its figures are made up, so a screenshot passed them off as real disbursements."""
    for lang in ("id", "en"):
        at = open_page(page, lang=lang)
        assert not at.exception
        assert t("synthetic_banner", lang) in [i.value for i in at.info]


def test_the_first_published_year_says_why_there_is_no_change(open_page, published):
    years = [y for (y,) in published.execute("SELECT DISTINCT year FROM periods ORDER BY year").fetchall()]
    at = open_page("beranda", region="34.01", year=str(years[0]), lang="en")
    assert t("no_previous_year", "en", before=years[0] - 1) in [c.value for c in at.caption]


def test_coverage_of_all_programs_asks_for_a_program_instead_of_saying_not_published(open_page):
    """All programs together have no eligible households at any level: the map said "not published at this level"
    for every region, as if a finer level would have it."""
    at = open_page("peta", region="34.01", level="kecamatan", metric="coverage", program="SEMUA", lang="en")
    assert not at.exception
    assert t("coverage_semua", "en") in [i.value for i in at.info]
    labels = {r["label"] for r in deck_rows(at)}
    assert t("not_published", "en") not in labels and labels <= {"–", html.escape(t("hidden_tooltip", "en"))}, labels
    at = open_page("peta", region="34.01", level="kecamatan", metric="coverage", program="PKH", lang="en")
    assert t("coverage_semua", "en") not in [i.value for i in at.info]
    assert any(r["label"].endswith("%") for r in deck_rows(at))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_hidden_headline_puts_its_range_under_the_card(open_page, published, lang):
    """A metric card cuts its value at its width ('disembunyikan (anta…'): the card says 'hidden' and the range
    is the caption under it, whole."""
    code, _ = _suppressed_desa(published)
    at = open_page("beranda", region=code, program="SEMUA", lang=lang)
    assert not at.exception
    card = next(m for m in at.metric if m.label == t("m_recipients", lang))
    assert card.value == t("hidden", lang)
    full = between(published, code, "recipients", lang)  # "disembunyikan (antara 180 dan 260 keluarga)"
    detail = full[len(t("hidden", lang)):].strip(" ()")
    assert detail in [c.value for c in at.caption]
    assert all(len(m.value) <= len(t("hidden", lang)) or not m.value.startswith(t("hidden", lang))
               for m in at.metric)


def test_journalist_finds_the_10_kecamatan_with_the_widest_gap_in_a_province(open_page, published):
    at = open_page("kesenjangan", region="34", level="kecamatan", program="PKH", top="10")
    assert not at.exception
    table = at.table[0].value
    expected = published.execute(
        "SELECT c.region_code FROM disbursement_cells c WHERE c.level = 'kecamatan' AND c.program = 'PKH' "
        "AND c.period = '2025' AND c.channel = 'SEMUA' AND NOT c.suppressed AND c.region_code LIKE '34.%' "
        "ORDER BY c.eligible_households - c.recipients DESC, c.region_code LIMIT 10").fetchall()
    assert table["Kode"].tolist() == [code for (code,) in expected]
    ranks = [int(r) for r in table["Peringkat"]]
    assert ranks[0] == 1 and ranks == sorted(ranks)
    at.selectbox(key="w_rank").set_value("gap_share").run()
    assert at.query_params.get("rank") == "gap_share"
    assert at.table[0].value["Kesenjangan (%)"].iloc[0].endswith("%")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_gaps_come_in_two_plain_tables_that_keep_every_column(open_page, lang):
    """Eleven columns in one data grid scrolled sideways at 1280 px: the ranked figures are one plain table, the
    data-quality flags of the same rows another, both of wrapping text. No figure of eligible households paid
    (nor recipients outside the target: recipients minus them) is shown."""
    at = open_page("kesenjangan", region="34", level="kecamatan", program="PKH", top="all", lang=lang)
    assert not at.exception
    figures, others = (table.value for table in at.table[:2])
    assert list(figures.columns) == [t(k, lang) for k in ("col_rank", "col_name", "col_code", "m_eligible",
                                                          "m_recipients", "gap_abs", "gap_pct")]
    assert list(others.columns[:2]) == [t("col_rank", lang), t("col_name", lang)]
    assert t("q_invalid_nik", lang) in others.columns
    assert others.iloc[:, :2].equals(figures.iloc[:, :2])  # the same rows, in the same order
    labels = [e.label for e in at.expander]
    assert t("table_alt", lang) in labels and t("quality_flags_all", lang) in labels


@pytest.mark.parametrize("lang", ["id", "en"])
def test_gaps_ranked_across_kabupaten_name_each_kecamatans_kabupaten(open_page, lang):
    """A province's kecamatan ranked together were listed by name alone (a walk: nationally "Ende" is a kecamatan
    of Kabupaten Ende and a kabupaten; kecamatan and desa names repeat): each row names its parent, as search
    results do, in the page's language; one parent's rows need no such context."""
    at = open_page("kesenjangan", region="34", level="kecamatan", program="PKH", top="all", lang=lang)
    assert not at.exception, at.exception
    names = at.table[0].value[t("col_name", lang)]
    parents = {name.split(" — ")[1] for name in names}
    assert len(parents) >= 2 and all(" — " in name for name in names), names.tolist()
    assert ("Kabupaten Kulon Progo" if lang == "id" else "Kulon Progo Regency") in parents, parents
    one = open_page("kesenjangan", region="34.01", level="kecamatan", program="PKH", top="all", lang=lang)
    assert not any(" — " in name for name in one.table[0].value[t("col_name", lang)])


@pytest.mark.parametrize("lang", ["id", "en"])
def test_gaps_say_which_quality_indicators_a_year_withholds_and_why(open_page, published, edited_release, lang):
    """A release writes no row of a data-quality indicator counting fewer than twice the threshold nationally
    (anonymize.build.withhold_small_indicators): the gaps table read "tidak tersedia di tingkat ini" for it at every
    level, as if a higher level had it. The page names the indicators the year withholds and why; a release that
    withholds none says nothing of it."""
    at = open_page("kesenjangan", region="34.01", level="kecamatan", program="PKH", lang=lang)
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert t("q_deceased_paid", lang) not in captions
    year = published.execute("SELECT max(period) FROM quality_cells").fetchone()[0]
    threshold = published.execute("SELECT threshold FROM release").fetchone()[0]
    edited_release(lambda con: con.execute("DELETE FROM quality_cells WHERE indicator = 'deceased_paid'"))
    at = open_page("kesenjangan", region="34.01", level="kecamatan", program="PKH", year=year, lang=lang)
    assert not at.exception, at.exception
    note = next((c.value for c in at.caption if t("q_deceased_paid", lang) in c.value), None)
    assert note is not None, [c.value for c in at.caption]
    assert str(2 * threshold) in note and t("q_invalid_nik", lang) not in note


@pytest.mark.parametrize("lang", ["id", "en"])
def test_gaps_with_every_region_hidden_say_so_instead_of_drawing_empty_axes(open_page, published, edited_release,
                                                                           lang):
    """On sparse data (two kabupaten at `--scale 0.02`) every kecamatan of a kabupaten was hidden: the ranked chart
    drew empty axes from -1 to 6 and the scatter an empty frame. The page says there is nothing to draw, and the
    tables below still list the regions, hidden."""
    year = published.execute("SELECT data_year FROM release").fetchone()[0]
    edited_release(lambda con: con.execute(
        "UPDATE disbursement_cells SET suppressed = TRUE, recipients = NULL, eligible_households = NULL, "
        "registered_households = NULL, payments = NULL, paid_payments = NULL, amount = NULL "
        "WHERE level = 'kecamatan' AND region_code LIKE '34.01.%' AND period = ?", [str(year)]))
    at = open_page("kesenjangan", region="34.01", level="kecamatan", program="PKH", lang=lang)
    assert not at.exception, at.exception
    assert [i.value for i in at.info].count(t("no_figure_to_draw", lang)) == 2     # the ranking and the scatter
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("gap_bars")]
    # No picture of empty axes to download either: the file of the table only.
    buttons = [b.proto.id for b in at.get("download_button")]
    assert any(i.endswith("gap_bars_csv") for i in buttons) and not any(i.endswith("gap_bars_png") for i in buttons)
    names = at.table[0].value[t("col_name", lang)]
    assert len(names) > 3 and set(at.table[0].value[t("m_recipients", lang)]) == {t("hidden", lang)}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_phone_gets_the_second_gaps_table_below_the_first(open_page, lang):
    """At 390 px the gaps page left out the table of data-quality flags that a wide screen shows beside the ranked
    one: a phone gets it too, below the ranked table, every cell of it stacked."""
    at = open_page("kesenjangan", region="34", level="kecamatan", program="PKH", top="10", lang=lang)
    assert not at.exception, at.exception
    wide = at.table[1].value  # a wide screen's second table: rank, name, the flags
    assert t("q_invalid_nik", lang) in wide.columns
    at.session_state["_content_width"] = 390
    at.run()
    assert not at.exception, at.exception
    ranked, first = (table.value for table in at.table[:2])
    assert list(ranked.columns) == [t("col_rank", lang), t("col_name", lang), t("gap_abs", lang)]
    assert list(first.columns) == [t("col_name", lang), t("metric", lang), t("col_value", lang)]
    assert len(first) <= charts.PHONE_TABLE_ROWS  # its first regions, the others one tap away
    at.toggle(key="gap_others_more").set_value(True).run()
    # Its label counts the rows it opens (one per cell), not the regions behind them ("7 more rows" opened 28).
    assert at.toggle(key="gap_others_more").label == t("more_rows", lang, n=len(at.table[2].value))
    stacked = pd.concat([at.table[1].value, at.table[2].value])
    cells = [[row.iloc[1], column, row[column]] for _, row in wide.iterrows() for column in wide.columns[2:]]
    assert stacked.values.tolist() == cells  # region by region, in the ranked table's order
    assert {t("q_invalid_nik", lang), t("q_deceased_paid", lang)} <= set(stacked.iloc[:, 1])
    labels = [e.label for e in at.expander]
    assert labels.index(t("table_alt", lang)) < labels.index(t("quality_flags_all", lang))  # stacked below


def test_gaps_leave_a_kota_without_blt_dana_desa_unranked(open_page):
    """Kota Yogyakarta has no desa, so no BLT Dana Desa: "tidak ada data", last and unranked, not a gap of 0."""
    at = open_page("kesenjangan", level="kabupaten", program="BLT_DD", top="all")
    assert not at.exception
    table = at.table[0].value.set_index("Kode")
    assert table.loc["34.71", "Peringkat"] == "–" and table.loc["34.71", "Kesenjangan (keluarga)"] == "tidak ada data"
    assert table.index[-1] == "34.71" and table.loc["34.01", "Peringkat"] == "1"
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert "Kota Yogyakarta" not in str(bars["y"])
    english = open_page("kesenjangan", level="kabupaten", program="PKH", lang="en")
    names = set(english.table[0].value["Name"])
    assert {"Kulon Progo Regency", "Yogyakarta City"} <= names and not any(n.startswith("Kabupaten") for n in names)


def test_trends_breakdowns_and_compare(open_page):
    at = open_page("tren", region="34.01")
    assert not at.exception
    for view in ("channel", "status"):
        at.segmented_control(key="w_by").set_value(view).run()
        assert not at.exception
        assert at.query_params.get("by") == view
    at.multiselect(key="w_compare").set_value(["34.71"]).run()
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert len(spec["data"]) == 2
    assert at.query_params["compare"] in ("34.71", ["34.71"])


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_found_region_has_one_link_to_share(open_page, published, lang):
    """After a search the profile's "Shareable link" carried region and lang, the share panel's the search text
    and not the language (`q=...&region=...`): two links for one view (a new user's walk). Both are now the same,
    the whole view (`tests/dashboard/test_embed.py`) with its language."""
    code, name = published.execute(
        "SELECT code, name FROM regions WHERE level = 'desa' ORDER BY code LIMIT 1").fetchone()
    at = open_page("wilayah", q=name, region=code, lang=lang)
    assert not at.exception
    links = [c.value for c in at.code if "/wilayah?" in c.value]
    assert len(links) >= 3, links       # the profile's link, the panel's newest and pinned ones
    assert links[0] == links[1] and f"region={code}" in links[0] and "q=" in links[0], links
    assert links[0].endswith(f"&lang={lang}")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_compared_regions_are_not_drawn_flat_beside_the_country(open_page, lang):
    """With no region chosen, comparing Kulon Progo and Kota Yogyakarta drew Indonesia's line too, which set the
    scale and drew both flat near zero (a new user's walk): the country is left out once regions are picked, and
    lines far apart in scale get a hint to compare per 1,000 registered households."""
    at = open_page("tren", compare=["34.01", "34.71"], lang=lang)
    assert not at.exception
    names = {trace["name"] for trace in json.loads(at.get("plotly_chart")[-1].proto.spec)["data"]}
    assert len(names) == 2 and not any("Indonesia" in name for name in names), names
    alone = open_page("tren", lang=lang)
    assert len(json.loads(alone.get("plotly_chart")[-1].proto.spec)["data"]) == 1     # the country, nothing picked
    hint = t("compare_scale_hint", lang)
    far = open_page("tren", region="34.71", compare=["34.71.01"], lang=lang)     # a city beside a kecamatan of it
    assert hint in [c.value for c in far.caption]
    per_household = open_page("tren", region="34.71", compare=["34.71.01"], norm="registered", lang=lang)
    assert hint not in [c.value for c in per_household.caption]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_trends_cumulative_and_compare_titles_name_what_they_are_of(open_page, published, monkeypatch, lang):
    """The exported image of a chart carries its title: the cumulative chart's said "Cumulative Rupiah vs annual
    target" of no region or program, and the compared regions' the measure alone. For a desa, whose trends are its
    kecamatan's, the cumulative title names the kecamatan."""
    from dashboard import charts
    titles: dict[str, str] = {}
    real = charts.render_chart

    def recording(fig, table, lang_, key, **kwargs):
        titles[key] = charts.title_of(fig).replace("<br>", " ")
        return real(fig, table, lang_, key, **kwargs)
    monkeypatch.setattr(charts, "render_chart", recording)
    desa, kecamatan = published.execute(
        """SELECT d.code, k.name FROM regions d JOIN regions k ON k.code = d.parent_code
           WHERE d.level = 'desa' AND d.kind = 'desa' ORDER BY d.code LIMIT 1""").fetchone()
    at = open_page("tren", region=desa, program="PKH", lang=lang)
    assert not at.exception
    district = f"Kecamatan {kecamatan}" if lang == "id" else f"{kecamatan} District"
    program = "Program Keluarga Harapan" if lang == "id" else "Family Hope Program"
    assert f"— {district}, {program}" in titles["cumulative"], titles
    assert f"— {program}" in titles["compare"], titles


@pytest.mark.parametrize(("kind", "blt_drawn"), [("kelurahan", False), ("desa", True)])
def test_a_profile_draws_only_the_programs_that_run_there(open_page, published, kind, blt_drawn):
    """BLT Dana Desa does not run in a kelurahan: no flat line of zeros, a caption says why. A desa keeps it."""
    (code,) = published.execute("SELECT code FROM regions WHERE level = 'desa' AND kind = ? ORDER BY code LIMIT 1",
                                [kind]).fetchone()
    at = open_page("wilayah", region=code)
    assert not at.exception
    names = [trace["name"] for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert ("BLT Dana Desa" in names) is blt_drawn and program_short("PKH", "id") in names
    captions = " ".join(c.value for c in at.caption)
    assert ("Tidak digambar karena tidak berjalan di wilayah ini" in captions) is not blt_drawn
    # Its kecamatan's months dip to zero between payment rounds: the caption says why, as on Trends.
    assert t("trend_rounds_note", "id") in captions


def test_region_search_with_a_typo_finds_the_desa(open_page, published):
    code, name = published.execute("SELECT code, name FROM regions WHERE level = 'desa' AND length(name) >= 7 "
                                   "ORDER BY code LIMIT 1").fetchone()
    typo = name[0] + name[2] + name[1] + name[3:].upper()
    at = open_page("wilayah", q=typo)
    picker = at.radio(key="search_pick")
    assert picker.options[0].startswith(f"{name} — ")  # labels carry kecamatan and kabupaten
    picker.set_value(code).run()
    assert at.query_params.get("region") == code
    assert name in at.header[0].value
    assert at.code[0].value.endswith(f"region={code}&lang=id")
    assert at.code[0].proto.wrap_lines, "the shareable link wraps (a phone cut it at '...region=ID&l')"


def test_a_search_opens_its_best_match_at_once(open_page, published):
    code, name = published.execute("SELECT code, name FROM regions WHERE level = 'desa' AND length(name) >= 7 "
                                   "ORDER BY code LIMIT 1").fetchone()
    at = open_page("wilayah", q=name.lower())
    assert not at.exception
    assert name in at.header[0].value and at.query_params.get("region") == code
    assert at.radio(key="search_pick").value == code


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_search_that_finds_nothing_says_so_and_shows_no_region(open_page, published, lang):
    """A search without a match kept showing the region found before (under a quiet note), and kept it in the link:
    the page says plainly that nothing was found, shows no region's profile, and the link carries no region."""
    code, name = published.execute("SELECT code, name FROM regions WHERE level = 'desa' AND length(name) >= 7 "
                                   "ORDER BY code LIMIT 1").fetchone()
    at = open_page("wilayah", q=name.lower(), lang=lang)
    assert at.query_params.get("region") == code and name in at.header[0].value
    at.text_input(key="w_q").set_value("xqzjwv").run()
    assert not at.exception, at.exception
    assert [shown(w.value) for w in at.warning] == [t("search_none", lang, query="xqzjwv").replace('"', "")]
    assert ("tidak ditemukan" if lang == "id" else "not found") in at.warning[0].value
    assert "region" not in at.query_params and at.query_params.get("q") == "xqzjwv"
    assert not at.header and name not in texts(at) and not at.get("plotly_chart")
    assert not [radio for radio in at.radio if radio.key == "search_pick"]
    # The same link opened afresh (a shared one, or a reload) shows the same, even with a region in it.
    again = open_page("wilayah", q="xqzjwv", region=code, lang=lang)
    assert not again.header and "region" not in again.query_params and again.warning
    # A search that matches again opens its region.
    at.text_input(key="w_q").set_value(name.lower()).run()
    assert at.query_params.get("region") == code and name in at.header[0].value and not at.warning


def test_an_injected_link_in_the_search_is_shown_as_text(open_page):
    at = open_page("wilayah", q="[Unduh data resmi](https://evil.example)")
    info = at.warning[0].value  # nothing matches: the "not found" message echoes the search
    assert "](" not in info.replace("\\]\\(", "") and "\\[Unduh data resmi\\]" in info
    assert "h\u2060ttps" in info  # the bare URL is broken so it is not auto-linked


def test_a_valid_level_that_does_not_apply_is_not_called_unknown(open_page):
    at = open_page("peta", level="desa", lang="en")  # desa exist, but the national map does not draw them
    notices = shown(" ".join(w.value for w in at.warning))
    assert "level=desa does not apply to this view; using Provinces" in notices
    assert "not valid" not in notices


def test_compare_keeps_the_first_five_and_says_so(open_page):
    codes = ["34.71", "34.01", "34.02", "34.03", "34.04", "34"]
    at = open_page("tren", region="34.01", compare=codes, lang="en")
    assert not at.exception
    assert at.multiselect(key="w_compare").value == codes[:5]
    assert any("only the first 5 are used" in shown(w.value) for w in at.warning)


def test_trends_honour_by_on_the_full_page(open_page):
    at = open_page("tren", region="34.01", by="channel")
    assert not at.exception
    assert at.segmented_control(key="w_by").value == "channel"
    assert at.query_params.get("by") == "channel" and "view" not in at.query_params


def test_a_trends_link_made_before_the_rename_still_opens_the_same_breakdown(open_page):
    """`view=` was the Trends breakdown's name; it is read still, and the URL then says `by=`."""
    at = open_page("tren", region="34.01", view="status")
    assert not at.exception
    assert at.segmented_control(key="w_by").value == "status"
    assert at.query_params.get("by") == "status" and "view" not in at.query_params


@pytest.mark.parametrize("level", ["provinsi", "kabupaten", "kecamatan", "desa"])
def test_english_names_every_level_with_its_kind_after_the_name(open_page, published, level):
    """English read "Village Sinduadi" and "District Mlati" beside "Kulon Progo Regency": one convention now, the
    kind after the name at every level in English, before it in Bahasa Indonesia, in the headline and the
    profile's header."""
    code, name, kind = published.execute(
        "SELECT code, name, kind FROM regions WHERE level = ? AND (code LIKE '34.01%' OR code = '34') ORDER BY code "
        "LIMIT 1", [level]).fetchone()
    word = {"provinsi": "Province", "kabupaten": "Regency", "kecamatan": "District",
            "desa": "Urban Village" if kind == "kelurahan" else "Village"}[level]
    english = name.removeprefix("Kabupaten ") + " " + word
    overview = open_page("beranda", region=code, lang="en")
    assert not overview.exception
    assert english in overview.subheader[0].value, overview.subheader[0].value
    profile = open_page("wilayah", region=code, lang="en")
    assert profile.header[0].value == english
    indonesian = open_page("wilayah", region=code)
    assert indonesian.header[0].value == (name if level == "kabupaten" else f"{pick(KINDS[kind], 'id')} {name}")


def test_english_names_kabupaten_and_programs_in_english(open_page):
    at = open_page("beranda", region="34.01", lang="en")
    assert "Kulon Progo Regency" in at.subheader[0].value
    labels = [m.label for m in at.metric]
    # Per-program coverage under one title, each figure labelled by its program's English name.
    assert "BLT Dana Desa" in labels and not any("BLT DD" in x for x in labels)
    assert f"**{t('m_coverage_by_program', 'en')}**" in [m.value for m in at.markdown]
    # Its monthly Rupiah chart dips to zero between payment rounds: the caption says why (a new user read the dips
    # as missing payments).
    assert t("trend_rounds_note", "en") in [c.value for c in at.caption]


#: Four levels (the overview's and trends', down to desa) go two in a row on a wide screen, and the second row is made
#: only once a kecamatan is shown.
@pytest.mark.parametrize(("page", "unshown"), [("beranda", 1), ("tren", 1), ("proyeksi", 1)])
def test_the_region_picker_leaves_no_empty_column_on_a_phone(open_page, page, unshown):
    """Stacked at 390 px, the picker's columns for levels not yet shown (kabupaten, kecamatan, ...) were empty
    blocks: a gap under "Provinsi". On a wide screen they keep the row's grid."""
    at = open_page(page)
    wide = [column for column in at.columns if not column.children]
    at.session_state["_content_width"] = 390
    at.run()
    assert not at.exception
    narrow = [column for column in at.columns if not column.children]
    assert len(wide) - len(narrow) == unshown
    assert "Provinsi" in [s.label for s in at.selectbox]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_region_pickers_say_in_words_what_their_empty_choice_means(open_page, lang):
    """A new user read the pickers' "—" (whole country, whole province) as missing data."""
    at = open_page("beranda", region="34.01", lang=lang)
    assert not at.exception
    firsts = {level: at.selectbox(key=f"pick_{level}").options[0] for level in ("provinsi", "kabupaten", "kecamatan")}
    assert firsts == {"provinsi": t("whole_nasional", lang), "kabupaten": t("whole_provinsi", lang),
                      "kecamatan": t("whole_kabupaten", lang)}
    assert at.selectbox(key="pick_kecamatan").value == ""  # the kabupaten itself is shown: its empty choice
    drill = open_page("peta", region="34.01", lang=lang)
    pickers = [s for s in drill.selectbox if str(s.key).startswith("drill_")]
    assert pickers and all(s.options[0] == t("drill_none", lang) for s in pickers)
    for page in (at, drill):
        assert not [o for s in page.selectbox for o in s.options if o.strip() in ("—", "-", "–", "")]


#: Words that name what a headline count counts.
_UNITS = {"id": ("keluarga", "transaksi"), "en": ("households", "payments")}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_headline_figure_says_its_unit(open_page, lang):
    """The "Gagal atau retur" card showed a bare count: of payments, not households, and it did not say so."""
    at = open_page("beranda", region="34.01", lang=lang)
    assert not at.exception
    assert len(at.metric) >= 5
    for metric in at.metric:
        value, label = str(metric.value), str(metric.label).lower()
        in_value = value.endswith("%") or value.lstrip("+−-").startswith("Rp")
        assert in_value or any(unit in label for unit in _UNITS[lang]), (metric.label, value)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_profile_names_programs_alike_in_its_chart_and_its_tables(open_page, lang):
    """The profile's legend said "Program Keluarga Harapan" and "Program Sembako (BPNT)" over tables saying "PKH"
    and "Sembako"."""
    at = open_page("wilayah", region="34.01", lang=lang)
    assert not at.exception
    legend = {trace["name"] for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}
    rows = {str(v) for d in (*at.dataframe, *at.table) for v in d.value.iloc[:, 0]}
    assert len(legend) >= 2 and legend <= rows, (legend, rows)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_profile_writes_every_rupiah_figure_to_three_digits(open_page, lang):
    """"Rp30 M" beside "Rp30,8 M", and the outlook's "Rp3,32 M" beside the figures' "Rp2,6 M", on one profile."""
    at = open_page("wilayah", region="34.01", lang=lang)
    assert not at.exception
    figures = re.findall(r"Rp([\d.,]+)\u00a0?(?:T|M|jt|rb|tn|bn|mn|k)\b", texts(at))
    assert len(figures) >= 10
    assert not re.findall(r"Rp[\d.,]+ (?:T|M|jt|rb|tn|bn|mn|k)\b", texts(at))  # a unit never after a space that wraps
    assert [f for f in figures if len(re.sub(r"\D", "", f)) != 3] == []


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("width", [None, 390])
def test_the_complaints_table_heads_its_categories_as_categories(open_page, lang, width):
    """The profile's complaints named their category column "Keterangan" (description)."""
    at = open_page("wilayah", region="34.01", lang=lang)
    if width:
        at.session_state["_content_width"] = width
        at.run()
    assert not at.exception
    everything = pick(CATEGORIES["SEMUA"], lang)
    complaints = [d.value for d in at.table if everything in set(d.value.iloc[:, 0])]
    assert len(complaints) == 1
    assert complaints[0].columns[0] == t("col_category", lang)
    assert t("col_description", lang) not in complaints[0].columns


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("year", [None, "2023"])
def test_the_share_of_hidden_cells_names_its_year(open_page, published, lang, year):
    """The overview's "13,5% sel penyaluran disembunyikan" was one year's share (the latest, or the picked one)
    without saying which: the sentence and the table's heading name the year, and the share is that year's."""
    params = {"lang": lang, **({"year": year} if year else {})}
    at = open_page("beranda", **params)
    assert not at.exception
    years = json.loads(published.execute("SELECT years FROM release").fetchone()[0])
    shown = year or max(years)
    stats = years[shown]["tables"]["disbursement_cells"]
    share = format_percent(stats["suppressed"] / stats["cells"], lang)
    sentence = next(m.value for m in at.markdown if share in m.value and "%" in m.value)
    assert (f"Tahun {shown} dalam rilis ini: {share} sel penyaluran {shown}" if lang == "id"
            else f"{shown} in this release: {share} of {shown}'s payment cells") in sentence
    assert f"**{t('hidden_tables', lang, year=shown)}**" in [m.value for m in at.markdown]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_on_a_phone_the_hidden_cells_table_gives_each_description_the_full_width(open_page, published, lang):
    """At 390 px the overview's table of hidden cells was stacked: each table's long description sat in the value
    column, rows about 700 px tall. A phone gets a line of figures per table and its description below it."""
    at = open_page("beranda", lang=lang)
    at.session_state["_content_width"] = 390
    at.run()
    assert not at.exception, at.exception
    years = json.loads(published.execute("SELECT years FROM release").fetchone()[0])
    stats = years[max(years)]["tables"]["disbursement_cells"]
    line = next(m.value for m in at.markdown if m.value.startswith(f"**{t('table_disbursement_cells', lang)}**"))
    assert format_int(stats["cells"], lang) in line and format_int(stats["suppressed"], lang) in line
    described = published.execute("SELECT description_id, description_en FROM data_dictionary WHERE table_name = "
                                  "'disbursement_cells' AND coalesce(column_name, '') = ''").fetchone()
    words = (described[0] if lang == "id" else described[1]).split()[:3]
    assert any(c.value.replace("\\", "").startswith(" ".join(words)) for c in at.caption)
    assert not any(t("col_description", lang) in str(table.value.to_dict()) for table in at.table)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_long_table_on_a_phone_shows_its_first_rows_and_the_rest_on_demand(open_page, lang):
    """At 390 px every row of a chart's table was drawn (all kecamatan of a province: a very long page). A phone
    shows the first rows and the others behind "Show N more rows", none lost or repeated; a wide screen all."""
    at = open_page("kesenjangan", region="34", level="kecamatan", program="PKH", top="all", lang=lang)
    wide = at.table[0].value
    assert len(wide) > charts.PHONE_TABLE_ROWS + 1
    at.session_state["_content_width"] = 390
    at.run()
    assert not at.exception, at.exception
    first = at.table[0].value
    assert len(first) == charts.PHONE_TABLE_ROWS
    more = at.toggle(key="gap_bars_table_more")
    assert more.label == t("more_rows", lang, n=len(wide) - len(first)) and not more.value
    more.set_value(True).run()
    shown = pd.concat([at.table[0].value, at.table[1].value])
    name = t("col_name", lang)
    assert shown[name].tolist() == wide[name].tolist()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_program_that_does_not_run_in_a_region_shows_no_figures_there(open_page, lang):
    """BLT Dana Desa in Kota Yogyakarta (a kota has no desa): the overview drew twelve months of Rp0 and a tile "0
    failed or returned payments" beside "no data" (a new user's walk). It says the program does not run there and
    draws nothing; Sembako there still has its figures and chart."""
    at = open_page("beranda", region="34.71", program="BLT_DD", lang=lang)
    assert not at.exception
    said = " ".join(i.value for i in at.info)
    assert "BLT Dana Desa" in said and ("tidak berjalan" if lang == "id" else "does not run") in said
    assert not at.metric and not at.get("plotly_chart")
    other = open_page("beranda", region="34.71", program="SEMBAKO", lang=lang)
    assert not other.exception and other.metric and other.get("plotly_chart")
    assert not any(("tidak berjalan" if lang == "id" else "does not run") in i.value for i in other.info)


@pytest.mark.parametrize(("lang", "words"), [
    ("id", "Rilis ini mencakup 1 provinsi: Daerah Istimewa Yogyakarta"),
    ("en", "This release covers 1 of Indonesia's provinces: Daerah Istimewa Yogyakarta")])
def test_the_national_overview_says_which_provinces_its_figures_add_up(open_page, lang, words):
    """The demo's "Indonesia" is two provinces' sum (a new user's walk read it as the country's): the national
    overview names the release's provinces; a province's overview does not repeat it."""
    at = open_page("beranda", lang=lang)
    assert not at.exception
    assert any(c.value.startswith(words) for c in at.caption), [c.value for c in at.caption]
    province = open_page("beranda", region="34", lang=lang)
    assert not any(c.value.startswith(words[:18]) for c in province.caption)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_desas_headline_says_why_its_payment_statuses_are_not_there(open_page, published_db, lang):
    """A desa's status tiles read "not published …" (cut at 1280 px) with no reason on the page (a new user's
    walk): they show "–", the words under it, and a note that statuses are published from kabupaten/kota up."""
    import duckdb

    con = duckdb.connect(str(published_db), read_only=True)
    try:
        # A desa whose all-programs year is published (a hidden one's tiles say "disembunyikan" instead).
        desa = con.execute("SELECT min(region_code) FROM disbursement_cells WHERE level = 'desa' AND program = 'SEMUA' "
                           "AND channel = 'SEMUA' AND NOT suppressed").fetchone()[0]
    finally:
        con.close()
    at = open_page("beranda", region=desa, lang=lang)
    assert not at.exception
    assert [m.value for m in at.metric].count("–") >= 3
    assert t("not_published", lang) in [c.value for c in at.caption]
    assert t("statuses_from_kabupaten", lang) in [c.value for c in at.caption]
    kabupaten = open_page("beranda", region=desa[:5], lang=lang)
    assert t("statuses_from_kabupaten", lang) not in [c.value for c in kabupaten.caption]


def test_a_link_to_a_month_of_an_earlier_year_shows_that_month(open_page, published_db):
    """`/peta?period=2024-10` without `year` showed October of the latest year, silently (a new user's walk): the
    month names its year. A link that names both keeps both."""
    import duckdb

    con = duckdb.connect(str(published_db), read_only=True)
    try:
        years = sorted({p[:4] for (p,) in con.execute("SELECT period FROM periods").fetchall()})
    finally:
        con.close()
    assert len(years) >= 2, "the fixture release publishes several years"
    earlier = f"{years[-2]}-10"
    at = open_page("peta", period=earlier, lang="en")
    assert not at.exception and not at.warning
    assert at.selectbox(key="w_year").value == years[-2] and at.selectbox(key="w_period").value == earlier
    latest = open_page("peta", period=earlier, year=years[-1], lang="en")  # a reader's choice of year wins
    assert latest.selectbox(key="w_period").value == f"{years[-1]}-10"


def test_a_month_that_does_not_exist_gets_a_notice(open_page):
    """`?period=2025-13` fell back to the whole year without a word (a new user's walk)."""
    at = open_page("beranda", period="2025-13", lang="en")
    assert not at.exception
    assert any("2025-13" in w.value.replace("\\", "") for w in at.warning), [w.value for w in at.warning]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_breakdown_not_published_at_a_kecamatan_draws_no_empty_chart(open_page, lang):
    """Channels below kabupaten: the page drew empty axes (x from -1 to 6) under its notice, added the statuses'
    notice too, and offered a header-only CSV (a new user's walk). It says there is nothing to draw, once."""
    at = open_page("tren", region="34.01.01", by="channel", lang=lang)
    assert not at.exception
    notes = [i.value for i in at.info]
    assert t("channel_kabupaten", lang) in notes and t("status_kecamatan", lang) not in notes
    assert t("nothing_to_draw", lang) in [c.value for c in at.caption]
    by_program = open_page("tren", region="34.01.01", lang=lang)
    assert len(at.get("plotly_chart")) == len(by_program.get("plotly_chart")) - 1
    assert t("nothing_to_draw", lang) not in [c.value for c in by_program.caption]


def test_the_status_breakdown_says_it_counts_payments_whatever_the_measure(open_page):
    """`by=status&metric=amount`: the picker said Rupiah and the lines counted payments (a new user's walk)."""
    at = open_page("tren", region="34.01", by="status", metric="amount", lang="en")
    assert not at.exception
    assert t("status_counts", "en", measure=t("m_amount", "en")) in [i.value for i in at.info]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_lines_by_status_say_what_pending_is_and_by_when(open_page, published_db, lang):
    """A walk read the pending payments of the last months (about 0 to 5,000 in December) as payments that stalled:
    lines by status say pending is what had not settled when the data were exported, naming the data's last
    month; other breakdowns do not."""
    import duckdb

    with duckdb.connect(str(published_db), read_only=True) as con:
        through = con.execute("SELECT data_through FROM release").fetchone()[0]
    note = t("status_pending_note", lang, through=format_period(through, lang))
    at = open_page("tren", region="34.01", by="status", lang=lang)
    assert not at.exception, at.exception
    assert note in [c.value for c in at.caption]
    by_program = open_page("tren", region="34.01", lang=lang)
    assert note not in [c.value for c in by_program.caption]


def test_an_invalid_rank_names_the_values_a_link_takes(open_page):
    """`rank=pct` said only "not valid; using the default" (a new user's walk)."""
    at = open_page("kesenjangan", rank="pct", lang="en")
    assert not at.exception
    notices = [w.value.replace("\\", "") for w in at.warning]
    assert any("rank=" in n and "pct" in n and "gap, gap_share" in n for n in notices), notices


def test_the_overview_chart_names_the_region_whose_months_it_draws(open_page, published_db):
    """Its image was titled "Rupiah paid per month" alone, and a desa's is its kecamatan's (a new user's walk)."""
    import duckdb

    con = duckdb.connect(str(published_db), read_only=True)
    try:
        desa, kecamatan = con.execute("SELECT d.code, k.name FROM regions d JOIN regions k ON k.code = d.parent_code "
                                      "WHERE d.level = 'desa' ORDER BY d.code LIMIT 1").fetchone()
    finally:
        con.close()
    at = open_page("beranda", region=desa, lang="en")
    assert not at.exception
    assert f"**Rupiah paid per month — {kecamatan} District**" in [m.value for m in at.markdown]


@pytest.mark.parametrize(("lang", "words"), [("id", "angka di bawah untuk tahun"), ("en", "the figures below are for")])
def test_a_desa_overview_picks_the_desa_and_shows_the_year_it_is_of(open_page, published_db, lang, words):
    """A walk's finding (`/?region=<desa>&period=2025-10`): the headline named the desa but the pickers stopped at
    its kecamatan, the period picker said October while the figures were the year's, and the notice spoke of a
    map. Now a desa picker holds the desa, the period picker the year, and the notice speaks of the figures."""
    import duckdb

    with duckdb.connect(str(published_db), read_only=True) as con:
        desa, year = con.execute("SELECT r.code, (SELECT data_year FROM release) FROM regions r "
                                 "WHERE r.level = 'desa' ORDER BY r.code LIMIT 1").fetchone()
    at = open_page("beranda", region=desa, period=f"{year}-10", lang=lang)
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert at.selectbox(key="pick_desa").value == desa
    shown = at.selectbox(key="period_year_only")
    assert shown.value == str(year) and shown.options == [format_period(str(year), lang)] and shown.disabled
    notes = [i.value for i in at.info]
    assert any(words in note and str(year) in note for note in notes), notes
    assert not any("peta" in note.lower() or "map" in note.lower() for note in notes), notes
    headline = at.subheader[0].value
    assert format_period(str(year), lang) in headline and format_period(f"{year}-10", lang) not in headline, headline


def test_an_invalid_period_lists_every_month_whole(open_page):
    """The valid periods were cut like a URL value (80 characters: "..., 2025-08, 20…"; a second walk)."""
    at = open_page("beranda", period="2025-99", lang="en")
    notices = [w.value.replace("\\", "") for w in at.warning]
    assert any("2025-99" in n and "2025-12" in n and "…" not in n for n in notices), notices


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("program", ["SEMUA", "PKH"])
def test_a_region_the_releases_data_do_not_cover_says_so_not_that_a_program_does_not_run(open_page, published_db,
                                                                                          lang, program):
    # The test release's raw data cover Kulon Progo and Kota Yogyakarta: Sleman's cells are published zeros, and a
    # walk read "Sembako does not run in Sinduadi Village" of a desa there.
    with duckdb.connect(str(published_db), read_only=True) as con:
        uncovered = con.execute(
            "SELECT region_code FROM disbursement_cells WHERE level = 'desa' AND program = 'SEMUA' AND channel = "
            "'SEMUA' AND NOT suppressed AND registered_households = 0 AND recipients = 0 ORDER BY 1 LIMIT 1").fetchone()
        covered = con.execute(
            "SELECT region_code FROM disbursement_cells WHERE level = 'desa' AND program = 'SEMUA' AND channel = "
            "'SEMUA' AND NOT suppressed AND registered_households > 0 ORDER BY 1 LIMIT 1").fetchone()
    assert uncovered and covered
    at = open_page("beranda", region=uncovered[0], program=program, lang=lang)
    infos = [i.value for i in at.info]
    assert any(t("region_without_data", lang, region="", year="")[:20] in i for i in infos), infos
    assert not any(t("program_not_here", lang, program="", region="", year="")[:12] in i for i in infos), infos
    assert not at.metric
    other = open_page("beranda", region=covered[0], program=program, lang=lang)
    assert not any(t("region_without_data", lang, region="", year="")[:20] in i.value for i in other.info)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_profile_of_a_region_the_releases_data_do_not_cover_says_so_instead_of_zeros(open_page, published_db,
                                                                                        lang):
    """A walk found such a region's profile drawn as zeros (figures, rank, trend, complaints) though the overview
    said the release holds no data for it: the profile says the same and draws nothing."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        uncovered, covered = (con.execute(
            "SELECT region_code FROM disbursement_cells WHERE level = 'kecamatan' AND program = 'SEMUA' AND channel "
            f"= 'SEMUA' AND length(period) = 4 AND NOT suppressed AND {where} ORDER BY 1 LIMIT 1").fetchone()
            for where in ("registered_households = 0 AND recipients = 0", "registered_households > 0"))
    assert uncovered and covered
    at = open_page("wilayah", region=uncovered[0], lang=lang)
    assert not at.exception, at.exception
    message = t("region_without_data", lang, region="", year="")[:20]
    assert any(message in i.value for i in at.info), [i.value for i in at.info]
    assert not at.table and not at.dataframe
    other = open_page("wilayah", region=covered[0], lang=lang)
    assert not any(message in i.value for i in other.info) and (other.table or other.dataframe)
