"""Turns chat Indonesian and English into comparable tokens: slang, stemming, stop words.

The same pipeline runs over the FAQ phrasings at index time and over every question, so
whatever it does to a word it does on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

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
    # question words carry the kind of answer wanted (when / how / how much)
    "how": "bagaimana", "when": "kapan", "why": "kenapa", "mengapa": "kenapa",
    "where": "dimana", "what": "apa", "much": "berapa", "many": "berapa",
}

STOP: frozenset[str] = frozenset("""
yang di ke dari ini itu dan atau ya yah yaa dong deh sih nih kok kah lah loh lho pun
saya aku kamu kita kami mereka dia anda gue gw gua ane adalah ialah juga akan untuk dengan
pada dalam oleh para nya saja tolong mohon makasih terima kasih thanks thank halo hai hi hello
hey pagi siang sore malam selamat permisi maaf sorry ok oke okay sama punya tuh tu kan
the a an is are am be been was were i my me you your to of in on for do does did it its
this that and or please there some any so just with at by as can could get got have has
had should would will which about until but no yes also still very really
""".split())

# Greetings and thanks alone are not questions.
SMALLTALK_THANKS = frozenset("makasih terima kasih thanks thank you thx ty tq tks "
                             "mksh maksih suwun nuhun".split())
SMALLTALK_HELLO = frozenset("halo hallo hai hi hello hey pagi siang sore malam selamat "
                            "assalamualaikum permisi".split())

MAX_TOKENS = 64

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_REPEAT = re.compile(r"(.)\1{2,}")
_REDUP = re.compile(r"\b([^\W\d_]{2,})2\b")
_PHRASES = (
    (re.compile(r"\bkata\s+sandi\b"), "password"),
    (re.compile(r"\blog\s*-?\s*in\b"), "login"),
    (re.compile(r"\bsign\s*-?\s*in\b"), "login"),
    (re.compile(r"\bsign\s*-?\s*up\b"), "daftar"),
    (re.compile(r"\bsiaran\s+langsung\b"), "live"),
    (re.compile(r"\be\s*-\s*mail\b"), "email"),
    (re.compile(r"\bno\s*\.?\s*rek(ening)?\b"), "rekening"),
    (re.compile(r"\bno\s*\.?\s*(?=(hp|telp|telepon|wa|whatsapp|handphone)\b)"), "nomor "),
)

_EN_KEEP = ("ss", "us", "is", "os", "as")


def _english_stem(word: str) -> str:
    """A light English suffix stripper: enough for plurals and -ing/-ed forms."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 5 and word.endswith("ing"):
        base = word[:-3]
        return base[:-1] if len(base) > 2 and base[-1] == base[-2] else base
    if len(word) > 4 and word.endswith("ed"):
        base = word[:-2]
        return base[:-1] if len(base) > 2 and base[-1] == base[-2] else base
    if len(word) > 3 and word.endswith("s") and not word.endswith(_EN_KEEP):
        return word[:-1]
    return word


class _Stemmer:
    """PySastrawi, built once (it is slow to construct) and behind a per-word cache."""

    _instance: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls._instance is None:
            from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

            cls._instance = StemmerFactory().create_stemmer()
        return cls._instance


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Indonesian stem by Sastrawi; for loanwords (-nya on 'upload') and English, lighter."""
    if word.isdigit() or len(word) <= 3:
        return word
    stemmer = _Stemmer.get()
    stemmed = str(stemmer.stem(word))
    if stemmed and stemmed != word:
        return CANON.get(stemmed, stemmed)
    if word.endswith("in") and len(word) > 5:  # Jakarta -in for -kan: dibatalin, diselesaiin
        formal = str(stemmer.stem(word[:-2] + "kan"))
        if formal != word[:-2] + "kan":
            return CANON.get(formal, formal)
    for suffix in ("nya", "lah", "kah"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return CANON.get(word, _english_stem(word))


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("'", "").replace("’", "")
    text = _REDUP.sub(r"\1", text)
    text = _REPEAT.sub(r"\1", text)
    for pattern, repl in _PHRASES:
        text = pattern.sub(repl, text)
    return text


def words(text: str) -> list[str]:
    """Lower-cased words after slang and cross-language folding, stop words kept."""
    out: list[str] = []
    for raw in _WORD.findall(_clean(text)):
        mapped = SLANG.get(raw, raw)
        for w in mapped.split():
            out.append(CANON.get(w, w))
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


def is_smalltalk(text: str) -> str | None:
    """'thanks' or 'hello' when the text is only thanks or a greeting, else None."""
    ws = [w for w in _WORD.findall(_clean(text)) if SLANG.get(w, w)]
    if not ws or len(ws) > 5:
        return None
    rest = [w for w in ws if w not in SMALLTALK_THANKS and w not in SMALLTALK_HELLO
            and w not in ("kak", "min", "ya", "banyak", "bnyk", "so", "much", "coach", "bot",
                          "kakak", "semua", "all", "everyone", "admin", "sis", "gan")]
    if rest:
        return None
    if any(w in SMALLTALK_THANKS for w in ws):
        return "thanks"
    return "hello" if any(w in SMALLTALK_HELLO for w in ws) else None
