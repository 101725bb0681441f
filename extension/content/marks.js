// "Scan this page": outline the links the server flagged, with the reason on hover.
"use strict";

globalThis.__fakewatchMark = function (found, labels) {
  let marked = 0;
  for (const a of document.querySelectorAll("a[href]")) {
    const hit = found[a.href];
    if (!hit) continue;
    a.setAttribute("data-fakewatch-link", hit.verdict);
    const colour = hit.verdict === "likely_scam" ? "#c62828" : "#ef6c00";
    a.style.setProperty("outline", `2px solid ${colour}`, "important");
    a.style.setProperty("background-color", hit.verdict === "likely_scam" ? "#ffebee" : "#fff3e0", "important");
    a.title = `\u26A0 ${labels[hit.verdict] || hit.verdict}: ${hit.reason}`;
    marked++;
  }
  return marked;
};
