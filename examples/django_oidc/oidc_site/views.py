"""The app's pages: the home page (public), the account page (``login_required``: a visit
without a session starts the library's sign-in), ``/me`` and the signed-out page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required  # type: ignore[import-untyped]
from django.http import HttpRequest, HttpResponse, JsonResponse  # type: ignore[import-untyped]
from django.shortcuts import render  # type: ignore[import-untyped]


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required  # type: ignore[untyped-decorator]
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "account.html")


def me(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"error": "not signed in"}, status=401)
    return JsonResponse({"name": user.get_full_name(), "email": user.email})


def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "signed_out.html")
