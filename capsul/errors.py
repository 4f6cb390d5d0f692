"""The one JSON error shape of every machine-facing endpoint: {"ok": false, "error": msg, "status": n}."""
from __future__ import annotations

import json
import logging

import psycopg2
from aiohttp import web

log = logging.getLogger(__name__)


# What a lost or refused database connection raises; answered with 503, not 500.
DATABASE_DOWN = (psycopg2.OperationalError, psycopg2.InterfaceError)
DATABASE_DOWN_MESSAGE = "the database is unavailable; try again shortly"


NUL_MESSAGE = "text may not contain NUL (0x00) characters"


def is_nul_refusal(e: ValueError) -> bool:
    """psycopg2 refuses a string holding NUL (PostgreSQL text cannot store it) with a ValueError."""
    return "NUL (0x00)" in str(e)


def error_body(status: int, message: str) -> dict:
    return {"ok": False, "error": message, "status": status}


class JsonError(web.HTTPException):
    """An HTTP error of any status, rendered in the standard shape; raise it from handlers."""

    def __init__(self, status: int, message: str):
        self.status_code = status  # read by HTTPException.__init__
        super().__init__(text=json.dumps(error_body(status, message)), content_type="application/json")
        self.message = message


def json_error(status: int, message: str) -> JsonError:
    return JsonError(status, message)


@web.middleware
async def json_errors_middleware(request: web.Request, handler):
    """Every failure as the standard JSON shape; never a traceback to the caller."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.content_type == "application/json" or e.status < 400:
            raise
        # aiohttp's own texts look like "404: Not Found"; a handler's text is already a message.
        default = not e.text or e.text.startswith(f"{e.status}: ")
        raise json_error(e.status, e.reason if default else e.text) from None
    except DATABASE_DOWN as e:
        log.error("database unavailable in %s %s: %s", request.method, request.rel_url.raw_path, e)
        raise json_error(503, DATABASE_DOWN_MESSAGE) from None
    except ValueError as e:
        if not is_nul_refusal(e):
            log.exception("unexpected error in %s %s", request.method, request.rel_url.raw_path)
            raise json_error(500, "internal error; the server log has the details") from None
        raise json_error(400, NUL_MESSAGE) from None
    except ConnectionResetError:  # the caller went away mid-request: nobody to answer
        log.debug("%s %s: connection lost", request.method, request.rel_url.raw_path)
        raise
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.rel_url.raw_path)
        raise json_error(500, "internal error; the server log has the details") from None
