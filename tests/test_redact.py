"""`labkit.redact`: the one masker every output uses, and the spellings a secret comes in."""

from __future__ import annotations

import json

import pytest

from labkit.redact import mask_url, redact

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY" + "EXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjE" + "NL//////////wEaCXVz"


@pytest.mark.parametrize(
    "text",
    [
        f"AWS_SECRET_ACCESS_KEY={SECRET}",
        f'AWS_SECRET_ACCESS_KEY="{SECRET}"',
        f"export AWS_SECRET_ACCESS_KEY='{SECRET}'",
        f"aws_secret_access_key = {SECRET}",
        repr({"AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}),
        json.dumps({"Credentials": {"SecretAccessKey": SECRET, "SessionToken": TOKEN}}),
        f"https://q.example/?X-Amz-Security-Token={TOKEN}&X-Amz-Signature=abc",
        f"X-Amz-Security-Token: {TOKEN}",
        f"{{'LABKIT_REDIS_PASSWORD': '{SECRET}'}}",
        f"requirepass {SECRET}",
        f"redis://:{SECRET}@127.0.0.1:6379/0",
    ],
)
def test_every_spelling_of_a_secret_is_hidden(text: str) -> None:
    shown = redact(text)
    assert SECRET not in shown and TOKEN not in shown, shown
    assert "****" in shown


def test_names_and_places_stay() -> None:
    shown = redact(f"redis://:{SECRET}@127.0.0.1:6379/0 and AWS_SECRET_ACCESS_KEY is missing")
    assert shown == "redis://:****@127.0.0.1:6379/0 and AWS_SECRET_ACCESS_KEY is missing"
    assert mask_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_one_masker_module() -> None:
    """aws_credentials and the API's settings use labkit.redact, not a copy of it."""
    from labkit import aws_credentials
    from labkit.taskoverflow import errors

    assert aws_credentials.redact is redact and aws_credentials.mask_url is mask_url
    assert errors.redact is redact
