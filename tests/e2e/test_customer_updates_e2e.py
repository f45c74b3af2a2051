"""End to end: keeping customers informed, on real processes (gunicorn, an RQ worker with the
scheduler, Redis, the Zendesk simulator over HTTP), driven the way people drive it: the CLI and
the incident API.

* a status update on a problem with three linked tickets: three public replies, each addressed
  to its own requester, a note on the problem ticket, the SLA clock still running; the same
  command again sends nothing; another update from the API reaches the same three;
* a proactive notice to two organisations: ``--dry-run`` lists the contacts and sends nothing;
  the send gives each contact one ticket, linked to the problem ticket;
* solving the problem: every linked requester and every notified contact hears it is resolved,
  once.

Everything is polled with deadlines; nothing sleeps a fixed time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from middleware.local.stack import Stack, running_stack
from tests.e2e import support
from tests.e2e.support import flush_db, wait_until, write_config
from tests.lifecycle_support import OUTAGE

pytestmark = pytest.mark.e2e

REDIS_DB = 13
PREFIX = "cime2e17"
TOKEN = "e2e-admin-token"
AGENT = "lead@acme-support.test"
UPDATE = "Hello {requester_name},\n\nUpdate on your request #{ticket_id}: the fix is being deployed."
NOTICE = "Hello {requester_name},\n\nOrders are not syncing for some customers, {organization_name} included."


class World(support.World):
    def __init__(self, stack: Stack) -> None:
        super().__init__(stack, PREFIX)
        self.agent = int(self.sim.create_user("Lead Agent", AGENT, role="agent")["id"])

    def public(self, tid: int, text: str) -> list[str]:
        return [c["body"] for c in self.ticket(tid)["comments"] if c["public"] and text in c["body"]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    flush_db(REDIS_DB)
    tmp = tmp_path_factory.mktemp("customer-updates")
    config = write_config(tmp, redis={"prefix": PREFIX})
    with running_stack(config_path=str(config), redis_db=REDIS_DB, log_dir=tmp / "logs",
                       extra_env={"ADMIN_TOKEN": TOKEN}) as stack:
        w = World(stack)
        yield w
        w.sim.close()


def test_updates_and_notices_reach_everyone_once_and_the_resolution_reaches_them_all(world: World) -> None:
    problem = int(world.sim.customer_ticket(*OUTAGE, AGENT, type="problem")["id"])
    wait_until(lambda: world.incidents.get(problem), 30, "the problem to be declared critical")
    names = {"Ann One": "ann@one.test", "Bob Two": "bob@two.test", "Cy Three": "cy@three.test"}
    linked: dict[int, str] = {}
    for name, email in names.items():
        t = int(world.sim.customer_ticket("Orders look odd", "The order list is stale today.", email,
                                          requester_name=name)["id"])
        world.sim.update(t, author_id=world.agent, type="incident", problem_id=problem)
        linked[t] = name
    wait_until(lambda: all(world.public(t, "as a critical incident") for t in linked), 30,
               "linked requesters told it is critical")

    # -- a status update from the command line: three replies, one each ---------------------------
    sent = world.cli("incident", "update", str(problem), "--message", UPDATE, "--by", "Helen Head")
    assert sent.returncode == 0, sent.stderr
    assert "sent to 3 ticket(s)" in sent.stdout
    for t, name in linked.items():
        [reply] = world.public(t, "Update on your request")
        assert reply.startswith(f"Hello {name},") and f"#{t}:" in reply
    assert "critical_sla_pending" in world.ticket(problem)["ticket"]["tags"]  # not a first response
    notes = [c["body"] for c in world.ticket(problem)["comments"] if not c["public"]
             and c["body"].startswith("Status update")]
    assert len(notes) == 1 and all(email in notes[0] for email in names.values())

    again = world.cli("incident", "update", str(problem), "--message", UPDATE, "--by", "Helen Head")
    assert again.returncode == 0 and "already requested" in again.stdout

    # -- another one from the incident API ---------------------------------------------------------
    posted = requests.post(f"{world.stack.web_url}/api/incidents/{problem}/updates", timeout=10,
                           headers={"Authorization": f"Bearer {TOKEN}"},
                           json={"message": "Hello {requester_name}, the fix is live on #{ticket_id}.",
                                 "by": "Helen Head"})
    assert posted.status_code == 202, posted.text
    wait_until(lambda: all(world.public(t, "the fix is live") for t in linked), 30, "the API's update")

    # -- a proactive notice to two organisations ---------------------------------------------------
    acme = int(world.sim.create_organization("Acme")["id"])
    beta = int(world.sim.create_organization("Beta")["id"])
    contacts = {"ann@acme.test": acme, "al@acme.test": acme, "bea@beta.test": beta}
    for email, org in contacts.items():
        world.sim.create_user(email.split("@")[0].title(), email, organization_id=org, tags=["incident_contact"])
    world.sim.create_user("Quiet", "quiet@acme.test", organization_id=acme)  # not a contact

    args = ("incident", "notify", str(problem), "--orgs", f"{acme},{beta}", "--message", NOTICE, "--by", "Helen Head")
    dry = world.cli(*args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "2 organisation(s)" in dry.stdout and "3 contact(s)" in dry.stdout and "dry run: nothing sent" in dry.stdout
    assert all(email in dry.stdout for email in contacts) and "quiet@acme.test" not in dry.stdout
    assert "sending costs 2 write(s) and 1 read(s)" in dry.stdout
    assert not [t for t in world.sim.tickets() if "incident_notice" in t["tags"]]

    told = world.cli(*args)
    assert told.returncode == 0, told.stderr
    assert "3 contact(s) in 2 organisation(s) told" in told.stdout
    notices = [t for t in world.sim.tickets() if "incident_notice" in t["tags"]]
    assert len(notices) == 3
    assert all((t["type"], t["problem_id"]) == ("incident", problem) for t in notices)

    # -- the resolution reaches everyone, once ----------------------------------------------------
    world.sim.update(problem, author_id=world.agent, status="solved")  # no comment: Zendesk copies nothing
    everyone = [*linked, *(t["id"] for t in notices)]
    wait_until(lambda: all(world.public(t, "has been resolved") for t in everyone), 60, "everyone told it is resolved")
    world.idle()
    for t in everyone:
        assert len(world.public(t, "has been resolved")) == 1, t
    for t in linked:
        assert len(world.public(t, "Update on your request")) == 1
    review = wait_until(lambda: next((t for t in world.sim.tickets() if "post_incident_review" in t["tags"]), None),
                        30, "the review task")
    told = world.ticket(review["id"])["comments"][0]["body"]
    assert "status update" in told and "proactive notice" in told and "asked for by Helen Head" in told
    report = world.cli("report", "--since", "1d")
    assert report.returncode == 0, report.stderr
    assert "status update" in report.stdout and "proactive notice" in report.stdout
    assert "(asked for by Helen Head)" in report.stdout
