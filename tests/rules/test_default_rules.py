"""The shipped rules (config.yaml including rules/default.yaml), one behaviour at a time: what
each category catches, however it is worded (and in several languages), the possible tier, and
the negatives the brief names ("not urgent", "resolved now", "false alarm", planned-maintenance
questions, security questionnaires, pen-test scheduling, one user's small problem, how-to)."""

from __future__ import annotations

import pytest

from rules import RuleSet
from tests.rules.corpus import load_default_ruleset
from tests.rules.helpers import make_ticket


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_default_ruleset()


def customer(rules: RuleSet, subject: str, description: str, comment: str | None = None):
    return rules.evaluate(make_ticket(subject, description, comment, role="end-user", email="a@customer.example"))


@pytest.mark.parametrize(
    ("subject", "description", "category"),
    [
        ("Data breach", "We think customer data was leaked through your export link.", "security"),
        ("help", "Our admin account was hacked last night, new admins we don't know.", "security"),
        ("API key", "We accidentally pushed our API key to a public GitHub repo.", "security"),
        ("urgent", "Ransomware on our network, disconnect the integration.", "security"),
        ("weird", "When we search by postcode we get deliveries of another company, names and addresses.",
         "security"),
        ("PLATFORM DOWN", "Your platform is down for us since 8am.", "outage"),
        ("login", "Nobody in our company can log in since this morning.", "outage"),
        ("errors", "Every request to the API returns 500 errors.", "outage"),
        ("sync", "No new data since yesterday, the connector is not ingesting.", "outage"),
        ("gone", "All of our projects are gone, three years of work.", "outage"),
        # The customer's own business stopping, in their words, without "outage" or "down"
        ("labels", "All labels print blank since the release, 14 trucks waiting at the dock.", "outage"),
        ("ASN", "None of our ASNs are reaching the retailer today, every one rejected.", "outage"),
        # Not in English
        ("Etiketten", "Seit heute früh sind alle Versandetiketten leer, kein einziger LKW kann raus.", "outage"),
        ("Commandes", "Aucune commande n'arrive dans l'entrepôt depuis ce matin, tout est bloqué.", "outage"),
        ("Pedidos", "No llegan los pedidos al almacén desde ayer, todos los camiones esperando.", "outage"),
        ("Orders", "Geen enkele order komt meer binnen sinds vanochtend, alle chauffeurs wachten.", "outage"),
        ("Ordrar", "Ingen av våra 25 lagerarbetare kan skriva ut plocklistor sedan i morse, allt står still.",
         "outage"),
        # Security concepts worded without "hacked" or "breach"
        ("invoices link", "If you change the number at the end of the invoice link it opens other people's invoices "
         "with their names and addresses, without logging in.", "security"),
        ("access", "We let our planner go in May and his account was disabled, but he still logged in and "
         "exported the customer list yesterday.", "security"),
        ("quotes", "Since 8am every rate quote comes back at 0.00, for all carriers.", "outage"),
        # Asking how to repair the damage is not a how-to question
        ("invoice run", "Every invoice of last night's run has the surcharge twice and all 900 were emailed to our "
         "customers. How do we correct this?", "outage"),
        # A wish for a fix is not a fix
        ("orders not importing", "No orders have imported since 6am and the pickers have nothing to do, we need "
         "this fixed now.", "outage"),
    ],
)
def test_customer_reports(rules: RuleSet, subject: str, description: str, category: str) -> None:
    decision = customer(rules, subject, description)
    assert decision.critical, decision.explain()
    assert decision.category == category
    assert f"critical_{category}" in decision.tags
    assert "Flagged automatically as a critical incident" in decision.note
    assert decision.score is not None and decision.score >= rules.scorer.critical


def test_a_short_social_engineering_report_is_put_to_a_person_at_least(rules: RuleSet) -> None:
    """Flagged until the sixth text model (rules/README.md): with the model weighing twice as much,
    which left one set out over 21 sets took false flags from 84 to 42 and flagged 23 more critical
    tickets, these twenty words (few of them ones the model knows from critical tickets) read as
    routine and bring the security signal's +6.5 down to the possible tier: a person still decides."""
    decision = customer(rules, "odd call", "A man said he was from your support team and our dispatcher gave him "
                                           "the code from her phone.")
    assert decision.possible or decision.critical, decision.explain()
    assert decision.category == "security"
    assert any(h.name != "wording" and h.category == "security" for h in decision.signals), decision.explain()


def test_monitoring_alert_by_tag_and_by_source(rules: RuleSet) -> None:
    tagged = make_ticket("Queue backlog", "above 50k", tags=["monitoring_alert"], via_channel="api")
    assert rules.evaluate(tagged).category == "monitoring"
    by_source = make_ticket("Datadog [P1] Triggered", "Replication lag 845s", via_channel="api", role="agent")
    decision = rules.evaluate(by_source)
    assert decision.category == "monitoring" and "critical_monitoring" in decision.tags, decision.explain()
    for quiet in (
        make_ticket("[RESOLVED] HighErrorRate", "severity = critical", tags=["monitoring_alert"], via_channel="api"),
        make_ticket("Disk 80%", "severity = warning", tags=["monitoring_alert", "severity_warning"]),
        make_ticket("Grafana: [OK] latency", "Severity: critical", via_channel="api", role="agent"),
        make_ticket("[FIRING:1] Datadog checkout errors (staging)", "env: staging severity: critical",
                    via_channel="api", role="agent"),
        make_ticket("Datadog P1 Triggered", "lag", via_channel="email", role="end-user"),  # not our own monitoring
    ):
        assert not rules.evaluate(quiet).critical, rules.evaluate(quiet).explain()


def test_staff_reports(rules: RuleSet) -> None:
    staff = make_ticket("P1 - Acme invoices failing", "raising as P1", role="agent", email="x@example-internal.com")
    decision = rules.evaluate(staff)
    assert decision.category == "staff_report" and "critical_staff_report" in decision.tags, decision.explain()
    by_domain = make_ticket("critical", "customer escalation", role="end-user", email="ceo@example-internal.com")
    assert rules.evaluate(by_domain).category == "staff_report"
    tagged = make_ticket("escalation", "big customer unhappy", tags=["critical"], role="admin")
    assert rules.evaluate(tagged).category == "staff_report"
    chat = make_ticket("pasted from #incident", "[09:14] anna: #incident orders not syncing for all EU customers",
                       role="agent")
    assert rules.evaluate(chat).category == "staff_report"
    says_critical = make_ticket("critical", "this is critical for us", role="end-user", email="a@customer.example")
    assert not rules.evaluate(says_critical).critical
    several = make_ticket("route jobs", "Three customers have contacted us in the last hour: their route jobs are "
                          "stuck in the queue.", role="agent")
    assert rules.evaluate(several).critical, rules.evaluate(several).explain()
    not_critical = make_ticket("macros", "Not critical, any time this week.", role="agent")
    assert not rules.evaluate(not_critical).critical


def test_a_security_report_from_staff_stays_security(rules: RuleSet) -> None:
    decision = rules.evaluate(make_ticket("leak", "Customer API tokens were pushed to a public GitHub repo.",
                                          role="agent"))
    assert decision.category == "security", decision.explain()


def test_the_possible_tier_puts_the_middle_to_a_person(rules: RuleSet) -> None:
    # The signals alone (the text model off: it would move this ticket's score, which is the
    # point of it, but not how the tier works), with the bar for critical just above this
    # ticket's 4 (an admin's `thresholds`), so the middle is a band of its own.
    rules = load_default_ruleset(text_model={"weight": 0}, thresholds={"critical": 4.5, "possible": 2.5})
    decision = customer(rules, "orders", "Orders are not coming through to the warehouse and the order screen keeps "
                        "timing out.")
    assert not decision.critical and decision.possible and decision.tier == "possible", decision.explain()
    assert decision.category == "outage"
    assert "a person should decide" in decision.note
    assert "POSSIBLY critical" in decision.explain()
    assert rules.scorer.possible <= decision.score < rules.scorer.critical


@pytest.mark.parametrize(
    ("subject", "description", "comment"),
    [
        ("Small bug - not urgent", "The platform is down for the sandbox only? not urgent.", None),
        ("Re: site down", "Our site is down.", "Resolved now, thanks."),
        ("Re: site down", "Our site is down.", "Never mind, it's working again!"),
        ("Outage?", "Earlier I said nobody could log in - false alarm, our VPN.", None),
        ("Maintenance", "Will the platform be down during the planned maintenance on Sunday?", None),
        ("Security questionnaire", "Please describe how you handle a data breach.", None),
        ("Pen test", "We'd like to schedule a penetration test next month, what dates should we avoid?", None),
        ("Password", "One user forgot his password and can't log in. Everyone else is fine.", None),
        ("How to", "How do I export all users? The export fails after 1000 rows.", None),
        ("SLA breach question", "What counts as an SLA breach in the report?", None),
        ("Hackathon", "We are running a hackathon, 200 hackers expected.", None),
        ("Down payment", "The down payment is missing from the invoice.", None),
        ("Car", "Sorry for the delay, I crashed my car last week.", None),
        ("Traffic", "Website traffic is down 30% this week, is tracking broken?", None),
        ("drop-down", "The carrier drop-down is missing DHL Express, can you add it?", None),
        ("RCA", "Please send the RCA for last Tuesday's outage, all our orders were stuck then.", None),
        ("Duplicata", "Pourriez-vous m'envoyer un duplicata de la facture, c'est urgent ?", None),
        ("Offline mode", "Can 40 drivers keep scanning in offline mode during Sunday's maintenance?", None),
        ("Export", "Our export failed twice yesterday, the third try worked. Vous pouvez clôturer le ticket.", None),
    ],
)
def test_negatives(rules: RuleSet, subject: str, description: str, comment: str | None) -> None:
    decision = customer(rules, subject, description, comment)
    assert not decision.critical, decision.explain()


def test_a_false_alarm_explains_itself(rules: RuleSet) -> None:
    decision = rules.evaluate(make_ticket("Re: site down", "Our site is down.", "False alarm, sorry!"))
    assert not decision.critical
    explained = decision.explain()
    assert "the service itself is down" in explained
    assert 'it is resolved or a false alarm (−5.5): "false alarm"' in explained


# --- understatement and question-shaped reports (issue 12, second round) -----------------------


@pytest.mark.parametrize(
    ("subject", "description"),
    [
        ("Small question about the pick screens",
         "Since 6am none of the handhelds load the pick list. The night shift went home early and "
         "the morning trucks leave at 10, so nothing is picked. Is there a setting we missed?"),
        ("Pregunta sobre las etiquetas",
         "Desde las 8 no se imprime ninguna etiqueta en el almacén de Zaragoza, los camiones esperando "
         "en el muelle y los pedidos se acumulan."),
    ],
)
def test_a_stopped_operation_called_a_question_is_still_flagged(rules: RuleSet, subject: str,
                                                                 description: str) -> None:
    decision = customer(rules, subject, description)
    assert decision.critical and decision.category == "outage", decision.explain()


def test_the_word_question_weighs_less_than_a_how_to(rules: RuleSet) -> None:
    called = customer(rules, "Quick question", "Our manifests are rejected for every DPD parcel since this morning.")
    how_to = customer(rules, "How do I fix this?", "Our manifests are rejected for every DPD parcel since this "
                      "morning.")
    assert called.score > how_to.score, (called.explain(), how_to.explain())


def test_is_that_normal_does_not_excuse_another_companys_data(rules: RuleSet) -> None:
    decision = customer(rules, "odd thing", "When I open the invoices page I see invoices of another company "
                        "with their customers' names and addresses. Is that normal?")
    assert decision.critical and decision.category == "security", decision.explain()


def test_bank_details_changed_without_the_customer_counts_towards_fraud(rules: RuleSet) -> None:
    fraud = customer(rules, "payments", "The IBANs of 12 of our carriers were changed overnight by a user "
                     "nobody here knows, and this morning's payment run went to those accounts.")
    chore = customer(rules, "new bank details", "Please update our bank account on your invoices, we changed "
                     "banks last month. New IBAN attached.")
    assert fraud.critical and fraud.category == "security", fraud.explain()
    assert not chore.critical and not chore.possible, chore.explain()
    assert "where money is paid to was changed" in fraud.explain()


def test_for_your_information_does_not_excuse_work_held_up(rules: RuleSet) -> None:
    held_up = customer(rules, "FYI", "Just FYI: since 9 none of our three warehouses can confirm shipments, the "
                       "confirm button gives an error 500, pallets are piling up and two carriers left empty.")
    told = customer(rules, "FYI", "Just FYI: the label printer in Leeds had a paper jam this morning, sorted now.")
    assert held_up.critical, held_up.explain()
    assert not told.critical and not told.possible, told.explain()


def test_no_orders_arriving_with_people_waiting_is_held_up(rules: RuleSet) -> None:
    decision = customer(rules, "webshop", "We have had no orders from the webshop since 5 this morning, normally a "
                        "few hundred by now. The pickers are standing around waiting and the carrier comes at 2.")
    assert decision.critical, decision.explain()
    assert "held up" in decision.explain()


def test_an_alert_mailed_by_the_monitoring_tool_itself_is_our_alert(rules: RuleSet) -> None:
    """Datadog or CloudWatch mailing Zendesk arrive as end-user requesters: their address names the tool."""
    firing = make_ticket("[Triggered] [P1] Carrier booking failures GLS (prod)",
                         "Monitor: carrier.booking.errors{env:prod} above 40% for 10m\nSeverity: critical\n"
                         "Datadog monitor 4411", role="end-user", email="alerts@datadog.ops.example")
    decision = rules.evaluate(firing)
    assert decision.critical and decision.category == "monitoring", decision.explain()
    recovered = make_ticket('OK: "prod-api-5xx" in EU (Ireland)',
                            'Your Amazon CloudWatch Alarm "prod-api-5xx" has entered the OK state. Threshold '
                            "Crossed: 1 datapoint [3.0] was not greater than the threshold (50.0). Alarm severity "
                            "critical, production.", role="end-user", email="no-reply@sns.alerts.example")
    assert not rules.evaluate(recovered).critical, rules.evaluate(recovered).explain()
    watchdog = make_ticket("[FIRING:1] Watchdog (monitoring/k8s none)",
                           "alertname = Watchdog\nseverity = none\nThis alert is always firing.\n"
                           "View in Alertmanager: https://alertmanager.prod.example/#/alerts?receiver=helpdesk-critical",
                           role="end-user", email="alertmanager@alerts.ops.example")
    assert not rules.evaluate(watchdog).critical, rules.evaluate(watchdog).explain()


def test_a_security_question_asking_us_to_confirm_is_not_a_how_to(rules: RuleSet) -> None:
    decision = customer(rules, "Admin user on our account?",
                        "Can you confirm whether someone from your support created the admin user "
                        "'it-support2' on our account? Nobody here created it, and last night it created a new "
                        "API key and exported our customer list.")
    assert decision.critical and decision.category == "security", decision.explain()


def test_a_staff_heads_up_is_not_a_harmless_security_scare(rules: RuleSet) -> None:
    decision = rules.evaluate(make_ticket(
        "Estafeta bookings failing for several customers",
        "Heads-up from the phone queue: 4 customers in the last 30 min all report Estafeta bookings failing with "
        "401 Unauthorized - invalid credentials.",
        role="agent"))
    assert decision.critical and decision.category == "staff_report", decision.explain()


@pytest.mark.parametrize(
    ("subject", "description"),
    [
        ("leaver", "Tom left the company in May and we deactivated his user. The audit log shows his user still "
                   "logging in and exporting our customer list last night. Is it possible that someone has his "
                   "password? How can this be?"),
        ("exportaciones", "Jorge dejó la empresa y desactivamos su usuario. Hoy vemos que ese usuario sigue generando "
                          "exportaciones de clientes. ¿Cómo es posible?"),
        # "att"/"at" is both "to" and "that": "is it possible that someone..." is not a how-to
        ("Vem laddade ner?", "Aktivitetsloggen visar att användaren \"jonna.temp\", som vi inte känner igen, "
                             "har laddat ner kundlistan med alla 3 800 kunders telefonnummer 41 gånger i söndags. Är "
                             "det möjligt att någon har hennes lösenord?"),
        ("Administrator?", "Loggen viser at brugeren \"m.jensen\", som vi ikke kender, har oprettet en ny API-nøgle "
                           "i nat og er blevet administrator. Er det muligt at en almindelig bruger kan give sig "
                           "selv admin?"),
        ("Export", "Im Audit-Log steht ein Export unserer Kundenliste durch einen ehemaligen Mitarbeiter, dessen "
                   "Zugang noch aktiv ist. Ist es möglich, dass jemand sein Passwort noch hat?"),
    ],
)
def test_how_is_this_possible_is_disbelief_not_a_how_to(rules: RuleSet, subject: str, description: str) -> None:
    decision = customer(rules, subject, description)
    explained = decision.explain()
    assert "asks how" not in explained, explained
    assert decision.critical or decision.possible, explained


def test_is_it_possible_to_is_still_a_how_to(rules: RuleSet) -> None:
    decision = customer(rules, "users", "Hello, is it possible to give a second warehouse user the right to "
                        "release pick lists? Thanks.")
    assert "asks how or where to do something" in decision.explain(), decision.explain()
    assert not decision.critical and not decision.possible, decision.explain()


@pytest.mark.parametrize(
    ("subject", "description"),
    [
        ("Clave API", "Un usuario que no conocemos creó anoche una clave API nueva y descargó todos los informes de "
                      "facturación de los últimos 12 meses."),
        ("Okänd användare", "En användare som vi inte känner igen har skapat en ny API-nyckel i natt och laddat ner "
                            "kundregistret med alla kunders telefonnummer och mejladresser."),
        ("API-Schlüssel", "Ein Benutzer, den wir nicht kennen, hat heute Nacht einen neuen API-Schlüssel angelegt und "
                          "alle Rechnungen der letzten 12 Monate exportiert."),
    ],
)
def test_a_user_is_not_one_user(rules: RuleSet, subject: str, description: str) -> None:
    """Where "a" and "one" are the same word (un, en, ein), "a user we do not know" is not one person's problem."""
    decision = customer(rules, subject, description)
    assert "one person's problem" not in decision.explain(), decision.explain()
    assert decision.tier != "none" and decision.category == "security", decision.explain()


def test_only_one_user_is_still_one_user(rules: RuleSet) -> None:
    decision = customer(rules, "login", "Solo un usuario no puede iniciar sesión desde ayer, los demás entran bien.")
    assert "one person's problem" in decision.explain(), decision.explain()
