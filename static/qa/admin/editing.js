/* Who else is editing this article: keeps the server-rendered notices (li.qa-editing in #qa-editing) current.
 *
 * Every data-ping-seconds it POSTs the form's edit token to data-ping-url (qa/admin/presence.py),
 * which records this editor and answers the notices: others with the article open, and a save
 * made since this page was loaded. Without this script the notice is the one of page load, and
 * a stale save is still refused (qa/admin/edit_guard.py).
 */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The list also holds the admin's own messages ("…was changed successfully"): only ours are replaced.
  function show(list, notices) {
    list.querySelectorAll("li.qa-editing").forEach(function (item) { item.remove(); });
    notices.forEach(function (notice) {
      var item = document.createElement("li");
      item.className = "warning qa-editing qa-editing--" + notice.kind;
      item.textContent = notice.text;
      list.appendChild(item);
    });
  }

  function start() {
    var list = document.getElementById("qa-editing");
    if (!list) return;
    var url = list.getAttribute("data-ping-url");
    var seconds = parseInt(list.getAttribute("data-ping-seconds"), 10) || 20;
    var token = document.querySelector("input[name=edit_token]");
    var form = token && token.form;

    function ping() {
      var body = new FormData();
      body.append("edit_token", token ? token.value : "");
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form) || csrfToken(document) },
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer) {
            show(list, answer.notices);
            seconds = answer.ping_seconds || seconds;
          }
        })
        .catch(function () { /* offline for a moment: the next ping tries again */ })
        .then(function () { window.setTimeout(ping, seconds * 1000); });
    }
    window.setTimeout(ping, seconds * 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
