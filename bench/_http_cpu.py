"""In-process CPU per request (test client, no server): the bare endpoint, the list and one
participant. Steadier than the wrk figures on a loaded machine.

    python bench/_http_cpu.py [--n 10000] [--reps 300] [--profile list|one|bare]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _http_bench as hb  # noqa: E402
from _common import Workspace, profile  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--profile", default="")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--sort", default="cumulative")
    opts = ap.parse_args()
    with Workspace(prefix="journey-cpu-") as ws, hb.fresh_database(ws) as url:
        token, ids, _ = hb.seed(url, opts.n)
        os.environ.update({k: v for k, v in hb.server_env(ws, url).items()
                           if k.startswith("JOURNEY_") or k == "SECRET_KEY"})
        from flask import jsonify

        from journey import create_app

        app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
        app.add_url_rule("/bench/bare", "bare", lambda: jsonify(status="ok"))
        client = app.test_client()
        h = {"Authorization": f"Bearer {token}"}
        sides = {"bare": ([hb.BARE_PATH], {}), "list": ([hb.LIST_PATH], h),
                 "one": ([f"/api/v1/participants/{i}" for i in ids[:opts.reps]], h)}

        def go(name: str) -> None:
            paths, hh = sides[name]
            for k in range(opts.reps):
                r = client.get(paths[k % len(paths)], headers=hh)
                assert r.status_code == 200, (name, r.status_code, r.data[:300])

        for name in sides:
            go(name)
            best = []
            for _ in range(3):
                t = time.process_time()
                go(name)
                best.append((time.process_time() - t) * 1000 / opts.reps)
            print(f"{name:5} CPU ms/request: {min(best):.3f}  (runs {', '.join(f'{b:.3f}' for b in best)})",
                  flush=True)
        if opts.profile:
            print(profile(lambda: go(opts.profile), top=opts.top, sort=opts.sort))
        app.extensions["journey_db"].engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
