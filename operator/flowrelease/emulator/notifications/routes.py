"""Every route of the Notifications API: REST, the channel WebSocket and its control plane."""

from flowrelease.emulator.notifications import api_routes, control_routes, socket_route

ROUTES = [*api_routes.ROUTES, *socket_route.ROUTES, *control_routes.ROUTES]
