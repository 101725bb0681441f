// The in-page warning for a suspicious page. Injected by the service worker only on pages it
// flagged; lives in a closed shadow root so the page being warned about can neither restyle
// nor rewrite its text (an open root is reachable from the page's own scripts).
"use strict";

globalThis.__fakewatchBanner = function (verdict, text) {
  // The previous banner of this tab (kept in this isolated world, out of the page's reach)
  // stops guarding itself before it goes, or it would put itself back beside the new one.
  const previous = globalThis.__fakewatchBannerState;
  if (previous) previous.dismiss();
  const host = document.createElement("div");
  host.setAttribute("data-fakewatch-banner", "");
  host.setAttribute("data-fakewatch-verdict", verdict);
  host.setAttribute("role", "alert");
  // Every declaration !important: inline important declarations beat any page stylesheet
  // (`[data-fakewatch-banner] {display: none !important}` would otherwise hide it).
  const hostStyle =
    "all: initial !important; position: fixed !important; top: 0 !important; left: 0 !important;" +
    " right: 0 !important; z-index: 2147483647 !important; display: block !important;" +
    " visibility: visible !important; opacity: 1 !important;";
  host.style.cssText = hostStyle;
  const shownStyle = host.style.cssText; // as the browser serialises it
  const shadow = host.attachShadow({ mode: "closed" });
  const style = document.createElement("style");
  style.textContent = `
    .bar { font: 15px/1.45 system-ui, "Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif;
           background: #fff3e0; color: #3e2723; border-bottom: 3px solid #ef6c00;
           padding: 12px 16px; display: flex; gap: 12px; align-items: flex-start;
           box-shadow: 0 2px 8px rgba(0,0,0,.25); }
    .bar.likely_scam { background: #ffebee; border-color: #c62828; }
    .icon { font-size: 22px; line-height: 1; }
    .body { flex: 1; }
    .title { font-weight: 700; margin-bottom: 2px; }
    a { color: #0d47a1; }
    button { font: inherit; border: 1px solid #8d6e63; background: #fff; border-radius: 4px;
             padding: 4px 10px; cursor: pointer; }`;
  const bar = document.createElement("div");
  bar.className = "bar " + verdict;
  bar.setAttribute("lang", text.lang || "");
  const icon = document.createElement("div");
  icon.className = "icon";
  icon.textContent = "\u26A0";
  const body = document.createElement("div");
  body.className = "body";
  const title = document.createElement("div");
  title.className = "title";
  title.textContent = text.title;
  const reason = document.createElement("div");
  reason.className = "reason";
  reason.textContent = text.reason;
  body.append(title, reason);
  if (text.detailsUrl) {
    const link = document.createElement("a");
    link.href = text.detailsUrl;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = text.details;
    body.append(link);
  }
  const close = document.createElement("button");
  close.textContent = text.dismiss;
  close.addEventListener("click", () => dismiss()); // the person's choice, unlike the page's
  bar.append(icon, body, close);
  shadow.append(style, bar);
  (document.body || document.documentElement).append(host);
  // Pages that remove or hide foreign nodes get the banner back: at most 5 times a second, so a
  // page fighting back cannot spin this into a loop, and never given up for good.
  const restore = () => {
    if (!host.isConnected) (document.body || document.documentElement).append(host);
    if (host.style.cssText !== shownStyle) host.style.cssText = hostStyle;
    for (const name of [...host.getAttributeNames()]) {
      if (!["data-fakewatch-banner", "data-fakewatch-verdict", "role", "style"].includes(name)) {
        host.removeAttribute(name);
      }
    }
  };
  const hidden = () => {
    if (!host.isConnected || host.style.cssText !== shownStyle) return true;
    if (host.hasAttribute("hidden") || host.hasAttribute("class")) return true;
    const shown = getComputedStyle(host);
    return shown.display === "none" || shown.visibility !== "visible" || shown.opacity !== "1";
  };
  let windowStart = 0;
  let restores = 0;
  let retry = null;
  const check = () => {
    if (!hidden()) return;
    const now = Date.now();
    if (now - windowStart > 1000) {
      windowStart = now;
      restores = 0;
    }
    if (++restores > 5) {
      retry = retry || setTimeout(() => ((retry = null), check()), 1000);
      return;
    }
    restore();
  };
  const observer = new MutationObserver(check);
  observer.observe(document.documentElement, { childList: true, subtree: true });
  observer.observe(host, { attributes: true });
  // What no mutation of ours reports (a stylesheet's text rewritten in place): a look a second.
  const timer = setInterval(check, 1000);
  function dismiss() {
    observer.disconnect();
    clearInterval(timer);
    clearTimeout(retry);
    host.remove();
    if (globalThis.__fakewatchBannerState === state) globalThis.__fakewatchBannerState = null;
  }
  const state = { dismiss };
  globalThis.__fakewatchBannerState = state;
  return true;
};
