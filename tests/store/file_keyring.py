"""A real keyring backend that keeps passwords in a JSON file (for tests and child processes).

Not a mock: ``keyring.set_password``/``get_password`` go through the keyring library's normal
backend interface; only the storage is a file in the test's temporary folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend
from jaraco.classes import properties
import keyring.errors

#: A child process reads the file's location from here (see :func:`use_file_keyring`).
ENV_VAR = "ECGWS_TEST_KEYRING"


class FileKeyring(keyring.backend.KeyringBackend):
    """Passwords in one JSON file: ``{service: {user: password}}``."""

    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 - a class property
        """Viable only where a test named the file (the keyring library tries every backend)."""
        if ENV_VAR not in os.environ:
            raise RuntimeError(f"${ENV_VAR} is not set")
        return 0.1  # below any OS keyring; tests set it explicitly

    def __init__(self, path: Path | str | None = None) -> None:
        super().__init__()
        self.path = Path(path or os.environ[ENV_VAR])

    def _load(self) -> dict:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data.setdefault(service, {})[username] = password
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.path)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if username not in data.get(service, {}):
            raise keyring.errors.PasswordDeleteError(f"no password for {username}")
        del data[service][username]
        self.path.write_text(json.dumps(data))


def use_file_keyring(path: Path) -> FileKeyring:
    """Make ``path`` this process's keyring (and its children's, via the environment)."""
    os.environ[ENV_VAR] = str(path)
    backend = FileKeyring(path)
    keyring.set_keyring(backend)
    return backend
