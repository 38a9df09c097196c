/* Survey page enhancements (the page works without them):
   progress, answers kept in localStorage (a reload or dropped connection loses nothing),
   and a submit through the JSON endpoint retried with the same client_id, so a retry never
   double-counts. No inline script: the CSP forbids it; everything is wired from here. */
(function () {
  "use strict";
  var store = {
    get: function (k) { try { return JSON.parse(localStorage.getItem(k) || "null"); } catch (e) { return null; } },
    set: function (k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* private mode */ } },
    del: function (k) { try { localStorage.removeItem(k); } catch (e) { /* ignore */ } }
  };
  var clear = document.body.getAttribute("data-clear");
  if (clear) {  // the thank-you page: the answers and the screen reached go
    store.del(clear);
    try { sessionStorage.removeItem(clear + ":page"); } catch (e) { /* private mode */ }
  }

  var form = document.querySelector("form[data-store]");
  if (!form) { return; }
  var key = form.getAttribute("data-store");
  if (form.hasAttribute("data-fresh")) {  // the previous interview was saved: start blank
    store.del(key);
    if (window.history && history.replaceState) { history.replaceState(null, "", location.pathname); }
  }
  var msg = function (name, fallback) { return form.getAttribute("data-msg-" + name) || fallback; };
  var qs = Array.prototype.slice.call(form.querySelectorAll("fieldset[data-q]"));
  var cid = form.elements.client_id;
  var status = document.getElementById("status");
  var prog = document.getElementById("prog");
  var button = form.querySelector("button[type=submit]");

  function fields() {
    return Array.prototype.slice.call(form.elements).filter(function (el) {
      return el.name && (el.name.indexOf("q_") === 0 || el.name === "contact" || el.name === "contact_consent" || el.name === "contact_share");
    });
  }
  function save() {
    var values = {};
    fields().forEach(function (el) {
      if (el.type === "checkbox" && el.name.indexOf("q_") === 0) {  // a multiple choice: a list
        if (el.checked) { (values[el.name] = values[el.name] || []).push(el.value); }
      } else if (el.type === "radio" || el.type === "checkbox") { if (el.checked) { values[el.name] = el.value; } }
      else if (el.value) { values[el.name] = el.value; }
    });
    store.set(key, { client_id: cid.value, values: values, saved: Date.now() });
  }
  function restore() {
    var saved = store.get(key);
    if (!saved) { save(); return; }
    if (saved.client_id) { cid.value = saved.client_id; }
    var values = saved.values || {};
    fields().forEach(function (el) {
      if (!(el.name in values)) { return; }
      var v = values[el.name];
      if (el.type === "radio" || el.type === "checkbox") { el.checked = Array.isArray(v) ? v.indexOf(el.value) >= 0 : el.value === v; }
      else { el.value = v; }
    });
  }
  function answered(fs) {
    if (fs.getAttribute("data-answer") === "text") { return true; }
    return !!fs.querySelector("input:checked");
  }
  // what display logic compares: a number, a list of numbers, or null (n/a, not answered)
  function answerOf(fs) {
    var how = fs.getAttribute("data-answer");
    if (how === "text") { return null; }
    var picked = Array.prototype.slice.call(fs.querySelectorAll("input:checked"))
      .map(function (el) { return el.value; });
    if (!picked.length || picked.indexOf("na") >= 0) { return null; }
    var numbers = picked.map(function (v) { return parseInt(v, 10); });
    return how === "numbers" ? numbers : numbers[0];
  }
  var OPS = {
    "<": function (a, b) { return a < b; }, "<=": function (a, b) { return a <= b; },
    ">": function (a, b) { return a > b; }, ">=": function (a, b) { return a >= b; },
    "=": function (a, b) { return a === b; }, "!=": function (a, b) { return a !== b; },
    "has": function (a, b) { return a.indexOf(b) >= 0; }
  };
  // show a question only while its condition on an earlier answer holds (data-show-if, written
  // "q3 <= 2"); a hidden question is neither required nor sent, as the server decides too
  function applyConditions() {
    qs.forEach(function (fs) {
      var rule = fs.getAttribute("data-show-if");
      if (!rule) { return; }
      var m = /^(\S+) (\S+) (\d+)$/.exec(rule);
      var source = m && document.getElementById("q-" + m[1]);
      var value = source && !source.hidden ? answerOf(source) : null;
      fs.hidden = !(m && value !== null && OPS[m[2]] && OPS[m[2]](value, parseInt(m[3], 10)));
      if (fs.hidden) { showError(fs.getAttribute("data-q"), ""); }
    });
  }
  function visible(fs) { return !fs.hidden; }
  Array.prototype.forEach.call(form.querySelectorAll(".hint.cond"), function (p) { p.hidden = true; });
  function progress() {
    if (!prog) { return; }
    var req = qs.filter(visible).filter(function (fs) { return fs.hasAttribute("data-required"); });
    var done = req.filter(answered).length;
    prog.hidden = false;
    prog.querySelector("i").style.width = (req.length ? Math.round(100 * done / req.length) : 100) + "%";
    prog.querySelector(".txt").textContent = msg("progress", "{n}/{total}").replace("{n}", done).replace("{total}", req.length);
  }
  function showError(id, text) {
    var fs = document.getElementById("q-" + id);
    var p = document.getElementById("e-" + id);
    if (!fs || !p) { return false; }
    fs.classList.toggle("bad", !!text);
    p.textContent = text || "";
    p.hidden = !text;
    return true;
  }
  function setStatus(text, bad) {
    if (!status) { return; }
    status.textContent = text || "";
    status.className = "status" + (bad ? " bad" : "");
  }
  function formError(text) {
    var box = document.getElementById("form-error");
    if (box) { box.textContent = text || ""; box.hidden = !text; }
  }
  // mark every unanswered required question among `within` (all when absent); the first one
  function firstMissing(within) {
    var first = null;
    qs.forEach(function (fs) {
      if (within && !within.contains(fs)) { return; }
      var missing = visible(fs) && fs.hasAttribute("data-required") && !answered(fs);
      showError(fs.getAttribute("data-q"), missing ? msg("required", "请选择一项；如不了解，请选“不适用”。") : "");
      if (missing && !first) { first = fs; }
    });
    return first;
  }
  function validate() {
    var first = firstMissing(null);
    if (first) {
      formError(msg("check", ""));
      showPage(pageOf(first), false);
      first.scrollIntoView({ behavior: "smooth", block: "center" });
      var input = first.querySelector("input");
      if (input) { input.focus({ preventScroll: true }); }
    }
    return !first;
  }
  function payload() {
    var answers = {};
    var comment = null;
    qs.forEach(function (fs) {
      if (!visible(fs)) { return; }
      var id = fs.getAttribute("data-q");
      if (fs.getAttribute("data-answer") === "text") {
        var t = fs.querySelector("textarea");
        if (t && t.value.trim()) { comment = t.value; }
        return;
      }
      if (answered(fs)) { answers[id] = answerOf(fs); }
    });
    var body = { answers: answers, client_id: cid.value, started: form.elements.started.value };
    if (comment) { body.comment = comment; }
    var contact = form.elements.contact;
    if (contact && contact.value.trim()) {
      body.contact = contact.value.trim();
      body.contact_consent = !!form.elements.contact_consent.checked;
      // sharing with the company is a second consent on top of the first, never instead of it
      var share = form.elements.contact_share;
      if (body.contact_consent && share && share.checked) { body.contact_share = true; }
    }
    return JSON.stringify(body);
  }

  var DELAYS = [1500, 3000, 6000, 12000];
  function send(attempt) {
    var endpoint = form.getAttribute("data-endpoint");
    fetch(endpoint, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: payload()
    }).then(function (resp) {
      if (resp.status === 200 || resp.status === 201) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          store.del(key);
          try { sessionStorage.removeItem(pageKey); } catch (e) { /* private mode */ }
          // a code someone had answered already: the thank-you page says this one is kept too
          window.location.assign(form.getAttribute("data-thanks") + (data && data.reused ? "?reused=1" : ""));
          return null;
        });
      }
      if (resp.status === 422) {
        return resp.json().then(function (data) {
          var err = (data && data.error) || {};
          var shown = false;
          var fieldsById = err.fields || {};
          Object.keys(fieldsById).forEach(function (id) { shown = showError(id, fieldsById[id].message) || shown; });
          formError(err.message || msg("check", ""));
          setStatus("", false);
          button.disabled = false;
          var bad = form.querySelector(".q.bad") || document.getElementById("form-error");
          if (bad && form.querySelector(".q.bad")) { showPage(pageOf(bad), false); }
          if (bad) { bad.scrollIntoView({ behavior: "smooth", block: "center" }); }
          return shown;
        });
      }
      if (resp.status === 404 || resp.status === 409 || resp.status === 410) {
        window.location.reload();  // the server's page explains (closed, used, withdrawn)
        return null;
      }
      throw new Error("HTTP " + resp.status);  // 429, 5xx: retry
    }).catch(function () {
      if (attempt < DELAYS.length) {
        setStatus(msg("retry", "网络不稳定，正在重试…"), true);
        window.setTimeout(function () { send(attempt + 1); }, DELAYS[attempt]);
      } else {
        setStatus(msg("failed", "提交失败，答案已保存在本机，请稍后再点“提交”。"), true);
        button.disabled = false;
      }
    });
  }

  // ── paging: one part of the questionnaire per screen, Back / Next, still one submit at the
  // end (without JavaScript, or with ?view=all, every question is on one page) ──────────────
  var pager = document.getElementById("pager");
  var pages = [], current = 0, tail = [];
  var pageKey = key + ":page";
  function pageOf(el) {
    for (var k = 0; k < pages.length; k++) { if (pages[k].contains(el)) { return k; } }
    return pages.length - 1;
  }
  // a part whose every question is hidden by display logic is no screen of its own
  function empty(k) {
    return !Array.prototype.some.call(pages[k].querySelectorAll("fieldset[data-q]"), visible);
  }
  function step(from, by) {
    var k = from + by;
    while (k > 0 && k < pages.length - 1 && empty(k)) { k += by; }
    return k;
  }
  function showPage(i, moved) {
    if (!pages.length) { return; }
    current = Math.max(0, Math.min(i, pages.length - 1));
    var last = current === pages.length - 1;
    pages.forEach(function (sec, k) { sec.hidden = k !== current; });
    tail.forEach(function (el) { el.hidden = !last; });
    pager.querySelector(".back").hidden = current === 0;
    pager.querySelector(".next").hidden = last;
    pager.querySelector(".where").textContent = msg("page", "{n}/{total}")
      .replace("{n}", current + 1).replace("{total}", pages.length);
    try { sessionStorage.setItem(pageKey, String(current)); } catch (e) { /* private mode */ }
    if (moved) {
      window.scrollTo(0, 0);
      var h = pages[current].querySelector("h2");
      if (h) { h.setAttribute("tabindex", "-1"); h.focus({ preventScroll: true }); }
    }
  }
  function pageComplete() {
    var first = firstMissing(pages[current]);
    formError(first ? msg("page-check", msg("check", "")) : "");
    if (first) { first.scrollIntoView({ behavior: "smooth", block: "center" }); }
    return !first;
  }
  var viewSwitch = document.getElementById("view-switch");
  if (viewSwitch) { viewSwitch.hidden = false; }
  if (form.hasAttribute("data-paged") && pager) {
    pages = Array.prototype.slice.call(form.querySelectorAll("section.sec"));
    tail = [document.getElementById("q-contact"), button, status].concat(
      Array.prototype.slice.call(form.querySelectorAll(".alert.warn"))).filter(Boolean);
    tail.forEach(function (el) { el.classList.add("page-tail"); });
  }
  if (pages.length > 1) {
    form.classList.add("paged");
    pager.hidden = false;
    pager.querySelector(".next").addEventListener("click", function () {
      if (pageComplete()) { showPage(step(current, 1), true); }
    });
    pager.querySelector(".back").addEventListener("click", function () {
      formError("");
      showPage(step(current, -1), true);
    });
    var bad = form.querySelector(".q.bad, .alert.warn");
    var saved = 0;
    try { saved = parseInt(sessionStorage.getItem(pageKey) || "0", 10) || 0; } catch (e) { saved = 0; }
    showPage(bad ? pageOf(bad) : saved, false);
  } else {
    pages = [];
  }

  restore();
  applyConditions();
  progress();
  form.addEventListener("change", function (ev) {
    var fs = ev.target.closest && ev.target.closest("fieldset[data-q]");
    // 不适用 in a multiple choice stands alone: it clears the options, an option clears it
    if (fs && ev.target.type === "checkbox" && ev.target.checked) {
      var none = ev.target.hasAttribute("data-none");
      Array.prototype.forEach.call(fs.querySelectorAll("input[type=checkbox]"), function (el) {
        if (el !== ev.target && el.hasAttribute("data-none") !== none) { el.checked = false; }
      });
    }
    if (fs && answered(fs)) { showError(fs.getAttribute("data-q"), ""); }
    applyConditions();
    save();
    progress();
  });
  form.addEventListener("input", function (ev) {
    if (ev.target.tagName === "TEXTAREA" || ev.target.name === "contact") { save(); }
  });
  function fewAnswers() {
    // a response with fewer scored answers than validity needs is stored but not counted:
    // say so once and let the customer decide (DOMAIN.md: never refused)
    var need = parseInt(form.getAttribute("data-need") || "0", 10);
    var scored = qs.filter(function (fs) { return fs.hasAttribute("data-scored"); });
    var n = scored.filter(function (fs) {
      var c = fs.querySelector("input:checked");
      return c && c.value !== "na";
    }).length;
    return scored.length && n < need ? { n: n, total: scored.length } : null;
  }
  function confirmFew() {
    if (form.elements.confirm_few) { return true; }
    var few = fewAnswers();
    if (!few) { return true; }
    var text = msg("few", "").replace("{n}", few.n).replace("{total}", few.total);
    if (!window.confirm(text)) { return false; }
    var mark = document.createElement("input");
    mark.type = "hidden"; mark.name = "confirm_few"; mark.value = "1";
    form.appendChild(mark);
    return true;
  }
  // ── the interview page: finished interviews queue on the device and are sent when there is
  // signal, each with its own client_id, so a resend never counts twice ─────────────────────
  var queueKey = form.getAttribute("data-queue");
  var queueBox = document.getElementById("queue");
  var startedAt = new Date().toISOString();
  var flushing = false, flushTimer = null, sentNow = 0, stalled = "";
  function queue() { return store.get(queueKey) || []; }
  function newClientId() {
    var a = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function showQueue() {
    if (!queueBox) { return; }
    var q = queue();
    queueBox.hidden = !q.length && !sentNow;
    var parts = [];
    if (q.length) { parts.push(msg("waiting", "").replace("{n}", q.length)); }
    if (sentNow) { parts.push(msg("sent", "").replace("{n}", sentNow)); }
    if (stalled && q.length) { parts.push(stalled); }
    document.getElementById("queue-status").textContent = parts.join(" ");
    var list = document.getElementById("queue-list");
    list.textContent = "";
    q.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.outlet_name + " · " + new Date(item.at).toLocaleTimeString() +
        (item.error ? " — " + msg("refused", "") + item.error : "");
      if (item.error) {
        li.className = "bad";
        var drop = document.createElement("button");
        drop.type = "button";
        drop.className = "linkish";
        drop.textContent = " " + msg("discard", "");
        drop.addEventListener("click", function () {
          if (!window.confirm(msg("discard-ask", ""))) { return; }
          store.set(queueKey, queue().filter(function (x) { return x.body.client_id !== item.body.client_id; }));
          showQueue();
        });
        li.appendChild(drop);
      }
      list.appendChild(li);
    });
  }
  function flush() {
    clearTimeout(flushTimer);
    if (flushing) { return; }
    var q = queue().filter(function (item) { return !item.error; });
    if (!q.length) { showQueue(); return; }
    flushing = true;
    var item = q[0];
    fetch(form.getAttribute("data-queue-endpoint"), {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": form.elements.csrf_token.value },
      body: JSON.stringify(item.body)
    }).then(function (resp) {
      if ((resp.status === 200 || resp.status === 201) && !resp.redirected) {
        return resp.json().then(function (data) {
          if (!data || typeof data.id !== "number") { throw new Error("not stored"); }
          store.set(queueKey, queue().filter(function (x) { return x.body.client_id !== item.body.client_id; }));
          sentNow += 1;
          return true;
        });
      }
      if (resp.status === 401 || resp.status === 400) {
        // signed out, or the page's security token expired: everything stays on the device
        // and goes out after signing in again / reloading the page
        stalled = msg(resp.status === 401 ? "signin" : "reload", "");
        return false;
      }
      if (resp.status === 422 || resp.status === 409 || resp.status === 410 || resp.status === 404) {
        return resp.json().then(function (data) {  // kept, shown, not retried by itself
          var err = (data && data.error) || {};
          store.set(queueKey, queue().map(function (x) {
            if (x.body.client_id === item.body.client_id) { x.error = err.message || String(resp.status); }
            return x;
          }));
          return true;
        });
      }
      throw new Error("HTTP " + resp.status);
    }).then(function (goOn) {
      flushing = false;
      showQueue();
      if (goOn !== false) { flush(); }
    }).catch(function () {
      flushing = false;
      showQueue();
      flushTimer = window.setTimeout(flush, 5000);
    });
  }
  function enqueue() {
    var body = JSON.parse(payload());
    delete body.started;
    body.outlet = parseInt(form.getAttribute("data-outlet"), 10);
    body.started_at = startedAt;
    body.completed_at = new Date().toISOString();
    var q = queue();
    q.push({ body: body, outlet_name: form.getAttribute("data-outlet-name"), at: Date.now() });
    store.set(queueKey, q);
    if (queue().length !== q.length) {  // the device would not keep it: send it the plain way
      form.submit();
      return;
    }
    // the next customer starts on a blank form with a client_id of its own
    fields().forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") { el.checked = false; } else { el.value = ""; }
    });
    qs.forEach(function (fs) { var t = fs.querySelector("textarea"); if (t) { t.value = ""; } });
    if (form.elements.confirm_few) { form.elements.confirm_few.parentNode.removeChild(form.elements.confirm_few); }
    cid.value = newClientId();
    startedAt = new Date().toISOString();
    applyConditions();  // the previous customer's follow-ups go with their answers
    save();
    progress();
    showQueue();
    document.getElementById("queue-status").textContent =
      msg("queued", "").replace("{n}", q.length) + " " + document.getElementById("queue-status").textContent;
    window.scrollTo(0, 0);
    flush();
  }
  if (queueKey) {
    showQueue();
    flush();
    window.addEventListener("online", flush);
  }

  form.addEventListener("submit", function (ev) {
    if (!validate()) { ev.preventDefault(); return; }
    if (!confirmFew()) { ev.preventDefault(); return; }
    if (queueKey && window.fetch && window.JSON) { ev.preventDefault(); enqueue(); return; }
    save();
    if (!form.getAttribute("data-endpoint") || !window.fetch) { return; }  // plain form POST
    ev.preventDefault();
    button.disabled = true;
    formError("");
    setStatus(msg("sending", "正在提交…"), false);
    send(0);
  });
})();
