/* PMO Playbook: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function closeDropdowns(except) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      if (d !== except) { d.removeAttribute("open"); }
    });
  }

  // Dropdown menus (details/summary): clicking outside or pressing Escape closes them.
  document.addEventListener("click", function (event) {
    var inside = event.target.closest ? event.target.closest("details.dropdown") : null;
    closeDropdowns(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = document.querySelector("details.dropdown[open]");
      if (open) {
        open.removeAttribute("open");
        var summary = open.querySelector("summary");
        if (summary) { summary.focus(); }
      }
    }
  });

  // Plain forms with data-confirm ask before submitting (htmx forms use hx-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !form.hasAttribute("hx-post") && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Textareas with data-submit-on-enter send their form on Enter (Shift+Enter: new line).
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key === "Enter" && !event.shiftKey && el.matches && el.matches("textarea[data-submit-on-enter]")) {
      event.preventDefault();
      if (el.value.trim() && el.form) { el.form.requestSubmit(); }
    }
  });

  function showAlert(html) {
    var box = document.getElementById("alerts");
    if (!box) { return; }
    box.innerHTML = html;
  }

  // htmx errors: show the server's message (an HTML fragment from our own pages) at the top.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var type = xhr.getResponseHeader("content-type") || "";
    if (type.indexOf("text/html") === 0 && xhr.responseText) {
      showAlert(xhr.responseText);
    } else {
      showAlert('<div class="alert error">The request failed (' + xhr.status + "). Please try again.</div>");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    showAlert('<div class="alert error">The server could not be reached. Please try again.</div>');
  });
  document.addEventListener("htmx:beforeRequest", function () { showAlert(""); });

  // Keep the newest chat message in view (on load and after each swap of the panel).
  function scrollChat() {
    var list = document.getElementById("chat-messages");
    if (list) { list.scrollTop = list.scrollHeight; }
  }
  document.addEventListener("DOMContentLoaded", scrollChat);
  document.addEventListener("htmx:afterSettle", scrollChat);
})();
