"""Every error a person reads is in their language: problem titles and details, field messages,
and marshmallow's own messages. The codes stay the same in every language."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from journey.config import SUPPORTED_LANGUAGES
from journey.core import field_messages
from journey.core.errors import _message_code, flatten_messages

URL = "/api/v1/participants/"
LOCALES = Path(__file__).resolve().parent.parent / "locales"
TRANSLATED = [lang for lang in SUPPORTED_LANGUAGES if lang != "en"]


def _body(**kw):
    body = {"given_name": "Sunita", "family_name": "Gurung", "date_of_birth": "1995-04-02",
            "sex": "female", "nationality": "NP", "origin_country": "NP",
            "destination_country": "PT", "phone": "+9779812345678", "language": "ne",
            "timezone": "Asia/Kathmandu", "channels": ["sms"]}
    body.update(kw)
    return body


def _errors(resp) -> dict[tuple[str, str], str]:
    assert resp.status_code == 422, resp.get_data(as_text=True)
    return {(e["field"], e["code"]): e["message"] for e in resp.get_json()["errors"]}


def test_a_422_is_in_the_users_language_with_the_same_codes(factory, client):
    english = factory.headers(factory.user("caseworker"))
    french = factory.headers(factory.user("caseworker", language="fr"))
    body = _body(sex="x", given_name="x" * 101, phone="12", nickname="Suni",
                 date_of_birth=(date.today() + timedelta(days=1)).isoformat())
    del body["family_name"]
    en = _errors(client.post(URL, json=body, headers=english))
    fr = _errors(client.post(URL, json=body, headers=french))

    assert set(fr) == set(en)  # the same fields and codes
    assert en[("family_name", "required")] == "Missing data for required field."
    assert fr[("family_name", "required")] == "Champ obligatoire manquant."
    assert fr[("nickname", "unknown-field")] == "Champ inconnu."
    assert fr[("given_name", "length")] == "Dépasse la longueur maximale de 100."
    # marshmallow's values are kept as it wrote them
    assert en[("sex", "not-allowed")].startswith("Must be one of: female, ")
    assert fr[("sex", "not-allowed")] == en[("sex", "not-allowed")].replace(
        "Must be one of: ", "Doit être l'une des valeurs suivantes : ")
    # journey's own fields and schema rules
    assert fr[("phone", "invalid")].startswith("Numéro de téléphone non valide")
    assert fr[("date_of_birth", "invalid")] == "La date de naissance ne peut pas être dans le futur."


def test_accept_language_chooses_the_language_before_login(client):
    resp = client.post("/api/v1/auth/tokens", json={"username": "nobody", "password": "x" * 12},
                       headers={"Accept-Language": "es"})
    problem = resp.get_json()
    assert resp.status_code == 401 and problem["code"] == "invalid-credentials"
    assert problem["title"] == "Se requiere autenticación"
    assert problem["detail"] != "Unknown username or wrong password."


def test_problem_titles_and_details_are_translated(factory, client):
    headers = factory.headers(factory.user("caseworker", language="pt"))
    resp = client.get(URL + "999999", headers=headers)
    problem = resp.get_json()
    assert (resp.status_code, problem["code"]) == (404, "not-found")
    assert (problem["title"], problem["detail"]) == ("Não encontrado", "Essa pessoa não existe.")

    resp = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "pt"})
    problem = resp.get_json()
    assert (resp.status_code, problem["code"]) == (404, "not-found")
    assert (problem["title"], problem["detail"]) == ("Não encontrado", "Não há nada neste endereço.")


def test_query_string_errors_are_translated(factory, client):
    headers = factory.headers(factory.user("caseworker", language="fr"))
    errors = _errors(client.get(URL + "?per_page=500&sort=shoe_size", headers=headers))
    assert errors[("per_page", "invalid")] == (
        "Doit être supérieur ou égal à 1 et inférieur ou égal à 100.")
    assert errors[("sort", "invalid")].startswith("Impossible de trier par « shoe_size » ;")


@pytest.mark.parametrize("message, code", [
    ("Missing data for required field.", "required"),
    ("Unknown field.", "unknown-field"),
    ("Must be one of: a, b.", "not-allowed"),
    ("Length must be between 1 and 3.", "length"),
    ("Longer than maximum length 5.", "length"),
    ("Not a valid integer.", "invalid"),
    ("Must be greater than or equal to 1 and less than or equal to 100.", "invalid"),
])
@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_language_keeps_marshmallows_codes(app, lang, message, code):
    with app.test_request_context(), force_locale(lang):
        [item] = flatten_messages({"field": [message]})
    assert item["code"] == code
    assert item["message"] != message, f"{lang}: {message!r} is not translated"


def test_every_builtin_template_is_a_marshmallow_message():
    """The templates are marshmallow's own words: a marshmallow upgrade that rewords one makes
    this fail, rather than leaving the new wording untranslated."""
    import marshmallow as ma
    from marshmallow import validate

    words = set(ma.Schema._default_error_messages.values())
    for cls in [ma.fields.Field, *_subclasses(ma.fields.Field)]:
        words.update(v for v in vars(cls).get("default_error_messages", {}).values())
    for name in ("Length", "OneOf", "Regexp", "Equal", "ContainsOnly", "Predicate", "Email", "URL"):
        cls = getattr(validate, name)
        words.update(v for k, v in vars(cls).items() if "message" in k and isinstance(v, str))
    ops = {"min_op": ["greater than or equal to", "greater than"],
           "max_op": ["less than or equal to", "less than"]}
    for lo in ops["min_op"]:
        words.add(validate.Range.message_min.format(min_op=lo))
        for hi in ops["max_op"]:
            words.add(validate.Range.message_max.format(max_op=hi))
            words.add(validate.Range.message_all.format(min_op=lo, max_op=hi))
    words |= {"Not a valid datetime.", "Not a valid time.", "Not a valid aware datetime.",
              "Not a valid naive datetime."}  # "Not a valid {obj_type}." as the fields fill it
    unknown = [field_messages.source(m) for m in field_messages.BUILTIN
               if field_messages.source(m) not in words]
    assert not unknown


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _catalog(lang):
    return read_po(io.BytesIO((LOCALES / lang / "LC_MESSAGES" / "messages.po").read_bytes()))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_braced_values(lang):
    """marshmallow's templates carry {name} values; a translation must keep each of them."""
    import string

    def names(text):
        return sorted(n for _, n, _, _ in string.Formatter().parse(text) if n is not None)

    builtin = {field_messages.source(m) for m in field_messages.BUILTIN}
    for m in _catalog(lang):
        if m.id in builtin:
            assert names(m.string) == names(m.id), f"{lang}: {m.id!r}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_do_not_change_an_error_code(lang):
    """A field message's code is read from its text (errors._message_code). Journey's own field
    messages are translated when raised, so no translation may read as another code."""
    for m in _catalog(lang):
        if isinstance(m.id, str) and m.string and _message_code(m.id) == "invalid":
            assert _message_code(m.string) == "invalid", f"{lang}: {m.string!r}"


def test_an_http_error_page_is_in_the_readers_language(client):
    resp = client.put("/login", headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert resp.status_code == 405
    assert "Méthode non autorisée" in resp.get_data(as_text=True)
