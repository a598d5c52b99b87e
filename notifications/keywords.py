"""SMS keywords: STOP, START and HELP in every shipped language, and an extensible router.

A keyword is the WHOLE message, after normalisation (``normalise``): NFKC (full-width letters,
Arabic presentation forms), case-folding; punctuation, symbols and emoji, invisible format
characters (zero-width space, joiners, direction marks), accents on Latin letters, Arabic
harakat and tatweel removed; Arabic alef, ta marbuta and ya variants unified (alef with hamza
above only inside a word). Other scripts keep their marks: Devanagari, Bengali, Thai and Khmer
vowel signs are letters to their readers. Whitespace does not count either, so "STOP ALL" is
STOPALL and "opt-out" is OPTOUT. "Stop." and "ＳＴＯＰ" are STOP; "Stop by the office
tomorrow?" or "help me please" is free text, a reply for the caseworker.

Each app has its own router (``Keywords``, on its notification hooks); domains add their
keywords to it with a handler. An action registered with ``takes_text=True`` (the grievance
feature's, to file a complaint by SMS) also matches as the first word(s) of a message, and
the rest of the message is handed to its handler (``Match.text``); the built-in ones never do.
In Thai, Lao, Burmese and Khmer, written without spaces between words, such a keyword may also
run straight into its text.
Two actions may not share a word after normalisation, in any language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Words per language. A word listed by two languages belongs to the first (it picks the reply
# language for a stranger); every word works whatever the sender's language. Accents, case
# and Arabic marks need not be listed twice: normalisation folds them. Words that are also a
# common reply are left out on purpose: "help me" (a caseworker must see it), Arabic ابدا
# (ابدأ "start" typed without its hamza, but also أبدا "never"), Thai ช่วยด้วย and Indonesian
# TOLONG (a cry for help, not a request for the HELP text).
STOP_WORDS = {
    "en": ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"],
    "fr": ["ARRÊT", "ARRÊTER", "STOPPER", "DÉSABONNER", "DÉSINSCRIRE", "DÉSINSCRIPTION"],
    "es": ["PARAR", "ALTO", "BAJA", "DETENER", "CANCELAR", "DESUSCRIBIR"],
    "pt": ["PARE", "PARAR", "SAIR", "CANCELAR", "DESCADASTRAR"],
    "ar": ["توقف", "أوقف", "إيقاف", "إلغاء", "إلغاء الاشتراك"],
    "hi": ["रोकें", "रोको", "बंद", "बन्द", "बंद करो", "बंद करें"],
    "ne": ["रोक", "रोक्नुहोस्", "रोक्नुस्", "बन्द", "बन्द गर्नुहोस्"],
    "bn": ["বন্ধ", "থামুন", "থামো", "বন্ধ করুন"],
    "fil": ["TIGIL", "HINTO", "ITIGIL"],
    "id": ["BERHENTI", "HENTIKAN", "UNREG"],
    "am": ["አቁም", "አቁሙ", "ይቁም"],
    "km": ["ឈប់", "បញ្ឈប់"],
    "th": ["หยุด", "ยกเลิก"],
}
START_WORDS = {
    "en": ["START", "UNSTOP", "SUBSCRIBE"],
    "fr": ["DÉBUT", "REPRENDRE", "COMMENCER", "DÉMARRER"],
    "es": ["COMENZAR", "INICIO", "EMPEZAR", "INICIAR"],
    "pt": ["INICIAR", "COMEÇAR"],
    "ar": ["ابدأ", "بدء", "اشترك"],
    "hi": ["शुरू", "शुरु", "चालू"],
    "ne": ["सुरु", "सुरू", "चालु"],
    "bn": ["শুরু", "চালু"],
    "fil": ["SIMULA", "UMPISA", "MAGSIMULA"],
    "id": ["MULAI", "REG"],
    "am": ["ጀምር", "ጀምሩ"],
    "km": ["ចាប់ផ្តើម", "ចាប់ផ្ដើម"],
    "th": ["เริ่ม"],
}
HELP_WORDS = {
    "en": ["HELP", "INFO"],
    "fr": ["AIDE"],
    "es": ["AYUDA"],
    "pt": ["AJUDA"],
    "ar": ["مساعدة", "معلومات"],
    "hi": ["मदद", "सहायता"],
    "ne": ["मद्दत", "सहयोग"],
    "bn": ["সাহায্য", "সহায়তা"],
    "fil": ["TULONG"],
    "id": ["BANTUAN"],
    "am": ["እርዳታ", "እገዛ"],
    "km": ["ជំនួយ"],
    "th": ["ช่วยเหลือ"],
}

_ARABIC_LETTERS = {
    "إ": "ا", "آ": "ا", "ٱ": "ا",  # alef with hamza below, madda, wasla (أ: see _ALEF)
    "ة": "ه",  # ta marbuta, often typed as ha
    "ى": "ي", "ی": "ي",  # alef maksura and Persian ya, often typed for ya
    "ک": "ك",  # Persian kaf
}
_ARABIC_BLOCKS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF))


def _fold_char(code: int) -> str | int | None:
    """What one character (already NFKC and case-folded) becomes in a key; None drops it."""
    char = chr(code)
    category = unicodedata.category(char)
    if char.isspace():
        return code  # a tab or a new line (Cc) still parts words
    if category[0] in "PS" or category in ("Cf", "Cc"):
        return None  # punctuation, symbols, emoji, zero-width and direction marks
    if 0x0300 <= code <= 0x036F:
        return None  # a combining accent left alone (on a Latin, Greek or Cyrillic letter)
    if code == 0x0640 or (category == "Mn" and any(a <= code <= b for a, b in _ARABIC_BLOCKS)):
        return None  # tatweel, Arabic harakat (U+064B-065F), superscript alef, Quranic marks
    if char in _ARABIC_LETTERS:
        return _ARABIC_LETTERS[char]
    decomposed = unicodedata.normalize("NFD", char)
    if len(decomposed) > 1 and any(0x0300 <= ord(c) <= 0x036F for c in decomposed):
        return "".join(c for c in decomposed if not 0x0300 <= ord(c) <= 0x036F)  # é -> e
    return code


class _FoldTable(dict[int, Any]):
    """str.translate table for _fold_char, filled on first sight of each character."""

    def __missing__(self, code: int) -> str | int | None:
        folded = _fold_char(code)
        if len(self) < 50_000:  # every script's letters fit; hostile texts cannot grow it
            self[code] = folded
        return folded


_TABLE = _FoldTable()


# Alef with hamza above is often typed bare, so it folds to alef, except at the end of a word:
# there it tells ابدأ "start" (the word the Arabic replies ask for) from أبدًا "never".
_ALEF = re.compile(r"أ(?=\w)")


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_TABLE)
    return _ALEF.sub("ا", folded) if "أ" in folded else folded


def normalise(text: str) -> str:
    """A message as the router reads it: folded words, one space apart (see the docstring)."""
    return " ".join(_fold(text or "").split())


def _key(text: str) -> str:
    return "".join(_fold(text or "").split())


_WORD = re.compile(r"\S+")
def _UNSPACED(char: str) -> bool:  # noqa: N802  (reads as a character class)
    """A letter of a script written without spaces between words (Thai, Lao, Burmese, Khmer)."""
    code = ord(char)
    return 0x0E00 <= code <= 0x0EFF or 0x1000 <= code <= 0x109F or 0x1780 <= code <= 0x17FF


_LEADING = frozenset(":;,.!?-–—=>：，、")  # between a keyword and its text: "GRIEVANCE: my employer"


@dataclass(frozen=True)
class Match:
    action: str  # "stop", "start", "help", or a registered action
    language: str | None  # the language the keyword belongs to, for replying to strangers
    text: str | None = None  # for an action that takes text: the message after the keyword


BUILT_IN = {"stop": STOP_WORDS, "start": START_WORDS, "help": HELP_WORDS}


class Keywords:
    """One app's keyword router: the built-in words, then each domain's."""

    def __init__(self) -> None:
        self._routes: dict[str, Match] = {}  # whole-message key -> match
        self._text_routes: dict[str, Match] = {}  # first words of a message -> match
        self._text_words = 0  # the most words a text-taking keyword has
        self.handlers: dict[str, Callable[..., Any]] = {}
        for action, words in BUILT_IN.items():
            self._add_words(action, words, takes_text=False)

    def _add_words(self, action: str, words: Mapping[str, Sequence[str]], *,
                   takes_text: bool) -> None:
        new: dict[str, Match] = {}
        for language, items in words.items():
            for word in items:
                key = _key(word)
                if not key:
                    raise ValueError(f"keyword {word!r} is empty once normalised")
                taken = self._routes.get(key) or self._text_routes.get(key) or new.get(key)
                if taken is not None and taken.action != action:
                    raise ValueError(f"keyword {word!r} already routes to {taken.action!r}")
                if taken is None:  # the first language to list a word keeps it
                    new[key] = Match(action, language)
        (self._text_routes if takes_text else self._routes).update(new)
        if takes_text:
            longest = max(len(normalise(w).split()) for items in words.values() for w in items)
            self._text_words = max(self._text_words, longest)

    def register(self, action: str, words: Mapping[str, Sequence[str]],
                 handler: Callable[..., Any], *, takes_text: bool = False) -> None:
        """Route these words (per language) to an action whose handler returns the reply.

        With ``takes_text`` the words may also start a longer message; the handler is then
        called with the rest as ``text=`` (see notifications.webhooks.inbound).
        """
        if action in BUILT_IN or action in self.handlers:
            raise ValueError(f"keyword action {action!r} is already registered")
        self._add_words(action, words, takes_text=takes_text)
        self.handlers[action] = handler

    def route(self, body: str) -> Match | None:
        """What a message asks for, or None for free text (a reply for the caseworker)."""
        body = body or ""
        match = self._routes.get(_key(body))
        if match is not None or not self._text_routes:
            return match
        prefix, words = "", 0
        for word in _WORD.finditer(body):
            folded = _key(word.group())
            if not folded:
                continue  # a lone dash or emoji between words
            prefix, words = prefix + folded, words + 1
            match = self._text_routes.get(prefix)
            if match is not None:
                text = body[word.end():].lstrip()
                while text and text[0] in _LEADING:
                    text = text[1:].lstrip()
                return Match(match.action, match.language, text)
            if words >= self._text_words:
                break
        return self._run_together(body)

    def _run_together(self, body: str) -> Match | None:
        """Thai, Khmer, Lao and Burmese are written without spaces between words, so a text-taking
        keyword may run straight into the text ("ร้องเรียนนายจ้าง..."): there, and only there,
        a first word that starts with the keyword matches."""
        first = _WORD.search(body)
        if first is None or not any(_UNSPACED(c) for c in first.group()):
            return None
        word = first.group()
        for end in range(1, len(word)):
            match = self._text_routes.get(_key(word[:end]))
            if match is not None and any(_UNSPACED(c) for c in word[:end]):
                text = (word[end:] + body[first.end():]).lstrip()
                while text and text[0] in _LEADING:
                    text = text[1:].lstrip()
                return Match(match.action, match.language, text)
        return None
