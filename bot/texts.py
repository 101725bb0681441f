"""Every word the bot says, in English, Simplified and Traditional Chinese.

Each script is written for its readers, not converted: Traditional uses the words of Taiwan
and Hong Kong (訊息, 連結, 影片, 檔案, 設定), Simplified those of the mainland (消息, 链接,
视频, 文件, 设置). Verdict explanations come from the server in the language asked for; only
the bot's own framing lives here.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGS = ("en", "zh-Hans", "zh-Hant")
DEFAULT_LANG = "en"
LANG_NAMES = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}

#: Telegram ``language_code`` values that mean Traditional script.
_HANT_CODES = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def lang_from_telegram(code: str | None) -> str:
    """The user's Telegram app language, as one of ``LANGS``."""
    lowered = (code or "").lower().replace("_", "-")
    if lowered.startswith(_HANT_CODES):
        return "zh-Hant"
    if lowered.startswith("zh"):
        return "zh-Hans"
    return DEFAULT_LANG


T: Mapping[str, Mapping[str, str]] = {
    "start": {
        "en": (
            "Hello! I'm FakeWatch. Forward me anything that worries you: a link, a message, "
            "a photo, a video or a post from a channel. I'll tell you what I find and why.\n\n"
            'I never say something is "safe": when I find nothing, I say so honestly.\n'
            "/help shows what I can do."
        ),
        "zh-Hans": (
            "你好！我是 FakeWatch。把让你不放心的内容转发给我：链接、消息、图片、视频或频道里的帖子，"
            "我会告诉你发现了什么、为什么这样判断。\n\n"
            "我不会说任何东西“绝对安全”：没发现问题时，我会如实告诉你。\n"
            "发送 /help 查看我能做什么。"
        ),
        "zh-Hant": (
            "你好！我是 FakeWatch。把讓你不放心的內容轉傳給我：連結、訊息、圖片、影片或頻道裡的貼文，"
            "我會告訴你發現了什麼、為什麼這樣判斷。\n\n"
            "我不會說任何東西「絕對安全」：沒發現問題時，我會如實告訴你。\n"
            "傳送 /help 查看我能做什麼。"
        ),
    },
    "help": {
        "en": (
            "Forward or send me a link, message, photo, video or image file and I'll check it.\n\n"
            "/check <link or text> – check something\n"
            "/report – report a scam to the moderators (in a private chat with me)\n"
            "/subscribe – get alerts about confirmed scams\n"
            "/unsubscribe – stop the alerts\n"
            "/link – send items from the FakeWatch browser extension into this chat\n"
            "/unlink – disconnect every linked browser\n"
            "/lang – choose English, 简体中文 or 繁體中文\n"
            "/privacy – what I send and what I keep\n\n"
            "In a group where I'm an admin I warn about likely scams; a group admin can "
            "use /guard to have me delete them instead."
        ),
        "zh-Hans": (
            "转发或发送链接、消息、图片、视频或图片文件给我，我来帮你检查。\n\n"
            "/check <链接或文字> – 检查内容\n"
            "/report – 向审核员举报诈骗（请在和我的私聊中使用）\n"
            "/subscribe – 订阅已确认诈骗的提醒\n"
            "/unsubscribe – 取消提醒\n"
            "/link – 让 FakeWatch 浏览器扩展把内容发到这个聊天\n"
            "/unlink – 断开所有已关联的浏览器\n"
            "/lang – 选择 English、简体中文或繁體中文\n"
            "/privacy – 我会发送和保存哪些信息\n\n"
            "在我担任管理员的群组里，我会提醒大家注意很可能是诈骗的内容；"
            "群管理员可以用 /guard 让我直接删除这些消息。"
        ),
        "zh-Hant": (
            "轉傳或傳送連結、訊息、圖片、影片或圖片檔案給我，我來幫你檢查。\n\n"
            "/check <連結或文字> – 檢查內容\n"
            "/report – 向審核員檢舉詐騙（請在和我的私訊中使用）\n"
            "/subscribe – 訂閱已確認詐騙的提醒\n"
            "/unsubscribe – 取消提醒\n"
            "/link – 讓 FakeWatch 瀏覽器擴充功能把內容傳到這個聊天室\n"
            "/unlink – 中斷所有已連結的瀏覽器\n"
            "/lang – 選擇 English、简体中文或繁體中文\n"
            "/privacy – 我會傳送和保存哪些資料\n\n"
            "在我擔任管理員的群組裡，我會提醒大家注意很可能是詐騙的內容；"
            "群組管理員可以用 /guard 讓我直接刪除這些訊息。"
        ),
    },
    "privacy": {
        "en": (
            "What I send: the links, text or file you give me go to this FakeWatch server to be "
            "checked, and nowhere else. Files are checked and not kept by me.\n"
            "When a link I checked is not known as a scam yet, the server keeps its hash and "
            "this chat's id for 30 days, so you are told if it is confirmed later (a few links "
            "a message, at most 10 at a time per chat).\n"
            "What I keep: your language (chosen with /lang, or your Telegram app's) and whether you subscribed to alerts; the hashes "
            "of those watched links for 30 days; for groups, the /guard settings. For a short while I remember the last checks in memory so the "
            "buttons under an answer work.\n"
            "What I never keep or log: your messages, photos or videos.\n"
            "A report (/report or the button) is sent to the moderators only when you choose to."
        ),
        "zh-Hans": (
            "我会发送什么：你交给我的链接、文字或文件只会发到这台 FakeWatch 服务器做检查，不会发往别处。"
            "文件检查完我不会保存。\n"
            "如果我检查的链接暂时还不是已知诈骗，服务器会保存它的哈希值和这个聊天的编号 30 天，"
            "之后若被确认为诈骗会通知你（每条消息几个链接，每个聊天同时最多 10 个）。\n"
            "我会保存什么：你的语言（用 /lang 选的，或你的 Telegram 应用的语言）、是否订阅了提醒；这些链接的哈希值（30 天）；群组的 /guard 设置。"
            "为了让回答下方的按钮能用，我会在内存里短暂记住最近的检查结果。\n"
            "我从不保存或记录：你的消息、图片和视频。\n"
            "举报（/report 或按钮）只有在你自己选择时才会发给审核员。"
        ),
        "zh-Hant": (
            "我會傳送什麼：你交給我的連結、文字或檔案只會傳到這台 FakeWatch 伺服器做檢查，不會傳往別處。"
            "檔案檢查完我不會保存。\n"
            "如果我檢查的連結暫時還不是已知詐騙，伺服器會保存它的雜湊值和這個聊天室的編號 30 天，"
            "之後若被確認為詐騙會通知你（每則訊息幾個連結，每個聊天室同時最多 10 個）。\n"
            "我會保存什麼：你的語言（用 /lang 選的，或你的 Telegram 應用程式的語言）、是否訂閱了提醒；這些連結的雜湊值（30 天）；群組的 /guard 設定。"
            "為了讓回覆下方的按鈕能用，我會在記憶體裡短暫記住最近的檢查結果。\n"
            "我從不保存或記錄：你的訊息、圖片和影片。\n"
            "檢舉（/report 或按鈕）只有在你自己選擇時才會傳給審核員。"
        ),
    },
    "verdict.likely_scam": {
        "en": "🚨 Likely a scam",
        "zh-Hans": "🚨 很可能是诈骗",
        "zh-Hant": "🚨 很可能是詐騙",
    },
    "verdict.suspicious": {"en": "⚠️ Suspicious", "zh-Hans": "⚠️ 可疑", "zh-Hant": "⚠️ 可疑"},
    "verdict.no_known_signals": {
        "en": "ℹ️ No known warning signs (that is not a guarantee)",
        "zh-Hans": "ℹ️ 未发现已知的风险信号（这不代表一定安全）",
        "zh-Hant": "ℹ️ 未發現已知的風險訊號（這不代表一定安全）",
    },
    "verdict.unknown": {
        "en": "❔ I could not judge this",
        "zh-Hans": "❔ 我无法判断这个内容",
        "zh-Hant": "❔ 我無法判斷這個內容",
    },
    "verdict.no_known_signals_weak": {
        "en": "ℹ️ Some warning signs, not enough for a warning (be careful)",
        "zh-Hans": "ℹ️ 有一些风险迹象，但不足以发出警告（请谨慎）",
        "zh-Hant": "ℹ️ 有一些風險跡象，但不足以發出警告（請謹慎）",
    },
    "part.likely_scam": {
        "en": "🚨 likely a scam",
        "zh-Hans": "🚨 很可能是诈骗",
        "zh-Hant": "🚨 很可能是詐騙",
    },
    "part.suspicious": {"en": "⚠️ suspicious", "zh-Hans": "⚠️ 可疑", "zh-Hant": "⚠️ 可疑"},
    "part.no_known_signals": {
        "en": "ℹ️ no known warning signs",
        "zh-Hans": "ℹ️ 未发现已知风险信号",
        "zh-Hant": "ℹ️ 未發現已知風險訊號",
    },
    "part.no_known_signals_weak": {
        "en": "ℹ️ some warning signs",
        "zh-Hans": "ℹ️ 有一些风险迹象",
        "zh-Hant": "ℹ️ 有一些風險跡象",
    },
    "part.unknown": {"en": "❔ not judged", "zh-Hans": "❔ 无法判断", "zh-Hant": "❔ 無法判斷"},
    "verdict.disguised": {
        "en": "⚠️ Careful: a disguised link",
        "zh-Hans": "⚠️ 小心：伪装的链接",
        "zh-Hant": "⚠️ 小心：偽裝的連結",
    },
    "disguised_link": {
        "en": (
            "The text shows {shown}, but the link goes to {target}. A link that hides where it "
            "goes is itself a strong warning sign."
        ),
        "zh-Hans": "文字显示的是 {shown}，链接实际却指向 {target}。隐藏真实去向的链接本身就是很强的危险信号。",
        "zh-Hant": "文字顯示的是 {shown}，連結實際卻指向 {target}。隱藏真實去向的連結本身就是很強的危險信號。",
    },
    "link_shown_as": {
        "en": "{label} (the text shows {shown})",
        "zh-Hans": "{label}（文字显示为 {shown}）",
        "zh-Hant": "{label}（文字顯示為 {shown}）",
    },
    "shown_address": {
        "en": "Address in the text {host} (not where the link goes)",
        "zh-Hans": "文字中的地址 {host}（不是链接的去向）",
        "zh-Hant": "文字中的網址 {host}（不是連結的去向）",
    },
    "label_sep": {"en": ": ", "zh-Hans": "：", "zh-Hant": "："},
    "text_cut": {
        "en": (
            "✂️ This message is long: I checked its first and last {half} characters, "
            "not the middle."
        ),
        "zh-Hans": "✂️ 这条消息很长：我只检查了开头和结尾各 {half} 个字，中间部分没有检查。",
        "zh-Hant": "✂️ 這則訊息很長：我只檢查了開頭和結尾各 {half} 個字，中間部分沒有檢查。",
    },
    "key_refused_check": {
        "en": (
            "Sorry, this bot is misconfigured: the FakeWatch server does not accept its key, so "
            "nothing was checked. It is not your message; the bot's operator must fix the bot's "
            "key. Be careful with it meanwhile."
        ),
        "zh-Hans": "抱歉，这个机器人的设置有误：FakeWatch 服务器不接受它的密钥，所以这次没有检查任何内容。不是你的消息有问题，需要由机器人的运营者修正它的密钥。在此之前请谨慎对待。",
        "zh-Hant": "抱歉，這個機器人的設定有誤：FakeWatch 伺服器不接受它的金鑰，所以這次沒有檢查任何內容。不是你的訊息有問題，需要由機器人的營運者修正它的金鑰。在此之前請謹慎對待。",
    },
    "key_refused_action": {
        "en": (
            "Sorry, this bot is misconfigured: the FakeWatch server does not accept its key, so "
            "I can't do that. The bot's operator must fix the bot's key; trying again won't help "
            "until then."
        ),
        "zh-Hans": "抱歉，这个机器人的设置有误：FakeWatch 服务器不接受它的密钥，所以无法完成这项操作。需要由机器人的运营者修正它的密钥，在那之前重试也没有用。",
        "zh-Hant": "抱歉，這個機器人的設定有誤：FakeWatch 伺服器不接受它的金鑰，所以無法完成這項操作。需要由機器人的營運者修正它的金鑰，在那之前重試也沒有用。",
    },
    "server_down_action": {
        "en": "Sorry, the FakeWatch server isn't reachable right now. Please try again in a few minutes.",
        "zh-Hans": "抱歉，FakeWatch 服务器暂时连不上。请过几分钟再试。",
        "zh-Hant": "抱歉，FakeWatch 伺服器暫時連不上。請過幾分鐘再試。",
    },
    "why_title": {"en": "Why:", "zh-Hans": "原因：", "zh-Hant": "原因："},
    "all_reasons": {"en": "All reasons:", "zh-Hans": "全部原因：", "zh-Hant": "全部原因："},
    "no_reasons": {
        "en": "No detector found anything to report.",
        "zh-Hans": "所有检测项都没有发现需要报告的问题。",
        "zh-Hant": "所有檢測項目都沒有發現需要回報的問題。",
    },
    "verdict_page": {"en": "Details: {url}", "zh-Hans": "详情：{url}", "zh-Hant": "詳情：{url}"},
    "partial": {
        "en": "(Some checks did not finish; this answer rests on the others.)",
        "zh-Hans": "（部分检查没有完成，这个结果依据其余检查得出。）",
        "zh-Hant": "（部分檢查沒有完成，這個結果依據其餘檢查得出。）",
    },
    "item.link": {"en": "Link", "zh-Hans": "链接", "zh-Hant": "連結"},
    "item.text": {"en": "Message text", "zh-Hans": "消息文字", "zh-Hant": "訊息文字"},
    "item.media": {"en": "Picture or video", "zh-Hans": "图片或视频", "zh-Hant": "圖片或影片"},
    "matches": {
        "en": "Matches a known fake: {what}",
        "zh-Hans": "与已知的伪造内容相符：{what}",
        "zh-Hant": "與已知的偽造內容相符：{what}",
    },
    "btn.report": {"en": "Report as scam", "zh-Hans": "举报诈骗", "zh-Hant": "檢舉詐騙"},
    "btn.why": {"en": "Why?", "zh-Hans": "为什么？", "zh-Hant": "為什麼？"},
    "nothing_to_check": {
        "en": "Send me a link, a message, a photo or a video and I'll check it.",
        "zh-Hans": "把链接、消息、图片或视频发给我，我来检查。",
        "zh-Hant": "把連結、訊息、圖片或影片傳給我，我來檢查。",
    },
    "unsupported": {
        "en": (
            "I can check links, text, photos, videos and image files, but not stickers, polls, "
            "locations or this kind of file. Send a screenshot or the link instead."
        ),
        "zh-Hans": "我能检查链接、文字、图片、视频和图片文件，但不能检查贴纸、投票、位置或这类文件。请改发截图或链接。",
        "zh-Hant": "我能檢查連結、文字、圖片、影片和圖片檔案，但不能檢查貼圖、投票、位置或這類檔案。請改傳截圖或連結。",
    },
    "too_big": {
        "en": (
            "This file is larger than 20 MB, the most Telegram lets a bot download, so I can't "
            "check it. Send a screenshot, a shorter clip, or the link where you saw it."
        ),
        "zh-Hans": "这个文件超过 20 MB，是 Telegram 允许机器人下载的上限，所以我无法检查。请改发截图、较短的片段，或你看到它的链接。",
        "zh-Hant": "這個檔案超過 20 MB，是 Telegram 允許機器人下載的上限，所以我無法檢查。請改傳截圖、較短的片段，或你看到它的連結。",
    },
    "bad_media": {
        "en": "I couldn't read this file (it may be damaged or in a format I don't know).",
        "zh-Hans": "我无法读取这个文件（可能已损坏，或是我不认识的格式）。",
        "zh-Hant": "我無法讀取這個檔案（可能已損毀，或是我不認得的格式）。",
    },
    "media_unsupported": {
        "en": (
            "I can't check files in this format. Send it as a photo rather than as a file "
            "(Telegram converts it), or a screenshot of it: I can check JPEG, PNG, WebP, GIF "
            "and HEIC pictures and MP4, MOV and WebM videos."
        ),
        "zh-Hans": "我无法检查这种格式的文件。请把它作为图片（而不是文件）发送，Telegram 会自动转换；或者发送它的截图。我能检查 JPEG、PNG、WebP、GIF、HEIC 图片和 MP4、MOV、WebM 视频。",
        "zh-Hant": "我無法檢查這種格式的檔案。請把它當作圖片（而不是檔案）傳送，Telegram 會自動轉換；或者傳送它的截圖。我能檢查 JPEG、PNG、WebP、GIF、HEIC 圖片和 MP4、MOV、WebM 影片。",
    },
    "media_too_large": {
        "en": (
            "This file is larger than this FakeWatch server checks. Send a screenshot, a "
            "shorter clip, or the link where you saw it."
        ),
        "zh-Hans": "这个文件超过了这台 FakeWatch 服务器能检查的大小。请改发截图、较短的片段，或你看到它的链接。",
        "zh-Hant": "這個檔案超過了這台 FakeWatch 伺服器能檢查的大小。請改傳截圖、較短的片段，或你看到它的連結。",
    },
    "media_too_many_pixels": {
        "en": (
            "This picture has more pixels than this FakeWatch server checks. Send a screenshot "
            "of it or a smaller copy."
        ),
        "zh-Hans": "这张图片的像素超过了这台 FakeWatch 服务器能检查的上限。请改发它的截图或缩小后的图片。",
        "zh-Hant": "這張圖片的像素超過了這台 FakeWatch 伺服器能檢查的上限。請改傳它的截圖或縮小後的圖片。",
    },
    "media_too_long": {
        "en": (
            "This video is longer than this FakeWatch server checks. Send a shorter clip or a "
            "screenshot of the part that worries you."
        ),
        "zh-Hans": "这段视频超过了这台 FakeWatch 服务器能检查的时长。请改发较短的片段，或让你担心的那部分的截图。",
        "zh-Hant": "這段影片超過了這台 FakeWatch 伺服器能檢查的長度。請改傳較短的片段，或讓你擔心的那部分的截圖。",
    },
    "server_down": {
        "en": (
            "Sorry, the checking service isn't reachable right now, so nothing was checked. "
            "Please try again in a few minutes."
        ),
        "zh-Hans": "抱歉，检查服务暂时连不上，这次没有完成检查。请过几分钟再试。",
        "zh-Hant": "抱歉，檢查服務暫時連不上，這次沒有完成檢查。請過幾分鐘再試。",
    },
    "not_available": {
        "en": "This FakeWatch server can't check {what} yet; I checked what I could.",
        "zh-Hans": "这台 FakeWatch 服务器暂时还不能检查{what}；我已检查了能检查的部分。",
        "zh-Hant": "這台 FakeWatch 伺服器暫時還不能檢查{what}；我已檢查了能檢查的部分。",
    },
    "part_not_checked": {
        "en": "⚠️ {what}: not checked this time (the server could not take it). Be careful with it.",
        "zh-Hans": "⚠️ {what}：这次没能检查（服务器无法处理），请谨慎对待。",
        "zh-Hant": "⚠️ {what}：這次沒能檢查（伺服器無法處理），請謹慎對待。",
    },
    "check_refused": {
        "en": "Sorry, the checking service refused this message ({code}), so nothing was checked. Be careful with it.",
        "zh-Hans": "抱歉，检查服务拒绝了这条消息（{code}），所以没有检查任何内容。请谨慎对待。",
        "zh-Hant": "抱歉，檢查服務拒絕了這則訊息（{code}），所以沒有檢查任何內容。請謹慎對待。",
    },
    "links_unchecked": {
        "en": "⚠️ {count} more link(s) in this message were not checked (too many or too long). Be careful with them.",
        "zh-Hans": "⚠️ 这条消息里还有 {count} 个链接没有检查（太多或太长），请谨慎对待。",
        "zh-Hant": "⚠️ 這則訊息裡還有 {count} 個連結沒有檢查（太多或太長），請謹慎對待。",
    },
    "links_site_only": {
        "en": "✂️ A link's address was too long to send whole: only its site (domain) was checked, not the rest of the address.",
        "zh-Hans": "✂️ 有链接的地址太长，无法完整发送：只检查了它的网站（域名），地址的其余部分没有检查。",
        "zh-Hant": "✂️ 有連結的網址太長，無法完整傳送：只檢查了它的網站（網域），網址的其餘部分沒有檢查。",
    },
    "more_parts": {
        "en": "• … and {count} more",
        "zh-Hans": "• ……另有 {count} 项",
        "zh-Hant": "• ……另有 {count} 項",
    },
    "guard_links_unchecked": {
        "en": "⚠️ This message has {count} link(s) I could not check (too many or too long). Be careful with them.",
        "zh-Hans": "⚠️ 这条消息里有 {count} 个链接我没能检查（太多或太长），请谨慎对待。",
        "zh-Hant": "⚠️ 這則訊息裡有 {count} 個連結我沒能檢查（太多或太長），請謹慎對待。",
    },
    "feature_off": {
        "en": "This FakeWatch server doesn't offer that yet.",
        "zh-Hans": "这台 FakeWatch 服务器暂时还不提供这项功能。",
        "zh-Hant": "這台 FakeWatch 伺服器暫時還不提供這項功能。",
    },
    "media_busy": {
        "en": "⏳ I'm checking a lot of pictures and videos right now. Please send this one again in a minute.",
        "zh-Hans": "⏳ 我现在正在检查很多图片和视频，请过一分钟再发这个。",
        "zh-Hant": "⏳ 我現在正在檢查很多圖片和影片，請過一分鐘再傳這個。",
    },
    "guard_media_busy": {
        "en": "⏳ Too many pictures and videos to check right now: I could not check this one. Be careful with it.",
        "zh-Hans": "⏳ 现在要检查的图片和视频太多，我没能检查这一个。请谨慎对待。",
        "zh-Hant": "⏳ 現在要檢查的圖片和影片太多，我沒能檢查這一個。請謹慎對待。",
    },
    "still_checking": {
        "en": (
            "⏳ You sent many messages at once. I'm checking the first ones in order; "
            "the ones after them were not checked: send those again when these answers arrive."
        ),
        "zh-Hans": "⏳ 你一次发了很多条消息。我正在按顺序检查前面几条；之后的没有检查，等这些结果出来后请再发一次。",
        "zh-Hant": "⏳ 你一次傳了很多則訊息。我正在依序檢查前面幾則；之後的沒有檢查，等這些結果出來後請再傳一次。",
    },
    "slow_down": {
        "en": "You're sending a lot at once. Please wait {seconds} seconds and try again.",
        "zh-Hans": "你发送得太快了，请等 {seconds} 秒再试。",
        "zh-Hant": "你傳送得太快了，請等 {seconds} 秒再試。",
    },
    "lang_choose": {
        "en": "Choose your language:",
        "zh-Hans": "请选择语言：",
        "zh-Hant": "請選擇語言：",
    },
    "lang_set": {
        "en": "I'll answer in English from now on.",
        "zh-Hans": "好的，之后我会用简体中文回复你。",
        "zh-Hant": "好的，之後我會用繁體中文回覆你。",
    },
    "subscribed": {
        "en": "You'll get an alert here when moderators confirm a new scam. /unsubscribe stops it.",
        "zh-Hans": "审核员确认新的诈骗后，你会在这里收到提醒。发送 /unsubscribe 可以取消。",
        "zh-Hant": "審核員確認新的詐騙後，你會在這裡收到提醒。傳送 /unsubscribe 可以取消。",
    },
    "unsubscribed": {
        "en": "Alerts are off. /subscribe turns them back on.",
        "zh-Hans": "提醒已关闭。发送 /subscribe 可以重新开启。",
        "zh-Hant": "提醒已關閉。傳送 /subscribe 可以重新開啟。",
    },
    "alert_header": {
        "en": "🔔 Scam alert",
        "zh-Hans": "🔔 诈骗提醒",
        "zh-Hant": "🔔 詐騙提醒",
    },
    "outcome_confirmed": {
        "en": (
            "✅ Your report was confirmed (case {case_id}{item}).\n"
            "The moderators agreed it is a scam. FakeWatch now warns everyone who checks it, "
            "and people subscribed to alerts were told.\n"
            "Case page: {url}\n"
            "Thank you: your report protects others."
        ),
        "zh-Hans": (
            "✅ 你的举报已被确认（案件 {case_id}{item}）。\n"
            "审核员认定这是诈骗。现在任何人查询它，FakeWatch 都会发出警告，订阅提醒的人也已收到通知。\n"
            "案件页面：{url}\n"
            "谢谢，你的举报保护了其他人。"
        ),
        "zh-Hant": (
            "✅ 你的檢舉已獲確認（案件 {case_id}{item}）。\n"
            "審核員認定這是詐騙。現在任何人查詢它，FakeWatch 都會發出警告，訂閱提醒的人也已收到通知。\n"
            "案件頁面：{url}\n"
            "謝謝，你的檢舉保護了其他人。"
        ),
    },
    "outcome_rejected": {
        "en": (
            "Your report was reviewed (case {case_id}{item}). The moderators did not confirm "
            "it as a scam from what they could see, so FakeWatch will not warn others about it "
            "for now. That does not mean it is safe.\n"
            "If you still think it is a scam: don't send money, codes or personal details; "
            "report it again with /report and say where you saw it and what made you doubt it "
            "(that helps the moderators decide); and report it to the app or site where you "
            "saw it. Thank you for looking out for others."
        ),
        "zh-Hans": (
            "你的举报已经审核（案件 {case_id}{item}）。根据现有信息，审核员没有确认它是诈骗，"
            "所以 FakeWatch 暂时不会就此提醒其他人。这并不代表它是安全的。\n"
            "如果你仍然认为这是诈骗：不要转账，不要提供验证码或个人信息；用 /report 再举报一次，"
            "写明在哪里看到的、哪里让你起疑（这能帮助审核员判断）；也向你看到它的应用或网站举报。"
            "谢谢你为他人着想。"
        ),
        "zh-Hant": (
            "你的檢舉已經審核（案件 {case_id}{item}）。根據現有資訊，審核員沒有確認它是詐騙，"
            "所以 FakeWatch 暫時不會就此提醒其他人。這並不代表它是安全的。\n"
            "如果你仍然認為這是詐騙：不要匯款，不要提供驗證碼或個人資料；用 /report 再檢舉一次，"
            "寫明在哪裡看到的、哪裡讓你起疑（這能幫助審核員判斷）；也向你看到它的 App 或網站檢舉。"
            "謝謝你為他人著想。"
        ),
    },
    "reported": {
        "en": "Thank you, your report reached the moderators (case {case_id}).",
        "zh-Hans": "谢谢，你的举报已送交审核员（案件 {case_id}）。",
        "zh-Hant": "謝謝，你的檢舉已送交審核員（案件 {case_id}）。",
    },
    "report_failed": {
        "en": "Sorry, the report could not be sent right now. Please try /report again later.",
        "zh-Hans": "抱歉，举报暂时没能送出。请稍后再用 /report 试一次。",
        "zh-Hant": "抱歉，檢舉暫時沒能送出。請稍後再用 /report 試一次。",
    },
    "not_your_check": {
        "en": "Only the person who asked for this check can use this button.",
        "zh-Hans": "只有发起这次检查的人才能使用这个按钮。",
        "zh-Hant": "只有發起這次檢查的人才能使用這個按鈕。",
    },
    "why_above": {
        "en": "The reasons are already posted above in this chat.",
        "zh-Hans": "原因已经发在上面了。",
        "zh-Hant": "原因已經貼在上面了。",
    },
    "already_reported": {
        "en": "You already reported this. Thank you!",
        "zh-Hans": "你已经举报过了，谢谢！",
        "zh-Hant": "你已經檢舉過了，謝謝！",
    },
    "expired": {
        "en": "I no longer remember that check. Please send it again.",
        "zh-Hans": "我已经不记得那次检查了，请重新发送一次。",
        "zh-Hant": "我已經不記得那次檢查了，請重新傳送一次。",
    },
    "report_what": {
        "en": (
            "What do you want to report? Send the link, paste the message, or send the picture "
            "or video. (/cancel to stop)"
        ),
        "zh-Hans": "你想举报什么？请发送链接、粘贴消息内容，或直接发送图片或视频。（发送 /cancel 取消）",
        "zh-Hant": "你想檢舉什麼？請傳送連結、貼上訊息內容，或直接傳送圖片或影片。（傳送 /cancel 取消）",
    },
    "report_keep": {
        "en": (
            "May the moderators keep a copy of this picture or video to review it? If not, "
            "only its fingerprints are kept, enough to recognise copies of it."
        ),
        "zh-Hans": "审核员可以保留这张图片或这段视频的副本来审核吗？如果不可以，只保留它的指纹，足以认出它的副本。",
        "zh-Hant": "審核員可以保留這張圖片或這段影片的副本來審核嗎？如果不可以，只保留它的指紋，足以認出它的副本。",
    },
    "yes_keep": {"en": "Yes, keep a copy", "zh-Hans": "可以保留", "zh-Hant": "可以保留"},
    "no_keep": {
        "en": "No, only fingerprints",
        "zh-Hans": "只保留指纹",
        "zh-Hant": "只保留指紋",
    },
    "report_where": {
        "en": "Where did you see it? (for example: WhatsApp, Facebook, a text message, a website)",
        "zh-Hans": "你在哪里看到的？（例如：微信、抖音、短信、某个网站）",
        "zh-Hant": "你在哪裡看到的？（例如：LINE、Facebook、簡訊、某個網站）",
    },
    "report_category": {
        "en": "What kind of scam does it look like?",
        "zh-Hans": "它看起来像哪一类诈骗？",
        "zh-Hant": "它看起來像哪一類詐騙？",
    },
    "report_consent": {
        "en": (
            "May the moderators share this report with the authorities (police, anti-fraud "
            "centres)? Your Telegram name is never shared."
        ),
        "zh-Hans": "审核员可以把这份举报提供给有关部门（警方、反诈中心）吗？你的 Telegram 名字不会被提供。",
        "zh-Hant": "審核員可以把這份檢舉提供給有關單位（警方、165 反詐騙專線等）嗎？你的 Telegram 名稱不會被提供。",
    },
    "yes_share": {"en": "Yes, share it", "zh-Hans": "可以提供", "zh-Hant": "可以提供"},
    "no_share": {"en": "No, only moderators", "zh-Hans": "只给审核员", "zh-Hant": "只給審核員"},
    "report_cancelled": {
        "en": "Report cancelled; nothing was sent.",
        "zh-Hans": "已取消举报，没有发送任何内容。",
        "zh-Hant": "已取消檢舉，沒有傳送任何內容。",
    },
    "report_left": {
        "en": "I stopped the report (nothing was sent) and checked this instead.",
        "zh-Hans": "我已停止举报（没有发送任何内容），改为检查这条内容。",
        "zh-Hant": "我已停止檢舉（沒有傳送任何內容），改為檢查這則內容。",
    },
    "report_timed_out": {
        "en": "Your unfinished report was cancelled after 10 minutes without an answer; nothing was sent. Send /report to start again.",
        "zh-Hans": "你的举报 10 分钟没有回复，已自动取消，没有发送任何内容。如需举报请重新发送 /report。",
        "zh-Hant": "你的檢舉 10 分鐘沒有回覆，已自動取消，沒有傳送任何內容。如需檢舉請重新傳送 /report。",
    },
    "nothing_to_cancel": {
        "en": "There is nothing to cancel. /help shows what I can do.",
        "zh-Hans": "现在没有可以取消的操作。发送 /help 查看我能做什么。",
        "zh-Hant": "現在沒有可以取消的操作。傳送 /help 查看我能做什麼。",
    },
    "unknown_command": {
        "en": "I don't know that command. /help lists the ones I do.",
        "zh-Hans": "我不认识这个命令。发送 /help 查看我能用的命令。",
        "zh-Hant": "我不認得這個指令。傳送 /help 查看我能用的指令。",
    },
    "category.investment": {
        "en": "Investment / trading",
        "zh-Hans": "投资理财",
        "zh-Hant": "投資理財",
    },
    "category.giveaway": {"en": "Giveaway / prize", "zh-Hans": "抽奖送礼", "zh-Hant": "抽獎送禮"},
    "category.celebrity": {
        "en": "Fake celebrity or doctor",
        "zh-Hans": "冒充名人或医生",
        "zh-Hant": "冒充名人或醫生",
    },
    "category.romance": {"en": "Romance", "zh-Hans": "网恋交友", "zh-Hant": "網路交友"},
    "category.official": {
        "en": "Fake bank, police or government",
        "zh-Hans": "冒充银行、公检法或政府",
        "zh-Hant": "假冒銀行、警察或政府",
    },
    "category.shopping": {"en": "Shopping", "zh-Hans": "网购", "zh-Hant": "網購"},
    "category.other": {"en": "Something else", "zh-Hans": "其他", "zh-Hant": "其他"},
    "guard_warning": {
        "en": "⚠️ Careful: the message above is likely a scam. Don't click, pay or share codes.",
        "zh-Hans": "⚠️ 请注意：上面这条消息很可能是诈骗。不要点击、付款或提供验证码。",
        "zh-Hant": "⚠️ 請注意：上面這則訊息很可能是詐騙。不要點擊、付款或提供驗證碼。",
    },
    "guard_deleted": {
        "en": "🛡️ I removed a message that was likely a scam.",
        "zh-Hans": "🛡️ 我删除了一条很可能是诈骗的消息。",
        "zh-Hant": "🛡️ 我刪除了一則很可能是詐騙的訊息。",
    },
    "guard_unchecked": {
        "en": "⏳ Too many links here in the last minute: I could not check this message. Be careful with its links.",
        "zh-Hans": "⏳ 最近一分钟内这里的链接太多，我没能检查这条消息。请谨慎对待其中的链接。",
        "zh-Hant": "⏳ 最近一分鐘內這裡的連結太多，我沒能檢查這則訊息。請謹慎對待其中的連結。",
    },
    "group_admins_only": {
        "en": "Only group admins can change this for the group.",
        "zh-Hans": "只有群管理员可以为本群更改这项设置。",
        "zh-Hant": "只有群組管理員可以為本群組更改這項設定。",
    },
    "guard_status": {
        "en": "Group guard: {mode}. Admins: /guard delete, /guard warn, /guard off.",
        "zh-Hans": "群组守护：{mode}。管理员可用：/guard delete、/guard warn、/guard off。",
        "zh-Hant": "群組守護：{mode}。管理員可用：/guard delete、/guard warn、/guard off。",
    },
    "guard.delete": {
        "en": "delete likely scams",
        "zh-Hans": "删除很可能是诈骗的消息",
        "zh-Hant": "刪除很可能是詐騙的訊息",
    },
    "guard.warn": {"en": "warn about likely scams", "zh-Hans": "提醒", "zh-Hant": "提醒"},
    "guard.off": {"en": "off", "zh-Hans": "已关闭", "zh-Hant": "已關閉"},
    "guard_admins_only": {
        "en": "Only group admins can change the guard.",
        "zh-Hans": "只有群管理员可以更改守护设置。",
        "zh-Hant": "只有群組管理員可以更改守護設定。",
    },
    "groups_only": {
        "en": "This works in groups.",
        "zh-Hans": "这个命令只能在群组里使用。",
        "zh-Hant": "這個指令只能在群組裡使用。",
    },
    "private_only": {
        "en": "For your safety, use this in a private chat with me.",
        "zh-Hans": "为了安全，请在和我的私聊中使用这个命令。",
        "zh-Hant": "為了安全，請在和我的私訊中使用這個指令。",
    },
    "link_code": {
        "en": (
            "Your link code: {code}\n\nEnter it in the FakeWatch extension (Options → Send to my "
            "Telegram) within 10 minutes. It works once. Never give it to anyone else."
        ),
        "zh-Hans": "你的关联码：{code}\n\n请在 10 分钟内在 FakeWatch 扩展中输入（选项 → 发送到我的 Telegram）。这个码只能用一次，不要告诉任何人。",
        "zh-Hant": "你的連結碼：{code}\n\n請在 10 分鐘內在 FakeWatch 擴充功能中輸入（選項 → 傳送到我的 Telegram）。這組碼只能用一次，不要告訴任何人。",
    },
    "unlinked_none": {
        "en": "No browser is linked to this chat, so there was nothing to unlink.",
        "zh-Hans": "这个聊天没有关联任何浏览器，无需断开。",
        "zh-Hant": "這個聊天室沒有連結任何瀏覽器，無需中斷。",
    },
    "unlinked": {
        "en": "Unlinked {count} browser(s). They can no longer send anything here.",
        "zh-Hans": "已断开 {count} 个浏览器，它们不能再向这里发送内容。",
        "zh-Hant": "已中斷 {count} 個瀏覽器，它們不能再向這裡傳送內容。",
    },
    "relay_linked": {
        "en": "🔗 A browser was linked to this chat ({label}). If that wasn't you, send /unlink.",
        "zh-Hans": "🔗 有一个浏览器关联到了这个聊天（{label}）。如果不是你本人操作，请发送 /unlink。",
        "zh-Hant": "🔗 有一個瀏覽器連結到了這個聊天室（{label}）。如果不是你本人操作，請傳送 /unlink。",
    },
    "relay_item": {
        "en": "📨 From your browser: {url}",
        "zh-Hans": "📨 来自你的浏览器：{url}",
        "zh-Hant": "📨 來自你的瀏覽器：{url}",
    },
    "mod_new_case": {
        "en": "🗂 New case {case_id}: {kind} {item}\nCategory: {category} · reports: {reports}",
        "zh-Hans": "🗂 新案件 {case_id}：{kind} {item}\n类别：{category} · 举报数：{reports}",
        "zh-Hant": "🗂 新案件 {case_id}：{kind} {item}\n類別：{category} · 檢舉數：{reports}",
    },
    "kind.link": {"en": "website", "zh-Hans": "网站", "zh-Hant": "網站"},
    "kind.text": {"en": "message", "zh-Hans": "消息", "zh-Hant": "訊息"},
    "kind.phone": {"en": "phone number", "zh-Hans": "电话号码", "zh-Hant": "電話號碼"},
    "kind.wallet": {"en": "wallet address", "zh-Hans": "钱包地址", "zh-Hant": "錢包地址"},
    "kind.media": {"en": "picture or video", "zh-Hans": "图片或视频", "zh-Hant": "圖片或影片"},
    "mod_auto": {
        "en": "Automatic check now: {verdict}",
        "zh-Hans": "目前的自动检查结果：{verdict}",
        "zh-Hant": "目前的自動檢查結果：{verdict}",
    },
    "mod_auto_none": {
        "en": "Automatic check now: none for this kind of item (look at it yourself).",
        "zh-Hans": "目前的自动检查结果：这类内容没有自动检查（请自行查看）。",
        "zh-Hant": "目前的自動檢查結果：這類內容沒有自動檢查（請自行查看）。",
    },
    "mod_seen": {
        "en": "Seen on: {where}",
        "zh-Hans": "看到的地方：{where}",
        "zh-Hant": "看到的地方：{where}",
    },
    "mod_said": {
        "en": "Reporter wrote: {text}",
        "zh-Hans": "举报人的描述：{text}",
        "zh-Hant": "檢舉人的描述：{text}",
    },
    "mod_impersonates": {
        "en": "Pretends to be: {who}",
        "zh-Hans": "冒充：{who}",
        "zh-Hant": "冒充：{who}",
    },
    "mod_by_other": {
        "en": "Case {case_id}: {action} by another moderator.",
        "zh-Hans": "案件 {case_id}：已由另一位审核员{action}。",
        "zh-Hant": "案件 {case_id}：已由另一位審核員{action}。",
    },
    "mod_already": {
        "en": "Case {case_id} is already {status} (by another moderator or on the web page), so your button changed nothing.",
        "zh-Hans": "案件 {case_id} 已经是“{status}”状态（由另一位审核员或在网页上处理），所以你的按钮没有改变任何东西。",
        "zh-Hant": "案件 {case_id} 已經是「{status}」狀態（由另一位審核員或在網頁上處理），所以你的按鈕沒有改變任何東西。",
    },
    "mod_now": {
        "en": "Case {case_id} is now {status}.",
        "zh-Hans": "案件 {case_id} 现在是“{status}”状态。",
        "zh-Hant": "案件 {case_id} 現在是「{status}」狀態。",
    },
    "status.pending": {"en": "pending", "zh-Hans": "待审核", "zh-Hant": "待審核"},
    "status.quarantined": {"en": "quarantined", "zh-Hans": "隔离待审", "zh-Hant": "隔離待審"},
    "status.confirmed": {"en": "confirmed", "zh-Hans": "已确认", "zh-Hant": "已確認"},
    "status.rejected": {"en": "rejected", "zh-Hans": "已驳回", "zh-Hant": "已駁回"},
    "status.retired": {"en": "retired", "zh-Hans": "已撤销", "zh-Hant": "已撤銷"},
    "status.merged": {
        "en": "merged into another case",
        "zh-Hans": "已合并到另一个案件",
        "zh-Hant": "已合併到另一個案件",
    },
    "mod_gone": {
        "en": "Case {case_id} no longer exists on the server (it may have been merged); nothing changed.",
        "zh-Hans": "服务器上已经没有案件 {case_id}（可能已被合并），没有做任何改动。",
        "zh-Hant": "伺服器上已經沒有案件 {case_id}（可能已被合併），沒有做任何改動。",
    },
    "mod_key": {
        "en": "Case {case_id}: the server does not let this bot moderate (its API key is not a moderator key or was revoked). Ask the operator; nothing changed.",
        "zh-Hans": "案件 {case_id}：服务器不允许这个机器人审核（它的 API 密钥不是审核员密钥，或已被撤销）。请联系运营者；没有做任何改动。",
        "zh-Hant": "案件 {case_id}：伺服器不允許這個機器人審核（它的 API 金鑰不是審核員金鑰，或已被撤銷）。請聯絡營運者；沒有做任何改動。",
    },
    "btn.confirm": {"en": "Confirm scam", "zh-Hans": "确认诈骗", "zh-Hant": "確認詐騙"},
    "btn.reject": {"en": "Reject", "zh-Hans": "驳回", "zh-Hant": "駁回"},
    "mod_done": {
        "en": "Case {case_id}: {action} by you.",
        "zh-Hans": "案件 {case_id}：已由你{action}。",
        "zh-Hant": "案件 {case_id}：已由你{action}。",
    },
    "mod.confirm": {"en": "confirmed", "zh-Hans": "确认", "zh-Hant": "確認"},
    "mod.reject": {"en": "rejected", "zh-Hans": "驳回", "zh-Hant": "駁回"},
    "mod_failed": {
        "en": "Case {case_id}: the server refused this; nothing changed. It said: {why}",
        "zh-Hans": "案件 {case_id}：服务器拒绝了这个操作，没有做任何改动。服务器的说明：{why}",
        "zh-Hant": "案件 {case_id}：伺服器拒絕了這個操作，沒有做任何改動。伺服器的說明：{why}",
    },
    "not_moderator": {
        "en": "Only moderators can do this.",
        "zh-Hans": "只有审核员可以这样操作。",
        "zh-Hant": "只有審核員可以這樣操作。",
    },
}


def t(key: str, lang: str, **params: object) -> str:
    """The sentence ``key`` in ``lang`` (English if the language is unknown)."""
    forms = T[key]
    text = forms.get(lang) or forms[DEFAULT_LANG]
    return text.format(**params) if params else text


def server_lang(lang: str) -> str:
    """What to ask the server for (it negotiates the BCP 47 tag to what it has)."""
    return lang
