/* The enrolment page: the admin signs key.granted (or key.revoked) with a key held in the
 * admin's own browser, sends it to the log (POST /api/v1/entries), then tells the workbench. */
(function () {
  "use strict";
  var app = document.getElementById("enrol-app");
  if (!app) return;
  var d = function (n) { return app.getAttribute("data-" + n); };
  var status = document.getElementById("enrol-status");
  var select = document.getElementById("signer-key");
  var csrf = document.querySelector('input[name="_csrf_token"]').value;
  function say(text) { status.textContent = text; }
  WorkbenchKeys.list(d("login")).then(function (keys) {
    keys.forEach(function (k) {
      var o = document.createElement("option"); o.value = k.keyId; o.textContent = k.label + " " + k.keyId.slice(0, 16) + "…";
      select.appendChild(o);
    });
    if (!keys.length) say("本浏览器没有您的密钥。/ This browser holds none of your keys.");
  }).catch(function (e) { say(String(e.message || e)); });

  async function submit(type, data, idem) {
    var signer = select.value;
    if (!signer) { say("请选择签名密钥。/ Choose a key to sign with."); return; }
    var body = { v: 1, log: d("origin"), type: type, signer: signer, at: new Date().toISOString(), idem: idem, data: data };
    try {
      var entry = await WorkbenchKeys.signEntry(signer, body);
      var res = await fetch("/api/v1/entries", {
        method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(entry)
      });
      var answer = await res.json().catch(function () { return {}; });
      if (!res.ok) { say((answer.detail || answer.title || res.status) + ""); return; }
      await fetch("/workbench/keys/" + d("key-id") + "/enrolled", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }
      });
      say("已写入账本 / In the log: #" + answer.seq);
      app.setAttribute("data-done", String(answer.seq));
    } catch (e) { say(String(e.message || e)); }
  }
  var grant = document.getElementById("sign-grant");
  if (grant) grant.addEventListener("click", function () {
    var role = document.getElementById("grant-role").value;
    submit("key.granted", { public_key: d("public-key"), role: role, org: d("org"), holder: d("holder") },
      "wb:key.granted:" + d("key-id"));
  });
  var revoke = document.getElementById("sign-revoke");
  if (revoke) revoke.addEventListener("click", function () {
    submit("key.revoked", { key_id: d("key-id"), reason: document.getElementById("revoke-reason").value || "revoked" },
      "wb:key.revoked:" + d("key-id"));
  });
})();
