// Strings come from _locales/<dir>/messages.json for the language chosen in the options
// (chrome.i18n.getMessage can only follow the browser's language), else the browser's.
"use strict";

(function (root) {
  const cache = {};

  async function messagesFor(dir) {
    if (!cache[dir]) {
      const response = await fetch(chrome.runtime.getURL(`_locales/${dir}/messages.json`));
      cache[dir] = await response.json();
    }
    return cache[dir];
  }

  // A translate function t(key, substitutions) for the `lang` setting ("" = browser).
  async function translator(lang) {
    const dir = root.FW.localeDir(lang, chrome.i18n.getUILanguage());
    const table = await messagesFor(dir);
    const fallback = dir === "en" ? table : await messagesFor("en");
    const t = (key, subs) => {
      const entry = table[key] || fallback[key];
      return entry ? root.FW.format(entry.message, subs) : key;
    };
    t.dir = dir;
    t.htmlLang = { en: "en", zh_CN: "zh-Hans", zh_TW: "zh-Hant" }[dir];
    return t;
  }

  // Fill [data-i18n], [data-i18n-placeholder], [data-i18n-title] in an extension page.
  function localizePage(t, doc) {
    doc.documentElement.lang = t.htmlLang;
    for (const el of doc.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of doc.querySelectorAll("[data-i18n-placeholder]")) {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    }
    for (const el of doc.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  }

  root.FW = Object.assign(root.FW || {}, { translator, localizePage });
})(globalThis);
