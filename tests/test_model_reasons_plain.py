"""The two classifiers' reasons are plain sentences (review 33 #14): a person reads that a site
name or a message looks like the scams the model learned from, never a score and the threshold
it crossed. Those stay in ``details`` with the model and its version, for moderators and
``--json``."""

from __future__ import annotations

import re
import urllib.parse

from tests.support.server import RunningServer

_DIGIT = re.compile(r"\d")


def reason(verdict: dict, code: str) -> dict:
    [found] = [r for r in verdict["reasons"] if r["code"] == code]
    return found


def test_a_scam_like_site_name_is_explained_without_its_score(server: RunningServer) -> None:
    url = urllib.parse.quote("https://claim-metamask-airdrop.xyz/", safe="")
    for lang, sentence in (
        (
            "en",
            "The site name claim-metamask-airdrop.xyz looks like the scam sites our model"
            " learned from.",
        ),
        ("zh", "网站名 claim-metamask-airdrop.xyz 与我们的模型学过的诈骗网站很像。"),
    ):
        verdict = server.request("GET", f"/v1/check/link?url={url}&lang={lang}").json()
        found = reason(verdict, "domain_model.scam_like")
        assert found["message"] == sentence
        assert not _DIGIT.search(found["message"])
        details = found["details"]
        assert details["p_scam"] >= details["threshold"] > 0
        assert details["model"] == "scam_domain" and details["model_version"]
        assert verdict["detectors"]["domain_model"]


def test_scam_like_wording_is_explained_without_its_score(server: RunningServer) -> None:
    text = "Claim your free $PEPE airdrop now, limited spots"
    for lang, sentence in (
        ("en", "The wording reads like scam messages our model learned from."),
        ("zh", "这段文字的写法与我们的模型学过的诈骗信息很像。"),
    ):
        response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": lang})
        verdict = response.json()
        found = reason(verdict, "scam_text.classifier")
        assert found["message"] == sentence
        assert not _DIGIT.search(found["message"]) and not _DIGIT.search(verdict["summary"])
        details = found["details"]
        assert details["p_scam"] >= details["threshold"] > 0
        assert details["model"] == "scam_text" and details["model_version"]
