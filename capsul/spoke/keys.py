"""Typed app keys of the spoke."""
from aiohttp import web

from capsul.spoke.operations import SpokeOperations
from capsul.spoke.state import SpokeState
from capsul.spoke.usage import UsageSampler
from capsul.spoke.virt import Hypervisor

hypervisor = web.AppKey("hypervisor", Hypervisor)
state = web.AppKey("spoke_state", SpokeState)
operations = web.AppKey("spoke_operations", SpokeOperations)
usage_sampler = web.AppKey("usage_sampler", UsageSampler)
metrics_token = web.AppKey("metrics_token", str)  # "" when GET /metrics is off
