"""The Notifications API: channels, topic subscriptions, a WebSocket per channel, `v2.flows.{flowId}` events.

`routes.ROUTES` are the API routes, the socket route and the control plane; `hub.NotificationHub` is the
state one `EmulatorRuntime` holds; the limits and failure knobs are in `knobs`.
"""
