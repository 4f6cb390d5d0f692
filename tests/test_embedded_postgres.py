"""The embedded cluster in a folder the postgres user could not reach (a clone under /root)."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import aiopg
import pytest

from capsul.embedded_postgres import EmbeddedPostgres

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")


async def test_a_private_parent_folder_gets_an_acl_for_postgres_only():
    private = Path(tempfile.mkdtemp(prefix="capsul-test-private-"))  # mode 0700, like /root
    assert private.stat().st_mode & 0o777 == 0o700
    pg = EmbeddedPostgres(private / "var" / "postgres")
    try:
        assert await pg.ensure_running() is True
        async with aiopg.connect(pg.dsn) as conn, conn.cursor() as cur:
            await cur.execute("SELECT current_database()")
            assert await cur.fetchone() == ("capsul",)
        acl = subprocess.run(["getfacl", "-p", str(private)], capture_output=True, text=True).stdout
        assert "user:postgres:--x" in acl
        # nobody else gained anything (the group bits of the mode now show the ACL mask)
        assert "group::---" in acl and "other::---" in acl
        assert await pg.ensure_running() is False  # running already: nothing to do
    finally:
        await pg.stop()
        shutil.rmtree(private, ignore_errors=True)
    assert not await pg.is_running()
