"""Encryption benchmark: what encryption at rest costs registration and a list of 50.

    python bench/encryption.py                 # SQLite, 5 runs
    python bench/encryption.py --runs 3 --n 100
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/encryption.py

Two copies of the real app, each on its own fresh migrated database (a SQLite file, or a new
database on the PostgreSQL server DATABASE_URL names, dropped at the end), driven through the
Flask test client with a caseworker's token:

* Service: the app as shipped. Six participant columns are AES-GCM encrypted on write and
  decrypted on read, and the phone's blind index is an HMAC (journey.core.crypto).
* Baseline: the same app with its keyring replaced by a pass-through (made only for this bench):
  values are stored as given and the "index" is the normalised phone itself.

Paths: registration (POST /api/v1/participants/, every encrypted field filled) and a list of 50
(GET /api/v1/participants/?per_page=50, after --n registrations). Calls alternate between the two
apps (A B, B A, ...) so load from anything else on the machine hits both alike. Per run the
median per call; figures are the median of --runs runs, with service/baseline ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common when run from elsewhere

from _common import (  # noqa: E402
    QUICK,
    Databases,
    Workspace,
    heading,
    interleave,
    line,
    note,
    seed_reference_data,
    sized,
)

from journey.core.crypto import Keyring  # noqa: E402


class PassThrough(Keyring):
    """The baseline's "cipher": values stored as given, the phone as its own index."""

    def __init__(self) -> None:
        self.current, self.kids = "clear", ("clear",)

    def encrypt(self, plain: str, context: str) -> str:
        return plain

    def decrypt(self, token: str, context: str) -> str:
        return token

    def blind_index(self, value: str, kid: str | None = None) -> str:
        return f"clear:{value}"


def _body(i: int, run: int) -> dict:
    return {"given_name": f"Sunita{run}x{i}", "family_name": "Gurung", "date_of_birth": "1995-04-02",
            "sex": "another", "sex_self_described": "tesro lingi", "gender_identity": "non-binary",
            "nationality": "NP", "origin_country": "NP", "destination_country": "PT",
            "phone": f"+97798{5 if run == 99 else 4}{run % 10}{i:06d}", "email": f"p{run}x{i}@example.org",
            "language": "ne", "timezone": "Asia/Kathmandu", "channels": ["sms"],
            "disability": "yes", "disability_details": "uses a wheelchair",
            "notes": "Told us about a debt to the recruiter. " * 4}


class Side:
    def __init__(self, ws: Workspace, dbs: Databases, name: str, passthrough: bool) -> None:
        from journey.core.auth import User, issue_token
        from journey.core.db import db

        url = dbs.fresh(f"enc-{name}")
        self.app = ws.app(url)
        if passthrough:
            self.app.extensions["journey_keyring"] = PassThrough()
        seed = seed_reference_data(self.app.extensions["journey_db"].engine, offices=1)
        with self.app.app_context():
            sess = db.session
            user = sess.get(User, seed.caseworker_ids[seed.office_ids[0]])
            _token, secret = issue_token(sess, user, "bench", 1)
            sess.commit()
        self.headers = {"Authorization": f"Bearer {secret}"}
        self.client = self.app.test_client()

    def registrations(self, n: int, run: int) -> Iterator[float]:
        for i in range(n):
            start = time.perf_counter()
            resp = self.client.post("/api/v1/participants/", json=_body(i, run),
                                    headers=self.headers)
            elapsed = time.perf_counter() - start
            assert resp.status_code == 201, resp.get_json()
            yield elapsed

    def lists(self, n: int) -> Iterator[float]:
        for _ in range(n):
            start = time.perf_counter()
            resp = self.client.get("/api/v1/participants/?per_page=50", headers=self.headers)
            elapsed = time.perf_counter() - start
            assert resp.status_code == 200 and len(resp.get_json()["items"]) == 50
            yield elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=sized(5, 1), help="runs per path (at least 3)")
    parser.add_argument("--n", type=int, default=sized(100, 3), help="calls per side per run")
    args = parser.parse_args()
    runs = args.runs if QUICK else max(3, args.runs)

    with Workspace("journey-bench-enc-") as ws:
        dbs = Databases.from_env(ws)
        try:
            service = Side(ws, dbs, "service", passthrough=False)
            baseline = Side(ws, dbs, "baseline", passthrough=True)
            heading(f"Encryption at rest on {dbs.backend}: {runs} runs of {args.n} calls a side")
            for side in (service, baseline):  # warm-up, uncounted: 60 people, so a page is full
                for _elapsed in side.registrations(60, 99):
                    pass
            results: dict[str, list[tuple[float, float]]] = {"registration": [], "list of 50": []}
            for run in range(runs):
                s, b = interleave(service.registrations(args.n, run),
                                  baseline.registrations(args.n, run))
                results["registration"].append((s.median_ms, b.median_ms))
                s, b = interleave(service.lists(args.n), baseline.lists(args.n))
                results["list of 50"].append((s.median_ms, b.median_ms))
            for path, pairs in results.items():
                for k, (s_ms, b_ms) in enumerate(pairs, 1):
                    line(f"{path} run {k}", f"service {s_ms:7.2f} ms  baseline {b_ms:7.2f} ms"
                                            f"  ratio {s_ms / b_ms:.3f}")
            heading("Median of runs (per call)")
            for path, pairs in results.items():
                s_ms = statistics.median(p[0] for p in pairs)
                b_ms = statistics.median(p[1] for p in pairs)
                ratio = statistics.median(p[0] / p[1] for p in pairs)
                line(path, f"service {s_ms:7.2f} ms  baseline {b_ms:7.2f} ms  ratio {ratio:.3f}")
            note("ratio = service / baseline, the median of the per-run ratios; the list defers "
                 "the encrypted columns (the summary shows none), so it decrypts nothing")
        finally:
            dbs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
