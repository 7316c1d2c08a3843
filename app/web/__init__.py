"""The web layer: HTTP endpoints, one module per area, and the PWA serving (`pwa`).

Every route is listed in `app/main.py`; endpoints reach the app's parts through
`app.services.services(request)` and read bodies through `bodies`.

May import: every package of `app/` and `app.services`; nothing imports `app.web` but `app.main`.
"""
