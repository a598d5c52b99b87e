"""The GSM-7 fallback (notifications.gsm) and where the SMS path applies it (#13: "Lucía",
"João" and "Atlântico" turned whole messages into UCS-2)."""

from __future__ import annotations

import unicodedata

import pytest

from notifications import gsm, segments
from notifications.segments import GSM7_BASIC, GSM7_EXTENSION
from notifications.templates import render, sms_text

BASE = {"name": "Ana", "centre": "MRC", "reference": "4K7Q-M2XD", "phone": "+351 808 257 257"}


@pytest.mark.parametrize(("written", "sent"), [
    ("Lucía Núñez", "Lucia Nuñez"),  # ñ is GSM-7: kept
    ("João Conceição", "Joao Conceicao"),
    ("Atlântico", "Atlantico"),
    ("Zoé Lefèvre", "Zoé Lefèvre"),  # é and è are GSM-7
    ("Françoise Çelik", "Francoise Çelik"),  # capital Ç is GSM-7, small ç is not
    ("Şahin Yılmaz", "Sahin Yilmaz"),
    ("Œuvre cœur", "OEuvre coeur"),
    ("Łódź", "Lodz"),
    ("Nguyễn Thị Ánh", "Nguyen Thi Anh"),
    ("Søren Ærø Straße", "Søren Ærø Straße"),  # ø, Æ, ß are GSM-7
    ("Ma. Luz Dela Cruz", "Ma. Luz Dela Cruz"),
    ("Björn Müller", "Björn Müller"),
    ("“Hotel” – Lisboa’s best…", "\"Hotel\" - Lisboa's best..."),
    ("«Atlântico»", "\"Atlantico\""),
    ("Ｌｕｃｉａ", "Lucia"),  # full-width letters
    ("e\u0301cole", "école"),  # decomposed é: composed, and GSM-7
    ("q\u0301", "q"),  # a mark with no precomposed letter is dropped
    ("O\u2019Brien\u00a0Jr", "O'Brien Jr"),
    ("€ 12,50 [x]", "€ 12,50 [x]"),  # the extension table is GSM-7 too
])
def test_latin_letters_and_marks_fall_back_to_their_closest_gsm7_form(written, sent):
    assert gsm.fallback(written) == sent
    assert gsm.is_gsm7(sent)


@pytest.mark.parametrize("text", [
    "सुनिता श्रेष्ठ", "प्रियंका चौधरी", "রহিমা খাতুন", "فاطمة الزهراء", "ትዕግስት ወልደማርያም", "សុខា ចាន់",
    "สมหญิง ใจดี", "Ελλάδα", "Москва", "王芳", "🙂",
])
def test_other_scripts_are_left_as_they_are(text):
    assert gsm.fallback(text) == unicodedata.normalize("NFC", text)


def test_a_name_in_two_scripts_keeps_its_other_script_and_folds_its_latin():
    assert gsm.fallback("João (जोआओ)") == "Joao (जोआओ)"


def test_every_gsm7_character_is_kept_and_the_fallback_is_idempotent():
    alphabet = "".join(sorted(GSM7_BASIC | GSM7_EXTENSION))
    assert gsm.fallback(alphabet) == alphabet
    for text in ("Lucía Núñez", "Œuvre “x” — y", "Nguyễn Thị Ánh", "सुनिता"):
        assert gsm.fallback(gsm.fallback(text)) == gsm.fallback(text)


def test_every_latin_letter_of_unicode_falls_back_to_gsm7():
    """No Latin letter of the Basic Multilingual Plane is left to force UCS-2, bar a short list
    of letters with no reading in the GSM-7 alphabet (IPA and old letters, clicks)."""
    left = []
    for code in range(0x20, 0x3000):
        ch = chr(code)
        name = unicodedata.name(ch, "")
        if name.startswith("LATIN") and unicodedata.category(ch) in ("Lu", "Ll"):
            if not gsm.is_gsm7(gsm.fallback(ch)):
                left.append(ch)
    common = [ch for ch in left if code_block(ch) in ("Latin-1", "Latin Extended-A")]
    assert not common, f"letters of Latin-1 and Latin Extended-A with no fallback: {common}"


def code_block(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return "Latin-1"
    if code < 0x180:
        return "Latin Extended-A"
    return "other"


@pytest.mark.parametrize(("template", "lang", "params"), [
    ("stage_entered.withdrawn", "es", {"name": "Lucía", "centre": "Centro de Málaga"}),
    ("pre_return_info", "pt", {"name": "João", "url": "https://mrc.example.org/return?lang=pt"}),
    ("onboarding_confirmation", "en", {"employer": "Hotel Atlântico Lisboa"}),
])
def test_the_messages_of_the_issue_stay_gsm7_and_in_budget(app, template, lang, params):
    with app.app_context():
        rendered = render(template, lang, {**BASE, **params})
    sms = segments.normalise(rendered.sms)
    assert segments.encoding(sms) == "GSM-7", sms
    assert segments.count(sms).segments <= 2
    # Without the fallback the same text was UCS-2: the test would catch its removal.
    assert segments.encoding(segments.normalise(rendered.text.split("\n\n")[0])) == "UCS-2"
    # Email is Unicode: the name is written as the person writes it.
    for value in params.values():
        assert value in rendered.text


def test_a_ucs2_template_keeps_names_as_written(app):
    with app.app_context():
        sms = render("stage_entered.withdrawn", "ne", {**BASE, "name": "João"}).sms
    assert "João" in sms and segments.encoding(sms) == "UCS-2"


def test_a_latin_ucs2_message_falls_back_whole_only_when_that_saves_a_part():
    pattern = "%(name)s, não se esqueça da sua sessão."  # UCS-2 by itself
    short = sms_text(pattern, {"name": "João"})
    assert short == "João, não se esqueça da sua sessão."  # one part either way: kept
    long_name = "Conceição " * 8
    long = sms_text(pattern, {"name": long_name})
    assert gsm.is_gsm7(long) and "nao se esqueca" in long and "Conceicao" in long
    assert segments.count(long).segments < segments.count(pattern % {"name": long_name}).segments


def test_non_latin_messages_are_never_folded_even_when_long():
    pattern = "%(name)s, तपाईंको फिर्ता तयारी भइरहेको छ।"
    text = sms_text(pattern, {"name": "Conceição " * 10})
    assert "Conceição" in text and "तपाईंको" in text


def test_help_reply_folds_the_centre_name_too(app):
    from notifications.templates import HELP_REPLY, render_reply

    with app.app_context():
        reply = render_reply(HELP_REPLY, "en", {"centre": "Centro de Évora São Brás",
                                                 "phone": "+351 808 257 257"})
    assert "Centro de Évora Sao Bras" in reply and gsm.is_gsm7(reply)
