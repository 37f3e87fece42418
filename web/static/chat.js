// The web chat page: a WebSocket to /ws/chat; every text is put into the page as text, never HTML.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var lang = params.get("lang") || ((navigator.language || "ru").toLowerCase().indexOf("en") === 0 ? "en" : "ru");
  var T = {
    ru: {title: "Поддержка", placeholder: "Напишите вопрос…", queue: "Вы в очереди: {p}-й. Ожидание: {w}.",
         unknown: "неизвестно", operator: "С вами оператор", offline: "Нет связи, переподключаюсь…",
         too_long: "Сообщение слишком длинное (до 2000 символов).", rate_limited: "Слишком часто, подождите немного.",
         min: "мин", lessmin: "меньше минуты", you: "Вы", bot: "Бот", agent: "Оператор"},
    en: {title: "Support", placeholder: "Type your question…", queue: "You are number {p} in the queue. Wait: {w}.",
         unknown: "unknown", operator: "An operator is with you", offline: "Offline, reconnecting…",
         too_long: "The message is too long (2,000 characters at most).", rate_limited: "Too fast, please wait a little.",
         min: "min", lessmin: "under a minute", you: "You", bot: "Bot", agent: "Operator"}
  }[lang];
  document.documentElement.lang = lang;
  var $ = function (id) { return document.getElementById(id); };
  $("title").textContent = T.title;
  $("input").placeholder = T.placeholder;
  var lastId = 0, ws = null, retry = 500, token = null, seen = {};

  function inline(parent, text) {
    // **bold** and [text](https://…) links; everything else is plain text
    var re = /\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, at = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > at) parent.appendChild(document.createTextNode(text.slice(at, m.index)));
      if (m[1] !== undefined) { var b = document.createElement("b"); b.textContent = m[1]; parent.appendChild(b); }
      else { var a = document.createElement("a"); a.textContent = m[2]; a.href = m[3]; a.target = "_blank"; a.rel = "noopener noreferrer"; parent.appendChild(a); }
      at = re.lastIndex;
    }
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }

  function linkify(parent, text) {
    // bare https:// links in bot messages become links (as text nodes around them)
    var re = /(https?:\/\/[^\s]+)/g, at = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > at) inline(parent, text.slice(at, m.index));
      var a = document.createElement("a"); a.textContent = m[1]; a.href = m[1]; a.target = "_blank"; a.rel = "noopener noreferrer";
      parent.appendChild(a); at = re.lastIndex;
    }
    if (at < text.length) inline(parent, text.slice(at));
  }

  function render(msg) {
    if (seen[msg.id]) return;
    seen[msg.id] = true;
    lastId = Math.max(lastId, msg.id);
    var li = document.createElement("li");
    li.className = "msg " + msg.direction;
    li.dataset.id = msg.id;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = msg.direction === "in" ? T.you : msg.direction === "agent" ? (msg.author || T.agent) : T.bot;
    li.appendChild(who);
    var body = document.createElement("div");
    body.className = "text";
    msg.text.split("\n").forEach(function (line, i) {
      if (i) body.appendChild(document.createElement("br"));
      if (msg.direction === "in") body.appendChild(document.createTextNode(line)); else linkify(body, line);
    });
    li.appendChild(body);
    $("messages").appendChild(li);
    showButtons(msg.direction === "in" ? [] : msg.buttons || []);
    li.scrollIntoView({block: "end"});
  }

  function showButtons(buttons) {
    var box = $("buttons");
    while (box.firstChild) box.removeChild(box.firstChild);
    buttons.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "choice";
      btn.textContent = b.title;
      btn.addEventListener("click", function () {
        if (b.payload.indexOf("url:") === 0) { window.open(b.payload.slice(4), "_blank", "noopener"); return; }
        send({type: "press", payload: b.payload, title: b.title});
      });
      box.appendChild(btn);
    });
  }

  function status(s) {
    var box = $("status");
    if (s.queue) {
      var w = s.queue.wait_seconds == null ? T.unknown : s.queue.wait_seconds < 60 ? T.lessmin : Math.ceil(s.queue.wait_seconds / 60) + " " + T.min;
      box.textContent = T.queue.replace("{p}", s.queue.position).replace("{w}", w);
      box.hidden = false;
    } else if (s.operator) { box.textContent = T.operator; box.hidden = false; }
    else { box.hidden = true; box.textContent = ""; }
    document.body.dataset.handoff = s.handoff ? "1" : "0";
  }

  function error(text) { var e = $("error"); e.textContent = text; e.hidden = !text; if (text) setTimeout(function () { e.hidden = true; }, 4000); }

  function send(frame) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat?token=" +
      encodeURIComponent(token) + "&lang=" + lang + "&after=" + lastId;
    ws = new WebSocket(url);
    ws.onopen = function () { retry = 500; $("connection").textContent = ""; document.body.dataset.ready = "1"; };
    ws.onmessage = function (ev) {
      var data = JSON.parse(ev.data);
      if (data.type === "history" || data.type === "messages") { data.messages.forEach(render); }
      if (data.type === "history" || data.type === "status") status(data);
      if (data.type === "error") error(T[data.error] || data.error);
    };
    ws.onclose = function () {
      document.body.dataset.ready = "0";
      $("connection").textContent = T.offline;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  $("composer").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("input").value.trim();
    if (!text) return;
    if (text.length > 2000) { error(T.too_long); return; }
    send({type: "say", text: text});
    $("input").value = "";
  });

  fetch("/api/chat/session", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({token: localStorage.getItem("sb_visitor")})})
    .then(function (r) { return r.json(); })
    .then(function (data) { token = data.token; localStorage.setItem("sb_visitor", token); connect(); });
})();
