"""Backups of the whole archive (database, stored files, extracted text) and their restore."""
