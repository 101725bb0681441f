// FakeWatch extension core: pure logic shared by the service worker, extension pages and the
// node --test unit tests. A classic script (content scripts and importScripts cannot load ES
// modules everywhere) that sets globalThis.FW. No chrome.* calls here.
"use strict";

(function (root) {
  const PREFIX_BYTES = 4;
  const SEVERITY = { likely_scam: 3, suspicious: 2, no_known_signals: 1, unknown: 0 };
  // Safe Browsing tests at most 5 host suffixes; deeper subdomains add nothing listable.
  const MAX_HOST_SUFFIXES = 5;

  // --- base64 / hex -----------------------------------------------------------------------

  function b64ToBytes(text) {
    if (!text) return new Uint8Array(0);
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function bytesToB64(bytes) {
    let bin = "";
    const step = 0x8000;
    for (let i = 0; i < bytes.length; i += step) {
      bin += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
    }
    return btoa(bin);
  }

  function hex(bytes) {
    let out = "";
    for (let i = 0; i < bytes.length; i++) out += bytes[i].toString(16).padStart(2, "0");
    return out;
  }

  function prefixHex(prefix) {
    return (prefix >>> 0).toString(16).padStart(PREFIX_BYTES * 2, "0");
  }

  // --- Rice-Golomb decoding (server/prefixes.py rice_encode) ------------------------------

  function riceDecode(block) {
    const count = block.count | 0;
    const out = new Uint32Array(count);
    if (count === 0) return out;
    const k = block.k | 0;
    const data = b64ToBytes(block.data);
    const total = data.length * 8;
    // 32 bits starting at byte b (bytes past the end read as 0).
    const word = (b) => ((data[b] << 24) | (data[b + 1] << 16) | (data[b + 2] << 8) | data[b + 3]) >>> 0;
    // n <= 25 bits starting at bit `at`, MSB first.
    const bits = (at, n) => (n === 0 ? 0 : ((word(at >> 3) << (at & 7)) >>> 0) >>> (32 - n));
    const scale = 2 ** k;
    let pos = 0;
    let value = Number(block.first);
    out[0] = value;
    for (let i = 1; i < count; i++) {
      let q = 0;
      for (;;) {
        // Leading ones of the window: the unary quotient, a byte-aligned 32-bit read at a time.
        const off = pos & 7;
        const ones = Math.clz32(~((word(pos >> 3) << off) >>> 0));
        if (ones < 32 - off) {
          q += ones;
          pos += ones + 1;
          break;
        }
        q += 32 - off;
        pos += 32 - off;
        if (pos > total) throw new Error("corrupt prefix update");
      }
      let rem;
      if (k <= 25) {
        rem = bits(pos, k);
      } else {
        rem = bits(pos, k - 16) * 65536 + bits(pos + k - 16, 16);
      }
      pos += k;
      value += q * scale + rem + 1;
      if (value > 0xffffffff || pos > total) throw new Error("corrupt prefix update");
      out[i] = value;
    }
    return out;
  }

  // New sorted set = (old - remove) ∪ add, all sorted Uint32Arrays; one merge pass.
  function applyDiff(old, remove, add) {
    const out = new Uint32Array(old.length - remove.length + add.length);
    let i = 0, r = 0, a = 0, n = 0;
    while (i < old.length || a < add.length) {
      const takeOld = i < old.length && (a >= add.length || old[i] < add[a]);
      if (takeOld) {
        while (r < remove.length && remove[r] < old[i]) r++;
        if (r < remove.length && remove[r] === old[i]) {
          i++;
          continue;
        }
        if (n >= out.length) throw new Error("diff does not fit the local set");
        out[n++] = old[i++];
      } else {
        if (i < old.length && old[i] === add[a]) i++; // already present
        if (n >= out.length) throw new Error("diff does not fit the local set");
        out[n++] = add[a++];
      }
    }
    return n === out.length ? out : out.slice(0, n);
  }

  // The set after applying one GET /v1/lists/prefixes body to `local` (null = none yet).
  function applyUpdate(local, body) {
    if (body.prefix_bytes !== PREFIX_BYTES || body.encoding !== "rice") {
      throw new Error("unsupported prefix list format");
    }
    const add = riceDecode(body.add);
    if (body.full || !local) return add;
    return applyDiff(local, riceDecode(body.remove), add);
  }

  function u32ToBigEndianBytes(set) {
    const bytes = new Uint8Array(set.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < set.length; i++) view.setUint32(i * 4, set[i], false);
    return bytes;
  }

  async function checksum(set) {
    const digest = await crypto.subtle.digest("SHA-256", u32ToBigEndianBytes(set));
    return hex(new Uint8Array(digest));
  }

  function setToB64(set) {
    return bytesToB64(u32ToBigEndianBytes(set));
  }

  function setFromB64(text) {
    const bytes = b64ToBytes(text);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Uint32Array(bytes.length >> 2);
    for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, false);
    return out;
  }

  function hasPrefix(set, prefix) {
    let lo = 0, hi = set.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = set[mid];
      if (v === prefix) return true;
      if (v < prefix) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  // --- What a page address is checked as ---------------------------------------------------

  // Host names from the URL parser are already lowercase punycode (what the server lists).
  function hostOf(url) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch (_) {
      return null;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
    const host = parsed.hostname.replace(/\.$/, "");
    return host || null;
  }

  function isIp(host) {
    return /^[0-9.]+$/.test(host) || host.startsWith("[");
  }

  // The expressions a listed entry could match this URL by (server/lists.py):
  // the host and its parents (a domain entry matches subdomains), and the URL key with and
  // without its query (a URL entry matches that exact address).
  function expressions(url) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch (_) {
      return [];
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return [];
    const host = parsed.hostname.replace(/\.$/, "");
    if (!host) return [];
    const out = [host];
    if (!isIp(host)) {
      const labels = host.split(".");
      for (let i = 1; i < labels.length - 1 && out.length < MAX_HOST_SUFFIXES; i++) {
        out.push(labels.slice(i).join("."));
      }
    }
    const netloc = parsed.port ? `${host}:${parsed.port}` : host;
    const path = parsed.pathname || "/";
    const query = parsed.search.replace(/^\?/, "");
    out.push(netloc + path);
    if (query) out.push(`${netloc}${path}?${query}`);
    return out;
  }

  async function sha256(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return new Uint8Array(digest);
  }

  // [{expression, hash (hex), prefix (uint32)}] for every expression of the URL.
  async function hashExpressions(url) {
    const exprs = expressions(url);
    const digests = await Promise.all(exprs.map(sha256));
    return exprs.map((expression, i) => ({
      expression,
      hash: hex(digests[i]),
      prefix: new DataView(digests[i].buffer).getUint32(0, false),
    }));
  }

  // --- Registrable domain (enhanced mode sends only this) ----------------------------------

  function makeSuffixList(rulesText) {
    const rules = new Set(rulesText.split("\n"));
    return {
      registrable(host) {
        if (!host || isIp(host)) return host || "";
        const labels = host.split(".");
        let suffixStart = null;
        for (let start = labels.length - 1; start >= 0; start--) {
          const candidate = labels.slice(start).join(".");
          const parent = labels.slice(start + 1).join(".");
          if (rules.has("!" + candidate)) {
            suffixStart = start + 1;
            break;
          }
          if (rules.has(candidate) || (parent && rules.has("*." + parent))) suffixStart = start;
        }
        if (suffixStart === null) suffixStart = labels.length - 1; // unknown TLD ends a name
        if (suffixStart === 0) return host; // the host is itself a suffix
        return labels.slice(suffixStart - 1).join(".");
      },
    };
  }

  // Links grouped by registrable domain (what enhanced mode may send): Map domain -> [urls].
  // A link without a readable http(s) host is left out.
  function linksByDomain(urls, registrable) {
    const out = new Map();
    for (const url of urls) {
      const host = hostOf(url);
      const domain = host && registrable(host);
      if (!domain) continue;
      if (!out.has(domain)) out.set(domain, []);
      out.get(domain).push(url);
    }
    return out;
  }

  // --- Capped body reads ------------------------------------------------------------------

  // A response body as a Blob, read chunk by chunk and abandoned once past `max` bytes (a
  // chunked response declares no length, and Response.blob() would read it all first).
  // -> {blob, bytes} or {tooLarge: true, bytes read so far}.
  async function readCapped(response, max) {
    const declared = Number(response.headers.get("Content-Length") || 0);
    if (declared > max) {
      if (response.body) response.body.cancel().catch(() => {});
      return { tooLarge: true, bytes: 0 };
    }
    const type = (response.headers.get("Content-Type") || "").split(";")[0].trim().toLowerCase();
    const chunks = [];
    let bytes = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        if (bytes > max) {
          reader.cancel().catch(() => {});
          return { tooLarge: true, bytes };
        }
        chunks.push(value);
      }
    }
    return { blob: new Blob(chunks, { type }), bytes };
  }

  // --- Verdicts ----------------------------------------------------------------------------

  function worst(verdicts) {
    let best = null;
    for (const v of verdicts) {
      if (!v) continue;
      if (!best || (SEVERITY[v.verdict] || 0) > (SEVERITY[best.verdict] || 0)) best = v;
    }
    return best;
  }

  function isFlagged(verdict) {
    return verdict === "likely_scam" || verdict === "suspicious";
  }

  // The first reason's sentence, for a banner or a tooltip.
  function reasonText(result) {
    if (!result) return "";
    const reason = (result.reasons || []).find((r) => r.role !== "info") || (result.reasons || [])[0];
    return (reason && reason.message) || result.summary || "";
  }

  // The reasons' sentences a page lists under the summary, without the one the summary
  // already quotes word for word ("Likely a scam: <reason> Do not…").
  function reasonsBesides(result) {
    const summary = (result && result.summary) || "";
    return ((result && result.reasons) || [])
      .map((r) => r.message)
      .filter((m) => m && !summary.includes(m));
  }

  // A "no known signals" verdict that still names a warning sign (a reason with weight above 0
  // that is not an allow reason, e.g. the domain model's weak one): its headline must not read
  // "no known warning signs" above the summary naming that sign. The bot's `has_weak_signs`.
  function hasWeakSigns(result) {
    return ((result && result.reasons) || []).some(
      (r) => r && typeof r === "object" && r.role !== "allow" && r.role !== "ALLOW" && Number(r.weight || 0) > 0,
    );
  }

  // What a popup or bubble shows a verdict as: its name, or "no_known_signals_weak" (neither
  // the reassuring look nor a warning's) for a no-known-signals verdict with weak signs.
  function verdictState(result) {
    const verdict = (result && result.verdict) || "unknown";
    return verdict === "no_known_signals" && hasWeakSigns(result) ? "no_known_signals_weak" : verdict;
  }

  // The community case behind a verdict, when moderators confirmed it (only those can be
  // appealed): a lists reason whose matched entry references "case:N".
  function caseIdOf(result) {
    for (const reason of (result && result.reasons) || []) {
      for (const entry of (reason.details && reason.details.matched) || []) {
        const found = /^case:(\d{1,18})$/.exec(entry.reference || "");
        if (found) return Number(found[1]);
      }
    }
    return null;
  }

  // --- Reports and "Send to my Telegram" -----------------------------------------------------

  // The JSON of one report (`POST /v1/reports`) from the report form's item
  // {kind: "link"|"image"|…, value, page_url, category, description, share, keep}.
  // A picture is a picture case (`kind: "media"`): the picture itself travels beside this
  // JSON as the multipart `file`, and the server hashes it. Neither the picture's address nor
  // the page showing it is ever the reported item: reporting an ad must not report the news
  // site around it. The page is only where it was seen (`seen_on`).
  function reportBody(item) {
    const picture = item.kind === "image";
    const body = {
      kind: picture ? "media" : item.kind || "link",
      category: item.category || "other",
      consent: { share_with_authorities: !!item.share },
    };
    if (picture) body.consent.keep_media = !!item.keep;
    else body.value = item.value;
    if (item.description) body.description = String(item.description).slice(0, 2000);
    if (item.page_url && /^https?:/i.test(item.page_url)) {
      body.seen_on = { platform: "web", url: item.page_url.slice(0, 2000) };
    }
    return body;
  }

  // A file name for an uploaded picture: the last part of its address's path.
  function fileNameOf(url) {
    return (String(url).split(/[?#]/)[0].split("/").pop() || "image").slice(0, 100);
  }

  // Message keys for the error codes the extension says in words (else errGeneric).
  const ERROR_KEYS = {
    offline: "errOffline",
    image_unreadable: "errImageUnreadable",
    image_too_large: "errImageTooLarge",
    report_image_unreadable: "errReportImageUnreadable",
    report_image_too_large: "errReportImageTooLarge",
    unauthorized: "errUnauthorized",
    forbidden: "errUnauthorized",
    rate_limited: "errRateLimited",
    route_not_found: "errNotSupported",
    relay_token_invalid: "errRelayToken",
    relay_code_invalid: "errRelayCode",
    not_linked: "errNotLinked",
    no_case: "errNoCase",
  };

  function errorKey(code) {
    return ERROR_KEYS[code] || null;
  }

  // What the bubble says after "Send to my Telegram" from the context menu: for a link, a
  // page or a picture, sent or not, always something. `target` {kind: "link"|"image",
  // url, page: true when it is the page itself}; `outcome` {sent: the server's answer} or
  // {error: code}. -> {state, title, text: [key, substitutions] | null}; the caller
  // translates (an error's text is errorKey's message, or the server's words).
  function sendNotice(target, outcome) {
    if (!outcome || outcome.error || !outcome.sent) {
      return { state: "error", title: "sendFailed", text: null };
    }
    if (target.kind === "image") {
      const judged = outcome.sent.judged !== false;
      return { state: "sent", title: "sentTelegram", text: [judged ? "sentTelegramPicture" : "sentTelegramAddressOnly", []] };
    }
    const shown = String(target.url || "").slice(0, 200);
    return { state: "sent", title: "sentTelegram", text: [target.page ? "sentTelegramPage" : "sentTelegramLink", [shown]] };
  }

  function base64url(text) {
    return bytesToB64(new TextEncoder().encode(text))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  }

  // The server's shareable verdict page for a link (server/web/urls.py link_path).
  // The API key travels with every request: plain http is only for a server on this machine.
  // Returns "" when the address may be saved, else the message key saying why not.
  function serverUrlProblem(serverUrl) {
    const match = /^(https?):\/\/([^/?#]+)$/i.exec(serverUrl);
    if (!match) return "errOffline";
    if (match[1].toLowerCase() === "https") return "";
    const host = match[2].replace(/:\d+$/, "").toLowerCase();
    const loopback = host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
    return loopback ? "" : "errInsecureServer";
  }

  function verdictPageUrl(serverUrl, url) {
    return `${serverUrl.replace(/\/+$/, "")}/r/l${base64url(url)}`;
  }

  // The server's language for a UI language setting: en, zh (Simplified), or the Traditional
  // tags the server converts its sentences for (Taiwan's and Hong Kong's standards).
  function serverLang(lang) {
    const l = (lang || "").toLowerCase().replace("_", "-");
    if (!l.startsWith("zh")) return "en";
    if (l.includes("hans")) return "zh";
    if (l.includes("hk") || l.includes("mo")) return "zh-HK";
    if (l.includes("hant") || l.includes("tw")) return "zh-TW";
    return "zh";
  }

  // _locales folder for a UI language setting ("" = follow the browser).
  function localeDir(lang, browserLang) {
    const l = (lang || browserLang || "en").toLowerCase().replace("_", "-");
    if (l === "zh-hant" || l === "zh-tw" || l === "zh-hk" || l === "zh-mo") return "zh_TW";
    if (l.startsWith("zh")) return "zh_CN";
    return "en";
  }

  function format(message, substitutions) {
    if (!message) return "";
    const subs = substitutions == null ? [] : [].concat(substitutions);
    return message.replace(/\$(\d)/g, (_, n) => (subs[Number(n) - 1] ?? "").toString());
  }

  root.FW = Object.assign(root.FW || {}, {
    PREFIX_BYTES,
    SEVERITY,
    b64ToBytes,
    bytesToB64,
    hex,
    prefixHex,
    riceDecode,
    applyDiff,
    applyUpdate,
    checksum,
    setToB64,
    setFromB64,
    hasPrefix,
    hostOf,
    isIp,
    expressions,
    sha256,
    hashExpressions,
    makeSuffixList,
    linksByDomain,
    readCapped,
    worst,
    isFlagged,
    reasonText,
    reasonsBesides,
    hasWeakSigns,
    verdictState,
    caseIdOf,
    reportBody,
    fileNameOf,
    errorKey,
    sendNotice,
    base64url,
    verdictPageUrl,
    serverUrlProblem,
    serverLang,
    localeDir,
    format,
  });
})(globalThis);
