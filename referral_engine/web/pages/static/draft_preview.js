// The live preview of a draft under review: the text as it will be sent, its length and,
// for a text message, its SMS segments — the same count the server makes
// (referral_engine/asks/drafts.py sms_segments, asks/checks.py) — and any template text
// left in it. Without JavaScript the server renders the same preview when the page loads.
"use strict";
(function () {
  var GSM7_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXTENDED = "\f^{}\\[~]|€";
  var LEFTOVER = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{\s*[A-Za-z_][A-Za-z0-9_.]*\s*\}/g;
  var SMS_MAX_SEGMENTS = 2;
  var EMAIL_BODY_MAX = 5000;

  function isGsm7(chars) {
    return chars.every(function (c) {
      return GSM7_BASIC.indexOf(c) >= 0 || GSM7_EXTENDED.indexOf(c) >= 0;
    });
  }

  function segments(text) {
    var chars = Array.from(text);
    if (chars.length === 0) { return { count: 0, encoding: "GSM-7" }; }
    var gsm = isGsm7(chars);
    var sizes = chars.map(function (c) {
      if (gsm) { return GSM7_EXTENDED.indexOf(c) >= 0 ? 2 : 1; }
      return c.codePointAt(0) > 0xFFFF ? 2 : 1;
    });
    var single = gsm ? 160 : 70;
    var part = gsm ? 153 : 67;
    var total = sizes.reduce(function (a, b) { return a + b; }, 0);
    if (total <= single) { return { count: 1, encoding: gsm ? "GSM-7" : "UCS-2" }; }
    var count = 1;
    var used = 0;
    sizes.forEach(function (size) {
      if (used + size > part) { count += 1; used = 0; }
      used += size;
    });
    return { count: count, encoding: gsm ? "GSM-7" : "UCS-2" };
  }

  function update(box, preview) {
    var text = box.value.replace(/\r\n/g, "\n").trim();
    var email = box.dataset.channel === "email";
    var count = preview.querySelector(".preview-count");
    var shown = preview.querySelector(".preview-text");
    var words = Array.from(text).length.toLocaleString("en-US") + " characters";
    if (email) {
      words += " · at most " + EMAIL_BODY_MAX.toLocaleString("en-US") + " characters";
    } else {
      var sms = segments(text);
      words += " · " + sms.count + " SMS segment" + (sms.count === 1 ? "" : "s") +
        " (" + sms.encoding + ") · at most " + SMS_MAX_SEGMENTS + " SMS segments";
    }
    var left = text.match(LEFTOVER);
    if (left) { words += " · template text left in: " + left.join(", "); }
    if (!text) { words += " · the message is empty"; }
    count.textContent = words;
    shown.textContent = text;
  }

  document.querySelectorAll("textarea[data-preview]").forEach(function (box) {
    var preview = document.getElementById(box.dataset.preview);
    if (!preview || box.dataset.previewing) { return; }
    box.dataset.previewing = "yes";
    box.addEventListener("input", function () { update(box, preview); });
    update(box, preview);
  });
})();
