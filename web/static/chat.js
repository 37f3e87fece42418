// The web chat page: a WebSocket to /ws/chat (protocol v2). Every text is put into the page as
// text nodes (md.js for the bot's Markdown), never as HTML. A message the subscriber sends is
// kept in localStorage until the server acknowledges it (stored), and sent again with the same
// client id after a reconnect or a reload; the server does not process a client id twice.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var lang = params.get("lang") || ((navigator.language || "ru").toLowerCase().indexOf("en") === 0 ? "en" : "ru");
  if (lang !== "en") lang = "ru";
  var T = {
    ru: {title: "Поддержка", placeholder: "Напишите вопрос…", label: "Сообщение", send: "Отправить",
         transcript: "Переписка", choices: "Варианты ответа", restart: "Начать заново",
         queue: "Вы в очереди: {p}-й.", wait: "Примерное ожидание: {w}.",
         nobody: "Сейчас нет операторов в сети, ответим, как только кто-то освободится.",
         form_offer: "Оставить обращение", form_title: "Оставить обращение через форму",
         operator: "С вами оператор", offline: "Нет связи, переподключаюсь…",
         too_long: "Сообщение слишком длинное (до 2000 символов).", rate_limited: "Слишком часто, подождите немного.",
         failed: "Не отправлено.", retry: "Повторить", discard: "Удалить", sending: "отправляется…", sent: "доставлено",
         min: "мин", lessmin: "меньше минуты", you: "Вы", bot: "Бот", agent: "Оператор",
         bot_typing: "Бот печатает…", agent_typing: "Оператор печатает…",
         csat: "Хотите добавить комментарий к оценке? (необязательно)", csat_send: "Отправить", csat_skip: "Пропустить",
         csat_thanks: "Спасибо, комментарий передан."},
    en: {title: "Support", placeholder: "Type your question…", label: "Message", send: "Send",
         transcript: "Conversation", choices: "Suggested replies", restart: "Start over",
         queue: "You are number {p} in the queue.", wait: "Estimated wait: {w}.",
         nobody: "No operators are online right now; we will answer as soon as someone is free.",
         form_offer: "Leave a request", form_title: "Leave a request in the feedback form",
         operator: "An operator is with you", offline: "Offline, reconnecting…",
         too_long: "The message is too long (2,000 characters at most).", rate_limited: "Too fast, please wait a little.",
         failed: "Not sent.", retry: "Retry", discard: "Delete", sending: "sending…", sent: "delivered",
         min: "min", lessmin: "under a minute", you: "You", bot: "Bot", agent: "Operator",
         bot_typing: "The bot is typing…", agent_typing: "The operator is typing…",
         csat: "Would you like to add a comment to your rating? (optional)", csat_send: "Send", csat_skip: "Skip",
         csat_thanks: "Thank you, your comment has been passed on."}
  }[lang];
  document.documentElement.lang = lang;
  var $ = function (id) { return document.getElementById(id); };
  var embedded = !!params.get("embed") && window.parent !== window;
  if (embedded) {
    document.body.classList.add("embed");
    document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") parent.postMessage({type: "sb:escape"}, "*"); });
    window.addEventListener("message", function (ev) { if (ev.data && ev.data.type === "sb:focus") $("input").focus(); });
  }
  document.title = "Tele2 — " + (lang === "en" ? "support chat" : "чат поддержки");
  $("title").textContent = T.title;
  $("input").placeholder = T.placeholder;
  $("input-label").textContent = T.label;
  $("send").setAttribute("aria-label", T.send);
  $("messages").setAttribute("aria-label", T.transcript);
  $("buttons").setAttribute("aria-label", T.choices);
  $("restart").textContent = T.restart;
  $("form-offer").textContent = T.form_offer;
  $("csat-label").textContent = T.csat;
  $("csat-send").textContent = T.csat_send;
  $("csat-skip").textContent = T.csat_skip;

  var lastId = 0, ws = null, retry = 500, token = null, visitor = null, seen = {}, bubbles = {}, pending = [];
  var greeting = null, state = "bot", typingTimer = null, serverTyping = false, lastTypingSent = 0, reconnectTimer = null;

  // -- pending messages (kept until acknowledged) ---------------------------------------------------
  function storeKey() { return "sb_pending:" + visitor; }
  function savePending() {
    try { localStorage.setItem(storeKey(), JSON.stringify(pending)); } catch (e) { /* private mode: memory only */ }
  }
  function loadPending() {
    try { pending = JSON.parse(localStorage.getItem(storeKey()) || "[]") || []; } catch (e) { pending = []; }
    if (!Array.isArray(pending)) pending = [];
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  // -- rendering -------------------------------------------------------------------------------
  function scrollDown() { var box = $("messages"); box.scrollTop = box.scrollHeight; }

  function timeOf(at) {
    var d = at ? new Date(at) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    return d;
  }

  function bubble(direction, who, text, at, extraClass) {
    var li = document.createElement("li");
    li.className = "msg " + direction + (extraClass ? " " + extraClass : "");
    var w = document.createElement("span");
    w.className = "who"; w.textContent = who;
    li.appendChild(w);
    var body = document.createElement("div");
    body.className = "text";
    window.SBMarkdown.render(body, text, direction === "in");
    li.appendChild(body);
    var meta = document.createElement("span");
    meta.className = "meta";
    var time = document.createElement("time");
    var d = timeOf(at);
    time.dateTime = d.toISOString();
    time.textContent = d.toLocaleTimeString(lang === "en" ? "en-GB" : "ru-RU", {hour: "2-digit", minute: "2-digit"});
    meta.appendChild(time);
    if (direction === "in") {
      var st = document.createElement("span");
      st.className = "state";
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(st);
    }
    li.appendChild(meta);
    $("messages").appendChild(li);
    return li;
  }

  function setState(li, value) {
    li.dataset.state = value;
    var st = li.querySelector(".state");
    if (!st) return;
    while (st.firstChild) st.removeChild(st.firstChild);
    if (value === "sending") st.textContent = "🕓 " + T.sending;
    else if (value === "sent") {
      var mark = document.createElement("span"); mark.setAttribute("aria-hidden", "true"); mark.textContent = "✓ ";
      st.appendChild(mark); st.appendChild(document.createTextNode(T.sent));
    } else if (value === "failed") {
      st.appendChild(document.createTextNode(T.failed));
      var again = document.createElement("button");
      again.type = "button"; again.className = "retry"; again.textContent = T.retry;
      again.addEventListener("click", function () {
        var item = pending.filter(function (p) { return p.id === li.dataset.cid; })[0];
        if (item) { item.failed = false; savePending(); setState(li, "sending"); transmit(item); }
        $("input").focus();
      });
      st.appendChild(again);
      var drop = document.createElement("button");
      drop.type = "button"; drop.className = "retry"; drop.textContent = T.discard;
      drop.addEventListener("click", function () {  // given up: forgotten here too
        settle(li.dataset.cid); delete bubbles[li.dataset.cid]; li.remove(); $("input").focus();
      });
      st.appendChild(drop);
    }
  }

  function render(msg) {
    if (seen[msg.id]) return;
    seen[msg.id] = true;
    lastId = Math.max(lastId, msg.id);
    if (msg.client_id && bubbles[msg.client_id]) {  // our own message, already shown: now stored
      var mine = bubbles[msg.client_id];
      mine.dataset.id = msg.id;
      settle(msg.client_id);
      setState(mine, "sent");
      return;
    }
    var who = msg.direction === "in" ? T.you : msg.direction === "agent" ? (msg.author || T.agent) : T.bot;
    var li = bubble(msg.direction, who, msg.text, msg.at);
    li.dataset.id = msg.id;
    if (msg.direction === "in") {
      if (msg.client_id) { li.dataset.cid = msg.client_id; bubbles[msg.client_id] = li; }
      setState(li, "sent");
    } else {
      typing(null, false);
      if (embedded && document.body.dataset.ready === "1") parent.postMessage({type: "sb:reply"}, "*");  // the widget's badge
      var buttons = msg.buttons || [];
      showButtons(buttons);
      var rating = buttons.length === 5 && buttons.every(function (b, i) { return b.payload === "rate:" + (i + 1); });
      document.body.dataset.rating = rating ? "1" : "0";
    }
  }

  function settle(cid) {
    pending = pending.filter(function (p) { return p.id !== cid; });
    savePending();
  }

  function showGreeting() {
    if (!greeting) return;
    var li = bubble("out", T.bot, greeting.text, null, "greeting");
    li.dataset.greeting = "1";
    showButtons(greeting.buttons);
    scrollDown();
  }

  function showButtons(buttons) {
    var box = $("buttons");
    var hadFocus = box.contains(document.activeElement);
    while (box.firstChild) box.removeChild(box.firstChild);
    buttons.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "choice";
      btn.textContent = b.title;
      btn.addEventListener("click", function () {
        if (b.payload.indexOf("url:") === 0) { window.open(b.payload.slice(4), "_blank", "noopener"); return; }
        var rating = /^rate:[1-5]$/.test(b.payload);
        say({type: "press", payload: b.payload, title: b.title});
        if (rating) offerComment();
        else $("input").focus();  // the buttons go away: the focus goes to the input, not to the page
      });
      box.appendChild(btn);
    });
    if (hadFocus && !box.firstChild) $("input").focus();
  }

  function status(s) {
    var box = $("status");
    state = s.state || (s.operator ? "operator" : s.queue ? "queued" : "bot");
    var offer = false;
    if (s.queue) {
      var line = T.queue.replace("{p}", s.queue.position);
      var online = s.queue.agents_online;
      if (online === 0) line += " " + T.nobody;  // no made-up estimate when nobody can answer
      else if (s.queue.wait_seconds != null) {
        var w = s.queue.wait_seconds < 60 ? T.lessmin : "~" + Math.ceil(s.queue.wait_seconds / 60) + " " + T.min;
        line += " " + T.wait.replace("{w}", w);
      }
      offer = true;  // the form is always an alternative to waiting
      $("status-text").textContent = line;
      box.hidden = false;
    } else if (s.operator) { $("status-text").textContent = T.operator; box.hidden = false; }
    else { box.hidden = true; $("status-text").textContent = ""; }
    $("form-offer").hidden = !offer;
    document.body.dataset.handoff = s.handoff ? "1" : "0";
    scrollDown();
  }

  function typing(who, on) {
    var box = $("typing");
    clearTimeout(typingTimer);
    if (on) {
      box.textContent = who === "agent" ? T.agent_typing : T.bot_typing;
      box.hidden = false;
      box.dataset.who = who;
      typingTimer = setTimeout(function () { typing(null, false); }, 15000);  // never stuck
      scrollDown();
    } else { box.hidden = true; box.textContent = ""; delete box.dataset.who; }
  }

  function error(text) {
    var e = $("error"); e.textContent = text || ""; e.hidden = !text;
    if (text) setTimeout(function () { if (e.textContent === text) { e.hidden = true; e.textContent = ""; } }, 5000);
  }

  // -- sending ---------------------------------------------------------------------------------
  function transmit(item) {
    if (!ws || ws.readyState !== 1) return false;
    var frame = item.type === "press" ? {type: "press", id: item.id, payload: item.payload, title: item.title}
      : {type: "say", id: item.id, text: item.text};
    ws.send(JSON.stringify(frame));
    return true;
  }

  function say(frame) {
    var item = {id: newId(), type: frame.type, text: frame.text || frame.title || "", payload: frame.payload,
                title: frame.title, at: new Date().toISOString()};
    pending.push(item);
    savePending();
    lastTypingSent = 0;  // the next message's first key says "typing" at once
    var li = bubble("in", T.you, item.text, item.at);
    li.dataset.cid = item.id;
    bubbles[item.id] = li;
    setState(li, "sending");
    showButtons([]);
    scrollDown();
    if (transmit(item) && state === "bot" && !serverTyping) typing("bot", true);
  }

  function resendPending() {
    pending.forEach(function (item) {
      var li = bubbles[item.id];
      if (!li) {  // kept from before a reload
        li = bubble("in", T.you, item.text, item.at);
        li.dataset.cid = item.id;
        bubbles[item.id] = li;
      }
      setState(li, item.failed ? "failed" : "sending");
      if (!item.failed) transmit(item);
    });
    scrollDown();
  }

  function onAck(data) {
    var li = bubbles[data.id];
    settle(data.id);
    if (!li) return;
    if (data.message_id != null) { li.dataset.id = data.message_id; seen[data.message_id] = true; lastId = Math.max(lastId, data.message_id); }
    setState(li, "sent");
  }

  function onError(data) {
    var text = data.text || T[data.error] || data.error;
    var li = data.id ? bubbles[data.id] : null;
    if (li) {
      var item = pending.filter(function (p) { return p.id === data.id; })[0];
      if (data.error === "rate_limited" && item) {  // sent again by itself once allowed
        setTimeout(function () { transmit(item); }, Math.max(1, data.retry_after || 2) * 1000);
      } else {
        if (item) { item.failed = true; savePending(); }
        setState(li, "failed");
      }
    }
    typing(null, false);
    error(text);
  }

  // -- the socket ------------------------------------------------------------------------------
  function connect() {
    clearTimeout(reconnectTimer);
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat?token=" +
      encodeURIComponent(token) + "&lang=" + lang + "&after=" + lastId;
    var sock = ws = new WebSocket(url);
    sock.onopen = function () { retry = 500; $("connection").textContent = ""; };
    sock.onmessage = function (ev) {
      var data = JSON.parse(ev.data);
      if (data.type === "history") {
        var first = !document.body.dataset.ready;
        data.messages.forEach(render);
        status(data);
        if (first && !data.messages.length && !pending.length) showGreeting();
        resendPending();
        document.body.dataset.ready = "1";
        scrollDown();
      } else if (data.type === "messages") { data.messages.forEach(render); scrollDown(); }
      else if (data.type === "status") status(data);
      else if (data.type === "ack") onAck(data);
      else if (data.type === "typing") { serverTyping = true; typing(data.who, !!data.on); }
      else if (data.type === "error") onError(data);
    };
    sock.onclose = function () {
      if (ws !== sock) return;
      document.body.dataset.ready = document.body.dataset.ready ? "0" : "";
      $("connection").textContent = T.offline;
      typing(null, false);
      reconnectTimer = setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  }
  window.addEventListener("online", function () { if (!ws || ws.readyState > 1) { retry = 500; connect(); } });

  $("composer").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("input").value.trim();
    if (!text) return;
    if (text.length > 2000) { error(T.too_long); return; }
    say({type: "say", text: text});
    $("input").value = "";
  });
  $("input").addEventListener("input", function () {
    var now = Date.now();
    if ($("input").value && now - lastTypingSent > 3000 && ws && ws.readyState === 1) {
      lastTypingSent = now;
      ws.send(JSON.stringify({type: "typing"}));
    }
  });
  $("restart").addEventListener("click", function () { showGreeting(); $("input").focus(); });
  $("form-offer").addEventListener("click", function () {
    say({type: "press", payload: "act:start:feedback", title: T.form_title});
    $("input").focus();
  });

  // -- the rating's comment ----------------------------------------------------------------------
  function offerComment() {
    $("csat").hidden = false;
    $("csat-comment").value = "";
    $("csat-comment").focus();
    scrollDown();
  }
  function closeComment() { $("csat").hidden = true; $("input").focus(); }
  $("csat-skip").addEventListener("click", closeComment);
  $("csat").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var comment = $("csat-comment").value.trim();
    if (!comment) { closeComment(); return; }
    fetch("/api/chat/rating-comment", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({token: token, comment: comment})})
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); closeComment(); error(""); $("typing").hidden = true;
        var note = bubble("system", T.bot, T.csat_thanks, null); note.dataset.local = "1"; scrollDown(); })
      .catch(function () { error(T.failed); });
  });

  // -- start -----------------------------------------------------------------------------------
  function start() {
    fetch("/api/chat/session", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({token: localStorage.getItem("sb_visitor")})})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        token = data.token; visitor = token.split(".")[0];
        localStorage.setItem("sb_visitor", token);
        loadPending();
        return fetch("/api/chat/greeting?lang=" + lang).then(function (r) { return r.ok ? r.json() : null; })
          .catch(function () { return null; });
      })
      .then(function (data) { greeting = data; connect(); })
      .catch(function () { $("connection").textContent = T.offline; setTimeout(start, 2000); });
  }
  start();
})();
