"""The Django project of the mozilla-django-oidc example: settings, URLs, views and the glue
the library's documentation asks an app to write (user names, the provider's logout URL)."""
