"""Worker entry: runs one or more stage agents in a Faust worker process.

Consecutive stages (``--stage all``) run fused in one agent; any other set runs one agent each.

Each distinct set of stages is its own consumer group, so ``--stage matching`` can be scaled out
alone. Run any one stage under a single group at a time, or its records are processed twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import faust
from faust import Worker

from agents.classification import agent as classification_agent
from agents.enrichment import agent as enrichment_agent
from agents.exclusion import agent as exclusion_agent
from agents.matching import agent as matching_agent
from payeeflow.config import Settings
from streams.app import Stage, add_chain, add_probes, create_app
from streams.topics import create_topics

BUILDERS: dict[str, Callable[[Settings], Stage]] = {
    "exclusion": exclusion_agent.build,
    "classification": classification_agent.build,
    "matching": matching_agent.build,
    "enrichment": enrichment_agent.build,
}
STAGE_NAMES = tuple(BUILDERS)


def parse_stages(value: str) -> list[str]:
    names = list(STAGE_NAMES) if value == "all" else [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in BUILDERS]
    if unknown or not names:
        raise ValueError(f"unknown stage(s) {unknown}; choose from {', '.join(STAGE_NAMES)} or all")
    return names


def build_worker_app(settings: Settings, names: list[str]) -> faust.App:
    app = create_app(settings, "all" if list(names) == list(STAGE_NAMES) else "-".join(names))
    stages = [BUILDERS[name](settings) for name in names]
    if ",".join(names) in ",".join(STAGE_NAMES):  # consecutive stages run fused in one agent
        add_chain(app, settings, stages)
    else:
        for stage in stages:
            add_chain(app, settings, [stage])
    add_probes(app, stages)
    return app


def run_worker(settings: Settings, names: list[str]) -> None:
    asyncio.run(create_topics(settings))
    app = build_worker_app(settings, names)
    logging.getLogger(__name__).info("starting worker", extra={"stage": ",".join(names)})
    Worker(app, loglevel=settings.log_level, override_logging=False, quiet=True).execute_from_commandline()
