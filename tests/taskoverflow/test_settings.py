"""Configuration from the environment, and the URL repairs for what students copy."""

from __future__ import annotations

import pytest

from labkit.taskoverflow.app import create_app
from labkit.taskoverflow.settings import (
    from_environment,
    mask_url,
    result_backend_url,
    sqlalchemy_url,
)


def test_environment_names_and_defaults():
    config = from_environment(
        {
            "CELERY_BROKER_URL": "redis://redis:6379",
            "CELERY_RESULT_BACKEND": "redis://redis:6379",
            "ICAL_DELAY_SECONDS": "50",
        }
    )
    assert config["CELERY_DEFAULT_QUEUE"] == "ical"
    assert config["ICAL_DELAY_SECONDS"] == 50.0
    assert config["SQLALCHEMY_DATABASE_URI"] is None  # SQLite under the state dir, later


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_bad_delay_is_a_clear_error(value):
    with pytest.raises(ValueError, match="ICAL_DELAY_SECONDS"):
        from_environment({"ICAL_DELAY_SECONDS": value})


def test_default_database_is_under_labkit_home(monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path))
    monkeypatch.delenv("SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'taskoverflow.sqlite3'}"
    assert app.test_client().get("/api/v1/todos").get_json() == []


def test_handout_urls_use_psycopg3():
    handout = "postgresql://administrator:verySecretPassword@database:5432/todo"
    assert sqlalchemy_url(handout).startswith("postgresql+psycopg://administrator:")
    assert result_backend_url(f"db+{handout}").startswith("db+postgresql+psycopg://")
    assert result_backend_url("redis://redis:6379") == "redis://redis:6379"
    assert result_backend_url("") is None


def test_mask_url_hides_passwords():
    masked = mask_url("db+postgresql://administrator:verySecretPassword@database:5432/todo")
    assert "verySecretPassword" not in masked and "administrator:***@database" in masked
    assert mask_url(None) == "(not set)"
