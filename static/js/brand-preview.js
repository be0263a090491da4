/* Live brand preview: the mock e-mail and tracking card follow the form as it changes,
   before anything is saved. Values come from the same inputs the form submits. */
(function () {
  "use strict";
  var preview = document.getElementById("brand-preview");
  if (!preview) return;
  var stacks = JSON.parse(document.getElementById("font-stacks").textContent);
  var byId = function (id) { return document.getElementById(id); };
  var fields = {
    primary: byId("id_primary_color"), accent: byId("id_accent_color"), font: byId("id_font"),
    senderName: byId("id_sender_name"), senderEmail: byId("id_sender_email"),
    footer: byId("id_footer_text"), logo: byId("id_logo"), removeLogo: byId("id_remove_logo"),
    supportEmail: byId("id_support_email"), supportPhone: byId("id_support_phone"),
    helpUrl: byId("id_help_url"),
  };
  var savedLogo = preview.getAttribute("data-logo-url") || "";
  var storeName = preview.getAttribute("data-store-name");
  var objectUrl = null;

  function text(selector, value) {
    document.querySelectorAll(selector).forEach(function (el) { el.textContent = value; });
  }

  function showLogo(url) {
    var img = preview.querySelector("[data-preview-logo]");
    var word = preview.querySelector("[data-preview-wordmark]");
    img.hidden = !url;
    word.hidden = !!url;
    if (url) img.src = url;
  }

  function update() {
    if (fields.primary) {
      preview.style.setProperty("--brand-primary", fields.primary.value);
      text('[data-hex-for="primary"]', fields.primary.value.toUpperCase());
    }
    if (fields.accent) {
      preview.style.setProperty("--brand-accent", fields.accent.value);
      text('[data-hex-for="accent"]', fields.accent.value.toUpperCase());
    }
    if (fields.font) preview.style.setProperty("--brand-font", stacks[fields.font.value] || "");
    var name = (fields.senderName && fields.senderName.value.trim()) || storeName;
    text("[data-preview-sender-name]", name);
    text("[data-preview-sender-email]",
         (fields.senderEmail && fields.senderEmail.value.trim()) || "no sender address yet");
    text("[data-preview-footer]", (fields.footer && fields.footer.value.trim()) ||
         "You receive this e-mail because you ordered from " + storeName + ".");
    text("[data-preview-wordmark]", storeName);
    // The tracking page's help block: shown once any way to reach the shop is filled in.
    var value = function (field) { return field ? field.value.trim() : ""; };
    var email = value(fields.supportEmail), phone = value(fields.supportPhone);
    var help = value(fields.helpUrl);
    text("[data-preview-support-email]", email);
    text("[data-preview-support-phone]", phone);
    preview.querySelector("[data-preview-help-url]").hidden = !help;
    preview.querySelector("[data-preview-help]").hidden = !(email || phone || help);
    if (objectUrl) showLogo(objectUrl);
    else showLogo(fields.removeLogo && fields.removeLogo.checked ? "" : savedLogo);
  }

  if (fields.logo) {
    fields.logo.addEventListener("change", function () {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      var file = fields.logo.files && fields.logo.files[0];
      objectUrl = file && /^image\/(png|jpeg|webp)$/.test(file.type) ? URL.createObjectURL(file) : null;
      update();
    });
  }
  document.getElementById("brand-form").addEventListener("input", update);
  document.getElementById("brand-form").addEventListener("change", update);
  update();
})();
