"""capsul: self-hostable hosting of small virtual machines (hub + spokes)."""
