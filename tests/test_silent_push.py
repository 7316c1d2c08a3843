"""Issue 29: the police's news about a silent report reaches the phone without a sound: the
citizen's push payload says `silent`, which the service worker passes to showNotification."""

from __future__ import annotations

import pytest

from . import test_push_delivery
from .conftest import LiveServer
from .push.flow import device, subscribe, triage_and_dispatch
from .push.peer import RecordingPeer
from .test_push_delivery import user
from .test_silent_report import TAN_PHU, silent_report

# The push tests' fixtures: a recording push service, and settings that let the server reach it.
peer, settings = test_push_delivery.peer, test_push_delivery.settings


@pytest.mark.parametrize("silent", [True, False])
def test_the_citizen_push_of_a_silent_report_is_silent(live_server: LiveServer, peer: RecordingPeer, silent: bool) -> None:
    citizen = device(live_server.url)
    assert subscribe(citizen, peer.subscription("phone")).status_code == 201
    if silent:
        report_id = silent_report(citizen, "crime")
    else:
        from .sync_client import point_in_ward

        report_id = citizen.new_report("crime", where=point_in_ward(TAN_PHU))
    assert citizen.sync(f"report/{report_id}").status_code == 200
    dispatcher = user(live_server, "dp", "dispatcher")
    triage_and_dispatch(dispatcher, report_id, f"ward-{TAN_PHU}", "Tổ công tác đang đến")
    (request, *_) = peer.wait_for_requests("phone", 1)
    payload = peer.decrypt("phone", request.body)
    assert payload["app"] == "citizen" and payload["silent"] is silent
