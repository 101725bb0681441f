// The in-page warning for a suspicious page. Injected by the service worker only on pages it
// flagged; lives in a closed shadow root so the page being warned about can neither restyle
// nor rewrite its text (an open root is reachable from the page's own scripts).
"use strict";

globalThis.__fakewatchBanner = function (verdict, text) {
  const old = document.querySelector("[data-fakewatch-banner]");
  if (old) old.remove();
  const host = document.createElement("div");
  host.setAttribute("data-fakewatch-banner", "");
  host.setAttribute("data-fakewatch-verdict", verdict);
  host.setAttribute("role", "alert");
  const hostStyle =
    "all: initial; position: fixed; top: 0; left: 0; right: 0; z-index: 2147483647; display: block;";
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
  close.addEventListener("click", () => host.remove());
  bar.append(icon, body, close);
  shadow.append(style, bar);
  (document.body || document.documentElement).append(host);
  // Pages that remove or hide foreign nodes get the banner back (a few times, not forever).
  let restores = 0;
  const restore = (observer) => {
    if (++restores > 5) return observer.disconnect();
    if (!host.isConnected) (document.body || document.documentElement).append(host);
    if (host.style.cssText !== shownStyle) host.style.cssText = hostStyle;
    for (const name of [...host.getAttributeNames()]) {
      if (!["data-fakewatch-banner", "data-fakewatch-verdict", "role", "style"].includes(name)) {
        host.removeAttribute(name);
      }
    }
  };
  const hidden = () =>
    !host.isConnected || host.style.cssText !== shownStyle || host.hasAttribute("hidden") ||
    host.hasAttribute("class");
  const observer = new MutationObserver(() => {
    if (hidden()) restore(observer);
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  observer.observe(host, { attributes: true });
  return true;
};
