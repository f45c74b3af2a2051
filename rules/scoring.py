"""Signals and a score: how concepts combine into "critical", "possible critical" or neither.

A *signal* is a small, named observation an agent can check by reading the ticket: "an object of
the customer's business (labels) near an impact word (blank)", "breadth (every, all depots)",
"a monitoring alert format with a critical severity on production", "the customer says it is
resolved". Each has a weight; a ticket's score is the sum of the weights of the signals it
shows, each counted once. Two thresholds turn the score into a tier: at or above ``critical``
the ticket is flagged, at or above ``possible`` a person is asked. The category is the one the
strongest positive signal votes for (security first on ties), and a staff member's report of
anything but security or a monitoring alert is a ``staff_report``.

Why weights and thresholds instead of a trained model: the weights are few, readable in YAML,
and every decision explains itself as the list of signals with their words and weights, so an
admin can see why a ticket scored 6 and change one number. The evaluation command
(``python -m middleware rules eval``) measures any change on labelled sets.

Signal shape (all keys but ``name`` and ``weight`` optional)::

    - name: workflow-stopped
      says: a business workflow is stopped        # the explanation's wording
      weight: 4                                   # negative for counter-signals
      category: outage                            # the category this signal votes for
      any: [cross_tenant]                         # a term of any listed concept, anywhere
      all: [alert_format, production]             # a term of every listed concept, anywhere
      near: [objects, impact]                     # terms of both concepts within `within` tokens
      within: 6
      requires: [impact]                          # only counts if these concepts occur too
      absent: [question]                          # only counts if none of these occur
      skip_negated: true                          # ignore a term right after no/not/never/kein/pas...
      fields: [subject]                           # only these fields (subject, description, comment)
      requester: staff | customer                 # only for staff / customers' tickets
      via: [api, email]                           # only for tickets that came in this way
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import partial
from operator import attrgetter
from typing import Any

from rules import accel
from rules.category_model import CategoryModel, compile_category_model
from rules.concepts import _FOLDED, Lexicons, tokens, without_characters
from rules.errors import ConditionError
from rules.frozen import builder
from rules.text_model import KNOWN_ENOUGH, MAX_CHARS, TextModel, compile_text_model, counted_model_words

__all__ = ["Score", "Scorer", "Signal", "SignalHit", "TicketView", "compile_scorer"]

SECURITY = "security"
CATEGORY_ORDER: tuple[str, ...] = (SECURITY, "monitoring", "staff_report", "outage")
# Security votes (e.g. another company's data, +9, and its orders, +5.5) from which the category model
# does not move a flagged ticket out of security; left one set out, 0.965 -> 0.967 categories right.
KEEP_SECURITY = 12.0
SIGNAL_KEYS = frozenset(
    {"name", "says", "weight", "category", "any", "all", "near", "within", "requires", "requires_any", "absent",
     "skip_negated", "fields", "requester", "via", "subject_has", "subject_lacks", "ticket_fields"}
)  # fmt: skip
FIELDS = ("subject", "description", "comment")
FIELD_GAP = 64  # token positions between fields, so `near` never pairs words across fields
NEGATION_REACH = 3
_HIT_CACHE = 50_000  # signal hits kept for reuse (see Scorer._hits)
# Words the shared vocabulary keeps (Scorer._share_words): the blind sets' 5,530 tickets hold
# 51,000 distinct words; a word is a 64-byte slot, its concept entry and two models' figures
# (about 300 bytes at most). Emptied when full, a desk's common words come back at once.
_SHARED_WORDS = 100_000
NEGATION_CONCEPT = "negation"
STAFF = "staff"
CUSTOMER = "customer"
_SENDER_SPLIT = re.compile(r"[@.+_-]")  # an address's labels: its local part's words and its domain's
_STAFF_CACHE = 10_000  # requesters' addresses whose answer is kept (see Scorer.is_staff)


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    says: str
    weight: float
    category: str | None
    any_of: tuple[int, ...] = ()
    all_of: tuple[int, ...] = ()
    near: tuple[int, int] | None = None
    within: int = 6
    requires: tuple[int, ...] = ()
    requires_any: tuple[int, ...] = ()
    absent: tuple[int, ...] = ()
    subject_has: tuple[int, ...] = ()  # each of these concepts occurs in the subject
    subject_lacks: tuple[int, ...] = ()  # none of these occurs in the subject
    skip_negated: bool = False
    fields: tuple[str, ...] = FIELDS
    requester: str | None = None
    via: tuple[str, ...] = ()
    # ticket field id -> accepted values (lower case): Zendesk's intelligent triage fields, a form's drop-down
    ticket_fields: tuple[tuple[str, frozenset[str]], ...] = ()
    needed: frozenset[int] = frozenset()  # concepts that must all occur (all, near, requires)

    def gate(self) -> Signal:
        """The same signal with ``needed`` filled in (a C-level subset test skips most signals)."""
        near = self.near or ()
        return replace(self, needed=frozenset((*self.all_of, *near, *self.requires, *self.subject_has)))


_WEIGHT = attrgetter("weight")  # a C-level sum of the hits' weights, in their order
_HEADS: dict[tuple[str, float], str] = {}  # "says (+weight)" by (says, weight), formatted once


@dataclass(frozen=True, slots=True)
class SignalHit:
    """One signal a ticket shows, with the words that showed it (for the note and ``explain``)."""

    name: str
    says: str
    weight: float
    category: str | None
    words: tuple[str, ...]

    def describe(self) -> str:
        head = _HEADS.get((self.says, self.weight))
        if head is None:
            sign = "+" if self.weight >= 0 else "−"
            head = f"{self.says} ({sign}{abs(self.weight):g})"
            if len(_HEADS) < 10_000:  # the signals' own, and rules' with a weight: few
                _HEADS[(self.says, self.weight)] = head
        return head + ': "' + '", "'.join(self.words[:4]) + '"' if self.words else head

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "says": self.says, "weight": self.weight, "category": self.category,
                "words": list(self.words)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignalHit:
        return cls(str(data["name"]), str(data.get("says") or data["name"]), float(data["weight"]),
                   data.get("category"), tuple(data.get("words") or ()))


_new_hit = builder(SignalHit)  # the same SignalHit in half the time (rules/frozen.py): one a decision or more

MODEL_SAYS = "the wording is like that of critical tickets (text model)"
MODEL_SAYS_ROUTINE = "the wording is like that of routine tickets (text model)"
MODEL_SAYS_UNREAD = "the wording is in a language the text model hardly knows"


@dataclass(frozen=True, slots=True)
class ModelSignal:
    """The text model as a signal: its log-odds times ``weight``, scaled by w / (w + ``short``)
    where w is the number of words it knows beyond ``min_words`` (a one-liner's few words, or a
    language it hardly knows, tell the model little, so the concept signals judge it alone;
    ``TextModel.logit_words``), at most ``max_up`` for and ``max_down``
    against, and cited by the words that weighed most. Negative when the wording is like that
    of routine tickets. Why lopsided: on every left-out set most of its value was in taking
    routine tickets down (the shipped caps are +8 and −14, rules/README.md)."""

    model: TextModel
    weight: float
    max_up: float
    max_down: float
    short: float
    min_words: int
    says: str
    says_routine: str
    name: str = "wording"
    # Against a ticket longer than min_words of which the model knows min_words words or fewer (a
    # language it hardly knows): the concept signals were weighed with the model there to take
    # routine wording down, and alone they flagged routine Arabic, Russian and Greek tickets.
    unread: float = 0.0
    says_unread: str = MODEL_SAYS_UNREAD
    # What the C speedups weigh a reading by (rules/_accel.c, model_signal; None: the Python code
    # weighs it), made once here.
    plan: tuple[Any, ...] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "plan", self._plan())

    def _plan(self) -> tuple[Any, ...] | None:
        """``plan``: this signal's numbers, wordings and the model's citable terms, for
        rules/_accel.c's model_signal; None where a number is not a float (min and max would
        keep an int, which the C code makes a float) or the model has more than one output."""
        numbers = (self.weight, self.max_up, self.max_down, self.short, self.unread)
        linear = self.model.linear
        if any(type(n) is not float for n in numbers) or type(self.min_words) is not int or linear.outputs != 1:
            return None
        up, down = self.model.cite_terms
        return (linear.intercepts, self.min_words, *numbers, KNOWN_ENOUGH, self.says, self.says_routine,
                self.says_unread, up, down)

    def hit(self, texts: Mapping[str, str], fields: Sequence[list[str]] | None = None) -> SignalHit | None:
        """The signal for a ticket's ``texts``; ``fields`` are their words as the concept
        matcher folded and split them (``TicketView.words``), which the model reads too."""
        return self.hit_words(*_model_words(texts, fields))

    def hit_words(self, words: list[str], length: int | None = None) -> SignalHit | None:
        """``hit`` of a ticket whose words the model reads (``_model_words``) are known;
        ``length``: how many words the ticket has, Chinese, Japanese and Thai characters included
        (which the model does not read: a Chinese ticket is a language it hardly knows, not a
        one-liner), by default as many as it reads. With the C speedups one call reads and
        weighs (rules/_accel.c, model_signal), where four Python calls did."""
        native = accel.native
        if native is not None and self.plan is not None and type(words) is list:
            weighed = native.model_signal(words, len(words) if length is None else length,
                                          *self.model.linear.table(native), self.plan)
            return None if weighed is None else _new_hit(name=self.name, says=weighed[0], weight=weighed[1],
                                                         category=None, words=weighed[2])
        if (len(words) if length is None else length) <= self.min_words:
            return None  # a one-liner: the concept signals judge it alone
        logit, cited, known = self.model.logit_words(words)
        beyond = max(0, known - self.min_words)  # the words it knows (a language it hardly knows: few)
        if not beyond:
            return _new_hit(name=self.name, says=self.says_unread, weight=-self.unread, category=None,
                            words=()) if self.unread else None
        value = round(max(-self.max_down, min(self.max_up, self.weight * logit * beyond / (beyond + self.short))), 1)
        if not value:
            return None
        return _new_hit(name=self.name, says=self.says if value > 0 else self.says_routine, weight=value,
                        category=None, words=cited)


@dataclass(frozen=True, slots=True)
class CategoryChoice:
    """The category model's say over a flagged ticket's category: where the signals' votes
    chose one of the model's categories (never an admin's own, which the model does not know),
    the ticket has more than ``min_words`` words the model knows (an Arabic security incident
    read as an outage: the model knew none of its words, so it guessed its priors), and the
    model is at least ``min_probability`` sure of another, the model's wins. It shows in the
    explanation as a signal of weight 0 saying so. (Left one set out over the fifteen newest
    sets, a one-liner rule changed nothing, but a short Danish "our password leaked" read as an
    outage: the model knows few Danish words.)"""

    model: CategoryModel
    min_probability: float
    min_words: int  # as the text model's: a one-liner's few words tell it little

    def choose(self, voted: str | None, words: list[str], staff: bool) -> SignalHit | None:
        """The signal that changes the category, or None when the votes' category stands."""
        if (voted is not None and voted not in self.model.categories) or len(words) <= self.min_words:
            return None
        guess, probability, known = self.model.guess(words, staff)
        if guess == voted or probability < self.min_probability or known <= self.min_words:
            return None  # (a language it hardly knows: its guess is its priors)
        says = f"the wording is most like that of {guess.replace('_', ' ')} incidents (category model, " \
               f"{probability:.0%})"
        return SignalHit("category", says, 0.0, guess, ())


def _model_words(texts: Mapping[str, str], fields: Sequence[list[str]] | None) -> tuple[list[str], int]:
    """The words the model reads (``model_words(model_text(texts))``), and how many words the text
    has, Chinese, Japanese and Thai characters included (which the models do not read). The fields
    joined by line breaks fold and split into the fields' words one after the other, so the
    concept matcher's (``fields``, each ending with its padding "") are those words, unless the
    joined text is longer than the model reads (``MAX_CHARS``). The C speedups make the same
    pair in one call (rules/_accel.c, model_words), where the copy per field and
    ``without_characters``' search of every text that is not ASCII were 7 % of a decision."""
    native = accel.native
    if native is not None and fields is not None and type(fields) is list and type(texts) is dict:
        counted = native.model_words(fields, texts, FIELDS, MAX_CHARS)
        if counted is not None:
            return counted
    if fields is not None and (len(texts.get("subject") or "") + len(texts.get("description") or "")
                               + len(texts.get("comment") or "") + 2 <= MAX_CHARS):
        words: list[str] = []
        for toks in fields:  # (a copy and a pop: filtering every word out for the paddings cost more)
            words += toks
            words.pop()
        read = without_characters(words, [texts.get(name) or "" for name in FIELDS])
        return read, len(words)
    return counted_model_words(model_text(texts))


def model_text(texts: Mapping[str, str]) -> str:
    """The one text the model reads: subject, description and latest comment, as the trainer joined them."""
    return "\n".join(texts.get(name) or "" for name in FIELDS)


@dataclass(frozen=True, slots=True)
class Score:
    """A ticket's score, its tier and the signals behind it."""

    value: float
    tier: str  # "critical" | "possible" | "none"
    category: str | None
    hits: tuple[SignalHit, ...] = field(default=())

    @property
    def positive(self) -> tuple[SignalHit, ...]:
        return tuple(h for h in self.hits if h.weight > 0)


_new_score = builder(Score)  # rules/frozen.py


class TicketView:
    """One ticket's text as the signals see it, worked out once however many signals read it
    (and for both readings of an unknown requester): where each concept occurs (all fields,
    each at its own offset, FIELD_GAP apart), which concepts occur, each field's span of
    positions, and the ticket's custom field values."""

    __slots__ = ("_model", "_model_words", "_negs", "fields", "found", "present", "spans", "texts", "words")

    def __init__(self, found: dict[int, list[tuple[int, str]]], spans: dict[str, tuple[int, int]],
                 fields: Mapping[str, Any], texts: Mapping[str, str] | None = None,
                 words: Sequence[list[str]] | None = None) -> None:
        self.found = found
        self.present = set(found)
        self.spans = spans
        self.fields = fields
        self.texts = texts or {}
        self.words = words  # each field's folded words and a padding "", for the text model
        self._negs: set[int] | None = None  # positions of negation words, on first use
        self._model: SignalHit | bool | None = False  # the text model's signal, on first use
        # The words the models read and the text's length in words (_model_words), on first use.
        self._model_words: tuple[list[str], int] | None = None

    def _counted_model_words(self) -> tuple[list[str], int]:
        counted = self._model_words
        if counted is None:
            counted = self._model_words = _model_words(self.texts, self.words)
        return counted

    def model_words(self) -> list[str]:
        """The words the text and category models read (``_model_words``), made once for both."""
        return self._counted_model_words()[0]

    def model_hit(self, model: ModelSignal) -> SignalHit | None:
        if self._model is False:
            self._model = model.hit_words(*self._counted_model_words())
        return self._model  # type: ignore[return-value]


class Scorer:
    """Compiled lexicons, signals and thresholds; ``score`` is pure."""

    def __init__(self, lexicons: Lexicons, signals: Sequence[Signal], critical: float, possible: float,
                 staff_domains: Sequence[str] = (), model: ModelSignal | None = None,
                 tool_senders: Sequence[str] = (), categories: CategoryChoice | None = None) -> None:
        self.lexicons = lexicons
        self.model = model  # None when off (no text_model, or weight 0: see _model_signal)
        self.categories = categories  # None when off (no category model, or category_min 0)
        self.signals = tuple(s.gate() for s in signals)
        self.critical = critical
        self.possible = possible
        self.staff_domains = tuple(d.lower().lstrip("@") for d in staff_domains)
        self._staff_exact = frozenset(self.staff_domains)
        self._staff_sub = tuple("." + d for d in self.staff_domains)
        self.tool_senders = frozenset(t.lower() for t in tool_senders)
        self._negation = lexicons.index.get(NEGATION_CONCEPT)
        self.reads_requester = any(s.requester for s in self.signals)
        # Which signals a concept can wake: one concept every signal needs (its rarest, by the
        # number of terms), else each concept of its `any`; a signal on ticket fields alone is
        # always looked at. Per ticket only the signals woken by a concept it shows, and meant
        # for its requester (staff or customer), are gated; one table for each.
        self._woken: dict[bool, tuple[frozenset[int], ...]] = {}
        self._always: dict[bool, frozenset[int]] = {}
        for staff in (False, True):
            woken: list[set[int]] = [set() for _ in lexicons.names]
            always: set[int] = set()
            for k, signal in enumerate(self.signals):
                if signal.requester is not None and (signal.requester == STAFF) != staff:
                    continue
                if signal.needed:
                    woken[min(signal.needed, key=lambda c: (lexicons.sizes[lexicons.names[c]], c))].add(k)
                elif signal.any_of:
                    for c in signal.any_of:
                        woken[c].add(k)
                else:
                    always.add(k)
            self._woken[staff] = tuple(frozenset(w) for w in woken)
            self._always[staff] = frozenset(always)
        # The same gate as tuples of ids, for the C speedups' (rules/_accel.c, gate).
        self._gate_tables = {staff: (tuple(tuple(sorted(w)) for w in self._woken[staff]),
                                     tuple(sorted(self._always[staff])),
                                     tuple(tuple(sorted(s.needed)) for s in self.signals),
                                     tuple(tuple(sorted(set(s.any_of))) for s in self.signals))
                             for staff in (False, True)}
        self._checks = tuple(_compile_check(s) or partial(self._shows, s) for s in self.signals)
        # Each signal's plan for the C gate's checks (None: its Python check, a signal on ticket
        # fields); with the gate's tables read into C arrays once (rules/_accel.c, gate_tables:
        # reading them from their tuples on every call was 2 % of a decision) and the requester,
        # what signal_hits gates, checks and weighs by in one call.
        self._plans = tuple(_plain_plan(s, self._negation) for s in self.signals)
        native = accel.native
        self._hit_tables = {staff: (native.gate_tables(*self._gate_tables[staff]), self._plans, staff)
                            for staff in (False, True)} if native is not None else None
        # The hits already made, by signal and words: a hit is an immutable value and a desk's
        # words are few, so most tickets reuse one instead of building it. Bounded.
        self._hits: dict[tuple[int, tuple[str, ...]], SignalHit] = {}
        # Whether an address is staff (is_staff), by address: a desk's requesters are few. Bounded.
        self._staff_by_email: dict[str, bool] = {}
        self._share_words()

    def _share_words(self) -> None:
        """One vocabulary for the concept scan and both models, where the C speedups are built:
        a ticket's word is then one table slot for all three (rules/_accel.c, Vocabulary), not
        three probes of three tables in cold memory, which were half a decision's time."""
        native = accel.native
        if native is None:
            return
        readers: list[Any] = [self.lexicons]
        makers: list[Any] = [self.lexicons.packer(native)]
        for linear in (self.model.model.linear if self.model is not None else None,
                       self.categories.model.linear if self.categories is not None else None):
            if linear is not None:
                readers.append(linear)
                makers.append(linear.packer(native))
        words = native.Vocabulary(tuple(makers), _SHARED_WORDS)
        for column, reader in enumerate(readers):
            reader.share(words, column)

    def without_model(self) -> Scorer:
        """The same scorer without the text and category models. Its own signal checks and hits,
        so nothing of it holds on to this scorer (and through it, the models)."""
        other = copy.copy(self)
        other.model = None
        other.categories = None
        other.lexicons = self.lexicons.unshared()  # (the shared vocabulary holds the models' tables)
        other._checks = tuple(_compile_check(s) or partial(other._shows, s) for s in other.signals)
        other._hits = {}
        return other

    def is_staff(self, role: str | None, email: str | None) -> bool:
        """An agent or admin, an address in ``staff_domains``, or a monitoring tool's address.

        Why tools count as staff: a monitoring tool that mails the helpdesk (Datadog, Sentry,
        CloudWatch via SNS, a Grafana contact point) becomes an *end-user* requester in Zendesk,
        yet it speaks for the company's own systems, like a member of staff. It is recognised by
        a name in its address (``alerts@datadog.example``, ``no-reply@sns.alerts.example``,
        ``grafana@ops.example``), one of ``tool_senders``.

        An address's answer is kept (a bounded dict): lowering it, splitting it by a regex and
        two set tests were 3 % of a decision (the sampled profile), for the same few requesters
        ticket after ticket."""
        if role in ("agent", "admin"):
            return True
        if not email:
            return False
        known = self._staff_by_email.get(email)
        if known is None:
            if len(self._staff_by_email) >= _STAFF_CACHE:
                self._staff_by_email.clear()
            known = self._staff_by_email[email] = self._staff_address(email)
        return known

    def _staff_address(self, email: str) -> bool:
        """``is_staff`` of an address (no role): a staff domain's, or a monitoring tool's."""
        email = email.lower()
        if self.staff_domains:
            domain = email.rsplit("@", 1)[-1]
            if domain in self._staff_exact or domain.endswith(self._staff_sub):
                return True
        return bool(self.tool_senders) and not self.tool_senders.isdisjoint(_SENDER_SPLIT.split(email))

    def view(self, texts: Mapping[str, str], ticket_fields: Mapping[str, Any] | None = None) -> TicketView:
        """What the signals read of one ticket: its text (``subject``, ``description``,
        ``comment``), folded, split and matched against the concepts once, and ``ticket_fields``
        (custom field values by id). With the C speedups one call splits and scans the fields
        (rules/_accel.c, scan_fields): this loop and its two calls a field were about a tenth of
        a decision's Python (docs/benchmarks.md); it splits accented Latin itself too
        (``_FOLDED``), calling ``tokens`` only for a text ``fold`` must decompose."""
        native = accel.native
        if native is not None and type(texts) is dict:
            found, spans, words = native.scan_fields(texts, FIELDS, FIELD_GAP, *self.lexicons.table(native), tokens,
                                                     _FOLDED)
            return TicketView(found, spans, ticket_fields or {}, texts, words)
        found: dict[int, list[tuple[int, str]]] = {}
        spans: dict[str, tuple[int, int]] = {}
        words: list[list[str]] = []
        offset = 0
        scan = self.lexicons.scan
        for name in FIELDS:
            text = texts.get(name)
            if not text:
                continue
            toks = tokens(text)
            n = len(toks)
            toks.append("")
            scan(toks, offset, found)
            words.append(toks)
            spans[name] = (offset, offset + n)
            offset += n + FIELD_GAP
        return TicketView(found, spans, ticket_fields or {}, texts, words)

    def score(self, texts: Mapping[str, str], *, staff: bool, via: str | None,
              extra: Sequence[SignalHit] = (), ticket_fields: Mapping[str, Any] | None = None) -> Score:
        """Score one ticket's text (``subject``, ``description``, ``comment``); ``extra`` are
        signals found elsewhere (rules with a weight); ``ticket_fields`` the ticket's custom
        field values by id, for signals on fields (Zendesk's intent, sentiment, language)."""
        return self.score_view(self.view(texts, ticket_fields), staff=staff, via=via, extra=extra)

    def score_view(self, view: TicketView, *, staff: bool, via: str | None, extra: Sequence[SignalHit] = ()) -> Score:
        """``score`` of a ticket already matched against the concepts (``view``)."""
        native = accel.native
        # With the C speedups one call gates and checks the signals, finds their hits and adds
        # their weights (rules/_accel.c, signal_hits): this loop's bytecodes and the sum were a
        # few per cent of a decision; ``_signal_hits`` is the reference.
        if native is not None and self._hit_tables is not None:
            hits, value = native.signal_hits(view.found, self._hit_tables[staff], via, view.spans, self._hits,
                                              self._make_hit, self._checks, view, tuple(extra))
        else:
            hits, value = self._signal_hits(view, staff, via, extra), None
        model = self.model
        if model is not None:
            # The model is read only where it can change the tier: it moves a score by at most
            # max_up and max_down, and most tickets score far from both thresholds.
            if value is None:
                value = sum(map(_WEIGHT, hits))
            if self.possible - model.max_up <= value < self.critical + model.max_down:
                hit = view.model_hit(model)
                if hit is not None:
                    hits.append(hit)
        return self._tier(hits, staff, view)

    def _signal_hits(self, view: TicketView, staff: bool, via: str | None,
                     extra: Sequence[SignalHit]) -> list[SignalHit]:
        """``extra``, then the hit of each signal ``view`` shows, in the signals' order: the
        Python reference of rules/_accel.c's signal_hits, and the path without the C speedups."""
        hits: list[SignalHit] = list(extra)
        checks = self._checks
        for k in self.gate(view, staff):
            words = checks[k](view, staff, via)
            if words is not None:
                hits.append(self._hits.get((k, words)) or self._make_hit((k, words)))
        return hits

    def _make_hit(self, key: tuple[int, tuple[str, ...]]) -> SignalHit:
        """The hit of signal ``key[0]`` shown by the words ``key[1]``, kept for the next ticket
        with those words: a hit is an immutable value and a desk's words are few. Bounded."""
        made = self._hits
        if len(made) >= _HIT_CACHE:
            made.clear()
        signal = self.signals[key[0]]
        hit = made[key] = _new_hit(name=signal.name, says=signal.says, weight=signal.weight, category=signal.category,
                                   words=key[1])
        return hit

    def gate(self, view: TicketView, staff: bool) -> list[int]:
        """The signals worth checking on ``view``, ascending: woken by a concept the ticket
        shows (or by none), meant for its requester, whose needed concepts all occur and one
        of whose ``any`` concepts does. The C speedups (rules/_accel.c, gate) make the same
        list in one call: in Python it is a subset test and a disjointness test per woken
        signal, a few bytecodes each, for a dozen signals a ticket."""
        native = accel.native
        if native is not None:
            return native.gate(view.found, *self._gate_tables[staff])
        present = view.present
        signals = self.signals
        return [k for k in sorted(self._always[staff].union(*map(self._woken[staff].__getitem__, view.found)))
                if signals[k].needed <= present and not (signals[k].any_of and present.isdisjoint(signals[k].any_of))]

    def _tier(self, hits: list[SignalHit], staff: bool, view: TicketView | None = None) -> Score:
        value = round(sum(map(_WEIGHT, hits)), 3)
        tier = "critical" if value >= self.critical else "possible" if value >= self.possible else "none"
        category = None
        if tier != "none":
            native = accel.native
            voted = native.vote(hits, CATEGORY_ORDER, SECURITY) if native is not None else None
            category, security = voted if voted is not None else _vote(hits)
            if category is None:
                category = "outage"
            if staff and category == "outage":
                category = "staff_report"
            # Strong security evidence keeps its category: the category model reads the wording as a whole,
            # and a security incident routed as an outage puts its text in the alerts.
            if self.categories is not None and view is not None and security < KEEP_SECURITY:
                chosen = self.categories.choose(category, view.model_words(), staff)
                if chosen is not None:
                    category = chosen.category
                    hits = [*hits, chosen]
        return _new_score(value=value, tier=tier, category=category, hits=tuple(hits))

    # -- one signal ------------------------------------------------------------------------------
    def _positions(self, view: TicketView, cid: int, signal: Signal) -> list[tuple[int, str]] | None:
        """Where concept ``cid`` occurs, in the fields ``signal`` reads and, if it skips negated
        words, not right after a negation."""
        found = view.found.get(cid)
        if not found or (signal.fields is FIELDS and not signal.skip_negated):
            return found
        if signal.fields is not FIELDS:
            spans = [view.spans[f] for f in signal.fields if f in view.spans]
            if len(spans) == 1:
                a, b = spans[0]
                found = [(p, w) for p, w in found if a <= p < b]
            else:
                found = [(p, w) for p, w in found if _inside(p, spans)]
        if signal.skip_negated and self._negation is not None and found:
            negs = view._negs
            if negs is None:
                negs = view._negs = {p for p, _ in view.found.get(self._negation, ())}
            if negs:
                found = [(p, w) for p, w in found if negs.isdisjoint(range(p - NEGATION_REACH, p))]
        return found

    def _shows(self, signal: Signal, view: TicketView, staff: bool, via: str | None) -> tuple[str, ...] | None:
        if signal.requester is not None and (signal.requester == STAFF) != staff:
            return None
        if signal.via and (via or "") not in signal.via:
            return None
        field_words: list[str] = []
        for field_id, accepted in signal.ticket_fields:
            value = view.fields.get(field_id)
            values = value if isinstance(value, (list, tuple)) else [value]
            found = next((str(v) for v in values if v is not None and str(v).strip().lower() in accepted), None)
            if found is None:
                return None
            field_words.append(f"field {field_id} = {found}")
        present = view.present
        if signal.absent and not present.isdisjoint(signal.absent):
            return None
        if signal.requires_any and present.isdisjoint(signal.requires_any):
            return None
        if signal.subject_has or signal.subject_lacks:
            span = view.spans.get("subject")
            if signal.subject_has:
                if span is None:
                    return None
                for c in signal.subject_has:
                    if not _occurs_in(view.found.get(c), span):
                        return None
            if span is not None:
                for c in signal.subject_lacks:
                    if _occurs_in(view.found.get(c), span):
                        return None
        words: list[str] = []
        for cid in signal.all_of:
            found = self._positions(view, cid, signal)
            if not found:
                return None
            words.append(found[0][1])
        if signal.any_of:
            for cid in signal.any_of:
                found = self._positions(view, cid, signal)
                if found:
                    words.append(found[0][1])
                    break
            else:
                return None
        if signal.near is not None:
            pair = self._near(view, signal)
            if pair is None:
                return None
            words.extend(pair)
        if field_words:
            words[:0] = field_words
        if len(words) == 1:
            return (words[0],)
        return tuple(dict.fromkeys(words))

    def _near(self, view: TicketView, signal: Signal) -> tuple[str, str] | None:
        assert signal.near is not None
        first = self._positions(view, signal.near[0], signal)
        if not first:
            return None
        return _near(first, self._positions(view, signal.near[1], signal), signal.within)


def _vote(hits: Sequence[SignalHit]) -> tuple[str | None, float]:
    """The category a flagged ticket's hits vote for, and security's votes: each category's
    votes are the weights of the hits of positive weight that name it; the best is the first of
    the highest in ``CATEGORY_ORDER`` (else the least by name: an admin's own category), and
    security wins where it has at least half the best's votes; (None, 0.0) without votes. The
    C speedups decide the same in one call (rules/_accel.c, vote), where this dict, generator
    and sort were 1.6 % of a decision's instructions over the blind sets."""
    votes: dict[str, float] = {}
    for h in hits:
        if h.weight > 0 and h.category:
            votes[h.category] = votes.get(h.category, 0.0) + h.weight
    if not votes:
        return None, 0.0
    best = max(votes.values())
    category = next(c for c in (*CATEGORY_ORDER, *sorted(votes)) if votes.get(c) == best)
    security = votes.get(SECURITY, 0.0)
    if security >= 0.5 * best:
        category = SECURITY
    return category, security


# The keys a signal may use and still be checked by a compiled check (``_compile_check``);
# any other key set (fields, skip_negated, subject_has, ticket_fields, or a key added later)
# takes the general ``Scorer._shows``.
_PLAIN_KEYS = frozenset({"name", "says", "weight", "category", "any_of", "all_of", "near", "within", "requires",
                         "requires_any", "absent", "requester", "via", "needed"})
_DEFAULTS = {f.name: f.default for f in fields(Signal)}


def _compile_check(signal: Signal) -> Callable[[TicketView, bool, str | None], tuple[str, ...] | None] | None:
    """The words that show a *plain* signal (all fields, negated words count too), checked
    with only what the signal uses; ``None`` for any other signal. Same answer as ``_shows``:
    the requester is checked here too, though the per-requester wake tables skip a signal
    meant for the other one before it gets here."""
    if any(getattr(signal, k) != default for k, default in _DEFAULTS.items() if k not in _PLAIN_KEYS):
        return None
    any_of, all_of, near, within = signal.any_of, signal.all_of, signal.near, signal.within
    absent, requires_any, via_in = signal.absent, signal.requires_any, signal.via
    requester = None if signal.requester is None else signal.requester == STAFF

    if not all_of and near is None and not (absent or requires_any or via_in or requester is not None):
        def check_any(view: TicketView, staff: bool, via: str | None) -> tuple[str, ...] | None:
            found = view.found
            for cid in any_of:
                at = found.get(cid)
                if at:
                    return (at[0][1],)
            return None
        return check_any

    def check(view: TicketView, staff: bool, via: str | None) -> tuple[str, ...] | None:
        if requester is not None and requester != staff:
            return None
        if via_in and (via or "") not in via_in:
            return None
        present = view.present
        if absent and not present.isdisjoint(absent):
            return None
        if requires_any and present.isdisjoint(requires_any):
            return None
        found = view.found
        words: list[str] = []
        for cid in all_of:
            at = found.get(cid)
            if not at:
                return None
            words.append(at[0][1])
        if any_of:
            for cid in any_of:
                at = found.get(cid)
                if at:
                    words.append(at[0][1])
                    break
            else:
                return None
        if near is not None:
            pair = _near(found.get(near[0]), found.get(near[1]), within)
            if pair is None:
                return None
            words.extend(pair)
        if len(words) == 1:
            return (words[0],)
        return tuple(dict.fromkeys(words))
    return check


def _plain_plan(signal: Signal, negation: int | None = None) -> tuple[Any, ...] | None:
    """What the C gate (rules/_accel.c, gate_check) needs to check a signal as ``_shows`` does
    (``_compile_check``'s ``check`` for a plain one): (any_of, all_of, near or (), within,
    absent, requires_any, via, requester: -1 either, 0 customer, 1 staff, negation: the
    negation concept's id where negated words are skipped, else None, fields: () for every
    field, else the names of those it reads, subject_has, subject_lacks); ``None`` for a signal
    on ticket fields, of a key the C check does not know, or collecting more words than it holds
    (``_shows`` checks those). Why the fields and the subject too: a dozen signals read only the
    subject or the description (the how-to questions, the alert formats), 0.76 Python calls a
    decision after the plain ones moved to C."""
    if len(signal.all_of) > _PLAN_ALL_OF or any(
            getattr(signal, k) != default for k, default in _DEFAULTS.items() if k not in _PLAN_KEYS):
        return None
    if signal.skip_negated and NEGATION_REACH != _PLAN_REACH:
        return None
    skips = negation if signal.skip_negated else None  # None: no negation concept, so _positions skips nothing
    requester = -1 if signal.requester is None else int(signal.requester == STAFF)
    return (signal.any_of, signal.all_of, signal.near or (), signal.within, signal.absent, signal.requires_any,
            signal.via, requester, skips, () if signal.fields is FIELDS else signal.fields, signal.subject_has,
            signal.subject_lacks)


_PLAN_ALL_OF = 29  # rules/_accel.c: PLAIN_WORDS (32) less any_of's word and near's two
_PLAN_REACH = 3  # rules/_accel.c, negated: the positions after a negation it skips
# The keys a signal may use and be checked in C (``_plain_plan``): all but ticket_fields.
_PLAN_KEYS = _PLAIN_KEYS | {"fields", "skip_negated", "subject_has", "subject_lacks"}


def _near(first: list[tuple[int, str]] | None, second: list[tuple[int, str]] | None,
          within: int) -> tuple[str, str] | None:
    """The first pair (in ``first``'s order, then ``second``'s) of words at most ``within``
    positions apart (not the same word), in text order."""
    if not first or not second:
        return None
    for p, w in first:
        for q, v in second:
            if -within <= p - q <= within and p != q:
                return (w, v) if p < q else (v, w)
    return None


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= position < b for a, b in spans)


def _occurs_in(found: list[tuple[int, str]] | None, span: tuple[int, int]) -> bool:
    """Whether any of ``found`` lies in ``span``."""
    if found:
        a, b = span
        for p, _ in found:
            if a <= p < b:
                return True
    return False


# -- compiling ------------------------------------------------------------------------------------
def _concepts_of(signal: Signal) -> set[int]:
    return {*signal.any_of, *signal.all_of, *(signal.near or ()), *signal.requires, *signal.requires_any,
            *signal.absent, *signal.subject_has, *signal.subject_lacks}


def _concept_ids(value: Any, lexicons: Lexicons, where: str) -> tuple[int, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise ConditionError(where, "expected a concept name or a non-empty list of them")
    out = []
    for name in names:
        if name not in lexicons.index:
            known = ", ".join(sorted(lexicons.index))
            raise ConditionError(where, f"unknown concept {name!r}; known: {known}")
        out.append(lexicons.index[name])
    return tuple(out)


def _signal(raw: Any, lexicons: Lexicons, where: str) -> Signal:
    if not isinstance(raw, dict):
        raise ConditionError(where, "a signal is a mapping")
    unknown = set(raw) - SIGNAL_KEYS
    if unknown:
        raise ConditionError(where, f"unknown key(s) {sorted(unknown)}; expected: {', '.join(sorted(SIGNAL_KEYS))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConditionError(where + ".name", "required: a non-empty string")
    weight = raw.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise ConditionError(where + ".weight", "required: a number (negative for a counter-signal)")
    if not any(k in raw for k in ("any", "all", "near", "subject_has", "ticket_fields")):
        raise ConditionError(where, "needs at least one of any, all, near, subject_has, ticket_fields")
    ticket_fields = raw.get("ticket_fields") or {}
    if not isinstance(ticket_fields, dict) or any(
            not str(k).strip().isdigit() or not isinstance(v, list) or not v for k, v in ticket_fields.items()):
        raise ConditionError(where + ".ticket_fields",
                             "a mapping of ticket field id (a number) to a non-empty list of values")
    near = None
    if "near" in raw:
        pair = _concept_ids(raw["near"], lexicons, where + ".near")
        if len(pair) != 2:
            raise ConditionError(where + ".near", "exactly two concepts")
        near = (pair[0], pair[1])
    within = raw.get("within", 6)
    if isinstance(within, bool) or not isinstance(within, int) or within < 1:
        raise ConditionError(where + ".within", "a whole number of words, at least 1")
    fields = raw.get("fields", list(FIELDS))
    if not isinstance(fields, list) or not fields or any(f not in FIELDS for f in fields):
        raise ConditionError(where + ".fields", f"a list of: {', '.join(FIELDS)}")
    requester = raw.get("requester")
    if requester not in (None, STAFF, CUSTOMER):
        raise ConditionError(where + ".requester", "staff or customer")
    via = raw.get("via", [])
    via = [via] if isinstance(via, str) else via
    category = raw.get("category")
    if category is not None and (not isinstance(category, str) or not category.isidentifier()):
        raise ConditionError(where + ".category", "a lower-case word")
    return Signal(
        name=name.strip(),
        says=str(raw.get("says") or name).strip(),
        weight=float(weight),
        category=category,
        any_of=_concept_ids(raw["any"], lexicons, where + ".any") if "any" in raw else (),
        all_of=_concept_ids(raw["all"], lexicons, where + ".all") if "all" in raw else (),
        near=near,
        within=within,
        requires=_concept_ids(raw["requires"], lexicons, where + ".requires") if "requires" in raw else (),
        requires_any=_concept_ids(raw["requires_any"], lexicons, where + ".requires_any") if "requires_any" in raw
        else (),
        subject_has=_concept_ids(raw["subject_has"], lexicons, where + ".subject_has") if "subject_has" in raw
        else (),
        subject_lacks=_concept_ids(raw["subject_lacks"], lexicons, where + ".subject_lacks") if "subject_lacks" in raw
        else (),
        absent=_concept_ids(raw["absent"], lexicons, where + ".absent") if "absent" in raw else (),
        skip_negated=bool(raw.get("skip_negated", False)),
        fields=FIELDS if set(fields) == set(FIELDS) else tuple(f for f in FIELDS if f in fields),
        requester=requester,
        via=tuple(str(v) for v in via),
        ticket_fields=tuple((str(k).strip(), frozenset(str(x).strip().lower() for x in v))
                            for k, v in ticket_fields.items()),
    )


def compile_scorer(raw: Mapping[str, Any]) -> Scorer:
    """Build a scorer from ``concepts``, ``product``, ``signals``, ``thresholds``, ``staff_domains``,
    ``tool_senders``.

    ``product`` maps the admin's own business objects to words; together they form the
    ``objects`` concept (and one concept per object, ``object:<name>``, for a signal about one
    of them), so signals can say "an object of the customer's business near an impact word"
    whatever the product is.
    """
    concepts_raw = raw.get("concepts") or {}
    if not isinstance(concepts_raw, dict):
        raise ConditionError("concepts", "a mapping of concept name to a list of terms (or to languages)")
    concepts: dict[str, list[str]] = {}
    for name, terms in concepts_raw.items():
        concepts[str(name)] = _terms(terms, f"concepts.{name}")
    product = raw.get("product") or {}
    if not isinstance(product, dict):
        raise ConditionError("product", "a mapping of business object to a list of terms")
    objects: list[str] = list(concepts.get("objects", []))
    for name, terms in (product.get("objects") or product).items():
        listed = _terms(terms, f"product.objects.{name}")
        concepts[f"object:{name}"] = listed
        objects.extend(listed)
    concepts["objects"] = objects
    signals_raw = raw.get("signals") or []
    if not isinstance(signals_raw, list):
        raise ConditionError("signals", "a list of signals")
    # Only concepts some signal reads are matched (plus negation for skip_negated): a concept
    # nobody reads would cost every ticket its lookups for nothing. Unknown names still fail.
    known = Lexicons(concepts)  # every term is validated, used or not
    signals = [_signal(s, known, f"signals[{i}]") for i, s in enumerate(signals_raw)]
    used = {known.names[c] for sig in signals for c in _concepts_of(sig)} | {NEGATION_CONCEPT}
    lexicons = Lexicons({name: terms for name, terms in concepts.items() if name in used})
    signals = [_signal(s, lexicons, f"signals[{i}]") for i, s in enumerate(signals_raw)]
    names = [s.name for s in signals]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConditionError("signals", f"duplicate signal name(s): {', '.join(dupes)}")
    thresholds = raw.get("thresholds") or {}
    critical = thresholds.get("critical", 5)
    possible = thresholds.get("possible", 3)
    for key, value in (("critical", critical), ("possible", possible)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConditionError(f"thresholds.{key}", "a number")
    if possible > critical:
        raise ConditionError("thresholds.possible", "must not be above thresholds.critical")
    domains = raw.get("staff_domains") or []
    if not isinstance(domains, list) or any(not isinstance(d, str) for d in domains):
        raise ConditionError("staff_domains", "a list of email domains")
    senders = raw.get("tool_senders") or []
    if not isinstance(senders, list) or any(not isinstance(t, str) or not t.strip() for t in senders):
        raise ConditionError("tool_senders", "a list of names found in monitoring tools' email addresses")
    bad = [t for t in senders if _SENDER_SPLIT.search(t.strip())]
    if bad:
        raise ConditionError("tool_senders", f"a name, not an address or a domain: {bad[0]!r} (one word, no @ . + _ -)")
    return Scorer(lexicons, signals, float(critical), float(possible), domains, _model_signal(raw.get("text_model")),
                  [t.strip() for t in senders], _category_choice(raw.get("text_model")))


def _model_signal(raw: Any) -> ModelSignal | None:
    """``text_model: {weight, max_up, max_down, short, min_words, unread, data}``; none, or weight 0, turns it off."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConditionError("text_model", "a mapping with weight, max_up, max_down, short, min_words and data "
                                           "(rules/README.md)")
    unknown = sorted(set(raw) - {"weight", "max_up", "max_down", "short", "min_words", "says", "says_routine", "data",
                                 "categories", "category_min", "unread", "says_unread"})
    if unknown:
        raise ConditionError("text_model", f"unknown key(s): {', '.join(map(str, unknown))}")
    weight, max_up, max_down = raw.get("weight", 0), raw.get("max_up", 2), raw.get("max_down", 6)
    short, min_words, unread = raw.get("short", 20), raw.get("min_words", 12), raw.get("unread", 0)
    for key, value in (("weight", weight), ("max_up", max_up), ("max_down", max_down), ("short", short),
                       ("min_words", min_words), ("unread", unread)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConditionError(f"text_model.{key}", "a number, 0 or more")
    if not weight:
        return None
    if "data" not in raw:
        raise ConditionError("text_model.data", "missing: include rules/text_model.json (written by the trainer)")
    return ModelSignal(compile_text_model(raw["data"], "text_model.data"), float(weight), float(max_up),
                       float(max_down), float(short), int(min_words), str(raw.get("says") or MODEL_SAYS),
                       str(raw.get("says_routine") or MODEL_SAYS_ROUTINE), unread=float(unread),
                       says_unread=str(raw.get("says_unread") or MODEL_SAYS_UNREAD))


def _category_choice(raw: Any) -> CategoryChoice | None:
    """``text_model: {category_min, categories}``: the category model (data written by the
    trainer) and how sure it must be to change a category; no data, or ``category_min: 0``,
    turns it off. (``_model_signal`` has already refused a ``text_model`` that is no mapping.)"""
    if not isinstance(raw, Mapping) or raw.get("categories") is None:
        return None
    minimum = raw.get("category_min", 0.6)
    if isinstance(minimum, bool) or not isinstance(minimum, (int, float)) or not 0 <= minimum <= 1:
        raise ConditionError("text_model.category_min", "a probability from 0 to 1 (0 turns the category model off)")
    if not minimum:
        return None
    min_words = raw.get("min_words", 12)  # checked by _model_signal
    return CategoryChoice(compile_category_model(raw["categories"]), float(minimum), int(min_words))


def _terms(value: Any, where: str) -> list[str]:
    """A concept's terms: a list, or a mapping of language code to list (flattened)."""
    if isinstance(value, dict):
        out: list[str] = []
        for lang, terms in value.items():
            out.extend(_terms(terms, f"{where}.{lang}"))
        return out
    if not isinstance(value, list) or not value:
        raise ConditionError(where, "a non-empty list of words or phrases (or a mapping of language to such lists)")
    bad = [t for t in value if isinstance(t, bool) or not isinstance(t, (str, int)) or not str(t).strip()]
    if bad:
        hint = " (quote yes/no/on/off: YAML reads them as booleans)" if isinstance(bad[0], bool) else ""
        raise ConditionError(where, f"terms must be non-empty strings, got {bad[0]!r}{hint}")
    return [str(t) for t in value]
