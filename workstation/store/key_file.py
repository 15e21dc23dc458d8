"""Signing secrets in a passphrase-protected file, for computers without an OS keyring.

The file is JSON: a header (format, version, the scrypt parameters and salt) and one
AES-256-GCM ciphertext of ``{annotator id: secret}``. The key is derived from the passphrase
with scrypt; the header is the ciphertext's associated data, so changing any of it (a weaker
cost, another salt) makes the file unreadable rather than silently weaker. A wrong passphrase
and an altered file both fail GCM's authentication; the message names both.

scrypt's cost follows OWASP's password storage cheat sheet (N = 2**17, r = 8, p = 1: about
0.3 s and 128 MiB once per session); the nonce is fresh for every write.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import unicodedata
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from workstation.store.errors import IdentityError, PassphraseError

FORMAT = "ecgws-signing-keys"
VERSION = 1
#: scrypt's cost (OWASP password storage cheat sheet, 2023).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
#: Environment variable naming the key file (default: :func:`default_key_file`).
KEY_FILE_ENV = "ECGWS_KEY_FILE"
#: Shortest passphrase accepted when a key file is created.
MIN_PASSPHRASE = 8


def default_key_file() -> Path:
    """``$ECGWS_KEY_FILE``, else ``signing-keys.json`` in the user's application data folder."""
    env = os.environ.get(KEY_FILE_ENV)
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "ecg-workstation" / "signing-keys.json"


class KeyFile:
    """An unlocked key file: reads and writes annotators' secrets under one passphrase.

    Use :meth:`unlock`; it creates the file when there is none, and fails with
    :class:`PassphraseError` when the passphrase does not open an existing one.
    """

    def __init__(self, path: Path, header: dict, key: bytes, secrets_: dict[str, str]) -> None:
        self.path, self._header, self._key, self._secrets = path, header, key, secrets_

    @classmethod
    def unlock(cls, path: Path, passphrase: str) -> KeyFile:
        """Open the key file at ``path`` with ``passphrase``, creating an empty one if missing."""
        if not path.exists():
            return cls._create(path, passphrase)
        header, nonce, ciphertext = _read(path)
        key = _derive(passphrase, header)
        try:
            plain = AESGCM(key).decrypt(nonce, ciphertext, _aad(header))
        except InvalidTag:
            raise PassphraseError(path, "wrong passphrase (or the key file was altered)") from None
        return cls(path, header, key, json.loads(plain))

    @classmethod
    def _create(cls, path: Path, passphrase: str) -> KeyFile:
        if len(passphrase) < MIN_PASSPHRASE:
            raise PassphraseError(path, f"choose a passphrase of at least {MIN_PASSPHRASE} characters")
        header = {"format": FORMAT, "version": VERSION, "kdf": "scrypt", "n": SCRYPT_N,
                  "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(secrets.token_bytes(16))}
        created = cls(path, header, _derive(passphrase, header), {})
        created._write()
        return created

    def get(self, annotator_id: str) -> str | None:
        """The annotator's secret, or None."""
        return self._secrets.get(annotator_id)

    def put(self, annotator_id: str, secret: str) -> None:
        """Keep ``secret`` for the annotator (written at once)."""
        self._secrets[annotator_id] = secret
        self._write()

    def _write(self) -> None:
        """Encrypt and replace the file atomically (a crash leaves the old or the new one)."""
        nonce = secrets.token_bytes(12)
        plain = json.dumps(self._secrets, sort_keys=True).encode("utf-8")
        body = {**self._header, "nonce": _b64(nonce),
                "ciphertext": _b64(AESGCM(self._key).encrypt(nonce, plain, _aad(self._header)))}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(body, indent=1), encoding="utf-8")
            os.chmod(tmp, 0o600)  # a no-op beyond read-only on Windows; the content is encrypted
            tmp.replace(self.path)
        except OSError as exc:
            raise IdentityError(self.path, f"cannot write the key file ({exc.strerror or exc})") from exc


def _read(path: Path) -> tuple[dict, bytes, bytes]:
    """The header, nonce and ciphertext of the key file at ``path``."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        header = {k: body[k] for k in ("format", "version", "kdf", "n", "r", "p", "salt")}
        nonce, ciphertext = base64.b64decode(body["nonce"]), base64.b64decode(body["ciphertext"])
    except OSError as exc:
        raise IdentityError(path, f"cannot read the key file ({exc.strerror or exc})") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise IdentityError(path, "not an ECG Workstation key file (damaged?)") from exc
    if header["format"] != FORMAT or header["version"] != VERSION or header["kdf"] != "scrypt":
        raise IdentityError(path, f"not a key file this version reads ({header['format']} "
                                  f"v{header['version']})")
    return header, nonce, ciphertext


def _derive(passphrase: str, header: dict) -> bytes:
    """The AES key: scrypt of the passphrase (NFC, so the same text typed anywhere matches)."""
    text = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kdf = Scrypt(salt=base64.b64decode(header["salt"]), length=32, n=int(header["n"]),
                 r=int(header["r"]), p=int(header["p"]))
    return kdf.derive(text)


def _aad(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
