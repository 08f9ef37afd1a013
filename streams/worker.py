"""Worker entry: runs one or more stage agents in a Faust worker process.

Consecutive stages (``--stage all``) run fused in one agent; any other set runs one agent each.
``--stage providers`` runs the slow providers' jobs apart from the stages (``providers_process``).

Each distinct set of stages is its own consumer group, so ``--stage matching`` can be scaled out
alone. Run any one stage under a single group at a time, or its records are processed twice.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable

import faust
from faust import Worker

from payeeflow.config import Settings
from payeeflow.streams.app import After, Sender, Stage, add_chain, add_probes, create_app
from payeeflow.streams.sender import StageSender
from payeeflow.streams.topics import create_topics

STAGE_NAMES = ("exclusion", "classification", "matching", "enrichment")
PROVIDERS = "providers"  # not a stage: the slow providers' jobs, advanced apart (``providers_process``)


def builder(name: str) -> Callable[[Settings], Stage]:
    """The stage's ``build``, imported on demand: a worker loads only the stages it runs."""
    module = importlib.import_module(f"payeeflow.agents.{name}.agent")
    return module.build  # type: ignore[no-any-return]


def parse_stages(value: str) -> list[str]:
    """The stages of ``--stage``: names, ``all``, or ``providers`` alone (``providers_process``)."""
    if value.strip() == PROVIDERS:
        return [PROVIDERS]
    names = list(STAGE_NAMES) if value == "all" else [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in STAGE_NAMES]
    if unknown or not names:
        raise ValueError(
            f"unknown stage(s) {unknown}; choose from {', '.join(STAGE_NAMES)}, all, or {PROVIDERS} alone"
        )
    return names


def build_worker_app(settings: Settings, names: list[str], sender: Sender | None = None) -> faust.App:
    """The worker's app; ``sender`` writes the stage topics (a librdkafka ``StageSender`` unless
    given, as tests give a fake)."""
    if names == [PROVIDERS]:
        return _providers_app(settings)
    app = create_app(settings, "all" if list(names) == list(STAGE_NAMES) else "-".join(names))
    stages = [builder(name)(settings) for name in names]
    sender = sender or StageSender(settings)
    fused = ",".join(names) in ",".join(STAGE_NAMES)  # consecutive stages run fused in one agent
    chains = [stages] if fused else [[stage] for stage in stages]
    for chain in chains:
        after = _slow_providers(app, settings, chain, sender)  # before add_chain reads the stages' apply
        add_chain(app, settings, chain, sender, after=after)
    add_probes(app, lambda: [f"{stage.name}: {base}" for stage in stages for base in stage.waiting_for()])
    return app


def _providers_app(settings: Settings) -> faust.App:
    """The providers process: its own consumer group and web port."""
    from payeeflow.agents.providers.workflow import (
        add_providers_process,  # the card client loads a signing key
    )

    app = create_app(settings.model_copy(update={"worker_web_port": settings.providers_web_port}), PROVIDERS)
    providers = add_providers_process(app, settings)
    add_probes(app, lambda: [] if providers.feed.ready.is_set() else [f"{PROVIDERS}: {providers.feed.base}"])
    return app


def _slow_providers(app: faust.App, settings: Settings, chain: list[Stage], sender: Sender) -> After | None:
    """What a chain ending in enrichment hands its batches to when a slow provider is on (its
    enrichment stage then settles at once what a shut provider would not answer)."""
    enabled = settings.card_network_enabled or settings.address_validation_enabled
    if not enabled or chain[-1].name != "enrichment":
        return None
    from payeeflow.agents.providers.workflow import add_slow_providers  # the card client loads a signing key

    # with a providers process, this worker only opens the jobs that process advances
    providers = add_slow_providers(
        app, settings, chain[0].source, advance=not settings.providers_process, sender=sender
    )
    enrichment = chain[-1]
    enrichment.apply = providers.screened(enrichment.apply)
    return providers.take


def run_worker(settings: Settings, names: list[str]) -> None:
    asyncio.run(create_topics(settings))
    app = build_worker_app(settings, names)
    logging.getLogger(__name__).info("starting worker", extra={"stage": ",".join(names)})
    Worker(app, loglevel=settings.log_level, override_logging=False, quiet=True).execute_from_commandline()
