"""Messaging: SMS and email through notifications, the Twilio webhooks, campaigns.

notifications never imports a domain; this declaration hands it what it needs (bridge.init_app)
and owns its tables.
"""

import sqlalchemy as sa

from journey.core import crypto
from journey.core.domains import Category, Domain, Job, NavLink, PersonalData
from journey.core.i18n import _l
from journey.core.policy import STAFF
from journey.messaging import bridge, erasure, inbound_pages  # noqa: F401  (its pages on pages_bp)
from journey.messaging.campaign_pages import bp as campaign_pages_bp
from journey.messaging.cli import scheduler, worker
from journey.messaging.inbound import REPLY_TEMPLATE
from journey.messaging.inbound_routes import blp as inbound_blp
from journey.messaging.kinds import TIMELINE_KINDS
from journey.messaging.pages import bp as pages_bp
from journey.messaging.record import timeline_section
from journey.messaging.routes import blp
from journey.messaging.timeline import message_entries
from notifications import stats
from notifications.models import Campaign, InboundMessage, OutboxMessage, SmsOptOut
from notifications.ratelimit import OutboxRateLimit
from notifications.templates import TEXT, Template
from notifications.webhooks import bp as webhooks_bp


def _opted_out(participant):
    """An opt-out is keyed by phone number: the person's is the row for their current number."""
    if not participant.phone:
        return sa.false()
    return crypto.lookup(SmsOptOut.__table__.c.phone_index, participant.phone)


def _inbound_from(participant):
    """Texts linked to the person, and texts from their number that nobody linked."""
    t = InboundMessage.__table__
    mine = t.c.participant_id == participant.id
    if not participant.phone:
        return mine
    # The sender is encrypted: texts from the number are found through its blind index.
    return sa.or_(mine, sa.and_(t.c.participant_id.is_(None),
                                crypto.lookup(t.c.sender_index, participant.phone)))


# A caseworker's answer to a person's text, written by the caseworker (journey.messaging.inbound).
REPLY = Template(REPLY_TEMPLATE, _l("%(centre)s: %(text)s"), _l("A message from %(centre)s"),
                 {"text": TEXT})


DOMAIN = Domain(
    name="messaging",
    nav_links=(NavLink("messaging_pages.delivery_page", _l("Delivery problems"), "messages:read", 60),
               NavLink("campaign_pages.new_campaign", _l("Campaigns"), "campaigns:send", 70),
               NavLink("messaging_pages.triage", _l("Unknown numbers"), "messages:triage", 62)),
    api_blueprints=(blp, inbound_blp),
    page_blueprints=(webhooks_bp, pages_bp, campaign_pages_bp),
    models=(Campaign, OutboxMessage, InboundMessage, SmsOptOut, stats.MessageStat,
            stats.MessageStatDelta, OutboxRateLimit),
    commands=(worker, scheduler),
    # messages:triage: texts from unknown numbers have no office; journey.messaging.inbound says
    # why every staff role may triage them.
    permissions={"messages:read": STAFF, "messages:reconcile": STAFF, "campaigns:send": STAFF,
                 "messages:reply": STAFF, "messages:triage": STAFF},
    # The message counts' deltas folded into their rollup (no personal data: counts by office).
    jobs=(Job("message_stats_compact", stats.compact_job, 15),),
    timeline_kinds=TIMELINE_KINDS,
    timeline_providers=(message_entries,),
    timeline_handlers=(bridge.on_entry,),
    templates=(REPLY,),
    record_sections=(timeline_section,),
    personal_data=(
        PersonalData("outbox_messages", (Category.MESSAGE, Category.CONTACT), ("participant_id",),
                     recipients=("sms_provider", "email_provider"),
                     erase_columns=("recipient", "subject", "body", "html"),
                     erase=erasure.erase_outbox, retain_from="updated_at"),
        PersonalData("inbound_messages", (Category.MESSAGE, Category.CONTACT), ("participant_id",),
                     note="texts from unknown numbers have no participant, only the sender",
                     where=_inbound_from, recipients=("sms_provider",),
                     erase_columns=("sender", "sender_index", "body"), retain_from="received_at"),
        PersonalData("sms_opt_outs", (Category.CONTACT,), ("phone_index", "participants.phone_index"),
                     note="keyed by phone number, not by participant; joined to participants "
                          "through the phone's blind index", where=_opted_out,
                     erase=erasure.erase_opt_out),
    ),
    init_app=bridge.init_app,
)
