// The full-page warning shown instead of a likely-scam page.
"use strict";

(async function () {
  const params = new URLSearchParams(location.search);
  const url = params.get("url") || "";
  const tabId = Number(params.get("tab"));
  const stored = await chrome.storage.local.get(["lang", "serverUrl"]);
  const t = await FW.translator(stored.lang);
  FW.localizePage(t, document);
  document.title = t("blockedTitle");
  const $ = (id) => document.getElementById(id);
  $("site").textContent = FW.hostOf(url) || url;
  const send = (message) => chrome.runtime.sendMessage(message);
  const reply = await send({ type: "blockedState", tabId });
  const state = reply && reply.ok ? reply.value : null;
  const result = state && state.result;
  if (state && state.pageUrl) {
    // Blocked for a frame: name the page that wrapped it, the address bar showed that one.
    $("framed").textContent = t("blockedFramedIn", [FW.hostOf(state.pageUrl) || state.pageUrl]);
    $("framed").hidden = false;
  }
  if (result) {
    $("summary").textContent = result.summary || "";
    for (const r of result.reasons || []) {
      const li = document.createElement("li");
      li.textContent = r.message;
      $("reasons").append(li);
    }
  }
  const server = (stored.serverUrl || "").replace(/\/+$/, "");
  if (server && state) $("details").href = FW.verdictPageUrl(server, `http://${state.host}/`);
  else $("details").remove();

  // Back to the last page of this tab that was not blocked (the worker remembers it).
  $("back").addEventListener("click", () => send({ type: "goBack", tabId }));
  $("continue").addEventListener("click", () => send({ type: "continueAnyway", tabId, url }));
  // The safe choice has the focus: Enter or Space goes back, never on to the site.
  $("back").focus();
  // Only a moderators' case can be appealed: a warning from a blocklist says whom to ask
  // before anyone types a reason into a form that could not be sent.
  $("mistake").addEventListener("click", () => {
    if (!FW.caseIdOf(result)) {
      $("msg").className = "msg";
      $("msg").textContent = t("errNoCase");
      return;
    }
    $("mistake-form").style.display = "block";
    $("mistake-text").focus();
  });
  $("mistake-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    // Not a scam report (that would count against the site): an appeal for the moderators.
    const answer = await send({ type: "appeal", tabId, text: $("mistake-text").value });
    $("msg").className = "msg" + (answer.ok ? "" : " err");
    $("msg").textContent = answer.ok ? t("blockedMistakeSent") : answer.error;
  });
})();
