// Unit tests for what a report sends and what "Send to my Telegram" says (lib/core.js).
// The browser tests (tests/test_extension_reports.py) run the same code against the server.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
new Function(fs.readFileSync(path.join(root, "lib/core.js"), "utf8"))();
const FW = globalThis.FW;
const LOCALES = ["en", "zh_CN", "zh_TW"].map((dir) =>
  JSON.parse(fs.readFileSync(path.join(root, "_locales", dir, "messages.json"), "utf8")),
);

const AD = {
  kind: "image",
  value: "https://cdn.ads.example/creative/elon.jpg?cb=1",
  page_url: "https://news.example/today/story",
  category: "celebrity",
  description: "Fake giveaway ad in the sidebar",
  share: true,
  keep: true,
};

test("a picture report is a picture case: neither the picture's address nor its page is the item", () => {
  const body = FW.reportBody(AD);
  assert.equal(body.kind, "media");
  assert.equal("value" in body, false);
  assert.equal("hashes" in body, false); // the server hashes the file it is sent
  assert.deepEqual(JSON.parse(JSON.stringify(body)), {
    kind: "media",
    category: "celebrity",
    consent: { share_with_authorities: true, keep_media: true },
    description: "Fake giveaway ad in the sidebar",
    seen_on: { platform: "web", url: "https://news.example/today/story" },
  });
  // Nothing of a picture report names the page as something reported.
  assert.equal(JSON.stringify(body).split("news.example").length - 1, 1);
  assert.equal(FW.reportBody({ ...AD, keep: false }).consent.keep_media, false);
});

test("a link or page report still names its address, and keeps no picture consent", () => {
  const body = FW.reportBody({ kind: "link", value: "https://scam.example/claim", page_url: "https://scam.example/claim" });
  assert.equal(body.kind, "link");
  assert.equal(body.value, "https://scam.example/claim");
  assert.deepEqual(JSON.parse(JSON.stringify(body.consent)), { share_with_authorities: false });
  assert.equal(body.category, "other");
  // A page that is not a web page (a file, an extension page) is no "seen on" address.
  assert.equal("seen_on" in FW.reportBody({ ...AD, page_url: "file:///home/me/a.html" }), false);
});

test("a picture's upload name is the last part of its path", () => {
  assert.equal(FW.fileNameOf("https://cdn.example/a/b/ad.jpg?x=1#y"), "ad.jpg");
  assert.equal(FW.fileNameOf("https://cdn.example/"), "image");
  assert.equal(FW.fileNameOf("https://cdn.example/" + "x".repeat(300)).length, 100);
});

test("every send from the menu says something: sent, or failed with a send title", () => {
  const link = { kind: "link", url: "https://paypal-secure-login.top/verify" };
  const page = { kind: "link", url: "https://news.example/today", page: true };
  const picture = { kind: "image", url: "https://news.example/ad.jpg" };
  const sent = { ok: true, judged: true };
  assert.deepEqual(FW.sendNotice(link, { sent }), {
    state: "sent",
    title: "sentTelegram",
    text: ["sentTelegramLink", ["https://paypal-secure-login.top/verify"]],
  });
  assert.deepEqual(FW.sendNotice(page, { sent }).text, ["sentTelegramPage", ["https://news.example/today"]]);
  assert.deepEqual(FW.sendNotice(picture, { sent }).text, ["sentTelegramPicture", []]);
  // Sent by its address alone: the chat reads "not judged", and so does the person.
  assert.deepEqual(FW.sendNotice(picture, { sent: { ok: true, judged: false } }).text, ["sentTelegramAddressOnly", []]);
  for (const target of [link, page, picture]) {
    for (const error of ["not_linked", "offline", "relay_token_invalid", "something_new"]) {
      const notice = FW.sendNotice(target, { error });
      assert.equal(notice.state, "error");
      assert.equal(notice.title, "sendFailed"); // never "Could not check" for a send
    }
  }
  assert.equal(FW.errorKey("not_linked"), "errNotLinked");
  assert.equal(FW.errorKey("something_new"), null);
});

test("every key the notices and errors can name exists in every language", () => {
  const keys = new Set(["sendFailed", "sentTelegram", "sentTelegramLink", "sentTelegramPage", "sentTelegramPicture", "sentTelegramAddressOnly"]);
  for (const code of ["offline", "image_unreadable", "image_too_large", "report_image_unreadable", "report_image_too_large", "unauthorized", "forbidden", "rate_limited", "route_not_found", "relay_token_invalid", "relay_code_invalid", "not_linked", "no_case"]) {
    keys.add(FW.errorKey(code));
  }
  for (const table of LOCALES) {
    for (const key of keys) assert.ok(table[key] && table[key].message, `${key} missing`);
  }
  // The link and page notices show the address they were sent ($1) in every language.
  for (const table of LOCALES) {
    assert.match(table.sentTelegramLink.message, /\$1/);
    assert.match(table.sentTelegramPage.message, /\$1/);
  }
});
