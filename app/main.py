"""The app factory: `uvicorn --factory app.main:create_app`. Every route of the app is listed here."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.errors import EXCEPTION_HANDLERS
from app.identity.auth import AuthMiddleware, principal_of
from app.inputs import RefuseNul
from app.services import Services
from app.settings import Settings
from app.web import (
    account,
    admin,
    citizen,
    directory,
    evidence,
    incidents,
    intake,
    lite,
    officers,
    open311,
    openapi,
    pwa,
    second_factor,
    serving,
    session,
    warnings_page,
)
from app.web import media as media_api
from app.web import metrics as metrics_web
from app.web import positions as positions_api
from app.web import push as push_api
from app.web import stats as stats_api
from app.web import warnings as warnings_api
from sync.asgi import routes as sync_routes

log = logging.getLogger(__name__)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def client_config(request: Request) -> Response:
    """Public settings the apps need before anyone signs in."""
    settings = request.app.state.services.settings
    return JSONResponse(
        {
            "tile_url": settings.tile_url,
            "timezone": settings.city_timezone,
            "languages": ["vi", "en"],
            "default_language": "vi",
            "positions": {
                "interval_s": settings.position_interval_s,
                "move_m": settings.position_move_m,
                "stale_s": settings.position_stale_s,
                "speed_kmh": settings.city_speed_kmh,
            },
        }
    )


_frozen = False


def _freeze_startup_objects() -> None:
    """Once per process, after start-up: move every object alive then (modules, the ward
    directory, routes, the services: they live as long as the process) out of the garbage
    collector's sight. A full collection stops the event loop while it walks the heap; at 100 new
    reports/s these pauses were the p99 latency (bench/RESULTS.md). Also fewer young collections."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
        # Collect young objects less often (every 700 allocations by default): a server
        # allocates fast and almost everything dies by reference counting anyway, and each young
        # collection counts towards the older ones, and so towards a full one.
        gc.set_threshold(20_000, 20, 20)


def create_app(settings: Settings | None = None, svc: Services | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    svc = svc or Services.build(settings)
    # After uvicorn configured its logging (it loads the app later): no token in any log line.
    serving.install_log_redaction()

    routes = [
        Route("/healthz", healthz),
        # issue 26: what operators and load balancers watch (app/web/metrics.py)
        Route("/metrics", metrics_web.metrics),
        Route("/readyz", metrics_web.readyz),
        Route("/api/config", client_config),
        Route("/api/openapi.json", openapi.openapi_json),
        Route("/api/auth/login", session.login, methods=["POST"]),
        Route("/api/auth/logout", session.logout, methods=["POST"]),
        Route("/api/auth/me", session.me),
        # issue 25: the second step of sign-in, and enrolling a second factor
        Route("/api/auth/second-factor", session.second_factor, methods=["POST"]),
        Route("/api/auth/totp", second_factor.totp_begin, methods=["POST"]),
        Route("/api/auth/totp", second_factor.totp_delete, methods=["DELETE"]),
        Route("/api/auth/totp/confirm", second_factor.totp_confirm, methods=["POST"]),
        Route("/api/auth/webauthn/register/options", second_factor.passkey_options, methods=["POST"]),
        Route("/api/auth/webauthn/register", second_factor.passkey_register, methods=["POST"]),
        Route("/api/auth/webauthn/credentials", second_factor.passkey_list),
        Route("/api/auth/webauthn/credentials/{credential_id}", second_factor.passkey_delete,
              methods=["DELETE"]),
        Route("/api/auth/recovery-codes", second_factor.recovery_codes, methods=["POST"]),
        # issue 25: own sessions and password, set-up links (app/web/account.py)
        Route("/api/auth/sessions", account.list_sessions),
        Route("/api/auth/sessions/end-others", account.end_other_sessions, methods=["POST"]),
        Route("/api/auth/sessions/{session_id}", account.end_session, methods=["DELETE"]),
        Route("/api/auth/password", account.change_password, methods=["POST"]),
        Route("/api/auth/setup", account.set_up, methods=["POST"]),
        Route("/api/citizen/devices", citizen.create_device, methods=["POST"]),
        Route("/api/citizen/devices/me", citizen.update_contact, methods=["PUT"]),
        Route("/api/units", directory.units),
        Route("/api/wards/boundaries", directory.ward_boundaries),
        Route("/api/route", directory.route_preview),
        Route("/api/directory/search", directory.address_search),
        Route("/api/incidents/timers", incidents.timers),
        Route("/api/incidents/{incident_id}/candidates", incidents.candidates),
        Route("/api/incidents/{incident_id}/reporters", incidents.reporters),
        # issue 27: the signed case bundle and the key that checks it
        Route("/api/incidents/{incident_id}/evidence.zip", evidence.evidence_zip),
        Route("/api/evidence/key", evidence.public_key),
        Route("/api/officers", officers.list_officers),
        Route("/api/officers/me/availability", officers.set_my_availability, methods=["PUT"]),
        # issue 16: where the units are
        Route("/api/officers/me/position", positions_api.put_my_position, methods=["PUT"]),
        Route("/api/units/positions", positions_api.unit_positions),
        Route("/api/units/positions/live", positions_api.live_positions),
        Route("/api/incidents/{incident_id}/track", positions_api.incident_track),
        Route("/api/admin/users", admin.list_users),
        Route("/api/admin/users", admin.create_user, methods=["POST"]),
        Route("/api/admin/users/import", admin.import_users, methods=["POST"]),
        Route("/api/admin/users/{user_id}/disable", admin.disable_user, methods=["POST"]),
        Route("/api/admin/users/{user_id}/enable", admin.enable_user, methods=["POST"]),
        Route("/api/admin/users/{user_id}/reset-password", admin.reset_password, methods=["POST"]),
        Route("/api/admin/users/{user_id}/second-factor/reset", admin.reset_second_factor, methods=["POST"]),
        Route("/api/admin/users/{user_id}/sessions", admin.user_sessions),
        Route("/api/admin/users/{user_id}/sessions/end", admin.end_user_sessions, methods=["POST"]),
        Route("/api/admin/units", admin.units),
        Route("/api/audit", admin.audit_log),
        Route("/api/audit.csv", admin.audit_log),
        Route("/api/incidents/phone", intake.phone_report, methods=["POST"]),
        # issue 23: "/" paints and reports before (and without) any script
        Route("/", lite.form_page),
        Route("/", lite.report, methods=["POST"]),
        Route("/lite/reports/{report_id}", lite.status_page),
        Route("/open311/v2/services.json", open311.service_list),
        Route("/open311/v2/requests.json", open311.list_requests),
        Route("/open311/v2/requests.json", open311.create_request, methods=["POST"]),
        Route("/open311/v2/requests/{request_id}.json", open311.get_request),
        Route("/api/stats/incidents.geojson", stats_api.incidents_geojson),
        Route("/api/stats/charts/{chart}.svg", stats_api.chart),
        Route("/api/stats/{figure}.csv", stats_api.figure_csv),
        Route("/api/stats/{figure}", stats_api.figure),
        Route("/api/push/key", push_api.public_key),
        Route("/api/push/subscriptions", push_api.my_subscriptions),
        Route("/api/push/subscriptions", push_api.subscribe, methods=["POST"]),
        Route("/api/push/subscriptions", push_api.unsubscribe, methods=["DELETE"]),
        Route("/media/uploads/", media_api.tus_options, methods=["OPTIONS"]),
        Route("/media/uploads/", media_api.create_upload, methods=["POST"]),
        Route("/media/uploads", media_api.create_upload, methods=["POST"]),
        Route("/media/uploads/{media_id}", media_api.upload_resource,
              methods=["HEAD", "PATCH", "DELETE", "POST", "OPTIONS"]),
        Route("/media/{media_id}", media_api.metadata),
        Route("/media/{media_id}/{variant}", media_api.media_file),
        Route("/api/reports/{report_id}/media", media_api.report_media),
        # issue 24: public warnings (docs/warnings.md)
        Route("/api/warnings", warnings_api.list_warnings),
        Route("/api/warnings", warnings_api.create, methods=["POST"]),
        Route("/api/warnings/wards", warnings_api.wards),
        Route("/api/warnings/wards.geojson", warnings_api.ward_boundaries),
        Route("/api/warnings/{warning_id}", warnings_api.get_warning),
        Route("/api/warnings/{warning_id}/approve", warnings_api.approve, methods=["POST"]),
        Route("/api/warnings/{warning_id}/cancel", warnings_api.cancel, methods=["POST"]),
        Route("/api/warnings/{warning_id}/update", warnings_api.update, methods=["POST"]),
        Route("/api/warnings/{warning_id}/answers", warnings_api.answer, methods=["POST"]),
        Route("/api/citizen/devices/me/areas", warnings_api.get_areas),
        Route("/api/citizen/devices/me/areas", warnings_api.put_areas, methods=["PUT"]),
        Route("/warnings/", warnings_page.page),
        Route("/warnings/warnings.css", warnings_page.stylesheet),
        Route("/warnings/cap.atom", warnings_page.cap_feed),
        Route("/warnings/{warning_id}.cap.xml", warnings_page.cap_alert),
        *sync_routes(svc.sync, principal_of),
        *pwa.routes(settings),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        svc.start()
        await svc.start_async()
        await svc.worker.start()
        _freeze_startup_objects()
        try:
            yield
        finally:
            await svc.worker.stop()
            await svc.stop_async()
            svc.stop()

    registry = metrics_web.registry_for(svc)
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(metrics_web.HttpMetrics, registry=registry),
            Middleware(RefuseNul),
            Middleware(AuthMiddleware, authenticator=lambda: svc.authenticator),
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.services = svc
    app.state.metrics_registry = registry
    app.state.metrics_trusted = metrics_web.Trusted(settings.trusted_proxies)
    return app
