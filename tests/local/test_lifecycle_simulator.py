"""The Zendesk behaviour the lifecycle relies on, as the simulator models it.

* Solving a problem ticket solves its linked incidents, each in one update that carries a copy
  of the problem's solving comment (same author, same visibility), and fires their events.
* Search understands ``status<solved`` (how open review and action tasks are found).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from middleware.local.simulator import SimulatorControl, SimulatorServer
from middleware.local.simulator.store import Store


def _world() -> tuple[Store, int, int, list[int]]:
    store = Store()
    agent = store.users.create({"email": "agent@acme.test", "role": "agent"})["id"]
    customers = [store.users.create({"email": f"c{i}@x.test"})["id"] for i in range(3)]
    problem = store.tickets.create(agent, {"subject": "Orders not syncing", "comment": {"body": "many"},
                                          "type": "problem"}).ticket["id"]
    linked = []
    for c in customers:
        t = store.tickets.create(c, {"subject": "orders?", "comment": {"body": "stuck"}}).ticket["id"]
        store.tickets.update(agent, t, {"type": "incident", "problem_id": problem})
        linked.append(t)
    return store, agent, problem, linked


def test_solving_a_problem_solves_its_incidents_with_a_copy_of_the_public_reply():
    store, agent, problem, linked = _world()
    store.tickets.update(agent, linked[2], {"status": "solved"})  # solved on its own before
    write = store.tickets.update(agent, problem, {"status": "solved",
                                                 "comment": {"body": "Fixed, sorry!", "public": True}})
    for t in linked[:2]:
        ticket = store.tickets.get(t)
        assert ticket["status"] == "solved"
        last = store.audits.comments_of(t)[-1]
        assert (last["body"], last["public"], last["author_id"]) == ("Fixed, sorry!", True, agent)
        audit = store.audits.audits_of(t)[-1]  # one update: the comment and the status together
        kinds = [(e["type"], e.get("field_name"), e.get("value")) for e in audit["events"]]
        assert ("Change", "status", "solved") in kinds and any(k[0] == "Comment" for k in kinds)
    assert store.audits.comments_of(linked[2])[-1]["body"] != "Fixed, sorry!"  # already solved: untouched
    fired = [(e["detail"]["id"], e["type"].rsplit(".", 1)[1]) for e in write.events]
    for t in linked[:2]:
        assert (str(t), "comment_added") in fired and (str(t), "status_changed") in fired
    assert (str(linked[2]), "status_changed") not in fired


def test_a_problem_solved_without_a_comment_solves_its_incidents_silently():
    store, agent, problem, linked = _world()
    store.tickets.update(agent, problem, {"status": "solved"})
    for t in linked:
        assert store.tickets.get(t)["status"] == "solved"
        assert len(store.audits.comments_of(t)) == 1  # only the customer's description


def test_only_problem_tickets_cascade():
    store, agent, problem, linked = _world()
    store.tickets.update(agent, linked[0], {"status": "solved"})
    assert store.tickets.get(problem)["status"] != "solved"
    assert all(store.tickets.get(t)["status"] != "solved" for t in linked[1:])


@pytest.fixture
def ctl() -> Iterator[SimulatorControl]:
    with SimulatorServer() as server:
        yield SimulatorControl(server.url)


def test_search_understands_status_comparisons(ctl):
    import requests

    open_task = ctl.customer_ticket("Review", "x", "a@x.test", type="task", tags=["post_incident_review"])["id"]
    done = ctl.customer_ticket("Review 2", "x", "a@x.test", type="task", tags=["post_incident_review"])["id"]
    ctl.update(done, status="solved")
    url = ctl.base_url + "/api/v2/search.json"
    auth = ("middleware@example.com/token", "tok")

    def ids(query: str) -> list[int]:
        return [r["id"] for r in requests.get(url, params={"query": query}, auth=auth, timeout=5).json()["results"]]

    assert ids("type:ticket tags:post_incident_review status<solved") == [open_task]
    assert ids("type:ticket tags:post_incident_review status>=solved") == [done]
    assert ids("type:ticket tags:post_incident_review") == [open_task, done]
