"""Typed app keys of the hub."""
import aiopg
from aiohttp import web

from capsul.hub.capsuls import Hub
from capsul.hub.live import Broadcaster
from capsul.hub.resync import Resyncer
from capsul.hub.spoke_client import SpokeClient

db_pool = web.AppKey("db_pool", aiopg.Pool)
spoke_client = web.AppKey("spoke_client", SpokeClient)
resyncer = web.AppKey("resyncer", Resyncer)
broadcaster = web.AppKey("broadcaster", Broadcaster)
hub_service = web.AppKey("hub_service", Hub)  # the service layer the console and the API call
