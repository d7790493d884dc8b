"""Foundation benchmark: an authenticated JSON endpoint of Comptoir next to a bare FastAPI endpoint, with
each kind of credential a real request carries.

The endpoint is ``GET /v1/me``: the credential's check, rate limiting, request id, metrics, the
idempotency middleware and problem handlers — everything a request goes through before reaching a
domain. It is called with

* ``key``: a secret API key (hash, then the process's key cache);
* ``staff``: an employee's session token, as the seller app on a shop's tablet and every staff page
  send it (the session, its person and their shops read and checked on every request).

Each is served by ``comptoir serve`` (one uvicorn worker) on SQLite and, when a PostgreSQL server
answers (``--pg-url``, else as ``bench/_db.py`` says; ``--pg-url ''`` skips it), on a scratch
PostgreSQL database, beside a bare FastAPI endpoint, by the same load generator (``bench/_http.py``) in
interleaved rounds; the figures are the medians over the rounds, with each server's CPU time per
request. ``--baseline-tree DIR`` (another checkout, e.g. ``git worktree add /tmp/before <commit>``)
serves every configuration a second time from that tree's source, as ``<name>_baseline``, in the
same rounds.

    .venv/bin/python bench/api.py           # 5 rounds of 3 s per endpoint
    .venv/bin/python bench/api.py --quick   # 3 rounds of 1.5 s per endpoint (< 60 s)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench._db import reachable, scratch_database, server_url
from bench._http import ROOT, Target, interleaved, print_load, spawn_comptoir, start_bare, stop, wait_ready

PASSWORD = "bench-password-0123456789"


def credentials(url: str) -> dict[str, str]:
    """A secret key and an employee's session token in the (migrated) database at ``url``."""
    from comptoir.core import staff
    from comptoir.core.auth import ApiKeyCreate, create_key
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork

    db = Database(url)
    with UnitOfWork(db) as uow:
        key = create_key(uow, ApiKeyCreate(name="bench", scopes=["*:read"], channel="web")).token
        staff.create_person(
            uow,
            staff.StaffPersonIn(
                email="vendeuse@example.com",
                name="Camille Vendeuse",
                role=staff.Role.SELLER,
                shops=["st_paris_rivoli", "st_lyon"],
                password=PASSWORD,
            ),
        )
        uow.commit()
    with UnitOfWork(db) as uow:
        session = staff.sign_in(
            uow,
            staff.StaffSignIn(email="vendeuse@example.com", password=PASSWORD, shop_id="st_lyon"),
        )
        uow.commit()
    db.dispose()
    return {"key": key, "staff": session.token}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds of 1.5 s per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pg-url", default=None, help="PostgreSQL server ('' skips PostgreSQL)")
    parser.add_argument("--baseline-tree", type=Path, default=None, help="another checkout to serve alike")
    args = parser.parse_args()
    duration, rounds, warmup = (1.5, 3, 0.5) if args.quick else (3.0, 5, 1.0)
    pg = None if args.pg_url == "" else server_url(args.pg_url)
    if pg is not None and not reachable(pg):
        print("postgresql: skipped (the server does not answer)")
        pg = None

    from comptoir.core.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        databases = {"sqlite": f"sqlite:///{tmp}/bench.db"}
        upgrade(databases["sqlite"])
        if pg is not None:
            databases["postgresql"] = stack.enter_context(scratch_database(pg, label="bench_api"))
        tokens = {name: credentials(url) for name, url in databases.items()}
        bare_proc, bare_base = start_bare(Path(tmp) / "bare.log")
        stack.callback(stop, bare_proc)
        trees = {"": ROOT} | ({"_baseline": args.baseline_tree.resolve()} if args.baseline_tree else {})
        servers = {}
        for name, url in databases.items():
            for suffix, root in trees.items():
                proc, base = spawn_comptoir(url, Path(tmp) / f"{name}{suffix}.log", root=root)
                stack.callback(stop, proc)
                servers[name + suffix] = (proc, base, tokens[name])
        for proc, base, _ in servers.values():
            wait_ready(f"{base}/healthz", proc)
        targets = {"bare": Target(f"{bare_base}/bare", server_pid=bare_proc.pid)}
        for name, (proc, base, found) in servers.items():
            for credential, token in found.items():
                targets[f"{credential}_{name}"] = Target(
                    f"{base}/v1/me", {"Authorization": f"Bearer {token}"}, server_pid=proc.pid
                )
        results = interleaved(
            targets, rounds=rounds, duration=duration, connections=args.connections, warmup=warmup
        )
    print(f"connections: {args.connections}")
    print(f"rounds: {rounds}")
    print(f"seconds_per_endpoint: {duration:g}")
    bare = results["bare"]
    print_load("bare_fastapi", bare)
    for name, result in results.items():
        if name == "bare":
            continue
        print_load(f"me_{name}", result)
        print(f"ratio_rps_me_{name}_to_bare: {result.rps / bare.rps:.2f}")


if __name__ == "__main__":
    main()
