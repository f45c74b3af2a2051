"""Calm security reports and routine tickets with alarming words, in the twelve languages the
shipped lexicons speak besides English (German, French, Spanish, Italian, Portuguese, Dutch,
Swedish, Danish, Norwegian, Finnish, Polish, Czech), for tests/rules/test_calm_security.py.

Security incidents are the kind the rules miss most when a non-technical customer reports one
calmly, in their own language, describing only what they saw: a new admin nobody here created,
a sign-in from a country nobody has been to while they slept, a temp whose contract ended still
logging in, a password posted in a public group or sent by mistake to an external list, the
bank account for payouts now pointing somewhere else. Each must be critical with the security
category and the signal its meaning calls for. The routine tickets use the same alarming words
(a leaver, the IBAN, a security questionnaire, one's own password reset, "we don't know how",
"I was on holiday and now can't log in", a colleague who still has access after moving
department) and must be left alone: neither flagged nor put to a person.

Written for this test (none comes from a labelled set), with their accents, as people type.
They keep clear of three words the negation list reads in every language: French "dont"
("whose", English "don't"), "mai" (German and French May, Italian "never") and Spanish and
Portuguese "sin/sem querer" ("by accident", "without"): a term right after them is negated.
"""

from __future__ import annotations

CALM_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "pl", "cs")

# (language, text, the security signal it must show)
SECURITY = [
    ("de", "Hallo, seit gestern gibt es in unserem Konto einen neuen Benutzer mit Adminrechten, den wir nicht "
           "kennen. Bei uns hat niemand diesen Benutzer angelegt.",
     "unknown-actor"),
    ("de", "Im Anmeldeverlauf steht eine Anmeldung mit meinem Zugang heute um 3 Uhr aus Brasilien. Ich war noch nie "
           "in Brasilien und habe um die Zeit geschlafen.",
     "sign-in-from-abroad"),
    ("de", "Ein Disponent, der im Juni zur Konkurrenz gewechselt ist, hat immer noch Zugriff und hat sich gestern "
           "mit seinem alten Zugang angemeldet.",
     "departed-still-active"),
    ("de", "Eine Kollegin hat aus Versehen unsere Zugangsdaten für den SFTP-Server in eine öffentliche "
           "Facebook-Gruppe gepostet.",
     "credentials-exposed"),
    ("de", "Die Bankverbindung in unseren Auszahlungseinstellungen wurde auf eine IBAN umgestellt, die wir nicht "
           "kennen. Wir haben nichts geändert.",
     "payment-details-changed"),
    ("fr", "Bonjour, un nouvel utilisateur administrateur est apparu hier dans notre compte. Nous ne savons pas qui "
           "c'est, ce n'est personne de chez nous.",
     "unknown-actor"),
    ("fr", "Dans l'historique je vois une connexion à mon compte cette nuit depuis le Brésil. Je n'ai jamais mis les "
           "pieds au Brésil et je dormais à cette heure-là.",
     "sign-in-from-abroad"),
    ("fr", "Notre ancien intérimaire, son contrat s'est terminé fin mars, a toujours accès à l'application chauffeur "
           "et s'y connecte encore.",
     "departed-still-active"),
    ("fr", "Un collègue a envoyé par erreur notre mot de passe SFTP à une liste de diffusion externe.",
     "credentials-exposed"),
    ("fr", "Le RIB de notre compte de versement a été remplacé par un autre que nous ne connaissons pas.",
     "payment-details-changed"),
    ("es", "Ayer apareció en nuestra cuenta un nuevo usuario con permisos de administrador. No sabemos quién es, "
           "nadie de aquí lo ha dado de alta.",
     "unknown-actor"),
    ("es", "Veo un inicio de sesión con mi usuario desde Brasil esta madrugada; yo estaba durmiendo y nunca he "
           "estado en Brasil.",
     "sign-in-from-abroad"),
    ("es", "Un empleado temporal cuyo contrato terminó el mes pasado todavía tiene acceso y sigue entrando en la "
           "aplicación con su usuario.",
     "departed-still-active"),
    ("es", "Un compañero publicó por error la clave API en un grupo de Facebook abierto a todos.",
     "credentials-exposed"),
    ("es", "El número de cuenta para nuestros cobros ahora apunta a otro banco que no conocemos.",
     "payment-details-changed"),
    ("it", "Nel nostro account è comparso un nuovo utente amministratore. Non sappiamo chi sia, nessuno da noi lo ha "
           "creato.",
     "unknown-actor"),
    ("it", "Nello storico vedo un accesso con il mio utente alle 3 di notte dal Brasile. Non sono mai stato in "
           "Brasile e a quell'ora dormivo.",
     "sign-in-from-abroad"),
    ("it", "Un autista interinale il cui contratto è scaduto a marzo ha ancora accesso all'app e continua ad "
           "accedere con le sue credenziali.",
     "departed-still-active"),
    ("it", "Un collega ha inviato per sbaglio la password del server SFTP a una mailing list esterna.",
     "credentials-exposed"),
    ("it", "L'IBAN per i nostri pagamenti è stato sostituito con un altro che non conosciamo.",
     "payment-details-changed"),
    ("pt", "Olá, apareceu na nossa conta um usuário novo com acesso de administrador. Não sabemos quem é, ninguém "
           "aqui criou esse usuário.",
     "unknown-actor"),
    ("pt", "Vejo um login na minha conta às 3 da manhã vindo da Rússia, e eu estava dormindo. Nunca estive na Rússia.",
     "sign-in-from-abroad"),
    ("pt", "Um motorista temporário cujo contrato acabou em março ainda entra no aplicativo com o usuário dele.",
     "departed-still-active"),
    ("pt", "Um colega postou por engano a senha do SFTP num grupo do WhatsApp aberto a todos.",
     "credentials-exposed"),
    ("pt", "A conta bancária dos nossos recebimentos agora aponta para outro banco que não conhecemos.",
     "payment-details-changed"),
    ("nl", "Hallo, er staat sinds gisteren een nieuwe gebruiker met beheerdersrechten in ons account. Niemand hier "
           "heeft hem aangemaakt.",
     "unknown-actor"),
    ("nl", "In het overzicht zie ik een inlog op mijn account vannacht om 3 uur vanuit Brazilië. Ik ben nog nooit in "
           "Brazilië geweest en lag te slapen.",
     "sign-in-from-abroad"),
    ("nl", "Een uitzendkracht wiens contract is afgelopen, heeft nog steeds toegang en logt nog in op de "
           "chauffeursapp.",
     "departed-still-active"),
    ("nl", "Een collega heeft per ongeluk ons API-wachtwoord in een openbare Facebookgroep gezet.",
     "credentials-exposed"),
    ("nl", "Het rekeningnummer voor onze uitbetalingen is vervangen door een ander nummer dat we niet kennen.",
     "payment-details-changed"),
    ("sv", "Hej, det har dykt upp en ny användare med adminbehörighet i vårt konto. Det är ingen av våra anställda.",
     "unknown-actor"),
    ("sv", "I historiken ser jag en inloggning på mitt konto klockan tre i natt från Brasilien. Jag har aldrig varit "
           "i Brasilien och jag sov då.",
     "sign-in-from-abroad"),
    ("sv", "En vikarie vars kontrakt gick ut i mars loggar fortfarande in i förarappen.",
     "departed-still-active"),
    ("sv", "En kollega skickade av misstag vårt SFTP-lösenord till en extern e-postlista.",
     "credentials-exposed"),
    ("sv", "Kontonumret för våra utbetalningar har bytts ut mot ett annat som vi inte känner till.",
     "payment-details-changed"),
    ("da", "Hej, der er dukket en ny bruger med administratorrettigheder op på vores konto. Vi kender ikke personen.",
     "unknown-actor"),
    ("da", "Jeg kan i historikken se et login på min konto i nat kl. 3 fra Brasilien, mens jeg sov. Jeg har aldrig "
           "været i Brasilien.",
     "sign-in-from-abroad"),
    ("da", "En vikar, hvis kontrakt udløb i marts, logger stadig ind i chaufførappen.",
     "departed-still-active"),
    ("da", "En kollega har ved en fejl sendt vores API-nøgle til en ekstern mailingliste.",
     "credentials-exposed"),
    ("da", "Kontonummeret til vores udbetalinger er skiftet til et andet, som vi ikke kender.",
     "payment-details-changed"),
    ("nb", "Hei, det har dukket opp en ny bruker med administratortilgang på kontoen vår. Ingen her har opprettet "
           "den.",
     "unknown-actor"),
    ("nb", "I historikken ser jeg en innlogging på kontoen min klokka tre i natt fra Brasil, mens jeg sov. Jeg har "
           "aldri vært i Brasil.",
     "sign-in-from-abroad"),
    ("nb", "En vikar der kontrakten gikk ut i mars, logger fortsatt inn i sjåførappen.",
     "departed-still-active"),
    ("nb", "En kollega la ved en feil ut API-nøkkelen vår i en åpen Facebook-gruppe.",
     "credentials-exposed"),
    ("nb", "Kontonummeret for utbetalingene våre er byttet til et annet som vi ikke kjenner.",
     "payment-details-changed"),
    ("fi", "Hei, tilillemme on ilmestynyt uusi käyttäjä, jolla on pääkäyttäjän oikeudet. Emme tunne tätä henkilöä.",
     "unknown-actor"),
    ("fi", "Historiassa näkyy kirjautuminen tililleni kello kolme yöllä Brasiliasta. En ole koskaan käynyt "
           "Brasiliassa ja nukuin silloin.",
     "sign-in-from-abroad"),
    ("fi", "Sijaisemme, jonka sopimus päättyi maaliskuussa, kirjautuu edelleen kuljettajasovellukseen.",
     "departed-still-active"),
    ("fi", "Kollega lähetti vahingossa SFTP-salasanamme ulkoiselle postituslistalle.",
     "credentials-exposed"),
    ("fi", "Tilitystemme tilinumero on vaihtunut toiseen, jota emme tunne.",
     "payment-details-changed"),
    ("pl", "Dzień dobry, na naszym koncie pojawił się nowy użytkownik z uprawnieniami administratora. Nikt u nas go "
           "nie zakładał.",
     "unknown-actor"),
    ("pl", "W historii widzę logowanie na moje konto o 3 w nocy z Brazylii. Nigdy nie byłem w Brazylii, o tej porze "
           "spałem.",
     "sign-in-from-abroad"),
    ("pl", "Kierowca tymczasowy, któremu umowa skończyła się w marcu, nadal ma dostęp i loguje się do aplikacji "
           "swoim starym kontem.",
     "departed-still-active"),
    ("pl", "Kolega przez pomyłkę wysłał hasło do SFTP na zewnętrzną listę mailingową.",
     "credentials-exposed"),
    ("pl", "Numer konta do naszych wypłat został zamieniony na inny, którego nie znamy.",
     "payment-details-changed"),
    ("cs", "Dobrý den, v našem účtu se objevil nový uživatel s právy administrátora. Nikdo od nás ho nezakládal.",
     "unknown-actor"),
    ("cs", "V historii vidím přihlášení k mému účtu ve 3 ráno z Brazílie. V Brazílii jsem nikdy nebyl a v tu dobu "
           "jsem spal.",
     "sign-in-from-abroad"),
    ("cs", "Brigádník, kterému v březnu skončila smlouva, se stále přihlašuje do aplikace.",
     "departed-still-active"),
    ("cs", "Kolegyně omylem sdílela snímek obrazovky s naším heslem do externí skupiny.",
     "credentials-exposed"),
    ("cs", "Číslo účtu pro naše výplaty bylo přepsáno na jiné, které neznáme.",
     "payment-details-changed"),
]

# Routine: removing a leaver, changing our own IBAN on request, a security questionnaire, one's own
# password reset; then more alarming words in harmless tickets.
ROUTINE = [
    ("de", "Herr Meier hat unser Unternehmen zum 31. März verlassen. Bitte deaktivieren Sie seinen Benutzer."),
    ("de", "Bitte ändern Sie unsere Bankverbindung auf die neue IBAN laut beigefügtem Schreiben."),
    ("de", "Unser Auditor hat einen Sicherheitsfragebogen geschickt: Protokollieren Sie Anmeldungen aus dem Ausland "
           "und wie werden Passwörter und API-Schlüssel gespeichert?"),
    ("de", "Ich habe mein Passwort vergessen, können Sie mir bitte einen Link zum Zurücksetzen schicken?"),
    ("de", "Ich war im Urlaub und kann mich jetzt nicht mehr anmelden, mein Passwort ist abgelaufen."),
    ("fr", "Madame Durand a quitté l'entreprise fin mars, merci de désactiver son compte utilisateur."),
    ("fr", "Merci de modifier nos coordonnées bancaires avec le nouvel IBAN ci-joint."),
    ("fr", "Notre client nous demande de remplir un questionnaire de sécurité : enregistrez-vous les connexions "
           "depuis l'étranger et comment les mots de passe sont-ils stockés ?"),
    ("fr", "J'ai oublié mon mot de passe, pouvez-vous m'envoyer un lien de réinitialisation ?"),
    ("fr", "J'étais en vacances et maintenant je n'arrive plus à me connecter à mon compte."),
    ("fr", "Monsieur Martin ne travaille plus chez nous, pouvez-vous supprimer son compte utilisateur ?"),
    ("fr", "Notre intérimaire a toujours besoin d'un accès à l'application, pouvez-vous prolonger son compte ?"),
    ("es", "Juan dejó la empresa a finales de marzo, por favor den de baja su usuario."),
    ("es", "Por favor, cambien nuestros datos bancarios al nuevo IBAN que adjuntamos."),
    ("es", "Estamos rellenando un cuestionario de seguridad de un cliente: ¿registran los inicios de sesión desde "
           "el extranjero y cómo guardan las contraseñas?"),
    ("es", "He olvidado mi contraseña, ¿me pueden enviar un enlace para restablecerla?"),
    ("es", "Estuve de vacaciones y ahora no puedo iniciar sesión, ¿me ayudan?"),
    ("es", "Adjunto una captura de pantalla del error al cambiar la contraseña."),
    ("it", "Il signor Rossi ha lasciato l'azienda a fine marzo, per favore disattivate il suo utente."),
    ("it", "Vi chiediamo di aggiornare le nostre coordinate bancarie con il nuovo IBAN in allegato."),
    ("it", "Stiamo compilando un questionario di sicurezza: registrate gli accessi dall'estero e come sono "
           "conservate le password?"),
    ("it", "Ho dimenticato la mia password, potete inviarmi un link per reimpostarla?"),
    ("it", "Non sappiamo come esportare le spedizioni in Excel, potete aiutarci?"),
    ("it", "Il nostro collega è passato a un altro reparto, ma ha ancora accesso al vecchio magazzino: potete "
           "modificare i permessi?"),
    ("pt", "O João saiu da empresa no fim de março, por favor desativem o usuário dele."),
    ("pt", "Por favor alterem os nossos dados bancários para o novo IBAN em anexo."),
    ("pt", "Estamos preenchendo um questionário de segurança: vocês registram logins do exterior e como as senhas "
           "são armazenadas?"),
    ("pt", "Esqueci minha senha, podem me enviar um link para redefinir?"),
    ("pt", "Não sabemos como criar um novo usuário, podem ajudar?"),
    ("nl", "Mevrouw Jansen is per 1 april uit dienst, willen jullie haar gebruiker deactiveren?"),
    ("nl", "Wilt u ons rekeningnummer wijzigen naar het nieuwe IBAN in de bijlage?"),
    ("nl", "We vullen een beveiligingsvragenlijst in: registreren jullie inlogs vanuit het buitenland en hoe worden "
           "wachtwoorden opgeslagen?"),
    ("nl", "Ik ben mijn wachtwoord vergeten, kunnen jullie een resetlink sturen?"),
    ("nl", "Onze chauffeur is uit dienst, kunnen jullie zijn account verwijderen?"),
    ("sv", "Anna har slutat hos oss sista mars, kan ni inaktivera hennes användare?"),
    ("sv", "Vänligen ändra vårt bankkonto till det nya IBAN-numret enligt bifogat brev."),
    ("sv", "Vi fyller i ett säkerhetsformulär från en kund: loggar ni inloggningar från utlandet och hur lagras "
           "lösenord?"),
    ("sv", "Jag har glömt mitt lösenord, kan ni skicka en länk för att återställa det?"),
    ("sv", "Erik har slutat hos oss, kan ni ta bort hans konto?"),
    ("da", "Peter er fratrådt pr. 31. marts, vil I venligst deaktivere hans bruger?"),
    ("da", "Vil I ændre vores bankkonto til det nye IBAN i det vedhæftede brev?"),
    ("da", "Vi udfylder et sikkerhedsspørgeskema: logger I logins fra udlandet, og hvordan gemmes adgangskoder?"),
    ("da", "Jeg har glemt min adgangskode, kan I sende mig et link til at nulstille den?"),
    ("da", "Vi kender ikke proceduren for at oprette en ny bruger, kan I hjælpe?"),
    ("nb", "Kari har sluttet hos oss fra 1. april, kan dere deaktivere brukeren hennes?"),
    ("nb", "Vennligst endre bankkontoen vår til det nye kontonummeret i vedlagt brev."),
    ("nb", "Vi fyller ut et sikkerhetsskjema: logger dere innlogginger fra utlandet, og hvordan lagres passord?"),
    ("nb", "Jeg har glemt passordet mitt, kan dere sende en lenke for å tilbakestille det?"),
    ("fi", "Matti on lähtenyt yrityksestä maaliskuun lopussa, voisitteko poistaa hänen käyttäjänsä?"),
    ("fi", "Pyydämme päivittämään pankkitilimme uuteen IBAN-numeroon liitteen mukaisesti."),
    ("fi", "Täytämme asiakkaan tietoturvakyselyä: kirjaatteko kirjautumiset ulkomailta ja miten salasanat "
           "säilytetään?"),
    ("fi", "Unohdin salasanani, voitteko lähettää linkin sen vaihtamiseen?"),
    ("fi", "Emme tiedä, miten uusi käyttäjä luodaan. Voitteko auttaa?"),
    ("pl", "Pan Kowalski odszedł z firmy z końcem marca, prosimy o dezaktywację jego użytkownika."),
    ("pl", "Prosimy o zmianę naszego numeru konta na nowy zgodnie z załączonym pismem."),
    ("pl", "Wypełniamy ankietę bezpieczeństwa od klienta: czy rejestrujecie logowania z zagranicy i jak "
           "przechowujecie hasła?"),
    ("pl", "Zapomniałem hasła, czy możecie przesłać link do jego zresetowania?"),
    ("pl", "Nie znamy jeszcze nowego interfejsu, czy jest jakaś instrukcja logowania?"),
    ("pl", "Pan Nowak już u nas nie pracuje, prosimy usunąć jego konto."),
    ("cs", "Pan Novák od nás k 31. březnu odešel, prosím deaktivujte jeho uživatele."),
    ("cs", "Prosíme o změnu našeho bankovního účtu na nové číslo účtu podle přiloženého dopisu."),
    ("cs", "Vyplňujeme bezpečnostní dotazník zákazníka: zaznamenáváte přihlášení ze zahraničí a jak ukládáte hesla?"),
    ("cs", "Zapomněl jsem heslo, můžete mi poslat odkaz na jeho obnovení?"),
    ("cs", "Pan Dvořák už u nás nepracuje, prosím smažte jeho účet."),
]
