"""The data dictionary of the published database: every table and column, in Bahasa Indonesia and English."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    name: str
    unit: str
    id: str
    en: str


@dataclass(frozen=True)
class Table:
    name: str
    id: str
    en: str
    columns: tuple[Column, ...]


_SUPPRESSED = Column(
    "suppressed", "", "Benar bila sel disembunyikan: semua nilainya kosong (NULL).",
    "True when the cell is hidden: all its values are empty (NULL).")
_REGION = (
    Column("region_code", "", "Kode wilayah Kemendagri (ID = nasional).", "Kemendagri region code (ID = national)."),
    Column("level", "", "Tingkat wilayah: nasional, provinsi, kabupaten, kecamatan, desa.",
           "Region level: nasional, provinsi, kabupaten, kecamatan, desa."),
)
_PERIOD = Column("period", "", "Bulan (YYYY-MM) atau seluruh tahun (YYYY).",
                 "Month (YYYY-MM) or the whole year (YYYY).")
#: Where payment counts by status are published (anonymize.tables.STATUS_COUNTS: tiny in small areas); empty
#: elsewhere, in published cells too.
_STATUS_ID = (" Hanya untuk kecamatan (setahun) dan kabupaten/kota ke atas (per bulan dan setahun), kanal SEMUA; "
              "kosong untuk desa dan per kanal, juga di sel yang tidak disembunyikan.")
_STATUS_EN = (" Only for kecamatan (whole year) and kabupaten/kota and up (by month and year), channel SEMUA; empty "
              "for a desa and per channel, in cells that are not hidden too.")
#: A desa's all-programs payments and Rupiah (published_schema.PROGRAM_SUM_MEASURES).
_SUM_ID = (" Untuk desa, program SEMUA hanya berisi jumlah program-programnya dan kosong bila salah satu program "
           "desa itu disembunyikan (sel itu sendiri tidak disembunyikan: keluarga penerimanya tetap terbit; "
           "rentang nilai yang kosong ada di amount_lower dan amount_upper).")
_SUM_EN = (" For a desa, program SEMUA holds only the sum of its programs, and is empty where one of the desa's "
           "programs is hidden (the cell itself is not hidden: its recipient households are still published; an "
           "empty Rupiah's range is in amount_lower and amount_upper).")

#: Rings as the maps draw them (pydeck ignores winding); the GeoJSON files are turned to RFC 7946's winding.
_POLYGON = Column(
    "polygon", "JSON [[lon, lat], ...] (EPSG:4326)",
    "Cincin poligon bagian ini (urutan titik apa adanya). Berkas GeoJSON rilis mengikuti RFC 7946: cincin luar "
    "berlawanan arah jarum jam, lubang searah; d3-geo memerlukan kebalikannya (d3.geoRewind).",
    "The rings of this part's polygon (points in stored order). The release's GeoJSON files follow RFC 7946: "
    "exterior rings counter-clockwise, holes clockwise; d3-geo needs the opposite (d3.geoRewind).")
_LEVEL_CODE = (Column("level", "", "Tingkat wilayah.", "Region level."),
               Column("code", "", "Kode wilayah.", "Region code."))



def _range(measure: str, unit: str, what_id: str, what_en: str) -> tuple[Column, Column]:
    """A hidden value's published range (anonymize.ranges): the two columns and what they mean."""
    why_id = ("dihitung hanya dari angka yang diterbitkan (siapa pun bisa menghitungnya), tanpa nilai sebenarnya; "
              "kosong bila nilainya diterbitkan.")
    why_en = ("worked out from the published figures alone (anyone can compute it), never from the true value; "
              "empty when the value is published.")
    return (Column(f"{measure}_lower", unit, f"Batas bawah {what_id} bila disembunyikan (sel "
                   f"tersembunyi, atau nilai yang dikosongkan): {why_id}",
                   f"Lower end of the {what_en} where hidden (a hidden cell, or a value left empty): {why_en}"),
            Column(f"{measure}_upper", unit, f"Batas atas {what_id} bila disembunyikan (sel "
                   f"tersembunyi, atau nilai yang dikosongkan): {why_id}",
                   f"Upper end of the {what_en} where hidden (a hidden cell, or a value left empty): {why_en}"))


TABLES = (
    Table("disbursement_cells",
          "Penyaluran bansos per wilayah, program, periode dan kanal. Sel dengan kurang dari ambang keluarga "
          "disembunyikan, beserta sel lain yang diperlukan agar nilainya tidak bisa dihitung balik. Rincian "
          "diterbitkan hanya di tingkat yang masih berguna setelah penyembunyian: desa hanya setahun, dan baru "
          "setelah tahunnya lengkap (rilis sampai Desember; angka berjalan dua rilis akan membuka bulan-bulan di "
          "antaranya lewat selisih); bulanan "
          "dari kecamatan ke atas; kanal dan status pembayaran (gagal, retur, tertunda, terlambat) dari "
          "kabupaten/kota ke atas. Di tingkat yang lebih rendah, hampir setiap rincian akan disembunyikan dan "
          "setiap sel yang diterbitkan menambah cara menghitung balik sel lain.",
          "Social-assistance payments by region, program, period and channel. Cells with fewer households than "
          "the threshold are hidden, together with other cells needed so that they cannot be worked out. "
          "Breakdowns are published only at the levels where they stay useful after suppression: desa for the "
          "whole year only, and only once the year is complete (the release through December: two releases' "
          "running totals would give the months between by subtraction); months from kecamatan up; channels "
          "and payment statuses (failed, returned, pending, "
          "late) from kabupaten/kota up. Below that nearly every breakdown would be hidden, and each published "
          "cell adds a way to work out others.",
          (*_REGION,
           Column("program", "", "PKH, SEMBAKO, BLT_DD, atau SEMUA (semua program).",
                  "PKH, SEMBAKO, BLT_DD, or SEMUA (all programs)."),
           _PERIOD,
           Column("channel", "", "Kanal penyaluran (BRI, BNI, MANDIRI, BTN, BSI, POS, LAINNYA) atau SEMUA. "
                  "Rincian kanal hanya sampai tingkat kabupaten/kota.",
                  "Payment channel (BRI, BNI, MANDIRI, BTN, BSI, POS, LAINNYA) or SEMUA. Channels are broken "
                  "down from kabupaten/kota level up only."),
           _SUPPRESSED,
           Column("recipients", "keluarga / households",
                  "Keluarga penerima: keluarga berbeda yang menerima minimal satu pembayaran. Karena dihitung "
                  "unik, selisih dua angka yang diterbitkan (setahun dan salah satu bulannya, semua program dan "
                  "satu program, setahun dan angka berjalan rilis sebelumnya) adalah banyaknya keluarga yang ada "
                  "di satu dan tidak di yang lain. Selisih itu bisa kecil dan tidak disembunyikan: ambang berlaku "
                  "untuk sel, bukan untuk selisih dua sel yang diterbitkan.",
                  "Recipient households: distinct households paid at least once. Being distinct counts, the "
                  "difference of two published ones (a year and one of its months, all programs and one program, "
                  "the year and an earlier release's year-to-date) is the number of households in one and not in "
                  "the other. Such a difference can be small and is not hidden: the threshold applies to cells, not "
                  "to the difference of two published cells."),
           Column("eligible_households", "keluarga / households",
                  "Keluarga sasaran (desil dalam target program). Hanya untuk satu program, setahun, kanal SEMUA. "
                  "Berapa keluarga sasaran yang dibayar tidak diterbitkan: selisihnya dengan keluarga sasaran dan "
                  "dengan keluarga penerima adalah kelompok kecil di kebanyakan desa.",
                  "Eligible households (welfare decile within the program's target). Single program, whole year, "
                  "channel SEMUA only. How many eligible households were paid is not published: its differences "
                  "from the eligible and from the recipient households are small groups in most desa."),
           Column("registered_households", "keluarga / households",
                  "Keluarga terdaftar di DTSEN. Hanya program SEMUA, setahun, kanal SEMUA.",
                  "Households in the DTSEN registry. Program SEMUA, whole year, channel SEMUA only."),
           Column("payments", "transaksi / payments", "Semua transaksi terjadwal, apa pun statusnya." + _STATUS_ID,
                  "All scheduled payments, whatever their status." + _STATUS_EN),
           Column("paid_payments", "transaksi / payments", "Transaksi berstatus disalurkan." + _SUM_ID,
                  "Payments with status disalurkan (paid)." + _SUM_EN),
           Column("failed_payments", "transaksi / payments", "Transaksi gagal." + _STATUS_ID,
                  "Failed payments." + _STATUS_EN),
           Column("returned_payments", "transaksi / payments",
                  "Transaksi retur (dana kembali ke kas negara)." + _STATUS_ID,
                  "Returned payments (money went back to the treasury)." + _STATUS_EN),
           Column("pending_payments", "transaksi / payments", "Transaksi tertunda." + _STATUS_ID,
                  "Pending payments." + _STATUS_EN),
           Column("late_payments", "transaksi / payments",
                  "Transaksi disalurkan lebih dari batas hari setelah jadwal." + _STATUS_ID,
                  "Paid payments that arrived more than the allowed days after their schedule." + _STATUS_EN),
           Column("amount", "Rupiah", "Nilai yang disalurkan (transaksi disalurkan)." + _SUM_ID,
                  "Amount paid out (payments with status disalurkan)." + _SUM_EN),
           *_range("recipients", "keluarga / households", "keluarga penerima", "recipient households"),
           *_range("amount", "Rupiah", "nilai yang disalurkan", "amount paid out"))),
    Table("complaint_cells",
          "Pengaduan bansos per wilayah (kecamatan ke atas), kategori dan bulan diterima. Tingkat desa tidak "
          "diterbitkan: jumlahnya terlalu kecil sehingga hampir semuanya akan disembunyikan. Sel kecamatan serta "
          "sel kabupaten/kota per kategori hanya untuk setahun penuh, setelah tahunnya lengkap.",
          "Complaints about social assistance by region (kecamatan and up), category and month received. Desa "
          "level is not published: counts there are so small that nearly all would be hidden. Kecamatan cells and "
          "kabupaten/kota cells by category cover the complete year only, once it is complete.",
          (*_REGION,
           Column("category", "", "Kategori pengaduan, atau SEMUA.", "Complaint category, or SEMUA (all)."),
           _PERIOD, _SUPPRESSED,
           Column("complaints", "pengaduan / complaints", "Jumlah pengaduan.", "Number of complaints."),
           Column("baru", "pengaduan / complaints", "Berstatus baru.", "Status: new."),
           Column("diproses", "pengaduan / complaints", "Berstatus diproses.", "Status: in progress."),
           Column("selesai", "pengaduan / complaints", "Berstatus selesai.", "Status: resolved."),
           Column("ditolak", "pengaduan / complaints", "Berstatus ditolak.", "Status: rejected."),
           *_range("complaints", "pengaduan / complaints", "jumlah pengaduan", "number of complaints"))),
    Table("proposal_cells",
          "Usul (pengusulan keluarga) dan sanggah (keberatan atas penerima) per wilayah (kecamatan ke atas) dan "
          "bulan diajukan. Tingkat desa tidak diterbitkan karena jumlahnya kecil. Sel kecamatan serta sel "
          "kabupaten/kota per jenis hanya untuk setahun penuh, setelah tahunnya lengkap.",
          "Usul (proposals to add a household) and sanggah (objections to a recipient) by region (kecamatan and "
          "up) and month submitted. Desa level is not published because counts are small. Kecamatan cells and "
          "kabupaten/kota cells by kind cover the complete year only, once it is complete.",
          (*_REGION,
           Column("kind", "", "usul, sanggah, atau SEMUA.", "usul, sanggah, or SEMUA (both)."),
           _PERIOD, _SUPPRESSED,
           Column("proposals", "pengajuan / submissions", "Jumlah pengajuan.", "Number of submissions."),
           Column("diajukan", "pengajuan / submissions", "Berstatus diajukan.", "Status: submitted."),
           Column("diverifikasi", "pengajuan / submissions", "Berstatus diverifikasi.", "Status: verified."),
           Column("disetujui", "pengajuan / submissions", "Berstatus disetujui.", "Status: approved."),
           Column("ditolak", "pengajuan / submissions", "Berstatus ditolak.", "Status: rejected."),
           *_range("proposals", "pengajuan / submissions", "jumlah pengajuan", "number of submissions"))),
    Table("quality_cells",
          "Indikator kualitas data per wilayah (kecamatan ke atas) untuk setahun: NIK ganda di lebih dari satu "
          "desa, NIK tidak valid, penerima yang meninggal tetapi tetap dibayar, dan baris impor tahun itu yang "
          "dikarantina (baris yang bulannya tidak terbaca tidak dihitung). Tingkat desa tidak diterbitkan karena "
          "jumlahnya kecil. Diterbitkan sekali setahun, setelah tahunnya lengkap (rilis Desember): angka berjalan "
          "akan membuka keluarga yang baru ditandai di antara dua rilis lewat selisihnya. Pada data yang jarang, "
          "indikator yang angkanya tidak bisa dilindungi di suatu tingkat tidak diterbitkan di tingkat itu (tidak "
          "ada barisnya; nilainya bisa nol) dan mulai dari tingkat di atasnya; indikator yang jumlah nasionalnya "
          "kurang dari dua kali ambang (1 sampai 2 × ambang - 1) tidak diterbitkan di tingkat mana pun tahun itu.",
          "Data-quality indicators by region (kecamatan and up) for the year: NIK paid in more than one desa, "
          "invalid NIK, recipients paid after their death, and imported rows of the year quarantined (a row whose "
          "month could not be read is not counted). Desa level is not published because counts are small. "
          "Published once a year, when the year is complete (the December release): a running total would give "
          "away the households first flagged between two releases by subtraction. On sparse data, an indicator "
          "whose counts cannot be protected at a level is not published at that level (it has no rows there; its "
          "values may be zero) and starts at the level above; an indicator counting fewer than twice the threshold "
          "nationally (1 to 2 × threshold - 1) is published at no level that year.",
          (*_REGION,
           Column("indicator", "", "duplicate_nik, invalid_nik, deceased_paid, atau quarantined_rows.",
                  "duplicate_nik, invalid_nik, deceased_paid, or quarantined_rows."),
           _PERIOD, _SUPPRESSED,
           Column("households", "keluarga (baris untuk quarantined_rows) / households (rows for "
                  "quarantined_rows)", "Jumlah keluarga penerima (atau baris) dengan masalah ini.",
                  "Recipient households (or rows) with this problem."),
           *_range("households", "keluarga (baris untuk quarantined_rows) / households (rows for "
                   "quarantined_rows)", "jumlah keluarga (atau baris)", "number of households (or rows)"))),
    Table("regions", "Wilayah dalam rilis ini (Kepmendagri 300.2.2-2138/2025).",
          "Regions in this release (Kepmendagri 300.2.2-2138/2025).",
          (Column("code", "", "Kode wilayah.", "Region code."),
           Column("level", "", "Tingkat wilayah.", "Region level."),
           Column("name", "", "Nama wilayah.", "Region name."),
           Column("kind", "", "Jenis: provinsi, kabupaten, kota, kecamatan, distrik, desa, kelurahan, desa_adat.",
                  "Kind: provinsi, kabupaten, kota, kecamatan, distrik, desa, kelurahan, desa_adat."),
           Column("parent_code", "", "Kode wilayah induk.", "Parent region code."),
           Column("province_code", "", "Kode provinsi.", "Province code."),
           Column("kabupaten_code", "", "Kode kabupaten/kota.", "Kabupaten/kota code."),
           Column("kecamatan_code", "", "Kode kecamatan.", "Kecamatan code."))),
    Table("programs", "Program bansos dan aturan sasarannya.", "Assistance programs and their targeting rules.",
          (Column("code", "", "Kode program.", "Program code."),
           Column("name_id", "", "Nama (Bahasa Indonesia).", "Name (Bahasa Indonesia)."),
           Column("name_en", "", "Nama (Inggris).", "Name (English)."),
           Column("target_desil", "desil", "Keluarga sasaran: desil kesejahteraan sampai nilai ini.",
                  "Eligible households: welfare decile up to this value."),
           Column("desa_only", "", "Hanya di desa (bukan kelurahan).", "Desa only (not kelurahan)."))),
    Table("periods", "Periode dalam rilis ini, untuk setiap tahun yang dipublikasikan.",
          "Periods in this release, for every published year.",
          (Column("period", "", "YYYY-MM atau YYYY.", "YYYY-MM or YYYY."),
           Column("kind", "", "month atau year.", "month or year."),
           Column("year", "", "Tahun.", "Year."),
           Column("month", "", "Bulan (kosong untuk setahun).", "Month (empty for the whole year)."))),
    Table("desa_schedules",
          "Jadwal BLT Dana Desa setiap desa yang membayar, hanya bila penerbit menyalakan pengaturan ini (tidak "
          "secara bawaan, jadi tabel ini biasanya kosong; metadata rilis mencatatnya per tahun): semua "
          "pembayarannya Rp300 ribu (bulanan), "
          "semua Rp900 ribu (triwulanan), atau keduanya (kosong). Desa memilih jadwalnya sendiri dan biasanya tetap "
          "dari tahun ke tahun, jadi pembaca dapat mengetahuinya. Desa yang tidak tercantum tidak membayar apa pun "
          "dari program itu pada periode itu; sebelum Desember, baris tahun berjalan sampai bulan terakhir rilis.",
          "Each paying desa's BLT Dana Desa schedule, only where the publisher switched this setting on (not by "
          "default, so this table is usually empty; the release metadata records it per year): all payments "
          "Rp300k (monthly), all Rp900k "
          "(quarterly), or both (empty). A desa chooses its schedule and usually keeps it from year to year, so "
          "readers can know it. A desa not listed paid nothing of that program in that period; before December, "
          "the current year's rows run to the release's last month.",
          (Column("region_code", "", "Kode desa Kemendagri.", "Kemendagri desa code."),
           Column("program", "", "Kode program (BLT_DD).", "Program code (BLT_DD)."),
           Column("period", "", "Tahun (YYYY).", "Year (YYYY)."),
           Column("payment_size", "Rupiah",
                  "Besar setiap pembayaran: 300000 atau 900000; kosong bila desa membayar keduanya.",
                  "The size of every payment: 300000 or 900000; empty where the desa paid both."))),
    Table("release", "Satu baris tentang rilis ini: kapan, cakupan, aturan, dan hasil audit.",
          "One row about this release: when, coverage, rules and the audit result.",
          (Column("release_id", "", "Pengenal rilis.", "Release identifier."),
           Column("created_at", "UTC", "Waktu pembuatan.", "Creation time."),
           Column("data_year", "", "Tahun data terakhir (tahun-tahun sebelumnya: tabel `periods`).",
                  "Latest data year (earlier years: the `periods` table)."),
           Column("data_through", "", "Bulan terakhir data (YYYY-MM).", "Last month of data (YYYY-MM)."),
           Column("provinces", "", "Kode provinsi yang tercakup.", "Province codes covered."),
           Column("threshold", "keluarga / households", "Ambang penyembunyian.", "Suppression threshold."),
           Column("rules", "JSON", "Aturan pengendalian pengungkapan.", "Disclosure-control rules."),
           Column("sources", "JSON", "Sumber data mentah dan hash-nya (revised: berkas setiap rilis tahun ini yang "
                  "direvisi data susulan, per bulan rilis).", "Raw sources and their hashes (revised: the files of "
                  "each release of the year that late records revised, by the release's month)."),
           Column("tables", "JSON", "Tahun terakhir, per tabel: jumlah sel, sel tidak kosong, sel disembunyikan "
                  "(satu angka: mana yang kecil tidak dipublikasikan), porsi Rupiah tersembunyi (dibulatkan ke "
                  "0,1 poin persen).",
                  "Latest year, per table: cells, non-empty cells, hidden cells (one count: which were small is not "
                  "published), share of Rupiah hidden (rounded to 0.1 percentage point)."),
           Column("audit", "JSON", "Ringkasan audit serangan program linear.", "Summary of the LP attack audit."),
           Column("previous_release_id", "", "Rilis sebelumnya.", "Previous release."),
           Column("years", "JSON",
                  "Per tahun yang dipublikasikan: bulan terakhirnya, rilis yang menerbitkannya dalam bentuk ini, dan "
                  "angka per tabel seperti `tables`. Setiap tahun dilindungi sebagai tabel tersendiri; tahun yang "
                  "sudah lewat disalin tanpa perubahan ke setiap rilis berikutnya.",
                  "Per published year: its last month, the release that published it as it stands, and per-table "
                  "figures as in `tables`. Each year is protected as a table of its own; past years are copied "
                  "unchanged into every later release."))),
    Table("boundaries", "Batas wilayah untuk peta, disederhanakan sesuai anggaran ukuran per tingkat.",
          "Region boundaries for maps, simplified to each level's size budget.",
          (*_LEVEL_CODE,
           Column("part", "", "Nomor bagian (pulau) dari wilayah.", "Part (island) number of the region."),
           _POLYGON)),
    Table("boundaries_detail", "Batas wilayah yang lebih rinci untuk peta satu kabupaten/kota.",
          "More detailed region boundaries for the map of one kabupaten/kota.",
          (*_LEVEL_CODE,
           Column("part", "", "Nomor bagian (pulau) dari wilayah.", "Part (island) number of the region."),
           _POLYGON)),
    Table("boundary_centroids", "Titik tengah dan kotak batas setiap wilayah (untuk label dan zoom peta).",
          "Centre point and bounding box of every region (for map labels and zoom).",
          (*_LEVEL_CODE,
           Column("lon", "derajat / degrees", "Bujur titik tengah.", "Centre longitude."),
           Column("lat", "derajat / degrees", "Lintang titik tengah.", "Centre latitude."),
           Column("min_lon", "derajat / degrees", "Bujur minimum.", "Minimum longitude."),
           Column("min_lat", "derajat / degrees", "Lintang minimum.", "Minimum latitude."),
           Column("max_lon", "derajat / degrees", "Bujur maksimum.", "Maximum longitude."),
           Column("max_lat", "derajat / degrees", "Lintang maksimum.", "Maximum latitude."),
           Column("source", "", "Sumber batas wilayah ini (kolom kind di boundary_sources).",
                  "Where this region's boundary comes from (the kind column of boundary_sources)."))),
    Table("boundary_sources", "Sumber, lisensi dan atribusi batas wilayah per tingkat.",
          "Source, licence and attribution of the boundaries at each level.",
          (Column("level", "", "Tingkat wilayah.", "Region level."),
           Column("kind", "", "user, download, pack, atau illustrative.", "user, download, pack, or illustrative."),
           Column("name", "", "Nama sumber.", "Source name."),
           Column("licence", "", "Lisensi.", "Licence."),
           Column("attribution_id", "", "Atribusi (Bahasa Indonesia).", "Attribution (Bahasa Indonesia)."),
           Column("attribution_en", "", "Atribusi (Inggris).", "Attribution (English)."),
           Column("illustrative", "", "Benar bila batas ilustratif, bukan batas resmi.",
                  "True when the boundaries are illustrative, not official."),
           Column("built_at", "UTC", "Waktu dibangun.", "Build time."),
           Column("regions", "wilayah / regions", "Wilayah dengan bentuk.", "Regions with a shape."),
           Column("regions_without_shape", "wilayah / regions", "Wilayah tanpa bentuk.",
                  "Regions without a shape."))),
    Table("data_dictionary", "Kamus data ini.", "This data dictionary.",
          (Column("table_name", "", "Nama tabel.", "Table name."),
           Column("column_name", "", "Nama kolom (kosong untuk tabel).", "Column name (empty for the table)."),
           Column("unit", "", "Satuan.", "Unit."),
           Column("description_id", "", "Keterangan (Bahasa Indonesia).", "Description (Bahasa Indonesia)."),
           Column("description_en", "", "Keterangan (Inggris).", "Description (English)."))),
)


CELL_TABLE_NAMES = ("disbursement_cells", "complaint_cells", "proposal_cells", "quality_cells")


def earlier_tables() -> tuple[Table, ...]:
    """`<table>_earlier`: what earlier releases of the same year published, carried as they were."""
    tables = []
    for table in TABLES:
        if table.name not in CELL_TABLE_NAMES:
            continue
        columns = tuple(
            _earlier_period(table.name) if c.name == "period" else c for c in table.columns)
        tables.append(Table(
            f"{table.name}_earlier",
            f"Sel tahun berjalan dari rilis sebelumnya pada tahun yang sama, persis seperti diterbitkan (nilai dan "
            f"status disembunyikan tidak berubah), agar rilis ini bisa diaudit bersama yang sudah dipegang "
            f"pembaca. Sel yang dulu disembunyikan tetap disembunyikan. "
            f"{'' if table.name in _NOT_REVISED else _REVISED_ID}"
            f"Kolom seperti {table.name}; rentang sel tersembunyi dihitung dari semua angka rilis ini.",
            f"Year-to-date cells of earlier releases of the same year, exactly as published (values and hidden "
            f"flags unchanged), so that this release is audited together with what readers already hold. A cell "
            f"hidden then stays hidden now. {'' if table.name in _NOT_REVISED else _REVISED_EN}"
            f"Columns as in {table.name}; hidden cells' ranges are worked out from every figure of this release.",
            columns))
    return tuple(tables)


#: Tables whose published cells late records never revise (anonymize.build.revised_frames): their earlier cells stay
#: as published, and their dictionary says nothing of revisions.
_NOT_REVISED = frozenset({"complaint_cells", "proposal_cells"})
_REVISED_ID = ("Bila data susulan merevisi bulan yang sudah terbit, versi lama bulan itu dan revisinya (susulan) juga "
               "ada di sini (lihat kolom period). ")
_REVISED_EN = ("When late records revise months already published, the months' earlier versions and their revisions "
               "(the late records) are here too (see the period column). ")


def _earlier_period(table: str) -> Column:
    """The `period` column of `<table>_earlier`: year-to-date codes, and where late records revise the table, the
    codes of a month's versions and of its late records."""
    if table in _NOT_REVISED:
        return Column("period", "",
                      "Tahun berjalan s.d. bulan rilis sebelumnya (2025@10 = Januari-Oktober 2025). Tabel ini tidak "
                      "direvisi data susulan: angka yang sudah terbit tetap.",
                      "Year to date through an earlier release's month (2025@10 = January-October 2025). Late "
                      "records do not revise this table: published figures stay.")
    return Column("period", "",
                   "Tahun berjalan s.d. bulan rilis sebelumnya (2025@10 = Januari-Oktober 2025). Bila data "
                   "susulan (pembayaran yang datang terlambat) merevisi bulan-bulan yang sudah terbit: 2025-04@10 = "
                   "April 2025 seperti diterbitkan rilis s.d. Oktober; 2025-04+10 = pembayaran susulan April yang "
                   "datang setelah rilis itu, 2025+10 = semua pembayaran susulan Januari-Oktober. Angka bulan ini "
                   "= angka rilis itu + susulannya; susulan kecil (1 s.d. ambang-1 keluarga) disembunyikan; bila semua "
                   "susulan se-nasional kurang dari ambang keluarga, susulan itu ditahan dan terbit bersama susulan "
                   "berikutnya. Bila "
                   "rilis s.d. November merevisi lagi: 2025-04@11 = April seperti diterbitkan rilis s.d. November "
                   "(= 2025-04@10 + 2025-04+10), 2025-04+11 = susulan April setelah rilis itu; setiap versi tetap "
                   "ada.",
                   "Year to date through an earlier release's month (2025@10 = January-October 2025). When late "
                   "records (payments that arrived late) revise months already published: 2025-04@10 = April 2025 "
                   "as the release through October published it; 2025-04+10 = April's late records that arrived "
                   "after that release, 2025+10 = all late records of January-October. A month now = that "
                   "release's figure + its late records; a small revision (1 to threshold-1 households) is "
                   "hidden; when all late records nationally count fewer households than the threshold, they are "
                   "held back and published with the next late records. "
                   "When the release through November revises again: 2025-04@11 = April as that release published "
                   "it (= 2025-04@10 + 2025-04+10), 2025-04+11 = April's late records after it; every version "
                   "stays.")


def dictionary_frame(extra: tuple[Table, ...] = ()) -> pd.DataFrame:
    """One row per table (column_name empty) and per column."""
    rows = []
    for table in (*TABLES, *earlier_tables(), *extra):
        rows.append((table.name, "", "", table.id, table.en))
        rows.extend((table.name, c.name, c.unit, c.id, c.en) for c in table.columns)
    return pd.DataFrame(rows, columns=["table_name", "column_name", "unit", "description_id", "description_en"])
