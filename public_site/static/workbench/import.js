/* The import wizard: send the statement (with the public key of this browser's signing key) to
 * be read and checked, show the row-by-row preview, sign the prepared entries with the forms'
 * own signing code (window.WorkbenchSigning, over WorkbenchKeys.sign) and commit them. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var prepared = null;
  function cell(tr, text) { var td = document.createElement("td"); td.textContent = text == null ? "" : String(text); tr.appendChild(td); }
  function problem(body) { window.WorkbenchSigning.showProblem(body); }

  async function preview() {
    var S = window.WorkbenchSigning, form = $("wb-import"), data = new FormData(form);
    $("imp-review").hidden = true; $("imp-answer").hidden = true; $("wb-summary").hidden = true;
    try { data.set("public_key", await S.publicKey()); } catch (e) { problem({message_zh: e.message, params: {}}); return; }
    var r = await fetch("/workbench/api/import/prepare", {method: "POST", body: data, headers: S.csrfHeaders(), credentials: "same-origin"});
    var body = await r.json().catch(function () { return {message_zh: "服务器应答无法读取", detail: "unreadable answer", params: {}}; });
    if (!body.preview) { problem(body); return; }
    var rows = $("imp-rows"); rows.textContent = "";
    body.preview.rows.forEach(function (row) {
      var tr = document.createElement("tr"); tr.dataset.action = row.action;
      [row.line, row["class"], row.date, row.amount, row.action, (row.detail_zh || "") + " " + (row.detail || "")].forEach(function (t) { cell(tr, t); });
      rows.appendChild(tr);
    });
    body.preview.bad.forEach(function (bad) {
      var tr = document.createElement("tr"); tr.dataset.action = "bad";
      [bad.line, "", "", "", "bad", bad.reason_zh + " " + bad.reason].forEach(function (t) { cell(tr, t); });
      rows.appendChild(tr);
    });
    var warnings = $("imp-warnings"); warnings.textContent = "";
    body.preview.warnings.forEach(function (w) { var li = document.createElement("li"); li.textContent = w; warnings.appendChild(li); });
    $("imp-counts").textContent = JSON.stringify(body.preview.counts);
    prepared = body.import ? body : null;
    if ($("imp-sign")) $("imp-sign").hidden = !prepared;
    $("imp-review").hidden = false;
  }

  async function sign() {
    if (!prepared) return;
    var S = window.WorkbenchSigning, entries;
    try { entries = await S.signEntries(prepared.entries); } catch (e) { problem({message_zh: e.message, params: {}}); return; }
    var r = await S.post("/workbench/api/import/" + prepared["import"] + "/commit", {entries: entries});
    if (!r.ok) { problem(r.body); return; }
    var done = $("imp-done"); done.textContent = "";
    r.body.items.forEach(function (it) {
      var tr = document.createElement("tr");
      [it.line, it.type, it.seq, it.receipt_code || "—"].forEach(function (t) { cell(tr, t); });
      done.appendChild(tr);
    });
    $("imp-csv").href = r.body.receipts_csv;
    $("imp-review").hidden = true; $("imp-answer").hidden = false; $("imp-answer-title").focus();
    prepared = null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("imp-preview").addEventListener("click", preview);
    if ($("imp-sign")) $("imp-sign").addEventListener("click", sign);
  });
})();
