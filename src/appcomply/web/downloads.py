"""File downloads that a browser never renders: for evidence uploaded by outsiders (reports, complaints)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response


def attachment_response(
    filename: str,
    content: bytes,
    *,
    sha256: str,
    media_type: str = "application/octet-stream",
    headers: dict[str, str] | None = None,
) -> Response:
    """application/octet-stream with Content-Disposition: attachment and a sandboxing CSP, whatever the bytes are.
    Documents we generate ourselves (the authority report's JSON and PDF) may name their real `media_type`: they
    are still downloaded, never rendered in the page's origin.

    RFC 6266: an ASCII fallback name and the exact UTF-8 name (RFC 5987), both quoted so no header can be injected.
    """
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_").replace("\\", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(
        content,
        media_type=media_type,
        headers={
            **(headers or {}),
            "Content-Disposition": disposition,
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
            "ETag": f'"{sha256}"',
        },
    )
