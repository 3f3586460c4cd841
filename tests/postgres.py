"""A fresh PostgreSQL database per test session (127.0.0.1:5432, trust auth).

No skipping: if the server is not there, the tests that need it fail with a clear message
(``.ci/run`` starts it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

ADMIN_URL = os.environ.get("TEDDY_XRAY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"teddy_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL is needed at {ADMIN_URL} and is not reachable ({exc}). "
            "Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        ) from exc
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
