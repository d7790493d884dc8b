"""Foundation benchmark: an authenticated JSON endpoint of Comptoir next to a bare FastAPI endpoint.

Both are served by uvicorn with one worker, one after the other, and driven by the same load
generator (``bench/_http.py``). The authenticated endpoint is ``GET /v1/me``: API-key check (hash,
cache, scopes), per-key rate limiting, request id, metrics, the idempotency middleware and problem
handlers — everything a real request goes through before reaching a domain.

    .venv/bin/python bench/api.py           # 10 s per endpoint
    .venv/bin/python bench/api.py --quick   # 3 s per endpoint
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._http import load, start_bare, start_comptoir, stop


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 s per endpoint instead of 10 s")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    duration = 3.0 if args.quick else 10.0

    from comptoir.core.auth import ApiKeyCreate, create_key
    from comptoir.core.db import Database
    from comptoir.core.migrate import upgrade
    from comptoir.core.uow import UnitOfWork

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        db = Database(url)
        with UnitOfWork(db) as uow:
            token = create_key(uow, ApiKeyCreate(name="bench", scopes=["*:read"], channel="web")).token
            uow.commit()
        db.dispose()

        bare_proc, bare_base = start_bare(Path(tmp) / "bare.log")
        try:
            bare = load(f"{bare_base}/bare", duration=duration, connections=args.connections)
        finally:
            stop(bare_proc)
        server, base = start_comptoir(url, Path(tmp) / "server.log")
        try:
            auth = load(
                f"{base}/v1/me",
                headers={"Authorization": f"Bearer {token}"},
                duration=duration,
                connections=args.connections,
            )
        finally:
            stop(server)

    print(f"connections: {args.connections}")
    print(f"seconds_per_endpoint: {duration:g}")
    print(f"bare_fastapi_rps: {bare.rps:.0f}")
    print(f"bare_fastapi_p99_ms: {bare.p99_ms:.2f}")
    print(f"authenticated_json_rps: {auth.rps:.0f}")
    print(f"authenticated_json_p99_ms: {auth.p99_ms:.2f}")
    print(f"authenticated_json_errors: {auth.errors}")
    print(f"ratio_rps_authenticated_to_bare: {auth.rps / bare.rps:.2f}")


if __name__ == "__main__":
    main()
