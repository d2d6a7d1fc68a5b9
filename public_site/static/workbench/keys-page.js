/* The "My signing keys" page: make a key in this browser and register its public key. */
(function () {
  "use strict";
  var app = document.getElementById("keys-app");
  if (!app) return;
  var status = document.getElementById("key-status");
  var csrf = document.querySelector('input[name="_csrf_token"]').value;
  var login = app.getAttribute("data-login");
  function say(text) { status.textContent = text; }
  WorkbenchKeys.list(login).then(function (held) {
    var ids = held.map(function (k) { return k.keyId; });
    document.querySelectorAll("#my-keys tr[data-key-id]").forEach(function (row) {
      row.querySelector(".held").textContent = ids.indexOf(row.getAttribute("data-key-id")) >= 0 ? "✓" : "—";
    });
  }).catch(function (e) { say(String(e.message || e)); });
  document.getElementById("create-key").addEventListener("click", async function () {
    try {
      var label = document.getElementById("key-label").value || "browser";
      var key = await WorkbenchKeys.create(login, label);
      var res = await fetch("/workbench/keys", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ public_key: key.publicKey, label: label })
      });
      if (!res.ok) { await WorkbenchKeys.remove(key.keyId); throw new Error((await res.text()).slice(0, 300)); }
      say("密钥已创建，等待管理员授权。/ Key created; awaiting your admin's enrolment: " + key.keyId);
      location.reload();
    } catch (e) { say(String(e.message || e)); }
  });
})();
