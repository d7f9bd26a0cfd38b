"""Staff workspace: upload, edit, publish, trash, a meeting's staff view."""
