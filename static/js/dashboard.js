/* Small progressive enhancements for the dashboard; every page works without them. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function closeNav() {
    document.body.classList.remove("nav-open");
    var toggle = document.querySelector(".nav-toggle");
    if (toggle) toggle.setAttribute("aria-expanded", "false");
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".nav-toggle");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    if (event.target.closest(".scrim")) closeNav();

    // Drop-down menus are <details>: close the open ones when clicking elsewhere.
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });

    var copy = event.target.closest("[data-copy-target]");
    if (copy) {
      var field = document.getElementById(copy.getAttribute("data-copy-target"));
      if (!field) return;
      var done = function () {
        var label = copy.textContent;
        copy.textContent = "Copied";
        setTimeout(function () { copy.textContent = label; }, 1600);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done);
      } else {
        field.select();
        document.execCommand("copy");
        done();
      }
    }

    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.closest(".alert").remove();

    var generate = event.target.closest("[data-generate-token]");
    if (generate) {
      var input = document.getElementById(generate.getAttribute("data-generate-token"));
      var bytes = new Uint8Array(24);
      crypto.getRandomValues(bytes);
      input.type = "text";
      input.value = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    closeNav();
    document.querySelectorAll("details.menu[open]").forEach(function (m) { m.removeAttribute("open"); });
  });

  // Plain (non-htmx) forms that destroy something ask first; a form that only feeds htmx
  // (data-no-submit) is never sent as a page.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-no-submit")) { event.preventDefault(); return; }
    if (window.htmx && form.hasAttribute("hx-post")) return;  // htmx asks via hx-confirm
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // htmx leaves the page alone on an error answer: say something rather than nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var status = event.detail.xhr.status;
    var text = status === 404 ? "That item no longer exists. Reload the page to see the current list." :
      status === 403 ? "You do not have permission to do this." :
      "Something went wrong. Please reload the page and try again.";
    var alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.innerHTML = '<p></p><button type="button" class="dismiss" data-dismiss aria-label="Dismiss">&times;</button>';
    alert.querySelector("p").textContent = text;
    flash.prepend(alert);
  });

  // A secret shown once is selected whole when focused, ready to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-select-on-focus")) {
      event.target.select();
    }
  });

  // A webhook URL that embeds a token follows the token field as it is typed.
  document.addEventListener("input", function (event) {
    var id = event.target.id;
    if (!id) return;
    document.querySelectorAll('[data-token-source="' + id + '"]').forEach(function (out) {
      var base = out.getAttribute("data-token-base");
      var placeholder = out.getAttribute("data-token-placeholder");
      out.value = base.replace(placeholder, event.target.value || placeholder);
    });
  });
})();
