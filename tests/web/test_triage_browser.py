"""Texts from migrants in a real headless Chromium: a caseworker reads a reply in full on the
record's Timeline, answers it by SMS, marks another handled, and attaches a text from an unknown
number from the triage page (a wrong reference first). Every page is checked with axe-core."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.consent.services import consented_ids
from journey.core.auth import User
from journey.core.db import db, utcnow
from journey.participants.models import Participant
from notifications.hooks import hooks_for
from notifications.models import InboundMessage, OutboxMessage
from tests.web.axe import assert_accessible
from tests.web.cdp import CHROMIUM, chromium_available
from tests.web.test_browser import browser, live, log_in, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


def _setup(live):  # noqa: F811
    """Two replies from a consenting participant of the caseworker's office, and a text from an
    unknown number: as the inbound webhook stores them."""
    with live.app.app_context(), db.job_session() as sess:
        cw = sess.scalars(sa.select(User).where(User.username == "caseworker")).one()
        people = list(sess.scalars(sa.select(Participant).where(
            Participant.office_id == cw.office_id).order_by(Participant.id)))
        consenting = consented_ids(sess, [p.id for p in people], "updates")
        p = next(p for p in people if p.id in consenting and p.phone)
        ids = []
        for body in ("Namaste! When do I get my visa?", "Thank you, all clear now."):
            m = InboundMessage(sender=p.phone, body=body, participant_id=p.id,
                               needs_attention=True, received_at=utcnow())
            sess.add(m)
            sess.flush()
            hooks_for(live.app).on_inbound(sess, p.id, m.id)
            ids.append(m.id)
        unknown = InboundMessage(sender="+351912345678", body="Hello, this is my new number",
                                 needs_attention=True, received_at=utcnow())
        sess.add(unknown)
        sess.flush()
        return p.id, p.reference, p.given_name, ids, unknown.id


def test_a_caseworker_answers_replies_and_triages_an_unknown_number(page, live):  # noqa: F811
    pid, reference, name, (question, thanks), unknown = _setup(live)
    log_in(page, live, "caseworker")

    page.goto(live.url(f"/participants/{pid}"))
    timeline = page.text("#timeline")
    assert "Namaste! When do I get my visa?" in timeline and "Needs an answer" in timeline
    assert_accessible(page)

    # Answer the question by SMS.
    page.submit(f'a[href="/participants/{pid}/inbound/{question}/reply"]')
    assert page.text("h1") == "Answer by SMS"
    assert "When do I get my visa?" in page.text("blockquote")
    assert_accessible(page)
    page.submit("form.card button[type=submit]")  # empty: the error beside the field
    assert page.text("#err-text")
    assert page.js("document.querySelector('#f-text').getAttribute('aria-invalid')") == "true"
    assert_accessible(page)
    page.type_into("#f-text", "Your visa is ready on Monday. Come at 10.")
    page.submit("form.card button[type=submit]")
    assert page.js("location.pathname") == f"/participants/{pid}"
    assert "queued" in page.text("main")
    sent = live.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.participant_id == pid, OutboxMessage.template == "caseworker_reply"))
    assert len(sent) == 1 and sent[0].endswith("Your visa is ready on Monday. Come at 10.")

    # Mark the thank-you as handled.
    page.submit(f'form[action="/participants/{pid}/inbound/{thanks}/handled"] button')
    assert "marked as handled" in page.text("main")
    assert live.scalars(sa.select(InboundMessage.needs_attention).where(
        InboundMessage.id.in_([question, thanks]))) == [False, False]
    assert "Needs an answer" not in page.text("#timeline")
    assert_accessible(page)

    # The text from an unknown number, attached from the triage page.
    page.goto(live.url("/messages/triage"))
    assert "Hello, this is my new number" in page.text(f"#text-{unknown}")
    assert "+351912345678" not in page.text("main") and "•••678" in page.text("main")
    assert_accessible(page)
    page.type_into("#f-q", name)  # the sender signed with their name: find their reference
    page.submit("form[role=search] button")
    assert reference in page.text("#matches")
    assert_accessible(page)
    page.type_into(f"#ref-{unknown}", "NOT-A-REF")
    page.submit(f'#text-{unknown} form[action$="/attach"] button')
    assert page.text(f"#err-ref-{unknown}") == "No participant with this reference."
    assert_accessible(page)
    page.type_into(f"#ref-{unknown}", reference)
    page.submit(f'#text-{unknown} form[action$="/attach"] button')
    assert page.js("location.pathname") == "/messages/triage"
    assert reference in page.text("main") and not page.js(f"!!document.querySelector('#text-{unknown}')")
    assert live.scalars(sa.select(InboundMessage.participant_id).where(
        InboundMessage.id == unknown)) == [pid]
    page.goto(live.url(f"/participants/{pid}"))
    assert "Hello, this is my new number" in page.text("#timeline")
    assert_accessible(page)
