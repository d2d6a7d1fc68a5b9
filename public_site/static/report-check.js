/* "Check in my browser" on /reports: the browser reads the SHA-256 of a report's file from the
   report.issued entry's own leaf bytes (embedded in the row, base64), checks that those bytes hash
   to the entry id (RFC 6962 leaf hash: SHA-256 of 0x00 then the leaf), downloads the file from the
   API and compares its SHA-256 (WebCrypto) with the recorded one. A matching copy can be saved
   from memory, so what is saved is what was checked. Messages come from #report-messages. */
(function () {
  "use strict";
  var messages = document.getElementById("report-messages");
  var buttons = document.querySelectorAll("#reports button.report-check");
  if (!messages || !buttons.length) return;
  var subtle = window.crypto && window.crypto.subtle;

  function hex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  function fromBase64(text) {
    var raw = atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function show(button, text, state) {
    var output = button.parentNode.querySelector(".report-result");
    output.textContent = text;
    output.className = "report-result small" + (state ? " evidence-" + state : "");
    output.dataset.state = state || "";
  }

  // the recorded SHA-256 of `name`, read from the entry's leaf after checking its leaf hash
  function recorded(row, name) {
    var leaf = fromBase64(row.dataset.leaf);
    var prefixed = new Uint8Array(leaf.length + 1);
    prefixed.set(leaf, 1);
    return subtle.digest("SHA-256", prefixed).then(function (digest) {
      if (hex(digest) !== row.dataset.report) throw new Error("bad-entry");
      var body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(leaf)).body;
      var files = (body && body.type === "report.issued" && body.data && body.data.files) || [];
      for (var i = 0; i < files.length; i++) if (files[i].name === name) return files[i].sha256;
      throw new Error("not-listed");
    });
  }

  function check(button) {
    var row = button.closest("tr");
    var link = button.parentNode.querySelector("a[data-name]");
    var name = button.dataset.name;
    if (!subtle || !window.TextDecoder) {
      show(button, messages.dataset.noCrypto, "unavailable");
      return;
    }
    show(button, messages.dataset.reading, "");
    var old = button.parentNode.querySelector("a.report-save");
    if (old) old.remove();
    var expected;
    recorded(row, name).then(function (sha256) {
      expected = sha256;
      return fetch(link.getAttribute("href"), { credentials: "same-origin", cache: "no-store" });
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.arrayBuffer();
    }).then(function (data) {
      return subtle.digest("SHA-256", data).then(function (digest) {
        var got = hex(digest);
        if (got !== expected) {
          show(button, messages.dataset.mismatch.replace("%(hash)s", got), "mismatch");
          return;
        }
        show(button, messages.dataset.match, "match");
        var save = document.createElement("a");
        save.className = "report-save";
        save.href = URL.createObjectURL(new Blob([data], { type: "application/octet-stream" }));
        save.download = name;
        save.textContent = messages.dataset.save;
        button.parentNode.appendChild(document.createTextNode(" "));
        button.parentNode.appendChild(save);
      });
    }).catch(function (err) {
      var why = String(err && err.message);
      if (why === "bad-entry") show(button, messages.dataset.badEntry, "mismatch");
      else if (why === "not-listed") show(button, messages.dataset.notListed, "mismatch");
      else if (why.indexOf("status ") === 0) show(button, messages.dataset.failed.replace("%(status)s", why.slice(7)), "mismatch");
      else show(button, messages.dataset.noCrypto, "unavailable");
    });
  }

  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { check(button); });
  });
})();
