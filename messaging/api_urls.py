from django.urls import path

from .api import views as api

urlpatterns = [
    path("messages/", api.MessageListApi.as_view(), name="api-message-list"),
    path("messages/<int:message_id>/", api.MessageDetailApi.as_view(), name="api-message-detail"),
    path("messages/<int:message_id>/resend/", api.MessageResendApi.as_view(),
         name="api-message-resend"),
    path("journeys/", api.JourneyListApi.as_view(), name="api-journey-list"),
    path("journeys/<int:journey_id>/", api.JourneyDetailApi.as_view(), name="api-journey-detail"),
    path("journeys/<int:journey_id>/rules/", api.JourneyRuleListApi.as_view(),
         name="api-journey-rules"),
    path("journeys/<int:journey_id>/rules/<int:rule_id>/", api.JourneyRuleDetailApi.as_view(),
         name="api-journey-rule-detail"),
    path("templates/", api.TemplateListApi.as_view(), name="api-template-list"),
    path("templates/<int:template_id>/", api.TemplateDetailApi.as_view(),
         name="api-template-detail"),
    path("templates/<int:template_id>/versions/", api.TemplateVersionListApi.as_view(),
         name="api-template-versions"),
]
