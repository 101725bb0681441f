r"""Hand-made host shapes the Tranco and scam lists hardly hold: brand words in subdomains,
wrapped links, pages named in the path of shared hosts, Chinese IDNs (review 34, #9/#11/#13).

Prints, for each hand-written set, how many URLs are flagged (``suspicious`` or
``likely_scam``) and by which codes, through the real pipeline as ``bench/common.build`` makes
it, twice: with the full bundled ``top_sites`` and with ``top_sites`` cut to ranks 1-15,000
(the held-out protection ``bench/links_quality.py`` uses). Every set is **in-sample**: written
while the rules were developed, so its false-flag figure is a floor, not an estimate; the
held-out Tranco rows of ``bench/links_quality.py`` are the estimate. The Tranco list holds no
host with a subdomain, which is why this set exists at all.

    .venv/bin/python bench/links_shapes.py [--show] [--urls FILE]

``--urls FILE`` also judges a file of real URLs, one a line (for instance every URL in the
installed packages' and /usr/share/doc's text:
``grep -rhoIE "https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/[A-Za-z0-9._~/-]*)?" ... | sort -u``) and
prints how many are flagged, unwrapped, and carry one of the codes added for review 34.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from common import FLAGGED, Built, build

HELD_OUT_SPLIT = 15_000

#: Brand-named subdomains of real sites (vendor tenants, status pages, news sections, blogs,
#: CDNs): a rule that flags these flags honest mail and pages.
LEGIT_SUBDOMAINS = (
    "https://paypal.okta.com/",
    "https://binance.zendesk.com/hc/en-us",
    "https://coinbase.greenhouse.io/jobs",
    "https://paypal.wd1.myworkdayjobs.com/jobs",
    "https://revolut.bamboohr.com/careers",
    "https://stripe.slack.com/",
    "https://kraken.atlassian.net/wiki",
    "https://metamask.zendesk.com/hc/en-us",
    "https://paypal.service-now.com/",
    "https://visa.my.salesforce.com/",
    "https://paypal.statuspage.io/",
    "https://coinbase.statuspage.io/",
    "https://icbc.example-news.com/2024/report",
    "https://apple.slashdot.org/story/24/01/01/apple",
    "https://paypal.tistory.com/",
    "https://binance.gitbook.io/docs",
    "https://amazon.jobs.lever.co/",
    "https://netflix.techblog.example.org/",
    "https://paypal.map.fastly.net/",
    "https://alipay.developer.example.cn/",
    "https://huawei.consumer-reviews.com/",
    "https://samsung.fandom-news.net/",
    "https://steam.gamefaqs-archive.com/",
    "https://metamask.community-forum.net/",
    "https://opensea.nft-news.io/",
    "https://uniswap.defi-tracker.org/",
    "https://taobao.ecommerce-weekly.cn/",
    "https://chase.bankrate-review.com/",
    "https://hsbc.branch-locator.co.uk/",
    "https://paypal.developer-forum.net/",
    "https://ebay.sellercentral-tips.com/",
    "https://binance.academy-notes.com/",
    "https://coinbase.careers-page.com/",
    "https://dhl.logistics-news.de/",
    "https://fedex.shippingwatch.com/",
    "https://microsoft.partner-network.eu/",
    "https://adobe.creative-forum.org/",
    "https://paypal-sdk.readthedocs.io/",
    "https://paypal.github.io/",
    "https://apple.news-digest.com/",
)

#: The scam shapes review 34 reproduced, and variants of them.
SCAM_SUBDOMAINS = (
    "https://paypal-login.evil-site.com/",
    "https://www-paypal-com.evil-site.com/",
    "https://icbc-com-cn.evil-site.com/",
    "https://login-paypal.evil-site.top/",
    "https://paypal.evil-site.top/",
    "https://secure-paypal-com.account-check.net/",
    "https://binance-airdrop.claim-now.xyz/",
    "https://metamask-wallet.restore-seed.com/",
    "https://login.paypal.evil-site.top/",
    "https://alipay-com.refund-center.cn/",
    "https://taobao-tuikuan.kefu-center.com/",
    "https://coinbase-support.help-desk.info/",
)

#: Wrapped links to a scam host, each wrapper once.
SCAM_WRAPPED = (
    "https://www.google.co.uk/url?q=https://paypal-login-verify.top/",
    "https://www.google.com.hk/url?q=https://paypal-login-verify.top/&sa=U",
    "https://www.google.de/url?url=https%3A%2F%2Fpaypal-login-verify.top%2F",
    "https://www.google.com/amp/s/paypal-login-verify.top/",
    "https://www.google.co.jp/amp/s/paypal-login-verify.top/signin",
    "https://translate.google.com/translate?sl=auto&tl=en&u=https://paypal-login-verify.top/",
    "https://paypal--login--verify-top.translate.goog/?_x_tr_sl=auto&_x_tr_tl=en",
    "https://www.bing.com/ck/a?!&&p=abc&u=a1aHR0cHM6Ly9wYXlwYWwtbG9naW4tdmVyaWZ5LnRvcC8&ntb=1",
    "https://sites.google.com/view/paypal-login",
    "https://storage.googleapis.com/paypal-verify/index.html",
    "https://ipfs.io/ipfs/QmXoypizjW3WknFiJnKLwHCnL72vedxjQkDDP1mXWo6uco/metamask.html",
    "https://cloudflare-ipfs.com/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/uniswap-airdrop/",
    "https://gateway.pinata.cloud/ipfs/QmXoypizjW3WknFiJnKLwHCnL72vedxjQkDDP1mXWo6uco/binance-login.html",
    "https://firebasestorage.googleapis.com/v0/b/paypal-secure.appspot.com/o/index.html?alt=media",
)

#: Honest links through the same wrappers and shared hosts.
LEGIT_WRAPPED = (
    "https://www.google.co.uk/url?q=https://www.paypal.com/",
    "https://www.google.com/amp/s/www.bbc.co.uk/news/amp",
    "https://www.google.com.hk/amp/s/www.scmp.com/news/article/amp",
    "https://translate.google.com/translate?sl=auto&tl=en&u=https://www.gov.cn/",
    "https://www-gov-cn.translate.goog/?_x_tr_sl=zh-CN&_x_tr_tl=en",
    "https://www.bing.com/ck/a?!&&p=abc&u=a1aHR0cHM6Ly93d3cud2lraXBlZGlhLm9yZy8&ntb=1",
    "https://sites.google.com/view/smithfamilyreunion",
    "https://sites.google.com/view/lincoln-elementary-pta/home",
    "https://sites.google.com/site/cookingwithgrandma/",
    "https://storage.googleapis.com/tensorflow/libtensorflow/x.tar.gz",
    "https://storage.googleapis.com/chrome-for-testing-public/index.html",
    "https://ipfs.io/ipfs/QmXoypizjW3WknFiJnKLwHCnL72vedxjQkDDP1mXWo6uco/wiki/",
    "https://ipfs.io/ipfs/QmXoypizjW3WknFiJnKLwHCnL72vedxjQkDDP1mXWo6uco/index.html",
    "https://dweb.link/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/",
    "https://ipfs.io/ipns/docs.ipfs.tech/",
    "https://ipfs.io/ipns/uniswap.eth/",
    "https://storage.googleapis.com/paypal-assets-public/logo.png",
    "https://www.google.com/maps/place/Paypal",
)

#: Chinese IDNs: brand names in Han characters, and honest names that hold a brand's word.
SCAM_HAN = (
    "https://支付宝.com/",
    "https://支付宝-alipay.com/",
    "https://工商银行.com/",
    "https://支付宝客服.top/",
    "https://淘宝退款.com/",
    "https://paypal支付.com/",
    "https://中国工商银行网银.net/",
    "https://招商银行-登录.cn/",
)
LEGIT_HAN = (
    "https://北京大学.cn/",
    "https://新华网.cn/",
    "https://小米粥食谱.com/",
    "https://快手菜谱.com/",
    "https://微博客.cn/",
    "https://中国银行业协会.cn/",
    "https://京东方.com/",
    "https://美团外卖评测.net/",
    "https://平安夜快乐.com/",
    "https://华为手机维修点.cn/",
)

SETS: tuple[tuple[str, str, Sequence[str]], ...] = (
    ("legit brand-word subdomains", "legit", LEGIT_SUBDOMAINS),
    ("legit wrapped / shared-host paths", "legit", LEGIT_WRAPPED),
    ("legit Chinese IDNs", "legit", LEGIT_HAN),
    ("scam brand-word subdomains", "scam", SCAM_SUBDOMAINS),
    ("scam wrapped / shared-host paths", "scam", SCAM_WRAPPED),
    ("scam Chinese IDNs", "scam", SCAM_HAN),
)


def judge(built: Built, urls: Sequence[str]) -> list[tuple[str, str, list[str]]]:
    out = []
    for url, result in zip(urls, built.check(list(urls)), strict=True):
        codes = sorted({e.code for e in result.outcome.reasons})
        if result.link is None:
            codes.append(f"<unreadable: {result.error.code if result.error else '?'}>")
        out.append((url, result.outcome.verdict.value, codes))
    return out


#: Evidence codes added for review 34 (#9, #11, #13).
NEW_CODES = frozenset(
    {
        "lookalike.brand_word_in_subdomain",
        "lookalike.page_on_shared_host",
        "lookalike.chinese_name",
    }
)


def corpus(built: Built, urls: Sequence[str]) -> None:
    flagged = unwrapped = new = 0
    shown: list[str] = []
    for start in range(0, len(urls), 1000):
        chunk = list(urls[start : start + 1000])
        for url, result in zip(chunk, built.check(chunk), strict=True):
            codes = {e.code for e in result.outcome.reasons}
            flagged += result.outcome.verdict.value in FLAGGED
            unwrapped += bool(result.link is not None and result.link.wrappers)
            if codes & NEW_CODES:
                new += 1
                if len(shown) < 20:
                    shown.append(f"    {result.outcome.verdict.value:18} {url} {sorted(codes)}")
    print(
        f"real URLs: {len(urls):,}, flagged {flagged:,}, unwrapped {unwrapped:,},"
        f" with a review-34 code {new:,}"
    )
    print("\n".join(shown))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list every URL with its verdict")
    parser.add_argument("--urls", type=Path, help="a file of real URLs to judge as well")
    args = parser.parse_args(argv)
    full = build(bundled=False)
    held = build(bundled=False, top_sites=full.resources.top_sites[:HELD_OUT_SPLIT])
    print(f"{'set':40} {'n':>3}  flagged (full top sites)  flagged (top 1-15k)")
    for title, _kind, urls in SETS:
        rows = {}
        for label, built in (("full", full), ("held", held)):
            rows[label] = judge(built, urls)
        counts = {k: sum(v in FLAGGED for _, v, _ in r) for k, r in rows.items()}
        print(
            f"{title:40} {len(urls):>3}  {counts['full']:>3} ({counts['full'] / len(urls):6.1%})"
            f"            {counts['held']:>3} ({counts['held'] / len(urls):6.1%})"
        )
        codes = Counter(c for _, v, cs in rows["held"] if v in FLAGGED for c in cs)
        if codes:
            print("    codes (top 1-15k):", dict(codes.most_common(6)))
        if args.show:
            for url, verdict, cs in rows["held"]:
                print(f"    {verdict:18} {url}  {cs}")
    if args.urls:
        corpus(full, [u.strip() for u in args.urls.read_text().splitlines() if u.strip()])
    print("load", os.getloadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())
