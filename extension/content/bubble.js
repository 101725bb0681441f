// The bubble after "Check this image" (the verdict) and "Send to my Telegram" (what happened):
// beside the picture or link it is about, or at the top of the page (`near` null or not found).
"use strict";

globalThis.__fakewatchBubble = function (near, data) {
  const anchor = near
    ? [...document.images].find((img) => img.currentSrc === near || img.src === near) ||
      [...document.links].find((a) => a.href === near)
    : null;
  // The host and its closed shadow root are kept where only the extension's scripts see them
  // (this isolated world): the page under the picture must not rewrite a verdict about itself,
  // nor plant an element of the same name for the bubble to fill.
  let host = globalThis.__fakewatchBubbleHost;
  if (!host || !host.isConnected) {
    host = document.createElement("div");
    host.setAttribute("data-fakewatch-bubble", "");
    globalThis.__fakewatchBubbleRoot = host.attachShadow({ mode: "closed" });
    globalThis.__fakewatchBubbleHost = host;
    (document.body || document.documentElement).append(host);
  }
  host.setAttribute("data-fakewatch-verdict", data.state);
  const rect = anchor ? anchor.getBoundingClientRect() : { left: 16, top: 16, right: 16, bottom: 16 };
  const left = Math.max(8, Math.min(window.scrollX + rect.right + 8, window.scrollX + window.innerWidth - 340));
  // !important throughout: a page stylesheet must not hide or move the verdict.
  host.style.cssText =
    `all: initial !important; position: absolute !important; z-index: 2147483647 !important;` +
    ` display: block !important; visibility: visible !important; opacity: 1 !important;` +
    ` left: ${left}px !important; top: ${Math.max(8, window.scrollY + rect.top)}px !important;`;
  const colours = { likely_scam: "#c62828", suspicious: "#ef6c00", no_known_signals: "#2e7d32", no_known_signals_weak: "#546e7a", sent: "#1565c0", error: "#616161", checking: "#1565c0", unknown: "#616161" };
  const shadow = globalThis.__fakewatchBubbleRoot;
  shadow.textContent = "";
  const style = document.createElement("style");
  style.textContent = `
    .b { font: 14px/1.4 system-ui, "Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif; width: 300px;
         background: #fff; color: #212121; border: 2px solid ${colours[data.state] || "#616161"};
         border-radius: 8px; padding: 10px 12px; box-shadow: 0 4px 14px rgba(0,0,0,.3); }
    .t { font-weight: 700; color: ${colours[data.state] || "#616161"}; margin-bottom: 4px; }
    ul { margin: 6px 0 0 18px; padding: 0; }
    button { font: inherit; margin-top: 8px; border: 1px solid #9e9e9e; background: #fafafa;
             border-radius: 4px; padding: 2px 10px; cursor: pointer; }`;
  const box = document.createElement("div");
  box.className = "b";
  const title = document.createElement("div");
  title.className = "t";
  title.textContent = data.title || "";
  box.append(title);
  if (data.text) {
    const text = document.createElement("div");
    text.textContent = data.text;
    box.append(text);
  }
  if (data.reasons && data.reasons.length) {
    const list = document.createElement("ul");
    for (const r of data.reasons) {
      const item = document.createElement("li");
      item.textContent = r;
      list.append(item);
    }
    box.append(list);
  }
  if (data.close) {
    const close = document.createElement("button");
    close.textContent = data.close;
    close.addEventListener("click", () => host.remove());
    box.append(close);
  }
  shadow.append(style, box);
  return true;
};
