// "Scan this page": mark the links the server flagged. Not by colour alone: each gets an
// outline (solid for likely scams, dashed for suspicious ones) and a small "⚠ <verdict>" tag
// after it; the reason is in the link's accessible description, and a click or tap on the
// tag (a button: keyboard users reach it too) shows the reason beside it.
"use strict";

globalThis.__fakewatchMark = function (found, labels) {
  let marked = 0;
  for (const a of document.querySelectorAll("a[href]")) {
    const hit = found[a.href];
    if (!hit) continue;
    const scam = hit.verdict === "likely_scam";
    const name = labels[hit.verdict] || hit.verdict;
    a.setAttribute("data-fakewatch-link", hit.verdict);
    a.style.setProperty("outline", `2px ${scam ? "solid" : "dashed"} ${scam ? "#c62828" : "#ef6c00"}`, "important");
    a.style.setProperty("background-color", scam ? "#ffebee" : "#fff3e0", "important");
    a.title = `\u26A0 ${name}: ${hit.reason}`;
    a.setAttribute("aria-description", `${name}: ${hit.reason}`);
    let tag = a.nextElementSibling;
    if (!tag || !tag.hasAttribute("data-fakewatch-mark")) {
      tag = document.createElement("button");
      tag.type = "button";
      tag.setAttribute("data-fakewatch-mark", "");
      tag.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        const open = tag.getAttribute("aria-expanded") === "true";
        tag.setAttribute("aria-expanded", String(!open));
        tag.textContent = open ? tag.dataset.short : `${tag.dataset.short}: ${tag.dataset.reason}`;
      });
      a.after(tag);
    }
    tag.dataset.short = `\u26A0 ${name}`;
    tag.dataset.reason = hit.reason;
    tag.textContent = tag.dataset.short;
    tag.setAttribute("aria-expanded", "false");
    tag.title = hit.reason;
    tag.style.cssText =
      // No `all: initial`: that would also remove the browser's keyboard focus ring.
      "display: inline !important; margin: 0 0 0 4px !important; border: 0 !important;" +
      " padding: 0 4px !important; border-radius: 3px !important; cursor: pointer !important;" +
      ` font: 700 12px/1.4 system-ui, sans-serif !important; color: #fff !important;` +
      ` background: ${scam ? "#c62828" : "#b35000"} !important; white-space: normal !important;`;
    marked++;
  }
  return marked;
};
