/* The answer editor around django-markdownx (qa/editor.py, qa/widgets/answer_editor.html).
 *
 * markdownx renders each preview into a hidden div and announces it with a "markdownx.update"
 * event; this copies it into the preview frame, which carries the reader pages' stylesheets.
 * It also keeps the two panes scrolled together, turns upload failures into a readable message
 * (markdownx would type "Invalid response" into the answer), saves on Ctrl+S and warns before
 * leaving a form with unsaved changes.
 */
(function () {
  "use strict";

  var UPLOAD_FAILED_TEXT = "Invalid response"; // what markdownx inserts when an upload fails

  function initEditor(root) {
    if (root.hasAttribute("data-qa-ready")) return;
    root.setAttribute("data-qa-ready", "");
    var textarea = root.querySelector(".markdownx-editor");
    var rendered = root.querySelector(".markdownx-preview");
    var frame = root.querySelector(".qa-editor__preview");
    var status = root.querySelector(".qa-editor__status");
    var message = root.querySelector(".qa-editor__message");
    var pending = null;

    function previewTarget() {
      var doc = frame.contentDocument;
      if (!doc || doc.readyState !== "complete") return null;
      return doc.querySelector("[data-preview-target]");
    }

    function show(html) {
      var target = previewTarget();
      if (!target) {
        pending = html;
        return;
      }
      target.innerHTML = html;
      pending = null;
      status.textContent = "";
    }

    frame.addEventListener("load", function () {
      show(pending !== null ? pending : rendered.innerHTML);
    });
    root.addEventListener("markdownx.update", function (event) {
      show(event.detail[0]);
    });
    textarea.addEventListener("input", function () {
      status.textContent = "updating…";
    });

    // Keep the preview at the same relative position as the Markdown being edited.
    textarea.addEventListener("scroll", function () {
      var doc = frame.contentDocument;
      if (!doc || !doc.scrollingElement) return;
      var range = textarea.scrollHeight - textarea.clientHeight;
      var ratio = range > 0 ? textarea.scrollTop / range : 0;
      var page = doc.scrollingElement;
      page.scrollTop = ratio * (page.scrollHeight - page.clientHeight);
    });

    function uploadFailed(event) {
      var response = event.detail && event.detail[0];
      var text = (response && response.error) || "The image could not be uploaded.";
      // markdownx inserts its placeholder right after dispatching this event.
      window.setTimeout(function () {
        var end = textarea.selectionStart;
        var start = end - UPLOAD_FAILED_TEXT.length;
        if (start >= 0 && textarea.value.slice(start, end) === UPLOAD_FAILED_TEXT) {
          textarea.value = textarea.value.slice(0, start) + textarea.value.slice(end);
          textarea.selectionStart = textarea.selectionEnd = start;
          textarea.dispatchEvent(new Event("input"));
        }
      }, 0);
      message.textContent = text;
      message.hidden = false;
    }
    root.addEventListener("markdownx.fileUploadError", uploadFailed);
    root.addEventListener("fileUploadError", uploadFailed);
    root.addEventListener("markdownx.fileUploadEnd", function () {
      message.hidden = true;
    });
  }

  function guardUnsavedChanges(form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        var save = form.querySelector("[name=_continue]") || form.querySelector("[type=submit]");
        if (save) {
          event.preventDefault();
          save.click();
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var editors = document.querySelectorAll(".qa-editor:not(.empty-form .qa-editor)");
    editors.forEach(initEditor);
    if (editors.length) {
      var form = editors[0].closest("form");
      if (form) guardUnsavedChanges(form);
    }
  });
})();
