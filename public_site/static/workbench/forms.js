/* The workbench's entry forms: collect the form into the entry's data, ask the server to build
 * the bodies and dry-run them (every wrong field marked at once), show the exact canonical bytes,
 * sign them in the browser with window.WorkbenchKeys (the private key never leaves the browser),
 * submit, and show the answer with its inclusion proof, checked here against the checkpoint's root.
 *
 * WorkbenchKeys (public_site/static/workbench/keys.js) holds the person's keys; the form signs
 * with the key chosen in #wb-key (or the signed-in person's first key in this browser):
 *   await WorkbenchKeys.list(login)          -> [{keyId, publicKey, ...}]
 *   await WorkbenchKeys.publicKey(keyId)     -> base64 of the raw 32-byte Ed25519 public key
 *   await WorkbenchKeys.sign(keyId, bytes)   -> the 64-byte Ed25519 signature over bytes
 */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var prepared = null; // {entries: [...], draft: id|null}

  function b64(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  function unb64(text) {
    var s = atob(text), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function asB64(value) {
    if (typeof value === "string") return value;
    if (value instanceof ArrayBuffer) value = new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return b64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    throw new Error("WorkbenchKeys answered neither bytes nor base64");
  }
  function keys() {
    if (!window.WorkbenchKeys) {
      throw new Error("此浏览器中没有签名密钥。No signing key in this browser (WorkbenchKeys is missing).");
    }
    return window.WorkbenchKeys;
  }
  // The key this form signs with: the one chosen on the page, else the signed-in person's first.
  async function chosenKey() {
    var chosen = $("wb-key");
    if (chosen && chosen.value) return chosen.value;
    var login = document.body.dataset.login || undefined;
    var mine = await keys().list(login);
    if (!mine.length) {
      throw new Error("此浏览器中没有您的签名密钥，请先在“我的签名密钥”中创建并请管理员登记。" +
        " No signing key of yours in this browser: create one under My signing keys and have your admin enrol it.");
    }
    return mine[0].keyId;
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- the form's data --------------------------------------------------------------------
  function put(obj, path, value) {
    var parts = path.split("."), o = obj;
    for (var i = 0; i < parts.length - 1; i++) o = o[parts[i]] = o[parts[i]] || {};
    o[parts[parts.length - 1]] = value;
  }
  function collect(scope) {
    var out = {};
    scope.querySelectorAll("[data-path]").forEach(function (input) {
      var kind = input.dataset.kind, raw = input.value, value;
      if (kind === "object") return;
      if (kind === "bool") value = raw === "" ? undefined : raw === "true";
      else if (kind === "integer") value = raw.trim() === "" ? undefined : (/^-?\d+$/.test(raw.trim()) ? parseInt(raw, 10) : raw);
      else if (kind === "lines") {
        var items = raw.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
        value = items.length || input.dataset.required === "true" ? items : undefined;
      } else value = raw === "" ? undefined : raw;
      if (value !== undefined) put(out, input.dataset.path, value);
    });
    return out;
  }
  function payload() {
    var form = $("wb-form");
    if (!form) return JSON.parse($("wb-draft").textContent);
    var out = {type: form.dataset.type, data: collect(form.querySelector('[data-scope="main"]')), draft: null};
    if (form.dataset.replacementType) {
      out.replacement = {type: form.dataset.replacementType, data: collect(form.querySelector('[data-scope="replacement"]'))};
    }
    return out;
  }

  // --- errors -----------------------------------------------------------------------------
  function clearErrors() {
    document.querySelectorAll(".wb-error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    document.querySelectorAll("[aria-invalid]").forEach(function (i) { i.removeAttribute("aria-invalid"); });
    var s = $("wb-summary"); s.hidden = true; s.textContent = "";
  }
  function fieldElement(scopeName, path) {
    var scope = document.querySelector('[data-scope="' + scopeName + '"]');
    if (!scope || !path || path === "data") return null;
    var clean = path.replace(/\[\d+\]/g, "").replace(/^data\./, "");
    return scope.querySelector('[data-path="' + clean.replace(/"/g, "") + '"]');
  }
  function showProblem(problem) {
    var summary = $("wb-summary");
    summary.hidden = false;
    var params = problem.params || {};
    var scopeName = params.position === 1 ? "replacement" : "main";
    var list = params.problems || (params.field ? [{field: params.field, detail: "", detail_zh: ""}] : []);
    summary.appendChild(el("p", {}, params.problems
      ? "请修改以下 " + list.length + " 处。Please fix these " + list.length + " fields."
      : (problem.message_zh || "") + " " + (problem.detail || "")));
    if (list.length) {
      var ul = el("ul");
      list.forEach(function (p) {
        var input = fieldElement(scopeName, p.field);
        var li = el("li");
        var text = p.field + (p.detail_zh ? "：" + p.detail_zh + " — " + p.detail : "");
        if (input) {
          input.setAttribute("aria-invalid", "true");
          var msg = $(input.id + "-error");
          if (msg) { msg.hidden = false; msg.textContent = (p.detail_zh || problem.message_zh || "") + " " + (p.detail || ""); }
          li.appendChild(el("a", {href: "#" + input.id}, text));
        } else li.textContent = text;
        ul.appendChild(li);
      });
      summary.appendChild(ul);
    }
    summary.focus();
  }
  function fail(message) {
    showProblem({message_zh: message, detail: "", params: {}});
  }

  // The session's CSRF token (the layout writes it in a hidden field); every POST carries it.
  function csrf() {
    var field = document.querySelector('input[name="_csrf_token"]');
    return field ? field.value : "";
  }
  async function send(url, body, headers) {
    headers["X-CSRF-Token"] = csrf();
    var r = await fetch(url, {method: "POST", headers: headers, body: body, credentials: "same-origin"});
    var answer = await r.json().catch(function () { return {message_zh: "服务器应答无法读取", detail: "unreadable answer (" + r.status + ")"}; });
    return {ok: r.ok, status: r.status, body: answer};
  }
  function post(url, body) {
    return send(url, JSON.stringify(body), {"Content-Type": "application/json"});
  }
  function csrfHeaders(extra) {
    var headers = extra || {};
    headers["X-CSRF-Token"] = csrf();
    return headers;
  }

  // --- evidence: upload a file, add its hash to the entry's evidence list ---------------------
  async function upload(button) {
    var box = button.closest(".wb-upload");
    var target = $(button.dataset.target);
    var fileInput = box.querySelector('input[type="file"]');
    var status = box.querySelector(".wb-upload-status");
    status.textContent = "";
    status.removeAttribute("data-sha256");
    if (!fileInput.files.length) {
      status.textContent = "请先选择文件。Choose a file first.";
      return;
    }
    var form = new FormData();
    form.append("file", fileInput.files[0]);
    form.append("visibility", box.querySelector("select").value);
    status.textContent = "正在上传… Uploading…";
    var r = await send("/workbench/api/evidence", form, {});
    if (!r.ok) {
      status.textContent = "未上传 Not uploaded: " + (r.body.message_zh || "") + " " + (r.body.detail || "");
      status.dataset.refused = r.body.code || String(r.status);
      return;
    }
    if (target.tagName === "TEXTAREA") {  // a list of hashes: add it
      var held = target.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
      if (held.indexOf(r.body.sha256) < 0) held.push(r.body.sha256);
      target.value = held.join("\n");
    } else {  // one hash (an audit report, a publication): it is this file's
      target.value = r.body.sha256;
    }
    status.textContent = "已上传 Uploaded: " + r.body.sha256 + " · " + r.body.media_type + " · " + r.body.size +
      " 字节 bytes · " + (r.body.visibility === "public" ? "公开 public" : "仅监督方 restricted");
    status.dataset.sha256 = r.body.sha256;
    delete status.dataset.refused;
    fileInput.value = "";
  }

  // --- prepare, preview, sign, submit -----------------------------------------------------
  async function preview() {
    clearErrors();
    $("wb-review").hidden = true;
    var p = payload();
    try {
      var keyId = await chosenKey();
      p.public_key = asB64(await keys().publicKey(keyId));
    } catch (e) { fail(e.message); return; }
    var r = await post("/workbench/api/prepare", p);
    if (!r.ok) { showProblem(r.body); return; }
    prepared = {entries: r.body.entries, draft: p.draft || null};
    var box = $("wb-preview-bytes");
    box.textContent = "";
    r.body.entries.forEach(function (entry, i) {
      box.appendChild(el("h3", {}, (i + 1) + ". " + entry.body.type + " · idem " + entry.body.idem));
      box.appendChild(el("pre", {"class": "wb-canonical", "data-entry": String(i)}, entry.canonical));
      box.appendChild(el("p", {}, "SHA-256: " + entry.body_sha256));
    });
    $("wb-review").hidden = false;
    var sign = $("wb-sign");
    if (sign) sign.focus();
  }

  // Sign prepared entries ({body, signing_message}) with the chosen browser key: [{body, sig}].
  async function signEntries(list) {
    var keyId = await chosenKey(), out = [];
    for (var i = 0; i < list.length; i++) {
      out.push({body: list[i].body, sig: asB64(await keys().sign(keyId, unb64(list[i].signing_message)))});
    }
    return out;
  }
  async function publicKey() { return asB64(await keys().publicKey(await chosenKey())); }
  // the import wizard (import.js) signs with this very code
  window.WorkbenchSigning = {signEntries: signEntries, publicKey: publicKey, post: post, csrfHeaders: csrfHeaders, showProblem: showProblem};

  async function signAndSubmit() {
    clearErrors();
    if (!prepared) return;
    var entries;
    try { entries = await signEntries(prepared.entries); } catch (e) { fail(e.message); return; }
    var r = await post("/workbench/api/submit", {entries: entries, draft: prepared.draft});
    if (!r.ok) { showProblem(r.body); return; }
    await showAnswer(r.body.items);
  }

  // RFC 9162 inclusion proof check (2.1.3.2), with WebCrypto SHA-256
  async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }
  function hex(bytes) { return Array.from(bytes).map(function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function unhex(text) { var out = new Uint8Array(text.length / 2); for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16); return out; }
  async function node(left, right) { var m = new Uint8Array(65); m[0] = 1; m.set(left, 1); m.set(right, 33); return sha256(m); }
  async function rootFromProof(leafHash, index, size, hashes) {
    if (index >= size) return null;
    var fn = index, sn = size - 1, r = leafHash;
    for (var i = 0; i < hashes.length; i++) {
      var p = hashes[i];
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await node(p, r);
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else r = await node(r, p);
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  async function showAnswer(items) {
    var box = $("wb-answer-body");
    box.textContent = "";
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      var checkpoint = it.checkpoint || items[0].checkpoint;
      var lines = checkpoint.split("\n");
      var root = unb64(lines[2]);
      var proof = it.inclusion_proof;
      var computed = await rootFromProof(unhex(it.leaf_hash), proof.index, proof.size, proof.hashes.map(unhex));
      var good = computed !== null && hex(computed) === hex(root) && String(proof.size) === lines[1];
      var dl = el("dl", {"class": "wb-proof", "data-entry": String(i)});
      [["序号 Position", String(it.position)], ["叶哈希 Leaf hash", it.leaf_hash], ["账本 Log", it.log],
       ["树大小 Tree size", String(proof.size)], ["证明 Proof", proof.hashes.join("\n") || "(空 empty)"],
       ["检查点 Checkpoint", checkpoint]].forEach(function (row) {
        dl.appendChild(el("dt", {}, row[0]));
        var dd = el("dd"); dd.appendChild(el("code", {}, row[1])); dl.appendChild(dd);
      });
      box.appendChild(dl);
      box.appendChild(el("p", {"class": good ? "wb-proof-ok" : "wb-proof-bad", "data-proof": good ? "ok" : "bad"},
        good ? "包含证明与检查点的根一致。The inclusion proof leads to the checkpoint's root."
             : "包含证明与检查点不一致！The inclusion proof does not match the checkpoint!"));
      var link = el("a", {href: "/ledger/" + it.position}, "公开页面 Public page");
      box.appendChild(link);
    }
    $("wb-review").hidden = true;
    $("wb-answer").hidden = false;
    $("wb-answer").focus && $("wb-answer-title").setAttribute("tabindex", "-1");
    $("wb-answer-title").focus();
  }

  async function saveDraft() {
    clearErrors();
    var p = payload();
    var r = await post("/workbench/api/drafts", {type: p.type, data: p.data, replacement: p.replacement || null});
    if (!r.ok) { showProblem(r.body); return; }
    window.location.assign(r.body.url);
  }
  async function draftAction(button, action) {
    clearErrors();
    var r = await post("/workbench/api/drafts/" + button.dataset.draft + "/" + action, {});
    if (!r.ok) { showProblem(r.body); return; }
    window.location.reload();
  }

  function on(id, fn) { var b = $(id); if (b) b.addEventListener("click", function () { fn(b); }); }
  document.addEventListener("DOMContentLoaded", function () {
    on("wb-preview", preview);
    on("wb-sign", signAndSubmit);
    on("wb-save-draft", saveDraft);
    on("wb-approve", function (b) { return draftAction(b, "approve"); });
    on("wb-withdraw", function (b) { return draftAction(b, "withdraw"); });
    document.querySelectorAll(".wb-upload button").forEach(function (b) {
      b.addEventListener("click", function () { upload(b); });
    });
    document.documentElement.dataset.workbenchReady = "true";
  });
})();
