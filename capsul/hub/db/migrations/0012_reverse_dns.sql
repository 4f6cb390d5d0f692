-- oldest version: 0.10.0
-- Reverse DNS (docs/reverse-dns.md): the PTR name wanted for each address the hub has been asked about
-- (name NULL: the provider's default name, for released addresses too), and how its push to the
-- provider's DNS server went. Only additions: hubs of 0.10.0 keep serving (they neither show nor push).
CREATE TABLE IF NOT EXISTS reverse_dns (
  address         inet PRIMARY KEY,
  vm_id           text REFERENCES vms(id) ON DELETE SET NULL,  -- the capsul that holds (or held) it
  name            text CHECK (length(name) BETWEEN 1 AND 254),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'pushed', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text CHECK (length(last_error) <= 500),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  pushed_at       timestamptz
);
CREATE INDEX IF NOT EXISTS reverse_dns_to_push ON reverse_dns (next_attempt_at) WHERE state <> 'pushed';
CREATE INDEX IF NOT EXISTS reverse_dns_vm ON reverse_dns (vm_id);
