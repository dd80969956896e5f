// Live updates: follow the product's event stream and, when a decision
// is recorded, fetch this page again and swap its main part in. A page
// showing the past has no stream. While the user is filling in a form
// the page is not swapped; it says that new decisions arrived instead.
(function () {
  "use strict";
  var url = document.body.dataset.live;
  var status = document.getElementById("live-status");
  if (!url || !window.EventSource) { return; }
  var last = 0, timer = null, waiting = false;

  function say(text) { if (status) { status.textContent = text; } }

  function busy() {
    var a = document.activeElement;
    if (a && a.form) { return true; }
    var open = document.querySelectorAll("details.decide[open] textarea");
    for (var i = 0; i < open.length; i++) { if (open[i].value !== "") { return true; } }
    return false;
  }

  function refresh() {
    timer = null;
    if (busy()) { waiting = true; say("new decisions: reload to see them"); return; }
    waiting = false;
    var u = new URL(window.location.href);
    u.searchParams.set("minSeq", String(last));
    u.searchParams.delete("done");
    fetch(u.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error("status " + r.status); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        var main = document.getElementById("main");
        if (fresh && main) { main.replaceWith(document.importNode(fresh, true)); }
        document.body.dataset.seq = String(last);
        say("live · updated " + new Date().toLocaleTimeString());
      })
      .catch(function (err) { say("live · update failed (" + err.message + ")"); });
  }

  var es = new EventSource(url);
  es.onopen = function () {
    document.body.dataset.liveOpen = "1";
    say(waiting ? "new decisions: reload to see them" : "live");
  };
  es.onerror = function () { say("reconnecting…"); };
  es.onmessage = function (ev) {
    var seq = parseInt(ev.lastEventId, 10);
    if (seq > last) { last = seq; }
    if (timer === null) { timer = window.setTimeout(refresh, 120); }
  };
  document.addEventListener("focusout", function () {
    if (waiting && timer === null) { timer = window.setTimeout(refresh, 300); }
  });
})();
