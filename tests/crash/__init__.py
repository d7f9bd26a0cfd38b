"""Crash consistency: killed processes, a full disk, a lost index (pytest -m load)."""
