"""The Recommendations area (namespace `recommendations`); it replaces the placeholder area."""

from django.urls import path

from . import views

app_name = "recommendations"
urlpatterns = [
    path("recommendations/", views.recommendations_home, name="home"),
    path("recommendations/recompute/", views.recommendations_recompute, name="recompute"),
    path("recommendations/settings/", views.recommendations_settings, name="settings"),
    path("recommendations/products/<slug:kind>/", views.recommendations_products,
         name="products"),
    path("recommendations/category-rules/", views.recommendations_category_rules,
         name="category-rules"),
]
