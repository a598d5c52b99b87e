"""Public pages: the published keys, issuer profiles and the credential verification page.

No login anywhere here: employers and anyone else a participant shows a credential to use them.
The verification page shows a credential's status, issuer, dates and achievement, and of the
holder only what they agreed to show (Passport.disclosure), read when the page is viewed, so a
participant who withdraws their agreement is obeyed at once.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from journey.core.db import db
from journey.core.errors import ProblemError
from journey.core.i18n import normalise_language
from journey.credentials import services
from journey.passports import disclosure
from journey.web.pagekit import error_page, html_blueprint, problem_page

bp = html_blueprint("credential_pages", __name__)

# Public keys and issuer profiles change rarely; verifiers may cache them for an hour.
_PUBLISHED_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff",
                      "Access-Control-Allow-Origin": "*"}
MAX_PASTED = 500_000


@bp.after_request
def _published_headers(response):
    if request.path.startswith(("/.well-known/", "/issuers/")):
        # Registered after the page headers, so it runs first: setdefault keeps these.
        for name, value in _PUBLISHED_HEADERS.items():
            response.headers[name] = value
    return response


@bp.errorhandler(ProblemError)
def _problem(err: ProblemError):
    if request.path.startswith("/issuers/"):  # a machine asked: answer in JSON
        return jsonify({"title": err.title, "status": err.status}), err.status
    return problem_page(err)


# --- published keys and issuers ----------------------------------------------------------------

@bp.get("/.well-known/jwks.json")
def jwks():
    """Every public key credentials were signed with, current and rotated."""
    return jsonify(services.jwks(db.session))


@bp.get("/.well-known/did.json")
def did_document():
    """The same keys as a did:web document, for verifiers that resolve DIDs."""
    base = current_app.config["PUBLIC_BASE_URL"]
    host = base.split("://", 1)[-1].split("/", 1)[0].replace(":", "%3A")
    did = f"did:web:{host}"
    keys = services.jwks(db.session)["keys"]
    methods = [{"id": f"{did}#{k['kid']}", "type": "JsonWebKey2020", "controller": did,
                "publicKeyJwk": {n: k[n] for n in ("kty", "crv", "x")}} for k in keys]
    refs = [m["id"] for m in methods]
    return jsonify({"@context": ["https://www.w3.org/ns/did/v1",
                                 "https://w3id.org/security/suites/jws-2020/v1"],
                    "id": did, "verificationMethod": methods,
                    "assertionMethod": refs, "authentication": refs})


@bp.get("/issuers/<id:office_id>")
def issuer(office_id: int):
    """An issuing office as an Open Badges 3.0 Profile."""
    return jsonify(services.issuer_document(db.session, office_id))


# --- the verification page ---------------------------------------------------------------------

def _labels() -> dict[str, str]:
    return {
        "title": _("Credential verification"),
        "valid": _("Valid"),
        "revoked": _("Revoked"),
        "expired": _("Expired"),
        "tampered": _("Not genuine: this credential was changed or not issued by us"),
        "unknown": _("Not issued here"),
        "issuer": _("Issued by"),
        "valid_from": _("Issued on"),
        "valid_until": _("Valid until"),
        "revoked_at": _("Revoked on"),
        "holder": _("Holder"),
        "details": _("Details the holder agreed to show"),
        "paste": _("Paste a credential to check it"),
        "check": _("Check"),
    }


def _bilingual(language: str | None) -> list[tuple[str, dict[str, str]]]:
    """The page's labels in English and, when it differs, the holder's language."""
    out = []
    for lang in ["en"] if language in (None, "en") else ["en", language]:
        with force_locale(lang):
            out.append((lang, _labels()))
    return out


def _disclosed(result: services.Result) -> dict[str, Any]:
    """What the holder agreed to show: their name, and entries of the kinds they chose."""
    cred = result.credential
    if cred is None:
        return {"name": None, "entries": []}
    shown = disclosure.public(db.session, cred.participant_id)
    return {"name": shown.name,
            "entries": disclosure.evidence(shown, result.document.get("evidence") or [])}


def _render(result: services.Result | None, status: int = 200):
    language = normalise_language(result.credential.language) if result and result.credential \
        else None
    return render_template(
        "credentials/verify.html", result=result, labels=_bilingual(language),
        disclosed=_disclosed(result) if result else {"name": None, "entries": []},
        achievement=result.achievement if result else {},
        lang=language or "en"), status


@bp.get("/verify")
def verify_form():
    return _render(None)


@bp.post("/verify")
def verify_pasted():
    """Check a pasted token. A POST, so the token (which names the holder) stays out of URLs."""
    token = request.form.get("token", "")[:MAX_PASTED]
    if not token.strip():
        return _render(None, 422)
    result = services.verify(db.session, token)
    services.audit_view(db.session, result, via="paste")
    return _render(result)


@bp.get("/verify/<credential_uuid>")
def verify_page(credential_uuid: str):
    """The page a credential's or card's QR code opens: the stored token, verified now."""
    cred = services.by_uuid(db.session, credential_uuid)
    if cred is None:
        return error_page(404, _("Page not found"))
    if not cred.token:  # its holder's record was erased (journey.privacy): nothing to show
        result = services.Result(services.Status.REVOKED, "erased", cred)
    else:
        result = services.verify(db.session, cred.token)
    services.audit_view(db.session, result, via="page")
    return _render(result)
