"""The OpenAPI document is true: schemathesis drives the real server from it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.support.server import ADMIN_KEY, RunningServer, start_server

SPEC = Path(__file__).resolve().parents[1] / "server" / "api" / "openapi.yaml"
schema = schemathesis.openapi.from_path(str(SPEC))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # Its own server: generated calls add list entries and keys we don't want elsewhere.
    # schemathesis probes auth with wrong keys many times; the wrong-key throttle is pinned by
    # tests/test_api_auth.py, so here it is set out of the way.
    running = start_server(
        tmp_path_factory.mktemp("openapi"), env={"FAKEWATCH_AUTH_FAILURES_PER_MINUTE": "1000000"}
    )
    yield running
    assert running.stop() == 0, running.stderr()
    assert "Traceback" not in running.stderr()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_matches_the_document(case: schemathesis.Case, api: RunningServer) -> None:
    # A schema cannot say "a readable URL" or "a domain that is not a public suffix": such
    # strings are schema-valid yet answered 400 on purpose (documented on those routes).
    semantic_400 = case.operation.path in ("/v1/check/link", "/v1/lists/entries")
    # Community routes: "a readable link / phone / wallet / hash" is not expressible either.
    semantic_400 = semantic_400 or case.operation.path in (
        "/v1/reports",
        "/v1/alerts/subscriptions",
        "/v1/webhooks",
        "/moderate/cases/{id}/{action}",  # merge needs 'into'
        # Persons: "a name of 3 letters or 2 CJK characters", "a registrable domain".
        "/v1/persons",
        "/v1/persons/{id}",
        "/v1/persons/{id}/faces",
        # Media: "a decodable picture with enough detail to hash" is not expressible.
        "/v1/check/media",
        "/v1/known-fakes",
        # "a hash list we read" (CSV / JSON / PDQ lines) is not expressible either.
        "/v1/known-fakes/import",
    )
    response = case.call(
        base_url=api.url,
        headers=None if _mutates_headers(case) else {"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    excluded = [positive_data_acceptance] if semantic_400 else []
    if response.status_code == 413:
        # A generated body over FAKEWATCH_MAX_BODY_BYTES is refused for its size before its
        # content is read: the documented 413, not "invalid data accepted" (the other checks,
        # the error body against the document included, still run).
        excluded.append(negative_data_rejection)
    case.validate_response(response, excluded_checks=excluded or None)


def _mutates_headers(case: schemathesis.Case) -> bool:
    """A negative case that dropped or broke a required header must be sent as generated: adding
    our key back would turn it into a valid request, which the server rightly accepts."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    header = meta.components.get(ParameterLocation.HEADER)
    return header is not None and header.mode.is_negative


def test_every_route_of_the_app_is_documented() -> None:
    from server.api.app import create_app
    from server.api.meta import openapi_document
    from server.settings import Settings

    app = create_app(Settings())
    routes = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    documented = {
        (method, path)
        for path, operations in openapi_document()["paths"].items()
        for method in operations
    }
    assert routes == documented
