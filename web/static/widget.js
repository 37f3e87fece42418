// Embeddable chat: <script src="https://support.example/widget.js" data-lang="ru"></script>
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var lang = script.getAttribute("data-lang") || "ru";
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = lang === "en" ? "Support chat" : "Чат поддержки";
  button.setAttribute("style", "position:fixed;right:20px;bottom:20px;z-index:2147483000;padding:12px 18px;border:0;" +
    "border-radius:24px;background:#1f2229;color:#fff;font:15px sans-serif;cursor:pointer;box-shadow:0 2px 8px #0005");
  var frame = document.createElement("iframe");
  frame.title = button.textContent;
  frame.src = origin + "/chat?embed=1&lang=" + encodeURIComponent(lang);
  frame.setAttribute("style", "position:fixed;right:20px;bottom:76px;width:360px;height:540px;max-height:80vh;border:0;" +
    "border-radius:12px;box-shadow:0 4px 24px #0006;z-index:2147483000;display:none;background:#fff");
  button.addEventListener("click", function () { frame.style.display = frame.style.display === "none" ? "block" : "none"; });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();
