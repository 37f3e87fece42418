// The agent console: one WebSocket for actions and live updates. Subscriber text is always text,
// never HTML (md.js renders the bot's and agents' Markdown as DOM nodes). Replies carry a client
// id, stay on the page until the server acknowledges them and are sent again after a reconnect.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var ws = null, me = null, seq = 0, waiting = {}, current = null, queue = [], retry = 500, agents = [], reconnectTimer = null;
  var canned = [], options = {regions: {}, topics: {}}, suggestions = [], seenWaiting = null, seenMine = null, taking = 0, alerts = false;
  var unsentKey = "sb_console_unsent", unsent = [], typingSent = 0, typingTimer = null;

  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function ago(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return (h ? h + " h " : "") + (h || m ? m + " min " : "") + (h ? "" : s + " s");
  }
  function localTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return d.toLocaleString("en-GB", {day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short"});
  }
  function newId() { return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12); }
  var CHANNELS = {web: "Web chat", telegram: "Telegram", vk: "VK", viber: "Viber", "web-form": "Form"};
  var LANGS = {ru: "Russian", en: "English"};

  function request(op, data) {
    return new Promise(function (resolve, reject) {
      if (!ws || ws.readyState !== 1) { reject("offline: not connected to the server"); return; }
      var id = ++seq;
      waiting[id] = {resolve: resolve, reject: reject};
      ws.send(JSON.stringify(Object.assign({id: id, op: op}, data || {})));
    });
  }

  // -- tabs ------------------------------------------------------------------------------------
  function showTab(name) {
    document.querySelectorAll("#tabs button").forEach(function (b) {
      var on = b.dataset.tab === name;
      b.classList.toggle("active", on);
      if (on) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
    });
    document.querySelectorAll(".tab").forEach(function (s) { s.hidden = s.id !== "tab-" + name; });
    if (name === "tickets") loadTickets();
    if (name === "ratings") loadRatings();
    if (name === "agents") loadAgents();
    if (name === "canned") renderCannedTable();
    if (name === "search") $("search-q").focus();
  }
  document.querySelectorAll("#tabs button").forEach(function (b) { b.addEventListener("click", function () { showTab(b.dataset.tab); }); });

  // -- alerts: sound, tab title, desktop notification ----------------------------------------------
  var baseTitle = document.title;
  function beep() {
    try {
      var ctx = beep.ctx || (beep.ctx = new (window.AudioContext || window.webkitAudioContext)());
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.18);
    } catch (e) { /* no audio */ }
  }
  function alert(title, body) {
    document.body.dataset.alerts = String((parseInt(document.body.dataset.alerts || "0", 10)) + 1);
    if (!alerts) return;
    beep();
    if (document.hidden && window.Notification && Notification.permission === "granted") {
      try { new Notification(title, {body: body}); } catch (e) { /* not allowed here */ }
    }
  }
  function updateTitle() {
    var n = queue.filter(function (i) { return i.status === "waiting"; }).length;
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
  }
  $("alerts").addEventListener("click", function () {
    alerts = !alerts;
    $("alerts").textContent = alerts ? "Alerts on" : "Alerts off";
    $("alerts").setAttribute("aria-pressed", alerts ? "true" : "false");
    try { localStorage.setItem("sb_console_alerts", alerts ? "1" : "0"); } catch (e) { /* ignore */ }
    if (alerts && window.Notification && Notification.permission === "default") Notification.requestPermission();
    if (alerts) beep();
  });

  // -- the queue -------------------------------------------------------------------------------
  function who(item) {
    if (item.subscriber) return item.subscriber.name;
    if (item.name) return item.name;
    return (CHANNELS[item.channel] || item.channel) + " visitor";
  }
  function waitClass(seconds) { return seconds >= 300 ? "wait wait-long" : seconds >= 120 ? "wait wait-warn" : "wait wait-ok"; }

  function renderQueue(items) {
    var now = Date.now();
    queue = items;
    var list = $("queue"); clear(list);
    var waitingNow = items.filter(function (i) { return i.status === "waiting"; });
    $("queue-count").textContent = waitingNow.length;
    $("queue-empty").hidden = items.length > 0;
    if (seenWaiting !== null) {
      waitingNow.forEach(function (i) { if (!seenWaiting[i.handoff_id]) alert("New conversation waiting", who(i) + ": " + (i.preview || "")); });
    }
    seenWaiting = {};
    waitingNow.forEach(function (i) { seenWaiting[i.handoff_id] = true; });
    // given to me by the queue (auto): said, and opened when I am not in another conversation
    items.filter(function (i) { return me && i.status === "assigned" && i.agent_id === me.id; }).forEach(function (i) {
      if (seenMine === null || seenMine[i.handoff_id] || taking) return;  // not when I took it myself
      alert("A conversation was given to you", who(i) + ": " + (i.preview || ""));
      if (!current || $("actions").hidden) openConversation(i.conversation_id).then(function () { $("reply").focus(); });
    });
    if (seenMine === null) seenMine = {};
    items.forEach(function (i) { if (me && i.agent_id === me.id) seenMine[i.handoff_id] = true; });
    updateTitle();
    items.forEach(function (item) {
      var li = el("li", null, item.status);
      li.dataset.conversation = item.conversation_id;
      li.dataset.handoff = item.handoff_id;
      li.tabIndex = 0;  // Enter opens it
      var head = el("div");
      if (item.status === "waiting") head.appendChild(el("span", "#" + item.position + " "));
      head.appendChild(el("span", who(item), "name"));
      if (item.subscriber) head.appendChild(el("span", " " + item.subscriber.phone, "phone"));
      li.appendChild(head);
      li.appendChild(el("div", item.preview, "preview"));
      var meta = el("div", null, "meta");
      meta.appendChild(el("span", (CHANNELS[item.channel] || item.channel) + " · " + (LANGS[item.lang] || item.lang) + " · "));
      var timer = el("span", ago(item.waiting_seconds), waitClass(item.waiting_seconds));
      timer.dataset.since = String(now - item.waiting_seconds * 1000);
      meta.appendChild(timer);
      meta.appendChild(el("span", item.agent_name ? " · " + item.agent_name : " · waiting"));
      li.appendChild(meta);
      if (item.labels && item.labels.length) {
        var chips = el("div");
        item.labels.forEach(function (l) { chips.appendChild(el("span", l, "chip")); });
        li.appendChild(chips);
      }
      if (current && current.conversation.id === item.conversation_id) li.setAttribute("aria-current", "true");
      var open = function () { openConversation(item.conversation_id); };
      li.addEventListener("click", open);
      li.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); open(); } });
      list.appendChild(li);
    });
    var mine = items.filter(function (i) { return me && i.agent_id === me.id; }).length;
    $("my-load").textContent = me ? "Open with you: " + mine + (me.max_open ? " of " + me.max_open : "") : "";
  }
  setInterval(function () {  // the waiting times tick
    var now = Date.now();
    document.querySelectorAll("#queue .wait").forEach(function (t) {
      var seconds = (now - parseInt(t.dataset.since, 10)) / 1000;
      t.textContent = ago(seconds);
      t.className = waitClass(seconds);
    });
  }, 1000);

  // -- one conversation ------------------------------------------------------------------------
  function renderMessage(m, box) {
    box = box || $("transcript");
    var label = {"in": "Subscriber", "out": "Bot", "agent": m.author || "Operator", "system": "System"}[m.direction] || m.direction;
    var existing = m.client_id ? box.querySelector("li[data-cid='" + m.client_id + "']") : null;
    if (existing) { existing.dataset.id = m.id; existing.dataset.state = "sent"; return; }
    if (m.id && box.querySelector("li[data-id='" + m.id + "']")) return;
    var li = el("li", null, m.direction);
    if (m.id) li.dataset.id = m.id;
    if (m.client_id) li.dataset.cid = m.client_id;
    if (m.id && m.direction === "agent") li.dataset.state = "sent";  // stored
    var w = el("span", label, "who");
    if (m.at) { var t = el("time", " · " + localTime(m.at)); t.dateTime = m.at; w.appendChild(t); }
    li.appendChild(w);
    var text = el("div", null, "text");
    window.SBMarkdown.render(text, m.text, m.direction === "in");
    li.appendChild(text);
    box.appendChild(li);
    box.scrollTop = box.scrollHeight;
    return li;
  }

  var PROBLEMS = {internet: "no mobile internet", slow_internet: "slow internet", calls: "can't make calls",
    sms: "texts don't go out", money: "where did the money go", blocked: "number blocked"};
  var CAUSES = {blocked: "SIM blocked", balance: "not enough money", allowance: "allowance used up",
    service_off: "service switched off", incident: "known problem on the line", charges: "expenses shown",
    none: "nothing found on the account — handed to an operator"};
  var CHECKS = {sim: "SIM", balance: "Balance", allowance: "Allowance", service: "Service", incident: "Line in region",
    expenses: "Expenses"};

  function renderDiagnosis(d) {
    var box = $("diagnosis");
    box.hidden = !d;
    clear($("diagnosis-checks"));
    if (!d) return;
    $("diagnosis-summary").textContent = "Problem: " + (PROBLEMS[d.problem] || d.problem) + " · Found: " +
      (CAUSES[d.cause] || d.cause) + (d.fixed_by ? " · fixed by " + d.fixed_by : "");
    d.checks.forEach(function (c) {
      $("diagnosis-checks").appendChild(el("li", (c.ok ? "✓ " : "✗ ") + (CHECKS[c.check] || c.check) + ": " + c.detail,
        c.ok ? "ok" : "failed"));
    });
  }

  function renderLabels(labels, all) {
    var box = $("labels"); clear(box);
    labels.forEach(function (l) {
      var chip = el("span", l, "chip");
      var x = el("button", "×"); x.type = "button"; x.setAttribute("aria-label", "Remove the label " + l);
      x.addEventListener("click", function () { label(l, false); });
      chip.appendChild(x); box.appendChild(chip);
    });
    if (all) { var dl = $("label-options"); clear(dl); all.forEach(function (l) { var o = el("option"); o.value = l; dl.appendChild(o); }); }
  }
  function label(name, on) {
    request("label", {conversation_id: current.conversation.id, label: name, on: on})
      .then(function (d) { renderLabels(d.labels); }).catch(convError);
  }
  $("label-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var name = $("label-input").value.trim(); if (!name) return;
    label(name, true); $("label-input").value = "";
  });

  function renderNotes(notes) {
    var box = $("notes"); clear(box);
    notes.forEach(function (n) {
      var li = el("li");
      li.appendChild(el("span", (n.author || "Agent") + " · " + localTime(n.at) + ": ", "meta"));
      li.appendChild(el("span", n.text, "text"));
      box.appendChild(li);
    });
  }
  $("note-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("note").value.trim(); if (!text) return;
    request("note", {conversation_id: current.conversation.id, text: text})
      .then(function (d) { renderNotes(d.notes); $("note").value = ""; }).catch(convError);
  });

  function renderEarlier(list) {
    $("earlier-box").hidden = !list.length;
    $("earlier-title").textContent = "Earlier conversations of this subscriber (" + list.length + ")";
    var box = $("earlier"); clear(box);
    $("earlier-transcript").hidden = true;
    list.forEach(function (c) {
      var li = el("li");
      var b = el("button", (CHANNELS[c.channel] || c.channel) + " · " + localTime(c.updated_at) + " · " + (c.preview || "—"));
      b.type = "button"; b.className = "plain-link";
      b.dataset.conversation = c.id;
      b.addEventListener("click", function () {
        request("earlier_transcript", {conversation_id: c.id, of: current.conversation.id}).then(function (d) {
          var t = $("earlier-transcript"); clear(t); t.hidden = false;
          d.messages.forEach(function (m) { renderMessage(m, t); });
        }).catch(convError);
      });
      li.appendChild(b); box.appendChild(li);
    });
  }

  function renderSuggestions(list) {
    suggestions = list;
    $("assist").hidden = !list.length || $("actions").hidden;
    var box = $("suggestions"); clear(box);
    list.forEach(function (s, i) {
      var li = el("li");
      var b = el("button", "Insert"); b.type = "button"; b.dataset.entry = s.entry_id;
      b.setAttribute("aria-label", "Insert the answer " + s.title + " (Alt+" + (i + 1) + ")");
      b.addEventListener("click", function () { useSuggestion(s); });
      var info = el("div");
      info.appendChild(el("div", s.title, "title"));
      var plain = s.text.replace(/\*\*([^*]+)\*\*/g, "$1").replace(/\[([^\]]+)\]\([^)]+\)/g, "$1").replace(/\n+\s*[-•]\s*/g, " · ");
      info.appendChild(el("div", plain.length > 160 ? plain.slice(0, 160) + "…" : plain, "snippet"));
      li.appendChild(b); li.appendChild(info); box.appendChild(li);
    });
  }
  function useSuggestion(s) {
    var reply = $("reply");
    reply.value = reply.value.trim() ? reply.value.replace(/\s*$/, "\n\n") + s.text : s.text;
    reply.focus();
    reply.setSelectionRange(reply.value.length, reply.value.length);
    request("assist_used", {conversation_id: current.conversation.id, entry_id: s.entry_id}).catch(convError);
  }
  function suggest(draft) {
    if (!current || $("actions").hidden) { renderSuggestions([]); return; }
    request("suggest", {conversation_id: current.conversation.id, draft: draft || ""}).then(function (d) { renderSuggestions(d.suggestions); })
      .catch(function () { renderSuggestions([]); });
  }
  var draftTimer = null;

  function convError(e) { $("conv-error").textContent = String(e); }

  function openConversation(id) {
    return request("open", {conversation_id: id}).then(function (data) {
      var switched = !current || current.conversation.id !== id;
      current = data;
      $("conversation").hidden = false;
      var c = data.conversation;
      $("conv-title").textContent = "Conversation #" + id + " · " + (CHANNELS[c.channel] || c.channel) + " · " + (LANGS[c.lang] || c.lang);
      clear($("transcript"));
      data.messages.forEach(function (m) { renderMessage(m); });
      unsent.filter(function (u) { return u.conversation_id === id; }).forEach(function (u) {
        var li = renderMessage({direction: "agent", author: me.name, text: u.text, client_id: u.id});
        if (li) li.dataset.state = "sending";
      });
      var acc = data.account;
      $("account").textContent = acc ? (acc.name + " " + acc.phone + "\nBalance: " + (acc.balance / 100).toFixed(2) + " ₽ · Tariff: " +
        acc.tariff + (acc.blocked ? " · SIM BLOCKED" : "") + "\nLeft: " + acc.remaining.minutes + " min, " + acc.remaining.sms +
        " SMS, " + acc.remaining.gb + " GB\nServices: " + acc.services.join(", ")) : "Not logged in";
      renderDiagnosis(data.diagnosis);
      var mine = data.mine && data.handoff && data.handoff.status === "assigned";
      $("actions").hidden = !mine;
      $("take-box").hidden = !(data.handoff && data.handoff.status === "waiting");
      $("conv-error").textContent = "";
      $("sub-typing").textContent = "";
      fillCanned(c.lang);
      if (switched) $("reply").value = "";
      document.querySelectorAll("#queue li").forEach(function (li) {
        if (String(li.dataset.conversation) === String(id)) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
      });
      return request("details", {conversation_id: id}).then(function (d) {
        var name = d.subscriber ? d.subscriber.name + " · " + d.subscriber.phone + " (verified)" : (d.name || (CHANNELS[d.channel] || d.channel) + " visitor, not logged in");
        $("conv-who").textContent = name + " · " + (CHANNELS[d.channel] || d.channel) + " · " + (LANGS[d.lang] || d.lang);
        renderLabels(d.labels, d.all_labels);
        renderNotes(d.notes);
        renderEarlier(d.earlier);
        suggest();
      });
    }).catch(convError);
  }

  function act(op, data) {
    $("conv-error").textContent = "";
    return request(op, Object.assign({conversation_id: current.conversation.id}, data || {}))
      .then(function () { return openConversation(current.conversation.id); })
      .catch(convError);
  }

  function done() { taking = Math.max(0, taking - 1); }
  $("take").addEventListener("click", function () {
    taking += 1;
    var handoff = current.handoff.id;
    request("take", {handoff_id: handoff}).then(function () { if (seenMine) seenMine[handoff] = true; done(); openConversation(current.conversation.id); $("reply").focus(); })
      .catch(function (e) { done(); convError(e); });
  });
  function takeNext() {
    taking += 1;
    request("next").then(function (d) { if (seenMine) seenMine[d.handoff_id] = true; done(); showTab("queue"); return openConversation(d.conversation_id); }).then(function () { $("reply").focus(); })
      .catch(function (e) { done(); $("conv-error").textContent = String(e); $("my-load").textContent = String(e); });
  }
  $("next").addEventListener("click", takeNext);

  // replies: kept until acknowledged, sent again after a reconnect with the same client id
  function saveUnsent() { try { localStorage.setItem(unsentKey, JSON.stringify(unsent)); } catch (e) { /* memory only */ } }
  function sendReply(item) {
    request("reply", {conversation_id: item.conversation_id, text: item.text, client_id: item.id}).then(function (d) {
      unsent = unsent.filter(function (u) { return u.id !== item.id; }); saveUnsent();
      var li = document.querySelector("#transcript li[data-cid='" + item.id + "']");
      if (li) { li.dataset.state = "sent"; li.dataset.id = d.message_id; }
    }).catch(function (e) {
      var li = document.querySelector("#transcript li[data-cid='" + item.id + "']");
      if (li) li.dataset.state = "sending";
      $("conv-error").textContent = String(e).indexOf("offline") === 0 ? "Offline: the reply is kept here and will be sent when the connection is back." : String(e);
      if (String(e).indexOf("offline") !== 0 && !/storage_unavailable|database/.test(String(e))) {
        unsent = unsent.filter(function (u) { return u.id !== item.id; }); saveUnsent();
        if (li) li.dataset.state = "failed";
      }
    });
  }
  $("send").addEventListener("click", function () {
    var text = $("reply").value.trim(); if (!text || !current) return;
    var item = {id: newId(), conversation_id: current.conversation.id, text: text};
    unsent.push(item); saveUnsent();
    var li = renderMessage({direction: "agent", author: me.name, text: text, client_id: item.id, at: new Date().toISOString()});
    if (li) li.dataset.state = "sending";
    $("reply").value = "";
    $("conv-error").textContent = "";
    sendReply(item);
  });
  $("reply").addEventListener("keydown", function (ev) { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); $("send").click(); } });
  $("reply").addEventListener("input", function () {
    clearTimeout(draftTimer);  // while the agent types: suggestions for what they are writing too
    draftTimer = setTimeout(function () { suggest($("reply").value); }, 700);
    var now = Date.now();
    if (current && now - typingSent > 2000) {
      typingSent = now;
      request("typing", {conversation_id: current.conversation.id, on: true}).catch(function () {});
    }
  });
  $("return").addEventListener("click", function () { act("return"); });
  $("close").addEventListener("click", function () { act("close", {resolution: $("resolution").value}).then(function () { $("resolution").value = ""; }); });
  $("transfer").addEventListener("click", function () { var to = parseInt($("transfer-to").value, 10); if (to) act("transfer", {agent_id: to}); });

  // canned replies in the conversation's language
  function fillCanned(lang) {
    var select = $("canned"); while (select.options.length > 1) select.remove(1);
    canned.filter(function (r) { return r.lang === lang; }).forEach(function (r) { var o = el("option", r.title); o.value = r.id; o.dataset.text = r.text; select.appendChild(o); });
  }
  $("canned").addEventListener("change", function () {
    var option = $("canned").selectedOptions[0];
    if (option && option.dataset.text) { $("reply").value = option.dataset.text; $("reply").focus(); }
    $("canned").value = "";
  });
  function loadCanned() {
    return request("canned_list").then(function (d) { canned = d.replies; if (current) fillCanned(current.conversation.lang); renderCannedTable(); });
  }
  function renderCannedTable() {
    var body = $("canned-table").tBodies[0]; clear(body);
    canned.forEach(function (r) {
      var tr = el("tr");
      [LANGS[r.lang] || r.lang, r.title, r.text].forEach(function (v) { tr.appendChild(el("td", v)); });
      var td = el("td");
      var edit = el("button", "Edit"); edit.type = "button"; edit.setAttribute("aria-label", "Edit " + r.title + " (" + r.lang + ")");
      edit.addEventListener("click", function () { var f = $("canned-form"); f.canned_id.value = r.id; f.lang.value = r.lang; f.title.value = r.title; f.text.value = r.text; f.title.focus(); });
      var del = el("button", "Delete"); del.type = "button"; del.setAttribute("aria-label", "Delete " + r.title + " (" + r.lang + ")");
      del.addEventListener("click", function () { request("canned_delete", {canned_id: r.id}).then(function (d) { canned = d.replies; renderCannedTable(); }).catch(function (e) { $("canned-error").textContent = e; }); });
      td.appendChild(edit); td.appendChild(del); tr.appendChild(td); body.appendChild(tr);
    });
  }
  $("canned-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target, data = {lang: f.lang.value, title: f.title.value, text: f.text.value};
    if (f.canned_id.value) data.canned_id = parseInt(f.canned_id.value, 10);
    request("canned_save", data).then(function (d) { canned = d.replies; renderCannedTable(); f.reset(); f.canned_id.value = ""; $("canned-error").textContent = ""; })
      .catch(function (e) { $("canned-error").textContent = e; });
  });

  // -- tickets -----------------------------------------------------------------------------------
  function loadTickets() {
    request("tickets").then(function (data) {
      var list = $("tickets"); clear(list);
      $("tickets-count").textContent = data.tickets.filter(function (t) { return t.status === "open"; }).length || "";
      data.tickets.forEach(function (t) {
        var li = el("li");
        li.dataset.number = t.number;
        var head = el("div", t.number + " · " + localTime(t.created_at) + " · " + t.status);
        if (t.overdue) head.appendChild(el("span", " · OVERDUE", "overdue"));
        li.appendChild(head);
        li.appendChild(el("div", t.name + " " + t.phone + (t.email ? " · " + t.email : "") + " · " +
          (options.regions[t.region] || t.region) + " · " + (options.topics[t.topic] || t.topic), "meta"));
        li.appendChild(el("div", t.description, "text"));
        if (t.status === "open") {
          var id = "answer-" + t.id;
          var lab = el("label", "Answer to " + t.name + " (sent by e-mail and SMS)"); lab.htmlFor = id;
          var area = el("textarea"); area.id = id; area.rows = 5; area.maxLength = 4000;
          var btn = el("button", "Send answer"); btn.type = "button"; btn.className = "primary";
          var err = el("p", "", "error"); err.setAttribute("role", "alert");
          btn.addEventListener("click", function () {
            request("answer_ticket", {ticket_id: t.id, text: area.value}).then(loadTickets).catch(function (e) { err.textContent = e; });
          });
          li.appendChild(lab); li.appendChild(area); li.appendChild(btn); li.appendChild(err);
        } else if (t.answer) { li.appendChild(el("div", "Answer: " + t.answer, "meta")); }
        list.appendChild(li);
      });
    });
  }
  function countTickets() {
    request("tickets").then(function (d) { $("tickets-count").textContent = d.tickets.filter(function (t) { return t.status === "open"; }).length || ""; });
  }

  // -- search ------------------------------------------------------------------------------------
  $("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = $("search-q").value.trim();
    request("search", {q: q}).then(function (d) {
      var convs = $("search-conversations"); clear(convs);
      d.conversations.forEach(function (c) {
        var li = el("li"); li.tabIndex = 0; li.dataset.conversation = c.id;
        li.appendChild(el("div", "#" + c.id + " · " + (CHANNELS[c.channel] || c.channel) + " · " + (c.display_name || "") + " · " + localTime(c.at), "meta"));
        li.appendChild(el("div", c.text, "text"));
        var open = function () { showTab("queue"); openConversation(c.id); };
        li.addEventListener("click", open);
        li.addEventListener("keydown", function (e) { if (e.key === "Enter") open(); });
        convs.appendChild(li);
      });
      if (!d.conversations.length) convs.appendChild(el("li", "No conversations found.", "meta"));
      var tickets = $("search-tickets"); clear(tickets);
      d.tickets.forEach(function (t) {
        var li = el("li"); li.dataset.number = t.number;
        li.appendChild(el("div", t.number + " · " + t.name + " " + t.phone + " · " + t.status + " · " + localTime(t.created_at), "meta"));
        li.appendChild(el("div", t.description, "text"));
        tickets.appendChild(li);
      });
      if (!d.tickets.length) tickets.appendChild(el("li", "No tickets found.", "meta"));
    }).catch(function (e) { clear($("search-conversations")); $("search-conversations").appendChild(el("li", String(e), "error")); });
  });

  // -- ratings and agents ---------------------------------------------------------------------------
  function loadRatings() {
    request("ratings").then(function (data) {
      var body = $("ratings").tBodies[0]; clear(body);
      data.agents.forEach(function (a) {
        var tr = el("tr"); [a.name, a.closed, a.rated, a.average == null ? "—" : a.average].forEach(function (v) { tr.appendChild(el("td", String(v))); });
        body.appendChild(tr);
      });
      $("ratings-overall").textContent = "Overall: " + (data.overall.average == null ? "—" : data.overall.average) + " (" + data.overall.rated + " ratings)";
    });
  }

  function loadAgents() {
    return request("agents").then(function (data) {
      agents = data.agents;
      var mine = agents.filter(function (a) { return a.id === me.id; })[0];
      if (mine) { me.max_open = mine.max_open; if (mine.status !== "offline") $("my-status").value = mine.status; }
      var select = $("transfer-to"); clear(select);
      select.appendChild(el("option", "Transfer to…"));
      agents.filter(function (a) { return a.active && a.id !== me.id && a.role !== "editor"; }).forEach(function (a) {
        var o = el("option", a.name + " — " + a.status); o.value = a.id; select.appendChild(o);
      });
      var body = $("agents").tBodies[0]; clear(body);
      agents.forEach(function (a) {
        var tr = el("tr");
        [a.login, a.name, a.role, a.status].forEach(function (v) { tr.appendChild(el("td", v)); });
        var limit = el("td");
        if (me.role === "admin") {
          var input = el("input"); input.type = "number"; input.min = 1; input.max = 50; input.value = a.max_open;
          input.setAttribute("aria-label", "Open conversations limit of " + a.name);
          input.addEventListener("change", function () { request("status", {agent_id: a.id, max_open: parseInt(input.value, 10)}).catch(function (e) { $("agents-error").textContent = e; }); });
          limit.appendChild(input);
        } else limit.textContent = a.max_open;
        tr.appendChild(limit);
        var td = el("td");
        if (me.role === "admin" && a.id !== me.id) {
          var b = el("button", a.active ? "Deactivate" : "Activate"); b.type = "button";
          b.addEventListener("click", function () { request("set_active", {agent_id: a.id, active: !a.active}).then(loadAgents).catch(function (e) { $("agents-error").textContent = e; }); });
          td.appendChild(b);
        }
        tr.appendChild(td); body.appendChild(tr);
      });
    });
  }
  $("my-status").addEventListener("change", function () {
    request("status", {status: $("my-status").value}).then(function (d) { document.body.dataset.status = d.status.status; }).catch(convError);
  });

  $("new-agent").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    request("create_agent", {login: f.login.value, name: f.name.value, role: f.role.value, password: f.password.value})
      .then(function () { f.reset(); $("agents-error").textContent = ""; loadAgents(); })
      .catch(function (e) { $("agents-error").textContent = e; });
  });

  // -- keyboard shortcuts --------------------------------------------------------------------------
  document.addEventListener("keydown", function (ev) {
    if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
    var key = ev.key.toLowerCase(), code = ev.code;
    if (code === "KeyN" || key === "n") { ev.preventDefault(); takeNext(); }
    else if (code === "KeyR" || key === "r") { ev.preventDefault(); showTab("queue"); $("reply").focus(); }
    else if (code === "KeyS" || key === "s") { ev.preventDefault(); showTab("search"); }
    else if (/^Digit[1-3]$/.test(code) && suggestions[parseInt(code.slice(5), 10) - 1] && current) {
      ev.preventDefault(); useSuggestion(suggestions[parseInt(code.slice(5), 10) - 1]);
    }
  });

  // -- the socket ----------------------------------------------------------------------------------
  function connect() {
    clearTimeout(reconnectTimer);
    var sock = ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/console");
    ws.onopen = function () {
      retry = 500; $("connection").textContent = ""; document.body.dataset.ready = "1";
      loadAgents();
      loadCanned();
      countTickets();
      unsent.forEach(sendReply);  // kept while offline: sent again, the server stores each once
      if (current) openConversation(current.conversation.id);
    };
    ws.onmessage = function (ev) {
      var data = JSON.parse(ev.data);
      if (data.type === "result") {
        var p = waiting[data.id]; delete waiting[data.id];
        if (p) { if (data.ok) p.resolve(data); else p.reject(data.text || data.error); }
      } else if (data.type === "queue") { renderQueue(data.items); }
      else if (data.type === "messages" && current && data.conversation_id === current.conversation.id) {
        var fromSubscriber = false;
        data.messages.forEach(function (m) { renderMessage(m); if (m.direction === "in") fromSubscriber = true; });
        if (fromSubscriber) {
          $("sub-typing").textContent = "";
          if (document.hidden) alert("New message", data.messages[data.messages.length - 1].text);
          suggest();
        }
      } else if (data.type === "typing" && current && data.conversation_id === current.conversation.id && data.who === "user") {
        $("sub-typing").textContent = data.on ? "The subscriber is typing…" : "";
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { $("sub-typing").textContent = ""; }, 6000);
      }
      else if (data.type === "tickets_changed") { if (!$("tab-tickets").hidden) loadTickets(); else countTickets(); }
    };
    ws.onclose = function (ev) {
      if (ws !== sock) return;  // a socket given up for a newer one
      document.body.dataset.ready = "0";
      Object.keys(waiting).forEach(function (id) { waiting[id].reject("offline: the connection was lost"); delete waiting[id]; });
      if (ev.code === 4001) { location.href = "/console/login"; return; }
      $("connection").textContent = "Reconnecting…";
      reconnectTimer = setTimeout(connect, retry); retry = Math.min(retry * 2, 5000);
    };
  }
  // back online (Wi-Fi again, the laptop woken): reconnect now, not after the backoff's next wait (up to 5 s)
  window.addEventListener("online", function () { if (ws && ws.readyState > 1) { retry = 500; connect(); } });

  try { unsent = JSON.parse(localStorage.getItem(unsentKey) || "[]") || []; } catch (e) { unsent = []; }
  try { alerts = localStorage.getItem("sb_console_alerts") === "1"; } catch (e) { alerts = false; }
  $("alerts").textContent = alerts ? "Alerts on" : "Alerts off";
  $("alerts").setAttribute("aria-pressed", alerts ? "true" : "false");

  fetch("/api/console/me", {credentials: "same-origin"}).then(function (r) {
    if (r.status === 401) { location.href = "/console/login"; throw new Error("not signed in"); }
    return r.json();
  }).then(function (data) {
    me = data;
    $("me").textContent = me.name + " (" + me.role + ")";
    $("logout-csrf").value = me.csrf;
    $("agents-tab").hidden = $("canned-tab").hidden = me.role !== "admin";
    $("editor-link").hidden = $("analytics-link").hidden = me.role === "agent";
    return fetch("/api/feedback/options?lang=en").then(function (r) { return r.json(); }).then(function (o) {
      o.regions.forEach(function (r) { options.regions[r.id] = r.name; });
      o.topics.forEach(function (t) { options.topics[t.id] = t.title; });
    }).catch(function () { /* ids stay */ });
  }).then(connect);
})();
