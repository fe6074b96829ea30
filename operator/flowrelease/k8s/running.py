"""Start kopf with flowrelease's registry, settings and memo (the programmatic `kopf run`)."""

from __future__ import annotations

import logging

import kopf

from flowrelease.k8s.config import OperatorConfig
from flowrelease.k8s.handlers import OperatorMemo, build_registry
from flowrelease.k8s.settings import build_settings


def configure_logging(config: OperatorConfig) -> None:
    kopf.configure(verbose=config.verbose, log_format=kopf.LogFormat.FULL)
    # kopf's per-request debug lines and aiohttp's access noise add nothing at INFO.
    if not config.verbose:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpx2").setLevel(logging.WARNING)  # lightkube's (kube_api), one line a request
        if config.peering is None:
            # Without --peering kopf runs only the event handler, and says "Handler 'notice' succeeded"
            # at INFO for every watch event; its warnings and errors still show.
            logging.getLogger("kopf.objects").setLevel(logging.WARNING)


async def run_operator(config: OperatorConfig) -> None:
    configure_logging(config)
    await kopf.operator(
        registry=build_registry(config),
        settings=build_settings(config),
        memo=OperatorMemo(config=config),
        clusterwide=config.clusterwide,
        namespaces=() if config.clusterwide else config.namespaces,
        # Peering only when asked for: kopf's own default would join the peering "default" whenever its CRD
        # exists, and pause this replica (but not its drift checks) behind another operator.
        standalone=config.peering is None,
        peering_name=config.peering,
        priority=config.priority if config.peering else None,
        liveness_endpoint=config.liveness or None,
    )
