"""Every text the dashboard shows, in Bahasa Indonesia and English, and number, money and date formats per language."""

from __future__ import annotations

import re

import lokal
import pandas as pd

LANGS = ("id", "en")
DEFAULT_LANG = "id"

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}

# key -> (Bahasa Indonesia, English). `{name}` placeholders are filled by `t(..., name=...)`.
TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("Bansos Terbuka", "Bansos Terbuka"),
    "app_tagline": ("Dasbor transparansi penyaluran bantuan sosial", "Social assistance transparency dashboard"),
    "synthetic_banner": ("**Data demo sintetis**: semua angka di sini dibuat oleh generator data, bukan data "
                         "penyaluran bansos sebenarnya.", "**Synthetic demo data**: every figure here comes from the "
                         "data generator, not from real bansos disbursements."),
    "synthetic_mark": ("data demo sintetis", "synthetic demo data"),
    "language": ("Bahasa", "Language"),
    "page_overview": ("Beranda", "Overview"),
    "page_map": ("Peta", "Map"),
    "page_trends": ("Tren", "Trends"),
    "page_gaps": ("Kesenjangan cakupan", "Coverage gaps"),
    "page_region": ("Cek wilayah", "My region"),
    # One neutral label for every hidden cell: most hidden cells are not small themselves but protect one that is,
    # and which were small is not published. So never "< 10" (a journalist would quote it).
    "hidden": ("disembunyikan", "hidden"),
    "hidden_why_short": (
        "Disembunyikan = sel kecil (kurang dari {threshold} keluarga) atau sel yang ikut disembunyikan agar sel kecil "
        "tidak bisa dihitung dari selisih; sel mana yang kecil tidak diterbitkan.",
        "Hidden = a small cell (fewer than {threshold} households) or a cell hidden too so that a small one cannot be "
        "worked out by subtraction; which ones were small is not published."),
    "hidden_tooltip": ("disembunyikan (sel kecil atau pelindungnya)", "hidden (a small cell or one protecting it)"),
    # A hidden value's published range: what anyone can work out from the published figures, so it says nothing new.
    "hidden_between": ("disembunyikan (antara {low} dan {high})", "hidden (between {low} and {high})"),
    "hidden_derivable": ("disembunyikan, tetapi terhitung dari angka lain: {value}",
                         "hidden, but other figures give it: {value}"),
    "hidden_about": ("disembunyikan (sekitar {value})", "hidden (about {value})"),
    "hidden_range_note": (
        "Rentang di samping nilai yang disembunyikan dihitung hanya dari angka yang diterbitkan: siapa pun bisa "
        "menghitungnya, jadi tidak membuka apa pun.",
        "The range beside a hidden value is worked out from the published figures alone: anyone can compute it, so "
        "it reveals nothing."),
    "unit_households": ("{n} keluarga", "{n} households"),
    "unit_complaints": ("{n} pengaduan", "{n} complaints"),
    "not_published": ("tidak tersedia di tingkat ini", "not published at this level"),
    "statuses_from_kabupaten": ("Status pembayaran (tepat waktu, gagal, retur) diterbitkan dari tingkat kabupaten/kota "
                                "ke atas; pilih kabupaten/kota di atas untuk melihatnya.",
                                "Payment statuses (on time, failed, returned) are published from kabupaten/kota "
                                "(regency/city) level up; pick the kabupaten/kota above to see them."),
    "no_data": ("tidak ada data", "no data"),
    "program_not_here": ("{program} tidak berjalan di {region} pada {year}: tidak ada keluarga sasaran maupun penerima "
                         "sepanjang tahun, jadi tidak ada angka untuk ditampilkan.",
                         "{program} does not run in {region} in {year}: no eligible household and no recipient all "
                         "year, so there are no figures to show."),
    "region_without_data": ("Rilis ini tidak memuat data {region} untuk {year}: tidak ada keluarga terdaftar maupun "
                            "penerima di sana dalam data yang diterbitkan, jadi tidak ada angka untuk ditampilkan.",
                            "This release holds no data for {region} in {year}: no registered household and no "
                            "recipient there in the published data, so there are no figures to show."),
    "programs_not_here": ("Tidak digambar karena tidak berjalan di wilayah ini (tidak ada keluarga sasaran maupun "
                          "penerima): {programs}.",
                          "Not drawn because it does not run in this region (no eligible household and no "
                          "recipient): {programs}."),
    "hidden_last": ("Wilayah yang disembunyikan diletakkan paling akhir dan tidak diberi peringkat.",
                    "Hidden regions are listed last and not ranked."),
    # `{value}` is text from the URL: always passed through `escape` (never inside a code span).
    "invalid_param": ("Parameter URL {name}=\"{value}\" tidak dikenal; memakai nilai bawaan.",
                      "URL parameter {name}=\"{value}\" is not valid; using the default."),
    "page_not_found": ("Halaman \"/{path}\" tidak ada; ini halaman {page}.",
                       "There is no page \"/{path}\"; this is the {page} page."),
    "invalid_param_choices": ("Parameter URL {name}=\"{value}\" tidak dikenal (yang berlaku: {choices}); memakai nilai "
                              "bawaan.",
                              "URL parameter {name}=\"{value}\" is not valid (valid: {choices}); using the default."),
    "not_applicable_param": ("Parameter URL {name}=\"{value}\" tidak berlaku untuk tampilan ini; memakai {default}.",
                             "URL parameter {name}=\"{value}\" does not apply to this view; using {default}."),
    "year_not_in_release": ("Tahun {value} (parameter URL {name}) tidak ada dalam rilis ini; menampilkan {default}.",
                            "Year {value} (URL parameter {name}) is not in this release; showing {default}."),
    "too_many_param": ("Parameter URL {name} memuat lebih dari {limit} nilai; hanya {limit} yang pertama dipakai.",
                       "URL parameter {name} holds more than {limit} values; only the first {limit} are used."),
    "choose": ("Pilih", "Choose"),
    # A region picker's empty choice: the region above stays chosen (a dash read as "no data" to a new user).
    "whole_nasional": ("Seluruh Indonesia", "All of Indonesia"),
    # Below the top, the empty choice names what the select lists (all of them: the region above stays shown):
    # "Seluruh kabupaten/kota" inside the Kecamatan select confused a new user. Keyed by the level above.
    "whole_provinsi": ("Semua kabupaten/kota", "All kabupaten/kota"),
    "whole_kabupaten": ("Semua kecamatan", "All kecamatan"),
    "whole_kecamatan": ("Semua desa/kelurahan", "All desa/kelurahan"),
    # A drill picker's empty choice: nothing picked yet, the map stays where it is.
    "drill_none": ("Pilih wilayah…", "Pick a region…"),
    "choose_regions": ("Pilih wilayah", "Choose regions"),
    "program": ("Program", "Program"),
    "period": ("Periode", "Period"),
    "metric": ("Ukuran", "Measure"),
    "normalisation": ("Pembanding", "Normalisation"),
    "channel": ("Kanal", "Channel"),
    "region": ("Wilayah", "Region"),
    "level": ("Tingkat", "Level"),
    "whole_year": ("Setahun {year}", "Whole year {year}"),
    "all_channels": ("Semua kanal", "All channels"),
    "national": ("Indonesia", "Indonesia"),
    # metrics
    "m_recipients": ("Keluarga penerima", "Recipient households"),
    "m_amount": ("Rupiah disalurkan", "Rupiah paid"),
    # Recipients per eligible household (above 100% where households outside the target were paid): how many eligible
    # households were paid is not published.
    "m_coverage": ("Penerima per keluarga sasaran", "Recipients per eligible household"),
    # Over a row of per-program coverage figures labelled by program alone (the full label was cut in a column).
    "m_coverage_by_program": ("Penerima per keluarga sasaran, per program",
                              "Recipients per eligible household, by program"),
    "m_ontime": ("Porsi tepat waktu", "Share paid on time"),
    # A count of payments, not of households: the card said "Gagal atau retur" with no unit.
    "m_failed": ("Transaksi gagal atau retur", "Failed or returned payments"),
    "m_failed_share": ("Porsi gagal atau retur", "Share failed or returned"),
    "m_eligible": ("Keluarga sasaran", "Eligible households"),
    "m_need": ("Kebutuhan Rupiah (semua keluarga sasaran)", "Rupiah needed (every eligible household)"),
    "m_registered": ("Keluarga terdaftar (DTSEN)", "Registered households (DTSEN)"),
    "m_late": ("Transaksi terlambat", "Late payments"),
    "m_payments": ("Transaksi", "Payments"),
    "n_none": ("Angka apa adanya", "Absolute"),
    "compare_scale_hint": ("Garis-garis ini berbeda skala jauh: pilih pembanding \"Per 1.000 keluarga terdaftar\" "
                           "untuk membandingkan wilayah yang berbeda ukuran.",
                           "These lines are far apart in scale: choose the normalisation \"Per 1,000 registered "
                           "households\" to compare regions of different sizes."),
    "n_registered": ("Per 1.000 keluarga terdaftar", "Per 1,000 registered households"),
    "n_eligible": ("Per keluarga sasaran", "Per eligible household"),
    # Under a profile's table, whose rows leave a figure out by definition (a walk: "–" never explained).
    "profile_dash_note": ("– = tidak berlaku: keluarga terdaftar (DTSEN) dihitung untuk semua program saja, keluarga "
                          "sasaran dan penerima per keluarga sasaran per program saja.",
                          "– = does not apply: registered households (DTSEN) are counted for all programs only, "
                          "eligible households and recipients per eligible household per program only."),
    # Under a profile with two or more programs: a reader added them up and found more than "Semua program".
    "programs_overlap": ("Satu keluarga bisa menerima lebih dari satu program: keluarga penerima per program "
                         "dijumlahkan lebih dari angka Semua program, yang menghitung tiap keluarga sekali. Rupiah "
                         "per program dijumlahkan menjadi Semua program.",
                         "A household may receive more than one program: the programs' recipient households add up "
                         "to more than All programs, which counts each household once. The programs' Rupiah add up "
                         "to All programs."),
    # Under a profile whose coverage is above 100% (a new user read 110,5% as an error).
    "coverage_above_full": ("Penerima per keluarga sasaran di atas 100% ({programs}): program ini juga membayar "
                            "keluarga di luar sasarannya (desil kesejahteraan di luar target program), yang ikut "
                            "terhitung sebagai penerima.",
                            "Recipients per eligible household above 100% ({programs}): the program also paid "
                            "households outside its target (welfare decile outside the program's target), who count "
                            "as recipients too."),
    # Beside BLT Dana Desa's recipients per eligible household (a walk read 35,5% beside PKH's 80% unexplained).
    # Its rule: the village fund's cash for poor families not already on PKH (data/targeting.py, Permendes).
    "blt_coverage_note": ("BLT Dana Desa diutamakan bagi keluarga miskin di desa yang belum menerima PKH, sedangkan "
                          "keluarga sasarannya dihitung dari desil kesejahteraan saja (penerima PKH ikut terhitung): "
                          "penerima per keluarga sasaran, dan Rupiah terhadap target tahunan, memang lebih rendah "
                          "daripada program lain.",
                          "BLT Dana Desa goes first to poor families in a desa not already on PKH, while its eligible "
                          "households are counted by welfare decile alone (PKH recipients included): its recipients "
                          "per eligible household, and its Rupiah against the annual target, are lower than other "
                          "programs' by design."),
    "n_not_applicable": ("Pembanding tidak berlaku untuk ukuran berupa porsi.",
                         "Normalisation does not apply to a share."),
    "coverage_semua": ("Penerima per keluarga sasaran dihitung per program (keluarga sasaran hanya diterbitkan per "
                       "program): pilih satu program.",
                       "Recipients per eligible household are worked out per program (eligible households are "
                       "published per program only): pick one program."),
    "n_eligible_semua": ("Keluarga sasaran hanya diterbitkan per program: pilih satu program.",
                         "Eligible households are published per program only: pick one program."),
    # overview
    "overview_title": ("Beranda", "Overview"),
    "freshness": ("Data s.d. {through}, rilis {released}", "Data through {through}, release {released}"),
    # A release may cover part of the country (the demo: two provinces): its "Indonesia" is theirs.
    "release_covers": ("Rilis ini mencakup {n} provinsi: {provinces}. Angka Indonesia di sini adalah jumlah "
                       "provinsi tersebut.",
                       "This release covers {n} of Indonesia's provinces: {provinces}. Figures for Indonesia here "
                       "are the sum of those."),
    "release_covers_many": ("Rilis ini mencakup {n} provinsi; angka Indonesia di sini adalah jumlah provinsi "
                            "tersebut.",
                            "This release covers {n} provinces; figures for Indonesia here are the sum of those."),
    "headline_for": ("Angka utama {region}, {program}, {period}", "Headline figures for {region}, {program}, {period}"),
    # Names its region: a PNG or SVG of the chart travels without the page (a desa's months are its kecamatan's).
    "trend_spark": ("Rupiah disalurkan per bulan — {region}", "Rupiah paid per month — {region}"),
    "hidden_why_title": ("Apa yang disembunyikan dan mengapa", "What is hidden and why"),
    "hidden_why": (
        "Sel dengan kurang dari {threshold} keluarga disembunyikan, bersama sel lain yang diperlukan agar nilainya "
        "tidak bisa dihitung dari selisih. Sel tersembunyi tampil sebagai \"{hidden}\" dan tidak pernah dihitung "
        "sebagai nol. Rupiah dan transaksi semua program sebuah desa hanyalah jumlah program-programnya: "
        "disembunyikan bila salah satu program desa itu disembunyikan. Tahun {year} dalam rilis ini: {share} sel "
        "penyaluran {year} disembunyikan (sel kecil dan sel "
        "yang melindunginya; mana yang kecil tidak dipublikasikan); Rupiah {year} tersembunyi: {desa} di tingkat "
        "desa, {kec} di tingkat kecamatan, {kab} di tingkat kabupaten. Tiap tahun dilindungi tersendiri: pilih "
        "tahun lain untuk angkanya.",
        "Cells with fewer than {threshold} households are hidden, together with other cells needed so that they "
        "cannot be worked out by subtraction. Hidden cells show as \"{hidden}\" and are never counted as zero. "
        "A desa's Rupiah and payments of all programs are only the sum of its programs': hidden where one of the "
        "desa's programs is hidden. {year} in this release: {share} of {year}'s payment cells are hidden (small "
        "cells and the cells that "
        "protect them; which ones were small is not published); Rupiah of {year} hidden: {desa} at desa level, "
        "{kec} at kecamatan level, {kab} at kabupaten level. Each year is protected on its own: pick another year "
        "for its figures."),
    "hidden_tables": ("Sel tersembunyi per tabel, tahun {year}", "Hidden cells per table, {year}"),
    "col_table": ("Tabel", "Table"),
    # The published cell tables by what they hold (the overview's "what is hidden" table; file names stay on the
    # open-data page).
    "table_disbursement_cells": ("Penyaluran", "Disbursements"),
    "table_complaint_cells": ("Pengaduan", "Complaints"),
    "table_proposal_cells": ("Usul sanggah", "Proposals (usul sanggah)"),
    "table_quality_cells": ("Kualitas data", "Data quality"),
    "col_cells": ("Sel", "Cells"),
    "col_hidden": ("Disembunyikan", "Hidden"),
    # The release history's count: every table and year of a release (the overview's is one year's tables).
    "col_hidden_release": ("Sel disembunyikan (semua tabel dan tahun)", "Hidden cells (all tables and years)"),
    "col_description": ("Keterangan", "Description"),
    "col_category": ("Kategori", "Category"),
    "table_alt": ("Tabel data grafik", "Chart data as a table"),
    "no_figure_to_draw": ("Tidak ada angka terbit untuk digambar di tampilan ini: tabel di bawah menyebut alasannya.",
                        "No published figure to draw in this view: the table below says why."),
    # A phone's long table: the first rows stacked, the others behind this.
    "more_rows": ("Tampilkan {n} baris lainnya", "Show {n} more rows"),
    # map
    "map_title": ("Peta", "Map"),
    "map_level": ("Tingkat peta", "Map level"),
    "breadcrumb": ("Posisi", "You are here"),
    "map_hint": ("Klik wilayah di peta atau pilih di bawah untuk masuk ke tingkat berikutnya.",
                 "Click a region on the map or pick one below to go one level down."),
    # Desa, or a level more than one below the region: a click goes nowhere, the picker opens a profile.
    "map_hint_profile": ("Pilih wilayah di bawah untuk membuka profilnya.", "Pick a region below to open its profile."),
    "drill_pick": ("Masuk ke wilayah", "Go into region"),
    "desa_year_only_figures": (
        "Tingkat desa/kelurahan hanya diterbitkan untuk setahun penuh: angka di bawah untuk tahun {year}.",
        "Desa/kelurahan figures are published for the whole year only: the figures below are for {year}."),
    "desa_year_only": ("Tingkat desa/kelurahan hanya diterbitkan untuk setahun penuh: peta memakai {year}.",
                       "Desa/kelurahan figures are published for the whole year only: the map shows {year}."),
    "complaints_complete_year": (
        "Pengaduan per kecamatan diterbitkan sekali setahun, setelah tahunnya lengkap: angka berjalan yang diperbarui "
        "tiap bulan akan membuka pengaduan bulan-bulan di antara dua rilis lewat selisihnya. Tahun {year} belum "
        "lengkap; angka kabupaten/kota terbit tiap bulan.",
        "Kecamatan complaints are published once a year, when the year is complete: a running total updated every "
        "month would give away the complaints of the months between two releases by subtraction. {year} is not "
        "complete yet; kabupaten/kota figures are published every month."),
    "desa_complete_year_only": (
        "Angka desa/kelurahan diterbitkan sekali setahun, setelah tahunnya lengkap: angka berjalan yang diperbarui "
        "tiap bulan akan membuka jumlah keluarga bulan-bulan di antara dua rilis lewat selisihnya. Tahun {year} baru "
        "diterbitkan sampai {through}.",
        "Desa/kelurahan figures are published once a year, when the year is complete: a running total updated every "
        "month would give away the households of the months between two releases by subtraction. {year} is "
        "published through {through}."),
    "desa_complete_year_pick": (" Pilih tahun {complete} untuk angka desa/kelurahan.",
                                " Pick {complete} for desa/kelurahan figures."),
    "legend": ("Legenda", "Legend"),
    "legend_na": ("tidak tersedia di tingkat ini: putih", "not published at this level: white"),
    "boundary_source": ("Sumber batas wilayah: {name}. Lisensi: {licence}.",
                        "Boundary source: {name}. Licence: {licence}."),
    "boundary_licence": ("Lisensi: {licence}.", "Licence: {licence}."),
    # Each shareable view's title (dashboard/shareable.py declares which): page, embed and image alike.
    "title_map": ("{measure} — {region}, {program}, {period}", "{measure} — {region}, {program}, {period}"),
    "title_trend": ("{measure} — {region}{detail}", "{measure} — {region}{detail}"),
    # Level and year in the title: a chart image or embed travels without the page's pickers.
    "title_gap": ("{measure} — {program}, {region}, per {level}, {year}",
                  "{measure} — {program}, {region}, by {level}, {year}"),
    "title_profile": ("{measure} — {detail}", "{measure} — {detail}"),
    "illustrative": ("Batas wilayah ilustratif.", "Illustrative boundaries."),
    "illustrative_text": ("Peta ini memakai bentuk sintetis, bukan batas resmi, untuk wilayah yang belum punya batas "
                          "nyata dalam rilis ini. Angkanya tetap angka rilis.",
                          "This map uses synthetic shapes, not official boundaries, for regions that have no real "
                          "boundary in this release. Its figures are the release's own."),
    "illustrative_source": ("Sumber batas wilayah: bentuk sintetis buatan bansos-terbuka (MIT), bukan batas resmi.",
                            "Boundary source: synthetic shapes made by bansos-terbuka (MIT), not official "
                            "boundaries."),
    "no_shapes": ("Tidak ada batas wilayah untuk tampilan ini.", "No boundaries for this view."),
    "col_name": ("Nama", "Name"),
    "col_code": ("Kode", "Code"),
    "col_value": ("Nilai", "Value"),
    "col_status": ("Status", "Status"),
    "col_rank": ("Peringkat", "Rank"),
    "open_profile": ("Buka profil {name}", "Open the profile of {name}"),
    # trends
    "trends_title": ("Tren bulanan", "Monthly trends"),
    "compare": ("Bandingkan wilayah (maks. 5)", "Compare regions (up to 5)"),
    "breakdown": ("Rincian", "Breakdown"),
    # The breakdown buttons: short, so that the four fit one row on a phone ("Rincian per: Program | Kanal | ...").
    "breakdown_by": ("Rincian per", "Breakdown by"),
    "by_short_program": ("Program", "Program"),
    "by_short_channel": ("Kanal", "Channel"),
    "by_short_status": ("Status", "Status"),
    "by_short_year": ("Tahun", "Year"),
    "by_program": ("Per program", "By program"),
    "by_channel": ("Per kanal", "By channel"),
    "by_status": ("Per status", "By status"),
    # year over year (one year per view: `year=`; change since the year before)
    "by_year": ("Per tahun", "By year"),
    "year": ("Tahun", "Year"),
    "change": ("Perubahan sejak tahun lalu", "Change since last year"),
    "change_none": ("Tidak", "None"),
    "change_abs_short": ("Selisih", "Difference"),
    "change_pct_short": ("Persen", "Percent"),
    "change_abs": ("{measure}: perubahan sejak {before}", "{measure}: change since {before}"),
    "change_pct": ("{measure}: perubahan sejak {before} (%)", "{measure}: change since {before} (%)"),
    "change_vs": ("{now} dibanding {before}", "{now} vs {before}"),
    "change_title": ("Perubahan sejak {before}", "Change since {before}"),
    "change_basis_months": ("Dibandingkan bulan yang sama di kedua tahun ({label}): tahun {year} baru diterbitkan "
                            "sampai {through}.",
                            "The same months of both years are compared ({label}): {year} is published through "
                            "{through} only."),
    "change_basis_partial": ("Perhatian: {label}. Tahun {year} baru diterbitkan sampai {through}, jadi angka "
                             "setahunnya mencakup lebih sedikit bulan daripada {before}.",
                             "Note: {label}. {year} is published through {through} only, so its whole-year figure "
                             "covers fewer months than {before}."),
    "change_recipients_mean": ("Keluarga penerima dibandingkan sebagai rata-rata per bulan pada bulan-bulan itu.",
                               "Recipient households are compared as the average month of those months."),
    "change_hidden_rule": ("Perubahan yang melibatkan nilai tersembunyi ikut disembunyikan, atau ditampilkan sebagai "
                           "rentang yang dihitung dari rentang yang diterbitkan.",
                           "A change involving a hidden value is hidden too, or shown as the range worked out from "
                           "the published ranges."),
    "no_previous_year": ("Tahun {before} tidak diterbitkan: tidak ada perubahan untuk ditampilkan.",
                         "{before} is not published: there is no change to show."),
    "no_previous_month": ("Bulan yang sama tahun {before} tidak diterbitkan: tidak ada perubahan untuk ditampilkan.",
                          "The same month of {before} is not published: there is no change to show."),
    "change_absolute_only": ("Perubahan dihitung dari angka apa adanya (tanpa pembanding).",
                             "Change is worked out from absolute figures (no normalisation)."),
    "col_change": ("Perubahan", "Change"),
    "col_change_pct": ("Perubahan (%)", "Change (%)"),
    "points": ("{n} poin persen", "{n} percentage points"),
    "year_lines_x": ("Bulan", "Month"),
    "month": ("Bulan", "Month"),
    "series": ("Seri", "Series"),
    "cumulative_title": ("Kumulatif Rupiah vs target tahunan", "Cumulative Rupiah vs annual target"),
    "target_definition": (
        "Target tahunan = keluarga sasaran tahun ini × manfaat tahunan program (Sembako {sembako}, BLT Dana Desa "
        "{blt_dd}); untuk PKH, yang manfaatnya tergantung anggota keluarga, × rata-rata Rupiah per keluarga "
        "penerima tahun ini. Hanya dari angka yang diterbitkan.",
        "Annual target = this year's eligible households × the program's annual benefit (Sembako {sembako}, BLT "
        "Dana Desa {blt_dd}); for PKH, whose benefit depends on the family's members, × the year's average Rupiah "
        "per recipient household. From published figures only."),
    "target_unavailable": ("Target tidak dapat dihitung: keluarga sasaran disembunyikan atau tidak diterbitkan.",
                           "The target cannot be computed: eligible households are hidden or not published."),
    "cumulative": ("Kumulatif", "Cumulative"),
    "target": ("Target tahunan", "Annual target"),
    "late_failed_title": ("Transaksi terlambat, gagal, retur dan tertunda",
                          "Late, failed, returned and pending payments"),
    "status_counts": ("Rincian status menghitung transaksi, bukan “{measure}”.",
                      "The status breakdown counts payments, not “{measure}”."),
    "nothing_to_draw": ("Tidak ada garis untuk digambar di tingkat ini.", "There are no lines to draw at this level."),
    "status_kecamatan": ("Status transaksi diterbitkan dari tingkat kabupaten ke atas; kecamatan: hanya penerima "
                         "dan Rupiah per bulan.", "Payment statuses are published from kabupaten level up; "
                         "kecamatan: recipients and Rupiah per month only."),
    "desa_trend_note": ("Desa/kelurahan hanya punya angka setahun: tren di bawah adalah milik kecamatannya, {name}.",
                        "A desa/kelurahan has whole-year figures only: the trend below is that of its kecamatan, "
                        "{name}."),
    "channel_kabupaten": ("Rincian kanal diterbitkan dari tingkat kabupaten/kota ke atas.",
                          "Channel breakdowns are published from kabupaten/kota level up."),
    # gaps
    "gaps_title": ("Kesenjangan cakupan", "Coverage gaps"),
    "gaps_intro": ("Keluarga sasaran (desil kesejahteraan dalam target program) dibanding keluarga penerima, "
                   "setahun penuh. Kesenjangan = keluarga sasaran dikurangi keluarga penerima: bukan jumlah keluarga "
                   "sasaran yang tidak dibayar, karena penerima di luar sasaran menutupi sebagian. Berapa keluarga "
                   "sasaran yang dibayar tidak diterbitkan: selisihnya dengan sasaran dan dengan penerima adalah "
                   "kelompok kecil keluarga di kebanyakan desa.",
                   "Eligible households (welfare decile within the program's target) vs recipient households, whole "
                   "year. Gap = eligible minus recipient households: not the number of eligible households left "
                   "unpaid, since households paid outside the target offset part of it. How many eligible households "
                   "were paid is not published: its differences from the eligible and from the recipients are small "
                   "groups of households in most desa."),
    "area": ("Wilayah", "Area"),
    "rank_level": ("Bandingkan", "Compare"),
    "rank_by": ("Urutkan menurut", "Rank by"),
    "gap_abs": ("Kesenjangan (keluarga)", "Gap (households)"),
    "gap_pct": ("Kesenjangan (%)", "Gap (%)"),
    "top_n": ("Jumlah baris", "Rows"),
    "all_rows": ("Semua", "All"),
    "scatter_title": ("Kemiskinan (porsi keluarga sasaran) vs penerima per keluarga sasaran",
                      "Poverty (eligible share) vs recipients per eligible household"),
    "eligible_share": ("Porsi keluarga sasaran dari keluarga terdaftar", "Eligible share of registered households"),
    "outlier_note": ("Berlabel: wilayah yang cakupannya jauh dari yang diharapkan menurut porsi sasarannya "
                     "(|z| ≥ 2), paling banyak 8; nama yang akan menimpa nama lain hanya ada saat titiknya disentuh "
                     "dan di tabel.", "Labelled: regions whose coverage is far from what their eligible share "
                     "predicts (|z| ≥ 2), at most 8; a name that would cover another shows only on hover and in the "
                     "table."),
    "outlier_note_narrow": ("Belah ketupat: wilayah yang cakupannya jauh dari yang diharapkan menurut porsi "
                            "sasarannya (|z| ≥ 2), paling banyak 8; sentuh titik untuk namanya, atau lihat tabel.",
                            "Diamonds: regions whose coverage is far from what their eligible share predicts "
                            "(|z| ≥ 2), at most 8; tap a point for its name, or see the table."),
    "col_outlier": ("Pencilan (berlabel)", "Outlier (labelled)"),
    # The flags count households of every program (quality_cells has no program): said beside one program's figures.
    "quality_flags_all": ("Tanda kualitas data (semua program)", "Data-quality flags (all programs)"),
    "q_duplicate_nik": ("NIK ganda", "Duplicate NIK"),
    "q_invalid_nik": ("NIK tidak valid", "Invalid NIK"),
    "q_deceased_paid": ("Meninggal tetapi dibayar", "Paid after death"),
    "q_quarantined_rows": ("Baris dikarantina", "Quarantined rows"),
    "quality_complete_year_only": (
        "Tanda kualitas data menghitung keluarga selama setahun, jadi diterbitkan sekali setahun, setelah tahunnya "
        "lengkap: angka berjalan akan membuka keluarga yang baru ditandai di antara dua rilis lewat selisihnya. "
        "Tahun {year} baru diterbitkan sampai {through}.",
        "Data-quality flags count households over a year, so they are published once a year, when the year is "
        "complete: a running total would give away the households first flagged between two releases by "
        "subtraction. {year} is published through {through}."),
    "quality_complete_year_pick": (" Pilih tahun {complete} untuk tanda kualitas data.",
                                   " Pick {complete} for data-quality flags."),
    # A data-quality indicator withheld for the year at every level (anonymize.build.withhold_small_indicators).
    "quality_withheld": (
        "{indicators}: tidak diterbitkan untuk tahun ini di tingkat mana pun, karena jumlahnya secara nasional kurang "
        "dari {twice}, terlalu sedikit untuk dilindungi di antara wilayah lain.",
        "{indicators}: not published for this year at any level, because they count fewer than {twice} nationally, "
        "too few to protect among other regions."),
    "quality_desa": ("Indikator kualitas data diterbitkan dari tingkat kecamatan ke atas.",
                     "Data-quality indicators are published from kecamatan level up."),
    "gaps_semua": ("Keluarga sasaran hanya diterbitkan per program: halaman ini memakai {program}.",
                   "Eligible households are published per program only: this page uses {program}."),
    "gaps_year": ("Keluarga sasaran hanya diterbitkan untuk setahun: halaman ini memakai {year}.",
                  "Eligible households are published for the whole year only: this page uses {year}."),
    # my region
    "region_title": ("Cek wilayah", "My region"),
    "search_label": ("Ketik nama wilayah: desa, kelurahan, kecamatan atau kabupaten/kota",
                     "Type a region's name: desa, kelurahan, kecamatan or kabupaten/kota"),
    "search_placeholder": ("mis. Sinduadi, Mlati", "e.g. Sinduadi, Mlati"),
    "search_results": ("Hasil pencarian", "Search results"),
    # Shown alone: no region's profile under it (the one shown before read as the answer to the new search).
    "search_none": ("Wilayah \"{query}\" tidak ditemukan: tidak ada nama wilayah yang mirip. Periksa ejaannya, atau "
                    "ketik nama desa, kelurahan atau kecamatan lain.",
                    "Region \"{query}\" not found: no region's name resembles it. Check the spelling, or type another "
                    "desa, kelurahan or kecamatan name."),
    "search_best": ("Menampilkan hasil terbaik untuk \"{query}\": {name}. Hasil lain di bawah.",
                    "Showing the best match for \"{query}\": {name}. Other matches below."),
    "search_prompt": ("Ketik nama wilayah di atas untuk membuka profilnya.",
                      "Type a region's name above to open its profile."),
    "profile_figures": ("Angka {year}", "Figures {year}"),
    "rank_among": ("Peringkat di antara {n} wilayah setingkat dalam {parent}",
                   "Rank among {n} sibling regions in {parent}"),
    "rank_value": ("ke-{rank} dari {n} menurut {metric}: {value}", "{rank} of {n} by {metric}: {value}"),
    "rank_hidden": ("Tidak diberi peringkat: nilainya disembunyikan.", "Not ranked: its value is hidden."),
    "rank_no_value": ("Tidak diberi peringkat: tidak punya angka untuk diberi peringkat (tidak ada data atau tidak "
                      "diterbitkan).", "Not ranked: it has no figure to rank (no data, or not published)."),
    "rank_unranked_hidden": ("{k} wilayah setingkat lainnya tidak diberi peringkat karena nilainya disembunyikan "
                             "(nilai tersembunyi tidak pernah diberi peringkat): peringkat hanya di antara {n} wilayah "
                             "yang nilainya diterbitkan.",
                             "{k} other sibling region(s) are not ranked because their values are hidden (a hidden "
                             "value is never ranked): the rank is among the {n} whose values are published."),
    "rank_unranked_other": ("{k} wilayah setingkat lainnya tidak punya angka untuk diberi peringkat (tidak ada data "
                            "atau tidak diterbitkan).",
                            "{k} other sibling region(s) have no figure to rank (no data, or not published)."),
    "complaints_title": ("Pengaduan {year}", "Complaints {year}"),
    "complaints_kecamatan": ("Pengaduan diterbitkan dari tingkat kecamatan ke atas: angka kecamatan {name}.",
                             "Complaints are published from kecamatan level up: figures for kecamatan {name}."),
    "complaints": ("Pengaduan", "Complaints"),
    "c_baru": ("Baru", "New"),
    "c_diproses": ("Diproses", "In progress"),
    "c_selesai": ("Selesai", "Resolved"),
    "c_ditolak": ("Ditolak", "Rejected"),
    "share_link": ("Tautan untuk dibagikan", "Shareable link"),
    # The programs pay in rounds (PKH in quarterly stages, Sembako in batches, BLT Dana Desa monthly or quarterly):
    # a new user read the monthly lines' drops to zero as missing data.
    # Under lines by payment status: pending payments pile up in the last months before the data's cut (a walk read
    # December's as payments that stalled).
    "status_pending_note": (
        "Tertunda = transaksi yang belum tuntas saat data diekspor (data s.d. {through}): di bulan-bulan terakhir "
        "jumlahnya wajar lebih besar, dan bisa berubah di rilis berikutnya bila pembayarannya menyusul.",
        "Pending = payments not yet settled when the data were exported (data through {through}): the last months "
        "naturally have more, and they may change in a later release as the payments settle."),
    "trend_rounds_note": (
        "Bantuan dibayar per tahap, tidak tiap bulan (PKH per triwulan, Sembako per gelombang, BLT Dana Desa per "
        "bulan atau per triwulan): bulan tanpa penyaluran tercatat nol, bukan data yang hilang.",
        "Assistance is paid in rounds, not every month (PKH quarterly, Sembako in batches, BLT Dana Desa monthly or "
        "quarterly): a month without payments shows zero; it is not missing data."),
    "trend_title": ("Tren {name}", "Trend of {name}"),
    # A desa has no months: its profile's chart is its kecamatan's, and a title shared or embedded alone says so.
    "trend_title_desa": ("Tren {kecamatan}, kecamatan tempat {desa} berada",
                         "Trend of {kecamatan}, the district of {desa}"),
    "parent_of": ("{kind} {name}", "{kind} {name}"),
    # needs outlook (dashboard/outlook.py: the model; outlook_views.py: its tables and chart)
    "page_outlook": ("Proyeksi kebutuhan", "Needs outlook"),
    "outlook_title": ("Proyeksi kebutuhan", "Needs outlook"),
    "outlook_intro": (
        "Berapa keluarga sasaran dan keluarga penerima tiap kabupaten/kota dan provinsi tahun depan, berapa Rupiah "
        "yang akan disalurkan dan berapa yang dibutuhkan agar semua keluarga sasaran menerima bantuan, dengan rentang "
        "80% dan 95%, dihitung hanya dari angka tahunan yang diterbitkan. Di bawahnya: seberapa jauh cara yang sama "
        "meleset untuk tahun lengkap terakhir.",
        "How many eligible and recipient households each kabupaten/kota and province will have next year, the Rupiah "
        "it will be paid and the Rupiah needed to pay every eligible household, with 80% and 95% intervals, computed "
        "from published yearly figures only. Below: how far the same method missed for the last complete year."),
    "outlook_col_last": ("{year} (diterbitkan)", "{year} (published)"),
    "outlook_col_last_need": ("{year} (dihitung dari angka terbit)", "{year} (worked out from published figures)"),
    "outlook_col_projection": ("Proyeksi {year}", "Projection {year}"),
    "outlook_col_interval": ("Rentang {level}%", "{level}% interval"),
    "outlook_col_series": ("Wilayah dinilai", "Regions scored"),
    "outlook_col_scored": ("Ukuran dan tingkat", "Measure and level"),
    # The backtest's figures (regions scored, MAPE, truth inside each interval), as a phone's stacked table heads them.
    "outlook_col_result": ("Hasil uji", "Backtest result"),
    "outlook_col_inside": ("Angka sebenarnya di dalam rentang {level}%", "Truth inside the {level}% interval"),
    "outlook_col_year": ("Tahun", "Year"),
    "outlook_note_hidden": ("tidak diproyeksikan: riwayatnya memuat angka yang disembunyikan",
                            "not projected: its history has a hidden value"),
    "outlook_note_none": ("nol di setiap tahun yang diterbitkan: program ini tidak membayar keluarga di sini, jadi "
                          "diproyeksikan nol",
                          "zero in every published year: the program paid no household here, so it is projected as "
                          "zero"),
    "outlook_note_short": ("tidak diproyeksikan: kurang dari tiga tahun lengkap",
                           "not projected: fewer than three complete years"),
    "outlook_note_unreconciled": (
        "belum disesuaikan: ada wilayah di bawahnya yang tidak diproyeksikan, jadi jumlahnya tidak bisa dicocokkan",
        "not reconciled: a region below it is not projected, so the sum cannot be matched"),
    "outlook_note_need": ("keluarga sasaran × Rupiah per keluarga penerima pada {year}",
                          "eligible households × Rupiah per recipient household in {year}"),
    "outlook_note_need_all": (
        "jumlah kebutuhan tiap program (keluarga sasaran × Rupiah per keluarga penerima pada {year})",
        "the sum of each program's need (eligible households × Rupiah per recipient household in {year})"),
    "outlook_note_no_rate": (
        "tidak diproyeksikan: tidak ada keluarga yang dibayar pada {year} (untuk semua program: di salah satu "
        "program), jadi Rupiah per keluarga tidak diketahui",
        "not projected: no household was paid in {year} (for all programs: in one of them), so the Rupiah per "
        "household is unknown"),
    "outlook_need_caption": (
        "Kebutuhan Rupiah = proyeksi keluarga sasaran × Rupiah per keluarga penerima wilayah itu pada {year} (Rupiah "
        "disalurkan ÷ keluarga penerima); rentangnya adalah rentang keluarga sasaran dikali angka yang sama. Untuk "
        "semua program: jumlah kebutuhan tiap program, batas rentangnya juga dijumlahkan. Garis tahun yang "
        "diterbitkan: keluarga sasaran tiap tahun × Rupiah per keluarga penerima tahun itu. Kebutuhan bisa lebih "
        "kecil dari Rupiah yang disalurkan: di wilayah yang membayar lebih banyak keluarga daripada keluarga "
        "sasarannya (penerima di luar sasaran), kebutuhan hanya menghitung keluarga sasaran.",
        "Rupiah needed = projected eligible households × the region's Rupiah per recipient household in {year} "
        "(Rupiah paid ÷ recipient households); its intervals are the eligible households' times the same figure. For "
        "all programs: the sum of the programs' needs, and of their bounds. The published line: each year's eligible "
        "households × that year's Rupiah per recipient household. The need can be below the Rupiah paid: where a "
        "region pays more households than it has eligible ones (recipients outside the target), the need counts "
        "the eligible households only."),
    "outlook_published": ("Diterbitkan (tahun lengkap)", "Published (complete years)"),
    # The need has no published cell: its line is worked out from published figures (as its table column says).
    "outlook_published_need": ("Dihitung dari angka terbit (tahun lengkap)",
                               "Worked out from published figures (complete years)"),
    "outlook_interval_name": ("Proyeksi, rentang {level}%", "Projection, {level}% interval"),
    "outlook_chart_title": ("{measure}, {name}: diterbitkan dan proyeksi {year}",
                            "{measure}, {name}: published and projected for {year}"),
    "outlook_table_title": ("Proyeksi {year} per wilayah", "Projection for {year} by region"),
    "outlook_backtest_title": ("Uji balik: {year} diproyeksikan dari {years}",
                               "Backtest: {year} projected from {years}"),
    "outlook_backtest_note": (
        "Proyeksi {year} dibuat dengan cara yang sama dari tahun-tahun sebelumnya saja, lalu dibandingkan dengan angka "
        "{year} yang diterbitkan. MAPE = rata-rata selisih mutlak sebagai persen angka sebenarnya. Wilayah yang tidak "
        "diproyeksikan, atau yang angka sebenarnya nol atau disembunyikan, tidak dinilai. Dengan satu tahun uji dan "
        "sedikit wilayah, persen di dalam rentang masih kasar.",
        "{year} is projected the same way from the years before it only, then compared with the published {year}. "
        "MAPE = mean absolute error as a percent of the truth. Regions not projected, or whose truth is zero or "
        "hidden, are not scored. With one test year and few regions, the share inside the intervals is rough."),
    "outlook_backtest_none": (
        "Uji balik butuh sedikitnya tiga tahun lengkap sebelum tahun yang diuji; rilis ini belum memilikinya.",
        "The backtest needs at least three complete years before the year tested; this release does not have them."),
    "outlook_plan": ("Proyeksi {target} dihitung dari tahun lengkap {years}.",
                     "The {target} projection uses the complete years {years}."),
    "outlook_partial": (
        "Tahun {year} belum lengkap (belum sampai Desember), jadi tidak dipakai: proyeksi melangkah dua tahun dari "
        "tahun lengkap terakhir, dan rentangnya lebih lebar.",
        "{year} is not complete yet (not through December), so it is not used: the projection steps two years from "
        "the last complete year, and its intervals are wider."),
    "outlook_no_eligible": (
        "Keluarga sasaran dihitung per program: pilih satu program untuk melihat proyeksinya.",
        "Eligible households are counted per program: pick one program to see their projection."),
    "outlook_profile_title": ("Proyeksi {year}", "Projection for {year}"),
    "outlook_profile_note": (
        "Semua program; dari angka tahunan yang diterbitkan saja. Cara, uji balik dan batasnya: halaman Proyeksi "
        "kebutuhan.",
        "All programs; from published yearly figures only. Method, backtest and limits: the Needs outlook page."),
    "outlook_knows_title": ("Apa yang diketahui model ini, dan apa yang tidak",
                            "What this model knows, and what it does not"),
    "outlook_knows": (
        "- **Yang dipakai**: hanya angka tahunan yang diterbitkan di dasbor ini, per wilayah, program dan ukuran. "
        "Angka yang disembunyikan tidak pernah dipakai: wilayah yang riwayatnya memuat angka tersembunyi tidak "
        "diproyeksikan, dan provinsinya tidak disesuaikan.\n"
        "- **Cara**: tiap deret diproyeksikan sebagai jalan acak dengan kecenderungan (tahun depan = tahun terakhir + "
        "rata-rata perubahan tahunan; statsmodels). Rentangnya memakai sebaran t Student karena riwayatnya pendek. "
        "Lalu kabupaten/kota disesuaikan agar berjumlah sama dengan provinsinya, dan provinsi dengan Indonesia "
        "(MinTrace, hierarchicalforecast). Batas bawah tidak pernah di bawah nol.\n"
        "- **Riwayat pendek**: {n} tahun lengkap saja. Tiga atau empat titik tidak bisa menunjukkan siklus, titik "
        "balik atau guncangan; rentangnya lebar karena memang sedikit yang diketahui.\n"
        "- **Tanpa faktor lain**: angka kemiskinan BPS, kuota, perubahan besaran bantuan, bencana dan harga tidak "
        "ada di dalam model. Angka kemiskinan BPS per provinsi dan tahun tidak dipakai karena proyek ini belum "
        "memuatnya dari sumber resmi yang bisa dikutip, dan angka karangan tidak dipakai.\n"
        "- **Rupiah**: Rupiah yang disalurkan dengan besaran bantuan yang berlaku selama ini; perubahan besaran "
        "bantuan tahun depan tidak diketahui model.\n"
        "- **Kebutuhan Rupiah**: keluarga sasaran yang diproyeksikan × Rupiah per keluarga penerima wilayah itu pada "
        "tahun lengkap terakhir. Angka per keluarga itu dianggap pasti: rentangnya hanya memuat ketidakpastian "
        "keluarga sasaran. Jika Rupiah atau keluarga penerima tahun itu disembunyikan, kebutuhannya tidak "
        "diproyeksikan. Untuk semua program, kebutuhan tiap program dijumlahkan (keluarga yang layak untuk dua program "
        "menerima keduanya), begitu pula batas rentangnya, seakan semua program naik dan turun bersama: rentang itu "
        "cenderung terlalu lebar, bukan terlalu sempit. Kebutuhan tidak disesuaikan antartingkat, karena Rupiah per "
        "keluarga berbeda antarwilayah.",
        "- **What it uses**: only the yearly figures published on this dashboard, per region, program and measure. "
        "Hidden values are never used: a region whose history has a hidden value is not projected, and its province "
        "is not reconciled.\n"
        "- **How**: each series is projected as a random walk with drift (next year = last year + the mean yearly "
        "change; statsmodels). The intervals use Student's t because the history is short. Kabupaten/kota are then "
        "reconciled to add up to their province, and provinces to Indonesia (MinTrace, hierarchicalforecast). Lower "
        "bounds never go below zero.\n"
        "- **Short history**: {n} complete years only. Three or four points cannot show cycles, turning points or "
        "shocks; the intervals are wide because little is known.\n"
        "- **No other factors**: BPS poverty rates, quotas, changes in benefit amounts, disasters and prices are not "
        "in the model. BPS poverty rates by province and year are not used because this project does not yet load "
        "them from an official, citable source, and made-up figures are not used.\n"
        "- **Rupiah**: Rupiah paid at the benefit amounts in force so far; a change of amounts next year is unknown "
        "to the model.\n"
        "- **Rupiah needed**: projected eligible households × the region's Rupiah per recipient household in the last "
        "complete year. That figure is taken as known: the intervals carry only the eligible households' "
        "uncertainty. Where that year's Rupiah or recipients are hidden, the need is not projected. For all programs "
        "the programs' needs are summed (a household eligible for two programs gets both), and so are their bounds, "
        "as if the programs moved together: that interval errs wide rather than narrow. Needs are not reconciled "
        "across levels, because the Rupiah per household differs from region to region."),
    "outlook_synthetic": (
        "- **Data demo sintetis**: semua angka rilis ini dibuat oleh generator data, jadi proyeksinya menunjukkan cara "
        "kerjanya, bukan kebutuhan nyata.",
        "- **Synthetic demo data**: every figure of this release comes from the data generator, so the projection "
        "shows how the method works, not a real need."),
    # open data
    "page_open_data": ("Data terbuka", "Open data"),
    "open_data_title": ("Data terbuka", "Open data"),
    "open_data_intro": (
        "Semua angka di dasbor ini berasal dari tabel-tabel di bawah: agregat per wilayah, tanpa satu pun baris per "
        "penerima. Bebas dipakai ulang (CC BY 4.0) dengan menyebut sumbernya: `{source}`.",
        "Every figure on this dashboard comes from the tables below: aggregates per region, not a single row per "
        "recipient. Free to reuse (CC BY 4.0) with this credit: `{source}`."),
    "downloads_title": ("Unduh tabel", "Download tables"),
    "format": ("Format", "Format"),
    "f_csv": ("CSV (koma, UTF-8)", "CSV (comma, UTF-8)"),
    "f_csv_id": ("CSV untuk Excel Indonesia (titik koma)", "CSV for Indonesian Excel (semicolon)"),
    "f_parquet": ("Parquet", "Parquet"),
    "csv_note": ("CSV sesuai RFC 4180, UTF-8, baris pertama adalah judul kolom; versi titik koma memakai BOM agar "
                 "Excel membaca huruf dengan benar. Kode wilayah ditulis `ID.53.10` dan periode `2025-01` atau "
                 "`2025-01/2025-12` agar tidak dibaca sebagai angka. Sel tersembunyi: `suppressed` = true dan "
                 "nilai-nilainya kosong. Sumber dan lisensi ada di `datapackage.json` dan README.",
                 "CSV per RFC 4180, UTF-8, the first line is the header; the semicolon flavour carries a BOM so that "
                 "Excel reads the letters right. Region codes are written `ID.53.10` and periods `2025-01` or "
                 "`2025-01/2025-12` so that no reader takes them for numbers. Hidden cells: `suppressed` = true and "
                 "their values empty. Source and licence are in `datapackage.json` and the README."),
    # The two CSV flavours download under two names (one name for both: the second download overwrote the first).
    "csv_names": ("Nama berkas, misalnya tabel `{table}`: `{comma}` (koma) dan `{excel}` (titik koma, untuk Excel); "
                  "keduanya bisa diunduh tanpa saling menimpa.",
                  "File names, e.g. of table `{table}`: `{comma}` (comma) and `{excel}` (semicolon, for Excel); "
                  "download both and neither overwrites the other."),
    "col_rows": ("Baris", "Rows"),
    "earlier_table": ("Sel {table} dari rilis sebelumnya tahun ini (s.d. bulan rilis itu), persis seperti diterbitkan.",
                      "Cells of {table} from earlier releases this year (year to date), exactly as published."),
    "layers_title": ("Lapisan peta (GeoJSON)", "Map layers (GeoJSON)"),
    "bundle_title": ("Seluruh rilis", "The whole release"),
    "bundle_text": ("Satu zip, ditulis dan di-hash saat penerbitan: basis data terbitan, semua tabel sebagai CSV (dua "
                    "versi) dan Parquet, lapisan peta GeoJSON, `datapackage.json` (Frictionless Data Package: skema, "
                    "satuan, kunci, lisensi; bisa langsung dimuat portal CKAN seperti Satu Data Indonesia), README, "
                    "CITATION.cff dan `SHA256SUMS`. Setiap berkas punya alamat tetap per rilis.",
                    "One zip, written and hashed at publish time: the published database, every table as CSV (both "
                    "flavours) and Parquet, the GeoJSON map layers, `datapackage.json` (Frictionless Data Package: "
                    "schema, units, keys, licences; CKAN portals such as Satu Data Indonesia ingest it as it is), "
                    "README, CITATION.cff and `SHA256SUMS`. Every file has a stable path per release."),
    # Public text: what is missing and who can fix it, no command (operators read the README).
    "no_package": ("Berkas data terbuka rilis ini (CSV, Parquet, GeoJSON, zip) tidak tersedia di server ini: rilis "
                   "dibuka dari basis datanya saja, atau terbit sebelum berkas itu ditulis saat penerbitan. Pengelola "
                   "situs dapat menerbitkannya ulang. Angka di dasbor tetap dari rilis ini.",
                   "This release's open-data files (CSV, Parquet, GeoJSON, zip) are not on this server: the release "
                   "was opened from its database alone, or published before those files were written at publish "
                   "time. The site's operator can publish it again. The dashboard's figures are still this "
                   "release's."),
    "publisher_key": ("Rilis ini ditandatangani dengan kunci penerbit **`{fingerprint}`** (minisign, Ed25519). "
                      "Cocokkan ID kunci ini dengan yang dikutip penerbit di tempat lain, lalu periksa dengan alat "
                      "standar:",
                      "This release is signed with the publisher key **`{fingerprint}`** (minisign, Ed25519). Match "
                      "this key id with the one the publisher cites elsewhere, then check with standard tools:"),
    "unsigned": ("Rilis ini **tidak ditandatangani** (tidak ada kunci penerbit). Periksa isinya dengan:",
                 "This release is **unsigned** (no publisher key). Check its contents with:"),
    "download_zip": ("Unduh rilis (zip)", "Download the release (zip)"),
    "download_datapackage": ("Unduh datapackage.json", "Download datapackage.json"),
    "dictionary_title": ("Kamus data", "Data dictionary"),
    "col_column": ("Kolom", "Column"),
    # A phone's stacked outlook table: the figure each row gives (the last year, the projection, an interval).
    "col_figure": ("Angka", "Figure"),
    "col_unit": ("Satuan", "Unit"),
    "dictionary_columns": ("{table} ({n} kolom)", "{table} ({n} columns)"),
    "col_item": ("Butir", "Item"),
    "manifest_digests": ("SHA-256 manifest tiap rilis:", "Each release's manifest SHA-256:"),
    "methodology_title": ("Metodologi", "Methodology"),
    "methodology": (
        "**Apa yang diagregasi.** Setiap pembayaran bansos (PKH, Sembako/BPNT, BLT Dana Desa) dihitung per wilayah "
        "(nasional sampai desa/kelurahan), program, bulan atau setahun, dan kanal: keluarga penerima yang berbeda, "
        "transaksi menurut status (disalurkan, gagal, retur, tertunda, terlambat) dan Rupiah yang disalurkan. "
        "Pengaduan, usul/sanggah dan tanda kualitas data dihitung dari tingkat kecamatan ke atas.\n\n"
        "**Ambang.** Sel dengan 1 sampai {below} keluarga disembunyikan (ambang {threshold}); nol tetap "
        "diterbitkan.\n\n"
        "**Mengapa ada sel lain yang disembunyikan.** Angka yang tersembunyi bisa dihitung balik dari selisih "
        "(misalnya kabupaten dikurangi kecamatan lain). Karena itu sel lain ikut disembunyikan sampai serangan "
        "program linear terhadap tabel yang diterbitkan tidak bisa lagi mempersempit nilai tersembunyi. Sel "
        "tersembunyi tidak pernah ditampilkan sebagai nol dan tidak diberi peringkat. Batas yang belum tertutup: "
        "jumlah keluarga dihitung tanpa ganda, sehingga selisih dua angka keluarga yang diterbitkan untuk kelompok "
        "yang satu berada di dalam yang lain (setahun dan satu bulan, semua program dan satu program) bisa berupa "
        "angka kecil; perlindungan untuk selisih seperti itu sedang dikerjakan. Karena itu pula jumlah keluarga "
        "sasaran yang dibayar tidak diterbitkan: selisihnya dengan keluarga sasaran dan dengan penerima adalah "
        "kelompok kecil di kebanyakan desa.\n\n"
        "**Rentang nilai tersembunyi.** Di samping keluarga penerima, Rupiah, pengaduan dan tanda kualitas data "
        "yang disembunyikan diterbitkan rentang tempat nilainya pasti berada, dihitung hanya dari angka yang "
        "diterbitkan (program linear atas relasi antarsel tabel: rentang tersempit yang bisa dihitung pembaca; pada "
        "sedikit sel di kelompok yang sangat besar, propagasi batas yang lebih lebar). Siapa pun bisa menghitungnya "
        "sendiri, jadi rentang itu tidak membuka apa pun, dan perlindungan menjamin rentang itu tidak pernah lebih "
        "sempit dari yang disyaratkan.\n\n"
        "**Penerima per keluarga sasaran** = keluarga penerima ÷ keluarga sasaran (keluarga dengan desil "
        "kesejahteraan dalam target program), untuk satu program dan setahun. Angka 80% berarti penerima sebanyak "
        "empat dari lima keluarga sasaran; penerima di luar sasaran ikut terhitung, sehingga angkanya bisa di atas "
        "100%.",
        "**What is aggregated.** Every social-assistance payment (PKH, Sembako/BPNT, BLT Dana Desa) is counted per "
        "region (national down to desa/kelurahan), program, month or whole year, and channel: distinct recipient "
        "households, payments by status (paid, failed, returned, pending, late) and Rupiah paid. Complaints, "
        "usul/sanggah and data-quality flags are counted from kecamatan level up.\n\n"
        "**Threshold.** Cells with 1 to {below} households are hidden (threshold {threshold}); zero is published.\n\n"
        "**Why other cells are hidden too.** A hidden figure could be worked out by subtraction (a kabupaten minus "
        "its other kecamatan, say). So further cells are hidden until a linear-programming attack on the published "
        "tables can no longer narrow any hidden value down. Hidden cells never show as zero and are never ranked. "
        "A limit not yet closed: households are counted once each, so the difference of two published household "
        "counts of groups one inside the other (a year and one month, all programs and one) can be a small number; "
        "protection for such differences is in progress. For the same reason the number of eligible households "
        "paid is not published: its differences from the eligible and from the recipients are small groups in "
        "most desa."
        "\n\n**The range of a hidden value.** Beside hidden recipients, Rupiah, complaints and data-quality counts "
        "the release publishes the range the value must lie in, worked out from the published figures alone (a "
        "linear program over the table's relations: the narrowest range a reader can compute; for a few cells of "
        "very large groups, the wider range of bound propagation). Anyone can compute it, so it reveals nothing, "
        "and the protection makes sure it is never narrower than required."
        "\n\n**Recipients per eligible household** = recipient households ÷ eligible households (households "
        "whose welfare decile is within the program's target), for one program and the whole year. 80% means as "
        "many recipients as four in five eligible households; households paid outside the target count too, so it "
        "can exceed 100%."),
    "history_title": ("Riwayat rilis", "Release history"),
    "col_release": ("Rilis", "Release"),
    "col_date": ("Tanggal", "Date"),
    "col_covers": ("Periode data", "Period covered"),
    "col_changelog": ("Perubahan", "Changes"),
    "col_manifest": ("SHA-256 manifest", "Manifest SHA-256"),
    "col_chain": ("Tersambung ke rilis sebelumnya", "Chained to the previous release"),
    "log_first": ("Rilis pertama yang disimpan: data s.d. {through}.", "First kept release: data through {through}."),
    "log_months": ("Data diperpanjang dari {old} ke {new}; sel tersembunyi {before} → {hidden}.",
                   "Data extended from {old} to {new}; hidden cells {before} → {hidden}."),
    "log_same": ("Periode sama, diterbitkan ulang; sel tersembunyi {before} → {hidden}.",
                 "Same period, published again; hidden cells {before} → {hidden}."),
    "open_release": ("Buka rilis {release}", "Open release {release}"),
    "chain_title": ("Rantai hash: bukti rilis tidak diubah", "Hash chain: proof a release was not altered"),
    "chain_text": (
        "Setiap rilis menulis manifest berisi SHA-256 setiap berkasnya dan SHA-256 manifest rilis sebelumnya. Mengubah "
        "satu byte rilis lama mengubah hash-nya dan memutus rantai. Catat SHA-256 manifest saat mengutip data; "
        "periksa unduhan Anda dengan:",
        "Each release writes a manifest with the SHA-256 of each of its files and the SHA-256 of the previous "
        "release's manifest. Changing one byte of an old release changes its hash and breaks the chain. Note the "
        "manifest SHA-256 when you cite the data; check your download with:"),
    "verify_now": ("Periksa berkas rilis sekarang", "Check the release files now"),
    "verify_ok": ("Utuh: rilis {release}, {files} berkas ({bytes} bita) cocok dengan manifest-nya; rantai hash "
                  "{releases} rilis ({chain}) utuh{before}; SHA-256 manifest {digest}",
                  "Intact: release {release}, {files} file(s) ({bytes} bytes) match their manifests; hash chain of "
                  "{releases} release(s) ({chain}) intact{before}; manifest SHA-256 {digest}"),
    "verify_before": (", tersambung ke rilis sebelumnya {release}", ", chained to earlier release {release}"),
    "verify_bad": ("Tidak utuh: {line} (dan {more} masalah lain)", "Not intact: {line} (and {more} more problem(s))"),
    "verify_no_manifest": ("tidak ada manifest rilis", "no release manifest found"),
    "no_manifest": ("Rilis ini tidak punya manifest (dibuka langsung dari satu berkas).",
                    "This release has no manifest (opened straight from a single file)."),
    # release pinning, sharing, embedding, export
    "pinned_banner": ("Anda melihat rilis {release} (dipatok oleh tautan). Ada rilis yang lebih baru: {newest}.",
                      "You are looking at release {release} (pinned by the link). A newer release exists: {newest}."),
    "show_newest": ("Tampilkan rilis terbaru", "Show the newest release"),
    "release_gone": ("Rilis \"{release}\" tidak (lagi) disimpan; menampilkan rilis terbaru.",
                     "Release \"{release}\" is not kept (any more); showing the newest release."),
    "share_title": ("Bagikan, sematkan, unduh", "Share, embed, download"),
    "share_latest": ("Tautan (selalu rilis terbaru)", "Link (always the newest release)"),
    "share_pinned": ("Tautan yang dipatok ke rilis {release} (angkanya tidak akan berubah)",
                     "Link pinned to release {release} (its figures will not change)"),
    "embed_snippet": ("Kode sematan (iframe) untuk situs atau bahan paparan",
                      "Embed code (iframe) for a website or a briefing"),
    "download_csv": ("Unduh yang terlihat (CSV)", "Download what I see (CSV)"),
    "download_png": ("Unduh gambar (PNG)", "Download image (PNG)"),
    "download_svg": ("Unduh gambar (SVG)", "Download image (SVG)"),
    "image_unavailable": ("Ekspor gambar tidak tersedia: {reason}", "Image export is unavailable: {reason}"),
    "embed_full_view": ("Lihat selengkapnya di Bansos Terbuka ↗", "See the full view on Bansos Terbuka ↗"),
    # After the source line, which names the release already.
    "embed_released": ("dirilis {date}; data s.d. {through}.", "released {date}; data through {through}."),
    "source_line": ("Sumber: bansos-terbuka, rilis {release}, CC BY 4.0", "Source: bansos-terbuka, release {release}, "
                    "CC BY 4.0"),
    # first run
    "build_title": ("Menyiapkan data demo", "Preparing the demo data"),
    # Measured: 10.5 minutes on an idle 2-core machine (2026-12-05), 19.4 nearly idle (2026-12-06), 28-29 on a busy
    # one (2026-12-05, 2026-12-06) (README, Dashboard). The elapsed time under the bar says the rest.
    "build_intro": ("Belum ada rilis data yang diterbitkan. Dasbor membuat data demo sintetis (DI Yogyakarta dan "
                    "Nusa Tenggara Timur, empat tahun) sekali saja: biasanya 15-30 menit, lebih lama bila server "
                    "sibuk. Menutup halaman ini tidak menghentikannya; halaman ini beralih ke dasbor begitu data siap.",
                    "No published release yet. The dashboard builds a synthetic demo (DI Yogyakarta and Nusa "
                    "Tenggara Timur, four years) once: usually 15-30 minutes, longer on a busy server. Closing "
                    "this page does not stop it; this page switches to the dashboard as soon as the data is ready."),
    # Written in the language it leads to: a reader who cannot read this one finds it.
    "build_in_other": ("Halaman ini dalam Bahasa Indonesia", "This page in English"),
    "build_step": ("Langkah {number} dari {total} · {name}", "Step {number} of {total} · {name}"),
    "build_elapsed": ("Sudah berjalan {minutes} menit {seconds} detik", "Running for {minutes} min {seconds} s"),
    # Public text names no command: operators read commands in the README and the server log.
    "build_failed": ("Data demo gagal dibuat pada tahap \"{stage}\". Pengelola situs dapat membaca rinciannya di "
                     "log server.",
                     "Building the demo data failed at stage \"{stage}\". The site's operator can read the details "
                     "in the server log."),
    "build_stopped": ("Pembuatan data demo terhenti sebelum selesai (server dihentikan). Muat ulang halaman untuk "
                      "memulainya lagi.",
                      "Building the demo data stopped before it finished (the server was stopped). Reload the page "
                      "to start it again."),
    "build_blocked": ("Belum ada rilis data yang diterbitkan. Data demo tidak dibuat karena server sudah menyimpan "
                      "data (rilis atau data mentah yang dimasukkan) yang tidak boleh ditimpa; pengelola situs perlu "
                      "menerbitkan rilis.",
                      "No published release yet. The demo is not built because the server already holds data (a "
                      "release or ingested raw data) that must not be replaced; the site's operator needs to publish "
                      "a release."),
    "build_done": ("Data demo siap.", "Demo data ready."),
    "db_unreadable": ("Basis data terbitan di {path} tidak bisa dibuka: {reason}.",
                      "The published database at {path} cannot be opened: {reason}."),
    "stage_generate": ("membuat data pembayaran sintetis", "generating synthetic payment records"),
    "stage_starting": ("memulai", "starting"),
    "step_generate": ("Data mentah", "Raw data"),
    "step_publish": ("Penerbitan", "Publishing"),
    # The publisher's numbered stages (`[n/5] ...` on its stderr), by number.
    "stage_publish_1": ("menjumlahkan per wilayah dan menyembunyikan angka kecil",
                        "adding up per region and hiding small numbers"),
    # Inside stage 1, as each year's protection ends (`year 2023 protected (2 of 4)`).
    "stage_publish_year": ("menyembunyikan angka kecil — tahun {year} selesai ({done} dari {total})",
                           "hiding small numbers — {year} done ({done} of {total})"),
    # Between those lines, every year in protection at once (years are protected side by side): the head, then one
    # part per year.
    "stage_publish_years": ("menyembunyikan angka kecil agar tak satu keluarga pun bisa dikenali ({done} dari "
                            "{total} tahun selesai)",
                            "hiding small numbers so that no household can be singled out ({done} of {total} years "
                            "done)"),
    # Under the bar, per year: the table being worked on and its round of checks (no total: a table takes as many
    # rounds as its hidden values need).
    "stage_year_table": ("tahun {year}: mengerjakan tabel ke-{table} dari {total}",
                         "{year}: working on table {table} of {total}"),
    "stage_year_round": ("tahun {year}: mengerjakan tabel ke-{table} dari {total}, putaran pemeriksaan ke-{step}",
                         "{year}: working on table {table} of {total}, round of checks {step}"),
    "stage_year_tables": ("tahun {year}: {done} dari {total} tabel selesai", "{year}: {done} of {total} tables done"),
    "stage_publish_2": ("menulis rilis dan batas wilayah", "writing the release and its boundaries"),
    "stage_publish_3": ("memeriksa ulang rilis hanya dari angka yang diterbitkan",
                        "checking the release again from its published figures alone"),
    "stage_publish_4": ("menulis paket data terbuka (CSV, Parquet, GeoJSON, paket data, zip)",
                        "writing the open-data package (CSV, Parquet, GeoJSON, data package, zip)"),
    "stage_publish_5": ("menandatangani dan memasang rilis baru", "signing and swapping the new release in"),
    "embed_image": ("Gambar statis (PNG/SVG) untuk bahan paparan: unduh dari tombol di bawah grafik.",
                    "A static image (PNG/SVG) for slides: download it with the buttons under the chart."),
    "embed_image_link": ("Tautan gambar statis (PNG) untuk bahan paparan", "Static image link (PNG) for slides"),
}

#: Kinds of region as shown in labels.
KINDS: dict[str, tuple[str, str]] = {
    "nasional": ("Nasional", "National"), "provinsi": ("Provinsi", "Province"),
    "kabupaten": ("Kabupaten", "Regency"), "kota": ("Kota", "City"), "kecamatan": ("Kecamatan", "District"),
    "distrik": ("Distrik", "District"), "desa": ("Desa", "Village"), "kelurahan": ("Kelurahan", "Urban village"),
    "desa_adat": ("Desa adat", "Customary village"),
}
#: Complaint categories (published codes) as shown.
CATEGORIES: dict[str, tuple[str, str]] = {
    "SEMUA": ("Semua kategori", "All categories"), "tidak_terdaftar": ("Tidak terdaftar", "Not registered"),
    "salah_sasaran": ("Salah sasaran", "Wrong target"),
    "dana_belum_diterima": ("Dana belum diterima", "Money not received"),
    "potongan_liar": ("Potongan liar", "Illegal deductions"),
    "data_tidak_sesuai": ("Data tidak sesuai", "Data mismatch"),
    "lainnya": ("Lainnya", "Other"),
}
#: Units the data dictionary writes in Bahasa Indonesia alone (most are written "keluarga / households").
UNITS: dict[str, tuple[str, str]] = {"desil": ("desil", "decile")}
#: Levels as a heading or a choice names them. English running text says "kabupaten/kota", "kecamatan" and
#: "desa/kelurahan" (the outlook, the publication notes), so English names carry that word ("Kabupaten/kota": an
#: English pair beside it, "Regencies/cities (kabupaten/kota)", was cut in the map's level select at 1280 px).
LEVELS: dict[str, tuple[str, str]] = {
    "nasional": ("Nasional", "National"), "provinsi": ("Provinsi", "Provinces"),
    "kabupaten": ("Kabupaten/kota", "Kabupaten/kota"),
    "kecamatan": ("Kecamatan", "Districts (kecamatan)"),
    "desa": ("Desa/kelurahan", "Villages (desa/kelurahan)"),
}


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang`, with `{placeholders}` filled."""
    text = TEXT[key][0 if lang == "id" else 1]
    return text.format(**values) if values else text


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0 if lang == "id" else 1]


def is_missing(value: object) -> bool:
    """True for None, NaN and pandas' NA (a scalar)."""
    return value is None or bool(pd.isna(value))


def format_int(value: float | int, lang: str) -> str:
    """12.345 (id) or 12,345 (en)."""
    text = f"{round(value):,}"
    return text.replace(",", ".") if lang == "id" else text


def format_decimal(value: float, lang: str, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_percent(value: float, lang: str, digits: int = 1) -> str:
    """A share 0-1 as 87,5% (id) or 87.5% (en)."""
    return f"{format_decimal(value * 100, lang, digits)}%"


#: Scales of compact Rupiah, largest first: (size, Indonesian unit, English unit). English never writes "M", which is
#: miliar (billion) in Indonesian ("Rp742 M"), so that a figure copied from one language's page into the other's text
#: is never read 1,000 times off (a new user's walk read "Rp742 M" and "Rp149M" side by side).
_RUPIAH_SCALES = ((1e12, "T", "tn"), (1e9, "M", "bn"), (1e6, "jt", "mn"), (1e3, "rb", "k"))
_EN_SCALES = tuple((scale, unit_en) for scale, _, unit_en in _RUPIAH_SCALES)
#: Between a compact Rupiah figure and its unit in Bahasa Indonesia ("Rp1,18 T"): a no-break space, so the unit never
#: wraps onto a line of its own (a metric showed "Rp1.18" over "T"). English writes the unit close up ("Rp1.18tn"),
#: as English financial text does.
UNIT_SPACE = "\u00a0"


def format_rupiah(value: float, lang: str, short: bool = True) -> str:
    """Rupiah as every figure on the dashboard shows it (one rule): three significant digits with the scale's unit,
    Rp1,32 T / Rp1.32tn, Rp30,0 M / Rp30.0bn, Rp987 jt / Rp987mn (one decimal printed Rp30,04 M as "Rp30 M"
    beside "Rp30,8 M", and the outlook's three digits beside the profile's one decimal); full Rp1.234.567 /
    Rp1,234,567 when not short."""
    if not short:
        return lokal.format_rupiah(round(value)) if lang == "id" else f"Rp{round(value):,}"
    return format_rupiah_digits(value, lang)


def format_rupiah_tick(value: float, lang: str) -> str:
    """An axis tick's label: ticks are round by construction (Rp30 M, Rp2,5 M), a scale mark rather than a figure, so
    they read as short as they are."""
    if lang == "id":
        return lokal.format_rupiah_short(round(value)).replace(" ", UNIT_SPACE)
    for scale, suffix in _EN_SCALES:
        if abs(value) >= scale:
            return f"Rp{value / scale:,.1f}".removesuffix(".0") + suffix
    return f"Rp{round(value):,}"


def format_rupiah_digits(value: float, lang: str, digits: int = 3) -> str:
    """Rupiah in `digits` significant digits with the scale's unit: Rp1,32 T / Rp1.32tn, Rp987 jt / Rp987mn. Three
    digits read a projection and its bounds apart, where one decimal printed two different bounds alike (Rp1,3 T
    and Rp1,3 T)."""
    # Rounded first, so that 999,96 jt reads as Rp1,00 M rather than Rp1.000 jt.
    size = float(f"{abs(value):.{digits}g}")
    sign = "-" if value < 0 and size > 0 else ""
    for scale, unit_id, unit_en in _RUPIAH_SCALES:
        if size >= scale:
            scaled = size / scale
            places = max(digits - len(str(int(scaled))), 0)
            unit = UNIT_SPACE + unit_id if lang == "id" else unit_en
            return f"{sign}Rp{format_decimal(scaled, lang, places)}{unit}"
    return f"{sign}Rp{format_int(abs(value), lang)}"


def format_period(period: str, lang: str) -> str:
    """'2025-10' -> 'Oktober 2025' / 'October 2025'; '2025' -> 'Setahun 2025' / 'Whole year 2025'."""
    if len(period) == 4:
        return t("whole_year", lang, year=period)
    year, month = period.split("-")
    return f"{MONTHS[lang][int(month) - 1]} {year}"


def format_month_short(period: str, lang: str) -> str:
    """'2025-10' -> 'Okt 2025' / 'Oct 2025' for chart axes."""
    year, month = period.split("-")
    return f"{MONTHS[lang][int(month) - 1][:3]} {year}"


def format_date(iso: str, lang: str) -> str:
    """'2025-11-03T...' -> '3 November 2025' / '3 November 2025'."""
    year, month, day = iso[:10].split("-")
    return f"{int(day)} {MONTHS[lang][int(month) - 1]} {year}"


def hidden_label(lang: str, threshold: int | None = None) -> str:
    """The one neutral label of every hidden cell. It does not depend on the threshold on purpose (`threshold` is
    accepted for callers only): a hidden cell may be large, hidden to protect a small one."""
    return t("hidden", lang)


def hidden_range_label(lang: str, low: str, high: str, exact: bool = False) -> str:
    """'disembunyikan (antara 180 dan 260 keluarga)': a hidden value with its published range, both ends as shown.
    A range of one value (`exact`: its ends are equal) is a cell hidden only to protect others whose value the
    published figures give anyway (the audit lets such a cell be pinned: it is shown not to be small); it says
    so rather than "between 498 and 498". Ends that only look equal once rounded read "about"."""
    if exact:
        return t("hidden_derivable", lang, value=low)
    if low == high:
        return t("hidden_about", lang, value=low)
    return t("hidden_between", lang, low=low, high=high)


def is_hidden_label(text: str, lang: str) -> bool:
    """Whether a shown value is the hidden label, with or without its range."""
    return text == t("hidden", lang) or text.startswith((t("hidden", lang) + " (", t("hidden", lang) + ","))


def hidden_note(lang: str, threshold: int) -> str:
    """The sentences that say why cells are hidden and what a hidden value's range is, shown wherever hidden cells
    are."""
    return f'{t("hidden_why_short", lang, threshold=threshold)} {t("hidden_range_note", lang)}'


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&@=\"'^%/])")
#: Where GitHub-flavoured markdown would turn plain text into a link (`https:`, `www.`, `name@host`): it finds them
#: after backslash escapes are resolved, so an invisible word joiner (U+2060) is put inside each.
_AUTOLINK = re.compile(r"(?i)(?<=h)(?=ttps?:)|(?<=w)(?=ww\.)|(?=@)")
WORD_JOINER = "\u2060"
ECHO_LIMIT = 80


def escape(text: object, limit: int = ECHO_LIMIT) -> str:
    """Text from the URL, safe inside Streamlit markdown: at most `limit` characters (then "…"), one line, every
    punctuation mark backslash-escaped, so no link, image, code span, HTML, LaTeX or emoji shortcode can form, and
    bare URLs and e-mail addresses broken by a word joiner so they do not become links either."""
    one_line = " ".join(str(text).split())
    if len(one_line) > limit:
        one_line = one_line[:limit] + "…"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, one_line))


#: Kabupaten and kota names carry their kind in Bahasa Indonesia ("Kabupaten Sleman"); English puts it after.
_KIND_PREFIX = {"kabupaten": ("Kabupaten ", "Regency"), "kota": ("Kota ", "City")}
#: Short program names for labels ("Cakupan keluarga sasaran (BLT Dana Desa)"): never the table code.
PROGRAM_SHORT: dict[str, tuple[str, str]] = {
    "SEMUA": ("Semua program", "All programs"), "PKH": ("PKH", "PKH"), "SEMBAKO": ("Sembako", "Sembako"),
    "BLT_DD": ("BLT Dana Desa", "BLT Dana Desa")}


def names_its_kind(kind: str | None) -> bool:
    """Whether a region's name carries its kind ('Kabupaten Sleman', 'Kota Kupang')."""
    return (kind or "") in _KIND_PREFIX


def region_name(name: str, kind: str | None, lang: str) -> str:
    """'Kabupaten Sleman' (id) / 'Sleman Regency' (en); other names as they are."""
    prefix, suffix = _KIND_PREFIX.get(kind or "", ("", ""))
    if lang == "en" and prefix and str(name).startswith(prefix):
        return f"{str(name)[len(prefix):]} {suffix}"
    return str(name)


def region_label(name: str, kind: str | None, level: str, lang: str) -> str:
    """A region named with its kind, one convention per language at every level: the kind first in Bahasa Indonesia
    ('Provinsi DI Yogyakarta', 'Kabupaten Sleman', 'Kecamatan Mlati', 'Desa Sinduadi'), after the name in English
    ('DI Yogyakarta Province', 'Sleman Regency', 'Mlati District', 'Sinduadi Village'): English mixed 'Village
    Sinduadi' with 'Sleman Regency'. Kabupaten and kota names carry their kind already."""
    if level == "nasional":
        return t("national", lang)
    if kind in _KIND_PREFIX:
        return region_name(name, kind, lang)
    word = region_kind(kind or level, lang)
    return f"{word} {name}" if lang == "id" else f"{name} {word.title()}"


def program_short(code: str, lang: str) -> str:
    return pick(PROGRAM_SHORT.get(code, (code, code)), lang)


def region_kind(kind: str, lang: str) -> str:
    return pick(KINDS.get(kind, (kind, kind)), lang)


#: One region of a level, as a picker's label.
LEVEL_ONE: dict[str, tuple[str, str]] = {
    "provinsi": ("Provinsi", "Province"), "kabupaten": ("Kabupaten/kota", "Kabupaten/kota"),
    "kecamatan": ("Kecamatan", "District (kecamatan)"), "desa": ("Desa/kelurahan", "Village (desa/kelurahan)"),
}


def level_name(level: str, lang: str) -> str:
    return pick(LEVELS[level], lang)
