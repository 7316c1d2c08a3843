"""The web layer: HTTP endpoints, one module per area, the PWA serving (`pwa`) and the OpenAPI
document of the REST API (`openapi`, served at `/api/openapi.json`; see docs/api.md).

Every route is listed in `app/main.py` and described in `openapi`; endpoints reach the app's
parts through `app.services.services(request)`, read bodies through `bodies` and parameters
through `app.inputs`.

May import: every package of `app/` and `app.services`; nothing imports `app.web` but `app.main`.
"""
