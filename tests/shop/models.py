"""The models the docs' examples name as a project's own (an order, a post
and its comments), so those examples run as written against real tables
(tests/doc_snippets.py)."""

from django.conf import settings
from django.db import models


class Order(models.Model):
    total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    created = models.DateTimeField(auto_now_add=True)


class Post(models.Model):
    title = models.CharField(max_length=200)
    followers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")

    def get_absolute_url(self) -> str:
        return f"/posts/{self.pk}/"


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
