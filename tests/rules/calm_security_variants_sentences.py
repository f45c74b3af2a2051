"""Calm security reports written in the grammatical shapes the first passes left out, for
tests/rules/test_calm_security.py, as tests/rules/calm_security_third_sentences.py does for
Arabic, Hebrew and Hindi.

The lexicons listed mostly main-clause, singular, textbook forms ("er ikke våre", "de otro",
"a former employee"); customers write the same ideas as subordinate clauses ("som ikke er våre",
"die nicht uns gehören", "die niet van ons zijn"), in the plural or the other gender ("de otras",
"di altri", "de outras"), describe a company we have nothing to do with ("a firm we never worked
with", "which is not our customer"), tell that the person themself says it was not them ("he says
he did not log in", "none of us did this"), name a leaver who was a consultant, a partner or an
integrator ("ex-consultant", "the integrator we stopped working with", "after the contract
ended") doing it still ("keeps pulling", "every night still"), or a payout account changed after
a letter announcing new bank details ("bankgiro", "sort code", "cambio de cuenta"). Each is
checked for the signal it must show.

The routine tickets carry the same words in chores: adding a new carrier company, changing one's
own IBAN through the form, removing a consultant's account, asking whether other customers have a
feature, a carrier we no longer work with that still shows in a list (why "we no longer work
with" alone is no *departed* term: it is a carrier as often as a person). They must show no
security signal and be left alone.

Written for this test (none comes from a labelled set).
"""

from __future__ import annotations

# English, Chinese, Japanese and Korean join the calm languages here (the others are already among them)
VARIANT_LANGUAGES = ("en", "zh", "ja", "ko")

# (language, text, the security signal it must show)
SECURITY = [
    # -- English ----------------------------------------------------------------------------------
    ("en", "Since this morning our order list shows about 40 orders from a firm we never worked with, "
           "with their customers' names and phone numbers.",
     "cross-tenant-data"),
    ("en", "Our shipments tab lists parcels of a retailer which is not our customer, and we can open their "
           "recipients' addresses. We have no relationship with them at all.",
     "cross-tenant-objects"),
    ("en", "A new admin user called m.kowal appeared on our account last night. Not created by anyone here, "
           "and Mark says he did not log in either.",
     "unknown-actor"),
    ("en", "Someone exported the full address book from our account on Sunday at 2 am. None of us did this.",
     "unknown-actor"),
    ("en", "Our ex-consultant still logs in to the admin panel every night, his contract ended in March.",
     "departed-still-active"),
    ("en", "The integrator we stopped working with in June keeps pulling our order data through their API token.",
     "departed-still-active"),
    ("en", "We got an e-mail announcing new bank details, and since then the sort code and beneficiary on our "
           "payout account were changed. Nobody here did that.",
     "payment-details-changed"),
    ("en", "There is an API token in our settings that no one in the team made, and none of us knows what it is for.",
     "nobody-made-it"),
    # -- German -----------------------------------------------------------------------------------
    ("de", "In unserer Sendungsliste tauchen seit heute Sendungen auf, die nicht uns gehören, "
           "mit Namen und Adressen der Empfänger.",
     "not-ours"),
    ("de", "Im Portal sehen wir Aufträge einer Firma, mit der wir nie zusammengearbeitet haben.",
     "cross-tenant-objects"),
    ("de", "Es gibt einen Admin-Benutzer in unserem Konto, den keiner von uns angelegt hat. "
           "Der Kollege sagt, er hat sich nie angemeldet.",
     "unknown-actor"),
    ("de", "Der ehemalige Dienstleister meldet sich nach Vertragsende weiterhin mit seinem Admin-Zugang in "
           "unserem Konto an.",
     "departed-still-active"),
    ("de", "Nach einem Schreiben mit angeblich neuer Bankverbindung wurde die IBAN für unsere Nachnahme-Auszahlungen "
           "geändert. Das hat niemand von uns gemacht.",
     "payment-details-changed"),
    # -- French -----------------------------------------------------------------------------------
    ("fr", "Dans notre liste d'expéditions on voit des colis d'une société avec laquelle nous n'avons jamais "
           "travaillé, "
           "avec les adresses des destinataires.",
     "cross-tenant-data"),
    ("fr", "Un nouvel administrateur est apparu dans notre compte. Personne ici ne l'a créé, "
           "et le collègue dit qu'il ne s'est pas connecté.",
     "unknown-actor"),
    ("fr", "Notre ancien prestataire, dont le contrat a été résilié, continue de se connecter à notre compte "
           "chaque nuit.",
     "departed-still-active"),
    ("fr", "Après un courrier annonçant de nouvelles coordonnées bancaires, l'IBAN de versement a été modifié. "
           "Ce n'est pas nous.",
     "payment-details-changed"),
    ("fr", "Nous voyons des commandes qui ne sont pas les nôtres dans le tableau de bord.",
     "not-ours"),
    # -- Spanish ----------------------------------------------------------------------------------
    ("es", "En el panel aparecen pedidos de otras tiendas, con nombres y teléfonos de sus clientes.",
     "cross-tenant-data"),
    ("es", "Vemos envíos de otros en nuestra cuenta, de una empresa con la que nunca hemos trabajado.",
     "cross-tenant-objects"),
    ("es", "Hay un usuario administrador nuevo en la cuenta. Nadie de aquí lo creó y ella dice que no lo creó.",
     "unknown-actor"),
    ("es", "El antiguo consultor, al que se le rescindió el contrato, sigue entrando con su usuario al panel todas "
           "las noches y descarga los datos de clientes.",
     "departed-still-active"),
    ("es", "Recibimos una carta con el cambio de cuenta bancaria y el IBAN de los reembolsos fue cambiado "
           "y nadie de aquí lo pidió.",
     "payment-details-changed"),
    # -- Portuguese -------------------------------------------------------------------------------
    ("pt", "No painel aparecem encomendas de outras lojas, com nomes e moradas dos clientes delas.",
     "cross-tenant-data"),
    ("pt", "Temos pedidos de outros na nossa conta, de uma empresa com a qual nunca trabalhamos.",
     "cross-tenant-objects"),
    ("pt", "O ex-consultor, cujo contrato foi rescindido, continua a entrar na nossa conta todas as noites.",
     "departed-still-active"),
    ("pt", "Recebemos um e-mail a anunciar novos dados bancários e a conta de recebimento foi alterada. "
           "Não fomos nós.",
     "payment-details-changed"),
    # -- Italian ----------------------------------------------------------------------------------
    ("it", "Nel portale vediamo spedizioni di altri negozi, con nomi e indirizzi dei loro clienti.",
     "cross-tenant-data"),
    ("it", "Nella lista ci sono ordini che non sono nostri, di un'azienda con cui non abbiamo mai lavorato.",
     "not-ours"),
    ("it", "L'ex consulente, a cui abbiamo chiuso il contratto, continua ad accedere al pannello ogni notte.",
     "departed-still-active"),
    ("it", "Dopo una mail che annunciava nuove coordinate bancarie, l'IBAN per i rimborsi è stato cambiato. "
           "Non siamo stati noi.",
     "payment-details-changed"),
    # -- Dutch ------------------------------------------------------------------------------------
    ("nl", "In ons overzicht staan zendingen die niet van ons zijn, met namen en adressen van ontvangers.",
     "not-ours"),
    ("nl", "We zien orders van een bedrijf waar we nooit mee hebben gewerkt in ons account.",
     "cross-tenant-objects"),
    ("nl", "Er is een nieuwe beheerder in ons account. Niemand van ons heeft die aangemaakt en hij zegt dat hij "
           "niet heeft ingelogd.",
     "unknown-actor"),
    ("nl", "De ex-consultant, wiens contract is beëindigd, logt nog steeds elke nacht in op het portaal.",
     "departed-still-active"),
    # -- Swedish ----------------------------------------------------------------------------------
    ("sv", "I vår lista finns försändelser som inte är våra, med mottagarnas namn och adresser.",
     "not-ours"),
    ("sv", "Vi fick ett brev om nya bankuppgifter och nu är bankgirot för våra utbetalningar ändrat. "
           "Det var inte vi.",
     "payment-details-changed"),
    ("sv", "Den tidigare konsulten, vars avtal har sagts upp, loggar fortfarande in varje natt.",
     "departed-still-active"),
    # -- Danish -----------------------------------------------------------------------------------
    ("da", "I vores oversigt er der ordrer som ikke er vores, fra en virksomhed vi aldrig har arbejdet med.",
     "not-ours"),
    ("da", "Den tidligere konsulent, hvis kontrakt er ophørt, logger stadig ind hver nat.",
     "departed-still-active"),
    ("da", "Der er en ny administrator på kontoen. Ingen af os har oprettet den, og hun siger, at hun ikke har "
           "logget ind.",
     "unknown-actor"),
    # -- Norwegian --------------------------------------------------------------------------------
    ("nb", "I oversikten vår ligger det sendinger som ikke er våre, med navn og adresser til mottakerne.",
     "cross-tenant-data"),
    ("nb", "Vi fikk et brev om nye bankopplysninger, og nå er kontonummeret for utbetalinger endret. "
           "Det var ikke oss.",
     "payment-details-changed"),
    ("nb", "Den tidligere konsulenten, som vi avsluttet samarbeidet med, logger fortsatt inn hver natt.",
     "departed-still-active"),
    # -- Finnish ----------------------------------------------------------------------------------
    ("fi", "Listassamme näkyy tilauksia yritykseltä, jonka kanssa emme ole koskaan tehneet yhteistyötä.",
     "cross-tenant-objects"),
    ("fi", "Entinen konsultti, jonka sopimus irtisanottiin, kirjautuu edelleen portaaliin joka yö.",
     "departed-still-active"),
    # -- Polish -----------------------------------------------------------------------------------
    ("pl", "Na liście widzimy przesyłki firmy, z którą nigdy nie współpracowaliśmy.",
     "cross-tenant-objects"),
    ("pl", "Były konsultant, z którym rozwiązaliśmy umowę, nadal loguje się do panelu co noc.",
     "departed-still-active"),
    # -- Czech ------------------------------------------------------------------------------------
    ("cs", "V seznamu vidíme zásilky firmy, se kterou jsme nikdy nespolupracovali.",
     "cross-tenant-objects"),
    ("cs", "Bývalý konzultant, se kterým jsme ukončili smlouvu, se stále přihlašuje do portálu každou noc.",
     "departed-still-active"),
    # -- Russian, Turkish -------------------------------------------------------------------------
    ("ru", "Бывший подрядчик, с которым мы расторгли договор, продолжает заходить в кабинет каждую ночь.",
     "departed-still-active"),
    ("tr", "Sözleşmesini feshettiğimiz eski danışman hâlâ her gece panele giriş yapıyor.",
     "departed-still-active"),
    # -- Chinese ----------------------------------------------------------------------------------
    ("zh", "我们的订单列表里出现了一家从未合作过的公司的订单，还有收件人的电话和地址。",
     "cross-tenant-objects"),
    ("zh", "已经终止合作的前顾问至今每天晚上还在登录我们的后台。",
     "departed-still-active"),
    ("zh", "收到一封通知更换收款账户的邮件后，我们的收款账户被改成了别的银行，不是我们改的。",
     "payment-details-changed"),
    ("zh", "后台多了一个管理员账号，不是我们创建的，我们这边没有人登录过。",
     "unknown-actor"),
    # -- Japanese ---------------------------------------------------------------------------------
    ("ja", "注文一覧に取引したことのない会社の注文が表示され、お届け先の氏名と電話番号も見えています。",
     "cross-tenant-objects"),
    ("ja", "契約を解除した元コンサルタントが、今も毎晩管理画面にログインしています。",
     "departed-still-active"),
    ("ja", "口座変更のお知らせというメールが届いた後、精算口座が別の口座に変更されていました。弊社は変更していません。",
     "payment-details-changed"),
    ("ja", "今朝、管理者アカウントに見覚えのないユーザーが追加されていました。弊社では作成していません。",
     "unknown-actor"),
    # -- Korean -----------------------------------------------------------------------------------
    ("ko", "주문 목록에 거래한 적 없는 회사의 주문이 보이고 수령인 이름과 전화번호도 나옵니다.",
     "cross-tenant-data"),
    ("ko", "계약이 해지된 전 컨설턴트가 아직도 매일 밤 관리자 화면에 로그인하고 있습니다.",
     "departed-still-active"),
    ("ko", "계좌 변경 안내 메일을 받은 뒤 정산 계좌가 다른 은행 계좌로 변경되었습니다. 저희가 바꾼 것이 아닙니다.",
     "payment-details-changed"),
    ("ko", "오늘 아침 관리자 계정에 새 사용자가 추가되었는데 저희가 만든 것이 아닙니다. "
           "저희 중 누구도 로그인하지 않았습니다.",
     "unknown-actor"),
]

# Routine tickets with the same words: they must show no security signal and be left alone.
ROUTINE = [
    ("en", "We would like to add a new carrier company to our account, can you enable DHL Freight for us?"),
    ("en", "Please change our IBAN through the form, the new bank details are attached."),
    ("en", "Our ex-consultant has finished the project, please remove his account."),
    ("en", "Is the dashboard feature something other shippers use as well, or is it only on our plan?"),
    ("en", "We no longer work with DHL, please remove the DHL carrier account from our settings, it still shows "
           "in the list."),
    ("de", "Bitte fügen Sie eine neue Spedition als Transportunternehmen zu unserem Konto hinzu."),
    ("de", "Wir haben eine neue Bankverbindung und möchten die IBAN über das Formular ändern. Wie geht das?"),
    ("de", "Der Vertrag mit unserem externen Berater ist beendet, bitte entfernen Sie seinen Zugang."),
    ("fr", "Nous voudrions ajouter un nouveau transporteur à notre compte, est-ce possible ?"),
    ("fr", "Pouvez-vous nous envoyer le formulaire pour modifier notre IBAN ? Nous avons une nouvelle banque."),
    ("fr", "Est-ce que d'autres clients utilisent déjà la fonction d'étiquettes groupées ?"),
    ("es", "Queremos dar de alta una nueva empresa de transporte en nuestra cuenta."),
    ("es", "¿Nos pueden enviar el formulario para actualizar nuestra cuenta bancaria con el nuevo IBAN?"),
    ("es", "El consultor externo terminó su contrato, por favor eliminen su usuario."),
    ("es", "Ya no trabajamos con Seur, ¿pueden quitar su cuenta de transportista? Todavía aparece en la lista."),
    ("pt", "Gostaríamos de adicionar uma nova transportadora à nossa conta."),
    ("pt", "Mudamos de banco, como alteramos a conta de recebimento pelo formulário?"),
    ("it", "Vorremmo aggiungere un nuovo corriere al nostro account, come si fa?"),
    ("it", "Abbiamo nuove coordinate bancarie, potete inviarci il modulo per cambiare l'IBAN?"),
    ("nl", "Hebben andere klanten ook deze functie voor retourlabels?"),
    ("nl", "Het contract met onze ex-consultant is beëindigd, kunnen jullie zijn account verwijderen?"),
    ("sv", "Vi har bytt bank, hur ändrar vi bankgirot för utbetalningar via formuläret?"),
    ("da", "Vores tidligere konsulent er stoppet, vil I slette hans bruger?"),
    ("nb", "Vi ønsker å legge til et nytt transportselskap på kontoen vår."),
    ("fi", "Haluamme lisätä uuden kuljetusyhtiön tilillemme."),
    ("pl", "Prosimy o formularz, w którym zaktualizujemy nasz numer konta do wypłat."),
    ("pl", "Nie współpracujemy już z DPD, prosimy usunąć ich konto, nadal jest widoczne na liście."),
    ("zh", "我们想在账户里添加一家新的承运商公司，请问怎么操作？"),
    ("zh", "我们公司的前员工已经离职，请帮忙停用他的账号。"),
    ("zh", "请问如何修改我们的收款账户？我们换了新的银行。"),
    ("ja", "新しい運送会社を追加したいのですが、手順を教えてください。"),
    ("ja", "退職した社員のアカウントを削除してください。"),
    ("ja", "振込先口座を変更したいので、申請フォームを送ってください。"),
    ("ko", "다른 고객사들도 같은 대시보드 기능을 사용하고 있나요?"),
    ("ko", "퇴사한 직원의 계정을 삭제해 주세요."),
    ("ko", "정산 계좌를 변경하고 싶습니다. 신청 양식을 보내주세요."),
]

# Routine tickets that still show a security signal, for reasons outside the concepts this file
# extends (kept as strict expected failures, so that whoever fixes them moves them to ROUTINE):
# "other customers" is a cross_tenant term and "customers" an object, so any question about other
# customers is "another company's orders" (+5.5); and a customer's own change of bank is
# payment-details-changed when chore_request does not read the request ("comment modifier",
# "necesitamos hacer", "zmieniliśmy": "we changed").
KNOWN_GAPS = [
    ("en", "Do other customers have the same label feature, or is it only available on our plan?"),
    ("fr", "Comment modifier notre IBAN via le formulaire ? Nous avons changé de banque."),
    ("es", "Necesitamos hacer un cambio de cuenta bancaria, ¿nos envían el formulario para el nuevo IBAN?"),
    ("pl", "Zmieniliśmy bank, jak zaktualizować numer konta przez formularz?"),
]
