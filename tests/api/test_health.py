"""Operator endpoints and the edge middleware: readiness, metrics, request ids, the body-size limit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi.testclient import TestClient

from appcomply.bootstrap import Services, create_app
from appcomply.db.session import make_engine


def test_liveness_and_readiness_report_ok_on_a_migrated_database(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_readiness_is_503_when_migrations_are_not_at_head(services: Services, tmp_path: Path) -> None:
    blank = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
    with TestClient(create_app(services=dataclasses.replace(services, engine=blank))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].startswith("at []")


def test_metrics_count_requests_by_route_template_not_raw_path(client: TestClient) -> None:
    client.get("/v1/apps/01a224d6-69b4-7360-8422-ed2db2ccf609")
    text = client.get("/metrics").text
    assert 'route="/v1/apps/{app_id}"' in text
    assert "01a224d6" not in text
    assert "appcomply_http_request_duration_seconds_bucket" in text


def test_a_valid_request_id_is_echoed_and_a_bad_one_replaced(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
    assert replaced != "bad id\twith spaces"
    assert len(replaced) == 32


def test_an_oversized_body_is_a_413_problem_whether_declared_or_streamed(
    client: TestClient, services: Services
) -> None:
    limit = services.settings.web.max_body_bytes
    declared = client.post("/v1/apps", content=b"x" * (limit + 1), headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"
    assert declared.json()["code"] == "request.too_large"

    def chunks() -> object:
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    streamed = client.post("/v1/apps", content=chunks(), headers={"content-type": "application/json"})  # type: ignore[arg-type]
    assert (streamed.status_code, streamed.json()["code"]) == (413, "request.too_large")


def test_an_unknown_route_is_a_problem_not_html(client: TestClient) -> None:
    response = client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "http.not_found"
