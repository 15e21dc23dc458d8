"""Annotators, their signing secrets, and signatures on submitted sets.

Each annotator has a random 256-bit secret, never kept in the store. It lives in the operating
system's keyring (service :data:`KEYRING_SERVICE`, user name = the annotator's id) when this
computer has one; otherwise in a passphrase-protected key file (:mod:`workstation.store.key_file`)
unlocked once per process, with the passphrase from ``$ECGWS_PASSPHRASE`` or from the function
installed with :func:`set_passphrase_prompt` (the window's dialog). ``$ECGWS_KEYRING=file``
chooses the key file even where an OS keyring exists (a profile that travels between
computers). The store keeps only ``key_id``, a SHA-256 fingerprint of the secret, to tell which
secret signed. Submitting a set signs ``HMAC-SHA256(secret, canonical JSON of the set's
content + the chain head)``; anyone holding the annotator's secret can verify it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from workstation.core.annotation import AnnotationState
from workstation.store.errors import IdentityError, PassphraseError
from workstation.store.events import canonical_json
from workstation.store.key_file import KeyFile, default_key_file

KEYRING_SERVICE = "ecg-workstation"
#: Environment variable with the key file's passphrase (for the command line and scripts).
PASSPHRASE_ENV = "ECGWS_PASSPHRASE"
#: Environment variable choosing where secrets are kept: "os" or "file" (default: os if any).
KEYRING_ENV = "ECGWS_KEYRING"

#: Asks for the key file's passphrase: (key file, whether it is being created, the last
#: attempt's problem or None) -> the passphrase, or None when the user declines.
PassphrasePrompt = Callable[[Path, bool, "str | None"], "str | None"]


class Role(Enum):
    """What an annotator may do: annotate records, or also adjudicate the panel's sets."""

    ANNOTATOR = "annotator"
    ADJUDICATOR = "adjudicator"


@dataclass(frozen=True)
class Annotator:
    """A profile: a short id (the keyring user name), a display name, a role, a key fingerprint."""

    id: str
    name: str
    role: Role
    key_id: str
    created_at: str


class SecretKeeper(Protocol):
    """Where this computer keeps annotators' signing secrets."""

    description: str

    def get(self, annotator_id: str) -> str | None: ...

    def put(self, annotator_id: str, secret: str) -> None: ...


class OsKeyring:
    """The operating system's keyring, through the ``keyring`` library."""

    def __init__(self) -> None:
        backend = keyring.get_keyring()
        self.description = f"the OS keyring ({getattr(backend, 'name', type(backend).__name__)})"

    def get(self, annotator_id: str) -> str | None:
        return keyring.get_password(KEYRING_SERVICE, annotator_id)

    def put(self, annotator_id: str, secret: str) -> None:
        keyring.set_password(KEYRING_SERVICE, annotator_id, secret)


class FileKeeper:
    """An unlocked :class:`KeyFile`."""

    def __init__(self, key_file: KeyFile) -> None:
        self.key_file = key_file
        self.description = f"the passphrase-protected key file {key_file.path}"

    def get(self, annotator_id: str) -> str | None:
        return self.key_file.get(annotator_id)

    def put(self, annotator_id: str, secret: str) -> None:
        self.key_file.put(annotator_id, secret)


_unlocked: FileKeeper | None = None  # the key file, once its passphrase was given (per process)
_prompt: PassphrasePrompt | None = None


def set_passphrase_prompt(prompt: PassphrasePrompt | None) -> None:
    """Ask with ``prompt`` when the key file must be unlocked and ``$ECGWS_PASSPHRASE`` is unset."""
    global _prompt
    _prompt = prompt


def lock_key_file() -> None:
    """Forget the unlocked key file (its passphrase is asked for again when next needed)."""
    global _unlocked
    _unlocked = None


def os_keyring_available() -> bool:
    """Whether the ``keyring`` library found a usable OS keyring (not the fail or null backend)."""
    backend = keyring.get_keyring()
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        return bool(backend.backends)
    return not isinstance(backend, (keyring.backends.fail.Keyring, keyring.backends.null.Keyring))


def uses_key_file() -> bool:
    """Whether secrets go to the key file here: ``$ECGWS_KEYRING=file``, or no OS keyring."""
    choice = os.environ.get(KEYRING_ENV, "").strip().lower()
    return choice == "file" or (choice != "os" and not os_keyring_available())


def describe_keeper() -> str:
    """Where secrets are kept here, in words (for the welcome screen and ``ecgws keys``)."""
    if not uses_key_file():
        return OsKeyring().description
    state = "unlocked" if _unlocked is not None else "asked for its passphrase when needed"
    return f"the passphrase-protected key file {default_key_file()} ({state})"


def keeper() -> SecretKeeper:
    """Where secrets are kept here; unlocks the key file when it is the one (IdentityError if not)."""
    global _unlocked
    if not uses_key_file():
        return OsKeyring()
    path = default_key_file()
    if _unlocked is None or _unlocked.key_file.path != path:
        _unlocked = FileKeeper(_unlock(path))
    return _unlocked


def _unlock(path: Path) -> KeyFile:
    """Open the key file with ``$ECGWS_PASSPHRASE``, or ask until it opens or the user declines."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        return KeyFile.unlock(path, env)
    problem = None
    while _prompt is not None:
        passphrase = _prompt(path, not path.exists(), problem)
        if passphrase is None:
            raise PassphraseError(path, "no passphrase was given for this key file of signing keys; "
                                        "until it is, nothing can be signed")
        try:
            return KeyFile.unlock(path, passphrase)
        except PassphraseError as exc:
            problem = exc.problem
    why = "" if os_keyring_available() else "this computer has no OS keyring, so "
    raise PassphraseError(path, f"{why}signing keys are kept in this passphrase-protected file; give "
                                f"its passphrase (${PASSPHRASE_ENV} on the command line)")


def key_fingerprint(secret: str) -> str:
    """A public fingerprint of a secret (SHA-256; the secret is random, so it cannot be guessed)."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()[:16]


def ensure_secret(store_path: Path, annotator_id: str) -> str:
    """The annotator's secret from this computer's keeper, created there first when it has none."""
    existing = read_secret(store_path, annotator_id, missing_ok=True)
    if existing:
        return existing
    secret = secrets.token_hex(32)
    where = keeper()
    try:
        where.put(annotator_id, secret)
    except keyring.errors.KeyringError as exc:
        raise IdentityError(store_path, f"cannot store {annotator_id}'s signing secret in "
                                        f"{where.description} ({exc})") from exc
    return secret


def read_secret(store_path: Path, annotator_id: str, *, missing_ok: bool = False) -> str | None:
    """The annotator's secret; IdentityError when this computer has none (unless ``missing_ok``)."""
    where = keeper()
    try:
        secret = where.get(annotator_id)
    except keyring.errors.KeyringError as exc:
        raise IdentityError(store_path, f"cannot read {where.description} ({exc})") from exc
    if secret is None and not missing_ok:
        raise IdentityError(store_path, f"{where.description} on this computer holds no signing "
                                        f"secret for {annotator_id}")
    return secret


def content_digest(state: AnnotationState) -> dict:
    """A set's content as plain JSON: what a signature covers (provenance included)."""
    waves = []
    for wave_id in sorted(state.waves):
        annotated = state.waves[wave_id]
        p = annotated.provenance
        waves.append({**annotated.to_dict(), "changed_by": p.annotator, "changed_at": p.at})
    return {"fs": state.fs, "lead_names": list(state.lead_names), "n_samples": state.n_samples,
            "waves": waves, "labels": sorted([lb.kind.value, lb.code] for lb in state.labels),
            "note": state.note,
            "lead_status": {lead: s.value for lead, s in sorted(state.lead_status.items())}}


def signed_message(set_id: int, record_id: str, annotator_id: str, status: str,
                   state: AnnotationState, head: str) -> bytes:
    """The bytes a submission signs: who, which set and record, the content, the chain head."""
    return canonical_json({"set": set_id, "record": record_id, "annotator": annotator_id,
                           "status": status, "content": content_digest(state),
                           "chain_head": head}).encode("utf-8")


def sign(secret: str, message: bytes) -> str:
    return hmac.new(bytes.fromhex(secret), message, hashlib.sha256).hexdigest()


def signature_matches(secret: str, message: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, message), signature)
