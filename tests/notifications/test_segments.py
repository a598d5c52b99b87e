"""Encoding, segment counting and cost estimates for outbound SMS."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from notifications import segments
from notifications.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SegmentInfo,
    count,
    country_of,
    encoding,
    estimate_cost,
    normalise,
)

NEPALI = "नमस्ते, तपाईंको भिसा तयार छ। कृपया सोमबार कार्यालयमा आउनुहोस्।"
ARABIC = "مرحبا، تأشيرتك جاهزة. يرجى زيارة المكتب يوم الاثنين."
KHMER = "សួស្តី\u200bទិដ្ឋាការ\u200bរបស់អ្នក\u200bរួចរាល់\u200bហើយ។"  # zero-width spaces mark word breaks
AMHARIC = "ሰላም፣ ቪዛዎ ዝግጁ ነው። እባክዎ ሰኞ ወደ ቢሮ ይምጡ።"
SCRIPTS = pytest.mark.parametrize("text", [NEPALI, ARABIC, KHMER, AMHARIC], ids=["ne", "ar", "km", "am"])

EMOJI = "\U0001f600"  # 😀, outside the BMP: a surrogate pair in UTF-16


@pytest.mark.parametrize(
    ("length", "expected_segments", "per_segment"),
    [(1, 1, 160), (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153)],
)
def test_gsm7_boundaries(length, expected_segments, per_segment):
    assert count("a" * length) == SegmentInfo("GSM-7", length, expected_segments, per_segment)


@pytest.mark.parametrize(
    ("length", "expected_segments", "per_segment"),
    [(1, 1, 70), (70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67)],
)
def test_ucs2_boundaries(length, expected_segments, per_segment):
    assert count("न" * length) == SegmentInfo("UCS-2", length, expected_segments, per_segment)


def test_empty_body_is_no_segments():
    assert count("") == SegmentInfo("GSM-7", 0, 0, 160)


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_extension_character_costs_two_septets(char):
    assert count(char) == SegmentInfo("GSM-7", 2, 1, 160)


@pytest.mark.parametrize(("n", "septets", "expected_segments"), [(80, 160, 1), (81, 162, 2)])
def test_euro_signs_fill_a_message_at_half_the_characters(n, septets, expected_segments):
    info = count("€" * n)
    assert (info.encoding, info.units, info.segments) == ("GSM-7", septets, expected_segments)


@pytest.mark.parametrize(
    ("text", "expected_segments"),
    [
        # 152 + 2 would be 154: the escape pair moves whole to part 2, which then overflows.
        ("a" * 152 + "€" + "a" * 152, 3),
        # Same 306 septets, but the pair starts part 2, so it fits in two parts.
        ("a" * 153 + "€" + "a" * 151, 2),
    ],
)
def test_escape_pair_is_never_split_across_parts(text, expected_segments):
    info = count(text)
    assert info.units == 306
    assert info.segments == expected_segments


@pytest.mark.parametrize(
    ("text", "expected_segments"),
    [
        # 66 + 2 would be 68: the surrogate pair moves whole to part 2, which then overflows.
        ("a" * 66 + EMOJI + "a" * 66, 3),
        ("a" * 67 + EMOJI + "a" * 65, 2),
    ],
)
def test_surrogate_pair_is_never_split_across_parts(text, expected_segments):
    info = count(text)
    assert (info.encoding, info.units) == ("UCS-2", 134)
    assert info.segments == expected_segments


@pytest.mark.parametrize(("n", "units", "expected_segments"), [(1, 2, 1), (35, 70, 1), (36, 72, 2)])
def test_emoji_count_two_utf16_units(n, units, expected_segments):
    info = count(EMOJI * n)
    assert (info.encoding, info.units, info.segments) == ("UCS-2", units, expected_segments)


def test_gsm7_tables_match_gsm_03_38():
    # 128 positions in the default alphabet, one of which is the escape; ten extension characters.
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC
    assert GSM7_EXTENSION == frozenset("\f^{}\\[]~|€")
    assert not GSM7_BASIC & GSM7_EXTENSION


def test_whole_gsm7_alphabet_is_gsm7():
    assert encoding("".join(sorted(GSM7_BASIC | GSM7_EXTENSION))) == "GSM-7"


@pytest.mark.parametrize(
    "char",
    ["ç", "`", "\t", "α", "á", "í", "ó", "ú", "â", "ê", "õ", "\u201c", "\u2014", "\u00a0", EMOJI],
)
def test_characters_outside_gsm7_force_ucs2(char):
    assert encoding("Hello " + char) == "UCS-2"


@SCRIPTS
def test_other_scripts_are_ucs2(text):
    info = count(text)
    assert info.encoding == "UCS-2"
    assert info.units == len(text.encode("utf-16-le")) // 2


def test_count_does_not_normalise():
    assert count("\u201chi\u201d").encoding == "UCS-2"


def test_normalise_keeps_a_typographic_latin_sentence_in_one_gsm7_segment():
    text = (
        "\u201cYour visa is ready\u201d \u2014 collect it Monday\u2013Friday at the centre\u2019s desk\u2026 "
        "Bring\u00a0your passport \u2022 your contract."
    )
    assert count(text).encoding == "UCS-2"

    result = normalise(text)

    assert result == (
        '"Your visa is ready" - collect it Monday-Friday at the centre\'s desk... '
        "Bring your passport - your contract."
    )
    assert count(result) == SegmentInfo("GSM-7", len(result), 1, 160)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("\u2018", "'"),
        ("\u2019", "'"),
        ("\u201a", "'"),
        ("\u2032", "'"),
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\u201e", '"'),
        ("\u00ab", '"'),
        ("\u00bb", '"'),
        ("\u2010", "-"),
        ("\u2013", "-"),
        ("\u2014", "-"),
        ("\u2212", "-"),
        ("\u2026", "..."),
        ("\u2022", "-"),
        ("\u00a0", " "),
        ("\u2009", " "),
        ("\u202f", " "),
        ("\u3000", " "),
        ("\t", " "),
        ("\u2028", "\n"),
        ("\u200b", ""),
        ("\u00ad", ""),
        ("\ufeff", ""),
        ("e\u0301", "é"),  # decomposed, as pasted from some editors
    ],
)
def test_normalise_replaces_typographic_characters(source, expected):
    result = normalise(f"a{source}b")
    assert result == f"a{expected}b"
    assert encoding(result) == "GSM-7"


def test_normalise_keeps_gsm7_letters():
    text = "Café, Åsa, Øystein, Müller, Straße, Peña, Ça va, à demain, è, ì, ò, ù £5 ¥ ¤ § ¿¡ ΔΦΓΛΩΠΨΣΘΞ"
    assert normalise(text) == text
    assert encoding(text) == "GSM-7"


def test_normalise_does_not_transliterate_letters_outside_gsm7():
    # Lower-case ç and á are not GSM-7; replacing them would misspell the name, so the text stays UCS-2.
    text = "Garçon \u201cÁlvaro\u201d"
    assert normalise(text) == text
    assert encoding(normalise(text)) == "UCS-2"


@SCRIPTS
def test_normalise_leaves_other_scripts_alone(text):
    assert normalise(text) == text
    assert encoding(normalise(text)) == "UCS-2"


def test_normalise_keeps_punctuation_when_the_text_stays_ucs2():
    # Swapping would save nothing in UCS-2, and "…" → "..." would cost two more units.
    text = f"\u201c{NEPALI}\u201d \u2014 {EMOJI}\u2026"
    assert normalise(text) == text


def test_normalise_of_empty_text():
    assert normalise("") == ""


PRICES = {"NP": Decimal("0.0800"), "GB": Decimal("0.0400")}
DEFAULT = Decimal("0.1000")


@pytest.mark.parametrize(
    ("segments_", "country", "expected"),
    [
        (3, "NP", Decimal("0.2400")),
        (1, "GB", Decimal("0.0400")),
        (2, "np", Decimal("0.1600")),
        (2, "KH", Decimal("0.2000")),
        (2, None, Decimal("0.2000")),
        (0, "NP", Decimal("0")),
    ],
)
def test_estimate_cost(segments_, country, expected):
    assert estimate_cost(segments_, country, PRICES, DEFAULT) == expected


def test_estimate_cost_rejects_negative_segments():
    with pytest.raises(ValueError, match="negative"):
        estimate_cost(-1, "NP", PRICES, DEFAULT)


def test_estimate_cost_from_a_counted_message():
    info = count("न" * 71)
    assert estimate_cost(info.segments, country_of("+9779812345678"), PRICES, DEFAULT) == Decimal("0.1600")


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+9779812345678", "NP"),
        ("+85512345678", "KH"),
        ("+251911234567", "ET"),
        ("+97430123456", "QA"),
        ("+12025550123", "US"),
        ("+441481712345", "GG"),  # +44 is shared; the number decides
        ("+80012345678", None),  # international freephone: no country
        ("9779812345678", None),  # not E.164
        ("not a number", None),
        ("", None),
    ],
)
def test_country_of(e164, expected):
    assert country_of(e164) == expected


def test_segments_imports_no_domain_code():
    tree = ast.parse(Path(segments.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported
    assert not {name for name in imported if name.split(".")[0] == "journey"}
