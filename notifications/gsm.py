"""The GSM-7 fallback: Latin letters outside the GSM 03.38 alphabet written as their closest
GSM-7 form, as carriers do when they cannot send UCS-2 ("Lucía" → "Lucia", "Œuvre" → "OEuvre").

One letter outside GSM-7 turns a whole SMS into UCS-2, where a part holds 70 characters instead
of 160: a Spanish message naming "Lucía" costs three parts instead of one. We do the fallback
ourselves, on the names and places a message carries, so the price is known before sending and
the text the migrant reads is the one we stored. Scripts GSM-7 cannot write at all (Arabic,
Devanagari, Bengali, Ethiopic, Khmer, Thai, Greek or Cyrillic small letters) are left as they
are: there UCS-2 is unavoidable and a name must stay readable.
"""

from __future__ import annotations

import unicodedata

from notifications.segments import _REPLACEMENTS, GSM7_BASIC, GSM7_EXTENSION

_GSM7 = GSM7_BASIC | GSM7_EXTENSION

# Letters whose closest GSM-7 form is not their base letter without its marks (NFKD cannot
# decompose them). Lower-case ç becomes c, not GSM-7's Ç: phones show 0x09 as a capital, and
# "ConceiÇao" reads worse than "Conceicao".
_LETTERS: dict[str, str] = {
    "ç": "c", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
    "þ": "th", "Þ": "Th", "ı": "i", "ŋ": "n", "Ŋ": "N", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T",
    "ſ": "s", "ĸ": "k", "ƒ": "f", "ɛ": "e", "Ɛ": "E", "ɔ": "o", "Ɔ": "O", "ə": "e", "Ə": "E",
    "ʼ": "'", "ʻ": "'", "·": ".", "«": '"', "»": '"', "°": "o", "º": "o", "ª": "a",
    "\u2026": "...",
}


def _fold(ch: str) -> str:
    """One character's closest GSM-7 form, or the character itself when it has none."""
    if ch in _LETTERS:
        return _LETTERS[ch]
    replaced = ch.translate(_REPLACEMENTS)  # typographic quotes, dashes and spaces
    if replaced != ch and all(c in _GSM7 for c in replaced):
        return replaced
    # NFKD splits "í" into "i" + a combining acute, and "ﬁ" or "Ｌ" into "fi" and "L".
    bare = "".join(_LETTERS.get(c, c) for c in unicodedata.normalize("NFKD", ch)
                   if not unicodedata.combining(c))
    if bare and all(c in _GSM7 for c in bare):
        return bare
    return ch


def is_gsm7(text: str) -> bool:
    """Every character is in the GSM 03.38 alphabet or its extension table."""
    return all(ch in _GSM7 for ch in text)


def fallback(text: str) -> str:
    """text with every Latin letter and typographic mark outside GSM-7 in its closest GSM-7 form.

    Characters of other scripts are kept, and so are the combining marks that belong to them.
    A combining mark left over after a GSM-7 letter ("q" + U+0301, which has no precomposed
    form) is dropped.
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _GSM7:
            out.append(ch)
        elif unicodedata.combining(ch) and out and out[-1] and out[-1][-1] in _GSM7:
            continue
        else:
            out.append(_fold(ch))
    return "".join(out)
