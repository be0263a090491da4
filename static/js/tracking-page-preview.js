/* Settings → Tracking page: the two previews of the real page follow the form before it is
   saved. Each change reloads them (after a short pause while typing) with the form's values
   in the query string; the server renders the page with them and stores nothing. */
(function () {
  "use strict";
  var form = document.getElementById("tracking-page-form");
  var box = document.querySelector(".page-previews");
  if (!form || !box) return;
  var frames = box.querySelectorAll("iframe");
  var choice = document.getElementById("preview-shipment");
  var timer = null;

  function url() {
    var params = new URLSearchParams(new FormData(form));
    params.delete("csrfmiddlewaretoken");
    params.set("preview", "1");
    params.set("shipment", choice.value);
    return box.getAttribute("data-preview-url") + "?" + params.toString();
  }

  function reload() {
    var next = url();
    frames.forEach(function (frame) { frame.src = next; });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(reload, 400);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  if (choice) choice.addEventListener("change", reload);
})();
