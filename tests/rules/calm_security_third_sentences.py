"""Calm security reports and routine tickets with alarming words in Arabic, Hebrew and Hindi
(Devanagari and Hinglish in Latin script), and more in Polish and Czech (the inflections the
first pass left out: "którego nikt z nas nie utworzył", "zwolniliśmy", "viditelný v odkazu"),
for tests/rules/test_calm_security.py, as tests/rules/calm_security_sentences.py and
tests/rules/calm_security_more_sentences.py do for 26 languages.

Each report is what an office worker who is not technical writes: an API token none of us
created, a dismissed employee who still logs in, the COD payout account changed to one nobody
knows and the money not arriving, an API key visible in a tracking link or a password in a chat
group, another company's parcels with their recipients' names, a sign-in from a country nobody
here has been to. The routine tickets (a leaver to deactivate, our own new bank account, one's
own forgotten password) must be left alone.

Written for this test (none comes from a labelled set).
"""

from __future__ import annotations

THIRD_LANGUAGES = ("ar", "he", "hi")

# (language, text, the security signal it must show)
SECURITY = [
    # -- Polish -----------------------------------------------------------------------------------
    ("pl", "Magazynier, którego zwolniliśmy w zeszłym miesiącu, dalej loguje się do panelu ze swojego telefonu "
           "i przegląda nasze zamówienia.",
     "departed-still-active"),
    ("pl", "Zauważyliśmy, że nasz klucz API jest widoczny w linku do śledzenia przesyłki, który dostają klienci. "
           "Każdy, kto ma link, może go skopiować.",
     "credentials-exposed"),
    ("pl", "Dostałem powiadomienie o logowaniu na moje konto z Nigerii o 4 rano. Nikt z nas nie był w Nigerii.",
     "sign-in-from-abroad"),
    # -- Czech ------------------------------------------------------------------------------------
    ("cs", "Skladník, kterého jsme minulý měsíc propustili, se pořád přihlašuje do aplikace ze svého telefonu.",
     "departed-still-active"),
    ("cs", "Všimli jsme si, že náš API klíč je viditelný v odkazu na sledování zásilky, který dostávají zákazníci.",
     "credentials-exposed"),
    ("cs", "Heslo k SFTP poslal kolega do skupiny na WhatsAppu, kde jsou i externí dopravci.",
     "credentials-exposed"),
    # -- Arabic -----------------------------------------------------------------------------------
    ("ar", "ظهر في حسابنا مستخدم بصلاحيات أدمن اسمه sami.k، محد فينا يعرفه ولا أحد منا أنشأه. "
           "حسب سجل النشاط قام أمس بتصدير كل الطلبات.",
     "unknown-actor"),
    # (already critical before this pass: Arabic's fourth situation)
    ("ar", "المحاسب اللي فصلناه الشهر الماضي لسه يسجل دخول على النظام من جواله ويشوف طلباتنا.",
     "departed-still-active"),
    ("ar", "لاحظنا أن مفتاح API الخاص بنا ظاهر في رابط التتبع الذي يصل للعملاء، وأي شخص معه الرابط يقدر ينسخه.",
     "credentials-exposed"),
    ("ar", "وصلني تنبيه بتسجيل دخول إلى حسابي الساعة 3 فجرا من روسيا. لم أزر روسيا في حياتي وكنت نائما.",
     "sign-in-from-abroad"),
    # -- Hebrew -----------------------------------------------------------------------------------
    ("he", "שלום, ברשימת המשתמשים בחשבון שלנו הופיע משתמש חדש בשם dani.k עם הרשאות מנהל. אף אחד מאיתנו לא יצר "
           "אותו ואנחנו לא מכירים אותו.",
     "unknown-actor"),
    ("he", "נהג שפיטרנו לפני חודשיים עדיין מתחבר לאפליקציה עם המשתמש שלו ורואה את המשלוחים שלנו.",
     "departed-still-active"),
    ("he", "מישהו שינה את מספר חשבון הבנק שלנו לזיכוי כספי הגבייה, ואנחנו לא מכירים את החשבון החדש. הכסף של "
           "השבוע שעבר לא הגיע.",
     "payment-details-changed"),
    ("he", "שמנו לב שמפתח API שלנו מופיע בקישור המעקב שנשלח ללקוחות. כל מי שמקבל את הקישור יכול להעתיק אותו.",
     "credentials-exposed"),
    ("he", "קיבלתי התראה על התחברות לחשבון שלי מגרמניה בשלוש לפנות בוקר. מעולם לא הייתי בגרמניה.",
     "sign-in-from-abroad"),
    # -- Hindi (Devanagari and Hinglish) ------------------------------------------------------------
    ("hi", "हमारे अकाउंट में एक नया एडमिन यूज़र दिख रहा है जिसे हमारे यहाँ कोई नहीं जानता। कल रात उसने सारे ऑर्डर "
           "एक्सपोर्ट किए।",
     "unknown-actor"),
    ("hi", "Ramesh ko humne pichhle mahine naukri se nikaal diya tha, lekin wo abhi bhi app me login kar raha hai.",
     "departed-still-active"),
    ("hi", "Humari API key tracking link me dikh rahi hai jo customers ko jaata hai. Koi bhi link khol ke key copy "
           "kar sakta hai.",
     "credentials-exposed"),
    ("hi", "SFTP का पासवर्ड ड्राइवरों के व्हाट्सएप ग्रुप में डाल दिया गया है, उस ग्रुप में बाहर के लोग भी हैं।",
     "credentials-exposed"),
    ("hi", "मेरे अकाउंट में रात 3 बजे रूस से लॉगिन हुआ। मैं रूस कभी नहीं गया और उस समय सो रहा था।",
     "sign-in-from-abroad"),
    # -- look-alikes across languages: a word of one language read as another's ------------------
    # Slovene "sem" ("am") was Portuguese "sem" ("without"), a negation: "prijavi" did not count
    ("sl", "Dobil sem obvestilo o prijavi v moj račun iz tujine ob treh ponoči. Takrat sem spal in v tujini nisem "
           "bil.", "sign-in-from-abroad"),
    # Hungarian "a többiek" ("the others") was "the rest still works"; here the others see the password
    ("hu", "A kolléga tegnap bemásolta az SFTP jelszavunkat a közös csoportba, ahol külsős fuvarozók is vannak, így "
           "a többiek is látják.", "credentials-exposed"),
]

# Routine tickets with the same alarming words: each must be left alone.
ROUTINE = [
    ("pl", "Pracownik magazynu, którego zwolniliśmy, oddał już telefon. Prosimy o usunięcie jego konta."),
    ("pl", "Nasz klucz API wygasa w przyszłym tygodniu, jak wygenerować nowy?"),
    ("cs", "Skladníka jsme propustili, prosím zrušte jeho účet a přístup do aplikace."),
    ("cs", "Kde v aplikaci najdu odkaz na sledování zásilky pro zákazníka?"),
    ("ar", "الموظف أحمد ترك الشركة نهاية الشهر، نرجو تعطيل حسابه."),
    ("ar", "نرغب في تحديث الحساب البنكي الخاص بنا إلى الحساب الجديد، مرفق خطاب البنك."),
    ("ar", "نسيت كلمة المرور، هل يمكن إرسال رابط إعادة تعيين؟"),
    ("he", "העובד יוסי עזב את החברה בסוף החודש, נא להשבית את המשתמש שלו."),
    ("he", "אנחנו רוצים לעדכן את פרטי חשבון הבנק שלנו, מצורף מכתב מהבנק."),
    ("he", "שכחתי את הסיסמה, אפשר לשלוח לי קישור לאיפוס?"),
    ("hi", "Suresh ne company chhod di hai, kripya uska user deactivate kar dijiye."),
    ("hi", "हमें अपना बैंक खाता अपडेट करना है, नया कैंसल चेक अटैच है।"),
    ("hi", "Mera password bhool gaya hoon, reset link bhej dijiye."),
    # Czech "stále" ("still") was English "stale" (impact); Latvian "nekad" ("never") Swedish "nekad" (denied)
    ("cs", "Stále čekáme na fakturu za březen, můžete nám ji prosím poslat?"),
    ("cs", "Stále nevidíme v aplikaci novou fakturu, kdy bude k dispozici?"),
    ("lv", "Rēķinus mēs nekad neesam saņēmuši papīrā, lūdzu sūtiet tos uz e-pastu."),
    ("lv", "Pavadzīmes mēs nekad nedrukājam, vai tās var sūtīt tikai elektroniski?"),
]
