"""Offices, employers and service providers: one name, one record, on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core.auth import User
from journey.organisations import services
from journey.organisations.models import Employer, ServiceProvider, organisation_key

ENDPOINTS = {
    "employers": ({"name": "6Å", "country": "PT"}, Employer),
    "service-providers": ({"name": "6Å", "country": "PT", "kind": "health"}, ServiceProvider),
}


def test_the_key_folds_case_width_and_spacing_in_every_script():
    key = organisation_key("Hotel Atlântico")
    assert organisation_key("  HOTEL   ATLÂNTICO ") == key
    assert organisation_key("ｈｏｔｅｌ Atlântico") == key  # full-width letters (NFKC)
    assert organisation_key("Hotel\u200b Atlântico") == key  # an invisible format character
    assert organisation_key("Hotel Atlantico") != key  # an accent is part of the name
    assert organisation_key("6å") == organisation_key("6Å")
    assert organisation_key("ΣΟΦΊΑ") == organisation_key("σοφία")


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_a_duplicate_name_is_409_with_the_existing_id(client, factory, path):
    body, _model = ENDPOINTS[path]
    h = factory.headers(factory.user("admin"))
    first = client.post(f"/api/v1/{path}", json=body, headers=h)
    assert first.status_code == 201, first.get_json()
    for name in ("6Å", "6å", " 6Å ", "６å"):  # SQLite's lower() folds none of these but the first
        again = client.post(f"/api/v1/{path}", json={**body, "name": name}, headers=h)
        assert again.status_code == 409, (name, again.get_json())
        problem = again.get_json()
        assert problem["code"] == "name-taken"
        assert problem["existing_id"] == first.get_json()["id"]
    other = client.post(f"/api/v1/{path}", json={**body, "name": "6A"}, headers=h)
    assert other.status_code == 201


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_a_concurrent_duplicate_is_409_not_500(app, db_session, factory, path, monkeypatch):
    """The other request commits between our check and our insert: the constraint fires."""
    body, model = ENDPOINTS[path]
    admin = factory.user("admin")
    existing = getattr(factory, "employer" if model is Employer else "provider")(name="Ärzte")
    create = services.create_employer if model is Employer else services.create_provider
    real_scalar = db_session.scalar
    calls = []

    def blind_first_check(stmt, *args, **kwargs):
        calls.append(stmt)
        return None if len(calls) == 1 else real_scalar(stmt, *args, **kwargs)

    monkeypatch.setattr(db_session, "scalar", blind_first_check)
    with app.test_request_context():
        with pytest.raises(Exception) as raised:
            create(db_session, db_session.get(User, admin.id), {**body, "name": "ärzte"})
    assert getattr(raised.value, "status", None) == 409, raised.value
    assert raised.value.extra == {"existing_id": existing.id}
    monkeypatch.undo()
    # The session is still usable: the failed insert was undone to its savepoint only.
    assert db_session.scalar(sa.select(sa.func.count()).select_from(model)
                             .where(model.name_key == organisation_key("ÄRZTE"))) == 1


def test_office_codes_are_unique(client, factory):
    h = factory.headers(factory.user("admin"))
    body = {"code": "KTM-9", "name": "Kathmandu 9", "country": "NP", "timezone": "Asia/Kathmandu"}
    first = client.post("/api/v1/offices", json=body, headers=h)
    assert first.status_code == 201
    again = client.post("/api/v1/offices", json={**body, "name": "Other"}, headers=h)
    assert again.status_code == 409
    assert again.get_json()["code"] == "code-taken"
    assert again.get_json()["existing_id"] == first.get_json()["id"]
