"""Typed app keys for what hub and spoke apps share. Never use string keys."""
import aiohttp
from aiohttp import web

from capsul.config import Config

config = web.AppKey("config", Config)
http_session = web.AppKey("http_session", aiohttp.ClientSession)  # the process's one client session
