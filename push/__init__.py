"""Web push: VAPID keys, browser subscriptions, planned notifications and their delivery.

The library knows owners (a user or a device id), notifications and subscriptions, and nothing of
incidents: `app/incidents/alerts.py` decides who is told what and runs `deliver` from the app's outbox.
See docs/push.md. This package never imports `app`.

    push = PushService(db, VapidKeys.load_or_create(data_dir / "vapid_private_key.pem"),
                       subject="mailto:ops@police.gov.vn")
    push.public_key                                   # for the browser's applicationServerKey
    await push.subscribe(Owner("device", device_id), subscription_json)
    ids = push.plan(tx, Notification("status:42:done", {"title": "..."}, ttl_s=86400),
                    owners=[("device", device_id)])   # in the caller's transaction
    await push.deliver(ids[0])                        # from a background job, after commit
"""

from .sender import Result, Sender
from .service import NotAllowed, Notification, Outcome, Owner, PushService, Taken
from .store import create_tables
from .subscriptions import DEFAULT_PUSH_HOSTS, EndpointPolicy, InvalidSubscription, Subscription
from .vapid import VapidKeys, subject_problem

__all__ = [
    "DEFAULT_PUSH_HOSTS",
    "EndpointPolicy",
    "InvalidSubscription",
    "NotAllowed",
    "Notification",
    "Outcome",
    "Owner",
    "PushService",
    "Result",
    "Sender",
    "Subscription",
    "Taken",
    "VapidKeys",
    "create_tables",
    "subject_problem",
]
