// "Report as scam" for a page, link or image: category, description, consent, then
// POST /v1/reports through the service worker.
"use strict";

(async function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const item = { kind: params.get("kind") || "link", value: params.get("value") || "", page_url: params.get("page") || "" };
  const stored = await chrome.storage.local.get(["lang"]);
  const t = await FW.translator(stored.lang);
  FW.localizePage(t, document);
  document.title = t("reportTitle");
  $("what").textContent = item.value;
  // A picture goes itself, fetched again by the worker: the consent names the picture, and
  // the moderators may keep a copy only if the person says so (else only its fingerprints).
  const picture = item.kind === "image";
  $("picture-note").hidden = !picture;
  $("keep-row").hidden = !picture;
  if (picture) $("consent-text").textContent = t("reportConsentSendPicture");
  const msg = $("msg");
  // Opened without an item (a bookmark, a typed address): nothing to send, so no button.
  if (!item.value.trim()) {
    $("submit").disabled = true;
    msg.className = "msg err";
    msg.textContent = t("reportNothing");
  }
  $("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!item.value.trim()) return;
    if (!$("consent").checked) {
      msg.className = "msg err";
      msg.textContent = t("reportNeedConsent");
      return;
    }
    $("submit").disabled = true;
    const answer = await chrome.runtime.sendMessage({
      type: "report",
      item: {
        ...item,
        category: $("category").value,
        description: $("description").value,
        share: $("share").checked,
        keep: picture && $("keep").checked,
      },
    });
    $("submit").disabled = false;
    msg.className = "msg" + (answer.ok ? "" : " err");
    // The server's own words when it filed a picture it could not hash (picture_hashed: false).
    const note = answer.ok && answer.value.note ? " " + answer.value.note : "";
    msg.textContent = answer.ok ? t("reportDone", [answer.value.case_id]) + note : answer.error;
    if (answer.ok) msg.dataset.caseId = answer.value.case_id;
  });
})();
