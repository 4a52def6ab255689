from django.urls import path

from qa import search_views, views

app_name = "qa"

urlpatterns = [
    path("learn/", views.learn_index, name="learn-index"),
    path("learn/<slug:subject>/", views.subject_detail, name="subject-detail"),
    path("learn/<slug:subject>/questions/<slug:slug>", views.question_detail, name="question-detail"),
    path("search", search_views.search, name="search"),
]
