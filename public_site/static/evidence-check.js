/* "Check this file against the ledger": the reader chooses a file, the browser hashes it with
   WebCrypto SHA-256 and compares the hash with the one the entry names. Nothing is uploaded.
   The messages come from #evidence-messages, written by the server in the page's language. */
(function () {
  "use strict";
  var messages = document.getElementById("evidence-messages");
  var inputs = document.querySelectorAll(".evidence-check input[type=file][data-sha256]");
  if (!messages || !inputs.length) return;
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
