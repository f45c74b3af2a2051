"""The incident room's HTML: the overview and the incident page, rendered on the server.

Pure functions of the views :mod:`middleware.web.incident_room` builds (no Redis, no clock): the
page is complete without JavaScript (times in UTC, the SLA as of the page load) and needs
nothing from outside (no CDN, no web font, the chart is inline SVG), so it works offline and on
a locked-down network. A few lines of inline script only make it nicer: times in the viewer's
own time zone (the UTC value stays on hover), the SLA countdown ticking each second, and the
filters applying on change.

Every value from a ticket or the config is escaped; layout is CSS only, and below 720 px the
tables become one card per incident so nothing is cut off on a phone.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from jobs.alerts.messages import format_duration
from middleware.web.timeline_view import EVENT_LABELS
from rules.model import parse_time

__all__ = ["incident_page", "overview_page"]

TONES = {"pending": "info", "at_risk": "warn", "breached": "bad", "met": "ok", "cancelled": "muted"}
STATE_WORDS = {"pending": "pending", "at_risk": "at risk", "breached": "breached", "met": "met",
               "cancelled": "cancelled"}
STATUS_TONES = {"open": "bad", "resolved": "ok", "overridden": "muted"}

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--card:#fff;--ok:#1a7f37;--ok-bg:#dafbe1;
--warn:#9a6700;--warn-bg:#fff8c5;--bad:#cf222e;--bad-bg:#ffebe9;--info:#0969da;--info-bg:#ddf4ff;--muted-bg:#eff2f5}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0}
a{color:var(--info)}
header.top{background:#24292f;color:#fff;padding:.7rem 1.25rem;display:flex;flex-wrap:wrap;gap:.3rem 1rem;
align-items:baseline}
header.top h1{font-size:1.15rem;margin:0}header.top a{color:#fff;text-decoration:none}
header.top .meta{color:#c9d1d9;font-size:.85rem}
main{max-width:1280px;margin:0 auto;padding:1rem 1.25rem 3rem}
h2{font-size:1.05rem;margin:1.6rem 0 .6rem}
.banner{border-radius:8px;padding:.7rem 1rem;margin:.8rem 0;border:1px solid}
.banner.warn{background:var(--warn-bg);border-color:#d4a72c;color:#4d2d00}
.banner.bad{background:var(--bad-bg);border-color:#ff8182;color:#82071e}
.banner b{display:block}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(300px,1fr))}
.band h3{font-size:.95rem;margin:0 0 .5rem}
.card h3{font-size:.95rem;margin:0 0 .5rem}
table.figures{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
table.figures th,table.figures td{padding:.3rem .4rem;border-bottom:1px solid var(--line);text-align:right;
white-space:nowrap}
table.figures th[scope=row]{text-align:left;font-weight:400;color:var(--muted);white-space:normal}
table.figures thead th{font-size:.8rem;color:var(--muted)}
table.figures tr:last-child th,table.figures tr:last-child td{border-bottom:0}
table.figures td[colspan]{white-space:normal}
table.figures .small{display:block}
b.bad{color:var(--bad)}b.ok{color:var(--ok)}
.note{color:var(--muted);font-size:.85rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.8rem 0}
form.filters label{font-size:.8rem;color:var(--muted);display:flex;flex-direction:column;gap:.15rem}
form.filters select{font:inherit;padding:.3rem .4rem;border:1px solid var(--line);border-radius:6px;background:#fff;
max-width:16rem}
form.filters button{font:inherit;padding:.35rem .9rem;border-radius:6px;border:1px solid var(--line);background:#fff}
table.list{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:8px}
table.list th{text-align:left;font-size:.78rem;color:var(--muted);font-weight:600;padding:.5rem .6rem;
border-bottom:1px solid var(--line);white-space:nowrap}
table.list td{padding:.55rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
table.list tr:last-child td{border-bottom:0}
table.list tr.alert-failed td:first-child{box-shadow:inset 4px 0 0 var(--bad)}
.subj{display:block;color:var(--muted);font-size:.88rem;max-width:28rem;overflow-wrap:anywhere}
.badge{display:inline-block;border-radius:999px;padding:.05rem .55rem;font-size:.8rem;font-weight:600;
white-space:nowrap}
.badge.ok{background:var(--ok-bg);color:var(--ok)}.badge.warn{background:var(--warn-bg);color:var(--warn)}
.badge.bad{background:var(--bad-bg);color:var(--bad)}.badge.info{background:var(--info-bg);color:var(--info)}
.badge.muted{background:var(--muted-bg);color:var(--muted)}
.countdown{font-variant-numeric:tabular-nums;white-space:nowrap}
.late{color:var(--bad);font-weight:600}
.small{font-size:.85rem;color:var(--muted)}
.empty{padding:1rem;color:var(--muted);background:var(--card);border:1px dashed var(--line);border-radius:8px}
svg.chart{width:100%;max-width:520px;height:auto;display:block;margin:0 auto}
dl.facts{display:grid;grid-template-columns:minmax(9rem,max-content) 1fr;gap:.35rem 1rem;margin:0}
dl.facts dt{color:var(--muted);font-size:.88rem}dl.facts dd{margin:0;overflow-wrap:anywhere}
h1.incident{font-size:1.35rem;margin:.6rem 0 .3rem;overflow-wrap:anywhere}
ol.timeline{list-style:none;margin:0;padding:0;border-left:2px solid var(--line);margin-left:.45rem}
ol.timeline li{position:relative;padding:.1rem 0 .9rem 1.1rem}
ol.timeline li::before{content:"";position:absolute;left:-.48rem;top:.45rem;width:.8rem;height:.8rem;border-radius:50%;
background:var(--info);border:2px solid var(--card)}
ol.timeline li.ok::before{background:var(--ok)}ol.timeline li.warn::before{background:#d4a72c}
ol.timeline li.bad::before{background:var(--bad)}
ol.timeline li.bad .what{color:var(--bad);font-weight:600}
ol.timeline .when{font-size:.8rem;color:var(--muted);display:block}
ol.timeline .what{overflow-wrap:anywhere}
ol.timeline .more{font-size:.8rem;color:var(--muted);overflow-wrap:anywhere}
table.plain{width:100%;border-collapse:collapse}
table.plain td,table.plain th{text-align:left;padding:.35rem .4rem;border-bottom:1px solid var(--line);
vertical-align:top;overflow-wrap:anywhere}
table.plain th{font-size:.78rem;color:var(--muted)}
tr.failed td{background:var(--bad-bg)}
@media (max-width:720px){
main{padding:.6rem .6rem 2rem}
table.list,table.list tbody,table.list tr,table.list td{display:block;width:100%}
table.list thead{display:none}
table.list{border:0;background:none}
table.list tr{background:var(--card);border:1px solid var(--line);border-radius:8px;margin-bottom:.7rem;padding:.3rem 0}
table.list td{border:0;padding:.2rem .7rem;display:flex;gap:.6rem}
table.list td::before{content:attr(data-label);flex:0 0 6.8rem;color:var(--muted);font-size:.8rem;padding-top:.1rem}
table.list td>div{min-width:0;flex:1}
table.list tr.alert-failed{border-left:5px solid var(--bad)}
table.list tr.alert-failed td:first-child{box-shadow:none}
dl.facts{grid-template-columns:6.8rem 1fr;gap:.45rem .6rem}
table.plain thead{display:none}
table.plain tr{display:block;border-bottom:1px solid var(--line);padding:.3rem 0}
table.plain td{display:inline-block;border:0;padding:.05rem .5rem .05rem .2rem}
table.plain td:first-child{display:block;font-size:.8rem;color:var(--muted)}
.room{display:flex;flex-direction:column}
.room>#open-section{order:1}.room>.summary{order:2}.room>#resolved-section{order:3}.room>.tail{order:4}
table.figures td,table.figures th{padding:.3rem .25rem}
}
"""

SCRIPT = """
(function(){
  var offset = Date.parse(document.body.dataset.now) - Date.now();
  if (isNaN(offset)) offset = 0;
  var fmt = {weekday:'short', day:'numeric', month:'short', hour:'2-digit', minute:'2-digit'};
  var precise = Object.assign({second:'2-digit'}, fmt);
  document.querySelectorAll('time[datetime]').forEach(function(t){
    var d = new Date(t.getAttribute('datetime'));
    if (isNaN(d)) return;
    t.textContent = d.toLocaleString(undefined, t.classList.contains('precise') ? precise : fmt);
  });
  var zone = document.getElementById('tz');
  if (zone) { try { zone.textContent = 'your time (' + Intl.DateTimeFormat().resolvedOptions().timeZone +
    '); hover a time for UTC'; } catch (e) {} }
  function span(ms){
    var s = Math.floor(Math.abs(ms) / 1000), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    s = s % 60;
    if (h >= 24) return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
    if (h) return h + 'h ' + (m < 10 ? '0' : '') + m + 'm';
    return m + 'm ' + (s < 10 ? '0' : '') + s + 's';
  }
  function tick(){
    var now = Date.now() + offset;
    document.querySelectorAll('.countdown[data-due]').forEach(function(c){
      var left = Date.parse(c.dataset.due) - now;
      c.textContent = left >= 0 ? span(left) + ' left' : span(left) + ' late';
      c.classList.toggle('late', left < 0);
    });
    document.querySelectorAll('.age[data-since]').forEach(function(c){
      c.textContent = span(now - Date.parse(c.dataset.since));
    });
  }
  tick(); setInterval(tick, 1000);
  document.querySelectorAll('form.filters select').forEach(function(s){
    s.addEventListener('change', function(){ s.form.submit(); });
  });
})();
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def when(iso: str | None, *, empty: str = "–", precise: bool = False) -> str:
    """A ``<time>`` showing UTC (the script turns it into the viewer's local time; UTC on hover);
    ``precise`` keeps the seconds (timeline entries a few seconds apart)."""
    moment = parse_time(iso) if iso else None
    if moment is None:
        return esc(empty)
    utc = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    shown = moment.strftime("%Y-%m-%d %H:%M:%S UTC" if precise else "%Y-%m-%d %H:%M UTC")
    cls = ' class="precise"' if precise else ""
    return f'<time datetime="{esc(iso)}" title="{esc(utc)}"{cls}>{esc(shown)}</time>'


def duration(seconds: int | float | None, empty: str = "–") -> str:
    return esc(format_duration(timedelta(seconds=seconds))) if seconds is not None else esc(empty)


def badge(text: str, tone: str) -> str:
    return f'<span class="badge {esc(tone)}">{esc(text)}</span>'


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def page(title: str, now_iso: str, body: str, refresh: int = 60) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="{refresh}">
<title>{esc(title)}</title><style>{CSS}</style></head>
<body data-now="{esc(now_iso)}">
<header class="top"><h1><a href="/dashboard">Critical incidents</a></h1>
<span class="meta">as of {when(now_iso)} · <span id="tz">times in UTC</span> · refreshes every {refresh} s</span>
</header>
<main>{body}</main>
<script>{SCRIPT}</script></body></html>"""


# -- pieces shared by both pages -----------------------------------------------------------------
def banners(setup: dict[str, Any], failed: list[dict[str, Any]]) -> str:
    """Alert delivery: nowhere to send (log only), or deliveries that failed."""
    out = []
    if setup.get("logged_only"):
        field = setup.get("engagement_director_field")
        extra = (f" (Engagement Directors still hear where an organisation's <code>{esc(field)}</code> field "
                 "names a contact.)" if field else "")
        out.append('<div class="banner warn" role="alert" id="banner-log-only"><b>No alert destination is '
                   'configured: alerts are logged only.</b>Nobody is told about new incidents, SLA risks or breaches '
                   'except here and in the log. Set the alert URLs (<code>ALERT_HEAD_OF_SUPPORT_URLS</code>, …; '
                   f'docs/alerts.md) and restart.{extra}</div>')
    elif setup.get("roles_without_destination"):
        roles = ", ".join(r.replace("_", " ") for r in setup["roles_without_destination"])
        out.append(f'<div class="banner warn" id="banner-partial"><b>Some roles have no alert destination: '
                   f'{esc(roles)}.</b>Their alerts are logged only.</div>')
    if failed:
        items = ", ".join(f'<a href="/dashboard/incidents/{v["id"]}">#{v["ticket_id"]}</a> '
                          f'({v["alerts"]["failed"]} failed)' for v in failed)
        out.append(f'<div class="banner bad" role="alert" id="banner-failed"><b>Alert delivery failed.</b>'
                   f'Some people were not reached for: {items}. The failed jobs are kept in RQ\'s failed '
                   f'registry (<code>rq requeue</code>).</div>')
    return "\n".join(out)


def sla_cell(view: dict[str, Any]) -> str:
    """SLA state, with a live countdown while the clock runs, or how it ended."""
    sla = view.get("sla")
    if not sla:
        return badge("no SLA clock", "muted")
    state = sla["state"]
    out = badge(STATE_WORDS.get(state, state), TONES.get(state, "muted"))
    left = sla.get("seconds_left")
    if sla.get("running") and state in ("pending", "at_risk", "breached") and left is not None:
        words = f"{format_duration(timedelta(seconds=abs(left)))} {'left' if left >= 0 else 'late'}"
        cls = "countdown late" if left < 0 else "countdown"
        out += f' <span class="{cls}" data-due="{esc(sla["due_at"])}">{esc(words)}</span>'
    elif sla.get("responded_at") and sla.get("due_at"):
        late = (parse_time(sla["responded_at"]) - parse_time(sla["due_at"])).total_seconds()  # type: ignore[operator]
        out += (f' <span class="small">{duration(late)} late</span>' if late > 0
                else ' <span class="small">in time</span>')
    return out


def first_response_cell(view: dict[str, Any]) -> str:
    first = view.get("first_response")
    if not first:
        return '<span class="small">no public reply yet</span>' if view["status"] == "open" else "–"
    by = esc(first.get("by") or "someone")
    return f'{by}<span class="subj">after {duration(first.get("seconds"))}</span>'


def alerts_cell(view: dict[str, Any]) -> str:
    a = view["alerts"]
    parts = []
    if a["failed"]:
        parts.append(badge(f"{a['failed']} failed", "bad"))
    if a["delivered"]:
        parts.append(badge(f"{a['delivered']} delivered", "ok"))
    if a["logged_only"]:
        parts.append(badge("logged only", "warn"))
    return " ".join(parts) or '<span class="small">none</span>'


def _labelled(label: str, content: str) -> str:
    return f'<td data-label="{esc(label)}"><div>{content}</div></td>'


def incident_row(view: dict[str, Any]) -> str:
    href = f"/dashboard/incidents/{view['id']}"
    status = view["status"]
    if status == "open":
        age = f'<span class="age" data-since="{esc(view["first_report_at"])}">{duration(view["age_seconds"])}</span>'
    else:
        took = view["time_to_resolve_seconds"]
        age = (badge(status, STATUS_TONES.get(status, "muted"))
               + (f'<span class="subj">after {duration(took)}</span>' if took is not None else ""))
    assignee = view.get("assignee")
    who = (esc(assignee.get("name") or f"agent {assignee['id']}") if assignee
           else '<span class="small">unassigned</span>')
    classes = ["incident"] + (["alert-failed"] if view["alerts"]["failed"] else [])
    return (
        f'<tr class="{" ".join(classes)}" data-incident="{view["id"]}">'
        + _labelled("Incident", f'<a href="{href}"><b>#{view["ticket_id"]}</b></a>'
                                f'<span class="subj">{esc(view["subject"] or "(no subject)")}</span>')
        + _labelled("Customer", esc(view.get("organization") or "–"))
        + _labelled("Category", esc(view.get("category") or "uncategorised"))
        + _labelled("Age" if status == "open" else "Status", age)
        + _labelled("SLA", sla_cell(view))
        + _labelled("Assignee", who)
        + _labelled("First response", first_response_cell(view))
        + _labelled("Alerts", alerts_cell(view))
        + "</tr>"
    )


def incident_table(views: list[dict[str, Any]], empty: str, table_id: str) -> str:
    if not views:
        return f'<p class="empty" id="{esc(table_id)}">{esc(empty)}</p>'
    head = "".join(f"<th>{h}</th>" for h in ("Incident", "Customer", "Category", "Age / status", "First-response SLA",
                                             "Assignee", "First response", "Alerts"))
    rows = "\n".join(incident_row(v) for v in views)
    return f'<table class="list" id="{esc(table_id)}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


# -- the overview ---------------------------------------------------------------------------------
def summary_band(summary: dict[str, Any]) -> str:
    """The period figures as one compact table (7 and 30 days side by side), the actions, the chart."""
    p7, p30 = summary["periods"]["7d"], summary["periods"]["30d"]

    def attainment(p: dict[str, Any]) -> str:
        decided = p["sla_met"] + p["sla_breached"]
        if p["sla_attainment"] is None:
            return '<span class="small">none decided</span>'
        tone = "ok" if p["sla_attainment"] == 1 else "bad"
        return (f'<b class="{tone}">{percent(p["sla_attainment"])}</b> '
                f'<span class="small">{p["sla_met"]} of {decided}</span>')

    def count(value: int) -> str:
        return f'<b class="bad">{value}</b>' if value else "0"

    rows = [
        ("Incidents", str(p7["incidents"]), str(p30["incidents"])),
        ("First-response SLA attainment", attainment(p7), attainment(p30)),
        ("Time to first response, median", duration(p7["first_response_median_seconds"]),
         duration(p30["first_response_median_seconds"])),
        ("Time to first response, 90th percentile", duration(p7["first_response_p90_seconds"]),
         duration(p30["first_response_p90_seconds"])),
        ("Time to resolve, median", duration(p7["resolve_median_seconds"]), duration(p30["resolve_median_seconds"])),
        ("SLA breaches", count(p7["sla_breached"]), count(p30["sla_breached"])),
        ("Alert deliveries failed", count(p7["alert_deliveries_failed"]), count(p30["alert_deliveries_failed"])),
    ]
    body = "".join(f"<tr><th scope=row>{esc(k)}</th><td>{a}</td><td>{b}</td></tr>" for k, a, b in rows)
    overdue, open_ = summary.get("actions_overdue"), summary.get("actions_open")
    if overdue is None:
        actions = '<span class="small">not known yet (the review reminders record them from Zendesk)</span>'
    else:
        actions = (f'{count(overdue)} <span class="small">of {open_} open · as of '
                   f'{when(summary.get("tasks_as_of"))}</span>')
    body += f'<tr id="actions-overdue"><th scope=row>Review actions overdue (now)</th><td colspan=2>{actions}</td></tr>'
    figures = (f'<section class="card" id="summary"><table class="figures"><thead><tr><th></th><th>7 days</th>'
               f'<th>30 days</th></tr></thead><tbody>{body}</tbody></table></section>')
    weekly = (f'<section class="card" id="weekly"><h3>Incidents and SLA attainment per week</h3>'
              f'{chart(summary["weeks"])}</section>')
    return f'<div class="grid summary">{figures}{weekly}</div>'


def chart(weeks: list[dict[str, Any]]) -> str:
    """Bars: incidents declared per week; line: SLA attainment (right axis, %). Inline SVG."""
    w, h, left, right, top, bottom = 480, 200, 30, 40, 14, 36
    plot_w, plot_h = w - left - right, h - top - bottom
    peak = max([wk["incidents"] for wk in weeks] + [1])
    step = plot_w / max(len(weeks), 1)
    bar = step * 0.55
    parts = [f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title">',
             '<title id="chart-title">Incidents declared and SLA attainment per week, last '
             f'{len(weeks)} weeks</title>']
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d1d9e0"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="#59636e">'
                     f'{round(peak * frac)}</text>')
        parts.append(f'<text x="{w - right + 6}" y="{y + 4:.1f}" font-size="12" fill="#1a7f37">{int(frac * 100)}%'
                     '</text>')
    points = []
    for i, wk in enumerate(weeks):
        x = left + step * i + (step - bar) / 2
        bh = plot_h * wk["incidents"] / peak
        y = top + plot_h - bh
        start = parse_time(wk["start"])
        label = start.strftime("%d %b") if start else ""
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{bh:.1f}" rx="2" fill="#8c959f">'
                     f'<title>week from {esc(label)}: {wk["incidents"]} incident(s), attainment '
                     f'{percent(wk["attainment"])}</title></rect>')
        if wk["incidents"]:  # the count inside a tall bar (clear of the attainment line), else above it
            inside = bh >= 18
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{(y + 14) if inside else (y - 4):.1f}" font-size="12" '
                         f'text-anchor="middle" fill="{"#fff" if inside else "#1f2328"}">{wk["incidents"]}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{h - bottom + 16}" font-size="12" text-anchor="middle" '
                     f'fill="#59636e">{esc(label)}</text>')
        if wk["attainment"] is not None:
            points.append((x + bar / 2, top + plot_h * (1 - wk["attainment"])))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1a7f37" stroke-width="2"/>')
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#1a7f37"/>' for x, y in points]
    parts.append(f'<text x="{left}" y="{h - 4}" font-size="12" fill="#59636e">■ incidents per week'
                 '</text><text x="200" y="' + str(h - 4) + '" font-size="12" fill="#1a7f37">● SLA attainment</text>')
    parts.append("</svg>")
    return "".join(parts)


def _select(name: str, label: str, options: Iterable[tuple[str, str]], chosen: str) -> str:
    opts = "".join(f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(t)}</option>'
                   for v, t in options)
    return f'<label>{esc(label)}<select name="{esc(name)}">{opts}</select></label>'


def filters_form(chosen: dict[str, str], categories: list[str], customers: list[str]) -> str:
    return ('<form class="filters" method="get" action="/dashboard">'
            + _select("status", "Status", [("all", "open, then recently resolved"), ("open", "open"),
                                           ("resolved", "resolved (30 days)")], chosen["status"])
            + _select("category", "Category", [("", "all categories"), *((c, c) for c in categories)],
                      chosen["category"])
            + _select("customer", "Customer", [("", "all customers"), *((c, c) for c in customers)],
                      chosen["customer"])
            + '<button type="submit">Filter</button>'
            + (' <a class="small" href="/dashboard">clear filters</a>' if any(
                chosen[k] for k in ("category", "customer")) or chosen["status"] != "all" else "")
            + "</form>")


def overview_page(data: dict[str, Any]) -> str:
    """``/dashboard``: banners, filters, the period figures, open incidents, then resolved ones."""
    chosen = data["filters"]
    failed = [v for v in data["open"] + data["resolved"] if v["alerts"]["failed"]]
    body = [banners(data["alert_setup"], failed), filters_form(chosen, data["categories"], data["customers"])]
    room = [summary_band(data["summary"])]  # on a phone, below the open incidents (CSS order)
    if chosen["status"] in ("all", "open"):
        room.append(f'<section id="open-section"><h2 id="open-heading">Open incidents ({len(data["open"])})</h2>'
                    + incident_table(data["open"], "No open critical incidents.", "open-incidents") + "</section>")
    if chosen["status"] in ("all", "resolved"):
        room.append(f'<section id="resolved-section"><h2>Resolved in the last 30 days ({len(data["resolved"])})</h2>'
                    + incident_table(data["resolved"], "Nothing resolved in the last 30 days.", "resolved-incidents")
                    + "</section>")
    room.append('<p class="note tail">JSON: <code>/api/incidents</code>, <code>/api/incidents/&lt;id&gt;</code> '
                '(<code>Authorization: Bearer $ADMIN_TOKEN</code>).</p>')
    body.append(f'<div class="room">{"".join(room)}</div>')
    return page("Critical incidents", data["as_of"], "\n".join(body))


# -- one incident -------------------------------------------------------------------------------------
def _detail_value(value: Any) -> str:
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            if parse_time(value) is not None:
                return when(value)
        except ValueError:
            pass
    if isinstance(value, list):
        return esc(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return esc(", ".join(f"{k}: {v}" for k, v in value.items()))
    return esc(value)


def timeline_list(entries: list[dict[str, Any]]) -> str:
    if not entries:
        return '<p class="empty">Nothing recorded yet.</p>'
    items = []
    for e in entries:
        more = " · ".join(f"{esc(k.replace('_', ' '))}: {_detail_value(v)}" for k, v in e["details"].items())
        links = " ".join(f'<a href="{esc(url)}" target="_blank" rel="noopener">#{esc(t)} in Zendesk ↗</a>'
                         for t, url in e["links"].items())
        items.append(f'<li class="{esc(e["tone"])}" data-kind="{esc(e["kind"])}"><span class="when">'
                     f'{when(e["at"], precise=True)}'
                     f'</span><span class="what">{esc(e["title"])}</span>'
                     + (f' <span class="small">{links}</span>' if links else "")
                     + (f'<div class="more">{more}</div>' if more else "") + "</li>")
    return '<ol class="timeline" id="timeline">' + "\n".join(items) + "</ol>"


def deliveries_table(entries: list[dict[str, Any]]) -> str:
    """Every alert outcome per destination, failures highlighted."""
    rows = []
    for e in entries:
        if e["kind"] not in ("alert_sent", "alert_failed", "alert_log_only", "alert_retrying"):
            continue
        d = e["data"]
        result = {"alert_sent": badge("delivered", "ok"),
                  "alert_failed": badge(f"failed: {d.get('status', '?')}", "bad"),
                  "alert_log_only": badge("logged only (no destination)", "warn"),
                  "alert_retrying": badge(f"failed, retrying: {d.get('status', '?')}", "warn")}[e["kind"]]
        roles = ", ".join(str(r).replace("_", " ") for r in d.get("roles") or [])
        cls = ' class="failed"' if e["kind"] == "alert_failed" else ""
        event = EVENT_LABELS.get(str(d.get("event", "")), d.get("event", ""))
        rows.append(f"<tr{cls}><td>{when(e['at'], precise=True)}</td><td>{esc(event)}</td><td>{esc(roles)}</td>"
                    f"<td>{esc(d.get('destination', '–'))}</td><td>{result}</td></tr>")
    if not rows:
        return '<p class="small">No delivery recorded yet.</p>'
    return ('<table class="plain" id="deliveries"><thead><tr><th>When</th><th>Alert</th><th>To</th><th>Destination</th>'
            f'<th>Result</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def incident_page(view: dict[str, Any], setup: dict[str, Any]) -> str:
    """``/dashboard/incidents/<id>``: the facts, why, alert deliveries, tasks, the full timeline."""
    status = view["status"]
    sla = view.get("sla") or {}
    assignee = view.get("assignee")
    facts = [
        ("Status", badge(status, STATUS_TONES.get(status, "muted"))),
        ("Customer", esc(view.get("organization") or "–")),
        ("Category", esc(view.get("category") or "uncategorised")),
        ("First report", when(view.get("first_report_at"))),
        ("Declared", when(view.get("declared_at"))),
        ("First-response SLA", sla_cell(view) + (f' <span class="small">due {when(sla.get("due_at"))}</span>'
                                                 if sla.get("due_at") else "")),
        ("First response", first_response_cell(view) + (f' <span class="small">at {when(view["first_response"]["at"])}'
                                                         '</span>' if view.get("first_response") else "")),
        ("Assignee", esc(assignee.get("name") or f"agent {assignee['id']}") if assignee else "unassigned"),
        ("Resolved", when(view.get("resolved_at"), empty="not yet")
         + (f' <span class="small">after {duration(view["time_to_resolve_seconds"])}</span>'
            if view.get("time_to_resolve_seconds") is not None else "")),
        ("In Zendesk", f'<a href="{esc(view["link"])}" target="_blank" rel="noopener">ticket #{view["ticket_id"]}</a>'),
    ]
    if view["linked_tickets"]:
        facts.append(("Linked tickets", " ".join(f'<a href="{esc(t["link"])}" target="_blank" rel="noopener">'
                                                 f'#{t["ticket_id"]}</a>' for t in view["linked_tickets"])))
    review = view.get("review")
    facts.append(("Post-incident review", f'<a href="{esc(review["link"])}" target="_blank" rel="noopener">task '
                                          f'#{review["ticket_id"]}</a> <span class="small">due '
                                          f'{when(review.get("due_at"))}</span>' if review else
                  '<span class="small">opened when the incident is resolved</span>'))
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts)
    reasons = "".join(f"<li>{esc(r)}</li>" for r in view.get("reasons") or [])
    actions = view.get("actions") or []
    if actions:
        rows = "".join(
            f'<tr{" class=failed" if a["overdue"] else ""}><td><a href="{esc(a["link"])}" target="_blank" '
            f'rel="noopener">#{a["ticket_id"]}</a> {esc(a["subject"])}</td><td>{esc(a.get("assignee_name") or a.get("assignee_id") or "–")}'  # noqa: E501
            f'</td><td>{when(a["due_at"])}</td><td>{badge("overdue", "bad") if a["overdue"] else badge(a["status"] or "open", "info")}'  # noqa: E501
            "</td></tr>" for a in actions)
        actions_html = (f'<table class="plain" id="actions-table"><thead><tr><th>Action</th><th>Owner</th><th>Due</th>'
                        f'<th>State</th></tr></thead><tbody>{rows}</tbody></table><p class="small">Open actions as '
                        f'Zendesk had them at {when(view.get("tasks_as_of"))}.</p>')
    else:
        created = [e for e in view["timeline"] if e["kind"] == "action_created"]
        actions_html = ('<p class="small">' + (f"{len(created)} action(s) created, none open at the last check."
                                               if created else "No open action recorded.") + "</p>")
    failed = [view] if view["alerts"]["failed"] else []
    body = f"""<p class="small"><a href="/dashboard">← all incidents</a></p>
{banners(setup, failed)}
<h1 class="incident">#{view["ticket_id"]} {esc(view["subject"] or "(no subject)")}</h1>
<p><a id="send-update" href="/dashboard/incidents/{view.get("id", view["ticket_id"])}/update">Send a status update to
this incident's customers</a></p>
<div class="grid">
<section class="card"><dl class="facts" id="facts">{dl}</dl></section>
<section class="card"><h3 style="margin-top:0">Why it is critical</h3>
<p>Rules: {esc(", ".join(view.get("rules") or []) or "–")}</p><ul id="reasons">{reasons}</ul>
<h3>Review actions</h3>{actions_html}</section>
</div>
<h2>Alert deliveries</h2><section class="card">{deliveries_table(view["timeline"])}</section>
<h2>Timeline</h2><section class="card">{timeline_list(view["timeline"])}</section>"""
    return page(f"#{view['ticket_id']} critical incident", view["as_of"], body)
