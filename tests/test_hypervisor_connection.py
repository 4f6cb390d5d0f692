"""The spoke's libvirt connection on its own: a libvirtd that never answers, lifecycle
callbacks delivered on the asyncio loop from libvirt's event thread, and builds a killed
spoke left half done."""
import asyncio
import socket
import sys
from pathlib import Path

import pytest

from capsul.spoke.domain_xml import build_domain_xml
from capsul.spoke.storage import GuestFiles
from capsul.spoke.virt import Hypervisor, HypervisorError
from tests.conftest import eventually
from tests.spoke_cluster import HOST_XML

TEST_DOMAIN = "<domain type='test'><name>{name}</name><memory>65536</memory><vcpu>1</vcpu>" \
              "<os><type>hvm</type></os></domain>"


async def test_a_libvirtd_that_accepts_but_never_answers_is_given_up_on(tmp_path):
    """A Unix socket that takes the connection and says nothing: libvirt's open would wait
    forever. connect() gives up after open_timeout with a message, and the abandoned open
    ends (and its thread with it) once the socket goes away."""
    path = tmp_path / "silent-libvirt.sock"
    silent = socket.socket(socket.AF_UNIX)
    silent.bind(str(path))
    silent.listen(8)  # never accepted: the client's connect succeeds, its first call waits
    hypervisor = Hypervisor(f"qemu+unix:///system?socket={path}&no_verify=1")
    hypervisor.open_timeout = 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(HypervisorError, match=r"cannot connect to qemu\+unix:///system.*no answer within 1 s"):
        await hypervisor.connect()
    assert loop.time() - started < 10  # a deadline check, not a benchmark: it did not wait forever
    assert not hypervisor.connected
    assert any(_in_open(frame) for frame in sys._current_frames().values())  # still waiting, abandoned
    silent.close()

    async def open_ended():
        return not any(_in_open(frame) for frame in sys._current_frames().values())
    await eventually(open_ended, within=30)
    await hypervisor.close()


async def test_lifecycle_events_reach_the_loop_from_libvirts_event_thread(tmp_path):
    host_file = tmp_path / "host.xml"
    host_file.write_text(HOST_XML.format(cpus=4, memory_kib=4 * 1024 * 1024))
    hypervisor = Hypervisor(f"test://{host_file}")
    loop = asyncio.get_running_loop()
    seen = []
    hypervisor.on_lifecycle(lambda *event: seen.append((asyncio.get_running_loop() is loop, *event)))
    await hypervisor.connect()
    try:
        with pytest.raises(RuntimeError, match="before connecting"):
            hypervisor.on_lifecycle(print)
        await hypervisor.define_and_start("capsul-evthread1", TEST_DOMAIN.format(name="capsul-evthread1"))
        await hypervisor.command("capsul-evthread1", "force-stop")

        async def both():
            return [(on_loop, vm, state) for on_loop, vm, state, _reason in seen]
        assert await eventually(lambda: _equal(both, [(True, "capsul-evthread1", "running"),
                                                       (True, "capsul-evthread1", "stopped")]))
    finally:
        await hypervisor.close()
    assert not hypervisor.connected


async def test_a_build_interrupted_between_define_and_start_is_finished_at_the_next_start(tmp_path):
    """The spoke defines a capsul's domain marked unfinished and removes the mark once it has
    started. One killed in between leaves a defined, never started domain: the next start of
    the spoke starts it. A capsul stopped by its owner (no mark) is left stopped."""
    host_file = tmp_path / "host.xml"
    host_file.write_text(HOST_XML.format(cpus=4, memory_kib=4 * 1024 * 1024))
    hypervisor = Hypervisor(f"test://{host_file}")
    await hypervisor.connect()
    try:
        def xml(vm_id):
            return build_domain_xml({"vm_id": vm_id, "memory_mb": 256, "vcpus": 1, "public_ipv4": "192.0.2.9"},
                                    GuestFiles(Path("/d"), Path("/s"), Path("/l")), domain_type="test")
        # built and then stopped by its owner: stays stopped
        await hypervisor.define_and_start("capsul-built0001", xml("capsul-built0001"))
        await hypervisor.command("capsul-built0001", "force-stop")
        # killed after defining it, before starting it
        await asyncio.to_thread(hypervisor._conn.defineXML, xml("capsul-halfway01"))
        assert await hypervisor.state("capsul-halfway01") == "stopped"

        assert await hypervisor.finish_interrupted_builds() == ["capsul-halfway01"]
        assert await hypervisor.state("capsul-halfway01") == "running"
        assert await hypervisor.state("capsul-built0001") == "stopped"
        # the mark is gone: stopped by its owner later, it is not started by another restart
        await hypervisor.command("capsul-halfway01", "force-stop")
        assert await hypervisor.finish_interrupted_builds() == []
        assert await hypervisor.state("capsul-halfway01") == "stopped"
    finally:
        await hypervisor.close()


def _in_open(frame) -> bool:
    """A thread still inside Hypervisor._open_blocking (the abandoned open)."""
    while frame is not None:
        if frame.f_code.co_name == "_open_blocking":
            return True
        frame = frame.f_back
    return False


def _equal(get, expected):
    async def check():
        return await get() == expected
    return check()


async def test_a_domain_deleted_while_the_spoke_walks_its_domains_is_skipped(tmp_path):
    """The soak's 24 failed creates: a capsul deleted between libvirt's listing and the question
    about it failed the whole capacity count, and with it another person's create."""
    import libvirt

    from capsul.spoke import virt
    host_file = tmp_path / "host.xml"
    host_file.write_text(HOST_XML.format(cpus=4, memory_kib=4 * 1024 * 1024))
    hypervisor = Hypervisor(f"test://{host_file}")
    await hypervisor.connect()
    try:
        names = ["capsul-aaaaaaaaaa", "capsul-bbbbbbbbbb", "capsul-cccccccccc"]
        for name in names:
            await hypervisor.define_and_start(name, TEST_DOMAIN.format(name=name))
        conn = hypervisor._conn
        asked: list[str] = []
        deleted: list[str] = []

        def read_deleting_another(dom):  # the first question undefines another listed domain, not asked yet
            if not asked:
                victim = next(n for n in names if n != dom.name())
                other = conn.lookupByName(victim)
                other.destroy()
                other.undefine()
                deleted.append(victim)
            asked.append(dom.name())
            return dom.name(), dom.info()[3]
        seen = await asyncio.to_thread(virt._of_each_capsul, conn, read_deleting_another)
        assert sorted(seen) == [(n, 1) for n in names if n not in deleted] and len(deleted) == 1
        with pytest.raises(libvirt.libvirtError):  # anything else still fails the call
            await asyncio.to_thread(virt._of_each_capsul, conn, lambda dom: dom.migrateSetMaxDowntime(-1, 0))
        capacity = await hypervisor.capacity()
        assert capacity.committed_cpus == 2
    finally:
        await hypervisor.close()
