/* In-browser verification of a log entry with WebCrypto (no library, nothing fetched):
   1. leaf hash = SHA-256(0x00 || leaf bytes) equals the entry id, and the leaf's seq is the
      proof index (an entry's seq in its own log: each log of the chain has its own tree);
   2. the signer key id is SHA-256 of its public key, and its Ed25519 signature over
      "charity-ledger/entry/v1\n" || JCS(body) verifies (the body bytes are cut from the leaf);
   3. the RFC 9162 inclusion proof folds the leaf hash up to the checkpoint's root;
   4. the checkpoint names the log the entry was signed for (body.log) and the tree size, and
      that log's Ed25519 note signature (C2SP signed note, key from the vkey) verifies;
   5. cosignatures (C2SP tlog-cosignature v1) by the witnesses this site lists verify.
   The result is shown on the page; #check-result gets data-state="pass|fail|unavailable". */
(function () {
  "use strict";
  var enc = new TextEncoder();

  // receipt code from the address fragment (#code=...): never sent to the server by the browser
  var form = document.getElementById("verify-form");
  if (form && location.hash.indexOf("#code=") === 0) {
    var input = document.getElementById("code");
    if (input && !input.value) input.value = decodeURIComponent(location.hash.slice(6));
  }

  var dataEl = document.getElementById("proof-data");
  if (!dataEl) return;
  var msgs = document.getElementById("check-messages").dataset;
  var resultEl = document.getElementById("check-result");
  var listEl = document.getElementById("check-list");
  var againEl = document.getElementById("check-again");

  function b64(text) {
    var bin = atob(text), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function unhex(text) {
    if (!/^([0-9a-f]{2})*$/.test(text)) throw new Error("not hex");
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }
  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function concat() {
    var len = 0, i;
    for (i = 0; i < arguments.length; i++) len += arguments[i].length;
    var out = new Uint8Array(len), at = 0;
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], at); at += arguments[i].length; }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    var d = 0;
    for (var i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }
  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }
  function ed25519(publicKey, signature, message) {
    if (ed25519StrictPrecheck(publicKey, signature) !== null) return Promise.resolve(false); // ed25519_strict.js
    return crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]).then(function (key) {
      return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    });
  }

  // RFC 9162 section 2.1.3.2
  async function rootFromInclusion(leafHash, index, size, proof) {
    if (!(index >= 0 && index < size)) throw new Error("index outside the tree");
    var fn = index, sn = size - 1, r = leafHash;
    for (var i = 0; i < proof.length; i++) {
      var p = proof[i];
      if (p.length !== 32) throw new Error("proof hash is not 32 bytes");
      if (sn === 0) throw new Error("proof too long");
      if ((fn % 2 === 1) || fn === sn) {
        r = await sha256(concat(new Uint8Array([1]), p, r));
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await sha256(concat(new Uint8Array([1]), r, p));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("proof too short");
    return r;
  }

  function parseVkey(text) {
    // name+<8 hex key hash>+base64(type || key): the name has no '+', the base64 may
    var m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(text.trim());
    if (!m) throw new Error("bad verifier key");
    var raw = b64(m[3]);
    return { name: m[1], keyHash: m[2], type: raw[0], pub: raw.slice(1), raw: raw };
  }
  async function keyHashOk(v) {
    var h = await sha256(concat(enc.encode(v.name), new Uint8Array([10]), v.raw));
    return hex(h.slice(0, 4)) === v.keyHash;
  }
  function parseNote(note) {
    var cut = note.lastIndexOf("\n\n");
    if (cut < 0) throw new Error("not a signed note");
    var text = note.slice(0, cut + 1);
    var sigs = note.slice(cut + 2).split("\n").filter(function (l) { return l.length; }).map(function (line) {
      if (line.indexOf("\u2014 ") !== 0) throw new Error("bad signature line");
      var rest = line.slice(2), sp = rest.indexOf(" ");
      var raw = b64(rest.slice(sp + 1));
      return { name: rest.slice(0, sp), keyHash: hex(raw.slice(0, 4)), sig: raw.slice(4) };
    });
    return { text: text, sigs: sigs };
  }

  function item(label, state, detail) {
    var li = document.createElement("li");
    li.className = state;
    li.textContent = label + " — ";
    var res = document.createElement("span");
    res.className = "res";
    res.textContent = state === "ok" ? msgs.ok : state === "bad" ? msgs.bad : msgs.skip;
    li.appendChild(res);
    if (detail) {
      var small = document.createElement("span");
      small.className = "small";
      small.textContent = " (" + detail + ")";
      li.appendChild(small);
    }
    listEl.appendChild(li);
    return state !== "bad";
  }

  function finish(state, message) {
    resultEl.className = "check-result " + state;
    resultEl.setAttribute("data-state", state);
    resultEl.textContent = message;
    againEl.hidden = state === "unavailable";
  }

  async function run() {
    listEl.textContent = "";
    resultEl.className = "check-result pending";
    resultEl.removeAttribute("data-state");
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      finish("unavailable", msgs.insecure);
      return;
    }
    var d = JSON.parse(dataEl.textContent);
    var ok = true;
    try {
      // 1. the leaf hash
      var leaf = b64(d.leaf_b64);
      var lh = await sha256(concat(new Uint8Array([0]), leaf));
      var leafOk = hex(lh) === d.leaf_hash;
      var parsed = JSON.parse(new TextDecoder().decode(leaf));
      leafOk = leafOk && parsed.seq === d.index;
      ok = item(msgs.leaf, leafOk ? "ok" : "bad", hex(lh).slice(0, 16) + "…") && ok;

      // 2. the signer's signature on the body (cut from the leaf: {"body":<JCS body>,"prev":...)
      if (d.signer_public_key) {
        var pub = b64(d.signer_public_key);
        var kid = hex(await sha256(pub));
        ok = item(msgs.keyid, kid === d.signer && parsed.body.signer === d.signer ? "ok" : "bad") && ok;
        var text = new TextDecoder().decode(leaf);
        var start = '{"body":'.length, end = text.lastIndexOf(',"prev":"');
        var body = enc.encode(text.slice(start, end));
        var sigOk = await ed25519(pub, b64(parsed.sig), concat(enc.encode("charity-ledger/entry/v1\n"), body));
        ok = item(msgs.sig, sigOk ? "ok" : "bad") && ok;
      } else {
        item(msgs.sig, "skip");
      }

      // 3. the inclusion proof
      var note = parseNote(d.note);
      var lines = note.text.split("\n");
      var root;
      try {
        root = await rootFromInclusion(lh, d.index, d.size, d.proof.map(unhex));
      } catch (e) {
        root = null;
      }
      var cpRoot = b64(lines[2]);
      ok = item(msgs.inclusion, root && equal(root, cpRoot) ? "ok" : "bad", root ? hex(root).slice(0, 16) + "…" : "") && ok;

      // 4. the checkpoint and the log's signature
      var vkey = parseVkey(d.vkey);
      var sameLog = lines[0] === vkey.name && lines[0] === parsed.body.log;
      ok = item(msgs.checkpoint, sameLog && lines[1] === String(d.size) ? "ok" : "bad", lines[0] + " · " + lines[1]) && ok;
      var logSig = note.sigs.filter(function (s) { return s.name === vkey.name && s.keyHash === vkey.keyHash; })[0];
      var logOk = vkey.type === 1 && (await keyHashOk(vkey)) && !!logSig && logSig.sig.length === 64 &&
        (await ed25519(vkey.pub, logSig.sig, enc.encode(note.text)));
      ok = item(msgs.logsig, logOk ? "ok" : "bad") && ok;

      // 5. witness cosignatures
      var anyWitness = false;
      for (var i = 0; i < d.witnesses.length; i++) {
        var w = parseVkey(d.witnesses[i]);
        var cs = note.sigs.filter(function (s) { return s.name === w.name && s.keyHash === w.keyHash; })[0];
        if (!cs) continue;
        anyWitness = true;
        var wOk = false;
        if (w.type === 4 && cs.sig.length === 72 && (await keyHashOk(w))) {
          var ts = 0;
          for (var k = 0; k < 8; k++) ts = ts * 256 + cs.sig[k];
          var msg = concat(enc.encode("cosignature/v1\ntime " + ts + "\n"), enc.encode(note.text));
          wOk = await ed25519(w.pub, cs.sig.slice(8), msg);
        }
        ok = item(msgs.witness.replace("{name}", w.name), wOk ? "ok" : "bad") && ok;
      }
      if (!anyWitness) item(msgs.nowitness, "skip");
    } catch (e) {
      if (e && e.name === "NotSupportedError") {
        finish("unavailable", msgs.unsupported);
        return;
      }
      item(String(e && e.message || e), "bad");
      ok = false;
    }
    finish(ok ? "pass" : "fail", ok ? msgs.pass : msgs.fail);
  }

  againEl.addEventListener("click", run);
  run();
})();
