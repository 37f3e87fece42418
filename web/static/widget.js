// Embeddable chat:
//   <script src="https://support.example/widget.js" data-lang="ru" data-position="right|left"
//           data-color="#1f2229"></script>
// The launcher and the chat's frame live in a Shadow DOM whose styles are reset, so the
// host page's CSS (even `iframe { … !important }`) cannot reach them; the chat itself is the /chat
// page in an iframe (its own origin, its own storage). On a phone the chat takes the whole
// screen. × and Esc close it; the launcher says whether it is open (aria-expanded) and shows a
// badge with the number of replies that came while it was closed.
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var lang = script.getAttribute("data-lang") === "en" ? "en" : "ru";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var color = script.getAttribute("data-color") || "";
  if (!/^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$/.test(color)) color = "#1f2229";
  var T = lang === "en" ? {open: "Support chat", close: "Close the chat", unread: "new replies"}
                        : {open: "Чат поддержки", close: "Закрыть чат", unread: "новых ответов"};

  var host = document.createElement("div");
  host.setAttribute("data-supportbot-widget", "");
  var root = host.attachShadow({mode: "open"});
  var style = document.createElement("style");
  style.textContent =
    ":host { all: initial !important; display: block !important; position: static !important; }" +
    "* { all: revert; box-sizing: border-box; }" +
    ".launcher { position: fixed; " + side + ": 20px; bottom: 20px; z-index: 2147483000; display: flex; align-items: center; gap: 8px;" +
    "  padding: 12px 18px; border: 0; border-radius: 24px; background: " + color + "; color: #fff; font: 600 15px/1.2 system-ui, sans-serif;" +
    "  cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.35); margin: 0; width: auto; height: auto; }" +
    ".launcher:focus-visible, .close:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }" +
    ".badge { min-width: 20px; padding: 2px 6px; border-radius: 10px; background: #d0021b; color: #fff; font: 700 12px/16px system-ui, sans-serif; text-align: center; }" +
    ".badge[hidden] { display: none; }" +
    ".panel { position: fixed; " + side + ": 20px; bottom: 80px; width: 380px; height: 600px; max-height: calc(100vh - 100px);" +
    "  z-index: 2147483001; display: none; flex-direction: column; background: #fff; border-radius: 12px; overflow: hidden;" +
    "  box-shadow: 0 4px 24px rgba(0,0,0,.4); margin: 0; padding: 0; }" +
    ".panel.open { display: flex; }" +
    ".bar { display: flex; justify-content: flex-end; background: #1f2229; margin: 0; padding: 0; }" +
    ".close { width: 44px; height: 40px; border: 0; background: transparent; color: #fff; font: 24px/1 system-ui, sans-serif; cursor: pointer; margin: 0; padding: 0; }" +
    "iframe { display: block; flex: 1; width: 100%; height: auto; min-height: 0; border: 0; margin: 0; padding: 0; background: #fff;" +
    "  position: static; visibility: visible; opacity: 1; transform: none; }" +
    "@media (max-width: 600px) { .panel { top: 0; left: 0; right: 0; bottom: 0; width: 100vw; height: 100vh; height: 100dvh; max-height: none; border-radius: 0; }" +
    "  .launcher.open { display: none; } }";
  root.appendChild(style);

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "sb-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", T.open);
  var bar = document.createElement("div");
  bar.className = "bar";
  var close = document.createElement("button");
  close.type = "button";
  close.className = "close";
  close.setAttribute("aria-label", T.close);
  close.textContent = "×";
  bar.appendChild(close);
  var frame = document.createElement("iframe");
  frame.title = T.open;
  frame.src = origin + "/chat?embed=1&lang=" + encodeURIComponent(lang);
  panel.appendChild(bar);
  panel.appendChild(frame);

  var button = document.createElement("button");
  button.type = "button";
  button.className = "launcher";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "sb-panel");
  var label = document.createElement("span");
  label.textContent = T.open;
  var badge = document.createElement("span");
  badge.className = "badge";
  badge.hidden = true;
  button.appendChild(label);
  button.appendChild(badge);
  root.appendChild(panel);
  root.appendChild(button);

  var unread = 0;
  function setOpen(open) {
    panel.classList.toggle("open", open);
    button.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    host.setAttribute("data-open", open ? "1" : "0");
    if (open) {
      unread = 0; badge.hidden = true; badge.textContent = ""; button.removeAttribute("aria-label");
      host.setAttribute("data-unread", "0");
      try { frame.contentWindow.postMessage({type: "sb:focus"}, origin); } catch (e) { /* not loaded yet */ }
    } else button.focus();
  }
  button.addEventListener("click", function () { setOpen(!panel.classList.contains("open")); });
  close.addEventListener("click", function () { setOpen(false); });
  root.addEventListener("keydown", function (ev) { if (ev.key === "Escape" && panel.classList.contains("open")) setOpen(false); });
  window.addEventListener("message", function (ev) {
    if (ev.origin !== origin || !ev.data || typeof ev.data !== "object") return;
    if (ev.data.type === "sb:escape" && panel.classList.contains("open")) setOpen(false);
    if (ev.data.type === "sb:reply" && !panel.classList.contains("open")) {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
      host.setAttribute("data-unread", String(unread));
      button.setAttribute("aria-label", T.open + ", " + unread + " " + T.unread);
    }
  });
  host.setAttribute("data-open", "0");
  document.body.appendChild(host);
})();
