"""Endpoints outside the admin: where phones and tracking apps send positions."""

from django.urls import path

from patrols.osmand import osmand_position

app_name = "patrols"
urlpatterns: list = [
    # Traccar Client and OsmAnd (their "OsmAnd protocol"): the device token is the credential.
    path("osmand/", osmand_position, name="osmand"),
]
