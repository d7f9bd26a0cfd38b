"""Load and crash tests against real processes (pytest -m load)."""
