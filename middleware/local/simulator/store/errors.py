"""Zendesk's error answers: the simulator refuses what Zendesk refuses, in the same JSON shape,
so the middleware's error handling is exercised against the bodies it meets in production."""

from __future__ import annotations

from typing import Any

CONFLICT_BODY = {
    "error": "UpdateConflict",
    "description": (
        "Safe Update prevented the update due to outdated ticket data. "
        "Please fetch the latest ticket data and try again."
    ),
}


class ApiError(Exception):
    """An error answer in Zendesk's shape (status + JSON body + optional headers)."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body.get('error')}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, {"error": "RecordNotFound", "description": "Not found"})


def invalid(field_name: str, message: str, error: str | None = None) -> ApiError:
    """Zendesk's 422 ``RecordInvalid`` body, naming the field like Zendesk does."""
    detail: dict[str, Any] = {"description": message}
    if error:
        detail["error"] = error
    return ApiError(
        422,
        {"error": "RecordInvalid", "description": "Record validation errors", "details": {field_name: [detail]}},
    )


def bad_request(error: str, description: str) -> ApiError:
    return ApiError(400, {"error": error, "description": description})


def conflict() -> ApiError:
    """The 409 a ``safe_update`` with a stale ``updated_stamp`` gets."""
    return ApiError(409, dict(CONFLICT_BODY))
