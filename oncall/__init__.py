"""On-call services consulted for auto-approval: PagerDuty."""
