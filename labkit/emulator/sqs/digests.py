"""MD5 digests SQS returns for bodies and message attributes (SDKs may verify them).

The attribute digest follows AWS's documented encoding: attributes sorted by name, each as
length-prefixed name, length-prefixed data type, one transport byte (1 string, 2 binary) and
the length-prefixed value, lengths as 4-byte big-endian integers.
"""

from __future__ import annotations

import hashlib
import struct


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_of_body(body: str) -> str:
    return md5_hex(body.encode("utf-8"))


def _prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_attributes(attributes: dict[str, dict]) -> str | None:
    """Digest of validated attributes (``BinaryValue`` already decoded to bytes); None if empty."""
    if not attributes:
        return None
    out = bytearray()
    for name in sorted(attributes):
        attr = attributes[name]
        data_type = attr["DataType"]
        out += _prefixed(name.encode("utf-8"))
        out += _prefixed(data_type.encode("utf-8"))
        if "BinaryValue" in attr:
            out += b"\x02" + _prefixed(attr["BinaryValue"])
        else:
            out += b"\x01" + _prefixed(attr["StringValue"].encode("utf-8"))
    return md5_hex(bytes(out))
