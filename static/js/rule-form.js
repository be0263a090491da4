/* The rule form offers only the templates of the channel chosen. Changing "Send by" or "When"
   moves the template to the one made for that trigger and channel ("shipped-sms"), else to
   the first of the channel, unless the person picked a fitting template themselves.
   Without this script both groups show and the server refuses a mismatch. */
(function () {
  "use strict";
  var channel = document.querySelector("[data-channel-select]");
  var trigger = document.getElementById("id_trigger");
  var template = document.getElementById("id_template");
  if (!channel || !trigger || !template) return;
  var picked = false;

  function sync() {
    var options = template.querySelectorAll("option[data-channel]");
    var first = null, made = null;
    options.forEach(function (option) {
      var fits = option.getAttribute("data-channel") === channel.value;
      option.hidden = option.disabled = !fits;
      if (fits && !first) first = option;
      if (fits && option.getAttribute("data-key") === trigger.value + "-" + channel.value) made = option;
    });
    template.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    var chosen = template.options[template.selectedIndex];
    if (chosen && !chosen.hidden && picked) return;
    if (made || first) template.value = (made || first).value;
  }

  template.addEventListener("change", function () { picked = true; });
  channel.addEventListener("change", sync);
  trigger.addEventListener("change", sync);
  // On an existing rule (or a form sent back with errors) the choice made stays.
  picked = template.form.hasAttribute("data-template-picked");
  sync();
})();
