"""The shipped lexicons read the fifteen languages added after the Nordic, Polish and Czech ones.

Turkish, Ukrainian, Russian, Arabic, Lithuanian, Latvian, Estonian, Hungarian, Romanian, Greek,
Hindi (Devanagari and romanised), Slovak, Slovenian, Croatian/Serbian and Bulgarian customers
write to support too. These sentences are written for this test (none comes from a labelled set),
some with their accents and some typed without, as people do: an outage told by what it holds up
(orders or labels not coming, trucks and couriers waiting) must be critical with a workflow signal,
a leaked password, another company's data or a former employee still logging in must be a
critical security incident, and a how-to, a copy of an invoice or a "thanks, it works again" must
be left alone, in every one of these languages.
"""

from __future__ import annotations

import pytest
import yaml

from rules import RuleSet
from tests.rules import ca_is_af_sw_sentences as ca_is_af_sw
from tests.rules import chinese_sentences as zh
from tests.rules import japanese_korean_sentences as ja_ko
from tests.rules import sea_he_sentences as sea_he
from tests.rules import thai_sentences as th
from tests.rules.corpus import ROOT, load_default_ruleset
from tests.rules.helpers import assert_left_alone, assert_security_incident, decide_customer_text

NEW_LANGUAGES = ("tr", "uk", "ru", "ar", "lt", "lv", "et", "hu", "ro", "el", "hi", "sk", "sl", "hr", "bg")

_CONCEPTS = yaml.safe_load((ROOT / "rules" / "lexicons.yaml").read_text(encoding="utf-8"))["concepts"]
# The concepts a ticket is judged by in other languages than English: those with German words.
GERMAN_CONCEPTS = sorted(name for name, terms in _CONCEPTS.items() if isinstance(terms, dict) and "de" in terms)

# Nothing is coming in or nothing prints, and the operation is held up (trucks, drivers, couriers waiting).
OUTAGE = [
    ("tr", "Sabahtan beri hiçbir sipariş sisteme düşmüyor, kamyonlar rampada bekliyor."),
    ("tr", "Etiketler yazdirilamiyor, kuryeler depoda bekliyor. Acil!"),
    ("tr", "Kuryeler bekliyor, hicbir gonderi etiketi olusmuyor."),
    ("uk", "З ранку не надходить жодне замовлення, вантажівки стоять і чекають."),
    ("uk", "Етикетки не друкуються, кур'єри чекають на складі вже годину."),
    ("uk", "Вантажівки стоять, жодна етикетка не друкується з самого ранку."),
    ("ru", "С утра не приходит ни один заказ, фуры стоят на рампе и ждут."),
    ("ru", "Этикетки не печатаются, курьеры ждут на складе, отгрузка стоит."),
    ("ar", "من الصباح لا تصل أي طلبات إلى النظام، والشاحنات تنتظر في المستودع."),
    ("ar", "الليبلات مش بتطبع خالص والمناديب مستنيين في المخزن."),
    ("ar", "الملصقات لا تطبع منذ الصباح والسائقون ينتظرون."),
    ("lt", "Nuo ryto neateina jokie užsakymai, vilkikai stovi ir laukia."),
    ("lt", "Lipdukai nespausdinami, kurjeriai laukia sandelyje."),
    ("lt", "Nuo ryto neateina joks uzsakymas, vairuotojai laukia prie rampos."),
    ("lv", "Kopš rīta nepienāk neviens pasūtījums, kravas auto stāv un gaida."),
    ("lv", "Uzlimes netiek drukatas, kurjeri gaida noliktava."),
    ("et", "Alates hommikust ei tule ühtegi tellimust sisse, autod seisavad rampide juures ja ootavad."),
    ("et", "Silte ei saa printida, kullerid ootavad laos juba tund aega."),
    ("et", "Sildid ei prindi välja, kullerid ootavad."),
    ("hu", "Reggel óta egyetlen rendelés sem érkezik be, a kamionok állnak és várnak."),
    ("hu", "Nem nyomtatodnak a cimkek, a futarok a raktarban varnak."),
    ("hu", "Reggel ota nem jon egy rendeles sem, a soforok varnak."),
    ("ro", "De azi dimineață nu mai intră nicio comandă, camioanele stau și așteaptă la rampă."),
    ("ro", "Etichetele nu se mai printeaza, curierii asteapta in depozit."),
    ("ro", "Șoferii așteaptă la rampă, nu se generează nicio etichetă de azi dimineață."),
    ("el", "Από το πρωί δεν έρχεται καμία παραγγελία, τα φορτηγά περιμένουν στη ράμπα."),
    ("el", "Οι ετικέτες δεν εκτυπώνονται και οι κούριερ περιμένουν στην αποθήκη."),
    ("el", "Οι οδηγοί περιμένουν, καμία ετικέτα δεν εκτυπώνεται από το πρωί."),
    ("hi", "सुबह से एक भी ऑर्डर नहीं आ रहा है, सारे ट्रक खड़े इंतज़ार कर रहे हैं।"),
    ("hi", "लेबल प्रिंट नहीं हो रहे, ड्राइवर इंतज़ार कर रहे हैं।"),
    ("hi", "Subah se labels print nahi ho rahe, courier wale warehouse mein wait kar rahe hain."),
    ("sk", "Od rána neprichádzajú žiadne objednávky, kamióny stoja a čakajú."),
    ("sk", "Stitky sa netlacia, kurieri cakaju v sklade."),
    ("sk", "Od rana neprisla ziadna objednavka, vodici cakaju na rampe."),
    ("sl", "Od jutra ne pride nobeno naročilo, tovornjaki stojijo in čakajo."),
    ("sl", "Nalepke se ne tiskajo, kurirji cakajo v skladiscu."),
    ("hr", "Od jutra ne stiže nijedna narudžba, kamioni stoje i čekaju."),
    ("hr", "Nalepnice se ne stampaju, kuriri cekaju u magacinu."),
    ("hr", "Od rana ne dolaze nikakve narudzbe, vozaci cekaju na rampi."),
    ("bg", "От сутринта не идва нито една поръчка, камионите чакат на рампата."),
    ("bg", "Етикетите не се печатат, куриерите чакат в склада."),
    ("bg", "Водителите чакат, етикетите не се печатат от сутринта."),
]

# A password or key exposed in public, another company's data in one's own account, or someone
# who left still logging in; with the signal its meaning calls for.
SECURITY = [
    ("tr", "API şifremiz GitHub'a sızdı, herkes görebiliyor.", "credentials-exposed"),
    ("tr", "Panelde başka bir firmanın müşteri adreslerini ve faturalarını görüyoruz.", "cross-tenant-data"),
    ("tr", "Isten ayrilan bir calisanimiz hala sisteme giris yapiyor.", "departed-still-active"),
    ("tr", "Eski bir calisanin sifresi forumda paylasilmis, herkes gorebiliyor.", "credentials-exposed"),
    ("tr", "Bizim hesapta baska firmanin siparislerini goruyoruz.", "cross-tenant-objects"),
    ("uk", "Наш пароль до API потрапив у відкритий доступ на GitHub.", "credentials-exposed"),
    ("uk", "Ми бачимо замовлення та адреси клієнтів іншої компанії у своєму кабінеті.", "cross-tenant-data"),
    ("uk", "Колишній працівник досі заходить у систему під своїм логіном.", "departed-still-active"),
    ("ru", "Наш API-ключ утёк в открытый доступ на GitHub.", "credentials-exposed"),
    ("ru", "Бывший сотрудник до сих пор заходит в систему под своей учёткой.", "departed-still-active"),
    ("ru", "В личном кабинете видим заказы и адреса клиентов другой компании.", "cross-tenant-data"),
    ("ar", "تسربت كلمة المرور الخاصة بالـ API على GitHub وأصبحت متاحة للجميع.", "credentials-exposed"),
    ("ar", "نرى طلبات وعناوين عملاء شركة أخرى في حسابنا.", "cross-tenant-data"),
    ("ar", "موظف سابق ترك الشركة لا يزال يسجل الدخول إلى حسابنا.", "departed-still-active"),
    ("lt", "Mūsų API slaptažodis nutekėjo į GitHub.", "credentials-exposed"),
    ("lt", "Matome kitos įmonės klientų adresus ir sąskaitas savo paskyroje.", "cross-tenant-data"),
    ("lt", "Buvęs darbuotojas vis dar prisijungia prie sistemos.", "departed-still-active"),
    ("lv", "Mūsu API parole ir noplūdusi publiskā GitHub repozitorijā.", "credentials-exposed"),
    ("lv", "Bijušais darbinieks joprojām pieslēdzas sistēmai.", "departed-still-active"),
    ("lv", "Savā kontā redzam citas firmas klientu adreses un rēķinus.", "cross-tenant-data"),
    ("et", "Meie API parool lekkis avalikult GitHubi.", "credentials-exposed"),
    ("et", "Näeme oma kontol teise ettevõtte klientide aadresse ja arveid.", "cross-tenant-data"),
    ("et", "Endine töötaja logib ikka veel meie kontole sisse.", "departed-still-active"),
    ("hu", "Az API jelszavunk kiszivárgott a GitHubra.", "credentials-exposed"),
    ("hu", "Egy másik cég ügyfeleinek címeit és számláit látjuk a fiókunkban.", "cross-tenant-data"),
    ("hu", "Egy volt munkatársunk még mindig be tud jelentkezni a rendszerbe.", "departed-still-active"),
    ("ro", "Parola noastră de API a fost publicată pe GitHub.", "credentials-exposed"),
    ("ro", "Vedem comenzile și adresele clienților altei firme în contul nostru.", "cross-tenant-data"),
    ("ro", "Un fost angajat inca se logheaza in platforma cu contul lui.", "departed-still-active"),
    ("el", "Ο κωδικός του API μας διέρρευσε δημόσια στο GitHub.", "credentials-exposed"),
    ("el", "Βλέπουμε παραγγελίες και διευθύνσεις πελατών άλλης εταιρείας στον λογαριασμό μας.", "cross-tenant-data"),
    ("el", "Πρώην υπάλληλος μας εξακολουθεί να συνδέεται στην πλατφόρμα.", "departed-still-active"),
    ("hi", "हमारा API पासवर्ड GitHub पर लीक हो गया है।", "credentials-exposed"),
    ("hi", "Humein apne account mein dusri company ke customers ke address dikh rahe hain.", "cross-tenant-data"),
    ("hi", "Ek ex-employee jo company chhod chuka hai, abhi bhi login kar raha hai.", "departed-still-active"),
    ("sk", "Heslo k nášmu API uniklo na GitHub.", "credentials-exposed"),
    ("sk", "Bývalý zamestnanec sa stále prihlasuje do systému.", "departed-still-active"),
    ("sk", "V našom účte vidíme objednávky a adresy zákazníkov inej firmy.", "cross-tenant-data"),
    ("sl", "Naše geslo za API je javno objavljeno na GitHubu.", "credentials-exposed"),
    ("sl", "V našem računu vidimo naročila in naslove strank drugega podjetja.", "cross-tenant-data"),
    ("sl", "Bivši zaposleni se še vedno prijavlja v sistem.", "departed-still-active"),
    ("hr", "Naša API lozinka je procurila na GitHub.", "credentials-exposed"),
    ("hr", "Bivši zaposlenik se još uvijek prijavljuje u sustav.", "departed-still-active"),
    ("hr", "U našem računu vidimo narudžbe i adrese kupaca druge tvrtke.", "cross-tenant-data"),
    ("bg", "Паролата ни за API изтече публично в GitHub.", "credentials-exposed"),
    ("bg", "В профила си виждаме поръчки и адреси на клиенти на друга фирма.", "cross-tenant-data"),
    ("bg", "Бивш служител все още влиза в системата със своя акаунт.", "departed-still-active"),
]

# Routine: a how-to (some "not urgent"), a copy of an invoice, "thanks, it is resolved / works again".
HARMLESS = [
    ("tr", "Merhaba, etikete logomuzu nasıl ekleyebilirim? Acil değil."),
    ("tr", "Etiket uzerindeki logoyu nasil degistirebilirim? Acil degil."),
    ("tr", "Mart ayı faturasının bir kopyasını gönderebilir misiniz? Teşekkürler."),
    ("tr", "Şubat faturasının kopyasını rica ediyorum."),
    ("tr", "Tesekkurler, sorun cozuldu, her sey tekrar calisiyor."),
    ("tr", "Teşekkürler, sorun çözüldü, siparişler tekrar geliyor."),
    ("uk", "Добрий день, як додати нового користувача? Дякую."),
    ("uk", "Як змінити логотип на етикетці? Не терміново."),
    ("uk", "Надішліть, будь ласка, копію рахунку за березень."),
    ("uk", "Надішліть копію рахунку-фактури за лютий, дякую."),
    ("uk", "Дякую, все знову працює, питання вирішено."),
    ("uk", "Дякую, проблему вирішено, замовлення знову надходять."),
    ("ru", "Здравствуйте, подскажите, как поменять логотип на этикетке?"),
    ("ru", "Как добавить нового пользователя в личный кабинет?"),
    ("ru", "Kak dobavit novogo polzovatelya?"),
    ("ru", "Пришлите, пожалуйста, копию счёта за март."),
    ("ru", "Пришлите копию счета-фактуры за февраль, спасибо."),
    ("ru", "Спасибо, всё заработало, вопрос решён."),
    ("ru", "Спасибо, проблема решена, заказы снова приходят."),
    ("ar", "مرحبا، كيف يمكنني إضافة مستخدم جديد؟ شكرا."),
    ("ar", "كيف أغير الشعار على الملصق؟ مش مستعجل."),
    ("ar", "كيف أطبع نسخة من الفاتورة؟"),
    ("ar", "ممكن ترسلوا لنا نسخة من فاتورة شهر مارس؟"),
    ("ar", "نرجو إرسال نسخة من فاتورة شهر فبراير."),
    ("ar", "شكرا، تم حل المشكلة وكل شيء يعمل الآن."),
    ("ar", "شكرا، المشكلة اتحلت والطلبات بتوصل تاني."),
    ("lt", "Laba diena, kaip pridėti naują vartotoją? Ačiū."),
    ("lt", "Sveiki, kaip pakeisti logotipą ant lipduko? Neskubu."),
    ("lt", "Gal galite atsiųsti kovo mėnesio sąskaitos kopiją?"),
    ("lt", "Prašau atsiųsti vasario sąskaitos faktūros kopiją."),
    ("lt", "Aciu, viskas vel veikia."),
    ("lt", "Ačiū, problema išspręsta, užsakymai vėl ateina."),
    ("lv", "Labdien, kā pievienot jaunu lietotāju? Paldies."),
    ("lv", "Labdien, kā nomainīt logo uz uzlīmes? Nav steidzami."),
    ("lv", "Lūdzu, atsūtiet marta rēķina kopiju."),
    ("lv", "Lūdzu atsūtiet februāra rēķina kopiju, paldies."),
    ("lv", "Paldies, viss atkal strādā."),
    ("lv", "Paldies, problēma atrisināta, pasūtījumi atkal pienāk."),
    ("et", "Tere, kuidas saan lisada uue kasutaja? Aitäh."),
    ("et", "Kuidas muuta saatelehel logo? Ei ole kiire."),
    ("et", "Palun saatke märtsi arve koopia."),
    ("et", "Palun saatke veebruari arve koopia, aitäh."),
    ("et", "Aitah, koik tootab jalle."),
    ("et", "Aitäh, probleem on lahendatud, tellimused tulevad jälle sisse."),
    ("hu", "Jó napot, hogyan tudok új felhasználót hozzáadni? Köszönöm."),
    ("hu", "Hogyan tudom megváltoztatni a logót a címkén? Nem sürgős."),
    ("hu", "Kérem, küldjék el a márciusi számla másolatát."),
    ("hu", "Elküldenék a februári számla másolatát? Köszönöm."),
    ("hu", "Koszonom, mar minden mukodik."),
    ("hu", "Köszönöm, megoldódott, a rendelések újra beérkeznek."),
    ("ro", "Bună ziua, cum pot adăuga un utilizator nou? Mulțumesc."),
    ("ro", "Cum pot schimba logo-ul de pe eticheta? Nu e urgent."),
    ("ro", "Ne puteti trimite o copie a facturii din martie?"),
    ("ro", "Vă rog să ne trimiteți o copie a facturii din februarie."),
    ("ro", "Multumesc, totul functioneaza din nou, problema s-a rezolvat."),
    ("ro", "Mulțumim, problema a fost rezolvată, comenzile intră din nou."),
    ("el", "Καλημέρα, πώς μπορώ να προσθέσω νέο χρήστη; Ευχαριστώ."),
    ("el", "Πώς μπορώ να αλλάξω το λογότυπο στην ετικέτα; Δεν είναι επείγον."),
    ("el", "Μπορείτε να μου στείλετε αντίγραφο του τιμολογίου Μαρτίου;"),
    ("el", "Παρακαλώ στείλτε μας αντίγραφο του τιμολογίου Φεβρουαρίου."),
    ("el", "Ευχαριστω, λειτουργει ξανα κανονικα."),
    ("el", "Ευχαριστούμε, το πρόβλημα λύθηκε, οι παραγγελίες έρχονται ξανά."),
    ("hi", "नमस्ते, नया यूज़र कैसे जोड़ें? धन्यवाद।"),
    ("hi", "Label par logo kaise change karein? Urgent nahi hai."),
    ("hi", "Please March ke invoice ki copy bhej dijiye."),
    ("hi", "February ke invoice ki copy chahiye, please bhej dein."),
    ("hi", "Thanks, ab sab theek chal raha hai, issue resolve ho gaya."),
    ("hi", "Dhanyavaad, problem solve ho gaya, orders phir se aa rahe hain."),
    ("hi", "धन्यवाद, समस्या हल हो गई, ऑर्डर फिर से आ रहे हैं।"),
    ("sk", "Dobrý deň, ako pridám nového používateľa? Ďakujem."),
    ("sk", "Ako zmenim logo na stitku? Nie je to urgentne."),
    ("sk", "Môžete nám poslať kópiu faktúry za marec?"),
    ("sk", "Prosim o kopiu faktury za februar, dakujem."),
    ("sk", "Dakujem, uz to zase funguje."),
    ("sk", "Dakujem, problem je vyrieseny, objednavky uz znova chodia."),
    ("sl", "Pozdravljeni, kako dodam novega uporabnika? Hvala."),
    ("sl", "Kako spremenim logotip na nalepki? Ni nujno."),
    ("sl", "Prosim, pošljite kopijo računa za marec."),
    ("sl", "Prosimo za kopijo racuna za februar, hvala."),
    ("sl", "Hvala, zdaj spet deluje."),
    ("sl", "Hvala, tezava je odpravljena, narocila spet prihajajo."),
    ("hr", "Pozdrav, kako mogu dodati novog korisnika? Hvala."),
    ("hr", "Kako promijeniti logo na naljepnici? Nije hitno."),
    ("hr", "Molim vas pošaljite kopiju računa za ožujak."),
    ("hr", "Molim kopiju racuna za veljacu, hvala."),
    ("hr", "Hvala, sada sve ponovno radi."),
    ("hr", "Hvala, problem je rijesen, narudzbe opet stizu."),
    ("bg", "Здравейте, как да добавя нов потребител? Благодаря."),
    ("bg", "Как да сменя логото на етикета? Не е спешно."),
    ("bg", "Моля, изпратете ни копие на фактурата за март."),
    ("bg", "Моля за копие на фактура за февруари."),
    ("bg", "Благодаря, вече всичко работи."),
    ("bg", "Благодаря, проблемът е решен, поръчките пак идват."),
]

WORKFLOW_SIGNALS = {"workflow-stopped", "nobody-can"}


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_default_ruleset()


def _ids(cases: list[tuple[str, ...]]) -> list[str]:
    return [f"{case[0]}-{i}" for i, case in enumerate(cases)]


# The fifteen languages' sentences above, the five added after them (tests/rules/sea_he_sentences.py),
# the four added after those (tests/rules/ca_is_af_sw_sentences.py), Japanese and Korean
# (tests/rules/japanese_korean_sentences.py; their words are in rules/lexicons_ja_ko.yaml),
# Chinese (tests/rules/chinese_sentences.py; rules/lexicons_zh.yaml) and Thai
# (tests/rules/thai_sentences.py; rules/lexicons_th.yaml).
GROUPS = [(NEW_LANGUAGES, OUTAGE, SECURITY, HARMLESS),
          (sea_he.SEA_HE_LANGUAGES, sea_he.OUTAGE, sea_he.SECURITY, sea_he.HARMLESS),
          (ca_is_af_sw.CA_IS_AF_SW_LANGUAGES, ca_is_af_sw.OUTAGE, ca_is_af_sw.SECURITY, ca_is_af_sw.HARMLESS),
          (ja_ko.JA_KO_LANGUAGES, ja_ko.OUTAGE, ja_ko.SECURITY, ja_ko.HARMLESS),
          (zh.ZH_LANGUAGES, zh.OUTAGE, zh.SECURITY, zh.HARMLESS),
          (th.TH_LANGUAGES, th.OUTAGE, th.SECURITY, th.HARMLESS)]
ALL_OUTAGE = [case for group in GROUPS for case in group[1]]
ALL_SECURITY = [case for group in GROUPS for case in group[2]]
ALL_HARMLESS = [case for group in GROUPS for case in group[3]]


@pytest.mark.parametrize("concept", GERMAN_CONCEPTS)
def test_every_concept_with_german_words_has_every_added_language(concept) -> None:
    """A concept that speaks German (the ideas a ticket is judged by, and their counters) also has
    a list of words in each of the fifteen languages and in the nine added after them."""
    terms = _CONCEPTS[concept]
    languages = NEW_LANGUAGES + sea_he.SEA_HE_LANGUAGES + ca_is_af_sw.CA_IS_AF_SW_LANGUAGES
    missing = [lang for lang in languages if not isinstance(terms.get(lang), list) or not terms[lang]]
    assert missing == []


# Japanese and Korean, and Chinese, have files of their own (rules/default.yaml includes them after
# lexicons.yaml, their terms appended): each file's concepts, and the languages it holds.
_OWN_FILES = {name: (yaml.safe_load((ROOT / "rules" / name).read_text(encoding="utf-8"))["concepts"], languages)
              for name, languages in (("lexicons_ja_ko.yaml", ja_ko.JA_KO_LANGUAGES),
                                      ("lexicons_zh.yaml", zh.ZH_LANGUAGES),
                                      ("lexicons_th.yaml", th.TH_LANGUAGES))}


@pytest.mark.parametrize("name", sorted(_OWN_FILES))
@pytest.mark.parametrize("concept", GERMAN_CONCEPTS)
def test_every_concept_with_german_words_has_japanese_korean_chinese_and_thai(concept, name) -> None:
    """rules/lexicons_ja_ko.yaml has Japanese and Korean, rules/lexicons_zh.yaml Chinese and
    rules/lexicons_th.yaml Thai, for every concept that speaks German."""
    concepts, languages = _OWN_FILES[name]
    terms = concepts.get(concept) or {}
    missing = [lang for lang in languages if not isinstance(terms.get(lang), list) or not terms[lang]]
    assert missing == []


@pytest.mark.parametrize(("name", "language"), [("lexicons_zh.yaml", "zh"), ("lexicons_th.yaml", "th")])
def test_chinese_and_thai_files_have_only_their_lists_and_known_concepts(name, language) -> None:
    """rules/lexicons_zh.yaml only adds `zh` words, rules/lexicons_th.yaml only `th` words, to
    concepts rules/lexicons.yaml defines, each once."""
    for concept, terms in _OWN_FILES[name][0].items():
        assert concept in _CONCEPTS, concept
        assert list(terms) == [language], concept
        assert len(set(terms[language])) == len(terms[language]), concept


def test_thai_lexicons_are_included_after_the_chinese_ones() -> None:
    """rules/default.yaml includes the Thai lexicons right after the Chinese ones."""
    include = yaml.safe_load((ROOT / "rules" / "default.yaml").read_text(encoding="utf-8"))["include"]
    assert include[include.index("lexicons_zh.yaml") + 1] == "lexicons_th.yaml"


def test_every_object_has_thai_words() -> None:
    """Each shipped object (rules/logistics.yaml) has Thai words (in Thai script)."""
    objects = yaml.safe_load((ROOT / "rules" / "logistics.yaml").read_text(encoding="utf-8"))["product"]["objects"]
    missing = [name for name, terms in objects.items()
               if not any(any("\u0e01" <= ch <= "\u0e5b" for ch in str(term)) for term in terms)]
    assert missing == []


def test_japanese_and_korean_lexicons_are_included_after_the_main_one() -> None:
    """rules/default.yaml includes the Japanese and Korean lexicons right after lexicons.yaml."""
    include = yaml.safe_load((ROOT / "rules" / "default.yaml").read_text(encoding="utf-8"))["include"]
    assert include[include.index("lexicons.yaml") + 1] == "lexicons_ja_ko.yaml"


def test_japanese_and_korean_sentences_cover_five_security_signals() -> None:
    """Each language's calm security reports show at least five different security signals, and
    each language has at least six outages, six security reports and six routine tickets."""
    for lang in ja_ko.JA_KO_LANGUAGES:
        assert len({case[2] for case in ja_ko.SECURITY if case[0] == lang}) >= 5, lang
        for cases in (ja_ko.OUTAGE, ja_ko.SECURITY, ja_ko.HARMLESS):
            assert sum(case[0] == lang for case in cases) >= 6, lang


@pytest.mark.parametrize(("languages", "outage", "security", "harmless"), GROUPS,
                         ids=["fifteen", "sea-he", "ca-is-af-sw", "ja-ko", "zh", "th"])
def test_every_new_language_has_its_sentences(languages, outage, security, harmless) -> None:
    """Each language has an outage, a security incident and at least two routine requests."""
    for lang in languages:
        assert any(case[0] == lang for case in outage), lang
        assert any(case[0] == lang for case in security), lang
        assert sum(case[0] == lang for case in harmless) >= 2, lang


@pytest.mark.parametrize(("language", "text"), ALL_OUTAGE, ids=_ids(ALL_OUTAGE))
def test_nothing_coming_with_trucks_or_couriers_waiting_is_an_outage(ruleset, language, text) -> None:
    decision = decide_customer_text(ruleset, text)
    names = [hit.name for hit in decision.signals]
    assert WORKFLOW_SIGNALS.intersection(names) and "consequence" in names, decision.explain()
    assert decision.critical and decision.category == "outage", decision.explain()


@pytest.mark.parametrize(("language", "text", "signal"), ALL_SECURITY, ids=_ids(ALL_SECURITY))
def test_a_leak_another_firms_data_or_an_ex_employee_is_a_security_incident(ruleset, language, text, signal) -> None:
    assert_security_incident(decide_customer_text(ruleset, text), signal)


@pytest.mark.parametrize(("language", "text"), ALL_HARMLESS, ids=_ids(ALL_HARMLESS))
def test_routine_requests_are_left_alone(ruleset, language, text) -> None:
    assert_left_alone(decide_customer_text(ruleset, text))


# Thai counts a signal's window in characters, about four to a word: a few of its outages are
# critical without workflow-stopped (the object and the failure too far apart), and a few critical
# tickets are not flagged (tests/rules/thai_sentences.py says why). Both kept, to show the gap.
@pytest.mark.parametrize(("language", "text"), th.OUTAGE_BY_SCOPE, ids=_ids(th.OUTAGE_BY_SCOPE))
def test_thai_outages_held_up_by_scope_are_critical(ruleset, language, text) -> None:
    decision = decide_customer_text(ruleset, text)
    assert decision.critical and decision.category == "outage", decision.explain()


@pytest.mark.parametrize(("language", "text"), th.MISSED, ids=_ids(th.MISSED))
@pytest.mark.xfail(strict=True, reason="the pair of words is further apart than the window, counted in Thai characters")
def test_thai_critical_tickets_the_windows_miss(ruleset, language, text) -> None:
    assert decide_customer_text(ruleset, text).critical
