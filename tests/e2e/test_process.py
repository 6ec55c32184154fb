"""`python bot.py` as a real process: HTTP mode on waitress, health, JSON logs, check-config."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import requests
import yaml

from fake_services.slack_signing import SlackClient
from tests.e2e.conftest import SECRET, base_config, create_roles


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(tmp_path, slack, federation, moto_server, port):
    config_path = tmp_path / "gatehouse.yml"
    config_path.write_text(yaml.safe_dump(base_config()))
    return {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url, "GATEHOUSE_CONFIG": str(config_path),
            "GATEHOUSE_DB": str(tmp_path / "gatehouse.db"),
            "GATEHOUSE_FEDERATION_URL": federation.url, "HOST": "127.0.0.1", "PORT": str(port),
            "AWS_ENDPOINT_URL": moto_server, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def wait_healthy(url, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)  # polling for start-up, not waiting for time to pass
    raise AssertionError("the bot did not become healthy")


def test_bot_runs_as_a_process(tmp_path, aws, slack, federation, moto_server):
    create_roles(aws.client("iam"), base_config())
    port = free_port()
    env = environment(tmp_path, slack, federation, moto_server, port)
    process = subprocess.Popen([sys.executable, "bot.py"], env=env, stderr=subprocess.PIPE,
                               text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        client = SlackClient(url, SECRET, fake=slack)
        response = client.command("U0DEV", "help")
        assert response.status_code == 200, response.text
        assert "/access request" in response.text
        assert client.unsigned().command("U0DEV", "help").status_code == 401
        response = client.command("U0DEV", "request dev 1h from a process")
        assert response.status_code == 200
        slack.wait_for(lambda: slack.messages("C0APPROVALS"), timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "no log lines"
    for line in lines:
        entry = json.loads(line)
        assert {"at", "level", "message"} <= set(entry)


def test_check_config(tmp_path, slack, federation, moto_server):
    env = environment(tmp_path, slack, federation, moto_server, 3000)
    ok = subprocess.run([sys.executable, "bot.py", "check-config"], env=env, text=True,
                        capture_output=True, timeout=60)
    assert ok.returncode == 0 and "config: ok" in ok.stdout
    (tmp_path / "gatehouse.yml").write_text("admins: []\nroles: {x: {arn: nope}}\nextra: 1\n")
    bad = subprocess.run([sys.executable, "bot.py", "check-config"],
                         env={**env, "SLACK_BOT_TOKEN": ""}, text=True, capture_output=True,
                         timeout=60)
    assert bad.returncode != 0
    keys = {line.split(":")[0] for line in bad.stderr.splitlines()}
    assert {"SLACK_BOT_TOKEN", "admins", "approvals_channel", "roles.x.arn",
            "roles.x.max_duration", "extra"} <= keys


def test_check_config_online(tmp_path, aws, slack, federation, moto_server):
    config = base_config()
    create_roles(aws.client("iam"), config)
    aws.client("iam").update_role(RoleName="Dev", MaxSessionDuration=3600)
    env = environment(tmp_path, slack, federation, moto_server, 3000)
    result = subprocess.run([sys.executable, "bot.py", "check-config", "--online"], env=env,
                            text=True, capture_output=True, timeout=60)
    assert result.returncode == 1
    assert "roles.dev.max_duration: longer than the role's MaxSessionDuration" in result.stderr
