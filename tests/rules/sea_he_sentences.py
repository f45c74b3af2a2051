"""Sentences in Indonesian, Malay, Vietnamese, Tagalog (and Taglish) and Hebrew, for
tests/rules/test_more_languages.py: the shipped lexicons read these languages too.

Customers in South-East Asia and the Middle East write to support in their own languages too.
These sentences are written for this test (none comes from a labelled set), Vietnamese some with
its accents and some typed without (folding drops them all, so the lexicons list each word once,
without), Tagalog as it is typed, half English: an outage told by what it holds up (orders or
labels not coming, trucks and couriers waiting) must be critical with a workflow signal, a leaked
password, another company's data or a former employee still logging in must be a critical
security incident, and a how-to, a copy of an invoice or a "thanks, it works again" must be left
alone, in every one of these languages. Hebrew writes "the", "and", "in", "to", "from" and
"that" as a letter before the word, and "*" only matches endings, so its prefixed forms are
written out; the sentences below use them.
"""

from __future__ import annotations

SEA_HE_LANGUAGES = ("id", "ms", "vi", "tl", "he")

# Nothing is coming in or nothing prints, and the operation is held up (trucks, drivers, couriers waiting).
OUTAGE = [
    ("id", "Sejak pagi pesanan tidak masuk ke sistem sama sekali, truk menunggu di gudang."),
    ("id", "Label pengiriman tidak bisa dicetak, kurir menunggu di gudang. Mohon segera!"),
    ("id", "Semua resi gagal dibuat dari tadi pagi, sopir menunggu dan pengiriman tertunda."),
    ("ms", "Sejak pagi pesanan tak masuk langsung, lori menunggu di gudang."),
    ("ms", "Label penghantaran tidak boleh dicetak, pemandu sedang menunggu di gudang."),
    ("ms", "Semua bungkusan tersangkut dalam sistem, kami terpaksa buat secara manual."),
    ("vi", "Từ sáng đơn hàng không về hệ thống, xe tải đang phải chờ ở kho."),
    ("vi", "Không in được tem vận chuyển, tài xế đang chờ ở kho."),
    ("vi", "Tu sang don hang khong ve he thong, shipper dang cho o kho."),
    ("tl", "Hindi pumapasok ang mga order mula kaninang umaga, naghihintay ang mga truck sa bodega."),
    ("tl", "Hindi ma-print ang mga label, naghihintay ang mga rider sa warehouse. Urgent po!"),
    ("tl", "Walang bagong order na pumapasok since this morning, nakatambay lang ang mga driver namin."),
    ("he", "מהבוקר ההזמנות לא נכנסות למערכת, המשאיות מחכות ברמפה."),
    ("he", "התוויות לא מודפסות והשליחים מחכים במחסן כבר שעה."),
    ("he", "אף הזמנה לא מגיעה מאז הבוקר, הנהגים ממתינים והמשלוחים תקועים."),
]

# A password or key exposed in public, another company's data in one's own account, or someone
# who left still logging in; with the signal its meaning calls for.
SECURITY = [
    ("id", "Password API kami bocor di GitHub, semua orang bisa melihatnya.", "credentials-exposed"),
    ("id", "Kami melihat alamat dan nomor telepon pelanggan perusahaan lain di akun kami.", "cross-tenant-data"),
    ("id", "Mantan karyawan kami masih bisa login ke sistem dengan akunnya.", "departed-still-active"),
    ("ms", "Kata laluan API kami telah bocor di forum awam.", "credentials-exposed"),
    ("ms", "Kami nampak alamat dan data pelanggan syarikat lain dalam akaun kami.", "cross-tenant-data"),
    ("ms", "Bekas pekerja kami masih boleh log masuk ke sistem.", "departed-still-active"),
    ("vi", "Mật khẩu API của chúng tôi bị lộ trên GitHub.", "credentials-exposed"),
    ("vi", "Chúng tôi nhìn thấy địa chỉ và số điện thoại khách hàng của công ty khác trong tài khoản.",
     "cross-tenant-data"),
    ("vi", "Nhan vien cu da nghi viec nhung van dang nhap duoc vao he thong.", "departed-still-active"),
    ("tl", "Na-leak ang password ng API namin sa GitHub, nakikita ng lahat.", "credentials-exposed"),
    ("tl", "Nakikita namin ang mga address at pangalan ng customers ng ibang kumpanya sa account namin.",
     "cross-tenant-data"),
    ("tl", "Yung dating empleyado namin, nakaka-login pa rin sa account niya.", "departed-still-active"),
    ("he", "הסיסמה של ה-API שלנו דלפה לגיטהאב וכולם יכולים לראות אותה.", "credentials-exposed"),
    ("he", "אנחנו רואים בחשבון שלנו כתובות ומספרי טלפון של לקוחות של חברה אחרת.", "cross-tenant-data"),
    ("he", "עובד לשעבר שעזב את החברה עדיין מתחבר למערכת עם המשתמש שלו.", "departed-still-active"),
]

# Routine: a how-to (some "not urgent"), a copy of an invoice, "thanks, it is resolved / works again".
HARMLESS = [
    ("id", "Halo, bagaimana cara menambahkan pengguna baru? Terima kasih."),
    ("id", "Gimana caranya ganti logo di label pengiriman? Tidak mendesak."),
    ("id", "Mohon kirimkan salinan faktur bulan Maret."),
    ("id", "Terima kasih, masalahnya sudah beres, pesanan sudah masuk lagi."),
    ("id", "Makasih, sekarang sudah normal kembali."),
    ("ms", "Hai, macam mana nak tambah pengguna baru? Terima kasih."),
    ("ms", "Boleh hantar salinan invois bulan Februari? Tidak mendesak."),
    ("ms", "Terima kasih, masalah selesai, pesanan sudah masuk semula."),
    ("ms", "Terima kasih, sistem dah ok sekarang."),
    ("vi", "Chào anh, làm thế nào để thêm người dùng mới? Cảm ơn."),
    ("vi", "Lam sao de doi logo tren tem nhan? Khong gap."),
    ("vi", "Vui lòng gửi lại bản sao hóa đơn tháng ba."),
    ("vi", "Cảm ơn, hệ thống đã hoạt động lại bình thường."),
    ("vi", "Cam on, da on roi, don hang da ve lai."),
    ("tl", "Hi po, paano magdagdag ng bagong user? Salamat."),
    ("tl", "Paano po palitan ang logo sa label? Hindi naman urgent."),
    ("tl", "Pakisend po ng kopya ng invoice para sa March."),
    ("tl", "Salamat, ayos na po, pumapasok na ulit ang mga order."),
    ("tl", "Thank you, gumagana na ulit lahat."),
    ("he", "שלום, איך מוסיפים משתמש חדש? תודה."),
    ("he", "איך אפשר לשנות את הלוגו על התווית? זה לא דחוף."),
    ("he", "אפשר לקבל העתק של החשבונית לחודש מרץ?"),
    ("he", "תודה, הבעיה נפתרה וההזמנות נכנסות שוב."),
    ("he", "תודה רבה, הכל עובד שוב."),
]
