"""The admin's user pages and the change-password page, through the Flask test client."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from journey.core.auth import User, verify_password
from tests.factories import PASSWORD
from tests.web.test_pages import HTML, csrf_token, log_in, text

STRONG = "plum kettle orbit saffron"


@pytest.fixture
def admin_client(app, client, factory):
    admin = factory.user("admin")
    assert log_in(client, admin).status_code == 303
    client.admin = admin
    return client


def _post(client, path: str, data: dict, page: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)},
                       headers=HTML)


def _field_error(resp, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{field}">([^<]*)</p>',
                      resp.get_data(as_text=True))
    assert found, f"no error beside {field}"
    return found.group(1)


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new", "/admin/users/1"])
def test_admin_pages_are_for_admins_only(client, factory, path):
    assert log_in(client, factory.user("supervisor")).status_code == 303
    resp = client.get(path, headers=HTML)
    assert resp.status_code == 403 and resp.mimetype == "text/html"
    assert "Your role cannot open this page" in text(resp)


def test_anonymous_visitors_are_sent_to_log_in(client):
    resp = client.get("/admin/users", headers=HTML)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_list_filters_by_role_and_status(admin_client, factory, db_session):
    cw = factory.user("caseworker")
    gone = factory.user("caseworker")
    gone.is_active = False
    db_session.flush()
    all_users = text(admin_client.get("/admin/users", headers=HTML))
    assert cw.username in all_users and gone.username in all_users
    active_cw = text(admin_client.get("/admin/users?role=caseworker&active=yes", headers=HTML))
    assert cw.username in active_cw and gone.username not in active_cw
    assert admin_client.admin.username not in active_cw
    inactive = text(admin_client.get("/admin/users?active=no", headers=HTML))
    assert gone.username in inactive and cw.username not in inactive
    # Nonsense filters are ignored, not a 500.
    assert admin_client.get("/admin/users?role=x&active=maybe", headers=HTML).status_code == 200


def test_add_a_user_from_an_employer_page_names_the_role_and_employer(admin_client, factory):
    employer = factory.employer()
    page = admin_client.get(f"/admin/users/new?role=employer&employer_id={employer.id}",
                            headers=HTML).get_data(as_text=True)
    assert re.search(r'<option value="employer" selected', page)
    assert re.search(rf'<option value="{employer.id}" selected', page)


def test_create_user_shows_errors_beside_each_field(admin_client, factory, db_session):
    office = factory.office()
    form = {"username": "meena.t", "full_name": "Meena Tamang", "email": "", "role": "caseworker",
            "office_id": "", "employer_id": "", "provider_id": "", "language": "ne",
            "password": "aaaaaaaaaaaa"}
    no_office = _post(admin_client, "/admin/users/new", form)
    assert no_office.status_code == 422
    assert "belong to an office" in _field_error(no_office, "office_id")
    assert 'value="meena.t"' in no_office.get_data(as_text=True)  # typed values are kept
    assert 'value="aaaaaaaaaaaa"' not in no_office.get_data(as_text=True)  # never the password

    weak = _post(admin_client, "/admin/users/new", {**form, "office_id": str(office.id)})
    assert weak.status_code == 422
    assert "too easy to guess" in _field_error(weak, "password")
    assert "repeated" in _field_error(weak, "password")

    bad_email = _post(admin_client, "/admin/users/new",
                      {**form, "office_id": str(office.id), "email": "not an email"})
    assert bad_email.status_code == 422 and _field_error(bad_email, "email")

    done = _post(admin_client, "/admin/users/new",
                 {**form, "office_id": str(office.id), "password": STRONG})
    assert done.status_code == 303
    user = db_session.scalars(sa.select(User).where(User.username == "meena.t")).one()
    assert done.headers["Location"].endswith(f"/admin/users/{user.id}")
    assert (user.office_id, user.language, user.email) == (office.id, "ne", None)
    assert verify_password(user, STRONG)

    taken = _post(admin_client, "/admin/users/new",
                  {**form, "office_id": str(office.id), "password": STRONG})
    assert taken.status_code == 409 and "taken" in _field_error(taken, "username")


def test_edit_deactivate_reactivate_and_reset_link(app, admin_client, factory, db_session):
    cw = factory.user("caseworker")
    other_browser = app.test_client()
    assert log_in(other_browser, cw).status_code == 303
    assert other_browser.get("/participants", headers=HTML).status_code == 200
    path = f"/admin/users/{cw.id}"
    page = admin_client.get(path, headers=HTML)
    assert page.status_code == 200 and f"/admin/users/{cw.id}/security" in text(page)
    version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)
    form = {"full_name": cw.full_name, "email": "cw@example.org", "role": "caseworker",
            "office_id": str(cw.office_id), "employer_id": "", "provider_id": "",
            "language": "fr", "version": version}
    saved = _post(admin_client, path, form)
    assert saved.status_code == 303
    db_session.refresh(cw)
    assert (cw.email, cw.language) == ("cw@example.org", "fr")
    stale = _post(admin_client, path, {**form, "language": "es"})  # the same, old version
    assert stale.status_code == 409 and "meanwhile" in text(stale)

    unconfirmed = _post(admin_client, f"{path}/deactivate", {"reason": "left"}, page=path)
    assert unconfirmed.status_code == 422 and "tick the box" in _field_error(unconfirmed, "deactivate")
    assert other_browser.get("/participants", headers=HTML).status_code == 200
    gone = _post(admin_client, f"{path}/deactivate", {"reason": "left", "confirm": "yes"}, page=path)
    assert gone.status_code == 303
    after = admin_client.get(path, headers=HTML)
    assert "Deactivated (Left the organisation)" in text(after)
    # The caseworker's open session ended at once.
    assert other_browser.get("/participants", headers=HTML).status_code == 302

    no_link = _post(admin_client, f"{path}/reset-link", {}, page=path)
    assert no_link.status_code == 409  # reactivate first
    back = _post(admin_client, f"{path}/reactivate", {"reason": "returned"}, page=path)
    assert back.status_code == 303
    link = _post(admin_client, f"{path}/reset-link", {}, page=path)
    assert link.status_code == 200
    url = re.search(r'id="reset-link" value="([^"]+)"', link.get_data(as_text=True)).group(1)
    assert "/password/reset/" in url
    # Shown once: the page read again does not carry it.
    assert url not in admin_client.get(path, headers=HTML).get_data(as_text=True)


def test_admin_cannot_deactivate_themselves_on_the_page(admin_client):
    path = f"/admin/users/{admin_client.admin.id}"
    resp = _post(admin_client, f"{path}/deactivate", {"reason": "other", "confirm": "yes"},
                 page=path)
    assert resp.status_code == 409 and "yourself" in _field_error(resp, "deactivate")


def test_change_password_page_keeps_this_session_and_ends_the_others(app, client, factory,
                                                                    db_session):
    cw = factory.user("caseworker")
    assert log_in(client, cw).status_code == 303
    elsewhere = app.test_client()
    assert log_in(elsewhere, cw).status_code == 303
    path = "/account/password"
    assert client.get(path, headers=HTML).status_code == 200

    form = {"current_password": PASSWORD, "new_password": STRONG, "new_password_again": STRONG}
    wrong = _post(client, path, {**form, "current_password": "not my password"})
    assert wrong.status_code == 422 and _field_error(wrong, "current_password")
    differ = _post(client, path, {**form, "new_password_again": "something else entirely"})
    assert differ.status_code == 422 and _field_error(differ, "new_password_again")
    weak = _post(client, path, {**form, "new_password": "aaaaaaaaaaaa",
                                "new_password_again": "aaaaaaaaaaaa"})
    assert weak.status_code == 422 and "too easy to guess" in _field_error(weak, "new_password")

    done = _post(client, path, form)
    assert done.status_code == 303
    home = client.get("/participants", headers=HTML)
    assert home.status_code == 200
    assert "Your other sessions and tokens have ended (1)" in text(home)
    assert elsewhere.get("/participants", headers=HTML).status_code == 302
    db_session.refresh(cw)
    assert verify_password(cw, STRONG)


# Percent-encoded bytes that are no UTF-8, NUL, a direction override (as tests/web/test_pages.py).
_HOSTILE_VALUES = ["%ED%A0%80", "%FF%FE", "a%00b", "%E2%80%AEevil"]


@pytest.mark.parametrize("value", _HOSTILE_VALUES)
def test_hostile_form_posts_never_break_the_account_pages(app, admin_client, factory, value):
    cw = factory.user("caseworker")
    from journey.accounts.resets import create_reset_link

    with app.test_request_context():
        _reset, token = create_reset_link(factory.session, None, cw)
    forms = [
        ("/admin/users/new", "/admin/users/new", ("username", "full_name", "email", "role",
                                                  "office_id", "language", "password")),
        (f"/admin/users/{cw.id}", f"/admin/users/{cw.id}", ("full_name", "email", "role",
                                                            "office_id", "language", "version")),
        (f"/admin/users/{cw.id}/deactivate", f"/admin/users/{cw.id}", ("reason", "confirm")),
        (f"/password/reset/{token}", f"/password/reset/{token}", ("password", "password_again")),
        ("/account/password", "/account/password", ("current_password", "new_password",
                                                    "new_password_again")),
    ]
    for path, page, fields in forms:
        csrf = csrf_token(admin_client, page)
        body = "&".join([f"{name}={value}" for name in fields] + [f"csrf_token={csrf}"])
        resp = admin_client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                                 headers=HTML)
        assert resp.status_code < 500, (path, value, resp.status_code)
        assert resp.mimetype == "text/html"


def test_the_password_and_login_security_pages_are_linked_from_the_pages_that_lead_there(
        client, factory):
    admin = factory.user("admin")
    assert log_in(client, admin).status_code == 303
    assert 'href="/account/password"' in client.get("/account", headers=HTML).get_data(as_text=True)
    assert 'href="/admin/security"' in client.get("/admin/users", headers=HTML).get_data(as_text=True)
