// The feedback form: labels and lists from /api/feedback/options, sent as JSON with the CSRF token.
(function () {
  "use strict";
  var lang = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "ru";
  var $ = function (id) { return document.getElementById(id); };
  var csrf = null;
  var fields = ["phone", "name", "region", "topic", "description", "email"];
  document.documentElement.lang = lang;

  function fill(select, items, placeholder, key) {
    var first = document.createElement("option");
    first.value = ""; first.textContent = placeholder; select.appendChild(first);
    items.forEach(function (item) {
      var o = document.createElement("option");
      o.value = item.id; o.textContent = item[key]; select.appendChild(o);
    });
  }

  fetch("/api/feedback/options?lang=" + lang, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
    csrf = data.csrf;
    var L = data.labels;
    $("title").textContent = L.title; document.title = "Tele2 — " + L.title;
    $("intro").textContent = L.intro;
    $("not-handled").textContent = L.not_handled;
    fields.forEach(function (f) { $("l-" + f).textContent = L[f]; });
    $("submit").textContent = L.submit;
    fill($("region"), data.regions, L.choose, "name");
    fill($("topic"), data.topics, L.choose, "title");
    document.body.dataset.ready = "1";
  });

  $("form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = {};
    fields.forEach(function (f) { body[f] = $(f).value; $("e-" + f).textContent = ""; $(f).removeAttribute("aria-invalid"); });
    $("e-form").textContent = "";
    $("submit").disabled = true;
    fetch("/api/feedback?lang=" + lang, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify(body)})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        $("submit").disabled = false;
        if (data.ok) {
          $("form").hidden = true;
          $("done").textContent = data.message;
          $("done").dataset.number = data.number;
          $("done").hidden = false;
          return;
        }
        var first = null;
        Object.keys(data.errors || {}).forEach(function (f) {
          var box = $("e-" + f) || $("e-form");
          box.textContent = data.errors[f];
          if (fields.indexOf(f) >= 0) { $(f).setAttribute("aria-invalid", "true"); if (!first || fields.indexOf(f) < fields.indexOf(first)) first = f; }
        });
        if (first) $(first).focus();  // the first field to fix, its error read with it (aria-describedby)
      })
      .catch(function () { $("submit").disabled = false; $("e-form").textContent = lang === "en" ? "No connection, please try again." : "Нет связи, попробуйте ещё раз."; });
  });
})();
