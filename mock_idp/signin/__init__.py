"""The sign-in experience: Entra's page structure (:mod:`.ids`) and which page comes next
(:mod:`.flow`). The HTTP handlers are in :mod:`mock_idp.endpoints.signin`."""
