"""The store's command and set-cache tests again, on a real PostgreSQL server.

The same test functions, with ``store_path`` naming a fresh database on the test server
instead of a file (tests that look at the file itself stay with the SQLite suite).
"""

from __future__ import annotations

import pytest

from tests.store.test_cache import *  # noqa: F401,F403
from tests.store.test_commands import *  # noqa: F401,F403


@pytest.fixture
def store_path(admin_url: str) -> str:
    return admin_url
