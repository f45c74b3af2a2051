"""Sentences in Japanese and Korean, for tests/rules/test_more_languages.py: the shipped lexicons
(rules/lexicons_ja_ko.yaml, and the objects' first lines in rules/logistics.yaml) read these
languages too.

These sentences are written for this test (none comes from a labelled set), as customers write
them: Japanese without spaces, with full-width punctuation and the courtesy of business mail
(お世話になっております, いただけますでしょうか, よろしくお願いいたします), which must read as
nothing; Korean with its spacing, particles and endings attached to the word. An outage told by
what it holds up (orders not reaching the warehouse, labels not printing while drivers wait,
nobody able to log in, carrier bookings failing) must be critical with a workflow signal; a calm
security report (another company's data, a former employee still logging in, an API key nobody
created, a password posted publicly, the payout account changed by someone unknown, a login from a
country nobody travelled to) a critical security incident with the signal its meaning calls for;
and a resolved problem, a how-to, a security questionnaire, one user's forgotten password, a
question about planned maintenance or a test message must be left alone, though they use the
alarming words (ログインできません, 漏洩, 로그인이 안 됩니다, 유출).
"""

from __future__ import annotations

JA_KO_LANGUAGES = ("ja", "ko")

# Nothing is coming in, nothing prints or nobody can log in, and the operation is held up.
OUTAGE = [
    ("ja", "今朝から注文が倉庫に届いていません。トラックが待機したままで、出荷が止まっています。至急ご確認ください。"),
    ("ja", "お世話になっております。出荷ラベルが印刷できず、ドライバーが倉庫で待っています。"
           "大至急対応をお願いいたします。"),
    ("ja", "本日朝から全員ログインできない状態で、出荷作業が止まっています。"
           "現場は手作業で対応していますが間に合いません。"),
    ("ja", "運送会社への集荷依頼が全てエラーになり、トラックが出発できません。本日の締め切りに間に合わない状況です。"),
    ("ja", "受注データが基幹システムから取り込まれず、倉庫の作業員が待機しています。至急ご対応をお願いします。"),
    ("ja", "昨日のアップデート後、送り状が発行できません。ドライバーが待っており、出荷が完全に止まっています。"),
    ("ja", "お世話になっております。本日10時頃からWMSにログインできず、倉庫の全スタッフが作業できない状態です。"
           "出荷が完全に止まっております。至急ご対応いただけますでしょうか。"),
    ("ja", "お世話になっております。朝から誰もログインできません。ドライバーが出発できず、配送が全て止まっています。"),
    ("ja", "出荷確定ボタンを押しても反映されず、本日分の出荷が止まっています。倉庫スタッフは待機中です。"),
    ("ja", "ヤマトへの集荷予約が朝から全件エラーで弾かれています。トラックが来ても荷物を渡せません。"),
    ("ja", "昨晩のリリース以降、ハンディでスキャンしても在庫が引き当てられません。ピッキングが止まり、"
           "手書きで対応しています。"),
    ("ko", "오늘 아침부터 주문이 창고로 들어오지 않고 있습니다. 트럭 기사님들이 대기 중이고 출고가 전부 멈췄습니다."),
    ("ko", "운송장 라벨이 출력되지 않아서 기사님들이 창고에서 기다리고 있습니다. 긴급하게 확인 부탁드립니다."),
    ("ko", "아침부터 직원 아무도 로그인이 안 돼요. 출고 작업이 중단돼서 수작업으로 처리하고 있습니다."),
    ("ko", "택배사 집하 요청이 모두 실패하고 있습니다. 트럭이 출발을 못 하고 오늘 마감을 맞추지 못할 것 같습니다."),
    ("ko", "업데이트 이후 송장이 생성되지 않습니다. 기사님들이 대기하고 있고 출고가 완전히 멈췄습니다."),
    ("ko", "ERP에서 주문 데이터가 연동되지 않아 창고 작업자들이 손 놓고 기다리고 있습니다. 급합니다."),
    ("ko", "오전 10시부터 WMS에 로그인이 안 돼서 창고 직원 전원이 작업을 못 하고 있습니다. "
           "출고가 완전히 중단되었습니다."),
    ("ko", "모든 기사님들이 앱에 로그인을 못 하고 있습니다. 배송 출발을 못 해서 물량이 쌓이고 있습니다."),
    ("ko", "오늘 아침부터 CJ대한통운 집하 예약이 전부 에러로 거부되고 있어요. 트럭이 와도 물건을 못 보냅니다."),
    ("ko", "재고 데이터가 동기화되지 않아서 피킹이 불가능합니다. "
           "작업자들이 대기하고 있고 출고 마감이 얼마 안 남았습니다."),
    ("ko", "오늘 아침 8시경부터 전 센터에서 송장을 출력하면 빈 종이만 나옵니다. "
           "기사님들이 집하하러 왔는데 물건을 못 넘기고 기다리고 계십니다."),
]

# Calm security reports, with the signal their meaning calls for.
SECURITY = [
    ("ja", "お世話になっております。弊社の管理画面に、他社のお客様の氏名と住所が表示されています。",
     "cross-tenant-data"),
    ("ja", "3月に退職した元ドライバーが、今でもアプリにログインして配送状況を見ています。", "departed-still-active"),
    ("ja", "誰も作成していないAPIキーが管理画面に追加されていました。心当たりのある者は社内にいません。",
     "unknown-actor"),
    ("ja", "弊社のAPIキーとパスワードがGitHubの公開リポジトリに載っていました。ご確認をお願いいたします。",
     "credentials-exposed"),
    ("ja", "精算の振込先口座が、弊社の知らないうちに別の口座に変更されていました。", "payment-details-changed"),
    ("ja", "ブラジルからのログイン履歴がありますが、弊社の社員は誰もブラジルに行ったことがありません。"
           "海外からのアクセスです。",
     "sign-in-from-abroad"),
    ("ja", "ログインなしで、URLの番号を変えると他のお客様の住所や電話番号が誰でも見られます。", "open-access"),
    ("ja", "管理画面の注文一覧に、取引のない会社の注文が何百件も表示されています。", "cross-tenant-objects"),
    ("ja", "弊社を装ったなりすましメールが取引先に送られています。偽の請求書で振込を依頼する内容です。", "attack"),
    ("ja", "昨夜3時に、弊社の誰も知らない管理者ユーザーが作成されていました。その時間は全員寝ていました。",
     "unknown-actor"),
    ("ja", "社員が誤ってSFTPのパスワードを社外のメーリングリストに送信してしまいました。", "credentials-exposed"),
    ("ja", "先月退職した社員が、まだシステムにログインできるようです。これは仕様でしょうか。", "departed-still-active"),
    ("ja", "お世話になっております。弊社の担当者が、"
           "SFTPの接続用パスワードを誤ってX（旧Twitter）に投稿してしまいました。すでに削除しましたが、"
           "ご確認をお願いいたします。",
     "credentials-exposed"),
    ("ko", "안녕하세요. 저희 관리자 페이지에 다른 회사 고객의 이름과 주소가 보입니다.", "cross-tenant-data"),
    ("ko", "지난달 퇴사한 직원 계정으로 어제도 로그인한 기록이 있습니다.", "departed-still-active"),
    ("ko", "저희가 만든 적이 없는 API 키가 관리자 화면에 생성되어 있습니다. 아무도 모르는 키입니다.", "unknown-actor"),
    ("ko", "직원이 실수로 SFTP 비밀번호를 오픈채팅방에 올렸습니다. 누구나 볼 수 있는 상태였습니다.",
     "credentials-exposed"),
    ("ko", "정산 계좌가 저희도 모르게 다른 계좌로 변경되어 있었습니다. 누가 바꿨는지 모릅니다.",
     "payment-details-changed"),
    ("ko", "브라질에서 로그인한 기록이 있는데, 저희 직원은 아무도 브라질에 간 적이 없습니다.", "sign-in-from-abroad"),
    ("ko", "로그인 없이 URL의 번호만 바꾸면 고객 이름과 주소, 전화번호를 누구나 볼 수 있습니다.", "open-access"),
    ("ko", "저희 회사를 사칭한 피싱 메일이 고객사에 발송되고 있습니다. 가짜 청구서로 입금을 요구합니다.", "attack"),
    ("ko", "어젯밤 3시에 저희가 모르는 관리자 계정이 생성되었습니다. 그 시간에는 모두 자고 있었습니다.",
     "unknown-actor"),
    ("ko", "퇴사한 기사님이 아직도 앱에 로그인해서 배송 정보를 보고 있습니다.", "departed-still-active"),
    ("ko", "지난달 퇴사한 직원이 아직도 시스템에 로그인할 수 있습니다. 이게 정상인가요?", "departed-still-active"),
    ("ko", "배송 목록에 다른 회사의 주소와 전화번호가 보입니다. 정보 유출 가능성이 있나요?", "cross-tenant-data"),
]

# Alarming words used harmlessly: resolved, a how-to, a security questionnaire, one user's
# password, planned maintenance, a test; and a phishing mail nobody clicked.
HARMLESS = [
    ("ja", "お世話になっております。昨日ご連絡したラベル印刷の件ですが、本日確認したところ解決しました。"
           "ありがとうございました。"),
    ("ja", "出荷データをCSVでエクスポートする方法を教えていただけますでしょうか。よろしくお願いいたします。"),
    ("ja", "御社のセキュリティチェックシートへのご回答をお願いできますでしょうか。"
           "情報漏洩時の対応についての質問もございます。"),
    ("ja", "担当者の一人がパスワードを忘れてしまい、ログインできません。パスワードの再設定方法を教えてください。"),
    ("ja", "来週の土曜日に予定されているメンテナンスの時間帯について教えてください。"
           "その間は出荷ラベルは印刷できないのでしょうか。"),
    ("ja", "これはテストです。アラート通知の動作確認のため送信しています。無視してください。"),
    ("ja", "不審なメールが届きましたが、誰もリンクはクリックしていません。フィッシングでしょうか。"
           "念のためご報告します。"),
    ("ja", "先週の障害について、障害報告書をいただけますでしょうか。再発防止策も併せてご教示ください。"),
    ("ja", "海外からの注文が増えてきたので、ログイン画面を英語表示にする方法はありますか。"),
    ("ja", "不正アクセスの形跡はありませんが、念のため全ユーザーのパスワードを変更する方法を教えてください。"),
    ("ja", "振込先口座を新しい銀行に変更したいので、手続き方法を教えてください。"),
    ("ja", "注文番号123456の荷物が1件だけ届いていないようです。ご確認いただけますでしょうか。"),
    ("ja", "弊社のセキュリティ研修で、パスワード漏洩時の対応手順を説明したいので、資料をいただけますか。"),
    ("ja", "ドライバーアプリの文字が小さくて読みにくいので、大きくできると助かります。"),
    ("ja", "お世話になっております。CSV取り込みの際に「形式エラー」と表示されますが、"
           "どの列が間違っているか教えていただけますか。"),
    ("ja", "御社のシステムで、他社のデータが見えてしまう可能性はありますか。セキュリティ体制について教えてください。"),
    ("ja", "海外からのログインを制限する設定はありますか。"),
    ("ko", "안녕하세요. 어제 문의드린 라벨 출력 문제는 오늘 확인해 보니 해결되었습니다. 감사합니다."),
    ("ko", "배송 데이터를 엑셀로 내보내는 방법을 알려주실 수 있을까요?"),
    ("ko", "보안 설문지 작성 관련해서 문의드립니다. 개인정보 유출 시 대응 절차에 대한 질문도 있습니다."),
    ("ko", "직원 한 명이 비밀번호를 잊어버려서 로그인이 안 됩니다. 비밀번호 재설정 방법을 알려주세요."),
    ("ko", "다음 주 토요일 정기 점검 시간에 라벨 출력이 안 되는지 궁금합니다."),
    ("ko", "테스트입니다. 알림 발송 확인용이니 무시해 주세요."),
    ("ko", "의심스러운 메일을 받았는데 아무도 링크를 클릭하지 않았습니다. 피싱인가요?"),
    ("ko", "지난주 장애에 대한 장애 보고서와 재발 방지 대책을 공유해 주실 수 있을까요?"),
    ("ko", "해외에서 들어오는 주문이 늘어서, 로그인 화면을 영어로 바꾸는 방법이 있을까요?"),
    ("ko", "부정 접속 흔적은 없지만, 혹시 몰라서 전체 사용자 비밀번호를 변경하는 방법을 알고 싶습니다."),
    ("ko", "정산 계좌를 새 은행으로 변경하고 싶은데 방법을 알려주세요."),
    ("ko", "주문번호 123456 택배 한 건만 아직 도착하지 않았습니다. 확인 부탁드립니다."),
    ("ko", "다음 달 정기 점검 중에는 시스템 접속이 안 되는 건가요?"),
    ("ko", "어제 건은 저희 쪽 설정 실수였습니다. 지금은 문제없이 출고되고 있습니다."),
    ("ko", "CSV 업로드 시 형식 오류가 뜨는데, 어떤 열이 잘못됐는지 알려주실 수 있나요?"),
    ("ko", "귀사 시스템에서 다른 회사 데이터가 보일 가능성이 있나요? 보안 체계에 대해 알려주세요."),
    ("ko", "해외 로그인을 제한하는 설정이 있나요?"),
]
