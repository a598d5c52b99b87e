"""The register of processing: generated from the declarations and the policy table, with the
retention the settings give, as an API and as a page in every shipped language."""

from __future__ import annotations

import pytest

from journey import create_app
from journey.config import SUPPORTED_LANGUAGES, ConfigError, load_settings
from journey.core.domains import Category, Domain, PersonalData, load
from journey.core.policy import Role
from journey.domains import DOMAINS
from journey.privacy.register import retention_days
from tests.factories import Factory
from tests.web.test_pages import log_in


def _register(client, factory, role="admin"):
    resp = client.get("/api/v1/privacy/register", headers=factory.headers(factory.user(role)))
    assert resp.status_code == 200, resp.get_json()
    return {c["category"]: c for c in resp.get_json()}


def test_every_declared_table_is_in_the_register_under_each_of_its_categories(client, factory):
    register = _register(client, factory)
    for d in load(DOMAINS):
        for entry in d.personal_data:
            for category in entry.categories:
                tables = {t["table"]: t for t in register[category]["tables"]}
                assert entry.table in tables, (category, entry.table)
                assert tables[entry.table]["domain"] == d.name
    assert list(register) == [c.value for c in Category]


def test_each_category_has_a_purpose_a_legal_basis_retention_and_recipients(client, factory):
    register = _register(client, factory)
    for category in register.values():
        assert category["purposes"] and all(category["purposes"])
        assert category["legal_bases"] and category["title"]
        assert category["retention_days"] >= 1
        assert category["recipients"]
    assert register["sensitive"]["legal_bases"][0]["code"] == "explicit_consent"
    # audit_events declares its own basis; it joins the category's.
    assert "legal_obligation" in [b["code"] for b in register["case"]["legal_bases"]]


def test_recipients_follow_the_policy_table_and_the_declarations(client, factory):
    register = _register(client, factory)

    def codes(category):
        return {r["code"]: r["kind"] for r in register[category]["recipients"]}

    message = codes("message")
    assert message["sms_provider"] == "processor" and message["email_provider"] == "processor"
    assert message["caseworker"] == "staff"
    # The disclosed passport is readable by employer and partner users (passports:read_disclosed).
    case = codes("case")
    assert case["employer"] == "external" and case["partner"] == "external"
    # The audit trail is read by admins and supervisors only (audit:read).
    audit = next(t for t in register["case"]["tables"] if t["table"] == "audit_events")
    assert audit["recipients"] == ["admin", "supervisor"]


def test_retention_comes_from_the_settings(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_MESSAGE_DAYS", 42)
    assert _register(client, factory)["message"]["retention_days"] == 42
    assert retention_days(app.config, Category.MESSAGE) == 42
    assert retention_days(app.config, "message") == 42


def test_retention_settings_are_read_and_checked():
    settings = load_settings({"JOURNEY_ENV": "testing", "SECRET_KEY": "k" * 40,
                              "JOURNEY_RETENTION_SENSITIVE_DAYS": "90"})
    assert retention_days(settings, "sensitive") == 90
    assert all(retention_days(settings, c) >= 1 for c in Category)
    for bad in ("0", "soon"):
        with pytest.raises(ConfigError, match="JOURNEY_RETENTION_CASE_DAYS"):
            load_settings({"JOURNEY_ENV": "testing", "SECRET_KEY": "k" * 40,
                           "JOURNEY_RETENTION_CASE_DAYS": bad})


def test_a_new_declaration_appears_in_the_register(app, fresh_database_url):
    """Nothing in privacy lists tables: a domain that declares one is in the register."""
    url = fresh_database_url(at_head=True)
    extra = Domain(name="grievances_test", permissions={"grievance_notes:read": frozenset({Role.ADMIN})},
                   personal_data=(PersonalData("grievance_notes", (Category.SENSITIVE,),
                                               ("participant_id",), purpose="Investigate abuse",
                                               legal_basis="legal_obligation",
                                               recipients=("ombudsman",)),))
    other = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False,
                        "PASSWORD_HASH_PROFILE": "cheapest"}, domains=[*DOMAINS, extra])
    try:
        with other.app_context():
            sess = other.extensions["journey_db"].session_factory()
            headers = Factory(other, sess).headers(Factory(other, sess).user("admin"))
            sess.commit()
            sess.close()
        resp = other.test_client().get("/api/v1/privacy/register", headers=headers)
    finally:
        other.extensions["journey_db"].engine.dispose()
    sensitive = {c["category"]: c for c in resp.get_json()}["sensitive"]
    (table,) = [t for t in sensitive["tables"] if t["table"] == "grievance_notes"]
    assert table["domain"] == "grievances_test" and table["recipients"] == ["admin", "ombudsman"]
    assert "Investigate abuse" in sensitive["purposes"]
    assert "legal_obligation" in [b["code"] for b in sensitive["legal_bases"]]
    assert "ombudsman" in [r["code"] for r in sensitive["recipients"]]


def _log_in(client, factory, role, **kw):
    user = factory.user(role, **kw)
    assert log_in(client, user).status_code == 303
    return user


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_register_page_answers_in_every_shipped_language(client, factory, language):
    _log_in(client, factory, "supervisor", language=language)
    resp = client.get("/privacy/register")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert html.count('class="card"') == len(Category)
    assert "<code>participants</code>" in html


def test_the_register_page_is_for_admins_and_supervisors(client, factory):
    assert client.get("/privacy/register").status_code == 302  # to the login page
    _log_in(client, factory, "caseworker")
    assert client.get("/privacy/register").status_code == 403
