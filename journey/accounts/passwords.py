"""Password strength: zxcvbn's estimate of how many guesses a password takes, with our own words.

zxcvbn looks for what attackers try first (common passwords, words, names, keyboard rows,
repeats, sequences, dates, and the user's own username, name and email) and scores 0 to 4. We
ask for 3 ("safely unguessable") on top of the 12-character minimum the schemas keep.

Its feedback is English only, so it is not passed through: the hint is chosen from the kind of
pattern zxcvbn found, and written in our own translatable words.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from zxcvbn import zxcvbn

from journey.core.i18n import _, _l

MIN_SCORE = 3
MIN_LENGTH = 12
# zxcvbn's matching grows quickly with length (measured: 120 ms at 64 characters at worst, 450 ms
# at 100), so a passphrase is judged on its first 64 characters; a weak start followed by more
# text is refused, which errs on the safe side.
_CHECKED_LENGTH = 64
# zxcvbn keeps the user inputs in a module-level dictionary while it matches: two threads
# checking at once could judge one user's password against the other's name.
_lock = threading.Lock()

# What to do, by the kind of pattern that made the password guessable.
_HINTS = {
    "user_inputs": _l("Do not use your username, name or email in it."),
    "passwords": _l("It is a commonly used password: choose a different one."),
    "names": _l("Names are easy to guess: add a few unusual words."),
    "words": _l("A few common words are easy to guess: add unusual words."),
    "repeat": _l("Avoid repeated letters or words, like aaa or abcabc."),
    "sequence": _l("Avoid sequences like abc or 6543."),
    "spatial": _l("Avoid rows of keys on the keyboard, like qwerty."),
    "date": _l("Avoid dates and years."),
}
_NAME_LISTS = {"surnames", "male_names", "female_names"}


def _hint(sequence: list[dict]) -> str | None:
    """The hint for the longest pattern zxcvbn matched (what it found weakest, most often)."""
    matches = [m for m in sequence if m.get("pattern") != "bruteforce"]
    if not matches:
        return None
    match = max(matches, key=lambda m: len(m.get("token", "")))
    pattern = match.get("pattern")
    if pattern == "dictionary":
        name = match.get("dictionary_name")
        if name in ("user_inputs", "passwords"):
            key = name
        else:
            key = "names" if name in _NAME_LISTS else "words"
    elif pattern == "regex":  # zxcvbn's only regex is "recent_year"
        key = "date"
    else:
        key = pattern
    hint = _HINTS.get(key)
    return str(hint) if hint is not None else None


def weakness(password: str, user_inputs: Iterable[str | None] = ()) -> str | None:
    """Why a password is too weak, in the reader's language; None when it is strong enough."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    inputs = [part for value in user_inputs if value
              for part in {value, *value.replace("@", " ").replace(".", " ").split()}]
    with _lock:
        result = zxcvbn(password[:_CHECKED_LENGTH], user_inputs=inputs,
                        max_length=_CHECKED_LENGTH)
    if result["score"] >= MIN_SCORE:
        return None
    message = _("This password is too easy to guess. Use a longer phrase of several "
                "unrelated words.")
    hint = _hint(result["sequence"])
    return f"{message} {hint}" if hint else message


def strength_errors(field: str, password: str,
                    user_inputs: Iterable[str | None] = ()) -> list[dict[str, str]]:
    """The field error for a weak password (code password-weak), or none."""
    why = weakness(password, user_inputs)
    return [] if why is None else [{"field": field, "code": "password-weak", "message": why}]
