"""Two replicas on one PostgreSQL database at the digest time post one digest."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.digest_seed import freeze_moto_iam, seed_account
from tests.e2e.conftest import Clock, create_roles, start_bot, stop_bot
from tests.e2e.test_digest_flow import HYGIENE, config, prepare  # noqa: F401 - the fixture


def test_two_replicas_at_the_digest_time_post_one_digest(tmp_path, aws, slack, federation,
                                                         config, monkeypatch, pg_url):  # noqa: F811
    freeze_moto_iam(monkeypatch)
    create_roles(aws.client("iam"), config)
    seed_account(aws.client("iam"))
    clock = Clock()
    replicas = [start_bot(tmp_path / str(n), aws, slack, federation, config, clock,
                          extra_env={"GATEHOUSE_DB": pg_url}) for n in range(2)
                if (tmp_path / str(n)).mkdir() is None]
    try:
        features = [prepare(replica) for replica in replicas]
        with ThreadPoolExecutor(4) as pool:
            daily = list(pool.map(lambda f: f.daily(), features))
            catch_up = list(pool.map(lambda f: f.catch_up(), features))
        assert sorted(daily) == [False, True] and catch_up == [False, False]
        for replica in replicas:
            replica.idle()
        assert len([m for m in slack.messages(HYGIENE) if not m.is_reply]) == 1
        posted = [e for e in replicas[1].runtime.audit.entries() if e.action == "digest.posted"]
        assert len(posted) == 1 and replicas[0].runtime.audit.verify()[1] is None
    finally:
        for replica in replicas:
            stop_bot(replica)
