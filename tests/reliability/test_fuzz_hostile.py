"""Hostile input to both servers: lone surrogates, non-ASCII digits, deep nesting, huge numbers.

The generated requests of test_api_input.py and test_sqs_input.py, bent the way issue 11 found
500s: every string may be a lone surrogate or digits that are not ASCII ("²", "٣", "１２"),
numbers may be 400 digits long or 1e308, bodies and attribute strings may nest 100,000 deep,
a MessageAttribute's DataType may be "String.\\ud800". No answer may be 5xx, every error keeps
its documented shape, and both servers keep serving.

`make test` replays a fixed (derandomized) 400 requests per server; `make soak` draws 5,000
new ones per server (`--run-soak`).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.reliability.openapi_requests import Generator, Request, fuzz_test_client, operations
from tests.reliability.test_api_input import app as app  # noqa: F401 - the module's fixture
from tests.reliability.test_api_input import doc as doc  # noqa: F401 - the module's fixture

SHORT = settings(
    max_examples=400,
    deadline=None,
    database=None,
    derandomize=True,  # `make test` replays the same requests every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
LONG = settings(SHORT, max_examples=5000, derandomize=False)

ODD_STRINGS = [
    "²", "٣", "１２", "৫", "⁹", "Ⅻ", "1_000", " 7 ", "+5", "-0", "0x1f", "1e999", "NaN",
    "Infinity", "9" * 400, "\ud800", "\udfff", "a\ud83d", "String.\ud800", "Number.²",
    "\x00", "\x1b[31m", "",
]  # fmt: skip
surrogate = st.integers(0xD800, 0xDFFF).map(chr)
odd_digit = st.sampled_from("²³¹٠١٢٣٤٥٦٧٨٩０１２３４５６７８９৫⁹")
hostile_text = st.one_of(
    st.sampled_from(ODD_STRINGS),
    st.lists(st.one_of(surrogate, odd_digit, st.characters()), max_size=8).map("".join),
)
huge_number = st.one_of(
    st.integers(10**18, 10**400),
    st.integers(-(10**400), -(10**18)),
    st.sampled_from([1e308, -1e308, 5e-324, 2**63, 2**64 + 1, 10**4299]),
)
hostile_scalar = st.one_of(hostile_text, huge_number, st.none(), st.booleans())
hostile_json = st.recursive(
    hostile_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)
depth = st.sampled_from([65, 200, 1000, 100_000])


def nested(n: int, core: str = "1") -> str:
    return "[" * n + core + "]" * n


def dumps(value: object) -> bytes:
    """JSON as a careless client sends it: lone surrogates escaped, huge numbers written out."""
    return json.dumps(value).encode()


# ---- the API --------------------------------------------------------------------------------


def hostile_api_requests(doc: dict) -> st.SearchStrategy[Request]:  # noqa: F811 - fixture name
    ops = operations(doc)
    base = Generator(doc).requests(ops)

    @st.composite
    def build(draw):
        request = draw(base)
        names = list(
            (
                (request.operation.spec.get("requestBody") or {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
                .get("properties")
            )
            or {"title": {}, "description": {}, "deadline_at": {}, "delay_seconds": {}}
        )
        kind = draw(st.sampled_from(["fields", "fields", "deep", "deep-field", "path", "as-is"]))
        if kind == "fields":
            body = {name: draw(hostile_json) for name in draw(st.sets(st.sampled_from(names)))}
            if draw(st.booleans()):
                body["title"] = draw(hostile_text)
            request.body, request.content_type = dumps(body), "application/json"
        elif kind == "deep":
            request.body = nested(draw(depth)).encode()
            request.content_type = "application/json"
        elif kind == "deep-field":
            field = draw(st.sampled_from(names))
            request.body = f'{{"{field}": {nested(draw(depth))}}}'.encode()
            request.content_type = "application/json"
        elif kind == "path" and "{" in request.operation.path:
            value = draw(hostile_text)
            request.path = (
                request.operation.path.split("{")[0]
                + quote(value, safe="", errors="surrogatepass")
                + request.operation.path.split("}", 1)[1]
            )
        return request

    return build()


def _api_fuzz(app, doc: dict, config: settings) -> dict[int, int]:  # noqa: F811
    checker = fuzz_test_client(app, doc, hostile_api_requests(doc), config)
    assert app.test_client().get("/api/v1/health").status_code == 200
    return checker.counts


def test_hostile_requests_to_the_api(app, doc: dict) -> None:  # noqa: F811
    counts = _api_fuzz(app, doc, SHORT)
    print(f"\nAPI hostile fuzz: answers by status {dict(sorted(counts.items()))}")
    assert sum(counts.values()) >= 400 and 400 in counts


@pytest.mark.soak
@pytest.mark.timeout(1800)
def test_hostile_requests_to_the_api_long(app, doc: dict) -> None:  # noqa: F811
    counts = _api_fuzz(app, doc, LONG)
    print(f"\nAPI hostile fuzz (soak): answers by status {dict(sorted(counts.items()))}")
    assert sum(counts.values()) >= 5000
