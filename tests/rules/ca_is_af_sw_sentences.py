"""Sentences in Catalan, Icelandic, Afrikaans and Swahili, for tests/rules/test_more_languages.py:
the shipped lexicons read these languages too.

These sentences are written for this test (none comes from a labelled set), some with their
accents and letters and some typed without, as people do: an outage told by what it holds up
(orders or labels not coming, trucks and drivers waiting) must be critical with a workflow
signal, a leaked password, another company's data or a former employee still logging in must be
a critical security incident, and a how-to, a copy of an invoice or a "thanks, it works again"
must be left alone, in every one of these languages. Icelandic þ, ð and æ fold to "th", "d" and
"ae" (how they are typed without an Icelandic keyboard), Catalan's l·l to "l l"; Swahili and
Afrikaans customers mix in English, and some sentences below do.
"""

from __future__ import annotations

CA_IS_AF_SW_LANGUAGES = ("ca", "is", "af", "sw")

# Nothing is coming in or nothing prints, and the operation is held up (trucks, drivers waiting).
OUTAGE = [
    ("ca", "Des d'aquest matí les comandes no arriben al sistema i els camions estan esperant al moll."),
    ("ca", "Les etiquetes d'enviament no s'imprimeixen, els xofers estan esperant al magatzem. És urgent!"),
    ("ca", "Cap comanda nova des de les 6, el magatzem està aturat i ho hem de fer a mà."),
    ("is", "Pantanir berast ekki inn í kerfið síðan í morgun og vörubílarnir bíða á lagernum."),
    ("is", "Sendingarmiðar prentast ekki, bílstjórarnir bíða eftir okkur. Þetta er áríðandi!"),
    ("is", "Pantanir koma ekki inn i kerfid, vorubilar bida og vid thurfum ad gera allt handvirkt."),
    ("af", "Bestellings kom nie deur nie sedert vanoggend, die vragmotors staan en wag by die pakhuis."),
    ("af", "Die etikette druk nie, die drywers staan by die laaibank. Dringend asseblief!"),
    ("af", "Ons orders kom nie deur nie, die trokke staan en wag en ons moet alles met die hand doen."),
    ("sw", "Tangu asubuhi oda zetu hazifiki kwenye mfumo, malori yanasubiri ghalani."),
    ("sw", "Lebo za usafirishaji haziprinti, madereva wanasubiri ghalani. Ni dharura!"),
    ("sw", "Orders zetu haziingii kwenye system since morning, madereva wanasubiri na kazi imesimama."),
]

# A password or key exposed in public, another company's data in one's own account, or someone
# who left still logging in; with the signal its meaning calls for.
SECURITY = [
    ("ca", "La contrasenya de l'API s'ha filtrat a GitHub i tothom la pot veure.", "credentials-exposed"),
    ("ca", "Veiem les adreces i telèfons dels clients d'una altra empresa al nostre compte.", "cross-tenant-data"),
    ("ca", "L'antic empleat encara pot iniciar sessió al portal amb el seu usuari.", "departed-still-active"),
    ("is", "Lykilorðið að API-inu okkar lak á GitHub og er nú opinbert.", "credentials-exposed"),
    ("is", "Við sjáum nöfn og heimilisföng viðskiptavina annars fyrirtækis í kerfinu okkar.", "cross-tenant-data"),
    ("is", "Fyrrverandi starfsmaður getur enn skráð sig inn í kerfið með sínum aðgangi.", "departed-still-active"),
    ("af", "Ons API wagwoord het op GitHub uitgelek en is nou publiek.", "credentials-exposed"),
    ("af", "Ons sien die name en adresse van kliënte van 'n ander maatskappy in ons rekening.", "cross-tenant-data"),
    ("af", "'n Oud-werknemer kan nog steeds op die stelsel inteken.", "departed-still-active"),
    ("sw", "Nenosiri la API yetu limevuja kwenye GitHub na sasa liko hadharani.", "credentials-exposed"),
    ("sw", "Tunaona majina na namba za simu za wateja wa kampuni nyingine kwenye akaunti yetu.", "cross-tenant-data"),
    ("sw", "Mfanyakazi wa zamani aliyeacha kazi bado anaweza kuingia kwenye mfumo.", "departed-still-active"),
]

# Routine: a how-to (some "not urgent"), a copy of an invoice, "thanks, it is resolved / works again".
HARMLESS = [
    ("ca", "Hola, com puc afegir un usuari nou? Gràcies."),
    ("ca", "Com es canvia el logo de les etiquetes? No és urgent."),
    ("ca", "Em podríeu enviar una còpia de la factura de març?"),
    ("ca", "Gràcies, ja funciona, les comandes tornen a entrar."),
    ("ca", "Moltes gracies, tot funciona be de nou."),
    ("is", "Halló, hvernig get ég bætt við nýjum notanda? Takk."),
    ("is", "Hvernig breyti ég merkinu á sendingarmiðunum? Ekkert liggur á."),
    ("is", "Gætuð þið sent mér afrit af reikningnum fyrir mars?"),
    ("is", "Takk, þetta virkar aftur og pantanirnar koma inn."),
    ("is", "Takk fyrir, allt virkar nuna."),
    ("af", "Hallo, hoe voeg ek 'n nuwe gebruiker by? Dankie."),
    ("af", "Hoe verander ek die logo op die etikette? Nie dringend nie."),
    ("af", "Kan u asseblief vir ons 'n afskrif van die faktuur vir Maart stuur?"),
    ("af", "Dankie, dit werk weer en die bestellings kom deur."),
    ("af", "Thanks, alles werk weer, julle kan die kaartjie toemaak."),
    ("sw", "Habari, nawezaje kuongeza mtumiaji mpya? Asante."),
    ("sw", "Jinsi ya kubadilisha logo kwenye lebo? Si haraka."),
    ("sw", "Tafadhali tutumie nakala ya ankara ya mwezi Machi."),
    ("sw", "Asante, tatizo limetatuliwa na oda zetu zinaingia tena."),
    ("sw", "Asante sana, system inafanya kazi sasa."),
]
