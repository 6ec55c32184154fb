"""Local stand-ins for Slack and the AWS federation endpoint, used by the tests and the sandbox."""
