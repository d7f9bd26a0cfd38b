"""CLI commands: users, tokens, setup with the demo meeting, reindex and check."""

from __future__ import annotations

import os

from sqlalchemy import select

from archive.auth.models import ApiToken, User
from archive.extensions import db
from archive.stores import blob_store, search_index


def test_users_create_with_password_option_and_stdin(runner, app):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Admin@Example.org",
            "--role",
            "admin",
            "--password",
            "correct horse battery",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["users", "create", "ed@example.org"], input="another long password\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        users = {u.email: u.role for u in db.session.scalars(select(User))}
        assert users == {"admin@example.org": "admin", "ed@example.org": "editor"}
        stored = db.session.scalar(select(User.password_hash).where(User.email == "ed@example.org"))
        assert stored.startswith("scrypt:") and "another" not in stored


def test_users_create_refuses_short_passwords_and_duplicates(runner):
    result = runner.invoke(args=["users", "create", "a@example.org", "--password", "short"])
    assert result.exit_code != 0 and "at least 12" in result.output
    runner.invoke(args=["users", "create", "a@example.org", "--password", "long enough pass"])
    result = runner.invoke(
        args=["users", "create", "a@example.org", "--password", "long enough pass"]
    )
    assert result.exit_code != 0 and "exists already" in result.output


def test_tokens_create_prints_a_token_stored_hashed(runner, app, client):
    runner.invoke(args=["users", "create", "ed@example.org", "--password", "long enough pass"])
    result = runner.invoke(args=["tokens", "create", "ed@example.org"])
    assert result.exit_code == 0
    token = result.output.strip()
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != token and token not in stored.token_hash
    response = client.post(
        "/api/v1/meetings",
        json={"code": "X1", "title": "T"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert runner.invoke(args=["tokens", "create", "nobody@example.org"]).exit_code != 0


def test_setup_creates_admin_and_loads_the_demo_meeting(runner, app, client):
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert "password (shown once" in result.output
    meeting = client.get("/api/v1/meetings/12MSP").get_json()
    assert meeting["venue"] == "Geneva" and meeting["start_date"] == "2024-09-10"
    documents = meeting["documents"]
    assert len(documents) >= 5
    languages = {f["language"] for d in documents for f in d["files"]}
    assert languages == {"ar", "zh", "en", "fr", "ru", "es"}
    statuses = {f["text_status"] for d in documents for f in d["files"]}
    assert statuses == {"indexed"}
    home = client.get("/").get_data(as_text=True)
    assert "112" in home and "Convention on Cluster Munitions" in home and "30 May 2008" in home
    body = client.get("/api/v1/search?q=víctimas&language=es").get_json()
    assert body["total"] >= 1
    # a second setup changes nothing
    again = runner.invoke(args=["setup"])
    assert again.exit_code == 0 and "loading the demo" not in again.output


def test_reindex_rebuilds_from_stored_text(
    runner, client, make_meeting, upload, run_jobs, data_dir
):
    make_meeting("12MSP")
    upload(["Clearance of contaminated land."])
    run_jobs()
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 files (1 pages)" in result.output
    assert client.get("/api/v1/search?q=contaminated").get_json()["total"] == 1


def test_check_reports_and_repairs(runner, app, client, make_meeting, upload, run_jobs, data_dir):
    make_meeting("12MSP")
    upload(["Cooperation and assistance."])
    run_jobs()
    assert runner.invoke(args=["check"]).exit_code == 0

    with app.app_context():
        search_index().delete_files([1])
    with app.app_context():
        info = blob_store().put_bytes(b"%PDF-1.4 not referenced by any file")
        os.utime(blob_store().path(info.sha256), (0, 0))  # old enough to be collected
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "missing from the search index" in result.output
    assert "belongs to no file" in result.output

    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["check"]).exit_code == 0
    assert client.get("/api/v1/search?q=cooperation").get_json()["total"] == 1
