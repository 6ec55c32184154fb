"""The migration that gives key rotations and mappings an account keeps what was recorded."""

from __future__ import annotations

import sqlite3
from unittest import mock

import pytest

from storage import database, schema
from storage.database import Store, migrate


def test_existing_mappings_and_rotations_stay_in_gatehouse_s_own_account(tmp_path):
    store = Store(tmp_path / "g.db")
    with mock.patch.object(database, "MIGRATIONS", schema.MIGRATIONS[:-1]):
        migrate(store)
    store.insert("key_mappings", {"slack_user": "U0DEV", "iam_user": "dev",
                                  "iam_user_id": "AIDADEV", "recorded_at": "2026-11-30T09:00:00Z"})
    open_row = {"holder": "U0DEV", "requested_by": "U0DEV", "iam_user": "dev",
                "state": "delivered", "started_at": "x", "updated_at": "x"}
    store.insert("key_rotations", open_row)
    assert migrate(store) == ["008-key-rotation-accounts"]
    assert store.rows("key_mappings") == [{"slack_user": "U0DEV", "account": "", "iam_user": "dev",
                                           "iam_user_id": "AIDADEV",
                                           "recorded_at": "2026-11-30T09:00:00Z"}]
    assert store.first("key_rotations")["account"] == ""
    store.insert("key_rotations", {**open_row, "account": "111111111111"})  # another account
    with pytest.raises(sqlite3.IntegrityError):
        store.insert("key_rotations", open_row)  # still one open rotation per user and account
    store.insert("key_mappings", {"slack_user": "U0DEV", "account": "111111111111",
                                  "iam_user": "dev", "recorded_at": "x"})
    assert len(store.rows("key_mappings")) == 2
    store.close()
