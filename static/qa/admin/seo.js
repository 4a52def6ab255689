/* Live character counts and hints for the SEO fields, and a search-result preview.
 *
 * Fields opt in with data-qa-count-max (and data-qa-count-min); qa/admin.py sets them, so the
 * limits live in one place (SEOForm).
 */
(function () {
  "use strict";

  function describe(length, min, max, generic) {
    if (generic) return { state: "empty", text: "The generic site title: the page shows “question | subject | " + generic + "” instead." };
    if (length === 0) return { state: "empty", text: "Empty: the page falls back to its question or answer." };
    if (max && length > max) return { state: "over", text: (length - max) + " over " + max + ": search engines will cut it." };
    if (min && length < min) return { state: "under", text: (min - length) + " short of " + min + ": search engines may write their own." };
    return { state: "ok", text: "Good length." };
  }

  function attachCounter(field) {
    var min = parseInt(field.getAttribute("data-qa-count-min"), 10) || 0;
    var max = parseInt(field.getAttribute("data-qa-count-max"), 10) || 0;
    var siteName = field.getAttribute("data-qa-site-name");
    var counter = document.createElement("div");
    counter.className = "qa-counter";
    counter.setAttribute("aria-live", "polite");
    (field.closest(".flex-container") || field).insertAdjacentElement("afterend", counter);
    function update() {
      var value = field.value.trim();
      var generic = siteName && value.indexOf(siteName + " |") === 0 ? siteName : "";
      var verdict = describe(value.length, min, max, generic);
      counter.className = "qa-counter qa-counter--" + verdict.state;
      counter.textContent = value.length + (max ? " / " + max : "") + " characters · " + verdict.text;
    }
    field.addEventListener("input", update);
    update();
  }

  function truncate(text, limit) {
    return text.length > limit ? text.slice(0, limit - 1).trimEnd() + "…" : text;
  }

  // Mirrors qa/seo.py: question_title() and question_description().
  function pageTitle(titleField, question, subject) {
    var siteName = titleField.getAttribute("data-qa-site-name");
    var own = titleField.value.trim();
    if (own && own.indexOf(siteName + " |") !== 0) return own;
    var subjectTitle = subject && subject.selectedIndex > 0 ? subject.options[subject.selectedIndex].text : "";
    return [question ? question.value.trim() : "", subjectTitle, siteName].filter(Boolean).join(" | ");
  }

  function answerStart(answer) {
    if (!answer) return "";
    return answer.value.replace(/[#*_`>$\\[\]()|-]+/g, " ").replace(/\s+/g, " ").trim();
  }

  function attachSearchPreview(titleField, descriptionField) {
    var question = document.getElementById("id_question");
    var subject = document.getElementById("id_subject");
    var answer = document.querySelector("#answer-group .markdownx-editor");
    var viewOnSite = document.querySelector("a.viewsitelink");
    var box = document.createElement("div");
    box.className = "qa-serp";
    box.innerHTML =
      '<div class="qa-serp__label">In search results it may look like this</div>' +
      '<div class="qa-serp__url"></div><div class="qa-serp__title"></div><div class="qa-serp__description"></div>';
    var fieldset = titleField.closest("fieldset");
    fieldset.appendChild(box);
    function update() {
      var title = pageTitle(titleField, question, subject);
      var description = (descriptionField && descriptionField.value.trim()) || answerStart(answer);
      box.querySelector(".qa-serp__url").textContent = viewOnSite
        ? new URL(viewOnSite.getAttribute("href"), window.location.origin).href
        : window.location.origin + "/learn/…";
      box.querySelector(".qa-serp__title").textContent = truncate(title, 60) || "(no title yet)";
      box.querySelector(".qa-serp__description").textContent = truncate(description, 160);
    }
    [titleField, descriptionField, question, subject, answer].forEach(function (field) {
      if (field) {
        field.addEventListener("input", update);
        field.addEventListener("change", update);
      }
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-qa-count-max]").forEach(attachCounter);
    var title = document.querySelector("[data-qa-serp=title]");
    if (title) attachSearchPreview(title, document.querySelector("[data-qa-serp=description]"));
  });
})();
