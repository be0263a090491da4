from django.urls import path

from .api import (
    RecommendationAttributionApi,
    RecommendationCategoryRulesApi,
    RecommendationPreviewApi,
    RecommendationProductRulesApi,
    RecommendationRecomputeApi,
    RecommendationSettingsApi,
)

urlpatterns = [
    path("recommendations/settings/", RecommendationSettingsApi.as_view(),
         name="api-recommendation-settings"),
    path("recommendations/products/<str:kind>/", RecommendationProductRulesApi.as_view(),
         name="api-recommendation-product-rules"),
    path("recommendations/category-rules/", RecommendationCategoryRulesApi.as_view(),
         name="api-recommendation-category-rules"),
    path("recommendations/preview/", RecommendationPreviewApi.as_view(),
         name="api-recommendation-preview"),
    path("recommendations/recompute/", RecommendationRecomputeApi.as_view(),
         name="api-recommendation-recompute"),
    path("recommendations/attribution/", RecommendationAttributionApi.as_view(),
         name="api-recommendation-attribution"),
]
