"""JSON bodies serialised once, with orjson, for the per-request fast paths.

A route that returns a pydantic model has FastAPI validate it against `response_model` and serialise it again; the
hot routes (screening, consent checks, permissions) instead build plain values (dicts, slotted dataclasses, enums,
UUIDs) and send them as bytes at once. Their `response_model` stays on the route for the OpenAPI document, and
tests compare the bytes with the model (tests/api/test_fast_paths.py).
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from pydantic import BaseModel
from starlette.background import BackgroundTask
from starlette.responses import Response

# UTC datetimes end in "Z", as pydantic writes them; non-str dict keys are refused, as pydantic would.
_OPTIONS: Final = orjson.OPT_UTC_Z


def json_response(value: Any, *, status_code: int = 200, background: BackgroundTask | None = None) -> Response:
    """`value` as an application/json response: a pydantic model as it serialises itself (once, not validated again),
    anything else as orjson writes it (dataclasses, enums, UUIDs, datetimes)."""
    body = value.model_dump_json().encode() if isinstance(value, BaseModel) else orjson.dumps(value, option=_OPTIONS)
    return Response(body, status_code=status_code, media_type="application/json", background=background)
