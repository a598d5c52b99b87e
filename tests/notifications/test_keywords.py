"""The SMS keyword router: a keyword is the whole message after normalisation, in every shipped
language; free text that contains one is a reply for the caseworker; a domain's keyword may take
text after it. The router alone, then through the signed inbound webhook (on both databases)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from notifications.hooks import hooks_for
from notifications.keywords import BUILT_IN, Keywords, Match, normalise
from notifications.models import InboundMessage, SmsOptOut
from notifications.templates import RECEIVED_REPLY, STOP_REPLY, render_reply
from tests.notifications.test_outbox import _inbound

router = Keywords()


def _action(body: str) -> str | None:
    match = router.route(body)
    return match.action if match else None


# The three cases, and the same shapes in other words.
@pytest.mark.parametrize("body", ["ＳＴＯＰ", "تَوَقَّفْ", "Stop.", "stop!", " STOP ", "sTop\n",
                                  "¡STOP!", "STOP 🛑", "«STOP»", "Ｓｔｏｐ。", "ST-OP"])
def test_a_keyword_is_the_whole_message_however_it_is_typed(body):
    assert _action(body) == "stop"


@pytest.mark.parametrize("body", [
    "Stop by the office tomorrow", "Stop by the office tomorrow?", "help me please", "HELP ME",
    "I want to stop", "please STOP sending these", "Cancel my appointment", "START date?",
    "info about my visa", "stop stop", "STOP STOP", "Quit my job", "end of contract", "",
    "   ", "?!", "🛑",
    "أبداً",  # "never": without marks and hamza it is ابدا, not ابدأ "start"
    "مساعدة من فضلك",  # "help, please"
    "मुझे मदद चाहिए",  # "I need help"
    "ช่วยด้วย",  # Thai "help!", a cry for help
    "TOLONG",  # Indonesian "help!"
    "arrête de m'appeler",
])
def test_free_text_that_contains_a_keyword_is_a_reply(body):
    assert router.route(body) is None


CARRIER_WORDS = {"stop": ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT",
                          "REVOKE"],
                 "start": ["START", "UNSTOP"], "help": ["HELP", "INFO"]}


@pytest.mark.parametrize(("action", "word"),
                         [(a, w) for a, words in CARRIER_WORDS.items() for w in words])
def test_every_carrier_word_is_honoured_in_any_case(action, word):
    for body in (word, word.lower(), word.title(), f"{word}.", f" {word}!"):
        assert router.route(body) == Match(action, "en"), body


@pytest.mark.parametrize("body", ["STOP ALL", "stop-all", "Opt out", "opt-out", "OPT-OUT.",
                                  "un subscribe"])
def test_whitespace_and_punctuation_inside_a_keyword_do_not_count(body):
    assert _action(body) == "stop"


@pytest.mark.parametrize(("action", "language", "word"), [
    (action, language, word)
    for action, words in BUILT_IN.items() for language, items in words.items() for word in items])
def test_each_languages_words_route_to_their_action(action, language, word):
    match = router.route(word)
    assert match is not None and match.action == action and match.text is None
    # The first language to list a word owns it (the reply language for a stranger).
    owners = [lang for lang, items in BUILT_IN[action].items()
              if normalise(word) in {normalise(w) for w in items}]
    assert match.language == owners[0]
    assert router.route(f"{word.lower()}.") == match


def test_every_language_ships_all_three_actions():
    languages = {"en", "fr", "es", "pt", "ar", "hi", "ne", "bn", "fil", "id", "am", "km", "th"}
    assert {action: set(words) for action, words in BUILT_IN.items()} == {
        "stop": languages, "start": languages, "help": languages}


# What main shipped before; all of it still routes but three words left out on purpose (see the
# module): ابدا (also "never"), TOLONG and ช่วยด้วย (cries for help).
SHIPPED = {
    "stop": "STOP STOPALL UNSUBSCRIBE CANCEL END QUIT ARRET ARRÊT STOPPER DESABONNER PARAR ALTO "
            "BAJA DETENER PARE SAIR CANCELAR توقف إيقاف ايقاف الغاء रोकें रोको बंद रोक रोक्नुहोस् "
            "बन्द বন্ধ থামুন TIGIL HINTO ITIGIL BERHENTI HENTIKAN አቁም ይቁም ឈប់ หยุด ยกเลิก",
    "start": "START UNSTOP SUBSCRIBE DEBUT DÉBUT REPRENDRE COMENZAR INICIO EMPEZAR INICIAR COMECAR "
             "COMEÇAR ابدأ بدء शुरू चालू सुरु सुरू चालु শুরু চালু SIMULA UMPISA MULAI ጀምር ጀምሩ "
             "ចាប់ផ្តើម ចាប់ផ្ដើម เริ่ม",
    "help": "HELP INFO AIDE AYUDA AJUDA مساعدة مساعده मदद सहायता मद्दत सहयोग সাহায্য সহায়তা "
            "TULONG BANTUAN እርዳታ ជំនួយ ช่วยเหลือ",
}


@pytest.mark.parametrize("action", sorted(SHIPPED))
def test_every_word_shipped_before_still_routes(action):
    assert {w: _action(w) for w in SHIPPED[action].split()} == {
        w: action for w in SHIPPED[action].split()}


@pytest.mark.parametrize(("body", "action"), [
    # The words the translated STOP/START/HELP replies tell people to send.
    ("توقف", "stop"), ("ابدأ", "start"), ("रोकें", "stop"), ("शुरू", "start"), ("रोक", "stop"),
    ("सुरु", "start"), ("বন্ধ", "stop"), ("শুরু", "start"), ("BERHENTI", "stop"),
    ("MULAI", "start"), ("አቁም", "stop"), ("ጀምር", "start"), ("ឈប់", "stop"),
    ("ចាប់ផ្តើម", "start"), ("หยุด", "stop"), ("เริ่ม", "start"),
    # Common spellings: accents and hamzas left out, ta marbuta as ha, tatweel, marks.
    ("arret", "stop"), ("Arrêter", "stop"), ("désabonner", "stop"), ("DEMARRER", "start"),
    ("comecar", "start"), ("اوقف", "stop"), ("الغاء الاشتراك", "stop"), ("تـوقـف", "stop"),
    ("ابدأْ", "start"), ("مساعده", "help"), ("ﻣﺴﺎﻋﺪﺓ", "help"), ("बंद करो", "stop"),
    ("रोक्नुस्", "stop"), ("থামো", "stop"), ("UNREG", "stop"), ("ឈប់\u200b", "stop"),
])
def test_common_forms_in_each_language(body, action):
    assert _action(body) == action


# Normalisation, on its own.
@pytest.mark.parametrize(("text", "expected"), [
    ("ＳＴＯＰ", "stop"),  # full width
    ("Ｓｔｏｐ\u3000ａｌｌ", "stop all"),  # ideographic space
    ("  Stop.\n\tALL!! ", "stop all"),  # punctuation and whitespace
    ("Straße", "strasse"),  # case-folding, not upper()
    ("ARRÊT", "arret"), ("e\u0301te\u0301", "ete"),  # Latin accents, composed or not
    ("تَوَقَّفْ", "توقف"),  # harakat
    ("تـــوقـف", "توقف"),  # tatweel
    ("قرآن", "قران"), ("إيقاف", "ايقاف"), ("أوقف", "اوقف"),  # alef variants inside a word
    ("ابدأ", "ابدأ"),  # … but not at its end
    ("مساعدة", "مساعده"), ("على", "علي"),  # ta marbuta, alef maksura
    ("ﺗﻮﻗﻒ", "توقف"),  # presentation forms
    ("STOP\u200b", "stop"), ("\u200fتوقف\u200f", "توقف"),  # zero-width and direction marks
])
def test_normalise(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize("word", ["रोकें", "रोको", "मदद", "सहायता", "रोक्नुहोस्", "শুরু", "থামুন",
                                  "ช่วยเหลือ", "เริ่ม", "ចាប់ផ្តើម", "ជំនួយ", "አቁም"])
def test_vowel_signs_and_tone_marks_of_other_scripts_are_kept(word):
    assert normalise(word) == word


def test_stripping_every_mark_would_have_changed_hindi_words():
    assert normalise("रोकें") != normalise("रोक") and normalise("बंद") != normalise("बद")
    assert _action("रक") is None and _action("बद") is None


def test_one_spelling_in_two_encodings_is_one_keyword():
    # Bengali য় precomposed (U+09DF) or as য + nukta; Devanagari क़ likewise.
    assert _action("সহা\u09dfতা") == _action("সহা\u09af\u09bcতা") == "help"
    assert normalise("\u0958") == normalise("\u0915\u093c")


# A domain's keywords.
def _with_grievance(takes_text: bool = True) -> Keywords:
    keywords = Keywords()
    keywords.register("grievance", {"en": ["GRIEVANCE", "COMPLAINT"], "fr": ["PLAINTE"],
                                    "ar": ["شكوى"]}, lambda *a, **kw: None, takes_text=takes_text)
    return keywords


@pytest.mark.parametrize(("body", "text"), [
    ("GRIEVANCE my employer kept my passport", "my employer kept my passport"),
    ("grievance: my employer kept my passport", "my employer kept my passport"),
    ("Complaint - no pay since May.", "no pay since May."),
    ("ＧＲＩＥＶＡＮＣＥ  two\nlines", "two\nlines"),
    ("Plainte pas de salaire", "pas de salaire"),
    ("شَكْوَى لم أستلم راتبي", "لم أستلم راتبي"),
    ("GRIEVANCE", ""), ("grievance!", ""),
])
def test_an_action_that_takes_text_gets_the_rest_of_the_message(body, text):
    match = _with_grievance().route(body)
    assert match is not None and (match.action, match.text) == ("grievance", text)


def test_in_a_script_without_spaces_the_keyword_may_run_into_the_text():
    keywords = Keywords()
    keywords.register("grievance", {"en": ["COMPLAINT"], "th": ["ร้องเรียน"],
                                    "km": ["ពាក្យបណ្តឹង"]}, lambda *a, **kw: None, takes_text=True)
    assert keywords.route("ร้องเรียนนายจ้างไม่จ่ายเงิน") == Match(
        "grievance", "th", "นายจ้างไม่จ่ายเงิน")
    assert keywords.route("ពាក្យបណ្តឹងថៅកែមិនបើកប្រាក់") == Match(
        "grievance", "km", "ថៅកែមិនបើកប្រាក់")
    assert keywords.route("ร้องเรียน: ค่าจ้าง") == Match("grievance", "th", "ค่าจ้าง")
    # Latin words still need their space: COMPLAINTS is another word.
    assert keywords.route("COMPLAINTS are welcome") is None
    # A Thai message that only contains the word further in is a text for the caseworker.
    assert keywords.route("ฉันอยากร้องเรียน") is None


def test_only_the_registered_action_takes_text():
    keywords = _with_grievance()
    assert keywords.route("My grievance is about pay") is None  # not the first word
    assert keywords.route("STOP sending me this") is None  # built-ins never take text
    assert keywords.route("STOP") == Match("stop", "en")
    assert keywords.route("HELP GRIEVANCE") is None
    plain = _with_grievance(takes_text=False)
    assert plain.route("GRIEVANCE my employer") is None
    assert plain.route("grievance.") == Match("grievance", "en")  # no text: None, not ""


@pytest.mark.parametrize("words", [
    {"fr": ["Arret"]}, {"es": ["ＳＴＯＰ"]}, {"ar": ["تَوَقَّفْ"]}, {"ar": ["ايقاف"]},
    {"en": ["Opt-Out"]}, {"hi": ["रोकें"]}, {"en": ["stop all"]}, {"fr": ["Aide!"]},
])
def test_a_word_that_collides_after_normalisation_is_refused(words):
    keywords = Keywords()
    with pytest.raises(ValueError, match="already routes to"):
        keywords.register("mine", words, lambda *a: None)
    with pytest.raises(ValueError, match="already routes to"):
        keywords.register("mine", words, lambda *a: None, takes_text=True)


def test_collisions_between_domains_and_empty_words_are_refused():
    keywords = _with_grievance()
    with pytest.raises(ValueError, match="already routes to 'grievance'"):
        keywords.register("other", {"en": ["NEW"], "fr": ["Plainte."]}, lambda *a: None)
    assert keywords.route("NEW") is None  # nothing of a refused registration is kept
    with pytest.raises(ValueError, match="empty once normalised"):
        keywords.register("blank", {"en": ["!!!"]}, lambda *a: None)
    with pytest.raises(ValueError, match="already registered"):
        keywords.register("grievance", {"en": ["OTHER"]}, lambda *a: None)
    keywords.register("other", {"en": ["NEW"], "fr": ["NEW"]}, lambda *a: None)  # one action
    assert keywords.route("new") == Match("other", "en")


# Through the signed inbound webhook.
def _records(db_session, p):
    db_session.expire_all()
    return db_session.scalars(sa.select(InboundMessage).where(
        InboundMessage.participant_id == p.id).order_by(InboundMessage.id)).all()


@pytest.mark.parametrize("body", ["Stop by the office tomorrow?", "help me please",
                                  "STOP sending me the bus times, I have a car now"])
def test_free_text_with_a_keyword_reaches_the_caseworker(app, client, person, db_session,
                                                         fake_twilio, messaging, body):
    p = person(language="en", channels=["sms"])
    resp = _inbound(client, fake_twilio, p.phone, body)
    assert resp.status_code == 200
    with app.app_context():
        assert render_reply(RECEIVED_REPLY, "en", {}) in resp.get_data(as_text=True)
    (record,) = _records(db_session, p)
    assert record.needs_attention and record.keyword is None
    assert db_session.get(SmsOptOut, p.phone) is None


@pytest.mark.parametrize(("body", "language"), [("ＳＴＯＰ", "en"), ("تَوَقَّفْ", "ar"),
                                                ("OPTOUT", "en"), ("Revoke.", "en")])
def test_a_normalised_keyword_opts_out(app, client, person, db_session, fake_twilio, messaging,
                                       body, language):
    p = person(language=language, channels=["sms"])
    resp = _inbound(client, fake_twilio, p.phone, body)
    with app.app_context():
        assert render_reply(STOP_REPLY, language, {}) in resp.get_data(as_text=True)
    (record,) = _records(db_session, p)
    assert record.keyword == "stop" and not record.needs_attention
    assert db_session.get(SmsOptOut, p.phone).source == "keyword"


def test_a_keyword_that_takes_text_hands_it_to_its_handler(app, client, person, db_session,
                                                           fake_twilio, messaging, monkeypatch):
    calls = []

    def grievance(sess, inbound, recipient, language, text):
        calls.append((inbound.id, recipient.participant_id, language, text))
        return "Grievance recorded"

    def probe(sess, inbound, recipient, language):  # a handler written before takes_text
        calls.append((inbound.id, "probe"))
        return "Probed"

    keywords = Keywords()
    keywords.register("grievance", {"en": ["GRIEVANCE"]}, grievance, takes_text=True)
    keywords.register("probe", {"en": ["PROBE"]}, probe)
    monkeypatch.setattr(hooks_for(app), "keywords", keywords)
    p = person(language="en", channels=["sms"])

    resp = _inbound(client, fake_twilio, p.phone, "GRIEVANCE: my employer kept my passport")
    assert "Grievance recorded" in resp.get_data(as_text=True)
    assert _inbound(client, fake_twilio, p.phone, "probe").get_data(as_text=True).count("Probed")
    _inbound(client, fake_twilio, p.phone, "PROBE me")  # free text
    first, second, third = _records(db_session, p)
    assert calls == [(first.id, p.id, "en", "my employer kept my passport"), (second.id, "probe")]
    assert (first.keyword, second.keyword, third.keyword) == ("grievance", "probe", None)
    assert third.needs_attention
