"""HTTP Range requests (RFC 9110, section 14): one byte range, as browsers and download resumers ask."""

from __future__ import annotations

UNSATISFIABLE = "unsatisfiable"


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The inclusive ``(first, last)`` byte range ``header`` asks of a ``size``-byte body.

    None means "send the whole body" (no header, a malformed one, another unit, or several
    ranges, which a server may answer in full); ``UNSATISFIABLE`` means answer 416.
    """
    if not header:
        return None
    unit, sep, spec = header.strip().partition("=")
    if not sep or unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    first_text, last_text = first_text.strip(), last_text.strip()
    if (
        not dash
        or not (first_text.isdigit() or first_text == "")
        or not (last_text.isdigit() or last_text == "")
    ):
        return None
    if first_text == "":
        if last_text == "":
            return None
        suffix = int(last_text)  # bytes=-n: the last n bytes
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # invalid: ignore the header
    if first >= size:
        return UNSATISFIABLE
    last = size - 1 if last_text == "" else int(last_text)
    return first, min(last, size - 1)
