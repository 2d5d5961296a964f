"""The vocabulary of real exports in one place: column names and header aliases, month names, and program, status and
channel aliases, as Kemensos, Dinsos and BPS exports write them."""

from __future__ import annotations

from settings import CHANNELS, STATUS_PAID, STATUSES

#: Canonical columns of an ingested row, in `disbursements` order.
FIELDS = ("nik", "name", "kk_number", "desa_code", "program", "period", "tahap", "amount", "channel",
          "status", "scheduled_date", "paid_date")
#: How each canonical column is called in Kemensos exports (and in messages).
LABELS = {
    "nik": "nik", "name": "nama", "kk_number": "no_kk", "desa_code": "kode_desa", "program": "program",
    "period": "periode", "tahap": "tahap", "amount": "nominal", "channel": "kanal", "status": "status",
    "scheduled_date": "tanggal_jadwal", "paid_date": "tanggal_salur",
}
#: Header names seen in exports, after `header_key` (lower case, `_` between words), beyond the
#: canonical name and its Bahasa Indonesia label (`LABELS`).
#: Kemendagri codes only: Open Data Jabar's `bps_kode_desa_kelurahan` (BPS numbering) is never one of them.
HEADER_ALIASES = {
    "nik": ("nik_penerima", "nik_kpm", "no_nik", "nomor_nik", "nomor_induk_kependudukan", "nik_pm",
            "nik_penerima_manfaat", "nik_ktp", "no_ktp"),
    "name": ("nama_penerima", "nama_kpm", "nama_lengkap", "nama_penerima_manfaat", "nama_pm", "nama_ktp",
             "nama_sesuai_ktp"),
    "kk_number": ("nomor_kk", "no_kartu_keluarga", "nomor_kartu_keluarga", "kk", "nkk", "no_kk_penerima",
                  "nomor_kk_penerima", "no_kk_kpm"),
    "desa_code": ("kode_kelurahan", "kode_desa_kelurahan", "kode_kelurahan_desa", "kd_desa", "kode_wilayah_desa",
                  "kode_wilayah", "kemendagri_kode_desa_kelurahan", "kemendagri_kode_desa", "kode_kemendagri",
                  "kode_desa_kemendagri", "kd_kel", "kode_kel", "kdepum"),
    "program": ("jenis_bansos", "jenis_bantuan", "nama_program", "program_bansos", "bansos", "nama_bansos",
                "jenis_program"),
    "period": ("periode_salur", "periode_penyaluran", "bulan_periode", "bulan_salur", "periode_bulan"),
    "tahap": ("tahap_salur", "tahap_penyaluran", "tahapan"),
    "amount": ("nominal_rp", "nominal_bantuan", "jumlah", "jumlah_rp", "jumlah_bantuan", "nilai",
               "nilai_bantuan", "nilai_rp", "nominal_salur", "jumlah_salur", "besaran_bantuan"),
    "channel": ("kanal_salur", "kanal_penyaluran", "bank", "bank_penyalur", "penyalur", "himbara",
                "lembaga_penyalur"),
    "status": ("status_salur", "status_penyaluran", "status_transaksi", "keterangan_status"),
    "scheduled_date": ("tgl_jadwal", "jadwal", "jadwal_salur", "tanggal_jadwal_salur"),
    "paid_date": ("tgl_salur", "tanggal_penyaluran", "tgl_penyaluran", "tanggal_cair", "tgl_cair",
                  "tanggal_pencairan", "tanggal_realisasi", "tgl_transaksi", "tanggal_transaksi",
                  "tgl_realisasi"),
}
#: Month names and abbreviations in Bahasa Indonesia and English (old spellings included).
MONTHS = {
    "januari": 1, "jan": 1, "january": 1, "februari": 2, "feb": 2, "february": 2, "pebruari": 2,
    "maret": 3, "mar": 3, "march": 3, "april": 4, "apr": 4, "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6, "juli": 7, "jul": 7, "july": 7, "agustus": 8, "agu": 8, "agt": 8,
    "ags": 8, "aug": 8, "august": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "oct": 10, "october": 10, "november": 11, "nov": 11, "nopember": 11, "desember": 12, "des": 12,
    "dec": 12, "december": 12,
}
#: Program names in exports, upper case with everything but letters and digits removed.
PROGRAM_ALIASES = {
    "PKH": "PKH", "PROGRAMKELUARGAHARAPAN": "PKH", "KELUARGAHARAPAN": "PKH",
    "SEMBAKO": "SEMBAKO", "BPNT": "SEMBAKO", "PROGRAMSEMBAKO": "SEMBAKO", "SEMBAKOBPNT": "SEMBAKO",
    "PROGRAMSEMBAKOBPNT": "SEMBAKO", "BANTUANPANGANNONTUNAI": "SEMBAKO", "KARTUSEMBAKO": "SEMBAKO",
    "BLTDD": "BLT_DD", "BLTDANADESA": "BLT_DD", "BLTDESA": "BLT_DD", "BANTUANLANGSUNGTUNAIDANADESA": "BLT_DD",
}
#: Payment statuses in exports, lower case, single spaces.
STATUS_ALIASES = {
    **{status: status for status in STATUSES},
    "tersalur": STATUS_PAID, "sudah disalurkan": STATUS_PAID, "sudah tersalur": STATUS_PAID,
    "gagal salur": "gagal", "gagal disalurkan": "gagal", "dikembalikan": "retur",
    "ditunda": "tertunda", "pending": "tertunda",
}
#: Channels in exports, upper case with everything but letters and digits removed.
CHANNEL_ALIASES = {
    **{channel: channel for channel in CHANNELS},
    **{f"BANK{channel}": channel for channel in CHANNELS if channel != "POS"},
    "BANKSYARIAHINDONESIA": "BSI", "PTPOS": "POS", "POSINDONESIA": "POS", "PTPOSINDONESIA": "POS",
    "PTPOSINDONESIAPERSERO": "POS", "KANTORPOS": "POS",
}
