// The agent console: one WebSocket for actions and live updates. Subscriber text is always text, never HTML.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var ws = null, me = null, seq = 0, pending = {}, current = null, queue = [], retry = 500, agents = [];

  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function ago(seconds) { return seconds < 60 ? seconds + " s" : Math.floor(seconds / 60) + " min " + (seconds % 60) + " s"; }

  function request(op, data) {
    return new Promise(function (resolve, reject) {
      var id = ++seq;
      pending[id] = {resolve: resolve, reject: reject};
      var frame = Object.assign({id: id, op: op}, data || {});
      ws.send(JSON.stringify(frame));
    });
  }

  function showTab(name) {
    document.querySelectorAll("#tabs button").forEach(function (b) { b.classList.toggle("active", b.dataset.tab === name); });
    document.querySelectorAll(".tab").forEach(function (s) { s.hidden = s.id !== "tab-" + name; });
    if (name === "tickets") loadTickets();
    if (name === "ratings") loadRatings();
    if (name === "agents") loadAgents();
  }
  document.querySelectorAll("#tabs button").forEach(function (b) { b.addEventListener("click", function () { showTab(b.dataset.tab); }); });

  function renderQueue(items) {
    queue = items;
    var list = $("queue"); clear(list);
    $("queue-count").textContent = items.filter(function (i) { return i.status === "waiting"; }).length;
    items.forEach(function (item) {
      var li = el("li", null, item.status);
      li.dataset.conversation = item.conversation_id;
      li.dataset.handoff = item.handoff_id;
      li.appendChild(el("div", (item.status === "waiting" ? "#" + item.position + " " : "") + (item.name || item.channel + " user") + (item.logged_in ? " ✓" : "")));
      li.appendChild(el("div", item.preview, "preview"));
      li.appendChild(el("div", item.channel + " · " + item.lang + " · " + ago(item.waiting_seconds) +
        (item.agent_name ? " · " + item.agent_name : " · waiting"), "meta"));
      li.addEventListener("click", function () { openConversation(item.conversation_id); });
      list.appendChild(li);
    });
  }

  function renderMessage(m) {
    var who = {"in": "Subscriber", "out": "Bot", "agent": m.author || "Operator", "system": "System"}[m.direction] || m.direction;
    var li = el("li", null, m.direction);
    li.dataset.id = m.id;
    li.appendChild(el("span", who, "who"));
    li.appendChild(el("span", m.text, "text"));
    $("transcript").appendChild(li);
    li.scrollIntoView({block: "end"});
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

  function openConversation(id) {
    request("open", {conversation_id: id}).then(function (data) {
      current = data;
      $("conversation").hidden = false;
      $("conv-title").textContent = "Conversation #" + id + " · " + data.conversation.channel + " · " + data.conversation.lang;
      clear($("transcript"));
      data.messages.forEach(renderMessage);
      var acc = data.account;
      $("account").textContent = acc ? (acc.name + " " + acc.phone + "\nBalance: " + (acc.balance / 100).toFixed(2) + " ₽ · Tariff: " +
        acc.tariff + (acc.blocked ? " · SIM BLOCKED" : "") + "\nLeft: " + acc.remaining.minutes + " min, " + acc.remaining.sms +
        " SMS, " + acc.remaining.gb + " GB\nServices: " + acc.services.join(", ")) : "Not logged in";
      renderDiagnosis(data.diagnosis);
      var mine = data.mine && data.handoff && data.handoff.status === "assigned";
      $("actions").hidden = !mine;
      $("take-box").hidden = !(data.handoff && data.handoff.status === "waiting");
      $("conv-error").textContent = "";
    }).catch(function (e) { $("conv-error").textContent = e; });
  }

  function act(op, data) {
    $("conv-error").textContent = "";
    return request(op, Object.assign({conversation_id: current.conversation.id}, data || {}))
      .then(function () { openConversation(current.conversation.id); })
      .catch(function (e) { $("conv-error").textContent = e; });
  }

  $("take").addEventListener("click", function () {
    request("take", {handoff_id: current.handoff.id}).then(function () { openConversation(current.conversation.id); })
      .catch(function (e) { $("conv-error").textContent = e; });
  });
  $("send").addEventListener("click", function () {
    var text = $("reply").value.trim(); if (!text) return;
    request("reply", {conversation_id: current.conversation.id, text: text}).then(function () { $("reply").value = ""; })
      .catch(function (e) { $("conv-error").textContent = e; });
  });
  $("reply").addEventListener("keydown", function (ev) { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) $("send").click(); });
  $("return").addEventListener("click", function () { act("return"); });
  $("close").addEventListener("click", function () { act("close", {resolution: $("resolution").value}).then(function () { $("resolution").value = ""; }); });
  $("transfer").addEventListener("click", function () { var to = parseInt($("transfer-to").value, 10); if (to) act("transfer", {agent_id: to}); });
  $("canned").addEventListener("change", function () {
    var option = $("canned").selectedOptions[0];
    if (option && option.dataset.text) $("reply").value = option.dataset.text;
    $("canned").value = "";
  });

  function loadTickets() {
    request("tickets").then(function (data) {
      var list = $("tickets"); clear(list);
      $("tickets-count").textContent = data.tickets.filter(function (t) { return t.status === "open"; }).length || "";
      data.tickets.forEach(function (t) {
        var li = el("li");
        li.dataset.number = t.number;
        var head = el("div", t.number + " · " + t.created_at.slice(0, 16).replace("T", " ") + " · " + t.status);
        if (t.overdue) head.appendChild(el("span", " · OVERDUE", "overdue"));
        li.appendChild(head);
        li.appendChild(el("div", t.name + " " + t.phone + (t.email ? " · " + t.email : "") + " · " + t.region + " · " + t.topic, "meta"));
        li.appendChild(el("div", t.description, "text"));
        if (t.status === "open") {
          var area = el("textarea"); area.rows = 2; area.maxLength = 4000; area.placeholder = "Answer";
          var btn = el("button", "Send answer"); btn.type = "button";
          btn.addEventListener("click", function () {
            request("answer_ticket", {ticket_id: t.id, text: area.value}).then(loadTickets).catch(function (e) { alert(e); });
          });
          li.appendChild(area); li.appendChild(btn);
        } else if (t.answer) { li.appendChild(el("div", "Answer: " + t.answer, "meta")); }
        list.appendChild(li);
      });
    });
  }

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
    request("agents").then(function (data) {
      agents = data.agents;
      var select = $("transfer-to"); clear(select);
      select.appendChild(el("option", "Transfer to…"));
      agents.filter(function (a) { return a.active && a.id !== me.id; }).forEach(function (a) {
        var o = el("option", a.name + (a.online ? " (online)" : "")); o.value = a.id; select.appendChild(o);
      });
      var body = $("agents").tBodies[0]; clear(body);
      agents.forEach(function (a) {
        var tr = el("tr");
        [a.login, a.name, a.role, a.online ? "yes" : ""].forEach(function (v) { tr.appendChild(el("td", v)); });
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

  $("new-agent").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    request("create_agent", {login: f.login.value, name: f.name.value, role: f.role.value, password: f.password.value})
      .then(function () { f.reset(); $("agents-error").textContent = ""; loadAgents(); })
      .catch(function (e) { $("agents-error").textContent = e; });
  });

  function connect() {
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/console");
    ws.onopen = function () {
      retry = 500; $("connection").textContent = ""; document.body.dataset.ready = "1";
      loadAgents();
      request("canned").then(function (data) {
        var select = $("canned"); while (select.options.length > 1) select.remove(1);
        data.replies.forEach(function (r) { var o = el("option", r.title); o.dataset.text = r.ru; select.appendChild(o); });
      });
      if (current) openConversation(current.conversation.id);
    };
    ws.onmessage = function (ev) {
      var data = JSON.parse(ev.data);
      if (data.type === "result") {
        var p = pending[data.id]; delete pending[data.id];
        if (p) { if (data.ok) p.resolve(data); else p.reject(data.error); }
      } else if (data.type === "queue") { renderQueue(data.items); }
      else if (data.type === "messages" && current && data.conversation_id === current.conversation.id) { data.messages.forEach(renderMessage); }
      else if (data.type === "tickets_changed") { if (!$("tab-tickets").hidden) loadTickets(); else request("tickets").then(function (d) { $("tickets-count").textContent = d.tickets.filter(function (t) { return t.status === "open"; }).length || ""; }); }
    };
    ws.onclose = function (ev) {
      document.body.dataset.ready = "0";
      if (ev.code === 4001) { location.href = "/console/login"; return; }
      $("connection").textContent = "reconnecting…";
      setTimeout(connect, retry); retry = Math.min(retry * 2, 10000);
    };
  }

  fetch("/api/console/me", {credentials: "same-origin"}).then(function (r) {
    if (r.status === 401) { location.href = "/console/login"; throw new Error("not signed in"); }
    return r.json();
  }).then(function (data) {
    me = data;
    $("me").textContent = me.name + " (" + me.role + ")";
    $("logout-csrf").value = me.csrf;
    $("agents-tab").hidden = me.role !== "admin";
    $("editor-link").hidden = $("analytics-link").hidden = me.role === "agent";
    connect();
  });
})();
