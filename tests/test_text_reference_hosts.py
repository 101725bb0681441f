"""A scam script with a warning word stays whole when its link is one a scammer can obtain
(review 35 #1): a name under a free or shared-hosting ending, a tenant or content subdomain of
a known site, a payment code, an open redirect. Only the site itself, or a government
ending, is a reference that demotes the quoted script to a cue."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.server import RunningServer

SCRIPT = "刷单返利，日结300元，佣金当天返还，报名见 {link} 警惕虚假平台"

#: Hosts anyone can get, each from the review: PSL private endings, tenants, content and pay
#: hosts, open redirects.
OBTAINABLE = [
    "https://evil-job.com/a",
    "https://evil.int.eu.org/a",
    "https://evil.edu.eu.org/a",
    "https://evil.go.dyndns.org/a",
    "https://evil.edu.ru/a",
    "https://evil.sharepoint.com/a",
    "https://sway.office.com/a",
    "https://forms.office.com/r/a",
    "https://onedrive.live.com/a",
    "https://1drv.ms/u/s!a",
    "https://evil.wordpress.com/a",
    "https://www.canva.com/design/a/view",
    "https://notion.so/a",
    "https://pastebin.com/a",
    "https://qr.alipay.com/a",
    "https://pan.baidu.com/s/a",
    "https://evil.oss-cn-hangzhou.aliyuncs.com/a.html",
    "https://www.amazon.com/gp/redirect.html?location=https://evil-job.com/a",
    "https://www.douban.com/link2/?url=https%3A%2F%2Fevil-job.com%2Fa",
]

#: The site itself or a government ending: the script quoted beside it is a cue.
REFERENCES = ["https://www.mps.gov.cn/n2254314/index.html", "https://www.bbc.co.uk/news/uk-123"]


@pytest.mark.parametrize("link", OBTAINABLE)
def test_a_script_sending_to_an_obtainable_host_keeps_its_full_weight(
    server: RunningServer, link: str
) -> None:
    verdict = _check(server, SCRIPT.format(link=link))
    assert verdict["verdict"] != "no_known_signals", (link, verdict["reasons"])
    codes = {r["code"] for r in verdict["reasons"]}
    assert "text_patterns.match" in codes, (link, codes)


@pytest.mark.parametrize("link", REFERENCES)
def test_a_script_quoted_beside_an_official_page_is_only_a_cue(
    server: RunningServer, link: str
) -> None:
    codes = {r["code"] for r in _check(server, SCRIPT.format(link=link))["reasons"]}
    assert "text_patterns.match" not in codes, (link, codes)
    assert "text_patterns.match_in_warning" in codes, (link, codes)


def _check(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": "zh"})
    assert response.status == 200, response.body
    verdict: dict[str, Any] = response.json()
    return verdict
