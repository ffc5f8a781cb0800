"""Wire shapes the SQS actions share: batch entries and their Successful/Failed answer, a
batch's size as AWS counts it, and MaxResults/NextToken pages."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from labkit.emulator.sqs.errors import SQSError, invalid_value, missing
from labkit.emulator.sqs.params import get_str, int_in

MAX_BATCH = 10
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def batch_entries(
    params: dict, action: str, check: Callable[[dict], None] | None = None
) -> list[dict]:
    """A batch's entries, checked as AWS checks the whole request before any entry runs:
    count, then each entry's Id, ``check(entry)`` (a FIFO send's group and deduplication
    ids) and that no Id repeats."""
    entries = params.get("Entries")
    if entries is None:
        raise missing("Entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise invalid_value("Entries", entries, "Entries must be a list of maps.")
    if not entries:
        raise SQSError(
            "EmptyBatchRequest",
            f"There should be at least one {action}RequestEntry in the request.",
        )
    if len(entries) > MAX_BATCH:
        raise SQSError(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are 10. You have sent {len(entries)}.",
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry.get("Id")
        if not isinstance(entry_id, str) or not _BATCH_ID.match(entry_id):
            raise SQSError(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long.",
            )
        if check is not None:
            check(entry)
        if entry_id in seen:
            raise SQSError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)
    return entries


def failure(entry_id: str, err: SQSError) -> dict:
    """One entry of a batch answer's Failed list."""
    return {"Id": entry_id, "SenderFault": True, "Code": err.code, "Message": err.message}


def each_entry(entries: list[dict], action: Callable[[dict], None]) -> dict:
    """Apply ``action`` to every entry; AWS's Successful/Failed answer."""
    successful, failed = [], []
    for entry in entries:
        try:
            action(entry)
            successful.append({"Id": entry["Id"]})
        except SQSError as err:
            failed.append(failure(entry["Id"], err))
    out: dict = {"Successful": successful}
    if failed:
        out["Failed"] = failed
    return out


def entry_size(entry: dict) -> int:
    """A batch entry's bytes as AWS counts them against the 1 MiB batch limit: body, and each
    attribute's name, type and value (counted before any entry is validated)."""
    total = 0
    body = entry.get("MessageBody")
    if isinstance(body, str):
        total += len(body.encode("utf-8", "surrogatepass"))
    attributes = entry.get("MessageAttributes")
    if isinstance(attributes, dict):
        for name, attr in attributes.items():
            total += len(str(name).encode("utf-8", "surrogatepass"))
            if isinstance(attr, dict):
                total += _attribute_size(attr)
    return total


def _attribute_size(attr: dict) -> int:
    total = 0
    for field in ("DataType", "StringValue", "BinaryValue"):
        value = attr.get(field)
        if isinstance(value, str):
            # BinaryValue arrives base64-encoded: count the decoded bytes
            count = len(value.encode("utf-8", "surrogatepass"))
            if field == "BinaryValue":
                count = count * 3 // 4 - value[-2:].count("=")
            total += count
    return total


def url_page(
    params: dict, prefix: str, names: list[str], key: str, omit_empty: bool = False
) -> dict:
    """A page of queue URLs under ``key`` with its NextToken; ListQueues answers an empty page
    with no key at all (``omit_empty``), as AWS does."""
    page, following = paginate(params, names)
    out: dict = {} if omit_empty and not page else {key: [f"{prefix}/{n}" for n in page]}
    if following:
        out["NextToken"] = following
    return out


def paginate(params: dict, items: list[str]) -> tuple[list[str], str | None]:
    """A page of ``items`` for MaxResults/NextToken (ListQueues, ListDeadLetterSourceQueues)."""
    limit = int_in(
        params, "MaxResults", 1, 1000, "MaxResults must be an integer between 1 and 1000."
    )
    token = get_str(params, "NextToken", required=False)
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token.encode("ascii"), validate=True).decode("ascii"))
        except (ValueError, UnicodeError):
            raise invalid_value("NextToken", token, "Invalid NextToken value.") from None
    end = start + limit if limit else len(items)
    page = items[start:end] if limit or token else items[:1000]
    following = base64.b64encode(str(end).encode()).decode() if limit and end < len(items) else None
    return page, following
