"""The spoke: libvirt, and the endpoints the hub calls."""
