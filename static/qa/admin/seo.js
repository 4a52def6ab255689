/* Live character counts and hints for the SEO fields, and a search-result preview.
 *
 * Fields opt in with data-qa-count-max (and data-qa-count-min); qa/admin.py sets them, so the
 * limits live in one place (SEOForm).
 */
(function () {
  "use strict";

  function describe(length, min, max) {
    if (length === 0) return { state: "empty", text: "Empty: the page falls back to its question." };
    if (max && length > max) return { state: "over", text: (length - max) + " over " + max + ": search engines will cut it." };
    if (min && length < min) return { state: "under", text: (min - length) + " short of " + min + ": search engines may write their own." };
    return { state: "ok", text: "Good length." };
  }

  function attachCounter(field) {
    var min = parseInt(field.getAttribute("data-qa-count-min"), 10) || 0;
    var max = parseInt(field.getAttribute("data-qa-count-max"), 10) || 0;
    var counter = document.createElement("div");
    counter.className = "qa-counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    function update() {
      var length = field.value.trim().length;
      var verdict = describe(length, min, max);
      counter.className = "qa-counter qa-counter--" + verdict.state;
      counter.textContent = length + (max ? " / " + max : "") + " characters · " + verdict.text;
    }
    field.addEventListener("input", update);
    update();
  }

  function truncate(text, limit) {
    return text.length > limit ? text.slice(0, limit - 1).trimEnd() + "…" : text;
  }

  function attachSearchPreview(titleField, descriptionField) {
    var question = document.getElementById("id_question");
    var viewOnSite = document.querySelector("a.viewsitelink");
    var box = document.createElement("div");
    box.className = "qa-serp";
    box.innerHTML =
      '<div class="qa-serp__label">In search results it may look like this</div>' +
      '<div class="qa-serp__url"></div><div class="qa-serp__title"></div><div class="qa-serp__description"></div>';
    var fieldset = titleField.closest("fieldset");
    fieldset.appendChild(box);
    function update() {
      var title = titleField.value.trim() || (question ? question.value.trim() : "");
      var description = descriptionField ? descriptionField.value.trim() : "";
      box.querySelector(".qa-serp__url").textContent = viewOnSite
        ? new URL(viewOnSite.getAttribute("href"), window.location.origin).href
        : window.location.origin + "/learn/…";
      box.querySelector(".qa-serp__title").textContent = truncate(title, 60) || "(no title yet)";
      box.querySelector(".qa-serp__description").textContent = truncate(description, 160);
    }
    [titleField, descriptionField, question].forEach(function (field) {
      if (field) field.addEventListener("input", update);
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-qa-count-max]").forEach(attachCounter);
    var title = document.querySelector("[data-qa-serp=title]");
    if (title) attachSearchPreview(title, document.querySelector("[data-qa-serp=description]"));
  });
})();
