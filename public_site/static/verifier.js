/* The standalone verifier's form: an entry (a leaf line, or an entries file), an inclusion proof
   ({"index","size","hashes"}), a checkpoint (the signed note, with cosignatures), pasted or loaded
   from files, checked with CharityVerify.check (verify.js) against the log key the USER gives,
   never one that came with the data. Nothing is fetched: the page works from file://. */
(function () {
  "use strict";
  var V = window.CharityVerify;
  var form = document.getElementById("standalone-form");
  if (!form || !V) return;
  var msgs = document.getElementById("check-messages").dataset;
  var resultEl = document.getElementById("check-result");
  var listEl = document.getElementById("check-list");
  var witnessEl = document.getElementById("witness-result");
  var fpEl = document.getElementById("key-fingerprint");
  var KEY = "charity-ledger.verifier.logkey", WITNESSES = "charity-ledger.verifier.witnesses";

  function field(id) { return document.getElementById(id); }
  function remembered(name) { try { return localStorage.getItem(name); } catch (e) { return null; } }
  function remember(name, value) { try { localStorage.setItem(name, value); } catch (e) { /* storage off */ } }
  if (!field("vkey").value && remembered(KEY)) field("vkey").value = remembered(KEY);
  if (!field("witnesses").value && remembered(WITNESSES)) field("witnesses").value = remembered(WITNESSES);

  // a file chosen for a field replaces its text (read here, never uploaded)
  ["entry", "proof", "checkpoint"].forEach(function (name) {
    var input = field(name + "-file");
    input.addEventListener("change", function () {
      if (!input.files.length) return;
      var reader = new FileReader();
      reader.onload = function () { field(name).value = String(reader.result); };
      reader.readAsText(input.files[0]);
    });
  });

  var fill = V.fill;
  function item(it) {
    listEl.appendChild(V.checkItem(msgs, it));
  }
  function finish(state, message) {
    resultEl.className = "check-result " + state;
    resultEl.setAttribute("data-state", state);
    resultEl.textContent = message;
  }
  function showWitnesses(state, message, k, n) {
    witnessEl.className = "check-result state-" + state;
    witnessEl.setAttribute("data-state", state);
    witnessEl.setAttribute("data-k", String(k));
    witnessEl.setAttribute("data-n", String(n));
    witnessEl.textContent = message;
  }
  // the leaf to check: the pasted line, or the line of an entries file whose seq is the proof's index
  function pickLeaf(text, index) {
    var lines = text.split("\n").map(function (l) { return l.replace(/\r$/, ""); }).filter(function (l) { return l.trim().length; });
    if (lines.length === 1) return lines[0];
    for (var i = 0; i < lines.length; i++) {
      try { if (JSON.parse(lines[i]).seq === index) return lines[i]; } catch (e) { /* not this one */ }
    }
    throw new Error(msgs.noleaf);
  }
  function utf8b64(text) {
    var bytes = new TextEncoder().encode(text), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin);
  }

  async function run(event) {
    if (event) event.preventDefault();
    listEl.textContent = "";
    fpEl.textContent = "";
    resultEl.className = "check-result pending";
    resultEl.removeAttribute("data-state");
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) { finish("unavailable", msgs.insecure); return; }
    var d;
    var trusted = field("witnesses").value.split("\n").map(function (l) { return l.trim(); }).filter(function (l) { return l; });
    try {
      var vkey = field("vkey").value.trim();
      if (!vkey) throw new Error(msgs.needkey);
      fpEl.textContent = await V.fingerprint(vkey);
      var expected = field("fingerprint").value.trim().toLowerCase();
      var proof = JSON.parse(field("proof").value);
      var hashes = proof.hashes || proof.proof;
      if (!Array.isArray(hashes) || typeof proof.index !== "number" || typeof proof.size !== "number") throw new Error(msgs.badproof);
      var leafLine = pickLeaf(field("entry").value, proof.index);
      var note = field("checkpoint").value.replace(/\r\n/g, "\n");
      if (note.slice(-1) !== "\n") note += "\n";
      d = {
        leaf_b64: utf8b64(leafLine), index: proof.index, size: proof.size, proof: hashes, note: note, vkey: vkey,
        leaf_hash: field("entry-id").value.trim().toLowerCase() || null,
        signer_public_key: field("signer").value.trim() || null,
      };
      remember(KEY, vkey);
      remember(WITNESSES, field("witnesses").value);
      var result = await V.check(d, { trusted: trusted });
      result.items.forEach(item);
      var ok = result.ok;
      if (expected) {
        var same = expected === result.fp;
        item({ key: "receipt", state: same ? "ok" : "bad", detail: expected });
        ok = ok && same;
      }
      var w = result.witnesses;
      if (ok && w.k > 0) showWitnesses("witnessed", fill(msgs.witnessed, { k: w.k, n: w.n }), w.k, w.n);
      else showWitnesses("not-witnessed", fill(w.n ? msgs.notWitnessed : msgs.noTrusted, { k: ok ? w.k : 0, n: w.n }), ok ? w.k : 0, w.n);
      if (ok && result.leaf) {
        var data = result.leaf.body.data || {};
        field("leaf-summary").textContent = [result.leaf.body.type, data.amount !== undefined ? V.formatMoney(data.amount, data.currency) : "",
          data.project || "", "seq " + result.leaf.seq, result.leafHash].filter(function (x) { return x; }).join(" \u00b7 ");
      } else {
        field("leaf-summary").textContent = msgs.unverifiedValue;
      }
      finish(ok ? "pass" : "fail", ok ? msgs.pass : msgs.fail);
    } catch (e) {
      if (e && e.name === "NotSupportedError") { finish("unavailable", msgs.unsupported); return; }
      item({ key: "error", state: "bad", detail: String(e && e.message || e) });
      showWitnesses("not-witnessed", fill(trusted.length ? msgs.notWitnessed : msgs.noTrusted, { k: 0, n: trusted.length }), 0, trusted.length);
      field("leaf-summary").textContent = msgs.unverifiedValue;
      finish("fail", msgs.fail);
    }
  }
  form.addEventListener("submit", run);
})();
