// matcher web app: progressive enhancement only (every form works without this file).
// Actions post with fetch (same CSRF token, same session cookie) and update the card in place;
// the results list sorts and filters client-side.
(function () {
  "use strict";
  var body = document.body, base = body.dataset.base || "", csrf = body.dataset.csrf || "";
  var toast = document.getElementById("toast");
  // a fresh answer is rendered in the POST's response: give it its own address (reload = GET)
  var canon = document.querySelector("[data-canonical]");
  if (canon && window.history && history.replaceState) history.replaceState(null, "", canon.dataset.canonical);
  function say(msg, isErr) {
    if (!toast) return;
    toast.textContent = msg; toast.className = "show" + (isErr ? " err" : "");
    clearTimeout(say.t); say.t = setTimeout(function () { toast.className = ""; }, 2500);
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList.contains("act") || !form.dataset.event) return;
    ev.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "Accept": "application/json", "X-CSRF-Token": csrf } })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        if (button) button.disabled = false;
        if (!res.ok) { say(res.body.error || "failed", true); return; }
        var undo = form.action.endsWith("/undo"), event = form.dataset.event;
        var card = form.closest("[data-influencer-id]");
        if (form.hasAttribute("data-remove")) { if (card) card.remove(); say("Removed"); return; }
        if (event === "rating") { window.location.reload(); return; }
        form.action = base + (undo ? "/feedback" : "/undo");
        if (button) {
          button.textContent = undo ? form.dataset.label : form.dataset.doneLabel;
          button.classList.toggle("on", !undo); button.setAttribute("aria-pressed", String(!undo));
        }
        if (event === "dismissed" && card) card.classList.toggle("dismissed", !undo);
        say(undo ? "Undone" : "Saved");
      })
      .catch(function () { if (button) button.disabled = false; say("network error", true); });
  });
  var list = document.getElementById("matches");
  if (!list) return;
  var sort = document.querySelector("[data-sort]"), filter = document.querySelector("[data-filter]");
  var hide = document.querySelector("[data-hide-dismissed]");
  function applyHide() { list.classList.toggle("hide-dismissed", !!(hide && hide.checked)); }
  if (hide) { hide.addEventListener("change", applyHide); applyHide(); }
  if (sort) sort.addEventListener("change", function () {
    var key = sort.value, items = Array.prototype.slice.call(list.children);
    items.sort(function (a, b) {
      var x = parseFloat(a.dataset[key]), y = parseFloat(b.dataset[key]);
      return (key === "rank" || key === "cost") ? x - y : y - x;
    });
    items.forEach(function (li) { list.appendChild(li); });
  });
  if (filter) filter.addEventListener("input", function () {
    var q = filter.value.trim().toLowerCase();
    Array.prototype.forEach.call(list.children, function (li) {
      li.hidden = q !== "" && li.dataset.search.indexOf(q) < 0;
    });
  });
})();
