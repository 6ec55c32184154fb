"""A bare Bolt app that only acks `/access`, served exactly as Gatehouse is: the baseline."""

from __future__ import annotations

import os

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import serve

from config import load_environment
from wiring import slack_client


def build() -> App:
    env = load_environment(os.environ)
    app = App(client=slack_client(env), signing_secret=env.slack_signing_secret,
              process_before_response=True, raise_error_for_unhandled_request=False)
    app.command("/access")(lambda ack: ack())
    return app


def main() -> None:
    env = load_environment(os.environ)
    slack = SlackRequestHandler(build(), path="/slack/events")

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        return slack(environ, start_response)
    serve(application, host=env.host, port=env.port, threads=8, ident="bare-bolt")


if __name__ == "__main__":
    main()
