// The knowledge editor. Every text from the base or from subscribers is put into the page as text.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var me = null, current = null, isNew = false, groups = [], revisionShown = null;
  var ACTIONS = ["balance", "remaining", "tariff", "change_tariff", "promised_payment", "buy_package", "services",
    "connect_service", "disconnect_service", "expenses", "call_details", "autopay", "top_up", "block_sim", "feedback", "diagnose"];

  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }

  function api(method, url, body) {
    var opts = {method: method, credentials: "same-origin", headers: {}};
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    if (method !== "GET") opts.headers["X-CSRF-Token"] = me.csrf;
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { data._status = r.status; return data; });
    });
  }

  ACTIONS.forEach(function (a) { var o = el("option", a); o.value = a; $("f-action").appendChild(o); });

  function showTab(name) {
    document.querySelectorAll("#tabs button").forEach(function (b) { b.classList.toggle("active", b.dataset.tab === name); });
    document.querySelectorAll(".tab").forEach(function (s) { s.hidden = s.id !== "tab-" + name; });
    if (name === "unanswered") loadUnanswered();
    if (name === "revisions") loadRevisions();
  }
  document.querySelectorAll("#tabs button").forEach(function (b) { b.addEventListener("click", function () { showTab(b.dataset.tab); }); });

  function loadList() {
    var q = new URLSearchParams({q: $("search").value, group: $("group-filter").value, lang: $("lang-filter").value,
      retired: $("show-retired").checked ? "1" : "0"});
    api("GET", "/api/kb/entries?" + q).then(function (data) {
      var list = $("entries"); clear(list);
      if (!groups.length) {
        groups = data.groups;
        groups.forEach(function (g) { var o = el("option", g); o.value = g; $("group-filter").appendChild(o); $("groups").appendChild(el("option", null)).value = g; });
      }
      data.entries.forEach(function (e) {
        var li = el("li", null, e.retired ? "retired" : "");
        li.dataset.id = e.id;
        li.appendChild(el("div", e.title.ru + " / " + e.title.en));
        li.appendChild(el("div", e.id + " · " + e.group + " · " + e.examples.ru + "+" + e.examples.en + " examples" + (e.action ? " · action " + e.action : "") + (e.retired ? " · retired" : ""), "meta"));
        li.addEventListener("click", function () { openEntry(e.id); });
        list.appendChild(li);
      });
    });
  }
  var searchTimer = null;
  ["search", "group-filter", "lang-filter", "show-retired"].forEach(function (id) {
    $(id).addEventListener(id === "search" ? "input" : "change", function () { clearTimeout(searchTimer); searchTimer = setTimeout(loadList, 200); });
  });

  function fill(entry, retired) {
    current = entry;
    $("entry-form").hidden = false;
    $("entry-heading").textContent = isNew ? "New entry" : entry.id;
    $("retired-note").hidden = !retired;
    $("f-id").value = entry.id || ""; $("f-id").readOnly = !isNew;
    $("f-group").value = entry.group || "";
    $("f-title-ru").value = entry.title ? entry.title.ru : ""; $("f-title-en").value = entry.title ? entry.title.en : "";
    $("f-examples-ru").value = (entry.examples ? entry.examples.ru : []).join("\n");
    $("f-examples-en").value = (entry.examples ? entry.examples.en : []).join("\n");
    $("f-answer-ru").value = entry.answer ? entry.answer.ru : ""; $("f-answer-en").value = entry.answer ? entry.answer.en : "";
    $("f-followups").value = (entry.followups || []).join(", ");
    $("f-buttons").value = (entry.buttons || []).map(function (b) { return b.title.ru + " | " + b.title.en + " | " + b.payload; }).join("\n");
    $("f-compute").value = entry.compute || ""; $("f-action").value = entry.action || "";
    $("f-slots").value = Object.keys(entry.slots || {}).map(function (k) { return k + "=" + entry.slots[k]; }).join(", ");
    $("f-handoff").checked = !!entry.handoff;
    $("errors").textContent = ""; $("conflicts").hidden = true; $("saved").textContent = ""; $("save-anyway").hidden = true;
    $("retire").hidden = isNew || retired;
    document.querySelectorAll("#entries li").forEach(function (li) { li.classList.toggle("current", li.dataset.id === entry.id); });
    preview();
  }

  function openEntry(id) {
    isNew = false;
    api("GET", "/api/kb/entries/" + encodeURIComponent(id)).then(function (data) { fill(data.entry, data.retired); });
  }

  $("new-entry").addEventListener("click", function () { isNew = true; fill({examples: {ru: [], en: []}}, false); });

  function lines(id) { return $(id).value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean); }

  function draft() {
    var entry = {id: $("f-id").value.trim(), group: $("f-group").value.trim(),
      title: {ru: $("f-title-ru").value, en: $("f-title-en").value},
      examples: {ru: lines("f-examples-ru"), en: lines("f-examples-en")},
      answer: {ru: $("f-answer-ru").value, en: $("f-answer-en").value},
      followups: $("f-followups").value.split(",").map(function (s) { return s.trim(); }).filter(Boolean),
      buttons: lines("f-buttons").map(function (l) { var p = l.split("|").map(function (s) { return s.trim(); }); return {title: {ru: p[0] || "", en: p[1] || ""}, payload: p[2] || ""}; }),
      handoff: $("f-handoff").checked};
    if ($("f-compute").value) entry.compute = $("f-compute").value;
    if ($("f-action").value) entry.action = $("f-action").value;
    var slots = {};
    $("f-slots").value.split(",").map(function (s) { return s.trim(); }).filter(Boolean).forEach(function (pair) {
      var kv = pair.split("="); slots[kv[0].trim()] = (kv[1] || "").trim();
    });
    if (Object.keys(slots).length) entry.slots = slots;
    return entry;
  }

  function showErrors(list) { $("errors").textContent = (list || []).join("\n"); }

  function pct(x) { return Math.round(100 * x) + "%"; }
  function clashText(c) {
    // "better_elsewhere": an example of this entry is understood as another entry
    if (c.kind === "better_elsewhere") {
      return "The example «" + c.example + "» of this entry would be answered with «" + c.other + "» (" +
        pct(c.other_score) + " sure) " + (c.score > 0.005 ? "rather than with this entry (" + pct(c.score) + ")." :
        "— this entry does not match it at all. Add similar examples here or reword it.");
    }
    return "The example «" + c.example + "» of «" + c.other + "» would now be answered with this entry (" +
      pct(c.score) + " sure) instead of its own (" + pct(c.other_score) + "). Make the examples more distinct.";
  }
  function showConflicts(conflicts) {
    var box = $("conflict-list"); clear(box);
    conflicts.forEach(function (c) { box.appendChild(el("li", clashText(c))); });
    $("conflicts").hidden = !conflicts.length;
  }

  var previewTimer = null;
  function preview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      var lang = document.querySelector("input[name=pl]:checked").value;
      api("POST", "/api/kb/preview", {entry: draft(), lang: lang}).then(function (data) {
        if (data._status !== 200) { $("preview-text").textContent = (data.errors || []).join("\n"); clear($("preview-buttons")); return; }
        window.SBMarkdown.render($("preview-text"), data.text);  // as the chat and the console show it
        var box = $("preview-buttons"); clear(box);
        data.buttons.forEach(function (t) { box.appendChild(el("button", t)); });
      });
    }, 300);
  }
  document.querySelectorAll("#entry-form input, #entry-form textarea, #entry-form select").forEach(function (f) { f.addEventListener("input", preview); });

  $("check").addEventListener("click", function () {
    showErrors([]); $("saved").textContent = "Checking…";
    api("POST", "/api/kb/check", {entry: draft()}).then(function (data) {
      $("saved").textContent = data._status === 200 && !data.conflicts.length ? "No clashes." : "";
      showErrors(data.errors); showConflicts(data.conflicts || []);
    });
  });

  function save(confirm) {
    showErrors([]); $("saved").textContent = "Saving…"; $("save-anyway").hidden = true;
    api("POST", "/api/kb/save", {entry: draft(), new: isNew, confirm: confirm, message: $("f-message").value}).then(function (data) {
      $("saved").textContent = "";
      if (data._status === 409) { showConflicts(data.conflicts); $("save-anyway").hidden = false; return; }
      if (data._status !== 200) { showErrors(data.errors || [data.error]); return; }
      showConflicts([]);
      $("saved").textContent = "Saved: revision " + data.revision + ". The bot answers with it now.";
      isNew = false; $("f-id").readOnly = true; $("f-message").value = "";
      loadList();
    });
  }
  $("entry-form").addEventListener("submit", function (ev) { ev.preventDefault(); save(false); });
  $("save-anyway").addEventListener("click", function () { save(true); });
  $("retire").addEventListener("click", function () {
    api("POST", "/api/kb/retire", {id: current.id}).then(function (data) {
      if (data._status !== 200) { showErrors(data.errors); return; }
      $("saved").textContent = "Retired (revision " + data.revision + ")."; loadList();
    });
  });

  $("test").addEventListener("click", function () {
    api("POST", "/api/kb/test", {text: $("test-text").value}).then(function (data) {
      if (data._status !== 200) { $("test-result").textContent = (data.errors || []).join("\n"); return; }
      $("test-result").textContent = (data.entry ? "→ " + data.entry + " (" + data.title + ")" + (data.action ? " · starts action " + data.action : "") + "\n\n" + (data.answer || "") : "→ not understood (fallback)") + "\n\n" + data.explain;
      $("test-result").dataset.entry = data.entry || "";
    });
  });
  $("test-text").addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); $("test").click(); } });

  function loadRevisions() {
    api("GET", "/api/kb/revisions").then(function (data) {
      var list = $("revisions"); clear(list);
      data.revisions.forEach(function (r) {
        var li = el("li"); li.dataset.id = r.id;
        li.appendChild(el("div", "#" + r.id + " · " + r.created_at.slice(0, 16).replace("T", " ") + " · " + r.author));
        li.appendChild(el("div", r.message + " — " + r.entries.join(", "), "meta"));
        li.addEventListener("click", function () { showDiff(r.id); });
        list.appendChild(li);
      });
    });
  }
  function showDiff(id) {
    api("GET", "/api/kb/revisions/" + id).then(function (data) {
      revisionShown = id;
      $("diff-title").textContent = "Revision #" + id + " by " + data.author + ": " + data.message;
      $("diff").textContent = data.diffs.map(function (d) { return d.diff; }).join("\n\n");
      $("rollback").hidden = false;
    });
  }
  $("rollback").addEventListener("click", function () {
    api("POST", "/api/kb/revisions/" + revisionShown + "/rollback").then(function (data) {
      if (data._status !== 200) { $("diff-title").textContent = (data.errors || []).join("\n"); return; }
      $("diff-title").textContent = "Rolled back: new revision " + data.revision; loadRevisions(); loadList();
    });
  });

  function loadUnanswered() {
    api("GET", "/api/kb/unanswered").then(function (data) {
      var list = $("unanswered"); clear(list);
      $("unanswered-count").textContent = data.groups.length || "";
      data.groups.forEach(function (g) {
        var li = el("li"); li.dataset.key = g.key;
        li.appendChild(el("div", g.count + " × " + g.texts[0]));
        if (g.texts.length > 1) li.appendChild(el("div", "also: " + g.texts.slice(1).join(" · "), "meta"));
        li.appendChild(el("div", "bot said: " + g.bot_said + (g.went_to_operator ? " · went to an operator: " + g.went_to_operator : "") + " · " + g.channels.join(", "), "meta"));
        var row = el("div", null, "row");
        var select = el("select"); select.setAttribute("aria-label", "The entry to add it to");
        api("GET", "/api/kb/entries").then(function (d) {
          d.entries.forEach(function (e) { var o = el("option", e.id + " — " + e.title.ru); o.value = e.id; select.appendChild(o); });
          if (g.suggestion) select.value = g.suggestion.entry;
        });
        var add = el("button", "Add as example"); add.type = "button"; add.className = "add-example";
        add.addEventListener("click", function () {
          api("POST", "/api/kb/unanswered/resolve", {turn_ids: g.turn_ids, entry_id: select.value, text: g.texts[0], lang: g.langs[0] || "ru"})
            .then(function (r) { if (r._status === 200) { li.remove(); $("unanswered-count").textContent = list.children.length || ""; } else { alert((r.errors || []).join("\n")); } });
        });
        var fresh = el("button", "New entry"); fresh.type = "button";
        fresh.addEventListener("click", function () {
          showTab("entries"); isNew = true;
          var ex = {ru: [], en: []}; ex[g.langs[0] || "ru"] = g.texts.slice();
          fill({examples: ex}, false);
        });
        row.appendChild(select); row.appendChild(add); row.appendChild(fresh);
        li.appendChild(row);
        list.appendChild(li);
      });
    });
  }

  fetch("/api/console/me", {credentials: "same-origin"}).then(function (r) {
    if (r.status === 401) { location.href = "/console/login"; throw new Error("not signed in"); }
    return r.json();
  }).then(function (data) {
    me = data; $("me").textContent = me.name + " (" + me.role + ")"; $("logout-csrf").value = me.csrf;
    loadList(); loadUnanswered();
    document.body.dataset.ready = "1";
  });
})();
