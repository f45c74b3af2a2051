"""Sentences in Chinese, simplified and traditional (Taiwan, Hong Kong, some in Hong Kong's written
Cantonese), for tests/rules/test_more_languages.py: the shipped lexicons read Chinese too.

Chinese writes no spaces between words; each Chinese character is a word of its own once a ticket
is folded, so the Chinese terms (rules/lexicons_zh.yaml, and the objects' last lines in
rules/logistics.yaml) are the phrases of their characters. These sentences are written for this
test (none comes from a labelled set), as customers type them: no spaces, full-width punctuation,
Latin product names in between (API, GitHub, DHL, SFTP). An outage told by what it holds up
(orders not reaching the warehouse, labels not printing while couriers wait, nobody able to log in,
carrier bookings rejected) must be critical with a workflow signal; another company's data, a
former employee still logging in, an API key nobody created, a password posted in public, a payout
account changed by someone unknown, a sign-in from a country nobody travelled to or data open
without a login must be a critical security incident, with the signal its meaning calls for; and
alarming words used harmlessly (resolved, a how-to, a security questionnaire, one user's forgotten
password, a question about planned maintenance, a test alert, a phishing mail nobody clicked) must
be left alone.
"""

from __future__ import annotations

ZH_LANGUAGES = ("zh",)

# Nothing is coming in or nothing prints, and the operation is held up (trucks, drivers, couriers waiting).
OUTAGE = [
    ("zh", "从早上开始订单都没有同步到仓库，司机在仓库等着装货。"),
    ("zh", "面单一直打印不出来，快递员在仓库等着，今天的货发不出去！"),
    ("zh", "所有同事都无法登录系统，仓库已经停工，货车在门口排队。"),
    ("zh", "承运商预约一直失败，货车在月台干等，请马上处理。"),
    ("zh", "DHL的取件预约全部被拒绝了，今天截单前发不了货。"),
    ("zh", "所有承运商的运单都生成不了，几百个包裹堆在仓库，司机在等。"),
    ("zh", "訂單從今天早上開始完全沒有進來，司機都在倉庫等著。"),
    ("zh", "標籤列印失敗，快遞員在倉庫等，今天的貨全部出不了貨。"),
    ("zh", "所有人都無法登入系統，倉庫現在只能手動處理出貨。"),
    ("zh", "掃描槍掃碼一直報錯，揀貨停了，貨車在月台排隊。"),
    ("zh", "今朝開始啲訂單冇入到系統，司機喺倉度等緊，好急！"),
    ("zh", "急！！系统登不上去了，全仓库的人都在等。"),
    ("zh", "EDI对接今天早上开始报错，ERP里的订单全部推送不过来，发货停了。"),
    ("zh", "ASN推送失败，收货那边没法入库，供应商的车在门口排队。"),
    ("zh", "今天所有的顺丰运单都打不出来，打包台堆满了包裹，下午四点截单。"),
    ("zh", "物流轨迹从昨天起就没有更新了，客户一直在投诉，客服电话被打爆了。"),
    ("zh", "我们的账号今天突然被锁定了，没有人能登录，仓库没法发货。"),
    ("zh", "月台的扫码枪连不上WMS，拣货全部停了，工人都闲着。"),
    ("zh", "label打印不出来，司机在等，急！"),
    ("zh", "系统down了，所有人都login不了，仓库停工了。"),
    ("zh", "系統當機了，所有倉庫都停擺，請盡快處理！"),
    ("zh", "司機App登入唔到，全部司機喺度等，貨送唔出。"),
    ("zh", "今日啲order全部sync唔到去WMS，啲司機喺度等緊。"),
    ("zh", "后台显示一切正常，但是从早上开始订单都没有同步到仓库，司机在等。"),
    ("zh", "请问什么时候能修好？标签全部打印不出来，快递员在仓库等了两个小时。"),
    ("zh", "怎么回事？订单都没进来，仓库的人都闲着。"),
    ("zh", "我们的订单从今天早上开始没有任何更新，其他订单也一样，司机都在门口等。"),
]

# Told calmly, with the signal its meaning calls for.
SECURITY = [
    ("zh", "我们在自己的账号里看到了另一家公司的客户姓名和电话。", "cross-tenant-data"),
    ("zh", "登入後台後，我們看到其他公司的訂單和收件人地址，這些都不是我們的客戶。", "cross-tenant-data"),
    ("zh", "已经离职的前员工昨天还登录了系统，导出了客户资料。", "departed-still-active"),
    ("zh", "我們的前員工已經離職兩個月，但他的帳號今天還能登入。", "departed-still-active"),
    ("zh", "后台多了一个API密钥，我们没有人创建过，也不知道是谁加的。", "unknown-actor"),
    ("zh", "審計日誌裡有一個我們不認識的管理員帳號，昨晚匯出了全部訂單。", "unknown-actor"),
    ("zh", "我们的API密钥被同事不小心上传到了GitHub公开仓库。", "credentials-exposed"),
    ("zh", "有同事把SFTP密碼貼在公開的Facebook群組裡面。", "credentials-exposed"),
    ("zh", "我们的收款银行账户被改成了一个我们不认识的账户，合同里不是这个。", "payment-details-changed"),
    ("zh", "結算帳戶的銀行資料被人改咗，我哋冇人改過。", "payment-details-changed"),
    ("zh", "凌晨三点有人从巴西登录了我们的管理员账号，我们公司没有人去过巴西。", "sign-in-from-abroad"),
    ("zh", "昨晚有一個來自俄羅斯的登入，我們從來沒去過那邊。", "sign-in-from-abroad"),
    ("zh", "不用登录就能通过改网址里的单号看到别人的收件人姓名和地址。", "open-access"),
    ("zh", "您好，我们发现有个陌生账号昨晚登录了后台，导出了客户地址。", "unknown-actor"),
    ("zh", "我哋發現有個唔識嘅用戶登入咗系統，仲匯出咗所有客戶資料。", "unknown-actor"),
    ("zh", "上个月辞职的仓库主管，今天早上还用他的账号登录过系统。", "departed-still-active"),
    ("zh", "有個ex-colleague仲login緊我哋個account。", "departed-still-active"),
    ("zh", "我們的API金鑰出現在一個公開的GitHub專案裡。", "credentials-exposed"),
    ("zh", "同事不小心把数据库密码发到了客户的微信群里。", "credentials-exposed"),
    ("zh", "我们的提现账户被换成了一个陌生的银行账号，不是我们操作的。", "payment-details-changed"),
    ("zh", "我们在报表里看到其他公司的运费和价格，这些不是我们的数据。", "cross-tenant-data"),
    ("zh", "我們發現其他公司嘅訂單出現喺我哋嘅後台。", "cross-tenant-objects"),
    ("zh", "追踪页面不用登录就能看到收件人的电话和地址，改一下单号就能看到别人的。", "open-access"),
    ("zh", "有人用我们的账号在凌晨从越南登录，我们公司从来没有人去过越南。", "sign-in-from-abroad"),
    ("zh", "收到你们的邮件说我们的账号在国外登录，但我们的同事都没出国。", "sign-in-from-abroad"),
    ("zh", "我们的系统被勒索病毒加密了，所有文件都打不开。", "attack"),
]

# Alarming words used harmlessly: resolved, a how-to, paperwork, one user, planned work, a test.
HARMLESS = [
    ("zh", "谢谢，订单同步的问题已经解决了，现在一切正常，可以关闭工单。"),
    ("zh", "謝謝，標籤列印已經恢復正常，司機都已經出車了。"),
    ("zh", "你好，登录时出现未知错误，刷新后就好了，谢谢。"),
    ("zh", "请问如何在后台添加新用户？不急，谢谢。"),
    ("zh", "請問怎麼設定面單上的公司標誌？"),
    ("zh", "我不明白怎么导出订单，请教一下。"),
    ("zh", "我们正在填写客户的安全问卷，想问一下你们有没有ISO 27001认证，数据泄露时的通知流程是怎样的？"),
    ("zh", "我有一个同事忘记密码了，登录不了，怎么重置密码？"),
    ("zh", "我忘記了我的密碼，登入不了，請幫我重設。"),
    ("zh", "想了解一下下周六的系统维护，维护期间司机App还能用吗？"),
    ("zh", "請問下個月的計劃維護會影響訂單同步嗎？"),
    ("zh", "这是测试告警，请忽略，不需要处理。"),
    ("zh", "你好，麻煩再發一份三月份的發票副本給我們，謝謝。"),
    ("zh", "唔該幫我哋改一下發票抬頭，唔急。"),
    ("zh", "我们上周收到一封钓鱼邮件，同事没有点击链接，只是提醒一下大家注意。"),
    ("zh", "请帮我们把收款账户改成新的银行账号，附件是证明。"),
    ("zh", "司机说App有时候会闪退，不是很急，有空帮忙看看。"),
    ("zh", "新冠病毒疫情期间，派送会延误吗？"),
    ("zh", "我们检查过了，没有被黑，也没有发现入侵，只是想确认一下。"),
    ("zh", "請問重置密碼的郵件會發到哪個信箱？我沒有收到。"),
    ("zh", "密码重置链接发到我邮箱了，但是点开显示已过期。"),
    ("zh", "我们在微信群里讨论了一下，想问问标签尺寸可以改吗？"),
    ("zh", "海关扣了一批假冒商品，请问对我们的订单有影响吗？"),
    ("zh", "请问你们有没有海外仓的服务？我们想在美国开一个。"),
    ("zh", "我们计划在海外仓库上线，请问登录需要VPN吗？"),
    ("zh", "我们公司有个同事离职了，请帮忙删除他的账号。"),
    ("zh", "昨天下午有几个订单同步延迟了，现在已经恢复正常，想了解一下原因。"),
    ("zh", "我们需要导出所有客户的地址，请问怎么导出？"),
    ("zh", "我们想了解贵司的数据安全措施，是否有渗透测试报告？"),
    ("zh", "上周的宕机事件能否提供事故报告？我们需要给客户一个解释。"),
    ("zh", "我们在测试环境里发现标签打印不了，正式环境没问题。"),
    ("zh", "我們的合約明年到期，想了解續約的價格。"),
    ("zh", "有一个订单的面单打印失败了，订单号是 SO123456，麻烦看看。"),
    ("zh", "看到新闻说有物流平台被攻击，我们这边一切正常，只是想确认一下你们有没有受影响。"),
    ("zh", "昨天有几张面单打印失败，重新打印就好了，供参考。"),
]
