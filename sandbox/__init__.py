"""Local stand-ins for Slack and AWS, used by the sandbox and the tests."""
