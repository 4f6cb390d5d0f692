"""Typed app keys of the hub."""
import aiopg
from aiohttp import web

from capsul.hub.capsuls import Hub
from capsul.hub.connections import Connections
from capsul.hub.live import Broadcaster
from capsul.hub.spokes.client import SpokeClient
from capsul.hub.spokes.resync import Resyncer

db_pool = web.AppKey("db_pool", aiopg.Pool)
spoke_client = web.AppKey("spoke_client", SpokeClient)
resyncer = web.AppKey("resyncer", Resyncer)
broadcaster = web.AppKey("broadcaster", Broadcaster)
hub_service = web.AppKey("hub_service", Hub)  # the service layer the console and the API call
connections_key = web.AppKey("connections", Connections)  # long-lived connections: caps, ended with their login
