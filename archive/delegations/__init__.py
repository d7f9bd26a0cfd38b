"""delegations feature."""
