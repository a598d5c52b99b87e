"""Building Open Badges 3.0 AchievementCredentials from passport entries and skill cards.

Plain functions of their inputs: no database, no signing. ``journey.credentials.services`` loads
what they need and signs what they return.

Languages. Open Badges gives each text one string (``name``, ``description``, ``narrative``) and
an achievement one ``inLanguage``. Those fields hold English, so every wallet and verifier can
read them, and ``inLanguage`` says so. The same texts in the participant's language go beside
them in JSON-LD language maps (``localizedName``, ``localizedDescription``,
``localizedNarrative``: ``{"en": ..., "ne": ...}``), terms defined by an inline context appended
to ``@context`` (the schema allows extra context entries). Names people wrote themselves (an
entry's title, an employer) are not translated: they appear as written in both.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from journey.passports.models import EntryKind, Verification

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
STATUS_TYPE = "1EdTechRevocationList"
LOCALIZED_TERMS = ("localizedName", "localizedDescription", "localizedNarrative")
ESCO_ISCO = "http://data.europa.eu/esco/isco/C"  # ESCO publishes each ISCO-08 group at this URI

ACHIEVEMENT_TYPES = {
    "passport": "Achievement",
    EntryKind.QUALIFICATION.value: "Certificate",
    EntryKind.SKILL.value: "Competency",
    "skill_card": "Certificate",
}


@dataclass(frozen=True)
class EntryFacts:
    """What a credential says about one passport entry."""

    id: int
    version: int
    kind: str
    title: str
    esco_uri: str | None = None
    isco_code: str | None = None
    country: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    acquired_abroad: bool = False
    verification: str = Verification.SELF_DECLARED.value
    verified_by: str | None = None  # the verifier's name
    verified_at: datetime | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subject:
    """Who the credential is about, who issues it, and when."""

    base_url: str
    subject_id: str  # a URN that identifies the participant without naming them
    name: str
    language: str  # the participant's language ("en" when it is English)
    office_id: int
    office_name: str
    office_country: str | None
    valid_from: datetime
    valid_until: datetime | None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def subject_id(base_url: str, participant_id: int) -> str:
    """A stable URN for the participant: the same in each of their credentials, no personal data."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{base_url}/participants/{participant_id}')}"


def issuer_profile(base_url: str, office_id: int, office_name: str,
                   country: str | None = None) -> dict[str, Any]:
    """The Open Badges Profile of an issuing office."""
    profile: dict[str, Any] = {"id": f"{base_url}/issuers/{office_id}", "type": ["Profile"],
                               "name": office_name}
    if country:
        profile["address"] = {"type": ["Address"], "addressCountryCode": country}
    return profile


def _langs(language: str) -> list[str]:
    return ["en"] if language == "en" else ["en", language]


def localized(language: str, text: Callable[[], str]) -> dict[str, str]:
    """{"en": text, language: text} with text() rendered in each language."""
    return localized_all(language, [text])[0]


def localized_all(language: str, texts: list[Callable[[], str]]) -> list[dict[str, str]]:
    """Many texts rendered in each language, switching locale once per language (switching
    costs more than translating)."""
    out: list[dict[str, str]] = [{} for _ in texts]
    for lang in _langs(language):
        with force_locale(lang):
            for i, text in enumerate(texts):
                out[i][lang] = text()
    return out


def _texts(language: str, name: Callable[[], str], description: Callable[[], str]
           ) -> dict[str, Any]:
    names, descriptions = localized_all(language, [name, description])
    return {"name": names["en"], "description": descriptions["en"],
            "localizedName": names, "localizedDescription": descriptions}


def _criteria(language: str, issuer: str, text: Callable[[], str] | None = None) -> dict[str, Any]:
    narratives = localized(language, text or (lambda: _(
        "Recorded by %(issuer)s; each entry was verified to the level its evidence shows.",
        issuer=issuer)))
    return {"narrative": narratives["en"], "localizedNarrative": narratives}


def alignments(entries: Iterable[EntryFacts]) -> list[dict[str, Any]]:
    """ESCO and ISCO-08 alignments of occupations and skills (each target once)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(url: str, **fields: Any) -> None:
        if url not in seen:
            seen.add(url)
            out.append({"type": ["Alignment"], "targetUrl": url, **fields})

    for e in entries:
        if e.kind in (EntryKind.OCCUPATION, EntryKind.EXPERIENCE) or e.kind == "card_occupation":
            if e.esco_uri:
                add(e.esco_uri, targetName=e.title, targetFramework="ESCO",
                    targetType="ext:Occupation", targetCode=e.esco_uri.rsplit("/", 1)[-1])
            if e.isco_code:
                add(ESCO_ISCO + e.isco_code, targetName=e.title, targetFramework="ISCO-08",
                    targetType="ext:Occupation", targetCode=e.isco_code)
        elif e.esco_uri and e.kind in (EntryKind.SKILL, EntryKind.SOFT_SKILL):
            add(e.esco_uri, targetName=e.title, targetFramework="ESCO",
                targetType="ceasn:Competency", targetCode=e.esco_uri.rsplit("/", 1)[-1])
    return out


def _verification_sentence(e: EntryFacts) -> str:
    level = Verification(e.verification).title
    if e.verification == Verification.SELF_DECLARED or e.verified_at is None:
        return level
    return _("%(level)s: verified by %(who)s on %(date)s", level=level,
             who=e.verified_by or "-", date=e.verified_at.date().isoformat())


def _facts_line(e: EntryFacts) -> str:
    """Dates, country and the kind's usual details, as written (no words to translate)."""
    parts = []
    for key in ("awarding_body", "employer", "level", "framework", "learning_type"):
        value = e.details.get(key)
        if isinstance(value, str | int) and str(value).strip():
            parts.append(str(value).strip())
    for key in ("listening", "reading", "speaking", "writing"):
        value = e.details.get(key)
        if isinstance(value, str) and value:
            parts.append(f"{key[0].upper()}{value}")
    if e.country:
        parts.append(e.country)
    if e.start_date or e.end_date:
        parts.append(f"{e.start_date.isoformat() if e.start_date else '…'}"
                     f"–{e.end_date.isoformat() if e.end_date else '…'}")
    return ", ".join(parts)


def evidence(entries: Iterable[EntryFacts], language: str) -> list[dict[str, Any]]:
    """One Evidence per entry: what it is, how far it was verified, by whom and when."""
    def narrative(e: EntryFacts) -> str:
        text = _verification_sentence(e)
        if e.acquired_abroad:
            text += ". " + _("Acquired abroad.")
        return text

    entries = list(entries)
    all_narratives = localized_all(language, [lambda e=e: narrative(e) for e in entries])
    out = []
    for e, narratives in zip(entries, all_narratives, strict=True):
        item: dict[str, Any] = {
            "type": ["Evidence"], "name": e.title, "genre": e.kind,
            "narrative": narratives["en"], "localizedNarrative": narratives,
        }
        facts = _facts_line(e)
        if facts:
            item["description"] = facts
        out.append(item)
    return out


def _envelope(s: Subject, credential_uuid: str, achievement: dict[str, Any],
              texts: dict[str, Any], evid: list[dict[str, Any]],
              subject_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    terms = {t: {"@id": f"{s.base_url}/ns/credentials#{t}", "@container": "@language"}
             for t in LOCALIZED_TERMS}
    doc: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT, {"@version": 1.1, **terms}],
        "id": f"urn:uuid:{credential_uuid}",
        "type": list(CREDENTIAL_TYPE),
        "issuer": issuer_profile(s.base_url, s.office_id, s.office_name, s.office_country),
        "validFrom": iso(s.valid_from),
        **texts,
        "credentialSubject": {
            "id": s.subject_id,
            "type": ["AchievementSubject"],
            # The holder's name in clear: the participant hands this credential to employers,
            # who must be able to match it to the person in front of them.
            "identifier": [{"type": "IdentityObject", "hashed": False, "identityHash": s.name,
                            "identityType": "name"}],
            "achievement": achievement,
            **(subject_extra or {}),
        },
        "credentialStatus": {"id": f"{s.base_url}/api/v1/credentials/{credential_uuid}/status",
                             "type": STATUS_TYPE},
    }
    if s.valid_until is not None:
        doc["validUntil"] = iso(s.valid_until)
    if evid:
        doc["evidence"] = evid
    return doc


def _achievement(s: Subject, credential_uuid: str, kind: str, texts: dict[str, Any],
                 criteria: dict[str, Any], aligned: list[dict[str, Any]],
                 **extra: Any) -> dict[str, Any]:
    achievement = {
        "id": f"{s.base_url}/achievements/{credential_uuid}",
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES[kind],
        **texts,
        "criteria": criteria,
        "inLanguage": "en",
        **extra,
    }
    if aligned:
        achievement["alignment"] = aligned
    return achievement


def passport_credential(s: Subject, credential_uuid: str,
                        entries: list[EntryFacts]) -> dict[str, Any]:
    """The whole passport: every current entry as evidence, occupations and skills aligned."""
    texts = _texts(s.language, lambda: _("Skills passport"), lambda: _(
        "Skills, qualifications, work experience and languages recorded in a skills passport."))
    achievement = _achievement(s, credential_uuid, "passport", texts,
                               _criteria(s.language, s.office_name), alignments(entries))
    return _envelope(s, credential_uuid, achievement, texts, evidence(entries, s.language))


def entry_credential(s: Subject, credential_uuid: str, entry: EntryFacts) -> dict[str, Any]:
    """A single qualification or skill."""
    if entry.kind == EntryKind.QUALIFICATION:
        description = localized(s.language, lambda: _("A qualification recorded in a skills passport."))
    else:
        description = localized(s.language, lambda: _("A skill recorded in a skills passport."))
    texts = {"name": entry.title, "description": description["en"],
             "localizedName": dict.fromkeys(_langs(s.language), entry.title),
             "localizedDescription": description}
    extra: dict[str, Any] = {"version": str(entry.version)}
    if entry.details.get("level") and isinstance(entry.details["level"], str | int):
        extra["humanCode"] = str(entry.details["level"])
    achievement = _achievement(s, credential_uuid, entry.kind, texts,
                               _criteria(s.language, s.office_name), alignments([entry]), **extra)
    return _envelope(s, credential_uuid, achievement, texts, evidence([entry], s.language))


def _card_summary(answers: Mapping[str, Any]) -> str:
    """The confirmed skill form, as Markdown lines, labelled in the current locale."""
    def text(value: Any) -> str:
        return str(value).strip() if isinstance(value, str | int | float) else ""

    occupation = answers.get("occupation") if isinstance(answers.get("occupation"), Mapping) else {}
    lines = []

    def add(label: str, value: str) -> None:
        if value:
            lines.append(f"- {label}: {value}")

    add(_("Occupation"), text(occupation.get("title")))
    add(_("Sector"), text(answers.get("sector")))
    add(_("Years of experience at home"), text(answers.get("years_experience_home")))
    add(_("Years of experience abroad"), text(answers.get("years_experience_abroad")))
    employer = ", ".join(x for x in (text(answers.get("last_overseas_employer")),
                                     text(answers.get("last_overseas_country"))) if x)
    add(_("Last overseas employer"), employer)

    def titles(key: str) -> str:
        items = answers.get(key) if isinstance(answers.get(key), list) else []
        return "; ".join(text(i.get("title")) for i in items
                         if isinstance(i, Mapping) and text(i.get("title")))

    add(_("Skills"), titles("skills"))
    add(_("Certifications"), titles("certifications"))
    langs = []
    for item in answers.get("languages") or []:
        if isinstance(item, Mapping) and text(item.get("code")):
            levels = "/".join(text(item.get(k)) or "-"
                              for k in ("listening", "reading", "speaking", "writing"))
            langs.append(f"{text(item.get('code'))} ({levels})")
    add(_("Languages"), "; ".join(langs))
    add(_("Preferred location"), text(answers.get("preferred_location")))
    add(_("Preferred sector"), text(answers.get("preferred_sector")))
    add(_("Available from"), text(answers.get("availability_date")))
    return "\n".join(lines)


def card_alignment_facts(answers: Mapping[str, Any]) -> list[EntryFacts]:
    """The card's occupation and ESCO skills, shaped for ``alignments``."""
    facts = []
    occupation = answers.get("occupation")
    if isinstance(occupation, Mapping) and isinstance(occupation.get("title"), str):
        isco = occupation.get("isco_code")
        facts.append(EntryFacts(
            id=0, version=1, kind="card_occupation", title=occupation["title"],
            esco_uri=occupation.get("esco_uri") if isinstance(occupation.get("esco_uri"), str) else None,
            isco_code=isco if isinstance(isco, str) and isco.isdigit() else None))
    for item in answers.get("skills") or []:
        if isinstance(item, Mapping) and isinstance(item.get("title"), str) \
                and isinstance(item.get("esco_uri"), str):
            facts.append(EntryFacts(id=0, version=1, kind=EntryKind.SKILL.value,
                                    title=item["title"], esco_uri=item["esco_uri"]))
    return facts


def skill_card_credential(s: Subject, credential_uuid: str, number: str,
                          answers: Mapping[str, Any], entries: list[EntryFacts]) -> dict[str, Any]:
    """A return skill card: the confirmed form as the subject's narrative, the occupation and
    skills aligned, and the passport entries the form cites as evidence."""
    texts = _texts(s.language, lambda: _("Skill card %(number)s", number=number), lambda: _(
        "Return skill card: the occupation, experience, skills and languages the returnee "
        "confirmed."))
    criteria = _criteria(s.language, s.office_name, lambda: _(
        "The returnee confirmed or corrected a skill form pre-filled from their skills passport."))
    achievement = _achievement(s, credential_uuid, "skill_card", texts, criteria,
                               alignments(card_alignment_facts(answers)), humanCode=number)
    summaries = localized(s.language, lambda: _card_summary(answers))
    extra = {"narrative": summaries["en"], "localizedNarrative": summaries}
    return _envelope(s, credential_uuid, achievement, texts, evidence(entries, s.language), extra)
