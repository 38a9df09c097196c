/* The auditor's checklist: saves itself as the auditor types, and loses nothing.
 *
 * Each change is kept in localStorage at once and posted (the same form POST the button
 * makes, answered in JSON) a moment later; while the network is down the copy waits and is
 * sent when it returns, and a reload restores what was not yet saved. Without JavaScript the
 * form's own button saves, as before.
 */
(function () {
  "use strict";
  var form = document.querySelector("form.checklist-form");
  // a finalized evaluation is revised on purpose (the button makes a new draft), never by a tap
  if (!form || form.dataset.autosave !== "on" || !window.fetch || !window.FormData || !window.JSON) return;
  var key = "checklist:" + form.dataset.key;
  var status = document.getElementById("autosave");
  var names = JSON.parse(form.dataset.names || "{}");
  var timer = null, sending = false, again = false, retry = null;

  function say(text, cls) {
    if (!status) return;
    status.textContent = text;
    status.className = "autosave" + (cls ? " " + cls : "");
  }
  function snapshot() {
    var out = {};
    new FormData(form).forEach(function (v, k) { if (k !== "csrf_token") out[k] = v; });
    return out;
  }
  function remember() {
    try { localStorage.setItem(key, JSON.stringify(snapshot())); } catch (e) { /* private mode */ }
  }
  function pending() {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function forget() {
    try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
  }
  function restore() {
    var raw = pending();
    if (!raw) return false;
    var saved;
    try { saved = JSON.parse(raw); } catch (e) { forget(); return false; }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.name === "csrf_token") return;
      if (el.type === "checkbox") el.checked = saved[el.name] === el.value;
      else if (Object.prototype.hasOwnProperty.call(saved, el.name)) el.value = saved[el.name];
    });
    return true;
  }
  function showMissing(missing) {
    var list = document.getElementById("missing-list");
    document.querySelectorAll("tr.item.gap").forEach(function (tr) { tr.classList.remove("gap"); });
    missing.forEach(function (id) {
      var row = document.getElementById("item-" + id);
      if (row && row.tagName === "TR") row.classList.add("gap");
    });
    if (!list) return;
    list.textContent = "";
    missing.forEach(function (id) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = "#item-" + id;
      a.textContent = names[id] || id;
      li.appendChild(a);
      list.appendChild(li);
    });
    var title = document.getElementById("missing-title");
    if (title) title.textContent = missing.length
      ? form.dataset.missing.replace("%s", missing.length) : form.dataset.complete;
  }
  function send() {
    if (sending) { again = true; return; }
    sending = true;
    clearTimeout(retry);
    say(form.dataset.saving);
    var sent = JSON.stringify(snapshot());
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (resp) {
      return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
    }).then(function (r) {
      if (r.ok) {
        if (pending() === sent) forget();  // a change typed meanwhile stays kept until it is sent
        say(form.dataset.saved.replace("%s", r.body.saved_at), "ok");
        showMissing(r.body.missing || []);
        if (r.body.complete && !document.querySelector(".result")) {
          var a = document.createElement("a");
          a.href = window.location.pathname;
          a.textContent = " " + form.dataset.reload;
          status.appendChild(a);
        }
      } else {
        // refused: the sentence names the item; what was typed stays here and in the page
        say(r.body && r.body.error ? r.body.error.message : form.dataset.offline, "error");
      }
    }).catch(function () {
      say(form.dataset.offline, "warn");
      retry = setTimeout(send, 5000);
    }).then(function () {
      sending = false;
      if (again) { again = false; send(); }
    });
  }
  function changed() {
    remember();
    clearTimeout(timer);
    timer = setTimeout(send, 800);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", function () { if (pending()) send(); });
  if (restore()) send();
})();
