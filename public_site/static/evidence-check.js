/* "Check this file against the ledger": the reader chooses a file, the browser hashes it with
   WebCrypto SHA-256 and compares the hash with the one the entry names. Nothing is uploaded.
   The messages come from #evidence-messages, written by the server in the page's language. */
(function () {
  "use strict";
  var messages = document.getElementById("evidence-messages");
  var inputs = document.querySelectorAll(".evidence-check input[type=file][data-sha256]");
  if (!messages) return;
  var subtle = window.crypto && window.crypto.subtle;

  function hex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  function show(input, text, state) {
    var output = input.closest(".evidence").querySelector(".evidence-result");
    output.textContent = text;
    output.className = "evidence-result small" + (state ? " evidence-" + state : "");
  }

  // The hashes the signed entry names, read from its leaf bytes (the entry page carries them in
  // #proof-data; static/verify.js checks those bytes against the log). Elsewhere: null.
  function signedHashes() {
    var node = document.getElementById("proof-data");
    if (!node) return null;
    try {
      var proof = JSON.parse(node.textContent);
      var bytes = Uint8Array.from(atob(proof.leaf_b64), function (c) { return c.charCodeAt(0); });
      var leaf = JSON.parse(new TextDecoder().decode(bytes));
      var named = leaf && leaf.body && leaf.body.data && leaf.body.data.evidence;
      return Array.isArray(named) ? named : [];
    } catch (e) {
      return [];
    }
  }
  var signed = signedHashes();
  var results = {};  // sha -> "match" | "mismatch" | "failed"

  function autoCheck(output) {
    var sha = output.dataset.autoCheck;
    if (!subtle) return;
    fetch("/evidence/" + sha, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.arrayBuffer();
    }).then(function (data) {
      return subtle.digest("SHA-256", data);
    }).then(function (digest) {
      var ok = hex(digest) === sha && (signed === null || signed.indexOf(sha) >= 0);
      results[sha] = ok ? "match" : "mismatch";
      output.textContent = ok ? (signed === null ? messages.dataset.autoMatch : messages.dataset.autoSigned) : messages.dataset.autoMismatch;
      output.className = "evidence-auto small evidence-" + results[sha];
    }).catch(function () {
      results[sha] = "failed";
      output.textContent = messages.dataset.autoFailed;
      output.className = "evidence-auto small evidence-unavailable";
    });
  }

  // each file is read when its item comes near the screen (a page of payments can name many)
  var autos = document.querySelectorAll("output[data-auto-check]");
  if ("IntersectionObserver" in window) {
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) return;
        seen.unobserve(e.target);
        autoCheck(e.target.querySelector("output[data-auto-check]"));
      });
    }, { rootMargin: "300px" });
    Array.prototype.forEach.call(autos, function (o) { seen.observe(o.closest(".evidence")); });
  } else {
    Array.prototype.forEach.call(autos, autoCheck);
  }

  // the viewer: a photo opens large in a dialog, with its hash and the check's result
  var viewer = document.getElementById("evidence-viewer");
  if (viewer && typeof viewer.showModal === "function") {
    Array.prototype.forEach.call(document.querySelectorAll("a[data-viewer=image]"), function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        var item = a.closest(".evidence");
        var sha = item.dataset.evidence;
        document.getElementById("evidence-viewer-img").src = a.getAttribute("href");
        document.getElementById("evidence-viewer-img").alt = a.querySelector("img").alt;
        document.getElementById("evidence-viewer-hash").textContent = sha;
        var auto = item.querySelector("output[data-auto-check]");
        document.getElementById("evidence-viewer-check").textContent = auto ? auto.textContent : "";
        viewer.showModal();
      });
    });
  }

  Array.prototype.forEach.call(inputs, function (input) {
    input.closest(".evidence-check").hidden = false;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      if (!subtle) {
        show(input, messages.dataset.noCrypto, "unavailable");
        return;
      }
      show(input, messages.dataset.reading, "");
      file.arrayBuffer().then(function (data) {
        return subtle.digest("SHA-256", data);
      }).then(function (digest) {
        var got = hex(digest);
        if (got === input.dataset.sha256) {
          show(input, messages.dataset.match, "match");
        } else {
          show(input, messages.dataset.mismatch.replace("%(hash)s", got), "mismatch");
        }
      }).catch(function () {
        show(input, messages.dataset.noCrypto, "unavailable");
      });
    });
  });
})();
