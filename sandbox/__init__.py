"""The sandbox demo: emulated AWS, the real bot and a Slack-like page on 127.0.0.1."""
