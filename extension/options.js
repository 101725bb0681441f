// Options: server URL, API key, mode, language, Telegram link. Stored in chrome.storage.local
// under the keys serverUrl, apiKey, mode, lang (the service worker reads them from there).
"use strict";

(async function () {
  const $ = (id) => document.getElementById(id);
  const keys = ["serverUrl", "apiKey", "mode", "lang", "relayToken", "prefixCount", "prefixVersion"];
  let stored = await chrome.storage.local.get(keys);
  let t = await FW.translator(stored.lang);
  const send = (message) => chrome.runtime.sendMessage(message);
  const say = (id, text, error) => {
    $(id).className = "msg" + (error ? " err" : "");
    $(id).textContent = text;
  };

  function render() {
    FW.localizePage(t, document);
    document.title = t("optTitle");
    $("serverUrl").value = stored.serverUrl || "";
    $("apiKey").value = stored.apiKey || "";
    for (const radio of document.querySelectorAll("input[name=mode]")) {
      radio.checked = radio.value === (stored.mode === "enhanced" ? "enhanced" : "private");
    }
    $("lang").value = stored.lang || "";
    $("linked").hidden = !stored.relayToken;
    $("unlinked").hidden = !!stored.relayToken;
    $("prefix-status").textContent = Number.isInteger(stored.prefixCount)
      ? t("optPrefixStatus", [stored.prefixCount, stored.prefixVersion])
      : "";
  }
  render();

  $("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    let serverUrl = $("serverUrl").value.trim().replace(/\/+$/, "");
    const problem = FW.serverUrlProblem(serverUrl);
    if (problem) return say("msg", t(problem), true);
    await chrome.storage.local.set({
      serverUrl,
      apiKey: $("apiKey").value.trim(),
      mode: document.querySelector("input[name=mode]:checked").value,
      lang: $("lang").value,
    });
    stored = await chrome.storage.local.get(keys);
    t = await FW.translator(stored.lang);
    render();
    say("msg", t("optSaved"));
  });
  $("test").addEventListener("click", async () => {
    const answer = await send({ type: "testServer" });
    if (!answer.ok) return say("msg", answer.error, true);
    say("msg", t("optTestOk", [answer.value.entries, answer.value.version]));
    await send({ type: "updatePrefixes" });
    stored = await chrome.storage.local.get(keys);
    render();
  });
  $("link").addEventListener("click", async () => {
    const answer = await send({ type: "linkTelegram", code: $("code").value });
    if (!answer.ok) return say("tg-msg", answer.error, true);
    stored = await chrome.storage.local.get(keys);
    render();
    say("tg-msg", t("optTelegramLinked"));
  });
  $("unlink").addEventListener("click", async () => {
    await send({ type: "unlinkTelegram" });
    stored = await chrome.storage.local.get(keys);
    render();
    say("tg-msg", "");
  });
})();
