"""The query protocol boto3's ``sns`` client speaks: form-encoded requests in, XML answers out.

A request is a flat form (``Action=Publish&TopicArn=...&MessageAttributes.entry.1.Name=...``);
`decode_form` turns it back into the nested dicts and lists the service model describes
(``.member.N`` is a list, ``.entry.N`` a map of key/value or Name/Value pairs). `encode_result`
writes the ``<ActionResponse><ActionResult>`` document botocore parses, `encode_error` the
``<ErrorResponse>`` it maps onto the modeled exceptions by ``Code``.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote_plus
from xml.sax.saxutils import escape as _escape

NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/"
MAX_FORM_FIELDS = 2000  # 10 batch entries x 10 attributes x a few fields, with room to spare
MAX_DEPTH = 8
# What XML 1.0 cannot carry: a DisplayName or tag holding one made the answer unreadable to
# botocore. Refused on the way in; replaced by U+FFFD on the way out, should one get through.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(text: str) -> str:
    """XML text: markup escaped and characters XML cannot carry replaced."""
    return _NOT_XML.sub("\ufffd", _escape(text))


class FormError(ValueError):
    """The form cannot be read as the query protocol (bad nesting, too many fields)."""


class XmlMap(dict):
    """A result value written as ``<entry><key>..</key><value>..</value></entry>`` items."""


def _pairs(body: bytes) -> list[tuple[str, str]]:
    """The form's (name, value) pairs, as ``parse_qsl(keep_blank_values=True)`` reads them;
    only the parts that are escaped are unescaped (most of a Publish is plain)."""
    if len(body) > 2 * MAX_FORM_FIELDS and body.count(b"&") >= MAX_FORM_FIELDS:
        raise FormError(f"A request may carry at most {MAX_FORM_FIELDS} parameters.")
    pairs = []
    for chunk in body.decode("utf-8", "replace").split("&"):
        if not chunk:
            continue
        key, _, value = chunk.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        pairs.append((key, value))
    return pairs


def decode_form(body: bytes) -> dict:
    """``Action`` and every parameter, nested the way the service model shapes them."""
    pairs = _pairs(body)
    if len(pairs) > MAX_FORM_FIELDS:
        raise FormError(f"A request may carry at most {MAX_FORM_FIELDS} parameters.")
    tree: dict = {}
    nested = False
    for key, value in pairs:
        if _NOT_XML.search(value) or _NOT_XML.search(key):
            raise FormError(
                f"The parameter {key[:100]!r} holds a control character; remove it (only tab, "
                "line feed and carriage return are allowed)."
            )
        if "." not in key and key:
            if isinstance(tree.get(key), dict):
                raise FormError(f"The parameter {key[:100]!r} conflicts with another.")
            tree[key] = value
            continue
        nested = True
        parts = key.split(".")
        if len(parts) > MAX_DEPTH or "" in parts:
            raise FormError(f"The parameter name {key[:100]!r} is not valid.")
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise FormError(f"The parameter {key[:100]!r} conflicts with another.")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise FormError(f"The parameter {key[:100]!r} conflicts with another.")
        node[parts[-1]] = value
    return _shape(tree) if nested else tree


def _indexed(node: dict) -> list:
    try:
        items = sorted((int(index), value) for index, value in node.items())
    except ValueError:
        raise FormError("List and map items are numbered from 1.") from None
    return [_shape(value) for _, value in items]


def _shape(node: object) -> object:
    if not isinstance(node, dict):
        return node
    if set(node) == {"member"} and isinstance(node["member"], dict):
        return _indexed(node["member"])
    if set(node) == {"entry"} and isinstance(node["entry"], dict):
        out = {}
        for item in _indexed(node["entry"]):
            if not isinstance(item, dict):
                raise FormError("A map entry needs a key and a value.")
            key = item.get("key", item.get("Name"))
            value = item.get("value", item.get("Value"))
            if value is None and "Name" in item:
                value = {}  # a message attribute sent without its value: the action says why
            if not isinstance(key, str) or value is None:
                raise FormError("A map entry needs a key and a value.")
            out[key] = value
        return out
    return {key: _shape(value) for key, value in node.items()}


def _xml(name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, XmlMap):
        entries = "".join(
            f"<entry><key>{escape(str(k))}</key><value>{escape(str(v))}</value></entry>"
            for k, v in value.items()
        )
        return f"<{name}>{entries}</{name}>"
    if isinstance(value, dict):
        inner = "".join(_xml(key, item) for key, item in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list):
        return f"<{name}>" + "".join(_xml("member", item) for item in value) + f"</{name}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


def encode_result(action: str, result: dict | None) -> bytes:
    inner = _xml(f"{action}Result", result) if result is not None else ""
    return (
        f'<{action}Response xmlns="{NAMESPACE}">{inner}'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    ).encode()


def encode_error(code: str, message: str, sender: bool = True) -> bytes:
    fault = "Sender" if sender else "Receiver"
    return (
        f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{fault}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
