/* The agent console's keyboard: "/" searches, arrows or j/k move through results, Enter opens
   the chosen (else the best) match, "g o" / "g s" / "g m" go to orders, shipments, messages,
   "n" writes a note on an order, "?" lists the shortcuts. Without it the search still works:
   the form's Enter opens the best match on the server (go=1). */
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function results() {
    var box = document.getElementById("console-results");
    var list = box && box.querySelector("[data-result]") ? box : document.getElementById("search-results");
    return list ? Array.prototype.slice.call(list.querySelectorAll("[data-result]")) : [];
  }

  function chosen(items) {
    for (var i = 0; i < items.length; i++) {
      if (items[i].getAttribute("aria-selected") === "true") return i;
    }
    return -1;
  }

  function choose(items, index) {
    if (!items.length) return;
    index = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
    items[index].scrollIntoView({ block: "nearest" });
    var input = document.getElementById("console-q");
    if (input) input.setAttribute("aria-activedescendant", items[index].id);
  }

  function move(step) {
    var items = results();
    if (!items.length) return false;
    choose(items, chosen(items) + step);
    return true;
  }

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var input = document.getElementById("console-q");
    if (event.target === input) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (move(event.key === "ArrowDown" ? 1 : -1)) event.preventDefault();
      } else if (event.key === "Enter") {
        var items = results();
        if (items.length) {
          event.preventDefault();
          window.location.assign(items[Math.max(0, chosen(items))].href);
        }
      } else if (event.key === "Escape") {
        document.getElementById("console-results").innerHTML = "";
        input.setAttribute("aria-expanded", "false");
        input.blur();
      }
      return;
    }
    if (typing(event.target)) return;
    if (pendingG) {
      pendingG = false;
      var go = { o: "/orders/", s: "/shipments/", m: "/messages/" }[event.key];
      if (go) { event.preventDefault(); window.location.assign(go); }
      return;
    }
    if (event.key === "/" && input) {
      event.preventDefault();
      input.focus();
      input.select();
    } else if (event.key === "g") {
      pendingG = true;
      setTimeout(function () { pendingG = false; }, 1500);
    } else if (event.key === "j" || event.key === "k") {
      if (move(event.key === "j" ? 1 : -1)) event.preventDefault();
    } else if (event.key === "Enter") {
      var found = results();
      var at = chosen(found);
      if (at >= 0 && document.activeElement === document.body) window.location.assign(found[at].href);
    } else if (event.key === "n") {
      var note = document.getElementById("note-text");
      if (note) { event.preventDefault(); note.focus(); }
    } else if (event.key === "?") {
      var dialog = document.getElementById("shortcuts");
      if (dialog && dialog.showModal) { event.preventDefault(); dialog.showModal(); }
    }
  });

  // The results list under the box: open while it has something to show.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "console-results") return;
    var input = document.getElementById("console-q");
    var open = event.target.children.length > 0;
    event.target.classList.toggle("open", open);
    if (input) input.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("click", function (event) {
    var box = document.getElementById("console-results");
    if (box && !event.target.closest("[data-console-search]")) box.classList.remove("open");
  });
})();
