"""The migration that gives key rotations and mappings an account keeps what was recorded."""

from __future__ import annotations

from unittest import mock

import pytest

from storage import postgres, schema, sqlite
from storage.database import UniqueViolation, connect


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "g.db")
    return request.getfixturevalue("pg_url")


def test_existing_mappings_and_rotations_stay_in_gatehouse_s_own_account(location):
    store = connect(location)
    before = [m for m in schema.MIGRATIONS if m[0] < "008"]
    with mock.patch.object(sqlite, "MIGRATIONS", before), \
            mock.patch.object(postgres, "MIGRATIONS", before):
        store.migrate()
    store.insert("key_mappings", {"slack_user": "U0DEV", "iam_user": "dev",
                                  "iam_user_id": "AIDADEV", "recorded_at": "2026-11-30T09:00:00Z"})
    open_row = {"holder": "U0DEV", "requested_by": "U0DEV", "iam_user": "dev",
                "state": "delivered", "started_at": "x", "updated_at": "x"}
    store.insert("key_rotations", open_row)
    assert "008-key-rotation-accounts" in store.migrate()
    assert store.rows("key_mappings") == [{"slack_user": "U0DEV", "account": "", "iam_user": "dev",
                                           "iam_user_id": "AIDADEV",
                                           "recorded_at": "2026-11-30T09:00:00Z"}]
    assert store.first("key_rotations")["account"] == ""
    store.insert("key_rotations", {**open_row, "account": "111111111111"})  # another account
    with pytest.raises(UniqueViolation):
        store.insert("key_rotations", open_row)  # still one open rotation per user and account
    store.insert("key_mappings", {"slack_user": "U0DEV", "account": "111111111111",
                                  "iam_user": "dev", "recorded_at": "x"})
    assert len(store.rows("key_mappings")) == 2
    store.close()
