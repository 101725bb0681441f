"""Find the protected site a host imitates, and say exactly how.

The protected set is the bundled top-sites list plus a curated table of brands that scams
imitate (``server/data/protected_brands.tsv``). A host is compared by its registrable label
(``paypa1`` in ``www.paypa1.com``), its subdomain and its suffix:

- typos: Damerau (OSA) distance 1 over skeletons, found through ``NameIndex`` (a
  symmetric-delete table for short names, untouched first/last letters for long ones) and
  verified with rapidfuzz; distance 2 only for long curated brands;
- look-alike letters: skeletons fold Cyrillic ``а``, accents and ``rn`` → ``m`` (see
  ``confusables``); a label mixing alphabets is named even without a brand;
- combosquatting: a curated brand name as a word of a longer label (``binance-airdrop``);
- a different ending (``paypal.top``), a brand's domain in the subdomain
  (``paypal.com.account-verify.top``) or split by a dot (``pay.pal.com``).

Hosts under the protected set (and MetaMask's allowlist) are never matched, nor names under
a brand's own top-level domain (``BRAND_TLDS``). The finder only
finds; ``server.detectors.lookalike`` decides what a finding weighs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote

import idna
from rapidfuzz.distance import OSA, Levenshtein

from server.links.confusables import ASCII_PAIRS, Confusables, ScriptMix
from server.links.domains import DomainParts, SuffixList

#: Shortest curated name matched at distance 1. Four-letter names (ebay, usps, hsbc) are the
#: ones scams target most; three letters (dhl, ups) have a legitimate neighbour for nearly
#: every edit. Measured: held-out Tranco check in the commit message.
MIN_CURATED_TYPO_LEN = 4

#: Names shorter than this are matched on another ending only by a change a reader cannot
#: see at a glance (``reads_alike``: look-alike letters, a doubled or undoubled letter), and
#: on their own ending by a swap, an added letter or a slip (``ShortNames``). Any other edit
#: of a four-letter name is usually another real name (visa/vista.ir, usps/ussp.io on the
#: development Tranco slice of bench/links_quality.py; hupu/hulu, smbc/cmbc before).
SHORT_NAME_LEN = 5

#: Top sites (not curated) are lookalike targets only down to this rank, and typo targets only
#: from this length: further down the list and shorter, their neighbours are mostly other
#: honest sites. Held-out Tranco check (ranks 15,001-20,000 against the first 15,000): rank
#: 5,000 and length 6 flagged 62 typos and 25 different endings (1.7%); rank 1,000 and length
#: 8 flag 6 and 3, and keep 258 of the 353 typo hits on the scam lists.
TOP_TARGET_RANK = 1_000
MIN_TOP_TYPO_LEN = 8

#: Curated names this long are matched at distance 2 too: two edits leave ``steamcomunlty``
#: recognisable (the Discord-AntiScam list is full of them). From 8 letters, "meta*" and
#: "open*" names crowd metamask and opensea (the MetaMask allowlist's near misses) and the
#: held-out Tranco check gained 5 false hits; 9 keeps all but 52 of the scam-list hits.
#: 11 was tried on 2026-11-23 (development slice: epicgames/exitgames and aliexpress/
#: l'express no longer named) and dropped: dnstwist's plural and homoglyph fuzzers fell
#: 94.29 -> 91.30 % and 98.62 -> 98.22 %, its mean over fuzzers below 95 % (94.89 %).
LONG_BRAND_LEN = 9

#: Under this many letters, a curated name two edits away is named only when both edits read
#: alike (``reads_alike_twice``): in nine or ten letters two other edits change a fifth of
#: the name and make another one (epicgames/exitgames, aliexpress/l'express on the
#: development Tranco slice of bench/links_quality.py; etherscan/ethercap, otterscan on the
#: MetaMask allowlist), while look-alike letters and doubled ones still read as the brand.
CLEAR_TWO_EDITS_LEN = 11

#: Letters at each end of a name that one edit leaves intact (see ``NameIndex``); names
#: shorter than twice this plus one go through the symmetric-delete table instead.
AFFIX_LEN = 3

#: Shortest name that counts in combosquatting (shorter ones are inside too many words), and
#: shortest one matched inside a longer word with no separator (``binanceairdrop``).
MIN_COMBO_LEN = 4
MIN_INFIX_LEN = 6

#: Shortest top-site label that counts for a different-ending match (``nytimes.top``).
MIN_TLD_SWAP_LEN = 5

#: Words that make a ``token`` name's combosquat: what a phishing page asks of the reader
#: (sign in, verify, claim, pay, track a parcel). The shared lure list also holds words honest
#: companies sharing those letters use (``dbs-check-online`` is a UK criminal-record check,
#: ``ups-store``, ``boc-online`` a gases firm): beside a two- or three-letter name, one of
#: these must be among the other words, the rest still lures.
#:
#: The pinyin ones are what Chinese bank and shopping phishing asks (``boc-ebank-cn``,
#: ``jd-baitiao-refund``, ``ccb-etoken-update``): the same words in Chinese (denglu login,
#: yanzheng verify, zhanghu account, anquan security, lingqu claim, jiangli reward), online
#: banking and its security device (ebank, etoken), cards and points (xinyongka 信用卡, kaika
#: 开卡, jifen 积分), refunds and payouts (tuikuan 退款, tuihuo 退货, tuipiao 退票, lipei 理赔,
#: peifu 赔付, buchang 补偿) and a closed account (zhuxiao 注销; jiefeng 解封 only beside
#: longer names: it is also a given name, and jd-jiefeng.com may be someone's). Each was measured alone on every legitimate name we hold, with the
#: protected lists switched off (Tranco top 20k, MetaMask's allow and fuzzy lists, the bundled
#: lists: 0 of 20,510 newly named). Those lists hold few Chinese names, so the words were also
#: read for what else they spell. Left to the shared lure list only, where they count beside
#: longer names: shengji (升级, also the card game 升级 on QQ Games and 省级 "provincial"),
#: renzheng (认证, firms selling certification), fanxian (返现, honest cashback sites), jihuo,
#: duihuan and baitiao (JD's own product name). Left out entirely: credit (paypalcredit.com
#: is PayPal's own; BOC Credit Card is a Bank of China company), guoqi (过期 "expired", also
#: 国企 "state-owned firm"), shiming (实名, also a given name), daikuan and jinrong (loan and
#: finance brokers put brands beside them), hongbao (red-packet coupon sites), jiedong and
#: dongjie (解冻, 冻结: also 揭东, a district, and 东街, "east street"; 平安揭东 is how a police
#: campaign names itself, so pinganjiedong.cn must not be a lookalike of Ping An; review).
TOKEN_LURES = frozenset(
    {
        "login", "logon", "signin", "verify", "verification", "validate", "claim", "claims",
        "wallet", "refund", "tracking", "track", "parcel", "delivery", "redelivery", "account",
        "secure", "security", "kyc", "bonus", "airdrop", "unlock", "recover", "recovery",
        "payment", "pay", "billing", "kefu", "tuikuan", "reward", "rewards", "giveaway",
        "reset", "confirm", "suspended", "locked",
        # pinyin and Chinese banking words, see above
        "denglu", "yanzheng", "zhanghu", "anquan", "lingqu", "jiangli", "ebank", "etoken",
        "xinyongka", "kaika", "jifen", "tuihuo", "tuipiao", "lipei", "peifu", "buchang",
        "zhuxiao",
    }
)  # fmt: skip

#: Customer-service numbers of Chinese banks and payment brands, keyed by the brand's domain
#: in ``protected_brands.tsv``: SMS phishing names sites after them (``95588-icbc.cn``,
#: ``icbc95588.com``), and beside the brand's name the number is a lure as the brand's own
#: ending is (a number alone, or another bank's number, is not): the 955xx numbers the banks
#: print on their cards and sites, Ping An's group number, Alipay's and UnionPay's.
SERVICE_NUMBERS: Mapping[str, frozenset[str]] = {
    "icbc.com.cn": frozenset({"95588"}),
    "ccb.com": frozenset({"95533"}),
    "boc.cn": frozenset({"95566"}),
    "bankofchina.com": frozenset({"95566"}),
    "abchina.com": frozenset({"95599"}),
    "cmbchina.com": frozenset({"95555"}),
    "bankcomm.com": frozenset({"95559"}),
    "psbc.com": frozenset({"95580"}),
    "spdb.com.cn": frozenset({"95528"}),
    "cib.com.cn": frozenset({"95561"}),
    "citicbank.com": frozenset({"95558"}),
    "cebbank.com": frozenset({"95595"}),
    "cmbc.com.cn": frozenset({"95568"}),
    "pingan.com": frozenset({"95511"}),
    "alipay.com": frozenset({"95188"}),
    "unionpay.com": frozenset({"95516"}),
}

#: Shortest curated name the short-name rule matches (``ups``, ``dhl``, ``qq``: two letters
#: have a registered neighbour for nearly every edit, and are matched by look-alike letters
#: only).
MIN_SHORT_RULE_LEN = 3

#: First labels of public suffixes that only governments, armed forces, treaty bodies or
#: schools can register under (gov, gov.uk, gc.ca, go.jp, gouv.fr, edu.cn, mil): a name
#: there is not a scammer's, whatever it looks like.
RESTRICTED_SUFFIX_HEADS = frozenset({"gov", "gob", "gouv", "go", "gc", "mil", "edu", "int"})

#: Generic endings that predate 2012: brands hold their names there defensively, so a brand
#: name on them is a weak cue; newer generic endings (.top, .gifts) are strong ones.
LEGACY_TLDS = frozenset({"com", "net", "org", "edu", "gov", "mil", "int", "info", "biz"})

#: Sponsored endings whose registry checks who may register (ICANN's sponsored TLDs: .jobs
#: for employers, .cat for the Catalan community, .museum, .travel, .aero, .coop, .post):
#: like a country ending, a place a brand's own site lives (amazon.jobs, google.cat), so a
#: brand's name there is a weak cue, not an unusual ending. (.tel, .asia and .xxx are
#: sponsored too but open to anyone in practice: walletconnect.tel is a scam.)
SPONSORED_TLDS = frozenset({"aero", "cat", "coop", "jobs", "museum", "post", "travel"})

#: Brand categories whose names beside product words stay primary evidence: money. A
#: wallet's or exchange's app lives under its own name (app.uniswap.org), and a new name with
#: "app", "bridge" or "web" beside theirs is how drainers copy it (most of the polkadot-js
#: and scamsniffer lists); "chase-online", "paypal-card" are the classic bank and payment
#: phish, which none of our scam lists measures.
PRODUCTLESS_CATEGORIES = frozenset({"crypto", "bank", "payments"})

#: Top-level domains one company runs for itself alone (ICANN Registry Agreement
#: Specification 13, ".brand" TLDs) whose company is a curated brand: nobody else can
#: register under them, so a name there is the brand's own (gemini.google is Google's, not a
#: copy of gemini.com). Brand names that are also open endings (.live, .cash, .ing) or a
#: country (.td) are not here.
BRAND_TLDS = frozenset(
    {
        "alibaba", "alipay", "amazon", "americanexpress", "aol", "apple", "auspost", "baidu",
        "barclays", "bestbuy", "booking", "capitalone", "chase", "citi", "commbank", "dhl",
        "discover", "fedex", "gmail", "google", "hsbc", "icbc", "microsoft", "netflix",
        "office", "playstation", "pnc", "taobao", "target", "tmall", "ups", "visa", "walmart",
        "weibo", "xbox", "yahoo", "yandex", "youtube",
    }
)  # fmt: skip

#: Letters run into a brand name with no separator that still read as filler, not a word of
#: their own ("my", "get", "pro", "us"); longer runs must be lure words.
MAX_FILLER_LEN = 3

#: Shortest brand name in Chinese characters matched (二字: 淘宝, 京东, 微信).
MIN_HAN_NAME_LEN = 2

#: Account, payment and service words Chinese phishing hosts put beside a brand's name
#: (支付宝客服, 淘宝退款, 工商银行网银登录): the Han counterpart of ``lookalike_words.txt``'s
#: pinyin (kefu, tuikuan, denglu). A Han name counts as a combosquat only beside these, the
#: brand's own Latin name or its ending; "小米粥" (millet porridge) is no Xiaomi site.
#: 返现, 退货, 退票 and 开卡 (cashback, a return, a ticket refund, a card opened) came with
#: their pinyin in ``lookalike_words.txt``; 白条 did not: 京东白条 is JD's own product's name,
#: as jd-baitiao stays unnamed (baitiao is no ``TOKEN_LURES`` word).
HAN_LURE_WORDS = frozenset(
    [
        "支付",
        "付款",
        "收款",
        "转账",
        "登录",
        "登陆",
        "客服",
        "人工",
        "退款",
        "退费",
        "理赔",
        "赔付",
        "官网",
        "官方",
        "认证",
        "验证",
        "核验",
        "实名",
        "安全",
        "中心",
        "账户",
        "账号",
        "网银",
        "手机银行",
        "银行卡",
        "信用卡",
        "下载",
        "领取",
        "奖励",
        "补偿",
        "补贴",
        "积分",
        "兑换",
        "服务",
        "在线",
        "注册",
        "激活",
        "解冻",
        "冻结",
        "解封",
        "升级",
        "更新",
        "通知",
        "查询",
        "充值",
        "提现",
        "贷款",
        "借款",
        "额度",
        "钱包",
        "红包",
        "中奖",
        "福利",
        "活动",
        "会员",
        "售后",
        "投诉",
        "办理",
        "注销",
        "审核",
        "个人",
        "企业",
        "返现",
        "退货",
        "退票",
        "开卡",
    ]
)

#: Endings whose registries gave brands their Chinese names first (CNNIC's .中国 and .cn,
#: .公司, .网络; Hong Kong's .香港 and Taiwan's .台灣 likewise), in punycode.
CHINESE_BRAND_ENDINGS = frozenset(
    {
        "cn",
        "xn--fiqs8s",
        "xn--fiqz9s",
        "xn--55qx5d",
        "xn--io0a7i",
        "xn--j6w193g",
        "xn--kpry57d",
        "xn--kprw13d",
    }
)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
#: The name column's first word when it is Chinese (``支付宝``, ``中国工商银行/工商银行``).
_HAN_NAME = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}(?:/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,})*"
)
#: The words of a label holding Chinese characters: Latin, digits, Han runs.
_MIXED_WORDS = re.compile(r"[a-z]+|[0-9]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

_WORDS = re.compile(r"[a-z]+|[0-9]+")
_TRAILING = re.compile(r"[a-z]+$")
_LEADING = re.compile(r"^[a-z]+")

_Trie = dict[str, "_Trie"]


class Technique(StrEnum):
    """How a host imitates a protected site."""

    TYPO = "typo"
    HOMOGLYPH = "homoglyph"
    TLD_SWAP = "tld_swap"
    COMBOSQUAT = "combosquat"
    BRAND_IN_SUBDOMAIN = "brand_in_subdomain"
    SPLIT_NAME = "split_name"
    MIXED_SCRIPT = "mixed_script"


class Combo(StrEnum):
    """How a curated name may appear inside other words (the TSV's ``combo`` column)."""

    ANY = "any"
    WORDS = "words"
    NONE = "none"
    #: A short name ("qq", "boc", "okx") that is NONE everywhere else, but counts as a whole
    #: word between hyphens when every other word is a lure ("qq-mail-login", "claim-okx").
    TOKEN = "token"  # noqa: S105 - a column value, not a secret

    @property
    def owns_neighbours(self) -> bool:
        """Whether the name may be matched inside other words, as a typo or on another ending
        (``any`` and ``words``); ``none`` and ``token`` names may not."""
        return self is Combo.ANY or self is Combo.WORDS


@dataclass(frozen=True, slots=True)
class Brand:
    """A protected name: the label it is matched by and the site it stands for."""

    key: str
    domain: str
    name: str
    category: str
    combo: Combo
    curated: bool
    #: Position in the top-sites list (1 = most popular); 0 when it is not in it.
    rank: int
    skeleton: str
    #: The skeleton with letter pairs folded (``rn`` → ``m``); equal to it for most names.
    paired: str


@dataclass(frozen=True, slots=True)
class Edit:
    """What changed between the brand's name and the host's: ``old`` became ``new``.

    ``kind`` is ``replaced``, ``swapped``, ``added``, ``missing`` or ``changed`` (several).
    """

    kind: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One way a host imitates a protected site."""

    technique: Technique
    brand: Brand | None
    site: str
    distance: int = 0
    threshold: int = 0
    edit: Edit | None = None
    scripts: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    suffix: str = ""
    unusual_ending: bool = False
    #: A combosquat whose extra words include a lure (login, airdrop) or the brand's ending.
    lure: bool = False
    #: A combosquat that is the brand's name followed only by words brands name their own
    #: services with (``huaweicloud``, ``googlemail``, ``rakuten-card``: ``product_words.txt``).
    product: bool = False
    #: Found by the short-name rule (``ShortNames``): one edit of a short or common curated
    #: name on the brand's own ending, or the brand's whole address run together.
    short: bool = False
    #: ``BRAND_IN_SUBDOMAIN`` found as a word of a subdomain label (``paypal-login.x.com``),
    #: not as the brand's whole domain; ``subdomain`` is what the host put before ``site``.
    in_word: bool = False
    subdomain: str = ""
    #: The brand's Chinese name when that is what the host's name holds (``支付宝.com``).
    han_name: str = ""


@dataclass(frozen=True, slots=True)
class BrandRow:
    """One line of ``protected_brands.tsv``."""

    domain: str
    name: str
    category: str
    combo: Combo
    #: The brand's names in Chinese characters (the name column's first word, with its
    #: ``/``-separated short forms: ``中国工商银行/工商银行 ICBC``).
    han_names: tuple[str, ...] = ()


def read_brand_rows(path: Path) -> list[BrandRow]:
    """The curated table; a malformed line raises ``ValueError`` naming it."""
    rows = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) != 4:
            raise ValueError(f"{path.name}:{number}: expected 4 tab-separated fields")
        domain, name, category, combo = (f.strip() for f in fields)
        first, _, rest = name.partition(" ")
        han_names: tuple[str, ...] = ()
        if _HAN_NAME.fullmatch(first):
            han_names = tuple(first.split("/"))
            name = f"{han_names[0]} {rest}".strip()  # short forms are for matching only
        rows.append(BrandRow(domain.lower(), name, category, Combo(combo), han_names))
    return rows


class ProtectedSet:
    """Sites that are never lookalikes: top sites, curated brands, known-legit hosts."""

    def __init__(
        self,
        suffixes: SuffixList,
        top_sites: Iterable[str],
        rows: Iterable[BrandRow],
        known_legit: Iterable[str],
    ) -> None:
        registrables: set[str] = set(top_sites)
        curated_hosts: set[str] = set()
        public_suffixes: set[str] = set()
        for row in rows:
            parts = suffixes.split(row.domain)
            if not parts.label:
                public_suffixes.add(row.domain)
            elif parts.subdomain:
                curated_hosts.add(row.domain)
            else:
                registrables.add(row.domain)
        self.registrables = frozenset(registrables)
        self.hosts = frozenset(curated_hosts) | frozenset(known_legit)
        self.suffixes = frozenset(public_suffixes)
        self._dotted_suffixes = tuple("." + suffix for suffix in public_suffixes)
        #: Every protected name that may show up inside another host's subdomain (the
        #: known-legit hosts are exempt but imitated by no one).
        self.domains = self.registrables | curated_hosts | self.suffixes

    def covers(self, host: str, parts: DomainParts) -> bool:
        """True when ``host`` is a protected site or under one."""
        registrable = parts.registrable
        if registrable in self.registrables or registrable in self.hosts:
            return True
        suffix = parts.suffix
        if suffix in self.suffixes or suffix.endswith(self._dotted_suffixes):
            return True
        name = host
        while len(name) > len(registrable):  # the subdomains between host and registrable
            if name in self.hosts:
                return True
            name = name.partition(".")[2]
        return False


class LookalikeFinder:
    """Every protected name, indexed once; ``find`` is then a handful of dict lookups."""

    def __init__(
        self,
        suffixes: SuffixList,
        top_sites: Sequence[str],
        rows: Sequence[BrandRow],
        known_legit: Iterable[str],
        context_words: Iterable[str],
        risky_tlds: Iterable[str] = (),
        product_words: Iterable[str] = (),
    ) -> None:
        self._suffixes = suffixes
        self._confusables = Confusables()
        self.protected = ProtectedSet(suffixes, top_sites, rows, known_legit)
        brands = _brands(suffixes, top_sites, rows, self._confusables)
        self._by_key: Mapping[str, Brand] = brands
        self._rows: Mapping[str, BrandRow] = {row.domain: row for row in reversed(rows)}
        self._typo_index = NameIndex((b for b in brands.values() if _typo_target(b)), 1)
        self._exact = _exact_index(b for b in brands.values() if b.curated)
        long_names = [b for b in brands.values() if b.curated and len(b.skeleton) >= LONG_BRAND_LEN]
        self._long_index = NameIndex(long_names, 2)
        combos = {b.key: b for b in brands.values() if _combo_target(b)}
        self._combos: Mapping[str, Brand] = combos
        self._combo_pattern = re.compile(_trie_pattern(combos))
        context = frozenset(context_words)
        # Each name's lure words: the shared ones plus its own ending ("pancakeswapfinance").
        self._lures = {key: context | _own_ending(b) for key, b in combos.items()}
        self._risky_tlds = frozenset(risky_tlds)
        self._products = frozenset(product_words)
        self._short = ShortNames(suffixes, rows, self._confusables)
        # Short names counted only as a whole word between hyphens beside lure words.
        self._tokens: Mapping[str, Brand] = {
            b.key: b for b in brands.values() if b.curated and b.combo is Combo.TOKEN
        }
        self._token_lures = {key: context | _own_ending(b) for key, b in self._tokens.items()}
        self._han = _han_brands(rows, brands)
        self._han_pattern = re.compile(_trie_pattern(self._han))
        self._inner_pattern = re.compile(_trie_pattern({*combos, *self._long_index.middles}))

    @property
    def confusables(self) -> Confusables:
        return self._confusables

    def is_unusual_ending(self, parts: DomainParts) -> bool:
        """An ending a brand's own site rarely has: a hosting suffix (``pages.dev``), a
        look-alike second level (``com.ru``), an abuse-heavy TLD or a new generic TLD
        (``.gifts``). Country endings and .com/.net/.org are where brands live."""
        if parts.private_suffix:
            return True
        tld = parts.suffix.rpartition(".")[2]
        if tld in self._risky_tlds:
            return True
        if tld in LEGACY_TLDS or tld in SPONSORED_TLDS:
            return False
        return len(tld) > 2 and not tld.startswith("xn--")

    def find(
        self, host: str, unicode_host: str, parts: DomainParts, *, screen: bool = True
    ) -> list[Finding]:
        """How ``host`` imitates a protected site: nothing when it is one, or under one.

        ``screen=False`` skips the quick screen (``_may_match``) and runs every rule: the
        same findings, slower; the tests compare the two."""
        if not parts.label or self.protected.covers(host, parts):
            return []
        if parts.suffix in BRAND_TLDS:
            return []  # only the brand registers under its own TLD
        found: list[Finding] = []
        in_subdomain = (
            self._in_subdomain(parts)
            or self._word_in_subdomain(parts)
            or self._han_in_subdomain(parts, unicode_host)
        )
        if in_subdomain is not None:
            found.append(in_subdomain)
        if parts.suffix.split(".", 1)[0] in RESTRICTED_SUFFIX_HEADS:
            # Only a government, army or school registers a name there (case.edu is no
            # chase.com); a page in its subdomains can still imitate one (above).
            return found
        label = _unicode_label(parts, unicode_host)
        if screen and label.isascii() and not self._may_match(label, parts):
            return found
        by_label = self._by_label(label, parts)
        if by_label is not None:
            found.append(by_label)
        return found

    def find_in_path(self, host: str, path: str) -> PathSite | None:
        """A page on a shared host whose *name* imitates a brand:
        ``sites.google.com/view/paypal-login``, ``ipfs.io/ipfs/<CID>/metamask.html``. The
        name goes through the same rules as a tenant's name under a hosting suffix."""
        name = page_name(host, path)
        if name is None:
            return None
        parts = DomainParts("", name, host, True)
        if not self._may_match(name, parts):
            return None
        finding = self._by_label(name, parts)
        if finding is None or finding.brand is None:
            return None
        return PathSite(host, name, finding)

    def _may_match(self, label: str, parts: DomainParts) -> bool:
        """False when no rule of ``_by_label`` can name this plain-ASCII label, told by a
        few set lookups and two regex searches: most hosts are near no protected name, and
        the distance computations are kept for those that are. Each test below is a
        superset of its rule's own first step (``tests/test_lookalike_screen.py``)."""
        if label in self._by_key or (parts.subdomain and self._split_name(parts)):
            return True
        if "-" in label and not self._tokens.keys().isdisjoint(label.split("-")):
            return True
        skeleton = self._confusables.skeleton(label)
        paired = self._confusables.fold_pairs(skeleton)
        forms = (skeleton,) if paired == skeleton else (skeleton, paired)
        # Typos first: they are most of what is named, and a named host pays for both this
        # screen and the full match.
        for form in forms:
            if self._typo_index.within_one(form):
                return True
            if label != skeleton and form in self._exact:
                return True
        # One scan for every name the rules look for inside a label (combosquat names, long
        # names' middles): most labels hold none, and then neither search below is needed.
        search = self._inner_pattern.search
        inside = bool(
            search(label)
            or (skeleton != label and search(skeleton))
            or (paired != skeleton and search(paired))
        )
        pattern = self._combo_pattern
        if inside and (pattern.search(label) or (skeleton != label and pattern.search(skeleton))):
            return True
        # The long names' step as ``_typo`` takes it: their affixes and middles are common
        # ("coi", "ers"), so candidates are verified here rather than in the full match.
        longs = self._long_index
        near_long = any(longs.has_near(form, inside) for form in forms)
        if near_long and _best(forms, longs.near(forms, 2), 2)[0] is not None:
            return True
        return self._short.may_find(label, parts)

    def _by_label(self, label: str, parts: DomainParts) -> Finding | None:
        if not label.isascii() and _HAN.search(label):
            by_han = self._by_han(label, parts)
            if by_han is not None:
                return by_han
        site = parts.registrable
        mix = self._confusables.script_mix(label)
        skeleton = self._confusables.skeleton(label)
        same = self._by_key.get(label)
        if same is not None:
            unusual = self.is_unusual_ending(parts)
            # A curated name that is also an ordinary word is no one's lookalike ("live.top").
            swap = same.combo.owns_neighbours if same.curated else unusual and _swap_target(same)
            if swap:
                return Finding(
                    Technique.TLD_SWAP, same, site, suffix=parts.suffix, unusual_ending=unusual
                )
            # A top site's own name on another ending is most often its own site; only a
            # curated name cut by a dot (pay.pal.com, with "pal" a site name) is still named.
            return self._split_name(parts)
        found = self._split_name(parts) or self._typo(label, skeleton, mix, parts)
        if found is not None:
            return found
        combo = self._combosquat(label, skeleton, site)
        if combo is not None:
            if combo.product:
                # Whether the brand's own service name sits where brands live (.com, a
                # country) or where they rarely do (.top, pages.dev): the detector weighs it.
                return replace(combo, unusual_ending=self.is_unusual_ending(parts))
            return combo
        return (
            self._short.find(label, parts)
            or self._token_combo(label, site)
            or _mixed_script(mix, site)
        )

    def _token_combo(self, label: str, site: str) -> Finding | None:
        """``qq-mail-login``, ``claim-okx``: a ``token`` name as one of the words between
        hyphens, every other word a lure or the brand's own ending and one of them a
        ``TOKEN_LURES`` word. Inside a word ("qqmusic"), or beside any other word
        ("jd-sports", "dbs-check-online"), a two- or three-letter name is someone else's."""
        if "-" not in label or not self._tokens:
            return None
        words = label.split("-")
        for i, word in enumerate(words):
            brand = self._tokens.get(word)
            if brand is None:
                continue
            others = tuple(w for j, w in enumerate(words) if j != i and w)
            letters = [w for w in others if not w.isdigit()]
            lure = self._token_lures[word]
            if all(_made_of(w, lure) for w in letters) and (
                any(_made_of(w, TOKEN_LURES) for w in letters) or _numbered(brand, others)
            ):
                return Finding(Technique.COMBOSQUAT, brand, site, words=others, lure=True)
        return None

    def _typo(
        self, label: str, skeleton: str, mix: ScriptMix, parts: DomainParts
    ) -> Finding | None:
        site = parts.registrable
        # A whole word in another script that folds near a brand is more often a real word
        # of that language: only an exact skeleton counts for it.
        limit = 0 if mix.foreign and "LATIN" not in mix.scripts else 1
        paired = self._confusables.fold_pairs(skeleton)
        forms = (skeleton,) if paired == skeleton else (skeleton, paired)
        brand, distance = _best(forms, self._typo_index.near(forms, limit), limit)
        if brand is None and label != skeleton:
            # Look-alike letters in a name too short or too common for typos ("јԁ", "ups" in
            # Cyrillic, "b0c"): the exact skeleton of any curated name.
            brand, distance = _best(forms, [b for f in forms for b in self._exact.get(f, ())], 0)
        threshold = 1
        if brand is None and limit:
            brand, distance = _best(forms, self._long_index.near(forms, 2), 2)
            threshold = 2
        if brand is None:
            return None
        if (
            threshold == 2
            and label.isascii()
            and len(brand.key) < CLEAR_TWO_EDITS_LEN
            and not reads_alike_twice(brand.key, label)
        ):
            return None
        edit = describe_edit(brand.key, label)
        raw_distance = OSA.distance(label, brand.key)
        # Look-alike letters plus a typo is still one: only plain ASCII must be a plain typo.
        if (
            label.isascii()
            and distance
            and not _plain_typo(brand, edit, label, raw_distance, threshold, parts.suffix)
        ):
            return None
        technique = Technique.HOMOGLYPH if mix.foreign or distance == 0 else Technique.TYPO
        return Finding(
            technique,
            brand,
            site,
            distance=raw_distance,
            threshold=threshold,
            edit=edit,
            scripts=mix.foreign,
        )

    def _combosquat(self, label: str, skeleton: str, site: str) -> Finding | None:
        # The label as written first; its skeleton only when no brand is spelled out in it
        # ("paypa1-login"), so digits folded into letters never invent words ("10000" → "loooo").
        for text in (label, skeleton):
            matches = self._spot(text)
            for start, key in matches:
                brand = self._combos[key]
                words = self._combo_words(text, start, start + len(key), brand)
                if words:
                    lure = self._lures[key]
                    letters = [w for w in words if not w.isdigit()]
                    lured = any(_made_of(w, lure) for w in letters) or _numbered(brand, words)
                    # Brands name their services after themselves, name first ("Huawei
                    # Cloud", "Rakuten Card"); a word put before the name reads as an
                    # address or an action ("app-uniswap" copies app.uniswap.org).
                    product = (
                        start == 0
                        and brand.category not in PRODUCTLESS_CATEGORIES
                        and bool(letters)
                        and all(_made_of(w, self._products) for w in letters)
                    )
                    return Finding(
                        Technique.COMBOSQUAT, brand, site, words=words, lure=lured, product=product
                    )
            if matches or skeleton == label:
                break
        return None

    def _by_han(self, label: str, parts: DomainParts) -> Finding | None:
        """A label in Chinese characters: a brand's Chinese name on another site
        (``支付宝.com``, ``工商银行.top``), or beside lure words (``支付宝-alipay``, ``淘宝退款``,
        ``paypal支付``). Browsers show such names in Chinese, as people read them."""
        site = parts.registrable
        same = self._han.get(label)
        if same is not None:
            suffix = parts.suffix
            if suffix in CHINESE_BRAND_ENDINGS or suffix.endswith(".cn"):
                # 中国银行.cn, 工商银行.中国: registries there reserved brands' Chinese names
                # for their owners; these are the brands' own addresses.
                return None
            unusual = self.is_unusual_ending(parts)
            return Finding(
                Technique.TLD_SWAP,
                same,
                site,
                suffix=parts.suffix,
                unusual_ending=unusual,
                han_name=label,
            )
        best: tuple[int, str] | None = None
        for start, name in self._spot_with(self._han_pattern, label):
            if best is None or len(name) > len(best[1]):
                best = (start, name)
        if best is not None:
            start, name = best
            brand = self._han[name]
            words = _MIXED_WORDS.findall(label[:start] + "-" + label[start + len(name) :])
            own = self._lures.get(brand.key, frozenset()) | {brand.key, *_own_ending(brand)}
            if words and all(w.isdigit() or _han_word(w, own) for w in words):
                lured = any(not w.isdigit() for w in words)
                return Finding(
                    Technique.COMBOSQUAT, brand, site, words=tuple(words), lure=lured, han_name=name
                )
            return None
        # A Latin brand name beside Chinese lure words: "paypal支付", "binance-客服".
        runs = _HAN_RUN.findall(label)
        if not all(_made_of(run, HAN_LURE_WORDS) for run in runs):
            return None
        latin = _HAN_RUN.sub("-", label).strip("-")
        if not latin.isascii():
            return None
        for start, key in self._spot(latin):
            brand = self._combos[key]
            end = start + len(key)
            others = _WORDS.findall(latin[:start]) + _WORDS.findall(latin[end:])
            if others and not self._combo_words(latin, start, end, brand):
                continue
            return Finding(Technique.COMBOSQUAT, brand, site, words=(*runs, *others), lure=True)
        return None

    def _spot(self, text: str) -> list[tuple[int, str]]:
        """Where combosquat names start in ``text``, the longest name at each position."""
        return self._spot_with(self._combo_pattern, text)

    @staticmethod
    def _spot_with(pattern: re.Pattern[str], text: str) -> list[tuple[int, str]]:
        found = []
        match = pattern.search(text)
        while match is not None:
            found.append((match.start(), match.group()))
            match = pattern.search(text, match.start() + 1)
        return found

    def _combo_words(self, text: str, start: int, end: int, brand: Brand) -> tuple[str, ...]:
        """The other words beside the brand, or ``()`` when they do not make a combosquat."""
        before, after = text[:start], text[end:]
        words = tuple(_WORDS.findall(before) + _WORDS.findall(after))
        if not words:
            return ()
        lure = self._lures[brand.key]
        # Letters run straight into the name ("xiaomi|wear", "binance|airdrop").
        touching = [run for run in (_TRAILING.findall(before) + _LEADING.findall(after)) if run]
        if brand.combo is Combo.ANY:
            # A made-up name may sit beside any word; run into one, only a lure word, its own
            # ending ("pancakeswapfinance") or a short filler ("mypaypal") counts:
            # "xiaomiwear" is Xiaomi's own, "namebay" is not eBay.
            filler = MAX_FILLER_LEN if len(brand.key) >= MIN_INFIX_LEN else 0
            unknown = [run for run in touching if not _made_of(run, lure)]
            # One filler at most: "alicloudapi" is not iCloud with "al" and "api" around it.
            fits = len(unknown) <= 1 and all(len(run) <= filler for run in unknown)
            return words if fits else ()
        # An ordinary word counts only beside the words of an account, payment or delivery
        # lure: "apple-id-verify", "appleid", never "applepie" or "apple-farm".
        letters = [w for w in words if not w.isdigit()]
        if letters and all(_made_of(w, lure) for w in letters):
            return words
        return ()

    def _split_name(self, parts: DomainParts) -> Finding | None:
        """``pay.pal.com``: the brand's name cut in two by a dot."""
        if not parts.subdomain:
            return None
        joined = parts.subdomain.rpartition(".")[2] + parts.label
        brand = self._by_key.get(joined)
        if brand is None or not brand.curated:
            return None
        return Finding(Technique.SPLIT_NAME, brand, parts.registrable)

    def _in_subdomain(self, parts: DomainParts) -> Finding | None:
        """``paypal.com.account-verify.top``, ``www.gov.cn.example.com``, ``paypal.com-x.top``."""
        if not parts.subdomain:
            return None
        # "www." is never what a brand is known by: "www.gov.cn.x.top" imitates gov.cn.
        names = [n for n in parts.subdomain.split(".") if n != "www"]
        names.append(parts.label.partition("-")[0])
        if len(names) < 2:
            return None
        domains = self.protected.domains
        for size in (4, 3, 2):
            for start in range(len(names) - size + 1):
                window = ".".join(names[start : start + size])
                if window in domains:
                    brand = self._brand_for(window)
                    return Finding(Technique.BRAND_IN_SUBDOMAIN, brand, parts.registrable)
        return None

    def _word_in_subdomain(self, parts: DomainParts) -> Finding | None:
        """``paypal-login.evil-site.com``, ``www-paypal-com.x.top``, ``paypal.x.top``: a curated
        name as a word of a subdomain label, the cheapest phishing host (wildcard DNS makes
        any subdomain free). ``lure`` when the other words there are lure words or the brand's
        own ending (``icbc-com-cn``); a bare name alone is not (``icbc.news-site.com``)."""
        subdomain = parts.subdomain
        # One trie search over the whole subdomain turns away nearly every host.
        if not subdomain or self._combo_pattern.search(subdomain) is None:
            return None
        words: list[str] = []
        brand: Brand | None = None
        for name in subdomain.split("."):
            if brand is None:
                if name in self._combos:
                    brand = self._combos[name]
                    continue
                spotted = self._combosquat(name, name, parts.registrable)
                if spotted is not None and spotted.brand is not None:
                    brand = spotted.brand
                    words.extend(spotted.words)
                    continue
            words.extend(_WORDS.findall(name))
        if brand is None:
            return None
        lure = self._lures[brand.key]
        others = [w for w in words if w != "www" and not w.isdigit()]
        lured = any(_made_of(w, lure) for w in others) or _numbered(brand, words)
        return Finding(
            Technique.BRAND_IN_SUBDOMAIN,
            brand,
            parts.registrable,
            words=tuple(w for w in words if w != "www"),
            lure=lured,
            in_word=True,
            subdomain=subdomain,
        )

    def _han_in_subdomain(self, parts: DomainParts, unicode_host: str) -> Finding | None:
        """``支付宝.x.com``, ``支付宝-登录.x.com``: a brand's Chinese name in a subdomain label,
        by the same rules as the site's own name."""
        if "xn--" not in parts.subdomain:
            return None
        count = parts.subdomain.count(".") + 1
        labels = unicode_host.split(".")[:count]
        for label in labels:
            if label.isascii() or not _HAN.search(label):
                continue
            found = self._by_han(label, DomainParts("", label, "", False))
            if found is None or not found.han_name:
                continue
            return Finding(
                Technique.BRAND_IN_SUBDOMAIN,
                found.brand,
                parts.registrable,
                words=found.words,
                lure=found.lure,
                in_word=True,
                subdomain=".".join(labels),
                han_name=found.han_name,
            )
        return None

    def _brand_for(self, domain: str) -> Brand:
        """The brand whose domain showed up in a subdomain, named as the table names it."""
        row = self._rows.get(domain)
        key = self._suffixes.split(domain).label or domain
        known = self._by_key.get(key)
        if row is not None:
            return Brand(key, domain, row.name, row.category, row.combo, True, 0, key, key)
        if known is not None and known.domain == domain:
            return known
        return Brand(key, domain, domain, "", Combo.NONE, False, 0, key, key)


#: Shared hosts that name a tenant's page in the path, not in a subdomain: the path part
#: that holds the page's name (``sites.google.com/view/<name>``, ``storage.googleapis.com/
#: <bucket>``). Their subdomain forms (``<name>.web.app``, ``<bucket>.s3.amazonaws.com``)
#: are private suffixes already.
PATH_SITES: Mapping[str, tuple[str, ...]] = {
    "sites.google.com": ("/view/", "/site/"),
    "storage.googleapis.com": ("/",),
    "storage.cloud.google.com": ("/",),
    "firebasestorage.googleapis.com": ("/v0/b/",),
    "s3.amazonaws.com": ("/",),
}
#: Path-style S3 endpoints of every region (``s3.eu-west-1.amazonaws.com/<bucket>``).
_S3_HOST = re.compile(r"s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com")
#: An IPFS gateway path, on any host: ``/ipfs/<CID>/<name>``. A CID is ``Qm`` + 44 base58
#: letters (v0) or a base32 ``b...`` string (v1): no site path looks like one by chance.
_IPFS_PATH = re.compile(r"/ipfs/(?:Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,})/([^/?#]+)")
#: What a page name may hold once lowercased: letters, digits and the separators of names.
_PAGE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._\-]{0,80}[a-z0-9])?")
_PAGE_SUFFIXES = (".html", ".htm", ".php", ".asp", ".aspx", ".appspot.com", ".firebasestorage.app")


@dataclass(frozen=True, slots=True)
class PathSite:
    """A page named in the path of a shared host, and how that name imitates a brand."""

    shared_host: str
    page: str
    finding: Finding


def page_name(host: str, path: str) -> str | None:
    """The name a shared host gives a tenant's page in ``path``, or ``None``: the bucket of
    ``storage.googleapis.com/<bucket>/...``, the site of ``sites.google.com/view/<site>``,
    the first name after an IPFS CID. Written as a host label (``paypal_login.html`` →
    ``paypal-login``) so the name rules read it as they read a host."""
    prefixes = PATH_SITES.get(host)
    segment = ""
    if prefixes is not None:
        for prefix in prefixes:
            if path.startswith(prefix):
                segment = path[len(prefix) :].partition("/")[0]
                break
    elif path.startswith("/ipfs/"):
        found = _IPFS_PATH.match(path)
        segment = found.group(1) if found else ""
    elif host.endswith("amazonaws.com") and _S3_HOST.fullmatch(host):
        segment = path[1:].partition("/")[0]
    if not segment:
        return None
    name = unquote(segment).lower()
    for ending in _PAGE_SUFFIXES:
        name = name.removesuffix(ending)
    if not _PAGE_NAME.fullmatch(name):
        return None
    return name.replace("_", "-").replace(".", "-")


class ShortNames:
    """The careful rule for curated names the general typo match leaves alone.

    Short names (``ups``, ``dhl``, ``pnc``, ``hsbc``), common words (``live``, ``office``,
    ``crypto``) and numbers (``12306``, ``95516``) have honest neighbours everywhere, so the
    general match skips them. They are still what scams imitate, so this rule names a host
    when, on the brand's *own* ending (``dhk.com`` for dhl.com, ``got.sg`` for gov.sg):

    - its name is one edit from the brand's (a letter replaced by a slip of the finger,
      added, missing or swapped, a hyphen added); for a three-letter name, a letter added or
      missing only when it reads alike (``dhhl.com``, not ``dhlk.com``); for a number, only
      an edit that brings in a letter or a hyphen (``10010y.com``: numbers one digit apart
      are other numbers); or
    - it is the brand's whole address run together on any ending (``zoom-us.com``,
      ``govuk.com``).

    Sites in the bundled top-sites list and MetaMask's allowlist are protected before this
    runs (``ProtectedSet``), names under an ending only governments or schools can register
    are never matched, and names under ``MIN_SHORT_RULE_LEN`` letters are left to the
    look-alike letter match. The held-out Tranco figure in ``bench/links_quality.py`` is
    the price of this rule, reported beside its recall.
    """

    def __init__(
        self, suffixes: SuffixList, rows: Sequence[BrandRow], confusables: Confusables
    ) -> None:
        self._near: dict[str, list[Brand]] = {}
        self._joined: dict[str, Brand] = {}
        #: Brand domain -> its ending (``sg`` for gov.sg, ``com.sg`` for dbs.com.sg).
        self._suffix_of: dict[str, str] = {}
        #: Ending -> the keys of ``_near`` whose names live on it (for ``may_find``).
        self._near_on: dict[str, set[str]] = {}
        for row in rows:
            parts = suffixes.split(row.domain)
            if (parts.label and parts.subdomain) or row.domain in self._suffix_of:
                continue  # a brand's host (weixin.qq.com) is matched by its own name
            # A public suffix row (gov.sg) is "gov" on the ending "sg".
            label, _, suffix = (
                (parts.label, ".", parts.suffix) if parts.label else row.domain.partition(".")
            )
            if len(label) < MIN_SHORT_RULE_LEN or not _short_rule_target(label, row.combo):
                continue
            skeleton = confusables.skeleton(label)
            paired = confusables.fold_pairs(skeleton)
            brand = Brand(
                label, row.domain, row.name, row.category, row.combo, True, 0, skeleton, paired
            )
            self._suffix_of[row.domain] = suffix
            for variant in {label, *_deletions(label)}:
                self._near.setdefault(variant, []).append(brand)
                self._near_on.setdefault(suffix, set()).add(variant)
            self._joined.setdefault(label.replace("-", "") + suffix.replace(".", ""), brand)
        self._longest = max((len(k) for k in self._near), default=0) + 1

    def may_find(self, label: str, parts: DomainParts) -> bool:
        """False when ``find`` surely finds nothing, told by set lookups alone: no name on
        this ending is within one deletion of the label (the candidates ``find`` checks)."""
        joined = self._joined.get(label.replace("-", ""))
        if joined is not None and label != joined.key:
            near = True
        elif len(label) > self._longest or not label.isascii():
            return False
        else:
            keys = self._near_on.get(parts.suffix)
            near = keys is not None and (label in keys or not keys.isdisjoint(_deletions(label)))
        return near and parts.suffix.split(".", 1)[0] not in RESTRICTED_SUFFIX_HEADS

    def find(self, label: str, parts: DomainParts) -> Finding | None:
        if parts.suffix.split(".", 1)[0] in RESTRICTED_SUFFIX_HEADS:
            return None
        site = parts.registrable
        joined = self._joined.get(label.replace("-", ""))
        if joined is not None and label != joined.key:
            words = tuple(self._suffix_of[joined.domain].split("."))
            return Finding(Technique.COMBOSQUAT, joined, site, words=words, lure=True, short=True)
        if len(label) > self._longest or not label.isascii():
            return None
        candidates: dict[str, Brand] = {}
        for variant in {label, *_deletions(label)}:
            for brand in self._near.get(variant, ()):
                candidates.setdefault(brand.domain, brand)
        best: Brand | None = None
        for brand in candidates.values():
            if self._suffix_of[brand.domain] != parts.suffix or label == brand.key:
                continue
            if OSA.distance(label, brand.key, score_cutoff=1) > 1:
                continue
            if brand.key.isdigit() and label.isdigit():
                continue  # another number, not a look-alike of this one
            edit = describe_edit(brand.key, label)
            if not _slip(edit):
                continue
            # Every two- and four-letter name on a popular ending is someone's: a letter added
            # to or dropped from three (ing.com: king.com, ig.com) must read alike (dhhl.com).
            if (
                len(brand.key) < MIN_CURATED_TYPO_LEN
                and edit.kind in ("added", "missing")
                and not reads_alike(edit, brand.key, label)
            ):
                continue
            best = brand
            break
        if best is None:
            return None
        return Finding(
            Technique.TYPO,
            best,
            site,
            distance=1,
            threshold=1,
            edit=describe_edit(best.key, label),
            short=True,
        )


#: Keys next to each other (rows and the keys diagonally below) on the three Latin layouts
#: most people type on: QWERTY, German QWERTZ and French AZERTY (dnstwist's replacement
#: fuzzer uses the same three).
_KEY_LAYOUTS = (
    ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"),
    ("1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm"),
    ("1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"),
)
_VOWEL_LETTERS = frozenset("aeiou")


def _neighbour_keys() -> dict[str, frozenset[str]]:
    near: dict[str, set[str]] = {}
    for rows in _KEY_LAYOUTS:
        for r, row in enumerate(rows):
            for c, key in enumerate(row):
                around = near.setdefault(key, set())
                for dr, dc in ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0)):
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < len(rows) and 0 <= cc < len(rows[rr]):
                        around.add(rows[rr][cc])
    return {key: frozenset(keys) for key, keys in near.items()}


_NEIGHBOUR_KEYS = _neighbour_keys()


def _slip(edit: Edit) -> bool:
    """A replaced letter that reads as a slip, not as another name: a neighbouring key
    (``htx``/``htc``), a vowel for a vowel (``citi``/``cite``), a one-bit flip (bitsquatting,
    ``wise``/``wase``) or a digit for a letter. Any other edit kind passes: an added, missing
    or swapped letter, a hyphen. (``wish.com`` is not wise.com: ``e``/``h`` is none of these.)"""
    if edit.kind != "replaced" or len(edit.old) != 1 or len(edit.new) != 1:
        return True
    old, new = edit.old, edit.new
    return (
        new in _NEIGHBOUR_KEYS.get(old, ())
        or (old in _VOWEL_LETTERS and new in _VOWEL_LETTERS)
        or bin(ord(old) ^ ord(new)).count("1") == 1
        or old.isdigit() != new.isdigit()
    )


#: Single letters a reader takes for one another in an address bar, beyond the skeleton's
#: folds (``0``/``o``, ``1``/``l``, ``rn``/``m``): thin strokes (i, l, j, t, f), a missing or
#: extra hump or tail (m/n, n/h, u/v, v/y), open and closed rounds (c, e, o, a), mirrored
#: bowls (b/d, p/q, g/q) and digits shaped like letters (5/s, 8/b, 9/g).
VISUAL_PAIRS = frozenset(
    frozenset(pair)
    for pair in (
        "il", "ij", "lj", "it", "lt", "ft", "mn", "hn", "uv", "vy", "ce", "co", "eo", "ao",
        "bd", "pq", "gq", "bh", "5s", "3e", "8b", "6b", "9g", "2z", "1i", "0o", "1l", "4a",
    )
)  # fmt: skip


def reads_alike(edit: Edit, brand: str, label: str) -> bool:
    """A change of one letter that the eye passes over: a look-alike letter (``VISUAL_PAIRS``,
    ``rn`` for ``m``), a letter doubled (``ebbay``) or a doubled one halved (``aple``). What
    a short name needs where a key slip or a swap would only make another name: on another
    ending, or a letter added to or dropped from three letters (``king`` is not ``ing``)."""
    if edit.kind == "replaced":
        pair = frozenset((edit.old, edit.new))
        return pair in VISUAL_PAIRS or any(pair == frozenset(folded) for folded in ASCII_PAIRS)
    if edit.kind == "added":
        return _undoubled(label) == brand
    if edit.kind == "missing":
        return _undoubled(brand) == label
    return False


def reads_alike_twice(brand: str, label: str) -> bool:
    """Whether every change from ``brand`` to ``label`` is one the eye passes over: a
    look-alike letter (``VISUAL_PAIRS``, ``rn`` for ``m``), a letter doubled or a doubled one
    halved, two letters swapped, or letters only added, every letter of the name still there
    in order (``microsesoft``). ``exitgames`` (two letters replaced by others) and
    ``lexpress`` (two dropped) read as other names."""
    fold = Confusables.fold_pairs
    return _reads_alike_after_swaps(brand, label) or _reads_alike_after_swaps(
        fold(brand), fold(label)
    )


def _reads_alike_after_swaps(brand: str, label: str, swaps: int = 2) -> bool:
    """``_changes_read_alike`` once each swap of two neighbouring letters that brings the
    label closer to the name is undone (an alignment shows a swap as a letter deleted and
    one added, neither of which reads alike on its own)."""
    if _changes_read_alike(brand, label):
        return True
    if not swaps:
        return False
    here = OSA.distance(brand, label)
    for i in range(len(label) - 1):
        if label[i] == label[i + 1]:
            continue
        undone = label[:i] + label[i + 1] + label[i] + label[i + 2 :]
        if OSA.distance(brand, undone) < here and _reads_alike_after_swaps(
            brand, undone, swaps - 1
        ):
            return True
    return False


def _changes_read_alike(brand: str, label: str) -> bool:
    ops = [op for op in Levenshtein.opcodes(brand, label) if op.tag != "equal"]
    if all(op.tag == "insert" for op in ops):
        return True
    for op in ops:
        old = brand[op.src_start : op.src_end]
        new = label[op.dest_start : op.dest_end]
        if op.tag == "replace" and not _replaced_alike(old, new):
            return False
        if op.tag == "insert" and not all(
            _doubled(label, j) for j in range(op.dest_start, op.dest_end)
        ):
            return False
        if op.tag == "delete" and not all(
            _doubled(brand, i) for i in range(op.src_start, op.src_end)
        ):
            return False
    return True


def _replaced_alike(old: str, new: str) -> bool:
    if len(old) == len(new):
        return all(frozenset(pair) in VISUAL_PAIRS for pair in zip(old, new, strict=True))
    return any({old, new} == {pair, single} for pair, single in ASCII_PAIRS)


def _doubled(word: str, i: int) -> bool:
    """Whether ``word[i]`` repeats the letter beside it."""
    return (i > 0 and word[i - 1] == word[i]) or (i + 1 < len(word) and word[i + 1] == word[i])


def _undoubled(word: str) -> str | None:
    """``word`` with its one doubled letter written once, or ``None`` (no single double)."""
    doubles = [i for i in range(len(word) - 1) if word[i] == word[i + 1] and word[i] != "-"]
    if len(doubles) != 1:
        return None
    i = doubles[0]
    return word[:i] + word[i + 1 :]


def _short_rule_target(label: str, combo: Combo) -> bool:
    """Names the general typo match skips: common words, short names, numbers."""
    return not combo.owns_neighbours or len(label) < SHORT_NAME_LEN or label.isdigit()


class NameIndex:
    """Names within a small OSA distance of a query, found without scanning them all.

    Short names (under ``2 * AFFIX_LEN + 1`` letters) go in a symmetric-delete table: each
    name and its one-deletion variants → the name; a query looks up itself and its own
    deletions. Longer names are found by what an edit cannot reach (pigeonhole): one edit
    leaves the first or the last ``AFFIX_LEN`` letters intact; two leave those or the middle
    intact (two transpositions straddling both borders escape it, a case no fuzzer makes).
    Candidates are a superset: the caller verifies each with rapidfuzz's OSA distance.
    """

    def __init__(self, brands: Iterable[Brand], max_distance: int) -> None:
        self._max = max_distance
        self.short_len = 2 * AFFIX_LEN + 1
        deletes: dict[str, list[Brand]] = {}
        heads: dict[str, list[tuple[int, Brand]]] = {}
        tails: dict[str, list[tuple[int, Brand]]] = {}
        middles: dict[str, list[tuple[int, Brand]]] = {}
        #: Every form and every one-letter deletion of it (for ``within_one``).
        one_deleted: set[str] = set()
        for brand in brands:
            for form in {brand.skeleton, brand.paired}:
                one_deleted.add(form)
                one_deleted.update(_deletions(form))
                if len(form) < self.short_len:
                    for variant in {form, *_deletions(form)}:
                        deletes.setdefault(variant, []).append(brand)
                    continue
                heads.setdefault(form[:AFFIX_LEN], []).append((len(form), brand))
                tails.setdefault(form[-AFFIX_LEN:], []).append((len(form), brand))
                middle = form[AFFIX_LEN:-AFFIX_LEN]
                middles.setdefault(middle, []).append((len(form), brand))
        self._deletes = {k: tuple(v) for k, v in deletes.items()}
        self._heads = {k: tuple(v) for k, v in heads.items()}
        self._tails = {k: tuple(v) for k, v in tails.items()}
        self._middles = {k: tuple(v) for k, v in middles.items()}
        #: The long names' middles (``has_middle`` looks for them).
        self.middles = frozenset(middles)
        # Overlapping matches (a lookahead) so that no middle hides another.
        self._middle_pattern = re.compile(f"(?=({_trie_pattern(middles)}))")
        self._one_deleted = frozenset(one_deleted)
        # For ``within_one`` and ``has_near``: each affix (and middle) -> every query length
        # within reach of its names.
        self.head_sizes = _sizes_within(heads, max_distance)
        self.tail_sizes = _sizes_within(tails, max_distance)
        self._middle_sizes = _sizes_within(middles, max_distance)

    def within_one(self, form: str) -> bool:
        """False when no name is within OSA distance 1 of ``form``, in a few set lookups:
        one edit (a transposition too) leaves both strings equal after at most one deletion
        each (symmetric delete). True is not a match, only "verify": some pairs two edits
        apart pass too (``abc``/``bca``)."""
        size = len(form)
        # Too long for a short name, a form is near a long one only if it kept its first or
        # last letters.
        if (
            size > self.short_len
            and size not in self.head_sizes.get(form[:AFFIX_LEN], ())
            and size not in self.tail_sizes.get(form[-AFFIX_LEN:], ())
        ):
            return False
        one_deleted = self._one_deleted
        return form in one_deleted or not one_deleted.isdisjoint(_deletions(form))

    def has_near(self, form: str, middles: bool = True) -> bool:
        """Whether ``near([form], max_distance)`` names any candidate, in a few set lookups:
        most labels are near no name, and saying so must cost less than listing none.
        ``middles=False`` when the caller knows no middle is in ``form``."""
        size = len(form)
        if size in self.head_sizes.get(form[:AFFIX_LEN], ()):
            return True
        if size in self.tail_sizes.get(form[-AFFIX_LEN:], ()):
            return True
        deletes = self._deletes
        if deletes and size <= self.short_len:
            if form in deletes:
                return True
            if self._max and not deletes.keys().isdisjoint(_deletions(form)):
                return True
        return middles and self.has_middle(form)

    def has_middle(self, form: str) -> bool:
        """Whether a name's middle within reach of ``form``'s length is in ``form`` (the
        part of ``has_near`` that names two edits away, so only ``max_distance`` 2, use)."""
        if self._max > 1:
            size = len(form)
            for match in self._middle_pattern.finditer(form):
                if size in self._middle_sizes[match.group(1)]:
                    return True
        return False

    def near(self, forms: Sequence[str], limit: int) -> list[Brand]:
        """Candidates for the skeleton ``forms`` of one label (a superset, unverified)."""
        limit = min(limit, self._max)
        found: list[Brand] = []
        for form in forms:
            size = len(form)
            if self._deletes and size <= self.short_len:
                variants = {form, *_deletions(form)} if limit else {form}
                for variant in self._deletes.keys() & variants:
                    found.extend(self._deletes[variant])
            for length, brand in (
                *self._heads.get(form[:AFFIX_LEN], ()),
                *self._tails.get(form[-AFFIX_LEN:], ()),
            ):
                if abs(length - size) <= limit:
                    found.append(brand)
            if limit > 1:
                for match in self._middle_pattern.finditer(form):
                    for length, brand in self._middles[match.group(1)]:
                        if abs(length - size) <= limit:
                            found.append(brand)
        return found


def _sizes_within(
    index: Mapping[str, Sequence[tuple[int, Brand]]], reach: int
) -> dict[str, frozenset[int]]:
    """Key -> every length within ``reach`` of the lengths of its names."""
    return {
        key: frozenset(length + d for length, _ in found for d in range(-reach, reach + 1))
        for key, found in index.items()
    }


def describe_edit(brand: str, label: str) -> Edit:
    """The smallest span that differs: ``paypal``/``paypa1`` → ``l`` replaced by ``1``."""
    start = 0
    limit = min(len(brand), len(label))
    while start < limit and brand[start] == label[start]:
        start += 1
    end = 0
    while end < limit - start and brand[-1 - end] == label[-1 - end]:
        end += 1
    old, new = brand[start : len(brand) - end], label[start : len(label) - end]
    if not old and len(new) == 1:
        return Edit("added", old, new)
    if not new and len(old) == 1:
        return Edit("missing", old, new)
    if len(old) == 2 and new == old[::-1]:
        return Edit("swapped", old, new)
    if old and new and max(len(old), len(new)) <= 2:
        return Edit("replaced", old, new)
    return Edit("changed", old, new)


def _brands(
    suffixes: SuffixList,
    top_sites: Sequence[str],
    rows: Sequence[BrandRow],
    confusables: Confusables,
) -> dict[str, Brand]:
    """Every name a host is compared with: curated rows first, then top sites by rank."""
    ranks = {site: rank for rank, site in enumerate(top_sites, start=1)}
    brands: dict[str, Brand] = {}
    for row in rows:
        parts = suffixes.split(row.domain)
        if not parts.label:
            continue  # a public suffix (gov.cn) is protected whole, never by a name
        key = parts.subdomain.partition(".")[0] if parts.subdomain else parts.label
        if key not in brands:
            rank = ranks.get(row.domain, 0)
            skeleton = confusables.skeleton(key)
            paired = confusables.fold_pairs(skeleton)
            brands[key] = Brand(
                key, row.domain, row.name, row.category, row.combo, True, rank, skeleton, paired
            )
    for rank, site in enumerate(top_sites, start=1):
        label = suffixes.split(site).label
        if label and label not in brands:
            skeleton = confusables.skeleton(label)
            paired = confusables.fold_pairs(skeleton)
            brands[label] = Brand(label, site, site, "", Combo.NONE, False, rank, skeleton, paired)
    return brands


def _plain_typo(
    brand: Brand, edit: Edit, label: str, raw_distance: int, threshold: int, suffix: str
) -> bool:
    """A typo we name: within the threshold as written (not only once folded: ``kama`` is
    not ``klarna``), and never on a name too common to own its neighbours (``line``:
    ``cline``; ``battle``: ``tattle``). On a short name, a swap or an added letter on the
    brand's own ending (``ebya.com``); on another ending only a change that reads alike
    (``reads_alike``): ``vista.ir`` is no visa.com, ``ussp.io`` no usps.com."""
    if raw_distance > threshold or (brand.curated and not brand.combo.owns_neighbours):
        return False
    if len(brand.key) >= SHORT_NAME_LEN:
        return True
    if brand.domain == f"{brand.key}.{suffix}":
        return edit.kind in ("swapped", "added")
    return reads_alike(edit, brand.key, label)


def _han_brands(rows: Sequence[BrandRow], brands: Mapping[str, Brand]) -> dict[str, Brand]:
    """Each Chinese name → the brand it names (the first row that gives it), keyed as the
    brand's Latin name is, so its lure words and ending apply."""
    by_domain = {b.domain: b for b in brands.values() if b.curated}
    found: dict[str, Brand] = {}
    for row in rows:
        for name in row.han_names:
            if len(name) < MIN_HAN_NAME_LEN or name in found:
                continue
            latin = by_domain.get(row.domain)
            if latin is None:
                continue  # a public suffix row (gov.cn): protected whole, not by a name
            found[name] = latin
    return found


def _han_word(word: str, latin_words: frozenset[str]) -> bool:
    """A word beside a Chinese brand name that makes a lure: a Chinese lure word, or a Latin
    lure word, the brand's own Latin name or ending (``支付宝-alipay``, ``支付宝-com``)."""
    if _HAN.match(word):
        return _made_of(word, HAN_LURE_WORDS)
    return _made_of(word, latin_words)


def _made_of(run: str, words: frozenset[str]) -> bool:
    """True when ``run`` is ``words`` end to end (``walletconnect``, ``secureid``), plurals
    included (``airdrops``)."""
    reachable = [True] + [False] * len(run)
    for stop in range(1, len(run) + 1):
        reachable[stop] = any(
            reachable[begin] and _is_word(run[begin:stop], words) for begin in range(stop)
        )
    return reachable[-1]


def _is_word(text: str, words: frozenset[str]) -> bool:
    return text in words or (len(text) > 3 and text[-1] == "s" and text[:-1] in words)


def _numbered(brand: Brand, words: Iterable[str]) -> bool:
    """Whether one of ``words`` is the brand's customer-service number (``SERVICE_NUMBERS``):
    ``95588`` beside ``icbc``."""
    numbers = SERVICE_NUMBERS.get(brand.domain)
    return numbers is not None and not numbers.isdisjoint(words)


def _own_ending(brand: Brand) -> frozenset[str]:
    """The words of the brand's real ending: ``finance`` for pancakeswap.finance."""
    return frozenset(brand.domain.split(".")[1:])


def _exact_index(brands: Iterable[Brand]) -> dict[str, tuple[Brand, ...]]:
    """Both skeletons of each name → the names."""
    index: dict[str, list[Brand]] = {}
    for brand in brands:
        for form in {brand.skeleton, brand.paired}:
            index.setdefault(form, []).append(brand)
    return {form: tuple(found) for form, found in index.items()}


def _typo_target(brand: Brand) -> bool:
    if not any(ch.isalpha() for ch in brand.key):
        return False  # 12306 vs 12305: numbers one digit apart are all "typos"
    if brand.curated:
        return len(brand.key) >= MIN_CURATED_TYPO_LEN
    # Machine names (t-msedge, gtm-a2b2) are nobody's lure: letters-only names only.
    plain = brand.key.isalpha()
    return plain and 0 < brand.rank <= TOP_TARGET_RANK and len(brand.key) >= MIN_TOP_TYPO_LEN


def _swap_target(brand: Brand) -> bool:
    return 0 < brand.rank <= TOP_TARGET_RANK and len(brand.key) >= MIN_TLD_SWAP_LEN


def _combo_target(brand: Brand) -> bool:
    return brand.curated and brand.combo.owns_neighbours and len(brand.key) >= MIN_COMBO_LEN


def _deletions(word: str) -> list[str]:
    """Every string ``word`` becomes with one character deleted."""
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def _best(
    forms: Sequence[str], candidates: Sequence[Brand], limit: int
) -> tuple[Brand | None, int]:
    """The closest verified candidate: curated before top sites, then the higher rank."""
    best: Brand | None = None
    best_key = (limit + 1, 0, 0)
    distance = OSA.distance
    for brand in dict.fromkeys(candidates):
        found = limit + 1
        for form in forms:
            found = min(found, distance(form, brand.skeleton, score_cutoff=limit))
            if brand.paired != brand.skeleton:
                found = min(found, distance(form, brand.paired, score_cutoff=limit))
        key = (found, 0 if brand.curated else 1, brand.rank or 1_000_000)
        if found <= limit and key < best_key:
            best, best_key = brand, key
    return best, best_key[0]


def _mixed_script(mix: ScriptMix, site: str) -> Finding | None:
    if not mix.suspicious:
        return None
    return Finding(Technique.MIXED_SCRIPT, None, site, scripts=mix.scripts)


def _unicode_label(parts: DomainParts, unicode_host: str) -> str:
    """The registrable label as a person sees it (``pаypal``, not ``xn--pypal-4ve``)."""
    if not parts.label.startswith("xn--"):
        return parts.label
    labels = unicode_host.split(".")
    index = len(labels) - parts.suffix.count(".") - 2
    if 0 <= index < len(labels) and not labels[index].startswith("xn--"):
        return labels[index]
    try:
        return idna.decode(parts.label)
    except (idna.IDNAError, UnicodeError):
        return parts.label


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex for many literal words, shaped as a trie: ``pay(?:pal|oneer)``.

    Python's ``re`` tries alternatives one by one; a trie makes a search several times
    faster than a flat ``a|b|c``.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_regex(trie) or "(?!)"


def _trie_regex(node: _Trie) -> str:
    branches = [
        re.escape(char) + _trie_regex(child) for char, child in sorted(node.items()) if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Optional and greedy: the longest name wins ("paypal" over "pay").
    return f"(?:{body})?" if "" in node else body
