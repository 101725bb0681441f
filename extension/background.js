// FakeWatch service worker: every server call goes through here (content scripts are bound by
// the page's CORS, and the API key never reaches a page). All state lives in chrome.storage:
// the worker can be stopped at any moment; module variables are only caches of storage.
"use strict";

importScripts("lib/psl_data.js", "lib/core.js", "lib/i18n.js");

const DEFAULTS = { serverUrl: "http://127.0.0.1:8470", apiKey: "", mode: "private", lang: "" };
const SETTING_KEYS = Object.keys(DEFAULTS);
const REQUEST_TIMEOUT_MS = 4000;
const MEDIA_TIMEOUT_MS = 20000;
const PREFIX_REFRESH_MS = 30 * 60 * 1000;
const VERDICT_TTL_MS = 30 * 60 * 1000;
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const MAX_SCAN_LINKS = 5000;
const LINKS_PER_REQUEST = 100; // the server's max_urls_per_request default
const MAX_CACHE_ENTRIES = 500;

const cache = {
  set: null,
  setKey: null,
  psl: null,
  inflight: new Map(),
  updating: null,
  redirected: new Map(),
  refreshCheckedAt: 0,
};

// --- Settings and storage ------------------------------------------------------------------

async function settings() {
  const stored = await chrome.storage.local.get(SETTING_KEYS);
  const out = { ...DEFAULTS };
  for (const key of SETTING_KEYS) if (typeof stored[key] === "string") out[key] = stored[key];
  if (out.mode !== "enhanced") out.mode = "private";
  out.serverUrl = out.serverUrl.replace(/\/+$/, "");
  return out;
}

async function getLocal(key, fallback) {
  const got = await chrome.storage.local.get(key);
  return got[key] === undefined ? fallback : got[key];
}

const tabKey = (tabId) => `tab:${tabId}`;

async function tabState(tabId) {
  const got = await chrome.storage.session.get(tabKey(tabId));
  return got[tabKey(tabId)] || null;
}

async function setTabState(tabId, state) {
  await chrome.storage.session.set({ [tabKey(tabId)]: state });
}

// A small keyed cache in storage.local with an age limit (verdicts by prefix or domain).
async function cacheGet(name, key, ttl) {
  const table = await getLocal(name, {});
  const hit = table[key];
  return hit && Date.now() - hit.at < ttl ? hit.value : undefined;
}

async function cachePut(name, key, value) {
  await cachePutMany(name, [[key, value]]);
}

// One storage read and write for a batch of entries (a scan's domains).
async function cachePutMany(name, entries) {
  const table = await getLocal(name, {});
  for (const [key, value] of entries) table[key] = { at: Date.now(), value };
  const keys = Object.keys(table);
  if (keys.length > MAX_CACHE_ENTRIES) {
    keys.sort((a, b) => table[a].at - table[b].at);
    for (const k of keys.slice(0, keys.length - MAX_CACHE_ENTRIES)) delete table[k];
  }
  await chrome.storage.local.set({ [name]: table });
}

// --- Talking to the server -----------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || "http_" + status;
  }
}

class OfflineError extends Error {
  constructor(message) {
    super(message);
    this.code = "offline";
  }
}

async function api(method, path, { json, form, timeout = REQUEST_TIMEOUT_MS, auth = true } = {}) {
  const s = await settings();
  const problem = FW.serverUrlProblem(s.serverUrl);
  if (problem) {
    // An http:// address saved before the options required https (or written to storage by
    // other means): the key never travels in the clear, the extension reports itself offline.
    await setStatus("offline", problem);
    throw new OfflineError(`FakeWatch server address refused (${problem}): ${s.serverUrl}`);
  }
  // Every answer, errors included, in the person's language (the server reads the header
  // when a call sends no `lang` of its own): no English sentence inside a Chinese page.
  const headers = { "Accept-Language": FW.serverLang(s.lang || chrome.i18n.getUILanguage()) };
  if (auth && s.apiKey) headers.Authorization = `Bearer ${s.apiKey}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  let response;
  try {
    response = await fetch(s.serverUrl + path, {
      method,
      headers,
      body,
      signal: controller.signal,
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
    });
  } catch (err) {
    await setStatus("offline", String(err && err.message ? err.message : err));
    throw new OfflineError(`FakeWatch server unreachable at ${s.serverUrl}`);
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  // A refused key is not a network problem: the popup and badge say which it is.
  const code = data && data.code;
  const refused = response.status === 401 || (response.status === 403 && code === "forbidden");
  await setStatus(auth && refused ? "unauthorized" : "");
  if (!response.ok) {
    throw new ApiError(response.status, data && data.code, data && data.error);
  }
  return data;
}

// `problem`: "" (the server answered), "offline" (unreachable or refused address) or
// "unauthorized" (the server refused the API key: missing, wrong or revoked).
async function setStatus(problem, detail) {
  const current = await getLocal("status", {});
  if ((current.problem || "") === problem) return;
  await chrome.storage.local.set({
    status: { offline: problem !== "", problem, at: Date.now(), detail: problem ? detail || "" : "" },
  });
}

// --- The local prefix set ------------------------------------------------------------------

// The decoded set, from memory when storage still holds the same version (a navigation then
// costs one small storage read), else decoded again from storage (after a worker restart).
async function loadSet(s) {
  s = s || (await settings());
  const meta = await chrome.storage.local.get(["prefixServer", "prefixVersion"]);
  if (meta.prefixServer !== s.serverUrl) return null;
  const key = `${meta.prefixServer}#${meta.prefixVersion}`;
  if (cache.set && cache.setKey === key) return cache.set;
  const stored = await chrome.storage.local.get("prefixSet");
  if (typeof stored.prefixSet !== "string") return null;
  cache.set = FW.setFromB64(stored.prefixSet);
  cache.setKey = key;
  return cache.set;
}

// Fetch the diff since our version (or the whole set) and verify it by checksum.
async function updatePrefixes({ force = false } = {}) {
  if (cache.updating && !force) return cache.updating;
  // A forced update (new server or key) must not reuse one started with the old settings.
  while (cache.updating) await cache.updating.catch(() => {});
  cache.updating = (async () => {
    const s = await settings();
    const meta = await chrome.storage.local.get(["prefixServer", "prefixVersion", "prefixUpdatedAt"]);
    const sameServer = meta.prefixServer === s.serverUrl;
    if (!force && sameServer && Date.now() - (meta.prefixUpdatedAt || 0) < PREFIX_REFRESH_MS) {
      return { updated: false };
    }
    const local = sameServer ? await loadSet() : null;
    const since = local && Number.isInteger(meta.prefixVersion) ? `?since=${meta.prefixVersion}` : "";
    let body = await api("GET", "/v1/lists/prefixes" + since);
    let next = FW.applyUpdate(local, body);
    if ((await FW.checksum(next)) !== body.checksum) {
      body = await api("GET", "/v1/lists/prefixes");
      next = FW.applyUpdate(null, body);
      if ((await FW.checksum(next)) !== body.checksum) throw new Error("prefix list checksum mismatch");
    }
    await chrome.storage.local.set({
      prefixSet: FW.setToB64(next),
      prefixVersion: body.version,
      prefixServer: s.serverUrl,
      prefixUpdatedAt: Date.now(),
      prefixCount: next.length,
    });
    if (!sameServer || body.version !== meta.prefixVersion) {
      await chrome.storage.local.remove(["lookupCache", "domainCache"]);
    }
    cache.set = next;
    cache.setKey = `${s.serverUrl}#${body.version}`;
    return { updated: true, version: body.version, count: next.length, full: body.full };
  })();
  try {
    return await cache.updating;
  } finally {
    cache.updating = null;
  }
}

// At most one staleness check a minute from navigations (each costs a storage read).
function refreshSoon() {
  if (Date.now() - (cache.refreshCheckedAt || 0) < 60_000) return;
  cache.refreshCheckedAt = Date.now();
  updatePrefixes().catch(() => {});
}

// --- Verdicts for a page address -----------------------------------------------------------

// Private check: hash the URL's expressions on the device; ask the server only on a hit.
async function privateVerdict(url, lang, s) {
  const set = await loadSet(s);
  if (!set) return { result: null, offline: true, requests: 0 };
  const hashes = await FW.hashExpressions(url);
  const hits = hashes.filter((h) => FW.hasPrefix(set, h.prefix));
  if (hits.length === 0) return { result: null, offline: false, requests: 0 };
  const matches = await lookupPrefixes([...new Set(hits.map((h) => FW.prefixHex(h.prefix)))], lang);
  const mine = new Set(hits.map((h) => h.hash));
  return { result: FW.worst(matches.filter((m) => mine.has(m.hash))), offline: false, requests: 1 };
}

// Full hashes and verdicts behind prefixes, cached per prefix for this list version.
async function lookupPrefixes(prefixes, lang) {
  const found = [];
  const missing = [];
  for (const p of prefixes) {
    const hit = await cacheGet("lookupCache", `${lang}:${p}`, VERDICT_TTL_MS);
    if (hit) found.push(...hit);
    else missing.push(p);
  }
  for (let i = 0; i < missing.length; i += 64) {
    const batch = missing.slice(i, i + 64);
    const body = await api("POST", "/v1/lists/lookup", { json: { prefixes: batch, lang } });
    for (const p of batch) {
      const forPrefix = body.matches.filter((m) => m.prefix === p);
      await cachePut("lookupCache", `${lang}:${p}`, forPrefix);
      found.push(...forPrefix);
    }
  }
  return found;
}

function suffixList() {
  if (!cache.psl) cache.psl = FW.makeSuffixList(globalThis.FW_PSL_RULES);
  return cache.psl;
}

// Enhanced check: only the registrable domain goes to the server, never the path or query.
async function domainVerdict(url, lang) {
  const host = FW.hostOf(url);
  const domain = suffixList().registrable(host);
  if (!domain) return null;
  const cached = await cacheGet("domainCache", `${lang}:${domain}`, VERDICT_TTL_MS);
  if (cached) return cached;
  const target = `https://${domain}/`;
  const result = await api(
    "GET",
    `/v1/check/link?url=${encodeURIComponent(target)}&lang=${encodeURIComponent(lang)}`,
  );
  await cachePut("domainCache", `${lang}:${domain}`, result);
  return result;
}

// The verdict for one navigation, never throwing: offline means "don't know", never "block".
// `listsOnly`: the lists, on the device, and nothing more (frames inside a page, see checkFrame).
async function checkUrl(url, { listsOnly = false } = {}) {
  const s = await settings();
  const lang = FW.serverLang(s.lang || chrome.i18n.getUILanguage());
  const host = FW.hostOf(url);
  if (!host || FW.hostOf(s.serverUrl) === host) return { url, host, result: null, skipped: true };
  const allowed = await chrome.storage.session.get(`allow:${host}`);
  if (allowed[`allow:${host}`]) return { url, host, result: null, allowed: true };
  refreshSoon();
  let result = null;
  let offline = false;
  try {
    const local = await privateVerdict(url, lang, s);
    result = local.result;
    offline = local.offline;
    if (s.mode === "enhanced" && !listsOnly && !FW.isFlagged(result && result.verdict)) {
      result = FW.worst([result, await domainVerdict(url, lang)]);
    }
  } catch (err) {
    if (!(err instanceof OfflineError || isKeyRefused(err))) console.warn("FakeWatch check failed", err);
    offline = offline || err instanceof OfflineError || isKeyRefused(err);
  }
  // Why no check could be made: the stored status says whether the key was refused.
  const problem = offline ? (await getLocal("status", {})).problem || "offline" : "";
  return { url, host, result, offline, problem, at: Date.now() };
}

function isKeyRefused(err) {
  return err instanceof ApiError && (err.code === "unauthorized" || err.code === "forbidden");
}

// --- Navigation ----------------------------------------------------------------------------

function startCheck(tabId, url) {
  const running = cache.inflight.get(tabId);
  if (running && running.url === url) return running.promise;
  const promise = (async () => {
    const state = await checkUrl(url);
    const current = cache.inflight.get(tabId);
    if (current && current.url !== url) return state; // the tab moved on
    await setTabState(tabId, state);
    await showBadge(tabId, state);
    return state;
  })();
  cache.inflight.set(tabId, { url, promise });
  promise.finally(() => {
    const current = cache.inflight.get(tabId);
    if (current && current.promise === promise) cache.inflight.delete(tabId);
  });
  return promise;
}

// Replace the page with the warning. Called when the verdict arrives and again when the page
// commits: a redirect issued while the original navigation is still in flight can lose the race.
async function interstitial(tabId, state) {
  if (!state.result || state.result.verdict !== "likely_scam") return;
  const page = chrome.runtime.getURL(
    `blocked.html?url=${encodeURIComponent(state.url)}&tab=${tabId}`,
  );
  // Both navigation events can ask at once; a second update would abort the first.
  if (cache.redirected.get(tabId) === page) return;
  cache.redirected.set(tabId, page);
  await chrome.storage.session.set({ [`blocked:${tabId}`]: state });
  try {
    await chrome.tabs.update(tabId, { url: page });
  } catch (err) {
    console.warn("FakeWatch could not show the warning page", err);
  }
}

async function showBadge(tabId, state) {
  const t = await FW.translator((await settings()).lang);
  let text = "";
  let color = "#666666";
  let title = t("extName");
  const verdict = state.result && state.result.verdict;
  if (verdict === "likely_scam") {
    text = "!";
    color = "#c62828";
    title = t("badgeScam");
  } else if (verdict === "suspicious") {
    text = "?";
    color = "#ef6c00";
    title = t("badgeSuspicious");
  } else if (state.offline && state.problem === "unauthorized") {
    text = t("badgeKeyShort");
    color = "#757575";
    title = t("badgeUnauthorized");
  } else if (state.offline) {
    text = t("badgeOfflineShort");
    color = "#757575";
    title = t("badgeOffline");
  }
  try {
    await chrome.action.setBadgeText({ tabId, text });
    await chrome.action.setBadgeBackgroundColor({ tabId, color });
    await chrome.action.setTitle({ tabId, title });
  } catch (_) {
    // the tab closed meanwhile
  }
}

// `title`: the banner's heading when it is not about the page itself (a flagged frame).
async function injectBanner(tabId, state, title) {
  const t = await FW.translator((await settings()).lang);
  const s = await settings();
  const text = {
    title: title || t("bannerTitle"),
    reason: FW.reasonText(state.result),
    details: t("bannerDetails"),
    dismiss: t("bannerDismiss"),
    detailsUrl: FW.verdictPageUrl(s.serverUrl, `http://${state.host}/`),
    lang: t.htmlLang,
  };
  try {
    await chrome.scripting.executeScript({
      target: { tabId, frameIds: [0] },
      files: ["content/banner.js"],
    });
    await chrome.scripting.executeScript({
      target: { tabId, frameIds: [0] },
      func: (verdict, strings) => globalThis.__fakewatchBanner(verdict, strings),
      args: [state.result.verdict, text],
    });
  } catch (err) {
    console.warn("FakeWatch could not show the banner", err);
  }
}

chrome.webNavigation.onBeforeNavigate.addListener(async (details) => {
  if (details.frameId !== 0 || !/^https?:/.test(details.url)) return;
  cache.redirected.delete(details.tabId);
  await interstitial(details.tabId, await startCheck(details.tabId, details.url));
});

// Chrome clears a tab's badge and title when its new document commits, and whether that
// lands before or after the badge set for this navigation is a race: once the page has
// loaded, the badge is set again from the tab's stored verdict (no new check).
chrome.webNavigation.onCompleted.addListener(async (details) => {
  if (details.frameId !== 0 || !/^https?:/.test(details.url)) return;
  const state = await tabState(details.tabId);
  if (state && state.url === details.url) await showBadge(details.tabId, state);
});

chrome.webNavigation.onCommitted.addListener(async (details) => {
  if (details.frameId !== 0) return;
  if (!/^https?:/.test(details.url)) {
    if (!details.url.startsWith(chrome.runtime.getURL(""))) {
      chrome.storage.session.remove(tabKey(details.tabId));
      chrome.action.setBadgeText({ tabId: details.tabId, text: "" }).catch(() => {});
    }
    return;
  }
  // A server redirect may have landed elsewhere; a page that committed anyway is replaced.
  await interstitial(details.tabId, await startCheck(details.tabId, details.url));
});

chrome.webNavigation.onDOMContentLoaded.addListener(async (details) => {
  if (details.frameId !== 0 || !/^https?:/.test(details.url)) return;
  const state = await startCheck(details.tabId, details.url);
  if (state.result && state.result.verdict === "suspicious") await injectBanner(details.tabId, state);
  // Where "Go back" on a warning returns to: the last page of this tab that was not blocked
  // (history.back() could land on the blocked page itself when it had committed).
  if (!(state.result && state.result.verdict === "likely_scam")) {
    await rememberLast(details.tabId, details.url);
  }
});

// The page before the last one too: a page blocked for the frame it shows is itself the
// tab's last unblocked page, and "Go back" must not return to it.
async function rememberLast(tabId, url) {
  const key = `last:${tabId}`;
  const last = (await chrome.storage.session.get(key))[key];
  if (last === url) return;
  await chrome.storage.session.set({ [key]: url, [`prev:${tabId}`]: last || null });
}

// The address changed without a page load: a single-page app's history.pushState or
// replaceState (how such sites open a post, a profile or a "support" page), or a #fragment.
// Checked as a new page: a listed URL on a popular site is reached this way.
async function onSamePageNavigation(details) {
  if (!/^https?:/.test(details.url)) return;
  if (details.frameId !== 0) return checkFrame(details);
  const state = await startCheck(details.tabId, details.url);
  const verdict = state.result && state.result.verdict;
  if (verdict === "likely_scam") return interstitial(details.tabId, state);
  if (verdict === "suspicious") await injectBanner(details.tabId, state);
  await rememberLast(details.tabId, details.url);
}

chrome.webNavigation.onHistoryStateUpdated.addListener(onSamePageNavigation);
chrome.webNavigation.onReferenceFragmentUpdated.addListener(onSamePageNavigation);

// A frame inside a page, where one throwaway domain can show a listed site full-window.
// Checked against the lists only, on the device (a 4-byte prefix leaves only on a match), in
// both modes: enhanced mode's full scoring is for the sites a person opens, not for every ad
// and widget a page embeds. A `likely_scam` frame gets the warning page whatever its size: the
// size is the wrapping page's to change at any moment (a 2x2 frame grown to the whole window
// after it loaded, scaled up with a CSS transform, or nested in another frame), so no size
// measured by the extension says what the person will see. A `suspicious` one gets a banner
// naming it, in the top layer where no page content covers it.
async function checkFrame(details) {
  if (!/^https?:/.test(details.url)) return;
  const state = await checkUrl(details.url, { listsOnly: true });
  const verdict = state.result && state.result.verdict;
  if (!FW.isFlagged(verdict)) return;
  const { tabId } = details;
  let page = null;
  try {
    page = (await chrome.tabs.get(tabId)).url;
  } catch (_) {
    return; // the tab closed meanwhile
  }
  if (verdict === "likely_scam") return interstitial(tabId, { ...state, pageUrl: page });
  const t = await FW.translator((await settings()).lang);
  await injectBanner(tabId, state, t("bannerFramedSuspicious", [state.host]));
}

chrome.webNavigation.onCommitted.addListener((details) => {
  if (details.frameId !== 0) checkFrame(details).catch((err) => console.warn("FakeWatch frame check failed", err));
});

chrome.tabs.onRemoved.addListener((tabId) => {
  cache.redirected.delete(tabId);
  chrome.storage.session.remove([tabKey(tabId), `blocked:${tabId}`, `last:${tabId}`, `prev:${tabId}`]);
});

// --- Link scan (popup "Scan this page") ----------------------------------------------------

async function linkVerdicts(urls, lang, mode) {
  const verdicts = new Map();
  const set = await loadSet();
  if (set) {
    // Local first: only links whose expressions hit a prefix cost a lookup.
    const hashed = await Promise.all(urls.map((u) => FW.hashExpressions(u)));
    const hitPrefixes = new Set();
    hashed.forEach((hs) => hs.forEach((h) => FW.hasPrefix(set, h.prefix) && hitPrefixes.add(FW.prefixHex(h.prefix))));
    if (hitPrefixes.size) {
      const matches = await lookupPrefixes([...hitPrefixes], lang);
      const byHash = new Map(matches.map((m) => [m.hash, m]));
      urls.forEach((u, i) => {
        const found = FW.worst(hashed[i].map((h) => byHash.get(h.hash)));
        if (found) verdicts.set(u, found);
      });
    }
  }
  if (mode === "enhanced") {
    // As for a visited page: only each link's registrable domain leaves, never its path or
    // query (reset tokens, invite codes); a domain's verdict applies to all its links.
    const rest = urls.filter((u) => !verdicts.has(u));
    const byDomain = FW.linksByDomain(rest, (host) => suffixList().registrable(host));
    const ask = [];
    const cached = await getLocal("domainCache", {});
    for (const [domain, links] of byDomain) {
      const hit = cached[`${lang}:${domain}`];
      if (hit && Date.now() - hit.at < VERDICT_TTL_MS) links.forEach((u) => verdicts.set(u, hit.value));
      else ask.push(domain);
    }
    for (let i = 0; i < ask.length; i += LINKS_PER_REQUEST) {
      const batch = ask.slice(i, i + LINKS_PER_REQUEST);
      const body = await api("POST", "/v1/check/links", {
        json: { urls: batch.map((d) => `https://${d}/`), lang },
      });
      body.results.forEach((result, j) => byDomain.get(batch[j]).forEach((u) => verdicts.set(u, result)));
      await cachePutMany("domainCache", body.results.map((r, j) => [`${lang}:${batch[j]}`, r]));
    }
  }
  return verdicts;
}

async function scanTab(tabId) {
  const s = await settings();
  const lang = FW.serverLang(s.lang || chrome.i18n.getUILanguage());
  const [{ result: links }] = await chrome.scripting.executeScript({
    target: { tabId, frameIds: [0] },
    func: (max) => {
      const seen = new Set();
      for (const a of document.querySelectorAll("a[href]")) {
        if (seen.size >= max) break;
        if (/^https?:/i.test(a.href)) seen.add(a.href);
      }
      return [...seen];
    },
    args: [MAX_SCAN_LINKS],
  });
  let verdicts;
  let offline = false;
  try {
    verdicts = await linkVerdicts(links || [], lang, s.mode);
  } catch (err) {
    if (!(err instanceof OfflineError)) throw err;
    offline = true;
    verdicts = new Map();
  }
  const flagged = {};
  for (const [url, r] of verdicts) {
    if (FW.isFlagged(r.verdict)) flagged[url] = { verdict: r.verdict, reason: FW.reasonText(r) };
  }
  const t = await FW.translator(s.lang);
  const labels = { likely_scam: t("verdictScam"), suspicious: t("verdictSuspicious") };
  await chrome.scripting.executeScript({
    target: { tabId, frameIds: [0] },
    files: ["content/marks.js"],
  });
  const [{ result: marked }] = await chrome.scripting.executeScript({
    target: { tabId, frameIds: [0] },
    func: (found, names) => globalThis.__fakewatchMark(found, names),
    args: [flagged, labels],
  });
  return { links: (links || []).length, flagged: Object.keys(flagged).length, marked, offline };
}

// --- Images, reports, Telegram -------------------------------------------------------------

async function fetchImage(srcUrl) {
  if (!/^(https?:|data:)/.test(srcUrl)) throw new ApiError(0, "image_unreadable");
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS * 2);
  try {
    const response = await fetch(srcUrl, { credentials: "omit", signal: controller.signal });
    if (!response.ok) throw new ApiError(0, "image_unreadable");
    // Stops reading at the cap: a page must not make the worker pull gigabytes.
    const read = await FW.readCapped(response, MAX_IMAGE_BYTES);
    if (read.tooLarge) {
      controller.abort();
      throw new ApiError(0, "image_too_large");
    }
    const blob = read.blob;
    // An HTML error page or a login wall is not the picture the person saw.
    if (blob.type && !/^(image|video)\//.test(blob.type)) throw new ApiError(0, "image_unreadable");
    return blob;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, "image_unreadable");
  } finally {
    clearTimeout(timer);
  }
}

async function checkImage(srcUrl) {
  const s = await settings();
  const lang = FW.serverLang(s.lang || chrome.i18n.getUILanguage());
  const blob = await fetchImage(srcUrl);
  const form = new FormData();
  form.append("file", blob, FW.fileNameOf(srcUrl));
  return api("POST", `/v1/check/media?lang=${lang}`, { form, timeout: MEDIA_TIMEOUT_MS });
}

async function errorText(err) {
  const t = await FW.translator((await settings()).lang);
  const code = err && err.code;
  const key = FW.errorKey(code);
  return key ? t(key) : t("errGeneric", [String((err && err.message) || code)]);
}

// `anchor`: the address of the picture or link to show it beside (null: the top of the page).
async function bubble(tabId, frameId, anchor, payload) {
  try {
    await chrome.scripting.executeScript({
      target: { tabId, frameIds: [frameId || 0] },
      files: ["content/bubble.js"],
    });
    await chrome.scripting.executeScript({
      target: { tabId, frameIds: [frameId || 0] },
      func: (near, data) => globalThis.__fakewatchBubble(near, data),
      args: [anchor, payload],
    });
  } catch (err) {
    console.warn("FakeWatch could not show the bubble", err);
  }
}

async function imageBubble(tabId, frameId, srcUrl) {
  const t = await FW.translator((await settings()).lang);
  await bubble(tabId, frameId, srcUrl, { state: "checking", title: t("bubbleChecking") });
  try {
    const result = await checkImage(srcUrl);
    const state = FW.verdictState(result);
    const name = {
      likely_scam: t("verdictScam"),
      suspicious: t("verdictSuspicious"),
      no_known_signals: t("verdictClean"),
      no_known_signals_weak: t("verdictCleanWeak"),
      unknown: t("verdictUnknown"),
    }[state];
    await bubble(tabId, frameId, srcUrl, {
      state,
      title: name || result.verdict,
      text: result.summary || "",
      reasons: FW.reasonsBesides(result).slice(0, 3),
      close: t("bannerDismiss"),
    });
    return result;
  } catch (err) {
    await bubble(tabId, frameId, srcUrl, {
      state: "error",
      title: t("bubbleFailed"),
      text: await errorText(err),
      close: t("bannerDismiss"),
    });
    return { error: err.code || String(err) };
  }
}

// One report from the report page: {kind: "link"|"image", value, page_url, category,
// description, share, keep}. A picture is sent itself (FW.reportBody says why).
async function report(item) {
  const body = FW.reportBody(item);
  if (item.kind !== "image") return api("POST", "/v1/reports", { json: body });
  return api("POST", "/v1/reports", { form: await pictureReport(item.value, body), timeout: MEDIA_TIMEOUT_MS })
    .catch((err) => {
      // 413: over this server's byte or pixel caps (it may allow less than our 10 MB).
      if (err instanceof ApiError && err.status === 413) throw new ApiError(413, "report_image_too_large");
      throw err;
    });
}

// The multipart body of a picture report: the `report` JSON and the picture, fetched again
// as "Send to my Telegram" fetches it (same 10 MB cap). A picture that cannot be fetched
// again (gone, protected, too large) stops the report here, said to the person: a report
// about the page showing it would be a report about someone else's site.
async function pictureReport(srcUrl, body) {
  let blob;
  try {
    blob = await fetchImage(srcUrl);
  } catch (err) {
    const tooLarge = err instanceof ApiError && err.code === "image_too_large";
    throw new ApiError(0, tooLarge ? "report_image_too_large" : "report_image_unreadable");
  }
  const form = new FormData();
  form.append("report", JSON.stringify(body));
  form.append("file", blob, FW.fileNameOf(srcUrl));
  return form;
}

async function linkTelegram(code) {
  // The chat is told "a browser was linked (<label>)": in the person's language.
  const t = await FW.translator((await settings()).lang);
  const result = await api("POST", "/v1/relay/link", {
    json: { code: String(code).trim(), label: t("relayLabel") },
  });
  await chrome.storage.local.set({ relayToken: result.token, relayLinkedAt: Date.now() });
  return { linked: true };
}

async function unlinkTelegram() {
  const token = await getLocal("relayToken", "");
  if (token) {
    try {
      await api("POST", "/v1/relay/unlink", { json: { token } });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  }
  await chrome.storage.local.remove(["relayToken", "relayLinkedAt"]);
  return { linked: false };
}

// Only the server judges what reaches the chat (one brain): a link is checked again there,
// and a picture is sent itself (multipart `file`, as a media check sends it) for the server
// to judge. No verdict or summary of ours travels: a relay token must not be able to make a
// family chat read any sentence under any picture. A picture this worker cannot fetch, or
// one over the server's caps (413), goes by its address: the chat reads "could not judge".
// `lang` is the person's: the server judges in it, the bot then speaks the chat's.
async function sendToTelegram(item) {
  const token = await getLocal("relayToken", "");
  if (!token) throw new ApiError(0, "not_linked");
  const s = await settings();
  const fields = {
    token,
    kind: item.kind === "image" ? "image" : "link",
    url: item.url,
    lang: FW.serverLang(s.lang || chrome.i18n.getUILanguage()),
  };
  if (item.page_url && /^https?:/.test(item.page_url)) fields.page_url = item.page_url;
  try {
    if (fields.kind === "image") {
      const blob = await fetchImage(item.url).catch((err) => {
        if (err instanceof ApiError) return null; // unreadable or over 10 MB: the address alone
        throw err;
      });
      if (blob) {
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) form.append(name, value);
        form.append("file", blob, FW.fileNameOf(item.url));
        try {
          return await api("POST", "/v1/relay/items", { form, timeout: MEDIA_TIMEOUT_MS });
        } catch (err) {
          // 413: over this server's byte, pixel or length caps; the address alone then.
          if (!(err instanceof ApiError) || err.status !== 413) throw err;
        }
      }
    }
    return await api("POST", "/v1/relay/items", { json: fields });
  } catch (err) {
    if (err.code === "relay_token_invalid") await chrome.storage.local.remove("relayToken");
    throw err;
  }
}

// --- Context menus -------------------------------------------------------------------------

const MENUS = [
  { id: "fw-check-image", key: "menuCheckImage", contexts: ["image"] },
  { id: "fw-report", key: "menuReport", contexts: ["page", "link", "image"] },
  { id: "fw-telegram", key: "menuTelegram", contexts: ["page", "link", "image"] },
];

async function createMenus() {
  const t = await FW.translator((await settings()).lang);
  await chrome.contextMenus.removeAll();
  for (const m of MENUS) {
    chrome.contextMenus.create({
      id: m.id,
      title: t(m.key),
      contexts: m.contexts,
      documentUrlPatterns: ["http://*/*", "https://*/*"],
    });
  }
  await chrome.storage.session.set({ menusReady: MENUS.map((m) => m.id) });
}

function targetOf(info, tab) {
  if (info.mediaType === "image" && info.srcUrl) {
    return { kind: "image", url: info.srcUrl, page_url: info.pageUrl || (tab && tab.url) };
  }
  if (info.linkUrl) return { kind: "link", url: info.linkUrl, page_url: info.pageUrl };
  return { kind: "link", url: info.pageUrl || (tab && tab.url), page_url: info.pageUrl, page: true };
}

async function onContextMenu(info, tab) {
  const tabId = tab && tab.id;
  const target = targetOf(info, tab);
  if (info.menuItemId === "fw-check-image") {
    return imageBubble(tabId, info.frameId, info.srcUrl);
  }
  if (info.menuItemId === "fw-report") {
    const q = new URLSearchParams({ kind: target.kind, value: target.url, page: target.page_url || "" });
    await chrome.tabs.create({ url: chrome.runtime.getURL(`report.html?${q}`), openerTabId: tabId });
    return { opened: "report" };
  }
  if (info.menuItemId === "fw-telegram") {
    return sendFromMenu(tabId, info.frameId, target);
  }
  return null;
}

// "Send to my Telegram" from the context menu: a bubble says what happened every time, beside
// the picture or link sent, or at the top of the page sent (the popup says it in its own
// window). -> the server's answer, or {error, text}.
async function sendFromMenu(tabId, frameId, target) {
  const t = await FW.translator((await settings()).lang);
  let sent = null;
  let failure = null;
  try {
    sent = await sendToTelegram(target);
  } catch (err) {
    failure = { error: err.code || String(err), text: await errorText(err) };
  }
  const notice = FW.sendNotice(target, sent ? { sent } : failure);
  const text = failure ? failure.text : t(...notice.text);
  await bubble(tabId, frameId, target.page ? null : target.url, {
    state: notice.state,
    title: t(notice.title),
    text,
    close: t("bannerDismiss"),
  });
  return sent || failure;
}

chrome.contextMenus.onClicked.addListener((info, tab) => {
  onContextMenu(info, tab).catch((err) => console.warn("FakeWatch menu action failed", err));
});

// --- Messages from the popup, options, warning and report pages ----------------------------

const HANDLERS = {
  async tabState({ tabId }) {
    const state = (await tabState(tabId)) || (await chrome.storage.session.get(`blocked:${tabId}`))[`blocked:${tabId}`];
    const status = await getLocal("status", {});
    return { state, status, settings: await settings(), linked: !!(await getLocal("relayToken", "")) };
  },
  async blockedState({ tabId }) {
    return (await chrome.storage.session.get(`blocked:${tabId}`))[`blocked:${tabId}`] || null;
  },
  async goBack({ tabId }) {
    const keys = [`last:${tabId}`, `prev:${tabId}`, `blocked:${tabId}`];
    const got = await chrome.storage.session.get(keys);
    const blocked = got[`blocked:${tabId}`];
    let last = got[`last:${tabId}`];
    // Blocked for a frame: the page around it is no way back.
    if (blocked && blocked.pageUrl && last === blocked.pageUrl) last = got[`prev:${tabId}`];
    await chrome.tabs.update(tabId, { url: last || "chrome://newtab/" });
    return { ok: true, url: last || null };
  },
  async continueAnyway({ tabId, url }) {
    const host = FW.hostOf(url);
    if (!host) return { ok: false };
    await chrome.storage.session.set({ [`allow:${host}`]: Date.now() });
    // Blocked for a frame: back to the page that showed it, with the framed site allowed.
    const blocked = (await chrome.storage.session.get(`blocked:${tabId}`))[`blocked:${tabId}`];
    const framed = blocked && blocked.url === url && /^https?:/.test(blocked.pageUrl || "");
    await chrome.tabs.update(tabId, { url: framed ? blocked.pageUrl : url });
    return { ok: true };
  },
  scan: ({ tabId }) => scanTab(tabId),
  report: ({ item }) => report(item),
  // "This is a mistake" on the warning: an appeal of the moderators' case behind the verdict.
  // A verdict from a bundled or feed list has no case to appeal; the page says whom to ask.
  async appeal({ tabId, text }) {
    const state = (await chrome.storage.session.get(`blocked:${tabId}`))[`blocked:${tabId}`];
    const caseId = FW.caseIdOf(state && state.result);
    if (!caseId) throw new ApiError(0, "no_case");
    const reason = String(text || "").trim() || "Reported as a mistake from the FakeWatch warning page.";
    return api("POST", "/v1/appeals", {
      // Whoever presses the button saw the warning; only the moderators can tell an owner.
      json: { case_id: caseId, role: "visitor", reason: reason.slice(0, 2000) },
    });
  },
  sendToTelegram: ({ item }) => sendToTelegram(item),
  linkTelegram: ({ code }) => linkTelegram(code),
  unlinkTelegram: () => unlinkTelegram(),
  updatePrefixes: () => updatePrefixes({ force: true }),
  async testServer() {
    const body = await api("GET", "/v1/lists");
    return { version: body.version, entries: body.entries };
  },
};

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Only our own pages talk to the worker (no content script sends messages).
  if (sender.id !== chrome.runtime.id || (sender.url && !sender.url.startsWith(chrome.runtime.getURL("")))) {
    return false;
  }
  const handler = HANDLERS[message && message.type];
  if (!handler) return false;
  handler(message)
    .then((value) => sendResponse({ ok: true, value }))
    .catch(async (err) =>
      sendResponse({ ok: false, code: err.code || "error", error: await errorText(err) }),
    );
  return true;
});

// --- Lifecycle -----------------------------------------------------------------------------

chrome.runtime.onInstalled.addListener(async () => {
  const stored = await chrome.storage.local.get(SETTING_KEYS);
  const missing = {};
  for (const key of SETTING_KEYS) if (stored[key] === undefined) missing[key] = DEFAULTS[key];
  if (Object.keys(missing).length) await chrome.storage.local.set(missing);
  // Picture verdicts by address, kept by earlier versions for picture reports: unused now.
  await chrome.storage.local.remove("mediaCache");
  await createMenus();
  refreshSoon();
});

chrome.runtime.onStartup.addListener(() => refreshSoon());

chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== "local") return;
  if (changes.serverUrl || changes.apiKey) {
    chrome.storage.local.remove(["lookupCache", "domainCache", "mediaCache"]);
    updatePrefixes({ force: true }).catch(() => {});
  }
  if (changes.mode) chrome.storage.local.remove("domainCache");
  if (changes.lang) createMenus().catch(() => {});
});

// For tests and debugging from the worker console: the same functions the events call
// (a native context menu cannot be clicked in headless Chromium).
function dropCaches() {
  cache.set = null;
  cache.setKey = null;
  cache.psl = null;
  cache.inflight.clear();
  cache.redirected.clear();
  cache.refreshCheckedAt = 0;
}

self.fakewatch = { dropCaches, checkUrl, updatePrefixes, scanTab, onContextMenu, imageBubble, report, sendToTelegram, linkTelegram, settings, createMenus };
