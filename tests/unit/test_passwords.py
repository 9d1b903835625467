"""argon2id hashing: parameters, verification, rehash detection, policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from pmo_playbook.errors import InvalidInput
from pmo_playbook.services.passwords import (
    check_policy,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_hash_password_uses_argon2id_with_documented_parameters() -> None:
    stored = hash_password("s3cret-passphrase")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "s3cret-passphrase" not in stored


def test_hash_password_salts_each_hash() -> None:
    assert hash_password("same password") != hash_password("same password")


def test_verify_password_accepts_right_and_refuses_wrong() -> None:
    stored = hash_password("right password")
    assert verify_password(stored, "right password") is True
    assert verify_password(stored, "wrong password") is False
    assert verify_password("not-a-hash", "right password") is False


def test_needs_rehash_detects_weaker_parameters() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID)
    old = weak.hash("pw-for-rehash")
    assert needs_rehash(old) is True
    assert needs_rehash(hash_password("pw-for-rehash")) is False
    assert verify_password(old, "pw-for-rehash") is True


def test_check_policy_refuses_short_and_huge_passwords() -> None:
    with pytest.raises(InvalidInput, match="too short"):
        check_policy("short")
    with pytest.raises(InvalidInput, match="too long"):
        check_policy("x" * 2000)
    check_policy("long enough")
