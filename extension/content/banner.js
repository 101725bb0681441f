// The in-page warning for a suspicious page. Injected by the service worker only on pages it
// flagged; lives in a closed shadow root so the page being warned about can neither restyle
// nor rewrite its text (an open root is reachable from the page's own scripts).
// The bar is a manual popover, so it is drawn in the top layer: no z-index, however high and
// however late in the DOM, paints over it (a page would cover a z-index banner with its own
// header). The popover is the element inside the closed root, not the host: the page cannot
// call hidePopover() on it, and its `beforetoggle` (cancelable, not composed) never reaches the
// page's listeners, so the page cannot refuse it the top layer either.
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
  // (`[data-fakewatch-banner] {display: none !important}` would otherwise hide it, and the
  // bar with it: a top-layer element is drawn only while its ancestors are).
  const hostStyle =
    "all: initial !important; position: fixed !important; top: 0 !important; left: 0 !important;" +
    " right: 0 !important; z-index: 2147483647 !important; display: block !important;" +
    " visibility: visible !important; opacity: 1 !important;";
  host.style.cssText = hostStyle;
  const shownStyle = host.style.cssText; // as the browser serialises it
  const shadow = host.attachShadow({ mode: "closed" });
  const style = document.createElement("style");
  // `.bar[popover]` overrides the browser's popover look (centred box, border, Canvas colours).
  style.textContent = `
    .bar, .bar[popover] {
           position: fixed; inset: 0 0 auto 0; width: auto; height: auto; margin: 0;
           overflow: visible; border: 0; box-sizing: border-box;
           font: 15px/1.45 system-ui, "Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif;
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
  bar.setAttribute("popover", "manual");
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

  // The page's own elements in the top layer (popovers, modal dialogs, fullscreen) that the
  // bar was last raised above: one shown since is drawn over the bar until it is raised again.
  const below = new WeakSet();
  const pageOnTop = () => {
    try {
      return [...document.querySelectorAll(":popover-open, :modal, :fullscreen")];
    } catch (_) {
      return []; // a browser without one of these selectors has no such element either
    }
  };
  const isOpen = () => {
    try {
      return bar.matches(":popover-open");
    } catch (_) {
      return true; // no popover support: the host's z-index is all there is
    }
  };
  // The last element shown in the top layer is drawn topmost.
  const raise = () => {
    if (!host.isConnected) return;
    try {
      if (bar.matches(":popover-open")) bar.hidePopover();
      bar.showPopover();
    } catch (_) {
      return; // no popover support
    }
    for (const el of pageOnTop()) below.add(el);
  };
  (document.body || document.documentElement).append(host);
  raise();

  // Pages that remove, hide or cover foreign nodes get the banner back: at most 5 times a second,
  // so a page fighting back cannot spin this into a loop, and never given up for good.
  const restore = () => {
    if (!host.isConnected) (document.body || document.documentElement).append(host);
    if (host.style.cssText !== shownStyle) host.style.cssText = hostStyle;
    for (const name of [...host.getAttributeNames()]) {
      if (!["data-fakewatch-banner", "data-fakewatch-verdict", "role", "style"].includes(name)) {
        host.removeAttribute(name);
      }
    }
    raise(); // removed from the document, the bar left the top layer
  };
  const hidden = () => {
    if (!host.isConnected || host.style.cssText !== shownStyle) return true;
    if (host.hasAttribute("hidden") || host.hasAttribute("class")) return true;
    if (!isOpen() || pageOnTop().some((el) => !below.has(el))) return true;
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
  const observer = new MutationObserver((records) => {
    // A dialog opened again (showModal sets `open`) is drawn over the bar again.
    for (const r of records) if (r.attributeName === "open") below.delete(r.target);
    check();
  });
  observer.observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["open"],
  });
  observer.observe(host, { attributes: true });
  // A popover the page shows changes no attribute; its toggle event does not bubble, but a
  // capturing listener sees it on the way down.
  const onToggle = (event) => {
    if (event.newState === "open") below.delete(event.target);
    check();
  };
  document.addEventListener("toggle", onToggle, true);
  // What no mutation or event of ours reports (a stylesheet's text rewritten in place, a page
  // popover inside the page's own shadow root): a look a second, and the bar raised again.
  // (Not while the person is on the bar's link or button: hiding it would drop their focus.)
  const timer = setInterval(() => {
    check();
    if (!shadow.activeElement) raise();
  }, 1000);
  function dismiss() {
    observer.disconnect();
    document.removeEventListener("toggle", onToggle, true);
    clearInterval(timer);
    clearTimeout(retry);
    host.remove();
    if (globalThis.__fakewatchBannerState === state) globalThis.__fakewatchBannerState = null;
  }
  const state = { dismiss };
  globalThis.__fakewatchBannerState = state;
  return true;
};
