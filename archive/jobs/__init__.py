"""jobs feature."""
