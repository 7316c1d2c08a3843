"""Citizen identity: an anonymous, signed device token; optional contact details for call-backs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import ApiError
from app.identity.auth import require_principal
from app.services import services
from app.web.bodies import json_object


async def create_device(request: Request) -> Response:
    svc = services(request)
    ip = request.client.host if request.client else "-"
    svc.limiter.check(("devices", ip), svc.settings.devices_per_ip_per_hour, 3600, "new devices")
    device_id, token = await svc.devices.create()
    return JSONResponse({"device_id": device_id, "token": token}, status_code=201)


async def update_contact(request: Request) -> Response:
    device = require_principal(request, citizen=True)
    if not device.is_citizen:
        raise ApiError(403, "forbidden", "Only a citizen device has contact details.")
    contact = await services(request).devices.set_contact(device, await json_object(request))
    return JSONResponse({"device_id": device.id, "contact": contact})
