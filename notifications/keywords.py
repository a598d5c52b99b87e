"""SMS keywords: STOP, START and HELP in every shipped language, and an extensible router.

Each app has its own router (``Keywords``, on its notification hooks); domains add their
keywords to it with a handler (the grievance feature will add one to file a complaint by SMS).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# keyword → language. Each language's own words first; the English words work everywhere.
STOP_WORDS = {
    "en": ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"],
    "fr": ["ARRET", "ARRÊT", "STOPPER", "DESABONNER"],
    "es": ["PARAR", "ALTO", "BAJA", "DETENER"],
    "pt": ["PARE", "SAIR", "CANCELAR"],
    "ar": ["توقف", "إيقاف", "ايقاف", "الغاء"],
    "hi": ["रोकें", "रोको", "बंद"],
    "ne": ["रोक", "रोक्नुहोस्", "बन्द"],
    "bn": ["বন্ধ", "থামুন"],
    "fil": ["TIGIL", "HINTO", "ITIGIL"],
    "id": ["BERHENTI", "HENTIKAN"],
    "am": ["አቁም", "ይቁም"],
    "km": ["ឈប់"],
    "th": ["หยุด", "ยกเลิก"],
}
START_WORDS = {
    "en": ["START", "UNSTOP", "SUBSCRIBE"],
    "fr": ["DEBUT", "DÉBUT", "REPRENDRE"],
    "es": ["COMENZAR", "INICIO", "EMPEZAR"],
    "pt": ["INICIAR", "COMECAR", "COMEÇAR"],
    "ar": ["ابدأ", "ابدا", "بدء"],
    "hi": ["शुरू", "चालू"],
    "ne": ["सुरु", "सुरू", "चालु"],
    "bn": ["শুরু", "চালু"],
    "fil": ["SIMULA", "UMPISA"],
    "id": ["MULAI"],
    "am": ["ጀምር", "ጀምሩ"],
    "km": ["ចាប់ផ្តើម", "ចាប់ផ្ដើម"],
    "th": ["เริ่ม"],
}
HELP_WORDS = {
    "en": ["HELP", "INFO"],
    "fr": ["AIDE"],
    "es": ["AYUDA"],
    "pt": ["AJUDA"],
    "ar": ["مساعدة", "مساعده"],
    "hi": ["मदद", "सहायता"],
    "ne": ["मद्दत", "सहयोग"],
    "bn": ["সাহায্য", "সহায়তা"],
    "fil": ["TULONG"],
    "id": ["BANTUAN", "TOLONG"],
    "am": ["እርዳታ"],
    "km": ["ជំនួយ"],
    "th": ["ช่วยเหลือ", "ช่วยด้วย"],
}


def fold(text: str) -> str:
    """The first word of a message, upper-cased and stripped of punctuation (keeps marks)."""
    text = unicodedata.normalize("NFC", text or "").strip()
    word = re.split(r"\s+", text, maxsplit=1)[0] if text else ""
    word = "".join(c for c in word if not unicodedata.category(c).startswith(("P", "S")))
    return word.upper()


@dataclass(frozen=True)
class Match:
    action: str  # "stop", "start", "help", or a registered action
    language: str | None  # the language the keyword belongs to, for replying to strangers


BUILT_IN = {"stop": STOP_WORDS, "start": START_WORDS, "help": HELP_WORDS}


class Keywords:
    """One app's keyword router: the built-in words, then each domain's."""

    def __init__(self) -> None:
        self._routes: dict[str, Match] = {}
        self.handlers: dict[str, Callable[..., Any]] = {}
        for action, words in BUILT_IN.items():
            self._add_words(action, words)

    def _add_words(self, action: str, words: Mapping[str, Sequence[str]]) -> None:
        for language, items in words.items():
            for word in items:
                key = fold(word)
                taken = self._routes.get(key)
                if taken is not None and taken.action != action:
                    raise ValueError(f"keyword {word!r} already routes to {taken.action!r}")
                self._routes[key] = Match(action, language)

    def register(self, action: str, words: Mapping[str, Sequence[str]],
                 handler: Callable[..., Any]) -> None:
        """Route these words (per language) to an action whose handler returns the reply."""
        if action in BUILT_IN or action in self.handlers:
            raise ValueError(f"keyword action {action!r} is already registered")
        self._add_words(action, words)
        self.handlers[action] = handler

    def route(self, body: str) -> Match | None:
        """What a message asks for, or None for free text."""
        return self._routes.get(fold(body))
