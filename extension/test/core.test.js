// Unit tests for lib/core.js (node --test extension/test). No network, no browser:
// the classic script is evaluated as-is and sets globalThis.FW.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

const root = path.join(__dirname, "..");
for (const file of ["lib/psl_data.js", "lib/core.js"]) {
  new Function(fs.readFileSync(path.join(root, file), "utf8"))();
}
const FW = globalThis.FW;

// The server's encoder, to prove the JavaScript decoder reads what Python writes.
function pythonRice(values) {
  const repo = path.join(root, "..");
  const python = fs.existsSync(path.join(repo, ".venv/bin/python")) ? path.join(repo, ".venv/bin/python") : "python3";
  const out = execFileSync(
    python,
    ["-c", "import json,sys; from server.prefixes import rice_encode; print(json.dumps(rice_encode(json.load(sys.stdin))))"],
    { cwd: repo, input: JSON.stringify(values) },
  );
  return JSON.parse(out);
}

test("Rice blocks written by the server decode to the same sorted prefixes", () => {
  const values = [0, 1, 2, 77, 4096, 65535, 1 << 20, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1];
  assert.deepEqual([...FW.riceDecode(pythonRice(values))], values);
  const random = [...new Set(Array.from({ length: 2000 }, () => Math.floor(Math.random() * 2 ** 32)))].sort((a, b) => a - b);
  assert.deepEqual([...FW.riceDecode(pythonRice(random))], random);
  assert.equal(FW.riceDecode({ count: 0, first: 0, k: 0, data: "" }).length, 0);
});

test("a diff removes and adds in one pass and keeps the set sorted", () => {
  const old = Uint32Array.from([1, 5, 9, 12]);
  const next = FW.applyDiff(old, Uint32Array.from([5, 12]), Uint32Array.from([2, 9, 40]));
  assert.deepEqual([...next], [1, 2, 9, 40]);
});

test("applyUpdate replaces the set on full and refuses other formats", () => {
  const body = { prefix_bytes: 4, encoding: "rice", full: true, add: pythonRice([3, 8]), remove: pythonRice([]) };
  assert.deepEqual([...FW.applyUpdate(Uint32Array.from([1]), body)], [3, 8]);
  assert.throws(() => FW.applyUpdate(null, { ...body, prefix_bytes: 3 }), /unsupported/);
});

test("the checksum is SHA-256 of big-endian words, like server/prefixes.py set_checksum", async () => {
  const repo = path.join(root, "..");
  const python = fs.existsSync(path.join(repo, ".venv/bin/python")) ? path.join(repo, ".venv/bin/python") : "python3";
  const expected = execFileSync(python, ["-c", "from server.prefixes import set_checksum; print(set_checksum([1, 258, 4294967295]))"], { cwd: repo }).toString().trim();
  assert.equal(await FW.checksum(Uint32Array.from([1, 258, 4294967295])), expected);
});

test("storage round trip of the set is lossless", () => {
  const set = Uint32Array.from([0, 7, 2 ** 32 - 1]);
  assert.deepEqual([...FW.setFromB64(FW.setToB64(set))], [...set]);
});

test("binary search finds members only", () => {
  const set = Uint32Array.from([2, 4, 8, 16, 2 ** 32 - 1]);
  for (const v of set) assert.ok(FW.hasPrefix(set, v));
  for (const v of [0, 3, 17, 2 ** 32 - 2]) assert.ok(!FW.hasPrefix(set, v));
  assert.ok(!FW.hasPrefix(new Uint32Array(0), 1));
});

test("expressions: the host, its parents, the URL with and without its query", () => {
  assert.deepEqual(FW.expressions("https://a.b.Evil.example.com:8443/x/y?q=1#frag"), [
    "a.b.evil.example.com",
    "b.evil.example.com",
    "evil.example.com",
    "example.com",
    "a.b.evil.example.com:8443/x/y",
    "a.b.evil.example.com:8443/x/y?q=1",
  ]);
  assert.deepEqual(FW.expressions("http://example.com"), ["example.com", "example.com/"]);
  assert.deepEqual(FW.expressions("http://10.0.0.1/a"), ["10.0.0.1", "10.0.0.1/a"]);
  assert.deepEqual(FW.expressions("chrome://settings"), []);
  assert.deepEqual(FW.expressions("not a url"), []);
  // Unicode host names become punycode, the form lists hold.
  assert.equal(FW.expressions("http://bücher.example/")[0], "xn--bcher-kva.example");
});

test("hashes are SHA-256 of the expression; the prefix is its first 4 bytes", async () => {
  const [first] = await FW.hashExpressions("http://0-chain.com/");
  assert.equal(first.expression, "0-chain.com");
  const expected = require("node:crypto").createHash("sha256").update("0-chain.com").digest("hex");
  assert.equal(first.hash, expected);
  assert.equal(FW.prefixHex(first.prefix), expected.slice(0, 8));
});

test("registrable domain follows the server's suffix rules, private section included", () => {
  const psl = FW.makeSuffixList(globalThis.FW_PSL_RULES);
  assert.equal(psl.registrable("login.paypal.com"), "paypal.com");
  assert.equal(psl.registrable("a.b.example.co.uk"), "example.co.uk");
  assert.equal(psl.registrable("metamask-io.pages.dev"), "metamask-io.pages.dev");
  assert.equal(psl.registrable("www.city.kobe.jp"), "city.kobe.jp");
  assert.equal(psl.registrable("shop.brand.newtld-unknown"), "brand.newtld-unknown");
  assert.equal(psl.registrable("co.uk"), "co.uk");
});

test("verdict helpers: worst verdict wins, reasons and verdict pages", () => {
  const a = { verdict: "suspicious", reasons: [{ role: "info", message: "x" }, { role: "primary", message: "Looks like paypal.com" }] };
  const b = { verdict: "likely_scam", summary: "Bad", reasons: [] };
  assert.equal(FW.worst([null, a, b]).verdict, "likely_scam");
  assert.equal(FW.worst([]), null);
  assert.equal(FW.reasonText(a), "Looks like paypal.com");
  assert.equal(FW.reasonText(b), "Bad");
  assert.equal(FW.verdictPageUrl("http://s:1/", "http://x.example/"), "http://s:1/r/laHR0cDovL3guZXhhbXBsZS8");
});

test("only a verdict from a moderators' case names a case to appeal", () => {
  const listed = { reasons: [{ details: { matched: [{ list: "bundled:metamask", reference: null }] } }] };
  const confirmed = { reasons: [{ details: { matched: [{ list: "community", reference: "case:42" }] } }] };
  assert.equal(FW.caseIdOf(listed), null);
  assert.equal(FW.caseIdOf(confirmed), 42);
  assert.equal(FW.caseIdOf(null), null);
});

test("languages: UI setting to locale folder and server language", () => {
  assert.equal(FW.localeDir("zh-Hant", "en"), "zh_TW");
  assert.equal(FW.localeDir("zh-Hans", "en"), "zh_CN");
  assert.equal(FW.localeDir("", "zh-TW"), "zh_TW");
  assert.equal(FW.localeDir("", "fr"), "en");
  assert.equal(FW.serverLang("zh-Hant"), "zh-TW");
  assert.equal(FW.serverLang("zh_TW"), "zh-TW");
  assert.equal(FW.serverLang("zh-HK"), "zh-HK");
  assert.equal(FW.serverLang("zh-Hans-TW"), "zh");
  assert.equal(FW.serverLang("zh-CN"), "zh");
  assert.equal(FW.serverLang("en"), "en");
  assert.equal(FW.format("$1 links, $2 flagged", [3, 1]), "3 links, 1 flagged");
});

test("every locale has the same keys and every placeholder survives translation", () => {
  const load = (d) => JSON.parse(fs.readFileSync(path.join(root, "_locales", d, "messages.json"), "utf8"));
  const en = load("en");
  for (const d of ["zh_CN", "zh_TW"]) {
    const other = load(d);
    assert.deepEqual(Object.keys(other).sort(), Object.keys(en).sort());
    for (const key of Object.keys(en)) {
      const holes = (m) => (m.match(/\$\d/g) || []).sort().join();
      assert.equal(holes(other[key].message), holes(en[key].message), `${d}:${key}`);
    }
  }
});

test("a server address must be https unless the server is on this machine", () => {
  for (const ok of [
    "https://fakewatch.example",
    "https://fakewatch.example:8443",
    "http://127.0.0.1:8470",
    "http://localhost:8470",
    "http://[::1]:8470",
  ]) {
    assert.equal(FW.serverUrlProblem(ok), "", ok);
  }
  for (const insecure of ["http://fakewatch.example", "http://192.168.1.5:8470", "http://127.evil.example"]) {
    assert.equal(FW.serverUrlProblem(insecure), "errInsecureServer", insecure);
  }
  for (const broken of ["fakewatch.example", "ftp://x.example", "https://x.example/path", ""]) {
    assert.equal(FW.serverUrlProblem(broken), "errOffline", broken);
  }
});

test("an image body is read only up to the cap, chunked or declared", async () => {
  const MB = 1024 * 1024;
  let pulled = 0;
  const endless = new ReadableStream({
    pull(controller) {
      pulled += MB;
      controller.enqueue(new Uint8Array(MB));
    },
  });
  const chunked = await FW.readCapped(new Response(endless, { headers: { "Content-Type": "image/png" } }), 10 * MB);
  assert.equal(chunked.tooLarge, true);
  assert.ok(pulled <= 13 * MB, `pulled ${pulled} bytes`); // the stream stops near the cap
  let touched = false;
  const declared = new ReadableStream({ pull() { touched = true; } });
  const big = await FW.readCapped(new Response(declared, { headers: { "Content-Length": String(11 * MB) } }), 10 * MB);
  assert.deepEqual(big, { tooLarge: true, bytes: 0 });
  assert.equal(touched, false); // refused on the declared length, before any read
  const small = await FW.readCapped(new Response(new Uint8Array(5), { headers: { "Content-Type": "image/jpeg; q=1" } }), 10);
  assert.equal(small.bytes, 5);
  assert.equal(small.blob.size, 5);
  assert.equal(small.blob.type, "image/jpeg");
  const exact = await FW.readCapped(new Response(new Uint8Array(10)), 10);
  assert.equal(exact.blob.size, 10);
});

test("a scan groups links by registrable domain: only that leaves in enhanced mode", () => {
  const psl = FW.makeSuffixList(globalThis.FW_PSL_RULES);
  const grouped = FW.linksByDomain(
    [
      "https://login.paypal.com/reset?token=abc#x",
      "https://www.paypal.com/",
      "http://metamask-io.pages.dev/claim?ref=1",
      "mailto:someone@example.com",
      "not a url",
    ],
    (h) => psl.registrable(h),
  );
  assert.deepEqual([...grouped.keys()], ["paypal.com", "metamask-io.pages.dev"]);
  assert.deepEqual(grouped.get("paypal.com"), ["https://login.paypal.com/reset?token=abc#x", "https://www.paypal.com/"]);
});

test("an image bubble lists only the reasons its summary does not already quote", () => {
  const reason = "This picture is a copy of a known fake confirmed by this server's moderators: “Fake ad” (#1).";
  const result = {
    summary: `Likely a scam: ${reason} Do not enter passwords, codes or payment details.`,
    reasons: [{ message: reason }, { message: "The original of known fake #1 was labelled as made by AI." }],
  };
  assert.deepEqual(FW.reasonsBesides(result), [result.reasons[1].message]);
  assert.deepEqual(FW.reasonsBesides({ summary: "", reasons: [{ message: reason }] }), [reason]);
  assert.deepEqual(FW.reasonsBesides(null), []);
});

test("a no-known-signals verdict naming a weak sign has its own state, like the bot's headline", () => {
  const weak = {
    verdict: "no_known_signals",
    summary: "No strong warning signs, but note: The site name secure-login.net has some traits of the scam sites our model learned from. On its own that is not enough for a warning.",
    reasons: [
      {
        code: "domain_model.scam_like_weak",
        message: "The site name secure-login.net has some traits of the scam sites our model learned from.",
        role: "supporting",
        weight: 0.42,
      },
    ],
  };
  assert.equal(FW.hasWeakSigns(weak), true);
  assert.equal(FW.verdictState(weak), "no_known_signals_weak");
  assert.deepEqual(FW.reasonsBesides(weak), []); // the summary quotes it already
  // An allow reason, or one that weighs nothing, is no warning sign.
  const allowed = { verdict: "no_known_signals", reasons: [{ role: "allow", weight: 1, message: "On the allowlist." }] };
  assert.equal(FW.verdictState(allowed), "no_known_signals");
  assert.equal(FW.verdictState({ verdict: "no_known_signals", reasons: [{ role: "info", weight: 0 }] }), "no_known_signals");
  assert.equal(FW.verdictState({ verdict: "no_known_signals" }), "no_known_signals");
  // Only "no known signals" changes: a warning stays a warning.
  assert.equal(FW.verdictState({ ...weak, verdict: "suspicious" }), "suspicious");
  assert.equal(FW.verdictState(null), "unknown");
});
