"""Typed app keys of the console."""
import aiohttp
from aiohttp import web

from capsul.config import Config
from capsul.hub.mailer import Mailer

config_key = web.AppKey("config", Config)
mailer = web.AppKey("mailer", Mailer)
public_url = web.AppKey("public_url", str)  # BASE_URL, or the console listener's URL
client_session = web.AppKey("client_session", aiohttp.ClientSession)  # the process's one HTTP client
payment_providers = web.AppKey("payment_providers", dict)  # name -> provider, those configured
