"""recordings feature."""
