// Analytics charts (Chart.js, served from our own /static/vendor).
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var charts = {};
  var palette = ["#ff3495", "#1f2229", "#2e7d32", "#1565c0", "#f9a825", "#6a1b9a"];
  // the server counts Moscow days and picks the default range (the last 30 of them)

  function draw(id, type, labels, datasets, options) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart($(id), {type: type, data: {labels: labels, datasets: datasets}, options: Object.assign({responsive: true, animation: false}, options || {})});
  }
  function series(obj, stacked) {
    return Object.keys(obj).map(function (k, i) { return {label: k, data: obj[k], backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length]}; });
  }

  function load() {
    var q = $("from").value && $("to").value ? "from=" + $("from").value + "&to=" + $("to").value : "";
    ["daily", "entries", "agents", "diagnoses"].forEach(function (t) { $("csv-" + t).href = "/api/analytics.csv?" + q + "&table=" + t; });
    fetch("/api/analytics?" + q, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      $("from").value = d.from; $("to").value = d.to;
      ["daily", "entries", "agents", "diagnoses"].forEach(function (t) { $("csv-" + t).href = "/api/analytics.csv?from=" + d.from + "&to=" + d.to + "&table=" + t; });
      var t = d.totals;
      $("totals").textContent = "Messages: " + t.messages + " · conversations: " + t.conversations + " · fallback rate: " +
        (t.fallback_rate == null ? "—" : (100 * t.fallback_rate).toFixed(1) + "%") + " · handoff rate: " +
        (t.handoff_rate == null ? "—" : (100 * t.handoff_rate).toFixed(1) + "%");
      draw("c-messages", "bar", d.days, series(d.messages), {scales: {x: {stacked: true}, y: {stacked: true}}});
      draw("c-conversations", "bar", d.days, series(d.conversations), {scales: {x: {stacked: true}, y: {stacked: true}}});
      // days without data are gaps (null), never zeros
      draw("c-rates", "line", d.days, [{label: "fallback rate", data: d.fallback_rate, borderColor: palette[0], spanGaps: false}, {label: "handoff rate", data: d.handoff_rate, borderColor: palette[2], spanGaps: false}]);
      draw("c-waits", "line", d.days, [{label: "average", data: d.wait_seconds.average, borderColor: palette[3]}, {label: "max", data: d.wait_seconds.max, borderColor: palette[4]}]);
      $("c-entries").parentNode.style.height = Math.max(160, 28 * d.top_entries.length + 60) + "px";  // room for every label
      draw("c-entries", "bar", d.top_entries.map(function (e) { return e.title || e.entry; }), [{label: "answers", data: d.top_entries.map(function (e) { return e.count; }), backgroundColor: palette[1]}],
        {indexAxis: "y", maintainAspectRatio: false, scales: {y: {ticks: {autoSkip: false}}}});
      var assist = d.assist, abody = $("assist").tBodies[0]; while (abody.firstChild) abody.removeChild(abody.firstChild);
      $("assist-summary").textContent = "Suggestions used by agents: " + assist.used;
      assist.entries.forEach(function (a) {
        var tr = document.createElement("tr");
        [a.title, a.used].forEach(function (v) { var td = document.createElement("td"); td.textContent = String(v); tr.appendChild(td); });
        abody.appendChild(tr);
      });
      var dg = d.diagnoses, dbody = $("diagnoses").tBodies[0]; while (dbody.firstChild) dbody.removeChild(dbody.firstChild);
      Object.keys(dg.by_cause).forEach(function (cause) {
        var tr = document.createElement("tr");
        [cause, dg.by_cause[cause]].forEach(function (v) { var td = document.createElement("td"); td.textContent = String(v); tr.appendChild(td); });
        dbody.appendChild(tr);
      });
      $("diagnoses-summary").textContent = dg.total + " problems diagnosed; solved without an operator: " + dg.solved_without_operator +
        (dg.solved_share == null ? "" : " (" + Math.round(dg.solved_share * 100) + "%)") + "; fixed in one tap: " + dg.fixed_in_one_tap +
        "; handed to an operator: " + dg.handed_off;
      var body = $("ratings").tBodies[0]; while (body.firstChild) body.removeChild(body.firstChild);
      d.ratings.agents.forEach(function (a) {
        var tr = document.createElement("tr");
        [a.name, a.closed, a.rated, a.average == null ? "—" : a.average].forEach(function (v) { var td = document.createElement("td"); td.textContent = String(v); tr.appendChild(td); });
        body.appendChild(tr);
      });
      $("ratings-overall").textContent = "Overall: " + (d.ratings.overall.average == null ? "—" : d.ratings.overall.average) + " (" + d.ratings.overall.rated + " ratings)";
      [["praise", "praise"], ["complaints", "complaints"]].forEach(function (pair) {
        var box = d[pair[0]], list = $(pair[1]);
        $(pair[1] + "-count").textContent = box.count + (box.count === 1 ? " message" : " messages");
        while (list.firstChild) list.removeChild(list.firstChild);
        box.recent.forEach(function (v) {
          var li = document.createElement("li");
          li.textContent = v.at.replace("T", " ") + " · " + v.channel + " · " + v.text;
          list.appendChild(li);
        });
      });
      document.body.dataset.ready = "1";
    });
  }
  $("range").addEventListener("submit", function (ev) { ev.preventDefault(); load(); });
  fetch("/api/console/me", {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; }).then(function (me) {
    if (me) { $("me").textContent = me.name + " (" + me.role + ")"; $("logout-csrf").value = me.csrf; }
  });
  load();
})();
