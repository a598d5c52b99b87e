"""The "Skills passport" section of the record page: counts, latest credential and card, active
share links, and links to the pages that change them."""

from __future__ import annotations

import re
from datetime import timedelta

from journey.continuum.stages import Stage
from journey.core.db import utcnow
from journey.passports.models import ShareLink
from tests.skillcards.helpers import card_for
from tests.web.test_pages import HTML, log_in, text


def _words(resp) -> str:
    """The page's text without its tags, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(resp)))


def _link(db_session, p, user, *, days: int, revoked: bool = False) -> None:
    now = utcnow()
    db_session.add(ShareLink(participant_id=p.id, token_hash=f"h{days}{revoked}", audience="Hotel",
                             kinds=[], created_by=user.id, created_at=now - timedelta(days=30),
                             expires_at=now + timedelta(days=days),
                             revoked_at=now if revoked else None,
                             revoked_by=user.id if revoked else None,
                             revoke_reason="revoked" if revoked else None))
    db_session.flush()


def test_section_counts_entries_links_and_shows_the_card(app, client, kit, db_session):
    p = kit.participant(Stage.RETURN)
    kit.passport(p)  # 10 current entries, 1 verified (certified); 1 retired
    _link(db_session, p, kit.caseworker, days=5)
    _link(db_session, p, kit.caseworker, days=-1)  # expired
    _link(db_session, p, kit.caseworker, days=5, revoked=True)
    card = card_for(app, db_session, kit.caseworker, p)
    log_in(client, kit.caseworker)
    page = client.get(f"/participants/{p.id}", headers=HTML)
    assert page.status_code == 200
    body, html = _words(page), page.get_data(as_text=True)
    assert 'id="skills-passport"' in html
    assert "10 (1 verified, 9 self-declared)" in body
    assert "Active share links 1" in body
    assert f"Skill card {card.number}" in body
    assert "Latest credential None yet" not in body  # the card's credential counts
    for url in (f"/participants/{p.id}/passport", f"/participants/{p.id}/passport/entries/new",
                f"/participants/{p.id}/passport/share-links", f"/participants/{p.id}/credentials",
                f"/participants/{p.id}/skill-form"):
        assert f'href="{url}"' in html, url


def test_section_of_an_empty_passport(client, kit):
    p = kit.participant(Stage.STAY)
    log_in(client, kit.caseworker)
    body = _words(client.get(f"/participants/{p.id}", headers=HTML))
    assert "0 (0 verified, 0 self-declared)" in body
    assert "Latest credential None yet" in body and "Active share links 0" in body
