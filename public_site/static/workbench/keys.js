/* WorkbenchKeys: a person's Ed25519 signing keys, made and kept in this browser.
 *
 * Keys are WebCrypto Ed25519 keys generated non-extractable: the private key cannot be read out
 * by any script, this one included; the CryptoKey objects are stored in IndexedDB (database
 * "charity-ledger-workbench", store "keys"), one record per key:
 * {keyId, login, label, publicKey (base64 of the raw 32 bytes), privateKey (CryptoKey), created}.
 *
 * API (every call returns a Promise):
 *   WorkbenchKeys.create(login, label)       -> {keyId, publicKey, label, login, created}
 *   WorkbenchKeys.list(login?)               -> [{keyId, publicKey, label, login, created}]
 *   WorkbenchKeys.publicKey(keyId)           -> base64 public key
 *   WorkbenchKeys.sign(keyId, bytes)         -> Uint8Array(64) Ed25519 signature of bytes
 *   WorkbenchKeys.signEntry(keyId, body)     -> {body, sig}: the submission form of an entry,
 *        signed over "charity-ledger/entry/v1\n" + canonical JSON (RFC 8785) of body
 *   WorkbenchKeys.canonical(value)           -> the canonical JSON text of value
 *   WorkbenchKeys.remove(keyId)              -> forget a key in this browser
 * keyId is the lowercase hex SHA-256 of the raw public key, as the log names keys.
 */
(function (root) {
  "use strict";
  var DB = "charity-ledger-workbench", STORE = "keys", PREFIX = "charity-ledger/entry/v1\n";

  function available() {
    if (!root.crypto || !root.crypto.subtle || !root.indexedDB) {
      throw new Error("WebCrypto needs a secure context (https, or http on this machine) / WebCrypto 需要安全上下文（https 或本机 http）");
    }
  }
  function open() {
    available();
    return new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "keyId" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), out;
        var store = t.objectStore(STORE);
        var req = work(store);
        if (req) req.onsuccess = function () { out = req.result; };
        t.oncomplete = function () { db.close(); resolve(out); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }
  function b64(bytes) {
    var s = ""; bytes = new Uint8Array(bytes);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  function hex(bytes) {
    return Array.prototype.map.call(new Uint8Array(bytes), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function pub(rec) { return { keyId: rec.keyId, publicKey: rec.publicKey, label: rec.label, login: rec.login, created: rec.created }; }

  // RFC 8785 for what entries hold: objects with keys sorted by UTF-16 code units, strings as
  // JSON.stringify writes them, integers, booleans, null and arrays.
  function canonical(v) {
    if (v === null || typeof v === "boolean") return JSON.stringify(v);
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new Error("only integers are allowed in entries");
      return String(v);
    }
    if (typeof v === "string") return JSON.stringify(v);
    if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
    var keys = Object.keys(v).filter(function (k) { return v[k] !== undefined; }).sort();
    return "{" + keys.map(function (k) { return JSON.stringify(k) + ":" + canonical(v[k]); }).join(",") + "}";
  }

  async function create(login, label) {
    available();
    var pair = await root.crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    var raw = new Uint8Array(await root.crypto.subtle.exportKey("raw", pair.publicKey));
    var rec = {
      keyId: hex(await root.crypto.subtle.digest("SHA-256", raw)),
      login: login || "", label: label || "browser", publicKey: b64(raw),
      privateKey: pair.privateKey, created: new Date().toISOString()
    };
    await tx("readwrite", function (s) { return s.put(rec); });
    return pub(rec);
  }
  async function get(keyId) {
    var rec = await tx("readonly", function (s) { return s.get(keyId); });
    if (!rec) throw new Error("this browser holds no key " + keyId + " / 本浏览器没有该密钥");
    return rec;
  }
  async function list(login) {
    var all = await tx("readonly", function (s) { return s.getAll(); });
    return (all || []).filter(function (r) { return !login || r.login === login; }).map(pub);
  }
  async function sign(keyId, bytes) {
    var rec = await get(keyId);
    return new Uint8Array(await root.crypto.subtle.sign({ name: "Ed25519" }, rec.privateKey, bytes));
  }
  async function signEntry(keyId, body) {
    var message = new TextEncoder().encode(PREFIX + canonical(body));
    return { body: body, sig: b64(await sign(keyId, message)) };
  }
  root.WorkbenchKeys = {
    create: create, list: list, sign: sign, signEntry: signEntry, canonical: canonical,
    publicKey: function (keyId) { return get(keyId).then(function (r) { return r.publicKey; }); },
    remove: function (keyId) { return tx("readwrite", function (s) { return s.delete(keyId); }); }
  };
})(typeof window !== "undefined" ? window : this);
