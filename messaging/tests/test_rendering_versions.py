"""Template versions: every save is a new version, checked and compiled once; the current one is
found by locale with fallbacks; defaults install once per tenant in four languages."""

from __future__ import annotations

import pytest

from config.errors import ValidationFailed
from messaging.models import Template, TemplateVersion
from messaging.rendering import (
    MJML_COMPILES,
    default_templates_install,
    render_message,
    sample_context,
    template_version_current,
    template_version_save,
)
from messaging.rendering.defaults import default_templates
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db

BODY = """<mj-section>
  <mj-column>
    <mj-text>Hi {{ customer.first_name }}, order {{ order.number }} ships soon.</mj-text>
  </mj-column>
</mj-section>"""


@pytest.fixture
def template(personas):
    with tenant_scope(personas.tenant_a):
        return Template.objects.create(key="custom-shipped-email", name="Custom shipped", channel="email")


def save(tenant, template, locale="en", body=BODY, **fields):
    values = {"subject": "Order {{ order.number }}", "preheader": "On its way", **fields}
    with tenant_scope(tenant):
        return template_version_save(tenant, template, locale=locale, body=body, **values)


def test_every_save_is_a_new_numbered_version_per_locale(personas, template):
    first = save(personas.tenant_a, template)
    second = save(personas.tenant_a, template)
    german = save(personas.tenant_a, template, locale="de")
    assert (first.number, second.number, german.number) == (1, 2, 1)
    with tenant_scope(personas.tenant_a):
        assert TemplateVersion.objects.filter(template=template).count() == 3


def test_a_saved_email_version_holds_its_compiled_html_with_jinja_intact(personas, template):
    version = save(personas.tenant_a, template)
    assert version.compiled_at is not None
    assert "{{ customer.first_name }}" in version.compiled_html
    assert "<mj-" not in version.compiled_html


def test_mjml_compiles_once_per_version_however_often_it_renders(personas, template):
    before = MJML_COMPILES.total
    version = save(personas.tenant_a, template)
    assert MJML_COMPILES.total == before + 1
    with tenant_scope(personas.tenant_a):
        stored = TemplateVersion.objects.select_related("template").get(pk=version.pk)
    for _ in range(50):
        render_message(stored, sample_context())
    assert MJML_COMPILES.total == before + 1


def test_a_restore_is_a_new_version_that_remembers_its_source(personas, template, django_user_model):
    first = save(personas.tenant_a, template, subject="Old subject")
    save(personas.tenant_a, template, subject="New subject")
    with tenant_scope(personas.tenant_a):
        restored = template_version_save(
            personas.tenant_a, template, locale="en", subject=first.subject, preheader=first.preheader,
            body=first.body, actor=personas.alice, restored_from=first.number)
    assert (restored.number, restored.restored_from, restored.subject) == (3, 1, "Old subject")
    assert restored.created_by == personas.alice


def test_an_email_needs_a_subject(personas, template):
    with pytest.raises(ValidationFailed) as caught:
        save(personas.tenant_a, template, subject="")
    assert caught.value.details == {"subject": ["An e-mail needs a subject."]}


def test_an_unknown_locale_code_is_refused(personas, template):
    with pytest.raises(ValidationFailed) as caught:
        save(personas.tenant_a, template, locale="german")
    assert "locale" in caught.value.details


def test_another_tenants_template_cannot_get_a_version(personas, template):
    from config.errors import NotFound

    with pytest.raises(NotFound):
        save(personas.tenant_b, template)


def test_sms_versions_warn_when_sample_data_costs_two_segments(personas):
    with tenant_scope(personas.tenant_a):
        sms = Template.objects.create(key="long-sms", name="Long", channel="sms")
        version = template_version_save(personas.tenant_a, sms, locale="en", subject="", preheader="",
                                        body="{{ brand.name }}: " + "It’s coming. " * 6)
    assert version.compiled_html == ""
    assert version.warnings and "UCS-2" in version.warnings[0]


def test_the_current_version_is_the_newest_in_the_locale(personas, template):
    save(personas.tenant_a, template, locale="de", subject="v1")
    newest = save(personas.tenant_a, template, locale="de", subject="v2")
    with tenant_scope(template.tenant):
        assert template_version_current(template, "de").pk == newest.pk


def test_a_regional_locale_falls_back_to_its_language(personas, template):
    german = save(personas.tenant_a, template, locale="de")
    with tenant_scope(template.tenant):
        assert template_version_current(template, "de-AT").pk == german.pk


def test_a_missing_locale_falls_back_to_the_tenants_default_then_english(personas, template):
    english = save(personas.tenant_a, template, locale="en")
    french = save(personas.tenant_a, template, locale="fr")
    with tenant_scope(template.tenant):
        assert template_version_current(template, "es").pk == english.pk
    personas.tenant_a.default_locale = "fr"
    personas.tenant_a.save()
    template.tenant.refresh_from_db()
    with tenant_scope(template.tenant):
        assert template_version_current(template, "es").pk == french.pk


def test_a_template_without_versions_has_no_current_one(personas, template):
    with tenant_scope(template.tenant):
        assert template_version_current(template, "en") is None


def test_defaults_install_every_template_in_four_languages(personas):
    with tenant_scope(personas.tenant_a):
        installed = default_templates_install(personas.tenant_a)
    assert sorted(installed) == sorted(spec.key for spec in default_templates())
    assert {"shipped-email", "delivered-sms", "review_request-email"} <= set(installed)
    with tenant_scope(personas.tenant_a):
        locales = set(TemplateVersion.objects.values_list("template__key", "locale"))
        assert len(locales) == 26 * 4  # 16 e-mails (the upsell too), 10 SMS (7 a return's steps)
        assert Template.objects.get(key="review_request-email").has_marketing_content
        assert not Template.objects.get(key="shipped-email").has_marketing_content


def test_installing_defaults_twice_changes_nothing(personas):
    with tenant_scope(personas.tenant_a):
        default_templates_install(personas.tenant_a)
    before = MJML_COMPILES.total
    with tenant_scope(personas.tenant_a):
        default_templates_install(personas.tenant_a)
    assert MJML_COMPILES.total == before
    with tenant_scope(personas.tenant_a):
        assert TemplateVersion.objects.count() == 26 * 4
        assert Template.objects.count() == 26


def test_defaults_speak_the_shoppers_language(personas):
    with tenant_scope(personas.tenant_a):
        installed = default_templates_install(personas.tenant_a)
    with tenant_scope(installed["shipped-email"].tenant):
        subjects = {locale: template_version_current(installed["shipped-email"], locale).subject
                    for locale in ("en", "de", "fr", "es")}
    assert subjects == {"en": "Your order {{ order.number }} is on its way",
                        "de": "Deine Bestellung {{ order.number }} ist unterwegs",
                        "fr": "Votre commande {{ order.number }} est en route",
                        "es": "Tu pedido {{ order.number }} está en camino"}


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_every_default_passes_the_save_time_check(locale):
    from messaging.rendering import template_source_check
    from messaging.rendering.defaults import default_content

    for spec in default_templates():
        content = default_content(spec.milestone, spec.channel, locale)
        check = template_source_check(spec.channel, locale=locale,
                                      sample=sample_context(locale=locale, milestone=spec.milestone),
                                      **content)
        assert (check.errors, check.warnings) == ({}, []), (spec.key, locale)


def test_an_empty_body_is_refused(personas, template):
    with pytest.raises(ValidationFailed) as caught:
        save(personas.tenant_a, template, body="  ")
    assert caught.value.details == {"body": ["The message has no content."]}
