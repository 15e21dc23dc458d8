"""Annotators, their signing secrets in the OS keyring, and signatures on submitted sets.

Each annotator has a random 256-bit secret kept by the operating system's keyring (service
:data:`KEYRING_SERVICE`, user name = the annotator's id), never in the store. The store keeps
only ``key_id``, a SHA-256 fingerprint of the secret, to tell which secret signed. Submitting
a set signs ``HMAC-SHA256(secret, canonical JSON of the set's content + the chain head)``;
anyone holding the annotator's secret (the panel's workstation) can verify it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import keyring
import keyring.errors

from workstation.core.annotation import AnnotationState
from workstation.store.errors import IdentityError
from workstation.store.events import canonical_json

KEYRING_SERVICE = "ecg-workstation"


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


def key_fingerprint(secret: str) -> str:
    """A public fingerprint of a secret (SHA-256; the secret is random, so it cannot be guessed)."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()[:16]


def ensure_secret(store_path: Path, annotator_id: str) -> str:
    """The annotator's secret from the keyring, created there first when it has none."""
    existing = read_secret(store_path, annotator_id, missing_ok=True)
    if existing:
        return existing
    secret = secrets.token_hex(32)
    try:
        keyring.set_password(KEYRING_SERVICE, annotator_id, secret)
    except keyring.errors.KeyringError as exc:
        raise IdentityError(store_path, f"cannot store {annotator_id}'s signing secret in the "
                                        f"keyring ({exc})") from exc
    return secret


def read_secret(store_path: Path, annotator_id: str, *, missing_ok: bool = False) -> str | None:
    """The annotator's secret; IdentityError when the keyring has none (unless ``missing_ok``)."""
    try:
        secret = keyring.get_password(KEYRING_SERVICE, annotator_id)
    except keyring.errors.KeyringError as exc:
        raise IdentityError(store_path, f"cannot read the keyring ({exc})") from exc
    if secret is None and not missing_ok:
        raise IdentityError(store_path, f"the keyring on this computer holds no signing secret "
                                        f"for {annotator_id} (service {KEYRING_SERVICE!r})")
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
