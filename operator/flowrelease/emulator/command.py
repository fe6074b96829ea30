"""`flowrelease emulator`: serve the emulator with uvicorn, seeded with the demo org, on a profile
(default `realistic`: an emulator a user starts by hand should behave like a real org)."""

from __future__ import annotations

import click
import uvicorn

from flowrelease.emulator.app import create_app
from flowrelease.emulator.behaviour import PROFILE_NAMES
from flowrelease.emulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, demo_seed


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--client-id", default=DEMO_CLIENT_ID, show_default=True, help="OAuth client id it accepts.")
@click.option(
    "--client-secret", default=DEMO_CLIENT_SECRET, show_default=True, help="OAuth client secret it accepts."
)
@click.option("--empty", is_flag=True, help="Start with an empty org instead of the demo org.")
@click.option(
    "--profile",
    type=click.Choice(PROFILE_NAMES),
    default="realistic",
    show_default=True,
    help="realistic: behaves like a real org where Genesys is undocumented (read lag, renumbered drafts, "
    "publishes taking seconds, …); ideal: everything done on the first poll.",
)
def emulator_command(
    host: str, port: int, client_id: str, client_secret: str, empty: bool, profile: str
) -> None:
    """Run the Genesys Cloud emulator (API, OAuth and the /_emulator/ control plane)."""
    seed = (
        {"clients": [{"id": client_id, "secret": client_secret}]}
        if empty
        else demo_seed(client_id, client_secret)
    )
    base_url = f"http://{host}:{port}"
    click.echo(f"Genesys Cloud emulator on {base_url}  (control plane: {base_url}/_emulator/)")
    click.echo(f"  client id:     {client_id}")
    shown = client_secret if client_secret == DEMO_CLIENT_SECRET else "(as given with --client-secret)"
    click.echo(f"  client secret: {shown}")
    click.echo("  org: " + ("empty" if empty else "demo (Support IVR, Billing IVR, Support In-Queue)"))
    click.echo(f"  profile:       {profile}  (change it with PUT {base_url}/_emulator/behaviour)")
    app = create_app(seed, profile=profile)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
