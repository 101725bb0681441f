// The toolbar popup: this page's verdict, "Scan this page", report, send to Telegram.
"use strict";

(async function () {
  const $ = (id) => document.getElementById(id);
  const stored = await chrome.storage.local.get(["lang"]);
  const t = await FW.translator(stored.lang);
  FW.localizePage(t, document);
  // Tests open the popup as a page and name the tab it is about: popup.html?tab=ID.
  const forced = Number(new URLSearchParams(location.search).get("tab"));
  const tab = forced
    ? await chrome.tabs.get(forced)
    : (await chrome.tabs.query({ active: true, currentWindow: true }))[0];
  const send = (message) => chrome.runtime.sendMessage(message);
  const say = (text, error) => {
    $("msg").className = "msg" + (error ? " err" : "");
    $("msg").textContent = text;
  };
  const names = {
    likely_scam: t("verdictScam"),
    suspicious: t("verdictSuspicious"),
    no_known_signals: t("verdictClean"),
    no_known_signals_weak: t("verdictCleanWeak"),
    unknown: t("verdictUnknown"),
  };
  const web = tab && /^https?:/.test(tab.url || "");
  const reply = await send({ type: "tabState", tabId: tab && tab.id });
  const info = reply && reply.ok ? reply.value : {};
  const state = info.state;
  const result = state && state.result;
  $("mode").textContent = info.settings && info.settings.mode === "enhanced" ? t("popupEnhanced") : t("popupPrivate");
  if (!web && !(state && state.result)) {
    $("verdict-name").textContent = t("popupNotWeb");
    for (const id of ["scan", "report", "telegram"]) $(id).disabled = true;
  } else if (result) {
    // A weak sign under "no known signals" gets its own neutral look and words.
    const shown = FW.verdictState(result);
    $("verdict").classList.add(shown);
    $("verdict").dataset.verdict = result.verdict;
    $("verdict-name").textContent = names[shown] || result.verdict;
    $("verdict-summary").textContent = result.summary || "";
    for (const message of FW.reasonsBesides(result)) {
      const li = document.createElement("li");
      li.textContent = message;
      $("verdict-reasons").append(li);
    }
    if (info.settings && state.host) {
      $("verdict-page").href = FW.verdictPageUrl(info.settings.serverUrl, `http://${state.host}/`);
      $("verdict-page").hidden = false;
    }
  } else if (state && state.offline) {
    // A refused key says so: a newsroom whose key was revoked must not hunt a network fault.
    $("verdict-name").textContent = t(state.problem === "unauthorized" ? "badgeUnauthorized" : "badgeOffline");
  } else if (state && state.allowed) {
    $("verdict-name").textContent = t("popupAllowed");
  } else if (state) {
    $("verdict").classList.add("no_known_signals");
    $("verdict-name").textContent = t("popupNoVerdict");
  } else {
    $("verdict-name").textContent = t("popupNotChecked");
  }
  const pageUrl = (state && state.url) || (tab && tab.url) || "";

  $("scan").addEventListener("click", async () => {
    $("scan").disabled = true;
    const answer = await send({ type: "scan", tabId: tab.id });
    $("scan").disabled = false;
    if (!answer.ok) return say(answer.error, true);
    if (answer.value.offline) return say(t("errOffline"), true);
    say(t("popupScanResult", [answer.value.links, answer.value.flagged]));
  });
  $("report").addEventListener("click", () => {
    const q = new URLSearchParams({ kind: "link", value: pageUrl, page: pageUrl });
    chrome.tabs.create({ url: chrome.runtime.getURL(`report.html?${q}`) });
  });
  $("telegram").addEventListener("click", async () => {
    const answer = await send({ type: "sendToTelegram", item: { kind: "link", url: pageUrl } });
    say(answer.ok ? t("sentTelegram") : answer.error, !answer.ok);
  });
})();
