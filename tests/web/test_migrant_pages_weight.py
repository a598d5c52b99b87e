"""Pages a migrant opens from a message weigh under 50 KB: the HTML and the stylesheets it
loads from this site, on a slow and costly connection (#13 item 8). Built on the demo data, so
each page shows what a real one does (a passport, a skill card, a credential)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

from journey.consent import services as consent
from journey.continuum.stages import Stage
from journey.core.auth import User
from journey.credentials.models import Credential
from journey.participants.models import Participant
from journey.skillcards.models import SkillCard

LIMIT = 50 * 1024
_ASSET = re.compile(r'<link\b[^>]*\bhref="([^"]+)"[^>]*>|<script\b[^>]*\bsrc="([^"]+)"', re.I)


def _weight(client, path: str) -> tuple[int, dict[str, int]]:
    """Bytes of the page and of every same-origin stylesheet and script it loads."""
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    html = resp.get_data()
    parts = {path: len(html)}
    for link, script in _ASSET.findall(html.decode()):
        href = unescape(link or script)
        tag = next(t for t in re.findall(r"<link\b[^>]*>", html.decode()) if href in unescape(t)) \
            if link else ""
        if link and not re.search(r'rel="[^"]*(stylesheet|icon)', tag):
            continue
        url = urlsplit(urljoin(f"http://localhost{path}", href))
        if url.netloc not in ("", "localhost"):
            continue  # another origin: none is allowed by the CSP anyway
        asset = client.get(url.path + (f"?{url.query}" if url.query else ""))
        assert asset.status_code == 200, (path, href)
        parts[href] = len(asset.get_data())
        asset.close()
    return sum(parts.values()), parts


@pytest.fixture
def demo(app, connection, db_session, client, factory):
    """The demo data, and the links a migrant receives: a share link and a skill-form link."""
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    caseworker = db_session.scalars(sa.select(User).where(User.username == "caseworker")).one()
    headers = factory.headers(caseworker)
    card = db_session.scalars(sa.select(SkillCard)).one()
    credential = db_session.get(Credential, card.credential_id)
    holder = db_session.get(Participant, card.participant_id)
    with app.test_request_context():
        consent.grant(db_session, caseworker, holder, purpose="share_employers", method="signed")
        db_session.flush()
    share = client.post(f"/api/v1/participants/{holder.id}/share-links", headers=headers,
                        json={"audience": "Hotel Atlântico Lisboa", "expires_in_days": 7})
    assert share.status_code == 201, share.get_json()
    returning = db_session.scalars(sa.select(Participant).where(
        Participant.stage == Stage.RETURN.value, Participant.office_id == caseworker.office_id)
        .order_by(Participant.id)).first()
    assert returning is not None, "the demo has someone preparing to return"
    form = client.post(f"/api/v1/participants/{returning.id}/skill-form/link", headers=headers)
    assert form.status_code == 201, form.get_json()
    return {"share": urlsplit(share.get_json()["url"]).path,
            "skill_form": urlsplit(form.get_json()["url"]).path,
            "card": f"/cards/{card.public_id}", "credential": f"/verify/{credential.uuid}"}


PAGES = {
    "welcome": lambda d, lang: f"/welcome?lang={lang}&country=PT",
    "return": lambda d, lang: f"/return?lang={lang}",
    "skill_form": lambda d, lang: f"{d['skill_form']}?lang={lang}",
    "share": lambda d, lang: f"{d['share']}?lang={lang}",
    "card": lambda d, lang: f"{d['card']}?lang={lang}",
    "credential": lambda d, lang: f"{d['credential']}?lang={lang}",
    "verify_form": lambda d, lang: f"/verify?lang={lang}",
    # The anonymous complaint form and its status page (#14), with every demo office listed.
    "complaint": lambda d, lang: f"/complaint?lang={lang}",
    "complaint_status": lambda d, lang: f"/complaint/status?lang={lang}",
}


def _heavy(client, demo, names) -> list[str]:
    heavy = []
    for lang in ("en", "ne", "ar"):
        for name in names:
            total, parts = _weight(client, PAGES[name](demo, lang))
            assert len(parts) >= 2, f"{name}: no stylesheet found: {parts}"
            if total >= LIMIT:
                heavy.append(f"{name} ({lang}): {total} bytes: {parts}")
    return heavy


def test_every_migrant_page_weighs_under_50_kb(client, demo):
    heavy = _heavy(client, demo, [name for name in PAGES if name != "skill_form"])
    assert not heavy, "\n".join(heavy)
    # The page's own CSS is counted, so the check cannot pass by ignoring it.
    total, parts = _weight(client, "/welcome?lang=en")
    assert any(href.split("?")[0].endswith(".css") for href in parts), parts
    assert total > parts["/welcome?lang=en"]


# The skill form lists every country, and offers the common languages (shipped, the programme's,
# the returnee's) in each language row and every other language once, in the row that adds one.
# Its page is in the returnee's language: Nepali names weigh three bytes a letter.
@pytest.mark.parametrize("language", ["en", "ne"])
def test_the_skill_form_weighs_under_50_kb(client, demo, db_session, language):
    for holder in db_session.scalars(sa.select(Participant)):
        holder.language = language
    db_session.flush()
    heavy = _heavy(client, demo, ["skill_form"])
    assert not heavy, "\n".join(heavy)
    html = client.get(demo["skill_form"]).get_data(as_text=True)
    rows = re.findall(r'<select id="f-languages-\d+-code".*?</select>', html, re.S)
    assert len(rows) >= 2 and all(re.search("value=pt[ >]", row) for row in rows), "common ones in every row"
    assert all("value=zu" not in row for row in rows[:-1]) and "value=zu>" in rows[-1]
    assert len(re.findall(r'<label for="f-languages-\d+-code">', html)) == len(rows)  # labelled
