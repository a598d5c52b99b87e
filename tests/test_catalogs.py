"""The Babel catalogs: complete, not fuzzy, placeholders intact, messages.pot current."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from journey.config import SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
TRANSLATED = [lang for lang in SUPPORTED_LANGUAGES if lang != "en"]  # English is the source
LATIN = {"en", "fr", "es", "pt", "fil", "id"}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def _catalog(lang: str):
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalog for {lang}"
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _pot_ids() -> set[str]:
    with (LOCALES / "messages.pot").open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def test_messages_pot_is_current():
    method_map = [("journey/**.py", "python"), ("notifications/**.py", "python"),
                  ("journey/templates/**.html", "jinja2")]
    found = set()
    for sub in ("journey", "notifications"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
                ROOT / sub, [(p.split("/", 1)[1], m) for p, m in method_map if p.startswith(sub)],
                keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                          "lazy_gettext": None}):
            found.add(message if isinstance(message, str) else message[0])
    assert found == _pot_ids(), "run `make messages`: locales/messages.pot is stale"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_is_complete_and_not_fuzzy(lang):
    catalog = _catalog(lang)
    assert not catalog.fuzzy, f"{lang}: the catalog header is fuzzy"
    translated = {}
    for m in catalog:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        assert not m.fuzzy, f"{lang}: fuzzy translation of {key!r}"
        strings = m.string if isinstance(m.string, list | tuple) else [m.string]
        assert all(s.strip() for s in strings), f"{lang}: {key!r} is not translated"
        translated[key] = m
    missing = _pot_ids() - set(translated)
    assert not missing, f"{lang}: {len(missing)} messages missing, e.g. {sorted(missing)[:3]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_match(lang):
    for m in _catalog(lang):
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            assert sorted(PLACEHOLDER.findall(s)) == expected, f"{lang}: placeholders of {ids[0]!r}"


# The segment budget of every SMS in every language, with names typical of each, is held by
# tests/notifications/test_sms_budget.py.


def test_translations_are_not_english_copies():
    english = {m.id for m in read_po(io.BytesIO((LOCALES / "messages.pot").read_bytes())) if m.id}
    for lang in TRANSLATED:
        same = [m.id for m in _catalog(lang) if m.id in english and m.string == m.id
                and len(m.id) > 12]
        # Brand names and codes may stay; whole sentences may not.
        assert len(same) <= 3, f"{lang}: copied from English: {same[:5]}"
