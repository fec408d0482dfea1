"""Mounted at /api/v1/ by the root urls."""

from rest_framework.routers import SimpleRouter

from servicerequests.api import RequestTypeViewSet, ServiceRequestViewSet

router = SimpleRouter()
router.register("requests", ServiceRequestViewSet, basename="service-request")
router.register("request-types", RequestTypeViewSet, basename="request-type")

urlpatterns = router.urls
