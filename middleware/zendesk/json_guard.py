"""Hostile JSON made harmless at the door: absurd nesting refused, lone surrogates replaced.

Both receivers (``/webhooks/zendesk`` and ``/intake/*``) parse bodies with :func:`loads`
(``json.loads``'s answers, mostly at orjson's speed), which accepts two things the rest of the
product cannot handle:

* **deep nesting** — a validly signed body nested ~500–1000 levels deep parses, then blows the
  recursion limit while the job is pickled (a 500, or worse, a job that can never run). No
  real event is nested more than a dozen levels, so more than ``MAX_DEPTH`` is a 400;
* **lone surrogates** — ``"\\ud800"`` is valid JSON but not encodable text: it raised
  ``UnicodeEncodeError`` wherever a string was encoded (an intake fingerprint's digest, the
  rules' text matching, Redis). Each lone surrogate becomes U+FFFD, so the event is still
  handled (a ticket is never lost for one bad character).

What Zendesk's API returns can carry lone surrogates too (:func:`clean_bytes`), so both
checks live beside the Zendesk client and cost almost nothing on ordinary bodies (:func:`clean`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

__all__ = ["MAX_DEPTH", "TooDeep", "clean", "clean_bytes", "depth", "loads", "without_surrogates"]

MAX_DEPTH = 64
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# In raw JSON: an escaped backslash (kept: what follows it is text, not an escape), a valid
# surrogate pair (kept: an emoji written as escapes), or a lone surrogate escape (replaced).
_ESCAPES = re.compile(rb"(\\\\)"  # an escaped backslash
                      rb"|(\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"  # a pair
                      rb"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}")  # a lone surrogate


class TooDeep(ValueError):
    """The body nests objects/arrays deeper than ``MAX_DEPTH``."""


def loads(raw: bytes) -> Any:
    """``json.loads(raw)``, parsed by orjson where it can: the receivers parse every body they
    accept, and orjson does it in about a third of the instructions (docs/benchmarks.md).

    orjson is stricter than the standard library: it refuses lone surrogate escapes, numbers
    beyond 64 bits, NaN, UTF-16 bodies and nesting past 1,024 levels, all of which ``json.loads``
    accepts (and :func:`clean` then handles). So anything orjson refuses is parsed again by
    ``json.loads``: every body gets exactly the answer it got before, a valid one the same
    values, an invalid one the same ``ValueError`` (or ``RecursionError``)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def clean(raw: bytes, body: Any) -> Any:
    """``body`` (parsed from ``raw``) fit for the product; ``TooDeep`` if nested too deeply.

    Both checks cost almost nothing on ordinary bodies: the depth is only measured when the body
    holds more than ``MAX_DEPTH`` brackets in all, and strings are only walked when the raw body
    contains a ``\\uD8xx``–``\\uDFxx`` escape (raw UTF-8 cannot carry a surrogate).
    """
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and depth(body) > MAX_DEPTH:
        raise TooDeep(f"the body nests objects or arrays more than {MAX_DEPTH} levels deep")
    if b"\\u" in raw and _SURROGATE_ESCAPE.search(raw):  # the substring test first: a tenth of the pattern's cost
        return without_surrogates(body)
    return body


def clean_bytes(raw: bytes) -> bytes:
    """Raw JSON with every lone surrogate escape (``\\ud800`` alone) replaced by ``\\ufffd``;
    surrogate pairs and escaped backslashes are left as they are. ``raw`` itself (no copy) when
    it has no surrogate escape at all, the usual case.

    What Zendesk's API returns can carry lone surrogates too (a subject, a comment, an audit
    value written through the API by another integration). The transport
    (``middleware.zendesk.transport``) runs every API answer through this before zenpy or our
    own code parses it, so every reader (the catch-up's export, audits, comments, users,
    organisations) gets encodable text, the same U+FFFD the receivers give.
    """
    if not _SURROGATE_ESCAPE.search(raw):
        return raw
    return _ESCAPES.sub(lambda m: m.group(0) if m.group(1) or m.group(2) else b"\\ufffd", raw)


def depth(value: Any) -> int:
    """How deeply objects and arrays nest in ``value`` (iterative: no recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            level += 1
            stack.extend((v, level) for v in item.values())
        elif isinstance(item, list):
            level += 1
            stack.extend((v, level) for v in item)
        deepest = max(deepest, level)
    return deepest


def without_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_surrogates(v) for v in value]
    return value
