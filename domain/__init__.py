"""Pure domain model of Gatehouse: no Slack, AWS, database or scheduler imports."""
