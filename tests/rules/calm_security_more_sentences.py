"""Calm security reports and routine tickets with alarming words in fourteen more languages
(Hungarian, Romanian, Bulgarian, Ukrainian, Russian, Lithuanian, Latvian, Estonian, Slovak,
Slovenian, Croatian, Serbian in Latin and Cyrillic script, Greek, Turkish), for
tests/rules/test_calm_security.py, as tests/rules/calm_security_sentences.py does for twelve.

Each report is what an office worker who is not technical writes: what they saw, a few
sentences, no "hacked", no "urgent": a user nobody here knows who exported the address book, a
sign-in from a country nobody has been to, a driver who left in spring and still logs in, a
password that sits in a link or a shared chat, a payout account that is not the one in the
contract, another company's parcels and recipients in one's own list. Each must be critical with
the security category and the signal its meaning calls for. The routine tickets use the same
alarming words (a leaver to deactivate, our own new bank account, a security questionnaire, one's
own forgotten password, a penetration test next week) and must be left alone.

Written for this test (none comes from a labelled set), some with their accents and some typed
without, as people do.
"""

from __future__ import annotations

MORE_LANGUAGES = ("hu", "ro", "bg", "uk", "ru", "lt", "lv", "et", "sk", "sl", "hr", "sr", "el", "tr")

# (language, text, the security signal it must show)
SECURITY = [
    # -- Hungarian --------------------------------------------------------------------------------
    ("hu", "Jó napot! Ma reggel a felhasználók között találtunk egy új adminisztrátort „mkovacs88” néven. Ilyen nevű "
           "munkatársunk nincs, és nálunk senki sem hozta létre. Az eseménynapló szerint tegnap este valaki "
           "exportálta vele a teljes címlistát.",
     "unknown-actor"),
    ("hu", "A fiókom biztonsági értesítései között láttam egy bejelentkezést ma hajnali 3 órakor, Vietnámból. Soha "
           "nem jártam Vietnámban, és akkor aludtam. A jelszavamat már megváltoztattam, de kérem, nézzék meg, mit "
           "csinált a fiókban.",
     "sign-in-from-abroad"),
    ("hu", "Péter, a volt raktárvezetőnk március végén kilépett a cégtől. Most láttuk, hogy tegnap délután még "
           "mindig bejelentkezett a rendszerbe a saját felhasználójával. Azt hittük, a fiókja már régen le van "
           "tiltva.",
     "departed-still-active"),
    ("hu", "Az egyik kolléga tegnap bemásolta az API kulcsunkat a közös Messenger-csoportunkba. A csoportban külsős "
           "fuvarozók is benne vannak, így bárki láthatja. Kérjük, segítsenek, mi a teendő.",
     "credentials-exposed"),
    ("hu", "A partnerfelületen a kimenő szállítmányaink listájában egy másik cég csomagjai is megjelennek, a "
           "címzettek nevével, címével és telefonszámával. Ezek nem a mi ügyfeleink. Ez normális?",
     "cross-tenant-data"),
    ("hu", "Az utánvétes összegek kifizetésére megadott bankszámlaszám a felületen most más, mint ami a "
           "szerződésünkben szerepel. Mi nem módosítottuk. A múlt heti utalás sem érkezett meg hozzánk.",
     "payment-details-changed"),
    # -- Romanian ---------------------------------------------------------------------------------
    ("ro", "Bună ziua. Astăzi am observat în cont un utilizator nou cu drepturi de administrator, „dan.popescu77”. "
           "Nu avem niciun angajat cu acest nume și nimeni de la noi nu l-a creat. În istoricul de activitate "
           "apare că ieri seară cineva a descărcat cu el lista de destinatari.",
     "unknown-actor"),
    ("ro", "Am primit un e-mail că s-a făcut o autentificare în contul meu la ora 4 dimineața din Brazilia. Nu am "
           "fost niciodată în Brazilia și la ora aceea dormeam. Am schimbat parola, dar vă rog să verificați ce "
           "s-a întâmplat.",
     "sign-in-from-abroad"),
    ("ro", "Un fost coleg de la depozit a plecat din firmă în aprilie. Astăzi am văzut că încă se loghează în "
           "aplicație cu contul lui și vede comenzile noastre. Credeam că accesul lui a fost oprit.",
     "departed-still-active"),
    ("ro", "Am observat că linkul de urmărire pe care îl trimiteți clienților conține cheia API a contului nostru, "
           "vizibilă direct în URL. Oricine primește linkul o poate copia. Vă rog să ne spuneți ce facem.",
     "credentials-exposed"),
    ("ro", "În contul nostru IBAN-ul pentru plata rambursurilor a fost schimbat cu unul pe care nu îl cunoaștem. "
           "Nu noi am făcut modificarea. Banii de săptămâna trecută nu au ajuns la noi.",
     "payment-details-changed"),
    # -- Bulgarian --------------------------------------------------------------------------------
    ("bg", "Здравейте. В профила ни се появи нов потребител с права на администратор, когото не познаваме. Никой "
           "от нас не го е създавал. В историята на действията се вижда, че вчера е изтеглил списъка с "
           "получатели.",
     "unknown-actor"),
    ("bg", "Получих известие за вход в моя акаунт в 3 часа през нощта от Бразилия. Никога не съм бил в Бразилия и "
           "тогава спях. Смених паролата, но моля проверете какво е правено.",
     "sign-in-from-abroad"),
    ("bg", "Бивш служител, който напусна фирмата през март, все още влиза в системата със своя потребител. Вчера "
           "е влизал два пъти. Мислехме, че достъпът му е спрян.",
     "departed-still-active"),
    ("bg", "В списъка с пратки виждаме пратки на друга фирма, с имената, адресите и телефоните на получателите. "
           "Тези пратки не са наши и нямаме нищо общо с тази фирма.",
     "cross-tenant-data"),
    ("bg", "Банковата сметка за изплащане на наложените платежи в профила ни е сменена с друга, която не е "
           "нашата. Ние не сме правили промяна. Парите от миналата седмица не са пристигнали.",
     "payment-details-changed"),
    # -- Ukrainian --------------------------------------------------------------------------------
    ("uk", "Добрий день. У нашому кабінеті з'явився новий користувач з правами адміністратора, якого ніхто з нас "
           "не знає. Ми його не створювали. В журналі подій видно, що вчора ввечері він експортував список "
           "одержувачів.",
     "unknown-actor"),
    ("uk", "Мені прийшло сповіщення про вхід у мій акаунт о третій ночі з Бразилії. Я ніколи не був у Бразилії і "
           "в цей час спав. Пароль я вже змінив, але прошу перевірити, що там робили.",
     "sign-in-from-abroad"),
    ("uk", "Наш колишній водій звільнився ще в березні. Сьогодні ми побачили, що він досі заходить у додаток під "
           "своїм логіном і бачить замовлення. Ми думали, що його доступ закрили.",
     "departed-still-active"),
    ("uk", "Колега випадково надіслав пароль від нашого кабінету в загальний чат у Viber, де є водії інших "
           "перевізників. Повідомлення вже видалили, але його встигли прочитати.",
     "credentials-exposed"),
    ("uk", "У розділі відправлень ми бачимо посилки іншої компанії: прізвища, адреси й телефони отримувачів. Це "
           "не наші клієнти, ми з цією компанією не працюємо. Чи це нормально?",
     "cross-tenant-data"),
    # -- Russian ----------------------------------------------------------------------------------
    ("ru", "Здравствуйте. В нашем личном кабинете появился пользователь «a.smirnov_22», которого мы не знаем. "
           "Никто из нас его не создавал. В журнале действий видно, что он вчера выгрузил список всех "
           "получателей.",
     "unknown-actor"),
    ("ru", "Пришло уведомление о входе в мою учётную запись в 3 часа ночи из Бразилии. Я никогда не был в "
           "Бразилии и в это время спал. Пароль я сменил, но посмотрите, пожалуйста, что там делали.",
     "sign-in-from-abroad"),
    ("ru", "Сотрудница, которая уволилась в апреле, до сих пор заходит в систему под своим логином. Вчера она "
           "открывала наши заказы. Мы думали, что её учётную запись отключили.",
     "departed-still-active"),
    ("ru", "В ссылке для отслеживания, которую вы отправляете получателям, виден наш API-ключ прямо в адресе. "
           "Любой, кто получил ссылку, может его скопировать. Подскажите, что нам делать.",
     "credentials-exposed"),
    ("ru", "Номер счёта для выплат наложенного платежа в кабинете изменили на другой, не тот, что в договоре. Мы "
           "ничего не меняли. Деньги за прошлую неделю к нам не пришли.",
     "payment-details-changed"),
    # -- Lithuanian -------------------------------------------------------------------------------
    ("lt", "Laba diena. Mūsų paskyroje atsirado naujas vartotojas su administratoriaus teisėmis, kurio nepažįstame. "
           "Niekas iš mūsų jo nesukūrė. Veiksmų žurnale matyti, kad vakar jis eksportavo gavėjų sąrašą.",
     "unknown-actor"),
    ("lt", "Gavau pranešimą apie prisijungimą prie mano paskyros 3 valandą nakties iš Brazilijos. Niekada nebuvau "
           "Brazilijoje ir tuo metu miegojau. Slaptažodį jau pakeičiau, bet prašau patikrinti, kas buvo daroma.",
     "sign-in-from-abroad"),
    ("lt", "Buvęs darbuotojas išėjo iš įmonės kovo mėnesį, bet vis dar prisijungia prie sistemos su savo "
           "vartotoju. Vakar jis peržiūrėjo mūsų užsakymus. Maniau, kad jo prieiga jau išjungta.",
     "departed-still-active"),
    ("lt", "Kolega per klaidą išsiuntė mūsų API raktą visiems tiekėjams bendru laišku. Laiškas jau išsiųstas, "
           "atšaukti negalime. Ką turėtume daryti?",
     "credentials-exposed"),
    ("lt", "Siuntų sąraše matome kitos įmonės siuntas su gavėjų vardais, adresais ir telefono numeriais. Tai ne "
           "mūsų klientai, su ta įmone neturime nieko bendro.",
     "cross-tenant-data"),
    # -- Latvian ----------------------------------------------------------------------------------
    ("lv", "Labdien. Mūsu kontā parādījās jauns lietotājs ar administratora tiesībām, kuru mēs nepazīstam. Neviens "
           "no mums viņu neizveidoja. Notikumu žurnālā redzams, ka vakar viņš eksportēja saņēmēju sarakstu.",
     "unknown-actor"),
    ("lv", "Saņēmu paziņojumu, ka manā kontā naktī plkst. 3 pieteicās kāds no Brazīlijas, bet es tur nekad "
           "neesmu bijis un tajā laikā gulēju. Paroli jau nomainīju, bet lūdzu pārbaudiet, kas tika darīts.",
     "sign-in-from-abroad"),
    ("lv", "Bijušais darbinieks aizgāja no uzņēmuma martā, bet joprojām pieslēdzas sistēmai ar savu lietotāju. "
           "Vakar viņš skatījās mūsu pasūtījumus. Domājām, ka viņa piekļuve ir slēgta.",
     "departed-still-active"),
    ("lv", "Izsekošanas saitē, ko jūs sūtāt saņēmējiem, ir redzama mūsu API atslēga tieši adresē. Jebkurš, kas "
           "saņem saiti, var to nokopēt. Lūdzu, pasakiet, ko darīt.",
     "credentials-exposed"),
    ("lv", "Sūtījumu sarakstā redzam citas firmas sūtījumus ar saņēmēju vārdiem, adresēm un tālruņa numuriem. Tie "
           "nav mūsu klienti, ar šo firmu mums nav nekāda sakara.",
     "cross-tenant-data"),
    # -- Estonian ---------------------------------------------------------------------------------
    ("et", "Tere. Meie kontole ilmus uus administraatori õigustega kasutaja, keda me ei tunne. Keegi meist ei "
           "loonud seda. Tegevuste logist on näha, et eile õhtul eksportis ta saajate nimekirja.",
     "unknown-actor"),
    ("et", "Sain teate, et minu kontole logiti sisse kell 3 öösel Brasiiliast. Brasiilias pole ma kunagi käinud ja "
           "sel ajal ma magasin. Parooli vahetasin juba ära, aga palun kontrollige, mida seal tehti.",
     "sign-in-from-abroad"),
    ("et", "Meie endine töötaja lahkus firmast märtsis, aga logib ikka veel oma kasutajaga süsteemi sisse. Eile "
           "vaatas ta meie tellimusi. Arvasime, et tema ligipääs on ammu suletud.",
     "departed-still-active"),
    ("et", "Kolleeg saatis kogemata meie API võtme kõigile vedajatele ühise e-kirjaga. Kirja tagasi võtta ei saa. "
           "Mida me peaksime tegema?",
     "credentials-exposed"),
    ("et", "Saadetiste nimekirjas näeme teise firma saadetisi koos saajate nimede, aadresside ja "
           "telefoninumbritega. Need pole meie kliendid, selle firmaga pole meil mingit pistmist.",
     "cross-tenant-data"),
    # -- Slovak -----------------------------------------------------------------------------------
    ("sk", "Dobrý deň, v našom účte sa objavil nový používateľ s administrátorskými právami, ktorého nepoznáme. Nikto "
           "z nás ho nevytvoril. V histórii zmien vidno, že včera večer exportoval zoznam príjemcov.",
     "unknown-actor"),
    ("sk", "Prišlo mi upozornenie, že sa niekto prihlásil do môjho účtu o tretej v noci z Brazílie. V Brazílii som "
           "nikdy nebol a v tom čase som spal. Heslo som už zmenil, ale prosím pozrite sa, čo sa tam robilo.",
     "sign-in-from-abroad"),
    ("sk", "Bývalý kolega zo skladu odišiel z firmy v marci, ale stále sa prihlasuje do systému pod svojím menom. "
           "Včera si prezeral naše objednávky. Mysleli sme, že jeho prístup je dávno zrušený.",
     "departed-still-active"),
    ("sk", "Kolegyňa omylom poslala heslo k nášmu účtu do spoločného chatu na WhatsAppe, kde sú aj vodiči iných "
           "dopravcov. Správu sme zmazali, ale teraz sa môže ktokoľvek z tej skupiny prihlásiť do nášho účtu.",
     "credentials-exposed"),
    ("sk", "Číslo účtu na vyplácanie dobierok niekto zmenil a je teraz iné ako v našej zmluve. My sme ho "
           "nemenili. Peniaze za minulý týždeň nám neprišli.",
     "payment-details-changed"),
    # -- Slovenian --------------------------------------------------------------------------------
    ("sl", "Pozdravljeni. V našem računu se je pojavil nov uporabnik s skrbniškimi pravicami, ki ga ne poznamo. "
           "Nihče od nas ga ni ustvaril. V dnevniku dogodkov vidimo, da je včeraj nekdo izvozil seznam prejemnikov.",
     "unknown-actor"),
    ("sl", "Ponoči ob treh je bila prijava v moj račun iz Brazilije. Tam nisem bil še nikoli in ob tej uri sem "
           "spal. Geslo sem že zamenjal, prosim preverite, kaj se je delalo.",
     "sign-in-from-abroad"),
    ("sl", "Bivši sodelavec je podjetje zapustil marca, a se še vedno prijavlja v sistem s svojim uporabnikom. "
           "Včeraj je pregledoval naša naročila. Mislili smo, da je njegov dostop že ukinjen.",
     "departed-still-active"),
    ("sl", "Sodelavec je po pomoti poslal naš API ključ vsem prevoznikom v skupnem e-poštnem sporočilu. Sporočila "
           "ne moremo več preklicati. Kaj naj naredimo?",
     "credentials-exposed"),
    ("sl", "Na seznamu pošiljk vidimo pošiljke drugega podjetja, z imeni, naslovi in telefonskimi številkami "
           "prejemnikov. To niso naše stranke, s tem podjetjem nimamo nič.",
     "cross-tenant-data"),
    # -- Croatian ---------------------------------------------------------------------------------
    ("hr", "Poštovani, u našem računu pojavio se novi korisnik s administratorskim ovlastima kojeg ne poznajemo. "
           "Nitko od nas ga nije otvorio. U povijesti aktivnosti vidi se da je jučer navečer netko "
           "izvezao popis primatelja.",
     "unknown-actor"),
    ("hr", "Dobio sam obavijest da se netko prijavio na moj račun u 3 sata ujutro iz Brazila. Nikad nisam bio u "
           "Brazilu i u to vrijeme sam spavao. Lozinku sam već promijenio, ali molim provjerite što se radilo.",
     "sign-in-from-abroad"),
    ("hr", "Bivši djelatnik otišao je iz tvrtke u ožujku. I dalje se prijavljuje u sustav svojim korisničkim imenom, "
           "jučer je pregledavao naše narudžbe. Mislili smo da je njegov pristup ukinut.",
     "departed-still-active"),
    ("hr", "Netko je promijenio broj računa za isplatu pouzeća i sada nije onaj iz ugovora. Mi ga nismo mijenjali. "
           "Novac za prošli tjedan nije stigao na naš račun.",
     "payment-details-changed"),
    # -- Serbian (Latin and Cyrillic) -------------------------------------------------------------
    ("sr", "Poštovani, na našem nalogu se pojavio novi korisnik sa administratorskim pravima koga ne poznajemo. Niko "
           "od nas ga nije napravio. U istoriji aktivnosti vidi se da je juče preuzeo spisak primalaca.",
     "unknown-actor"),
    ("sr", "U spisku pošiljki vidimo pošiljke druge firme, sa imenima, adresama i brojevima telefona primalaca. To "
           "nisu naši kupci i sa tom firmom nemamo nikakve veze.",
     "cross-tenant-data"),
    ("sr", "Поштовани, на нашем налогу се појавио нови корисник са администраторским правима кога не познајемо. "
           "Нико од нас га није направио. У историји активности види се да је јуче преузео списак прималаца.",
     "unknown-actor"),
    ("sr", "Добио сам обавештење о пријави на мој налог у 3 ујутру из Бразила. Никада нисам био у Бразилу и тада "
           "сам спавао. Лозинку сам већ променио, али молим вас проверите шта је рађено.",
     "sign-in-from-abroad"),
    ("sr", "Бивши запослени је напустио фирму у марту, али се и даље пријављује у систем са својим корисничким "
           "именом. Јуче је прегледао наше поруџбине. Мислили смо да му је приступ укинут.",
     "departed-still-active"),
    ("sr", "Колега је грешком послао нашу лозинку у заједничку Вајбер групу у којој су и возачи других превозника. "
           "Поруку смо обрисали, али су је неки већ видели.",
     "credentials-exposed"),
    # -- Greek ------------------------------------------------------------------------------------
    ("el", "Καλησπέρα σας. Στον λογαριασμό μας εμφανίστηκε νέος χρήστης με δικαιώματα διαχειριστή, τον οποίο δεν "
           "γνωρίζουμε. Κανείς από εμάς δεν τον δημιούργησε. Στο ιστορικό ενεργειών φαίνεται ότι χθες εξήγαγε τη "
           "λίστα παραληπτών.",
     "unknown-actor"),
    ("el", "Έλαβα ειδοποίηση για σύνδεση στον λογαριασμό μου στις 3 τα ξημερώματα από τη Βραζιλία. Δεν έχω πάει ποτέ "
           "στη Βραζιλία και εκείνη την ώρα κοιμόμουν. Άλλαξα ήδη τον κωδικό, αλλά παρακαλώ ελέγξτε τι έγινε.",
     "sign-in-from-abroad"),
    ("el", "Πρώην συνάδελφος που έφυγε από την εταιρεία τον Μάρτιο συνεχίζει να συνδέεται στο σύστημα με τον δικό "
           "του χρήστη. Χθες άνοιξε τις παραγγελίες μας. Νομίζαμε ότι η πρόσβασή του είχε κλείσει.",
     "departed-still-active"),
    ("el", "Στον σύνδεσμο παρακολούθησης που στέλνετε στους παραλήπτες φαίνεται το κλειδί API του λογαριασμού μας, "
           "μέσα στη διεύθυνση. Όποιος πάρει τον σύνδεσμο μπορεί να το αντιγράψει.",
     "credentials-exposed"),
    ("el", "Ο λογαριασμός IBAN για την απόδοση των αντικαταβολών στο σύστημα έχει αλλάξει και δεν είναι αυτός του "
           "συμβολαίου μας. Εμείς δεν κάναμε καμία αλλαγή. Τα χρήματα της προηγούμενης εβδομάδας δεν ήρθαν.",
     "payment-details-changed"),
    # -- Turkish ----------------------------------------------------------------------------------
    ("tr", "Merhaba, hesabımızda yönetici yetkisine sahip yeni bir kullanıcı gördük. Bu kişiyi hiçbirimiz "
           "tanımıyoruz, kimse oluşturmadı. Sanırım hesabımıza biri girmiş. İşlem geçmişine göre bu kullanıcı dün "
           "akşam alıcı listesini dışa aktarmış.",
     "unknown-actor"),
    ("tr", "Hesabıma gece saat 3'te Brezilya'dan giriş yapıldığına dair bir bildirim aldım. Brezilya'ya hiç "
           "gitmedim, o saatte uyuyordum. Şifremi değiştirdim ama lütfen neler yapıldığını kontrol eder misiniz?",
     "sign-in-from-abroad"),
    ("tr", "Mart ayında işten ayrılan depo sorumlumuz hâlâ kendi kullanıcısıyla sisteme giriş yapıyor. Dün de "
           "siparişlerimize bakmış. Erişiminin çoktan kapatıldığını düşünüyorduk.",
     "departed-still-active"),
    ("tr", "Bir çalışma arkadaşımız yanlışlıkla API anahtarımızı tüm taşeron şoförlerin olduğu WhatsApp grubuna "
           "gönderdi. Mesajı sildik ama birkaç kişi görmüş olabilir.",
     "credentials-exposed"),
    ("tr", "Kapıda ödeme tahsilatlarının aktarıldığı IBAN panelde değişmiş, sözleşmemizdeki hesap değil. Biz bir "
           "değişiklik yapmadık. Geçen haftanın ödemesi de hesabımıza gelmedi.",
     "payment-details-changed"),
]

# Routine tickets with the same alarming words: a leaver to deactivate, our own new bank account, a
# security questionnaire, one's own forgotten password, a penetration test we announce.
ROUTINE = [
    ("hu", "Kovács Anna március 31-ével kilépett a cégtől. Kérjük, deaktiválják a felhasználóját. Köszönjük."),
    ("hu", "Bankszámlaszámunk megváltozott, a csatolt levélben küldjük az új adatokat. Kérjük, a következő "
           "elszámolástól ezt használják."),
    ("hu", "Az egyik ügyfelünk biztonsági kérdőívet küldött. Naplózzák a külföldi bejelentkezéseket, és hogyan "
           "tárolják a jelszavakat?"),
    ("hu", "Elfelejtettem a jelszavamat, és most nem tudok bejelentkezni a rendszerbe. Kérem, küldjenek egy új "
           "linket a jelszó visszaállításához."),
    ("ro", "Doamna Ionescu a plecat din firmă la sfârșitul lunii martie. Vă rugăm să dezactivați contul ei de "
           "utilizator."),
    ("ro", "Vă rugăm să modificați contul bancar pentru decontări cu noul IBAN din scrisoarea atașată."),
    ("ro", "Completăm un chestionar de securitate pentru un client: înregistrați autentificările din străinătate și "
           "cum stocați parolele?"),
    ("ro", "Mi-am uitat parola și nu mă mai pot autentifica. Îmi puteți trimite un link de resetare?"),
    ("bg", "Колегата Иванов напусна фирмата в края на март. Моля деактивирайте неговия потребител."),
    ("bg", "Моля сменете банковата ни сметка с новата, посочена в приложеното писмо."),
    ("bg", "Попълваме въпросник за сигурност от клиент: записвате ли влизанията от чужбина и как съхранявате "
           "паролите?"),
    ("bg", "Забравих паролата си и не мога да вляза. Можете ли да ми изпратите линк за нулиране?"),
    ("uk", "Наша співробітниця Олена звільнилася наприкінці березня. Прошу деактивувати її обліковий запис."),
    ("uk", "Просимо змінити наші банківські реквізити на нові, вказані в листі у вкладенні."),
    ("uk", "Заповнюємо анкету з безпеки від клієнта: чи фіксуєте ви входи з-за кордону і як зберігаються паролі?"),
    ("uk", "Я забув пароль і не можу увійти. Надішліть, будь ласка, посилання для скидання."),
    ("ru", "Наш сотрудник Петров уволился в конце марта, просим деактивировать его учётную запись."),
    ("ru", "Просим изменить наши банковские реквизиты на новые, указанные в приложенном письме."),
    ("ru", "Заполняем анкету по безопасности от клиента: фиксируете ли вы входы из-за границы и как храните "
           "пароли?"),
    ("ru", "На следующей неделе наш подрядчик проводит пентест нашего сайта. Предупреждаем заранее, чтобы вы не "
           "удивлялись попыткам входа."),
    ("lt", "Darbuotoja Rūta išėjo iš įmonės kovo pabaigoje. Prašome deaktyvuoti jos vartotoją."),
    ("lt", "Prašome pakeisti mūsų banko sąskaitą į naują, nurodytą pridėtame laiške."),
    ("lt", "Pildome kliento saugumo klausimyną: ar registruojate prisijungimus iš užsienio ir kaip saugomi "
           "slaptažodžiai?"),
    ("lv", "Mūsu darbiniece Anna aizgāja no uzņēmuma marta beigās. Lūdzu, deaktivizējiet viņas lietotāju."),
    ("lv", "Lūdzu, nomainiet mūsu bankas kontu uz jauno, kas norādīts pielikumā."),
    ("lv", "Es aizmirsu paroli un nevaru pieteikties. Lūdzu, atsūtiet saiti paroles atiestatīšanai."),
    ("et", "Meie töötaja Mari lahkus ettevõttest märtsi lõpus. Palun deaktiveerige tema kasutaja."),
    ("et", "Palun muutke meie pangakonto uueks, andmed on lisatud kirjas."),
    ("et", "Täidame kliendi turvaküsimustikku: kas logite välismaalt tehtud sisselogimisi ja kuidas paroole "
           "hoitakse?"),
    ("sk", "Pani Horváthová od nás odišla koncom marca, prosím deaktivujte jej používateľa."),
    ("sk", "Prosíme o zmenu nášho bankového účtu na nové číslo účtu podľa priloženého listu."),
    ("sk", "Zabudol som heslo a neviem sa prihlásiť. Môžete mi poslať odkaz na jeho obnovenie?"),
    ("sl", "Sodelavka Maja je podjetje zapustila konec marca. Prosimo, deaktivirajte njen uporabniški račun."),
    ("sl", "Prosimo, spremenite naš transakcijski račun na novega, navedenega v priloženem dopisu."),
    ("sl", "Pozabil sem geslo in se ne morem prijaviti. Mi lahko pošljete povezavo za ponastavitev?"),
    ("hr", "Kolegica Ana napustila je tvrtku krajem ožujka. Molimo deaktivirajte njezin korisnički račun."),
    ("hr", "Molimo promijenite naš bankovni račun na novi IBAN iz priloženog dopisa."),
    ("hr", "Ispunjavamo sigurnosni upitnik za klijenta: bilježite li prijave iz inozemstva i kako čuvate lozinke?"),
    ("sr", "Koleginica Jelena je napustila firmu krajem marta. Molimo deaktivirajte njen korisnički nalog."),
    ("sr", "Молимо вас да промените наш текући рачун на нови, наведен у приложеном допису."),
    ("sr", "Заборавио сам лозинку и не могу да се пријавим. Можете ли да ми пошаљете линк за ресетовање?"),
    ("el", "Η συνάδελφος Μαρία αποχώρησε από την εταιρεία στα τέλη Μαρτίου. Παρακαλώ απενεργοποιήστε τον χρήστη "
           "της."),
    ("el", "Παρακαλούμε αλλάξτε τον τραπεζικό μας λογαριασμό με το νέο IBAN της συνημμένης επιστολής."),
    ("el", "Ξέχασα τον κωδικό μου και δεν μπορώ να συνδεθώ. Μπορείτε να μου στείλετε σύνδεσμο επαναφοράς;"),
    ("tr", "Çalışanımız Ayşe Hanım mart sonunda işten ayrıldı. Kullanıcısını pasife alabilir misiniz?"),
    ("tr", "Banka hesabımız değişti, yeni IBAN bilgimiz ekteki yazıda. Bir sonraki ödemeden itibaren bu hesabı "
           "kullanmanızı rica ederiz."),
    ("tr", "Müşterimiz için bir güvenlik anketi dolduruyoruz: yurt dışından yapılan girişleri kayıt altına alıyor "
           "musunuz ve şifreleri nasıl saklıyorsunuz?"),
]
