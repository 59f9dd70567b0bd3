"""Remediation planning and execution (planned; see README)."""
