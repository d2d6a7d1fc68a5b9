/* Verification of a log entry with WebCrypto (no library, nothing fetched).

   CharityVerify.check(d, options) checks, from the data d alone:
   1. leaf hash = SHA-256(0x00 || leaf bytes) (equal to the entry id when one is given), and the
      leaf's seq is the proof index (an entry's seq in its own log: each log has its own tree);
   2. when a signer public key is given: its key id is SHA-256 of the key and the body's signer,
      and its Ed25519 signature over "charity-ledger/entry/v1\n" || JCS(body) verifies (the
      body bytes are cut from the leaf);
   3. the RFC 9162 inclusion proof folds the leaf hash up to the checkpoint's root;
   4. the checkpoint names the log the entry was signed for (body.log) and the tree size, and
      the log's Ed25519 note signature (C2SP signed note, key from the vkey) verifies;
   5. cosignatures (C2SP tlog-cosignature v1) by the witnesses the USER trusts (options.trusted,
      a list of witness vkeys): k of n.
   Only the leaf bytes that pass these checks are used for the figures a page shows.

   The page part (when the page has #proof-data) adds what a page served by the log's operator
   needs to be honest: the log key is pinned in this browser on first use (localStorage) and
   compared with the fingerprint a receipt carries in the address fragment (#logkey=<hex>); the
   trusted witnesses are the user's list (localStorage; the site's list is only the default);
   the figures are rendered from the verified leaf and compared with the site's own. */
(function (root) {
  "use strict";
  var enc = new TextEncoder();
  var PIN_KEY = "charity-ledger.logkeys";          // JSON [{"fp": hex, "origin": str, "since": iso}]
  var WITNESS_KEY = "charity-ledger.witnesses";    // JSON [witness vkey, ...]

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
  // The one place an Ed25519 signature is verified (entry, checkpoint and cosignatures alike).
  async function ed25519(publicKey, signature, message) {
    // libsodium's rules first (ed25519_strict.js, loaded before this file): without them, refuse
    if (typeof root.ed25519StrictPrecheck !== "function" || root.ed25519StrictPrecheck(publicKey, signature) !== null) {
      return false;
    }
    var key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
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

  // --- inclusion proofs from C2SP tlog-tiles (the same files Go's golang.org/x/mod/sumdb/tlog reads)
  var TILE_H = 8, TILE_W = 256;
  function tileIndexPath(n) {   // 1234067 -> x001/x234/067
    var s = String(n), parts = [];
    while (s.length % 3) s = "0" + s;
    for (var i = 0; i < s.length; i += 3) parts.push(s.slice(i, i + 3));
    return parts.map(function (p, i) { return i < parts.length - 1 ? "x" + p : p; }).join("/");
  }
  function log2(n) { var k = 0; while ((1 << k) < n) k++; return k; }
  /* A reader of one log's hash tiles at one tree size: prefix is where the log's tiles live
     (".../tlog/" or ".../tlog/shards/<i>/"), fetch a function(url) -> Promise<Uint8Array>. */
  function tileReader(prefix, size, fetchBytes) {
    var tiles = {};
    function tile(level, n) {      // the hashes of tile level L, index n, as wide as the tree makes it
      var count = Math.floor(size / Math.pow(TILE_W, level));
      var width = Math.min(TILE_W, count - n * TILE_W);
      if (width <= 0) return Promise.reject(new Error("tile outside the tree"));
      var path = prefix + "tile/" + level + "/" + tileIndexPath(n) + (width < TILE_W ? ".p/" + width : "");
      if (!tiles[path]) {
        tiles[path] = fetchBytes(path).then(function (bytes) {
          if (bytes.length !== width * 32) throw new Error("tile " + path + " is not " + width + " hashes");
          return bytes;
        });
      }
      return tiles[path];
    }
    // the hash of the complete subtree at tree level `height`, index `idx` (RFC 9162 MTH)
    async function node(height, idx) {
      var L = Math.floor(height / TILE_H), r = height % TILE_H;
      var first = idx * Math.pow(2, r), n = Math.floor(first / TILE_W);
      var t = await tile(L, n);
      var level = [];
      for (var i = 0; i < Math.pow(2, r); i++) {
        var at = (first - n * TILE_W + i) * 32;
        level.push(t.slice(at, at + 32));
      }
      while (level.length > 1) {
        var up = [];
        for (var j = 0; j < level.length; j += 2) up.push(await sha256(concat(new Uint8Array([1]), level[j], level[j + 1])));
        level = up;
      }
      return level[0];
    }
    // MTH(D[start:end]) of any range the RFC 9162 recursion makes
    async function range(start, end) {
      var len = end - start;
      if ((len & (len - 1)) === 0 && start % len === 0) return node(log2(len), start / len);
      var k = 1;
      while (k * 2 < len) k *= 2;
      return sha256(concat(new Uint8Array([1]), await range(start, start + k), await range(start + k, end)));
    }
    // PATH(m, D[start:end]) of RFC 9162 section 2.1.3.1, leaf end first
    async function path(m, start, end) {
      var len = end - start;
      if (len <= 1) return [];
      var k = 1;
      while (k * 2 < len) k *= 2;
      if (m < k) return (await path(m, start, start + k)).concat([await range(start + k, end)]);
      return (await path(m - k, start + k, end)).concat([await range(start, start + k)]);
    }
    return {
      inclusionProof: function (index) {
        if (!(index >= 0 && index < size)) return Promise.reject(new Error("index outside the tree"));
        return path(index, 0, size);
      },
    };
  }
  function fetchBytes(url) {
    return fetch(url, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.arrayBuffer();
    }).then(function (b) { return new Uint8Array(b); });
  }
  function fetchText(url) {
    return fetch(url, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.text();
    });
  }
  /* The latest checkpoint of the log whose tiles are at `prefix` and the inclusion proof of
     leaf `index` against it, both read from the tiles: {note, size, proof: [Uint8Array]}. The
     checkpoint is checked afterwards like any other (its signature, the root the proof folds to):
     a cache that serves an older checkpoint gives an older, still signed, proof. */
  async function proofFromTiles(prefix, index, options) {
    var getText = (options && options.fetchText) || fetchText;
    var getBytes = (options && options.fetchBytes) || fetchBytes;
    var note = await getText(prefix + "checkpoint");
    var size = parseInt(parseNote(note).text.split("\n")[1], 10);
    if (!(size > index)) throw new Error("the checkpoint (" + size + " entries) is older than this entry: check again in a moment");
    var proof = await tileReader(prefix, size, getBytes).inclusionProof(index);
    return { note: note, size: size, proof: proof };
  }

  function parseVkey(text) {
    // name+<8 hex key hash>+base64(type || key): the name has no '+', the base64 may
    var m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(String(text).trim());
    if (!m) throw new Error("bad verifier key");
    var raw = b64(m[3]);
    return { name: m[1], keyHash: m[2], type: raw[0], pub: raw.slice(1), raw: raw, text: String(text).trim() };
  }
  async function keyHashOk(v) {
    var h = await sha256(concat(enc.encode(v.name), new Uint8Array([10]), v.raw));
    return hex(h.slice(0, 4)) === v.keyHash;
  }
  // The fingerprint of a log key: lowercase hex SHA-256 of its raw 32-byte Ed25519 public key
  // (the key id of docs/protocol.md), what receipts print and carry as #logkey=.
  async function fingerprint(vkeyText) {
    return hex(await sha256(parseVkey(vkeyText).pub));
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

  /* d: {leaf_b64, index, size, proof: [hex], note, vkey, leaf_hash?, signer?, signer_public_key?}
     or, instead of size, proof and note, tiles: the URL prefix of the log's C2SP tiles (the
     latest checkpoint and the proof are then read from there; options.fetchText/fetchBytes
     may replace fetch).
     options.trusted: witness vkeys the user trusts. Returns {ok, items, leaf, leafHash, fp,
     origin, witnesses: {k, n, bad, untrusted}}; items are {key, state: ok|bad|skipped, detail,
     name}. A NotSupportedError (no Ed25519 in WebCrypto) is thrown to the caller. */
  async function check(d, options) {
    var items = [], ok = true, out = { items: items, leaf: null, leafHash: null, fp: null, origin: null };
    function add(key, state, detail, name) {
      items.push({ key: key, state: state, detail: detail || "", name: name || "" });
      if (state === "bad") ok = false;
    }
    var trusted = (options && options.trusted) || [];
    try {
      // 0. no proof given: the latest checkpoint and the proof come from the log's tiles
      var tileError = "";
      if (!d.proof && d.tiles) {
        var cpNote = await ((options && options.fetchText) || fetchText)(d.tiles + "checkpoint");
        var cpSize = parseInt(parseNote(cpNote).text.split("\n")[1], 10);
        var tileProof = null;
        try {
          tileProof = (await tileReader(d.tiles, cpSize, (options && options.fetchBytes) || fetchBytes).inclusionProof(d.index)).map(hex);
        } catch (e) {
          tileError = String((e && e.message) || e);   // reported as the inclusion check's failure
        }
        d = Object.assign({}, d, { note: cpNote, size: cpSize, proof: tileProof });
        out.fromTiles = { size: cpSize, note: cpNote };
      }
      // 1. the leaf hash
      var leaf = b64(d.leaf_b64);
      var lh = await sha256(concat(new Uint8Array([0]), leaf));
      var text = new TextDecoder("utf-8", { fatal: true }).decode(leaf);
      var parsed = JSON.parse(text);
      var leafOk = parsed.seq === d.index && (!d.leaf_hash || hex(lh) === d.leaf_hash);
      add("leaf", leafOk ? "ok" : "bad", hex(lh));
      out.leafHash = hex(lh);

      // 2. the signer's signature on the body (cut from the leaf: {"body":<JCS body>,"prev":...)
      if (d.signer_public_key) {
        var pub = b64(d.signer_public_key);
        var kid = hex(await sha256(pub));
        add("keyid", kid === parsed.body.signer && (!d.signer || kid === d.signer) ? "ok" : "bad");
        var start = '{"body":'.length, end = text.lastIndexOf(',"prev":"');
        var body = enc.encode(text.slice(start, end));
        var sigOk = text.indexOf('{"body":') === 0 && end > start &&
          (await ed25519(pub, b64(parsed.sig), concat(enc.encode("charity-ledger/entry/v1\n"), body)));
        add("sig", sigOk ? "ok" : "bad");
      } else {
        add("sig", "skipped");
      }

      // 3. the inclusion proof
      var note = parseNote(d.note);
      var lines = note.text.split("\n");
      var root = null;
      try {
        root = d.proof ? await rootFromInclusion(lh, d.index, d.size, d.proof.map(unhex)) : null;
      } catch (e) {
        root = null;
      }
      var cpRoot = b64(lines[2] || "");
      add("inclusion", root && equal(root, cpRoot) ? "ok" : "bad", root ? hex(root) : tileError);

      // 4. the checkpoint and the log's signature
      var vkey = parseVkey(d.vkey);
      out.fp = hex(await sha256(vkey.pub));
      out.origin = vkey.name;
      var sameLog = lines[0] === vkey.name && lines[0] === parsed.body.log;
      add("checkpoint", sameLog && lines[1] === String(d.size) ? "ok" : "bad", lines[0] + " \u00b7 " + lines[1]);
      var logSig = note.sigs.filter(function (s) { return s.name === vkey.name && s.keyHash === vkey.keyHash; })[0];
      var logOk = vkey.type === 1 && vkey.pub.length === 32 && (await keyHashOk(vkey)) && !!logSig && logSig.sig.length === 64 &&
        (await ed25519(vkey.pub, logSig.sig, enc.encode(note.text)));
      add("logsig", logOk ? "ok" : "bad");

      // 5. cosignatures by the witnesses the user trusts, k of n
      var k = 0, n = 0, seen = {};
      for (var i = 0; i < trusted.length; i++) {
        var w;
        try { w = parseVkey(trusted[i]); } catch (e) { continue; }
        if (w.type !== 4 || w.pub.length !== 32 || seen[w.name + "+" + w.keyHash]) continue;
        seen[w.name + "+" + w.keyHash] = true;
        n++;
        var cs = note.sigs.filter(function (s) { return s.name === w.name && s.keyHash === w.keyHash; })[0];
        if (!cs) { add("witness", "skipped", "", w.name); continue; }
        var wOk = false;
        if (cs.sig.length === 72 && (await keyHashOk(w))) {
          var ts = 0;
          for (var j = 0; j < 8; j++) ts = ts * 256 + cs.sig[j];
          var msg = concat(enc.encode("cosignature/v1\ntime " + ts + "\n"), enc.encode(note.text));
          wOk = await ed25519(w.pub, cs.sig.slice(8), msg);
        }
        if (wOk) k++;
        add("witness", wOk ? "ok" : "bad", "", w.name);
      }
      var untrusted = note.sigs.filter(function (s) {
        return !(s.name === vkey.name && s.keyHash === vkey.keyHash) && !seen[s.name + "+" + s.keyHash];
      }).map(function (s) { return s.name; });
      out.witnesses = { k: k, n: n, untrusted: untrusted };
      out.leaf = parsed;
    } catch (e) {
      if (e && e.name === "NotSupportedError") throw e;
      add("error", "bad", String(e && e.message || e));
      out.witnesses = out.witnesses || { k: 0, n: 0, untrusted: [] };
    }
    out.ok = ok;
    return out;
  }

  // "1234.50" -> "1,234.50" (string digits only: amounts never go through a float)
  function groupDigits(amount) {
    var m = /^(-?)(\d+)(\.\d+)?$/.exec(String(amount));
    if (!m) return String(amount);
    return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (m[3] || "");
  }
  function formatMoney(amount, currency) {
    return (currency === "CNY" ? "\u00a5" : (currency || "") + "\u00a0") + groupDigits(amount);
  }
  function minorUnits(amount) {
    var m = /^(\d+)(?:\.(\d+))?$/.exec(String(amount));
    return m ? (m[1] + (m[2] || "")).replace(/^0+(?=\d)/, "") : null;   // the minor units, as a decimal string
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
  }
  // One line of the check list: what was checked, its result and any detail (the page's own
  // wording from msgs, the data-* messages of #check-messages).
  function checkItem(msgs, it) {
    var li = document.createElement("li");
    li.className = it.state;
    li.setAttribute("data-check", it.key);
    var label = it.key === "witness" ? fill(msgs.witness, { name: it.name }) : it.key === "error" ? it.detail : msgs[it.key];
    li.textContent = label + " \u2014 ";
    var res = document.createElement("span");
    res.className = "res";
    res.textContent = it.state === "ok" ? msgs.ok : it.state === "bad" ? msgs.bad : it.key === "witness" ? msgs.missing : msgs.notchecked;
    li.appendChild(res);
    if (it.detail && it.key !== "error") {
      var small = document.createElement("span");
      small.className = "small wrap-any";
      small.textContent = " (" + it.detail + ")";
      li.appendChild(small);
    }
    return li;
  }

  root.CharityVerify = {
    check: check, proofFromTiles: proofFromTiles, tileIndexPath: tileIndexPath, fingerprint: fingerprint, parseVkey: parseVkey, ed25519: ed25519, formatMoney: formatMoney,
    minorUnits: minorUnits, hex: hex, b64: b64, sha256: sha256, fill: fill, checkItem: checkItem,
  };

  // --- the page ---------------------------------------------------------------------------------
  if (typeof document === "undefined") return;

  function fragment() {
    var out = {};
    (location.hash || "").replace(/^#/, "").split("&").forEach(function (part) {
      var eq = part.indexOf("=");
      if (eq > 0) {
        try { out[part.slice(0, eq)] = decodeURIComponent(part.slice(eq + 1)); } catch (e) { /* ignore */ }
      }
    });
    return out;
  }
  var frag = fragment();
  var fragFp = /^[0-9a-f]{64}$/.test((frag.logkey || "").toLowerCase()) ? frag.logkey.toLowerCase() : null;

  // the receipt code from the address fragment (#code=...): never sent to the server by the
  // browser; the receipt's log key fingerprint (#logkey=...) is carried on to the result page
  var form = document.getElementById("verify-form");
  if (form) {
    var input = document.getElementById("code");
    if (input && !input.value && frag.code) input.value = frag.code;
    if (fragFp) form.setAttribute("action", "/verify#logkey=" + fragFp);
  }

  var dataEl = document.getElementById("proof-data");
  if (!dataEl) return;
  var msgs = document.getElementById("check-messages").dataset;
  var resultEl = document.getElementById("check-result");
  var listEl = document.getElementById("check-list");
  var againEl = document.getElementById("check-again");
  var pinEl = document.getElementById("key-pin");
  var witnessEl = document.getElementById("witness-result");
  var trustedEl = document.getElementById("trusted-witnesses");
  var labels = {};
  try { labels = JSON.parse(document.getElementById("leaf-labels").textContent); } catch (e) { labels = {}; }

  function load(name, fallback) {
    try {
      var v = JSON.parse(localStorage.getItem(name));
      return Array.isArray(v) ? v : fallback;
    } catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(name, JSON.stringify(value)); return true; } catch (e) { return false; }   // storage off
  }
  function trustedWitnesses(d) {
    var list = load(WITNESS_KEY, null);
    if (list === null) {          // first use: the site's list becomes the user's (visible, editable)
      list = d.witnesses.slice();
      save(WITNESS_KEY, list);
    }
    return list;
  }
  function showTrusted(list) {
    if (trustedEl) trustedEl.value = list.join("\n");
  }

  function item(it) {
    listEl.appendChild(checkItem(msgs, it));
  }
  function setBox(el, state, message) {
    el.className = el.className.replace(/\s*\b(state-\S+|pending)\b/g, "") + " state-" + state;
    el.setAttribute("data-state", state);
    el.textContent = message;
  }
  function finish(state, message) {
    resultEl.className = "check-result " + state;
    resultEl.setAttribute("data-state", state);
    resultEl.textContent = message;
    againEl.hidden = state === "unavailable";
  }

  // the log key: the receipt's fingerprint (from the fragment), then what this browser pinned
  function pinKey(fp, origin) {
    var pins = load(PIN_KEY, []);
    var known = pins.map(function (p) { return p.fp; });
    var result = { fragment: null, pin: null, old: known };
    if (fragFp) result.fragment = fragFp === fp ? "match" : "mismatch";
    if (!known.length) {
      if (result.fragment !== "mismatch") {
        result.pin = save(PIN_KEY, [{ fp: fp, origin: origin, since: new Date().toISOString() }]) ? "first-use" : "no-storage";
      } else {
        result.pin = "not-pinned";
      }
    } else {
      result.pin = known.indexOf(fp) >= 0 ? "match" : "changed";
    }
    return result;
  }
  function acceptKey(fp, origin) {
    var pins = load(PIN_KEY, []);
    pins.push({ fp: fp, origin: origin, since: new Date().toISOString() });
    save(PIN_KEY, pins);
  }
  function showPin(p, fp) {
    var acceptBtn = document.getElementById("key-accept");
    if (acceptBtn) acceptBtn.hidden = true;
    var state, message;
    if (p.fragment === "mismatch") {
      state = "receipt-mismatch";
      message = fill(msgs.pinReceiptMismatch, { receipt: fragFp, key: fp });
    } else if (p.pin === "changed") {
      state = "changed";
      message = fill(msgs.pinChanged, { old: p.old.join(", "), key: fp });
      if (acceptBtn) acceptBtn.hidden = false;
    } else if (p.fragment === "match") {
      state = "receipt-match";
      message = fill(msgs.pinReceiptMatch, { key: fp });
    } else if (p.pin === "first-use") {
      state = "first-use";
      message = fill(msgs.pinFirstUse, { key: fp });
    } else if (p.pin === "no-storage") {
      state = "no-storage";
      message = fill(msgs.pinNoStorage, { key: fp });
    } else {
      state = "match";
      message = fill(msgs.pinMatch, { key: fp });
    }
    setBox(pinEl, state, message);
    return state;
  }

  // figures and ids, rendered from the verified leaf; the site's own figures are compared
  function leafValue(leaf, leafHash, name) {
    var data = leaf.body.data || {};
    switch (name) {
      case "amount": return data.amount !== undefined ? formatMoney(data.amount, data.currency) : null;
      case "entry-id": return leafHash;
      case "seq": return String(leaf.seq);
      case "log": return leaf.body.log;
      case "type": return leaf.body.type;
      case "signature": return leaf.sig;
      case "prev": return leaf.prev;
      case "data-json": return JSON.stringify(data, null, 2);
      case "project": return data.project;
      case "received-on": return data.received_on;
      case "channel": return data.channel !== undefined ? (labels.channel && labels.channel[data.channel]) || data.channel : null;
      case "kind": return data.kind !== undefined ? (labels.kind && labels.kind[data.kind]) || data.kind : null;
      case "restricted": return data.restricted === true ? msgs.yes : data.restricted === false ? msgs.no : null;
      default: return null;
    }
  }
  function renderFigures(result) {
    var mismatches = [];
    var els = document.querySelectorAll("[data-leaf]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i], name = el.getAttribute("data-leaf");
      var value = result ? leafValue(result.leaf, result.leafHash, name) : null;
      var claim = el.getAttribute("data-claim");
      if (name === "amount" && el.hasAttribute("data-minor") && result) {
        claim = el.getAttribute("data-minor");
        var minor = minorUnits((result.leaf.body.data || {}).amount);
        if (minor !== claim) mismatches.push(name);
      } else if (claim !== null && value !== null && claim !== value && result) {
        mismatches.push(name);
      }
      el.textContent = value === null || value === undefined ? msgs.unverifiedValue : value;
      el.setAttribute("data-verified", result ? "yes" : "no");
    }
    // the site's trace of the money: its parts must add up to the signed amount (BigInt: no float)
    var parts = document.querySelectorAll("[data-part-of='amount'][data-minor]");
    if (result && parts.length) {
      var sum = BigInt(0);
      for (var j = 0; j < parts.length; j++) sum += BigInt(parts[j].getAttribute("data-minor"));
      if (String(sum) !== minorUnits((result.leaf.body.data || {}).amount)) mismatches.push("trace");
    }
    return mismatches;
  }

  async function run() {
    listEl.textContent = "";
    resultEl.className = "check-result pending";
    resultEl.removeAttribute("data-state");
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      finish("unavailable", msgs.insecure);
      renderFigures(null);
      return;
    }
    var d = JSON.parse(dataEl.textContent);
    var trusted = trustedWitnesses(d);
    showTrusted(trusted);
    var result;
    try {
      result = await check(d, { trusted: trusted });
    } catch (e) {
      finish("unavailable", msgs.unsupported);
      renderFigures(null);
      return;
    }
    result.items.forEach(item);
    var ok = result.ok, pinState = null;
    if (result.fp) {
      var p = pinKey(result.fp, result.origin);
      pinState = showPin(p, result.fp);
      if (p.fragment) item({ key: "receipt", state: p.fragment === "match" ? "ok" : "bad", detail: fragFp });
      if (p.fragment === "mismatch") ok = false;
    }
    if (document.querySelector("[data-leaf]")) {
      var mismatches = ok ? renderFigures(result) : renderFigures(null);
      if (ok) {
        item({ key: "figures", state: mismatches.length ? "bad" : "ok", detail: mismatches.join(", ") });
        if (mismatches.length) ok = false;
      }
    }
    var w = result.witnesses;
    if (ok && w.k > 0) {
      setBox(witnessEl, "witnessed", fill(msgs.witnessed, { k: w.k, n: w.n }));
    } else {
      setBox(witnessEl, "not-witnessed", fill(w.n ? msgs.notWitnessed : msgs.noTrusted, { k: ok ? w.k : 0, n: w.n }));
    }
    witnessEl.setAttribute("data-k", String(ok ? w.k : 0));
    witnessEl.setAttribute("data-n", String(w.n));
    if (!ok) finish("fail", msgs.fail);
    else if (pinState === "changed") finish("keychange", msgs.keychange);
    else finish("pass", msgs.pass);
  }

  againEl.addEventListener("click", run);
  var acceptBtn = document.getElementById("key-accept");
  if (acceptBtn) {
    acceptBtn.addEventListener("click", function () {
      var d = JSON.parse(dataEl.textContent);
      fingerprint(d.vkey).then(function (fp) { acceptKey(fp, parseVkey(d.vkey).name); run(); });
    });
  }
  var saveBtn = document.getElementById("witnesses-save");
  if (saveBtn && trustedEl) {
    saveBtn.addEventListener("click", function () {
      save(WITNESS_KEY, trustedEl.value.split("\n").map(function (l) { return l.trim(); }).filter(function (l) { return l; }));
      run();
    });
  }
  var resetBtn = document.getElementById("witnesses-reset");
  if (resetBtn) {
    resetBtn.addEventListener("click", function () {
      save(WITNESS_KEY, JSON.parse(dataEl.textContent).witnesses);
      run();
    });
  }
  run();
})(typeof window !== "undefined" ? window : this);
