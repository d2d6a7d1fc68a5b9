/* Passkeys (WebAuthn): add one to the signed-in account, or sign in with one. */
(function () {
  "use strict";
  var status = document.getElementById("passkey-status");
  function say(t) { if (status) status.textContent = t; }
  function csrf() { var i = document.querySelector('input[name="_csrf_token"]'); return i ? i.value : ""; }
  function unb64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/"); while (s.length % 4) s += "=";
    return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
  }
  function b64url(buf) {
    var s = "", b = new Uint8Array(buf); for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  async function post(url, body) {
    var res = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() }, body: JSON.stringify(body || {}) });
    if (!res.ok) throw new Error((await res.text()).slice(0, 300));
    return res.json();
  }
  var reg = document.getElementById("passkey-register");
  if (reg) reg.addEventListener("click", async function () {
    try {
      var o = await post("/workbench/passkeys/register/options");
      var opts = o.options;
      opts.challenge = unb64url(opts.challenge); opts.user.id = unb64url(opts.user.id);
      (opts.excludeCredentials || []).forEach(function (c) { c.id = unb64url(c.id); });
      var cred = await navigator.credentials.create({ publicKey: opts });
      await post("/workbench/passkeys/register", { handle: o.handle, label: "passkey", credential: {
        id: cred.id, rawId: b64url(cred.rawId), type: cred.type,
        response: { clientDataJSON: b64url(cred.response.clientDataJSON), attestationObject: b64url(cred.response.attestationObject) } } });
      say("通行密钥已添加。/ Passkey added.");
    } catch (e) { say(String(e.message || e)); }
  });
  var signIn = document.getElementById("passkey-sign-in");
  if (signIn) signIn.addEventListener("click", async function () {
    try {
      var o = await post("/workbench/passkeys/sign-in/options");
      var opts = o.options;
      opts.challenge = unb64url(opts.challenge);
      (opts.allowCredentials || []).forEach(function (c) { c.id = unb64url(c.id); });
      var a = await navigator.credentials.get({ publicKey: opts });
      var r = await post("/workbench/passkeys/sign-in", { handle: o.handle, next: signIn.getAttribute("data-next"), credential: {
        id: a.id, rawId: b64url(a.rawId), type: a.type, response: {
          clientDataJSON: b64url(a.response.clientDataJSON), authenticatorData: b64url(a.response.authenticatorData),
          signature: b64url(a.response.signature), userHandle: a.response.userHandle ? b64url(a.response.userHandle) : null } } });
      location.href = r.next;
    } catch (e) { say(String(e.message || e)); }
  });
})();
