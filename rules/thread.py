"""The newest message of an email thread: what the writer says now, without the history they quote.

Why: a customer who replies to an old thread ("Re: DOWN - drivers can't see loads!!!") to book a
training or ask for the incident report quotes the incident under their routine message, and the
signals read the quoted outage or breach as if it were new. So the history is cut at the first
reply header ("On 3 Nov, Marco wrote:", "Le 3 nov. a écrit :", "-----Original Message-----", an
Outlook "From: / Sent:" block), and ">"-quoted lines are dropped, unless
* the message is a forward (a forward's body is what the writer is reporting),
* what is left is a few words ("Still down!!"), or
* what is left points at the history ("see my note below", "forwarding the thread", "pasting
  from #support"): then the history is the report.
Cheap, since it runs on every ticket: a ticket that is not a reply (no "Re:" subject, no quoted
line, no dashes) costs a match on its subject and three substring searches; a reply's header
lines are found by searching for a colon at a line's end, each checked for a verb only in the
characters before its colon, and its pointers among the words of its first and last lines.
"""

from __future__ import annotations

import re

__all__ = ["latest_message"]

# The least a message above a quote must say to stand alone: with fewer words the quoted history
# is kept ("any update??", "still happening").
MIN_OWN_WORDS = 15

_LINE_END_COLONS = (":\n", ": \n", ":\r\n")
# A reply header's verb is at most the writer's name and address before its colon (_WROTE).
_HEADER_REACH = 160
# "On <date>, <name> wrote:" and its translations: the verb, then at most the writer's name and
# address ("Am 3. Nov. schrieb Marco <m@x>:", "napisał(a):").
_WROTE = re.compile(
    r"(?:wrote|writes|a\s+[ée]crit|escribi[óo]|escreveu|schrieb|schreef|ha\s+scritto|skrev|kirjoitti|"
    r"napisa[łl]|naps[áa]l|nap[íi]sal|написал|написав|написа|писа|yazd[ıi]|[íi]rta|a\s+scris|scrie|"
    r"έγραψε|kirjutas|ra[šs][ėe]|rakst[īi]ja|napisao|menulis|vi[ếe]t|sumulat|כתב|كتب)\b[^\n]{0,120}$",
    re.IGNORECASE)
# How an Outlook header block's first line starts, as Outlook writes it (capitalised), in the
# languages the lexicons read: a cheap test before the block's regular expression.
_FROM_LINES = tuple("\n" + w for w in (
    "From:", "Von:", "De:", "De :", "Da:", "Van:", "Od:", "Fra:", "Från:", "От:", "Від:", "Kimden:", "Feladó:",
    "Από:", "Saatja:", "Nuo:", "No:", "Dari:", "FROM:"))
# A dashed separator ("-----Original Message-----", "---------- Forwarded message ---------") or
# an Outlook header block: "From: ..." then, within two lines, "Sent:" or "Date:" (translated).
_BLOCK = re.compile(
    r"\n[ \t]*(?:-{3,}[ \t]*(?P<dashed>[^\n]{3,60}?)[ \t]*-{3,}[ \t]*(?=\r?\n)|"
    r"(?:from|von|de|da|van|od|fra|fr[åa]n|от|від|kimden|felad[óo]|από|saatja|nuo|no|dari)[ \t]*:[^\n]*\n"
    r"(?:[^\n]*\n)?[ \t]*(?:sent|date|envoy[ée]|gesendet|datum|enviado|fecha|inviato|data|verzonden|wys[łl]ano|"
    r"odesl[áa]no|sendt|skickat|l[äa]hetetty|отправлено|надіслано|изпратено|tarih|elk[üu]ldve|trimis|στάλθηκε|"
    r"saadetud|i[šs]si[ųu]sta|nos[ūu]t[īi]ts|poslano|dikirim)[ \t]*:)",
    re.IGNORECASE)
_ORIGINAL = re.compile(
    r"original|urspr[üu]ngliche|d.origine|oorspronkelijk|oryginaln|p[ůu]vodn|исходн|оригинал|opprinnelig|"
    r"ursprungligt|alkuper[äa]inen|orijinal|eredeti|αρχικό|izvorn|p[ôo]vodn|prvotn|pradin|s[āa]kotn|algne|asli",
    re.IGNORECASE)
# A reply's subject: "Re:", "AW:", "SV:", "Odp:", "R:", "RES:", "YNT:", "Vá:", "ATS:", "ΑΠ:", "回复:"... Only a
# reply's body, or one with ">"-quoted lines or a dashed "Original message" line, is searched for
# the history it quotes (most tickets are opened by a new email or the web form, and quote
# nothing): that keeps the search off most tickets.
_REPLY_SUBJECT = re.compile(
    r"\s*(?:\[[^\]]{0,40}\]\s*)?(?:re|aw|sv|vs|odp|odg|r|rif|res|ynt|v[áa]|ats|atb|antw|ref|reply|ответ|отг|ΑΠ|השב|رد|"
    r"回复|回覆|答复|返信|회신|답장)\s*(?:\[\d+\])?\s*:",
    re.IGNORECASE)
# A forward says so: its subject (Fwd:, WG:, TR:, RV:, Doorst:...), its dashed line
# ("---------- Forwarded message ---------", _FORWARD) or its Outlook block (_FW_IN_BLOCK).
_FW_SUBJECT = re.compile(r"^\s*(?:(?:re|aw|sv|vs|odp|ant|r|rif)\s*:\s*)*(?:fwd?|wg|tr|rv|i|enc|doorst|pd|vl|fs)\s*:",
                         re.IGNORECASE)
_FORWARD = re.compile(
    r"forward|weitergeleitet|transf[ée]r[ée]|reenviado|encaminhad|inoltrat|doorgestuurd|przekazan|p[řr]eposlan|"
    r"пересла|videresend|vidarebefordra|edelleenl[äa]hetet|iletilen|tov[áa]bb[íi]tott|redirec[tț]ionat|"
    r"προωθ|edasi saadetud|persi[uų]st|p[āa]rs[ūu]t|proslije[đd]en|diteruskan",
    re.IGNORECASE)
# An Outlook block whose Subject line is a forward's ("Subject: FW: ...", "Betreff: WG: ..."); not
# the word "forward" anywhere in it, which logistics companies' names carry ("Maasvlakte Forwarding").
_FW_IN_BLOCK = re.compile(
    r"(?:subject|betreff|objet|asunto|oggetto|onderwerp|temat|p[řr]edm[ěe]t|[äa]mne|emne|aihe|тема|konu|t[áa]rgy|"
    r"subiect|θέμα|assunto)\s*:\s*(?:(?:re|aw|sv|odp|r)\s*:\s*)*(?:fwd?|wg|tr|rv|enc|doorst|pd|vl|i)\s*:",
    re.IGNORECASE)
# The message points at the history it quotes: then the history is the report. Words, looked up
# among the message's words; and phrases, searched for in it.
_POINTER_WORDS = frozenset((
    "below", "bottom", "underneath", "thread", "chain", "trail", "pasting", "pasted", "unten", "unterhalb",
    "verlauf", "ci-dessous", "fil", "abajo", "debajo", "hilo", "cadena", "hieronder", "onderaan", "onderstaande",
    "sotto", "catena", "poniżej", "ponizej", "niżej", "nizej", "níže", "nize", "nižšie", "nizsie", "ниже", "нижче",
    "nedan", "nedenfor", "nedenunder", "alla", "alempana", "aşağıda", "asagida", "lentebb", "alább", "alabb",
    "παρακάτω", "allpool", "žemiau", "zemiau", "zemāk", "zemak", "ispod", "spodaj", "abaixo", "למטה", "أدناه",
))
# (Hindi's "नीचे" is a phrase: its vowel signs are no word characters, so it is never one word.)
_POINTER_PHRASES = ("en dessous", "plus bas", "mai jos", "em baixo", "di bawah", "dưới đây", "duoi day", "sa ibaba",
                    "नीचे")
_WORD = re.compile(r"[\w-]+")
# Where a message says the history is the report: its opening and closing lines ("Please see my
# latest below", "forwarding the thread below"); not the middle of a long message.
_POINTER_REACH = 400


def _points_below(own: str) -> bool:
    """Whether ``own`` points at the history below it."""
    ends = (own if len(own) <= 2 * _POINTER_REACH else own[:_POINTER_REACH] + "\n" + own[-_POINTER_REACH:]).lower()
    return not _POINTER_WORDS.isdisjoint(_WORD.findall(ends)) or any(p in ends for p in _POINTER_PHRASES)


def _reply_header(text: str) -> int | None:
    """Where the first "... wrote:" line starts."""
    ends = []
    for colon in _LINE_END_COLONS:
        at = text.find(colon)
        while at >= 0:
            ends.append(at)
            at = text.find(colon, at + 1)
    for end in sorted(ends):
        start = text.rfind("\n", 0, end) + 1
        if _WROTE.search(text, max(start, end - _HEADER_REACH), end):
            return start
    return None


def _block(text: str, end: int) -> tuple[int, bool] | None:
    """Where the first "Original Message" or Outlook block before ``end`` starts, and whether it is a forward."""
    if "---" not in text and not any(line in text for line in _FROM_LINES):
        return None
    for m in _BLOCK.finditer(text, 0, end):
        dashed = m.group("dashed")
        if dashed is None:
            following = text[m.end():m.end() + 300]
            return m.start() + 1, bool(_FW_IN_BLOCK.search(following))
        if _FORWARD.search(dashed):
            return m.start() + 1, True
        if _ORIGINAL.search(dashed):
            return m.start() + 1, False
    return None


def latest_message(text: str, subject: str = "") -> str:
    """``text`` without the history it quotes (see the module's docstring)."""
    if not text:
        return text
    quoted = text.startswith(">") or "\n>" in text
    if not (quoted or _REPLY_SUBJECT.match(subject) or "---" in text) or _FW_SUBJECT.match(subject):
        return text
    cut = _reply_header(text) if ":" in text else None
    block = _block(text, len(text) if cut is None else cut)
    if block is not None:
        if block[1]:
            return text
        cut = block[0]
    if cut is None and not quoted:
        return text
    own = text if cut is None else text[:cut]
    if quoted:
        own = "\n".join(line for line in own.split("\n") if not line.lstrip().startswith(">"))
    if len(own.split()) < MIN_OWN_WORDS or _points_below(own):
        return text
    return own
