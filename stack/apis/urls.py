from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path

from apis.market import views

urlpatterns = [
    path("health/", views.health),   # cheap: used by the backend's healthcheck
    path("status/", views.status),   # JSON: what the whole stack has done so far
    path("admin/", admin.site.urls),
]
# With DJANGO_DEBUG=1, serve the admin's CSS/JS too (daphne does not serve static files).
urlpatterns += staticfiles_urlpatterns()
