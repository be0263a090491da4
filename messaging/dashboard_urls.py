"""Dashboard pages of the messaging app (namespace `messaging`); they replace the Messages
and Journeys placeholders."""

from django.urls import path

from .dashboard import frames, guide, journeys, messages, templates

app_name = "messaging"
urlpatterns = [
    path("messages/", messages.message_list, name="messages"),
    path("messages/<int:message_id>/", messages.message_detail, name="message"),
    path("messages/<int:message_id>/content/", frames.message_frame, name="message-frame"),
    path("messages/<int:message_id>/resend/", messages.message_resend, name="message-resend"),
    path("messages/<int:message_id>/send-again/", messages.message_send_again,
         name="message-send-again"),
    path("orders/<int:order_id>/messages/send/", messages.order_message_send,
         name="order-message-send"),
    path("journeys/", journeys.journey_list, name="journeys"),
    path("journeys/<int:journey_id>/toggle/", journeys.journey_toggle, name="journey-toggle"),
    path("journeys/<int:journey_id>/rules/new/", journeys.rule_create, name="rule-create"),
    path("journeys/rules/<int:rule_id>/", journeys.rule_edit, name="rule-edit"),
    path("journeys/rules/<int:rule_id>/toggle/", journeys.rule_toggle, name="rule-toggle"),
    path("journeys/rules/<int:rule_id>/delete/", journeys.rule_delete, name="rule-delete"),
    path("journeys/templates/", templates.template_list, name="templates"),
    path("journeys/templates/guide/", guide.template_guide, name="template-guide"),
    path("journeys/templates/<int:template_id>/", templates.template_edit, name="template"),
    path("journeys/templates/<int:template_id>/preview/", templates.template_preview,
         name="template-preview"),
    path("journeys/templates/preview/<str:key>/", frames.template_preview_frame,
         name="template-preview-frame"),
    path("journeys/templates/<int:template_id>/test/", templates.template_test_send,
         name="template-test"),
    path("journeys/templates/<int:template_id>/versions/<int:version_id>/restore/",
         templates.template_restore, name="template-restore"),
]
