"""Police messages after a merge (issue 23, point 9): a message reaches only the reporters it was
written to. Both citizens' `reply/<id>` documents are read as their phones read them.

The console's side (the form saying who will read a message) is in tests/test_console_message_form.py.
"""

from __future__ import annotations

import httpx

from .center_helpers import bearer, device, offset, reply_of, report, tan_phu, write
from .citizen_helpers import police
from .conftest import LiveServer
from .server_checks import rows, wait_for


def texts(reply: dict) -> list[str]:
    return [m["text"] for m in reply.get("messages", [])]


def test_a_message_after_a_merge_reaches_only_the_reporter_it_was_written_to(live_server: LiveServer) -> None:
    here = tan_phu()
    first, main_id = report(live_server, "crime", "Cướp giật ở cổng chợ.", where=here)
    second, dup_id = report(live_server, "crime", "Có người bị giật túi ở chợ.", where=offset(here, 50, 0))
    stranger, other_id = report(live_server, "other", "Chó sủa cả đêm.", where=offset(here, 900, 0))
    dispatcher = police(live_server, "dp.merge", "dispatcher")

    assert write(dispatcher, dup_id, "dispatch", action="merge", into=main_id).status_code == 200
    wait_for(lambda: reply_of(second, dup_id).get("merged_into") == main_id, what="the merge in the reply")

    # Written on the main incident with no addressee: its own reporter only.
    assert write(dispatcher, main_id, "dispatch", action="message",
                 text="Chị ơi, chị còn ở cổng chợ không?").status_code == 200
    wait_for(lambda: "Chị ơi, chị còn ở cổng chợ không?" in texts(reply_of(first, main_id)),
             what="the first citizen's message")
    # Then to everyone explicitly, and one naming a report that is not merged here.
    assert write(dispatcher, main_id, "dispatch", action="message", text="Công an đang đến chợ.",
                 to=[main_id, dup_id]).status_code == 200
    assert write(dispatcher, main_id, "dispatch", action="message", text="Không ai khác đọc được.",
                 to=[other_id]).status_code == 200
    wait_for(lambda: "Công an đang đến chợ." in texts(reply_of(second, dup_id)), what="the message to all")

    assert texts(reply_of(first, main_id)) == ["Chị ơi, chị còn ở cổng chợ không?", "Công an đang đến chợ."]
    assert texts(reply_of(second, dup_id)) == ["Công an đang đến chợ."]  # never the first citizen's
    assert texts(reply_of(stranger, other_id)) == []
    # And the reply.sync jobs are all done: nothing later can still deliver the first message.
    wait_for(lambda: not rows(live_server, "SELECT id FROM outbox WHERE topic = 'reply.sync' AND state != 'done'"),
             what="every reply written")
    assert "Chị ơi, chị còn ở cổng chợ không?" not in texts(reply_of(second, dup_id))

    # The console asks whom a message can reach: the main report first, then the merged one.
    listed = httpx.get(f"{live_server.url}/api/incidents/{main_id}/reporters", headers=bearer(dispatcher))
    assert listed.status_code == 200, listed.text
    assert [(r["id"], r["merged"]) for r in listed.json()["reporters"]] == [(main_id, False), (dup_id, True)]
    assert httpx.get(f"{live_server.url}/api/incidents/nope-nope/reporters", headers=bearer(dispatcher)).status_code == 404
    citizen = device(live_server)
    assert httpx.get(f"{live_server.url}/api/incidents/{main_id}/reporters", headers=bearer(citizen)).status_code == 403


def test_a_message_addressed_in_a_wrong_shape_is_refused_whole(live_server: LiveServer) -> None:
    _, incident_id = report(live_server, "traffic", "Va chạm xe máy.", where=tan_phu())
    dispatcher = police(live_server, "dp.shape", "dispatcher")
    for to in ("all", [], ["x"], [incident_id, incident_id]):
        refused = write(dispatcher, incident_id, "dispatch", action="message", text="Xin chào", to=to)
        assert refused.status_code == 422, (to, refused.text)
        assert "to" in refused.json()["message"]
    # `to` belongs to messages only: a note with it is refused too.
    note = write(dispatcher, incident_id, "dispatch", action="note", text="ghi chú", to=[incident_id])
    assert note.status_code == 422 and "unexpected field" in note.json()["message"]
