"""Credentials benchmark: issue + verify throughput against the signing primitives underneath.

    python bench/credentials.py            # 1,500 credentials, in 3 runs
    python bench/credentials.py --n 300    # a quicker run
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/credentials.py

One participant with a dozen passport entries of every kind (some verified, some abroad, in
Nepali besides English) in a fresh, migrated database (a SQLite file; or, when DATABASE_URL is a
PostgreSQL URL, a new database on that server, dropped at the end). The --n credentials are split
into --runs runs; in each, three sides run interleaved, one batch of --batch credentials each in
turn, so load from anything else on the machine hits all of them alike:

* SERVICE: ``services.issue(..., "passport")`` (read the entries and verifiers, build the Open
  Badges document in two languages, register the key, sign, INSERT the credential and its audit
  row), a commit per batch, then ``services.verify`` of each token (header, key lookup,
  signature, claims, the credential row, expiry, revocation).
* PYJWT: ``jwt.encode`` then ``jwt.decode`` (EdDSA) of the same payload with the same key: the
  JWT library alone.
* RAW: Ed25519 ``sign`` then ``verify`` of the same signing-input bytes with ``cryptography``:
  the signature alone, the floor under everything.

Printed: credentials/s (issue + verify) for each side, the median of the runs, and the ratios
of the medians. It reports; it does not gate (exit code 0 either way).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

from _common import (  # noqa: E402
    Databases,
    StatementCounter,
    Timings,
    Workspace,
    heading,
    interleave,
    line,
    note,
    seed_reference_data,
    sized,
    stopwatch,
)


def make_participant(app, seed) -> int:
    """A participant (Nepali speaker) with 12 current passport entries; returns its id."""
    from journey.core.auth import User
    from journey.core.db import db, utcnow
    from journey.participants.services import create_participant
    from journey.passports.models import PassportEntry
    from journey.taxonomy.models import IscoGroup

    with app.app_context():
        sess = db.session
        office_id = seed.office_ids[0]
        cw = sess.get(User, seed.caseworker_ids[office_id])
        p = create_participant(sess, cw, {
            "given_name": "Sita", "family_name": "Gurung", "date_of_birth": date(1990, 4, 1),
            "sex": "female", "nationality": "NP", "origin_country": "NP",
            "destination_country": "PT", "phone": "+9779841000001", "language": "ne",
            "timezone": "Asia/Kathmandu", "channels": ["sms"], "office_id": office_id})
        for level, code in enumerate(("5", "51", "512", "5120"), start=1):
            if sess.get(IscoGroup, code) is None:
                sess.add(IscoGroup(code=code, level=level, label=f"Group {code}",
                                   label_key=f"group {code}", parent_code=code[:-1] or None))
        sess.flush()
        now = utcnow()
        verified = {"verification": "assessed", "verified_by": cw.id, "verified_at": now}
        esco = "http://data.europa.eu/esco/"
        specs = [
            ("occupation", "Cook", {"esco_uri": esco + "occupation/90f75f67", "isco_code": "5120"}),
            ("skill", "Prepare fish dishes", {"esco_uri": esco + "skill/0f8a8f1e", **verified}),
            ("skill", "Bread baking", {}),
            ("qualification", "Food hygiene certificate",
             {"country": "NP", "details": {"awarding_body": "CTEVT", "level": "EQF 3"}, **verified}),
            ("qualification", "Barista course", {"country": "PT", "acquired_abroad": True}),
            ("prior_learning", "Kitchen hygiene (RPL)", {}),
            ("experience", "Line cook", {"country": "PT", "acquired_abroad": True,
                                         "isco_code": "5120", "start_date": date(2019, 1, 1),
                                         "end_date": date(2022, 5, 1),
                                         "details": {"employer": "Casa Lisboa"}}),
            ("experience", "Kitchen helper", {"country": "NP", "start_date": date(2015, 1, 1),
                                              "end_date": date(2018, 12, 1)}),
            ("language", "Portuguese", {"language": "pt", "details": {"listening": "B1",
                                                                       "speaking": "B1"}}),
            ("language", "English", {"language": "en", "details": {"listening": "B2"}}),
            ("soft_skill", "Teamwork", {}),
            ("training", "Pre-departure orientation", verified),
        ]
        for kind, title, extra in specs:
            sess.add(PassportEntry(participant_id=p.id, kind=kind, title=title, created_at=now,
                                   updated_at=now, created_by=cw.id, **extra))
        sess.commit()
        return p.id


def _batches(n: int, batch: int) -> Iterator[int]:
    """The sizes of the batches that make n: batch each, the last one what is left."""
    for done in range(0, n, batch):
        yield min(batch, n - done)


def service_side(app, seed, participant_id: int, n: int, batch: int,
                 parts: dict[str, Timings], tokens: list[str]) -> Iterator[float]:
    """Issue a batch (one commit), then verify it; yields each batch's seconds."""
    from journey.core.auth import User
    from journey.core.db import db
    from journey.credentials import services
    from journey.participants.models import Participant

    with app.test_request_context():
        sess = db.session
        actor = sess.get(User, seed.caseworker_ids[seed.office_ids[0]])
        participant = sess.get(Participant, participant_id)
        for size in _batches(n, batch):
            start = time.perf_counter()
            issued = [services.issue(sess, actor, participant, "passport").token
                      for _ in range(size)]
            sess.commit()
            mid = time.perf_counter()
            for token in issued:
                if services.verify(sess, token).status != "valid":
                    raise RuntimeError("a freshly issued credential did not verify")
            sess.commit()
            end = time.perf_counter()
            parts["issue"].samples.append(mid - start)
            parts["verify"].samples.append(end - mid)
            tokens.extend(issued)
            yield end - start


def pyjwt_side(payload: dict, private, public, n: int, batch: int) -> Iterator[float]:
    import jwt

    for size in _batches(n, batch):
        start = time.perf_counter()
        for _ in range(size):
            token = jwt.encode(payload, private, algorithm="EdDSA",
                               headers={"kid": "k", "typ": "JWT"})
            jwt.decode(token, public, algorithms=["EdDSA"],
                       options={"verify_exp": False, "verify_nbf": False})
        yield time.perf_counter() - start


def raw_side(message: bytes, private, public, n: int, batch: int) -> Iterator[float]:
    for size in _batches(n, batch):
        start = time.perf_counter()
        for _ in range(size):
            public.verify(private.sign(message), message)
        yield time.perf_counter() - start


def main() -> None:
    import statistics

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=sized(1500, 30), help="credentials per side")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=sized(100, 5))
    args = parser.parse_args()
    per_run = args.n // args.runs

    import jwt

    with Workspace() as ws:
        dbs = Databases.from_env(ws)
        try:
            heading(f"credentials on {dbs.backend}: {args.runs} runs of {per_run:,} passport "
                    "credentials (12 entries), issue + verify")
            with stopwatch() as elapsed:
                url = dbs.fresh("credentials")
                seed = seed_reference_data(ws.engine(url))
                app = ws.app(url)
                participant_id = make_participant(app, seed)
            note(f"database and participant ready in {elapsed():.1f}s (not measured)")
            run_all(app, seed, participant_id, args, per_run, jwt, statistics)
        finally:
            dbs.close()


def run_all(app, seed, participant_id: int, args, per_run: int, jwt, statistics) -> None:
    from journey.core.auth import User
    from journey.core.db import db
    from journey.credentials import keys, services
    from journey.participants.models import Participant

    # One credential first (it generates the key file) to take the payload the baselines sign.
    with app.test_request_context():
        sess = db.session
        actor = sess.get(User, seed.caseworker_ids[seed.office_ids[0]])
        sample = services.issue(sess, actor, sess.get(Participant, participant_id), "passport")
        sess.commit()
        pair = keys.key_pair()
    token = sample.token
    payload = jwt.decode(token, options={"verify_signature": False})
    signing_input = token.rsplit(".", 1)[0].encode()
    public = pair.private.public_key()
    note(f"token {len(token):,} bytes; payload {len(signing_input):,} bytes signed")

    counter = StatementCounter(app.extensions["journey_db"].engine)
    parts = {"issue": Timings(), "verify": Timings()}
    tokens: list[str] = []
    rates: dict[str, list[float]] = {"service": [], "pyjwt": [], "raw": []}
    for _run in range(args.runs):
        svc, pyjwt_t, raw_t = interleave(
            service_side(app, seed, participant_id, per_run, args.batch, parts, tokens),
            pyjwt_side(payload, pair.private, public, per_run, args.batch),
            raw_side(signing_input, pair.private, public, per_run, args.batch),
        )
        for name, t in (("service", svc), ("pyjwt", pyjwt_t), ("raw", raw_t)):
            rates[name].append(per_run / t.total)
    statements = counter.reset()
    n = per_run * args.runs

    med = {name: statistics.median(values) for name, values in rates.items()}
    for name, label in (("raw", "raw Ed25519 sign + verify"), ("pyjwt", "PyJWT encode + decode (EdDSA)"),
                        ("service", "service issue + verify")):
        line(label, f"{med[name]:,.0f} credentials/s  (median of {args.runs}: "
                    f"{', '.join(f'{r:,.0f}' for r in rates[name])})")
    line("  of which issue", f"{n / parts['issue'].total:,.0f}/s "
         f"({parts['issue'].total / (parts['issue'].total + parts['verify'].total):.0%} "
         "of the service's time)")
    line("  of which verify", f"{n / parts['verify'].total:,.0f}/s")
    line("PyJWT / raw", f"{med['raw'] / med['pyjwt']:.1f}x slower")
    line("service / PyJWT", f"{med['pyjwt'] / med['service']:.1f}x slower")
    line("service / raw", f"{med['raw'] / med['service']:.1f}x slower")
    line("SQL per credential", StatementCounter.per(statements, n))
    if len(set(tokens)) != n:
        raise SystemExit("FAIL: duplicate tokens")


if __name__ == "__main__":
    main()
