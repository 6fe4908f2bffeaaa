"""Turns chat Indonesian and English into comparable tokens: slang, stemming, stop words.

The same pipeline runs over the FAQ phrasings at index time and over every question, so
whatever it does to a word it does on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

# Chat abbreviations and slang, to the word the FAQ phrasings would use. An empty value
# drops the token (honorifics and fillers carry no meaning for retrieval).
SLANG: dict[str, str] = {
    # Indonesian chat
    "yg": "yang", "gmn": "bagaimana", "gmna": "bagaimana", "gimana": "bagaimana",
    "gmana": "bagaimana", "bgmn": "bagaimana", "bgmna": "bagaimana", "gimna": "bagaimana",
    "gak": "tidak", "ga": "tidak", "gk": "tidak", "g": "tidak", "nggak": "tidak",
    "ngga": "tidak", "ngak": "tidak", "enggak": "tidak", "engga": "tidak", "tdk": "tidak",
    "tak": "tidak", "kagak": "tidak", "udh": "sudah", "udah": "sudah", "sdh": "sudah",
    "uda": "sudah", "dah": "sudah", "bgt": "banget", "bngt": "banget", "blm": "belum",
    "blom": "belum", "belom": "belum", "dgn": "dengan", "dg": "dengan", "utk": "untuk",
    "untk": "untuk", "krn": "karena", "karna": "karena", "knp": "kenapa", "knpa": "kenapa",
    "napa": "kenapa", "kpn": "kapan", "kapn": "kapan", "brp": "berapa", "brapa": "berapa",
    "bs": "bisa", "bsa": "bisa", "dmn": "dimana", "dmna": "dimana", "mana": "dimana",
    "tp": "tapi", "jd": "jadi", "jdi": "jadi", "sm": "sama", "sma": "sama", "aj": "saja",
    "aja": "saja", "ajah": "saja", "gt": "begitu", "gtu": "begitu", "gitu": "begitu",
    "lg": "lagi", "lgi": "lagi", "tau": "tahu", "tw": "tahu", "trs": "terus", "trus": "terus",
    "dr": "dari", "dri": "dari", "pd": "pada", "klo": "kalau", "kalo": "kalau", "kl": "kalau",
    "mksd": "maksud", "bnyk": "banyak", "byk": "banyak", "sbg": "sebagai", "spt": "seperti",
    "kyk": "seperti", "kayak": "seperti", "kaya": "seperti", "msh": "masih", "masi": "masih",
    "cm": "cuma", "cuman": "cuma", "bkn": "bukan", "emg": "memang", "emang": "memang",
    "dpt": "dapat", "dapet": "dapat", "mo": "mau", "pengen": "ingin", "pgn": "ingin",
    "pingin": "ingin", "bikin": "buat", "bkin": "buat", "skrg": "sekarang",
    "skrng": "sekarang", "srg": "sering", "bsk": "besok", "kmrn": "kemarin",
    "kemaren": "kemarin", "org": "orang", "orng": "orang", "tgl": "tanggal", "bln": "bulan",
    "thn": "tahun", "hr": "hari", "duit": "uang", "byr": "bayar", "tf": "transfer",
    "trf": "transfer", "rek": "rekening", "norek": "rekening", "nmr": "nomor",
    "hp": "handphone", "wa": "whatsapp", "ig": "instagram", "tt": "tiktok",
    "fb": "facebook", "yt": "youtube", "sampe": "sampai", "ampe": "sampai", "smp": "sampai",
    "ngapain": "apa", "gpp": "tidak apa", "nanya": "tanya", "nnya": "tanya",
    "ngasih": "kasih", "ksh": "kasih", "bener": "benar", "bnr": "benar", "pake": "pakai",
    "pke": "pakai", "gabisa": "tidak bisa", "gbs": "tidak bisa", "gabs": "tidak bisa",
    "gada": "tidak ada", "gaada": "tidak ada", "ngga ada": "tidak ada", "mulu": "terus",
    "biar": "supaya", "nyari": "cari", "ngirim": "kirim", "ngecek": "cek", "cek2": "cek",
    "sblm": "sebelum", "stlh": "setelah", "abis": "habis", "sdgkan": "sedangkan",
    "ato": "atau", "atw": "atau", "ama": "dengan", "tetep": "tetap", "ilang": "hilang",
    "ngilang": "hilang", "nyampe": "sampai", "nyampai": "sampai", "ngerti": "mengerti",
    "kasi": "kasih", "temen": "teman", "pesen": "pesan", "nginep": "menginap",
    "liat": "lihat", "ngeliat": "lihat", "gede": "besar", "dikit": "sedikit",
    # more general chat spellings and abbreviations
    "sy": "saya", "aq": "aku", "ak": "aku", "gw": "gue", "km": "kamu", "kmu": "kamu",
    "lu": "kamu", "lo": "kamu", "elu": "kamu", "sya": "saya", "bgmana": "bagaimana",
    "gmn2": "bagaimana", "caranya": "cara", "crnya": "cara", "cr": "cara", "gmnya": "bagaimana",
    "ngk": "tidak", "gx": "tidak", "gaa": "tidak", "kgk": "tidak", "ndak": "tidak",
    "nda": "tidak", "gabakal": "tidak akan", "blum": "belum", "sdah": "sudah", "udd": "sudah",
    "bbrp": "beberapa", "brpa": "berapa", "knapa": "kenapa",
    "kenpa": "kenapa", "kapn2": "kapan", "dmna2": "dimana", "gimn": "bagaimana",
    "bisaa": "bisa", "bs2": "bisa", "bsk2": "besok", "tgl2": "tanggal", "jg": "juga",
    "jga": "juga", "lgsg": "langsung", "lsg": "langsung", "lngsg": "langsung",
    "klu": "kalau", "kalu": "kalau", "klw": "kalau", "kalw": "kalau", "sblum": "sebelum",
    "stelah": "setelah", "abiz": "habis", "blh": "boleh", "blhkah": "boleh", "hrs": "harus",
    "hrus": "harus", "msti": "mesti", "mst": "mesti", "prlu": "perlu", "pelu": "perlu",
    "dlu": "dulu", "dl": "dulu", "bnr2": "benar", "sampe2": "sampai", "smpe": "sampai",
    "ntar": "nanti", "nnti": "nanti", "ntr": "nanti", "tlg": "tolong", "tolongin": "tolong",
    "mnta": "minta", "trims": "terima kasih", "mksh": "terima kasih",
    "makasi": "terima kasih", "pasword": "password", "paswd": "password",
    "psw": "password", "passw": "password", "akn": "akan", "ttg": "tentang",
    "tntg": "tentang", "sbnrnya": "sebenarnya", "sbnernya": "sebenarnya", "krna": "karena",
    "soalnya": "karena", "gara2": "karena", "garagara": "karena", "nyoba": "coba",
    "nyobain": "coba", "ngejual": "jual", "jualan": "jual", "ngeshare": "share",
    "ngelink": "link", "ngupload": "upload", "aplod": "upload", "unggah": "upload",
    "diunggah": "upload", "ngepost": "posting", "ngonten": "konten", "ngelive": "live",
    "nge-live": "live", "ngelapor": "lapor", "ngeklaim": "klaim",
    "brg": "barang", "brng": "barang", "hrg": "harga", "hrga": "harga", "prdk": "produk",
    "akunku": "akun", "akunnya": "akun", "hpku": "handphone", "hpnya": "handphone",
    "henpon": "handphone", "hape": "handphone", "ponsel": "handphone", "handphon": "handphone",
    "cuan": "uang", "duid": "uang", "fulus": "uang", "recehan": "uang",
    "transferan": "transfer", "ditf": "transfer", "ditransfer": "transfer",
    # English chat
    "wanna": "want", "gonna": "going", "gotta": "must", "tho": "though",
    "rn": "now", "ppl": "people",
    "whats": "what", "hows": "how", "wheres": "where", "whens": "when", "whys": "why",
    "thru": "through", "becuz": "because", "ok": "", "sry": "", "hii": "",
    "min": "", "mimin": "", "kak": "",
    "kk": "", "ka": "", "kaka": "", "kakak": "", "gan": "", "sis": "", "sist": "",
    "bang": "", "mas": "", "mba": "", "mbak": "", "bro": "", "bund": "", "bun": "",
    "bunda": "", "om": "", "tante": "",
    # English chat
    "u": "you", "ur": "your", "pls": "", "plz": "", "pleaseee": "", "thx": "", "ty": "",
    "wat": "what", "wut": "what", "hw": "how", "r": "are", "y": "why", "cant": "cannot",
    "dont": "not", "doesnt": "not", "didnt": "not", "isnt": "not", "wont": "not",
    "havent": "not", "hasnt": "not", "aint": "not", "im": "i", "ive": "i", "idk": "",
    "bc": "because", "cuz": "because", "coz": "because", "tmrw": "tomorrow", "abt": "about",
    "info": "information", "w": "with", "b4": "before", "msg": "message",
    "thats": "that", "theres": "there", "youre": "you", "theyre": "they", "lets": "let",
    # more chat Indonesian spellings
    "lbh": "lebih", "lwt": "lewat", "lewt": "lewat", "pdhl": "padahal", "pdhal": "padahal",
    "dtg": "datang", "dteng": "datang", "td": "tadi", "tdi": "tadi", "sodara": "saudara",
    "sdr": "saudara", "ku": "", "mu": "", "sbb": "sebab", "dmn2": "dimana", "gmn2nya": "bagaimana",
    "kalian": "", "pas": "saat", "wkt": "waktu", "waktunya": "waktu", "sbntr": "sebentar",
    "bntr": "sebentar", "bentar": "sebentar", "kelar": "selesai", "slesai": "selesai",
    "nemu": "temu", "nyampein": "sampaikan", "gimanaa": "bagaimana", "apaan": "apa",
    "knp2": "kenapa", "tpi": "tapi", "tapii": "tapi", "kmrin": "kemarin", "bkn2": "bukan",
    "kudu": "harus", "musti": "harus", "nyuruh": "suruh", "disuruh": "suruh",
    "bales": "balas", "bls": "balas", "dibales": "balas", "balesan": "balas",
    "nongol": "muncul", "keitung": "hitung", "kehitung": "hitung", "itung": "hitung",
    "ngitung": "hitung", "naro": "taruh", "tmn": "teman", "tmen": "teman", "dftr": "daftar",
    "br": "baru", "malem": "malam", "semalem": "semalam", "pencet": "klik",
    "dipencet": "klik", "mencet": "klik", "gampang": "mudah", "gr2": "karena",
    "gegara": "karena",
}

# One word for the same thing in both languages, so a mixed or English question meets
# the Indonesian phrasings too (and the other way round). Applied after SLANG.
CANON: dict[str, str] = {
    "sandi": "password", "pw": "password", "pwd": "password", "pass": "password",
    "passwd": "password", "katasandi": "password", "pin": "password",
    "signin": "login", "logon": "login",
    "register": "daftar", "registration": "daftar", "registrasi": "daftar", "regis": "daftar",
    "signup": "daftar", "enroll": "daftar", "daptar": "daftar", "registered": "daftar",
    "commission": "komisi", "commissions": "komisi", "komisinya": "komisi",
    "payout": "cair", "payouts": "cair", "withdraw": "cair", "withdrawal": "cair",
    "wd": "cair", "disbursement": "cair", "disbursed": "cair",
    "pay": "bayar", "paid": "bayar", "payment": "bayar", "payments": "bayar",
    "tautan": "link", "links": "link", "vidio": "video", "videos": "video",
    "account": "akun", "accounts": "akun", "acc": "akun", "acct": "akun",
    "app": "aplikasi", "apps": "aplikasi", "apk": "aplikasi", "application": "aplikasi",
    "forgot": "lupa", "forget": "lupa", "forgotten": "lupa",
    "product": "produk", "products": "produk", "date": "tanggal", "dates": "tanggal",
    "coach": "coach", "pelatih": "coach", "mentor": "coach",
    "customer": "pelanggan", "customers": "pelanggan", "konsumen": "pelanggan",
    "buyer": "pembeli", "buyers": "pembeli", "salary": "gaji", "payday": "gajian",
    "free": "gratis", "photo": "foto", "photos": "foto", "pic": "foto",
    "money": "uang", "cash": "uang", "bank": "bank", "email": "email", "e-mail": "email",
    "verify": "verifikasi", "verification": "verifikasi", "verif": "verifikasi",
    "certificate": "sertifikat", "sertif": "sertifikat", "webinar": "webinar",
    "livestream": "live", "livestreaming": "live", "stream": "live", "streaming": "live",
    "guest": "tamu", "guests": "tamu", "referal": "referral", "reff": "referral",
    "schedule": "jadwal", "target": "target", "bonus": "bonus", "twin": "kembar",
}

# A general bilingual lexicon: groups of words (surface forms and their stems) that mean the
# same thing in this domain, folded to one term, so English wording that the phrasings do
# not use still meets them. Domain-wide synonyms, never one question's words.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "handphone": ("phone", "phones", "mobile", "cellphone", "smartphone", "ponsel", "handphon",
                  "hape", "gawai", "device", "devices"),
    "booking": ("reservation", "reservations", "reserv", "booked", "bookings", "pemesanan"),
    "komisi": ("earnings", "earning", "komisimu", "komisiku"),
    "tolak": ("rejected", "reject", "rejection", "declined", "declin", "denied", "deni",
              "refused", "refus", "tertolak"),
    "scam": ("fraud", "fraudul", "scammer", "scams", "tipu", "penipu", "hoax", "hoaks"),
    "negatif": ("negative", "negat", "rude", "toxic", "hater", "haters", "hate", "nasty",
                "julid", "nyinyir"),
    "alat": ("equipment", "equip", "gear", "tools", "tool", "perlengkapan", "peralatan"),
    "syarat": ("requirement", "requirements", "requir", "required", "qualify", "qualifi",
               "eligible", "elig", "criteria", "prerequisit", "ketentuan"),
    "gabung": ("join", "joining", "joined", "bergabung"),
    "batal": ("cancel", "cancelled", "canceled", "cancellation"),
    "hack": ("hacked", "hacker", "bajak", "hijack", "compromis", "diretas", "retas"),
    "kunci": ("locked", "lock", "lockout", "terkunci"),
    "beli": ("buy", "bought", "purchase", "purchas", "purchased"),
    "jual": ("sell", "sold", "selling", "sale", "sales"),
    "musik": ("music", "song", "songs", "lagu", "sound", "sounds", "backsound"),
    "pajak": ("tax", "taxes", "taxed"),
    "biaya": ("fee", "fees", "cost", "costs", "charge", "charges", "deposit"),
    "wajah": ("face", "faces", "muka", "faceless"),
    "malu": ("shy", "nervous", "grogi", "awkward"),
    "komentar": ("comment", "comments", "komen", "koment"),
    "sampel": ("sample", "samples", "sampl"),
    "diskon": ("discount", "discounts", "potongan", "cheaper"),
    "statistik": ("statistics", "statist", "stats", "analytics", "analyt", "insight",
                  "insights"),
    "keranjang": ("cart", "basket", "keranjang kuning"),
    "link": ("url", "urls", "tautan"),
    "error": ("eror", "crash", "crashes", "crashing", "bug", "bugs", "hang", "freez",
              "freeze", "forceclose"),
    "iklan": ("ads", "ad", "advert", "advertis", "advertising", "boost", "boosting",
              "promoted"),
    "bukti": ("proof", "evidence", "screenshot", "screenshots", "ss"),
    "tonton": ("viewer", "viewers", "audience", "audienc", "watch", "watching", "watcher",
               "watchers", "penonton"),
    "hari": ("day", "days", "harian", "daily"),
    "minggu": ("week", "weeks", "weekly", "mingguan"),
    "bulan": ("month", "months", "monthly", "bulanan"),
    "saldo": ("balance", "balances"),
    "minimal": ("minimum", "minim", "least"),
    "salah": ("wrong", "incorrect", "mistyped", "typo"),
    "pelanggan": ("client", "clients"),
    "ganti": ("change", "changes", "chang", "replace", "switch", "switched", "switching",
              "pindah"),
    "baru": ("new",),
    "gratis": ("free", "freebie", "cuma-cuma"),
    "kirim": ("send", "sending", "sent", "deliver", "delivered", "shipping", "ship"),
    "foto": ("photo", "photos", "picture", "pictures", "pic", "pict", "gambar"),
    "video": ("clip", "clips", "vid", "vids", "vidio", "konten video", "reel", "reels"),
    "follower": ("followers", "pengikut", "folower", "folowers", "foll"),
    "tamu": ("guest", "guests"),
    "kode": ("code", "codes"),
    "aman": ("safe", "safely", "secure", "legit"),
}
for _canon, _words in _SYNONYMS.items():
    for _w in _words:
        if " " not in _w:
            CANON.setdefault(_w, _canon)

CANON.update({
    # question words carry the kind of answer wanted (when / how / how much)
    "how": "bagaimana", "when": "kapan", "why": "kenapa", "mengapa": "kenapa",
    "where": "dimana", "what": "apa", "much": "berapa", "many": "berapa",
    "ingin": "mau",
})

STOP: frozenset[str] = frozenset("""
yang di ke dari ini itu dan atau ya yah yaa dong deh sih nih kok kah lah loh lho pun
saya aku kamu kita kami mereka dia anda gue gw gua ane adalah ialah juga akan untuk dengan
pada dalam oleh para nya saja tolong mohon makasih terima kasih thanks thank halo hai hi hello
hey pagi siang sore malam selamat permisi maaf sorry ok oke okay sama punya tuh tu kan
the a an is are am be been was were i my me you your to of in on for do does did it its
this that and or please there some any so just with at by as can could get got have has
had should would will which about until but no yes also still very really
their theirs they them we us our ours he she his her him from than then if because since
while these those being having whether either though
""".split())

# Greetings and thanks alone are not questions.
SMALLTALK_THANKS = frozenset("makasih terima kasih thanks thank you thx ty tq tks "
                             "mksh maksih suwun nuhun".split())
SMALLTALK_HELLO = frozenset("halo hallo hai hi hello hey pagi siang sore malam selamat "
                            "assalamualaikum permisi".split())

# Small talk the engine itself rejects: a message made only of these words (greetings,
# thanks, farewells, acknowledgements, laughter, forms of address) asks nothing.
CHITCHAT = SMALLTALK_THANKS | SMALLTALK_HELLO | frozenset("""
good morning afternoon evening night day nice great cool awesome wow bye goodbye dadah
dah daah see later soon take care welcome sama sama2 kembali oke ok okay okey okk sip siap
mantap mantul noted baik kabar apa how are doing fine well hehe haha wkwk wk hihi lol
kak kakak min admin mimin bang gan sis bro coach bot semua all everyone guys ya yaa iya
banyak bnyk so much very lot alot a the you u too juga ok2 oke2 salam kenal senang ketemu
met mlm pgi slmt shalom assalamualaikum waalaikumsalam hallo helo hy hii hey yo
luck semangat cheers thx ty tq tks makasi makasih mksh trims trimakasih tengkyu
thats that it its is for now that all itu aja saja dulu cukup dah udah sudah gitu begitu
""".split())
MAX_CHITCHAT_WORDS = 8

MAX_TOKENS = 64

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_REPEAT = re.compile(r"(.)\1{2,}")
_REDUP = re.compile(r"\b([^\W\d_]{2,})2\b")
# (a literal the pattern needs, so most texts skip the regex, pattern, replacement)
_PHRASES = (
    ("sandi", re.compile(r"\bkata\s+sandi\b"), "password"),
    ("log", re.compile(r"\blog\s*-?\s*in\b"), "login"),
    ("sign", re.compile(r"\bsign\s*-?\s*in\b"), "login"),
    ("sign", re.compile(r"\bsign\s*-?\s*up\b"), "daftar"),
    ("siaran", re.compile(r"\bsiaran\s+langsung\b"), "live"),
    ("mail", re.compile(r"\be\s*-\s*mail\b"), "email"),
    ("no", re.compile(r"\bno\s*\.?\s*rek(ening)?\b"), "rekening"),
    ("no", re.compile(r"\bno\s*\.?\s*(?=(hp|telp|telepon|wa|whatsapp|handphone)\b)"),
     "nomor "),
)
_DIGIT = re.compile(r"\d")

# Numbers mostly carry no meaning for retrieval, but a few shapes do: a twin date
# (9.9, 10.10, 12/12) is a sale day, "12%" a percentage, "50rb" / "rp 25.000" an amount.
_NUMBERS = (
    (re.compile(r"\b(1[0-2]|0?[1-9])\s*[./-]\s*\1\b(?!\s*[./-]?\s*\d)"), " tanggal kembar "),
    (re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|persen\b|percent\b|pct\b)"), " persen "),
    (re.compile(r"\brp\.?\s*\d+(?:[.,]\d+)*(?:\s*(?:rb|ribu|k|jt|juta)\b)?"), " uang "),
    (re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:rb|ribu|rbu|k|jt|juta|jeti)\b"), " uang "),
)

class _Stemmer:
    """PySastrawi, built once (it is slow to construct) and behind a per-word cache, with
    its dictionary of Indonesian root words; and the Snowball English stemmer."""

    _instance: Any = None
    _roots: Any = None
    _english: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls._instance is None:
            from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

            cls._instance = StemmerFactory().create_stemmer()
            cls._roots = cls._instance.delegatedStemmer.dictionary
        return cls._instance

    @classmethod
    def english(cls) -> Any:
        if cls._english is None:
            import snowballstemmer

            cls._english = snowballstemmer.stemmer("english")
        return cls._english

    @classmethod
    def is_root(cls, word: str) -> bool:
        cls.get()
        return bool(cls._roots.contains(word))


def english_stem(word: str) -> str:
    """The Snowball English stem of a word, without any folding."""
    return str(_Stemmer.english().stemWord(word))


def is_indonesian_root(word: str) -> bool:
    """True for a correctly spelt Indonesian root word (Sastrawi's dictionary): such a word
    is never "corrected" as a typo into a different word."""
    return _Stemmer.is_root(word)


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Indonesian stem by Sastrawi; for loanwords (-nya on 'upload') lighter; a word that is
    not Indonesian gets the Snowball English stem (verified / verify, joining / join)."""
    return _stem(word, chat=True)


def _stem(word: str, chat: bool) -> str:
    """`stem`; with `chat`, a chat word found under an affix is folded once more."""
    if word.isdigit() or len(word) <= 3:
        return word
    stemmer = _Stemmer.get()
    stemmed = str(stemmer.stem(word))
    if stemmed and stemmed != word:
        folded = SLANG.get(stemmed) if chat else None  # under a suffix: liatnya, duitnya
        if folded and " " not in folded and folded not in STOP:
            return _stem(folded, chat=False)
        return CANON.get(stemmed, stemmed)
    if word.endswith("in") and len(word) > 5:  # Jakarta -in for -kan: dibatalin, diselesaiin
        base = word[:-2]
        if chat and not _Stemmer.is_root(word):  # a chat verb: nyariin, mulihin, ngeyakinin
            folded = SLANG.get(base) or nasal_root(base) or (
                base[3:] if base.startswith("nge") and _Stemmer.is_root(base[3:]) else None)
            if folded and " " not in folded:
                return _stem(folded, chat=False)
        formal = str(stemmer.stem(word[:-2] + "kan"))
        if formal != word[:-2] + "kan":
            return CANON.get(formal, formal)
    if _Stemmer.is_root(word):
        return CANON.get(word, word)
    for suffix in ("nya", "lah", "kah", "ku", "mu"):
        # -ku / -mu only on a longer word: "ngaku" is not "nga" + "ku"
        if word.endswith(suffix) and len(word) - len(suffix) >= (3 if len(suffix) == 3 else 4):
            word = word[: -len(suffix)]
            folded = SLANG.get(word) if chat else None  # under a suffix: duitnya, liatnya
            if folded and " " not in folded:
                return _stem(folded, chat=False)
            canon = CANON.get(word, word)
            # a folded word is stemmed as the phrasings' own word is: followersku, followers
            return _stem(canon, chat=False) if canon != word else canon
    if word in CANON:
        return CANON[word]
    english = str(_Stemmer.english().stemWord(word))
    return CANON.get(english, english)


@lru_cache(maxsize=20_000)
def nasal_root(word: str) -> str | None:
    """The root of a chat verb that dropped "me-" but kept its nasal (narik: tarik, nyuruh:
    suruh, ngajak: ajak, milih: pilih), or None. Only a dictionary root counts."""
    if len(word) < 4 or word[0] not in "mn" or _Stemmer.is_root(word):
        return None
    formal = str(_Stemmer.get().stem("me" + word))
    if formal == word or len(formal) < 3 or not _Stemmer.is_root(formal):
        return None
    return CANON.get(formal, formal)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("'", "").replace("’", "")
    if _DIGIT.search(text):
        text = _REDUP.sub(r"\1", text)
        for pattern, repl in _NUMBERS:
            text = pattern.sub(repl, text)
    text = _REPEAT.sub(r"\1", text)
    for needle, pattern, repl in _PHRASES:
        if needle in text:
            text = pattern.sub(repl, text)
    return text


def words(text: str) -> list[str]:
    """Lower-cased words after slang and cross-language folding, stop words kept."""
    out: list[str] = []
    append = out.append
    for raw in _WORD.findall(_clean(text)):
        mapped = SLANG.get(raw)
        if mapped is None:
            if not raw.startswith(("di", "ke")):  # the common case: a plain word
                append(CANON.get(raw, raw))
                continue
            # a passive or colloquial prefix on a chat word: dipake, kepake
            mapped = SLANG.get(raw[2:]) or raw
        if " " in mapped:
            for w in mapped.split():
                append(CANON.get(w, w))
        elif mapped:
            append(CANON.get(mapped, mapped))
    return out


def tokens(text: str) -> list[str]:
    """The retrieval tokens of a text: normalised, stop words removed, stemmed."""
    out: list[str] = []
    for w in words(text):
        if w in STOP:
            continue
        out.append(stem(w))
        if len(out) >= MAX_TOKENS:
            break
    return out


# groups of everyday words that name the same thing in this domain (concepts.yaml)
CONCEPTS_FILE = Path(__file__).with_name("concepts.yaml")


def load_data_file(path: Path) -> dict[str, Any]:
    """One of the engine's shipped YAML files (empty when it is missing)."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh) or {}
    except OSError:
        return {}


@lru_cache(maxsize=2)
def concept_groups(topics: bool = False) -> dict[str, frozenset[str]]:
    """Each lexicon token (after the same normalising and stemming as the phrasings) with
    the names of the concept groups it is in: the everyday groups, and with `topics` the
    shipped packs' topic groups too."""
    data = load_data_file(CONCEPTS_FILE)
    sections = [data.get("concepts") or {}] + ([data.get("topics") or {}] if topics else [])
    groups: dict[str, set[str]] = {}
    for section in sections:
        for name, members in section.items():
            for word in members or ():
                if not isinstance(word, str | int):  # YAML read "no" / "on" as a boolean
                    raise ValueError(f"concept {name}: quote {word!r}")
                toks = tokens(str(word))
                # a query word is one token: a phrase would only add its common words
                # ("buat akun" would put every "akun" in the registration group)
                if len(toks) == 1:
                    groups.setdefault(toks[0], set()).add(str(name))
    return {tok: frozenset(names) for tok, names in groups.items()}


def is_smalltalk(text: str) -> str | None:
    """'thanks' or 'hello' when the text is only thanks or a greeting, else None."""
    kind = classify(text)
    return kind.value if kind in (Chat.THANKS, Chat.HELLO) else None


class Chat(StrEnum):
    """What a message without a question is (`classify`)."""

    THANKS = "thanks"  # makasih min, ok thanks
    HELLO = "hello"  # halo kak, selamat pagi
    ACK = "ack"  # ok, siap, oh gitu ya, wkwk, noted: the partner follows, nothing to answer
    VAGUE = "vague"  # maksudnya?, gimana tuh, terus?, what do you mean: asks, but about what?


# Words that name no topic: a short message made only of these (and of small talk, forms
# of address and stop words) asks nothing the FAQ could answer. Everyday chat Indonesian and
# English, generic to any program. QUESTION_WORDS ask something (what? how? what do you
# mean?); FILLERS only keep the conversation going (gitu, tuh, deh, hmm).
QUESTION_WORDS = frozenset("""
maksud maksudnya mksd mksdnya artinya arti gimana gmn gmna gimna gimanaa bagaimana bgmn
kenapa knp napa mengapa kok apa apaan apanya mana dimana kapan berapa brp siapa terus trus
trs terusnya lalu lanjut jadinya masa masak emang emangnya serius beneran yakin bingung
gatau cara caranya bisa boleh
what whats mean meaning understand why how when where who which really explain pardon
confused confusing huh get
""".split())
FILLERS = frozenset("""
gitu gtu begitu gini begini tuh itu sih deh dong kan lah loh lho yah nah wah waduh aduh duh
hmm hm eh oh ooh o ah ih paham ngerti mengerti jelas gak ga tidak nggak ngga enggak tau tahu
jadi jd yg yang ini bener benar memang iya ya yaa
so then and sure again sorry got it i see ok okay right alright dont didnt not no
ndan lur bos boss bang mas mbak kak kakak min admin gan sis bro om tante bund bunda
""".split())
_ADDRESS = frozenset("kak kakak min admin gan sis bro bang mas mbak om tante bund bunda ndan "
                     "lur bos boss coach bot semua all everyone guys ya yaa".split())
_HELLO = SMALLTALK_HELLO | frozenset("good morning afternoon evening day hai hy helo yo "
                                     "assalamualaikum salam".split())
_THANKS = SMALLTALK_THANKS - {"you"}
# small talk's words that can also be what a question asks about: "cara jadi coach gmn"
_TOPICAL = frozenset("coach bot admin day night".split())
_LAUGH = re.compile(r"^(?:w?k(?:wk)+w?|wk+|(?:ha)+h?|(?:he)+h?|(?:hi)+h?|lol|lmao)$")
MAX_CHAT_WORDS = 6


def _fold(word: str) -> str:
    folded = SLANG.get(word, word)
    return folded if folded and " " not in folded else word


def classify(text: str) -> Chat | None:
    """Thanks, a greeting, an acknowledgement or a question with no topic — or None when
    the message may name something the FAQ answers (or holds no words at all)."""
    raw = [w for w in _WORD.findall(_clean(text)) if not w.isdigit()]
    if len(raw) > MAX_CHAT_WORDS:
        return None
    if not raw:  # "?" alone asks, but what; emoji alone say nothing we can read
        return Chat.VAGUE if "?" in text else None
    asks = "?" in text or any(w in QUESTION_WORDS or _fold(w) in QUESTION_WORDS for w in raw)
    if not all(((w in CHITCHAT or _fold(w) in CHITCHAT) and not (asks and w in _TOPICAL))
               or w in QUESTION_WORDS or _fold(w) in QUESTION_WORDS or w in FILLERS
               or _fold(w) in FILLERS or w in STOP or _LAUGH.match(w) for w in raw):
        return None
    if any(w in _THANKS for w in raw):
        return Chat.THANKS
    if any(w in _HELLO for w in raw) and all(w in _HELLO or w in _ADDRESS for w in raw):
        return Chat.HELLO
    # a question word or a "?" asks for something; a bare "ok", "siap" or "oh gitu ya" only
    # follows the conversation
    if asks:
        return Chat.VAGUE
    return Chat.ACK


def is_chitchat(text: str) -> bool:
    """True when the text is only small talk (greeting, thanks, farewell, acknowledgement,
    laughter) in either language: an out-of-scope message, not a question for the FAQ."""
    raw = _WORD.findall(_clean(text))
    if not raw or len(raw) > MAX_CHITCHAT_WORDS:
        return False
    return all(w in CHITCHAT or SLANG.get(w, w) in CHITCHAT or w.isdigit() for w in raw)


# statements of a database or script language: a paste of code asks the FAQ nothing, even
# when it names a domain word ("DROP TABLE partners")
_CODE = re.compile(r"\b(?:drop|truncate|alter)\s+table\b|\bunion\s+(?:all\s+)?select\b"
                   r"|\binsert\s+into\b.*\bvalues\b|\bdelete\s+from\s+\w+\s*(?:;|where\b)"
                   r"|\bselect\s+\*\s+from\b|\bselect\b.+\bfrom\s+\w+\s+where\b"
                   r"|<\s*script\b|\bjavascript:|'\s*(?:or|and)\s+'?1'?\s*=\s*'?1\b",
                   re.IGNORECASE)


def is_code(text: str) -> bool:
    """True when the text holds a statement of SQL or a script: code, not a question."""
    return _CODE.search(text) is not None
