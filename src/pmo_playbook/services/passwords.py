"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile).

Parameters: time_cost=3, memory_cost=64 MiB, parallelism=4, 16-byte salt, 32-byte hash. The
hash is a PHC string carrying its own parameters, so raising them later only needs
`needs_rehash` at the next successful login. A dummy hash is verified when the account does not
exist, so "unknown email" and "wrong password" take the same time.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pmo_playbook.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 1024

_HASHER = PasswordHasher(
    time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, salt_len=16, type=Type.ID
)


def check_policy(password: str) -> None:
    """Refuse passwords that are too short or absurdly long (the message never echoes them)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password too short: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password too long: at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    """An argon2id PHC string for `password`."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; False for a mismatch or an unusable stored hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash was made with other parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("pmo-dummy-password-for-uniform-timing")


def burn_verification(password: str) -> None:
    """Spend the time of one real verification (used when there is no hash to check)."""
    verify_password(_dummy_hash(), password)
