--
-- PostgreSQL database dump
--

\restrict QAARl7TdJNY9ddZKI9qiW7RBaEqBe0ntyvMJixk1v6wfAXOm1QWqu8aPZEV3t6o

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: host_network_pools(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.host_network_pools() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  changed text;
BEGIN
  FOREACH changed IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.host_id END,
                                 CASE WHEN TG_OP <> 'DELETE' THEN NEW.host_id END] LOOP
    CONTINUE WHEN changed IS NULL;
    DELETE FROM host_pools WHERE host_id = changed;
    INSERT INTO host_pools (host_id, addresses, without_gateway)
    SELECT changed, coalesce(sum(last_usable - first_usable + 1) FILTER (WHERE gateway IS NOT NULL), 0),
           count(*) FILTER (WHERE gateway IS NULL)
    FROM host_network WHERE host_id = changed HAVING count(*) > 0;
  END LOOP;
  RETURN NULL;
END $$;


--
-- Name: vms_host_load(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.vms_host_load() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.host_id IS NOT NULL AND OLD.state NOT IN ('deleted', 'failed') THEN
    INSERT INTO host_load_deltas (host_id, capsuls, vcpus, memory_mb, addresses)
    SELECT OLD.host_id, -1, -s.vcpus, -s.memory_mb, -(OLD.public_ipv4 IS NOT NULL)::integer
    FROM vm_sizes s WHERE s.id = OLD.size;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.host_id IS NOT NULL AND NEW.state NOT IN ('deleted', 'failed') THEN
    INSERT INTO host_load_deltas (host_id, capsuls, vcpus, memory_mb, addresses)
    SELECT NEW.host_id, 1, s.vcpus, s.memory_mb, (NEW.public_ipv4 IS NOT NULL)::integer
    FROM vm_sizes s WHERE s.id = NEW.size;
  END IF;
  RETURN NULL;
END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: accounts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.accounts (
    email text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT accounts_email_check CHECK (((email = lower(email)) AND (email ~ '^[^@\s]+@[^@\s]+$'::text)))
);


--
-- Name: api_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_tokens (
    id bigint NOT NULL,
    account text NOT NULL,
    name text NOT NULL,
    token_hash text NOT NULL,
    scope text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT api_tokens_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100))),
    CONSTRAINT api_tokens_scope_check CHECK ((scope = ANY (ARRAY['read'::text, 'write'::text])))
);


--
-- Name: api_tokens_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.api_tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: api_tokens_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.api_tokens_id_seq OWNED BY public.api_tokens.id;


--
-- Name: balance_episodes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.balance_episodes (
    account text NOT NULL,
    warned_week_at timestamp with time zone,
    warned_day_at timestamp with time zone,
    zero_at timestamp with time zone,
    deletion_warned_at timestamp with time zone,
    deleted_at timestamp with time zone
);


--
-- Name: bandwidth_notices; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.bandwidth_notices (
    vm_id text NOT NULL,
    month date NOT NULL,
    percent integer NOT NULL,
    sent_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT bandwidth_notices_percent_check CHECK ((percent = ANY (ARRAY[80, 100])))
);


--
-- Name: charges; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.charges (
    vm_id text NOT NULL,
    account text NOT NULL,
    hour timestamp with time zone NOT NULL,
    amount numeric(14,6) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT charges_amount_check CHECK ((amount >= (0)::numeric)),
    CONSTRAINT charges_hour_check CHECK ((hour = date_trunc('hour'::text, hour)))
);


--
-- Name: host_load; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.host_load (
    host_id text NOT NULL,
    capsuls bigint DEFAULT 0 NOT NULL,
    vcpus bigint DEFAULT 0 NOT NULL,
    memory_mb bigint DEFAULT 0 NOT NULL,
    addresses bigint DEFAULT 0 NOT NULL
)
WITH (fillfactor='50');


--
-- Name: host_load_deltas; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.host_load_deltas (
    id bigint NOT NULL,
    host_id text NOT NULL,
    capsuls integer NOT NULL,
    vcpus integer NOT NULL,
    memory_mb integer NOT NULL,
    addresses integer NOT NULL
);


--
-- Name: host_load_deltas_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.host_load_deltas_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: host_load_deltas_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.host_load_deltas_id_seq OWNED BY public.host_load_deltas.id;


--
-- Name: host_network; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.host_network (
    host_id text NOT NULL,
    network_name text DEFAULT 'default'::text NOT NULL,
    cidr cidr NOT NULL,
    first_usable inet NOT NULL,
    last_usable inet NOT NULL,
    gateway inet,
    dns_servers inet[] DEFAULT '{}'::inet[] NOT NULL,
    ipv6_cidr cidr,
    ipv6_gateway inet,
    CONSTRAINT host_network_check CHECK (((first_usable << (cidr)::inet) AND (last_usable << (cidr)::inet) AND (first_usable <= last_usable))),
    CONSTRAINT host_network_cidr_check CHECK ((family((cidr)::inet) = 4)),
    CONSTRAINT host_network_gateway CHECK (((gateway IS NULL) OR ((family(gateway) = 4) AND (gateway << (cidr)::inet) AND (NOT ((gateway >= first_usable) AND (gateway <= last_usable)))))),
    CONSTRAINT host_network_ipv6 CHECK ((((ipv6_cidr IS NULL) = (ipv6_gateway IS NULL)) AND ((ipv6_cidr IS NULL) OR ((family((ipv6_cidr)::inet) = 6) AND (family(ipv6_gateway) = 6)))))
);


--
-- Name: host_operation; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.host_operation (
    host_id text NOT NULL,
    operation_id uuid NOT NULL,
    assignment_status text NOT NULL,
    offered_at timestamp with time zone DEFAULT now() NOT NULL,
    answered_at timestamp with time zone,
    answer jsonb,
    CONSTRAINT host_operation_assignment_status_check CHECK ((assignment_status = ANY (ARRAY['offered'::text, 'claimed'::text, 'refused'::text, 'timeout'::text, 'error'::text, 'closed'::text, 'sent'::text, 'answered'::text])))
);


--
-- Name: host_pools; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.host_pools (
    host_id text NOT NULL,
    addresses bigint NOT NULL,
    without_gateway integer NOT NULL
);


--
-- Name: hosts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hosts (
    id text NOT NULL,
    https_url text NOT NULL,
    token text NOT NULL,
    hub_token text NOT NULL,
    previous_token text,
    previous_hub_token text,
    previous_valid_until timestamp with time zone,
    online boolean DEFAULT false NOT NULL,
    missed_heartbeats integer DEFAULT 0 NOT NULL,
    last_heartbeat_at timestamp with time zone,
    last_error text,
    capacity jsonb,
    last_event_seq bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_applied_seq bigint DEFAULT 0 NOT NULL,
    missing_networks jsonb DEFAULT '{}'::jsonb NOT NULL,
    reports_usage boolean,
    CONSTRAINT hosts_check CHECK ((token <> hub_token)),
    CONSTRAINT hosts_check1 CHECK (((previous_token IS NULL) = (previous_valid_until IS NULL))),
    CONSTRAINT hosts_https_url_check CHECK ((https_url ~ '^https://[^/]+$'::text)),
    CONSTRAINT hosts_id_check CHECK ((id ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'::text))
);


--
-- Name: hub_secrets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_secrets (
    name text NOT NULL,
    value text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: login_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.login_sessions (
    id bigint NOT NULL,
    secret_hash text NOT NULL,
    account text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    client_address inet,
    user_agent text,
    ended_at timestamp with time zone
);


--
-- Name: login_sessions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.login_sessions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: login_sessions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.login_sessions_id_seq OWNED BY public.login_sessions.id;


--
-- Name: login_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.login_tokens (
    token_hash text NOT NULL,
    email text NOT NULL,
    requested_by inet,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT login_tokens_email_check CHECK ((email = lower(email)))
);


--
-- Name: operations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.operations (
    id uuid NOT NULL,
    type text NOT NULL,
    account text,
    vm_id text,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    result jsonb,
    error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    assigned_at timestamp with time zone,
    completed_at timestamp with time zone,
    CONSTRAINT operations_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'assigned'::text, 'completed'::text, 'failed'::text]))),
    CONSTRAINT operations_type_check CHECK ((type = ANY (ARRAY['list'::text, 'capacity_available'::text, 'get'::text, 'destroy'::text, 'vm_state_command'::text, 'create'::text])))
);


--
-- Name: os_images; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.os_images (
    id text NOT NULL,
    description text NOT NULL,
    file_name text NOT NULL,
    deprecated boolean DEFAULT false NOT NULL,
    kernel_file text,
    initrd_file text,
    kernel_cmdline text,
    CONSTRAINT os_images_id_check CHECK ((id ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'::text))
);


--
-- Name: ownership_conflicts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ownership_conflicts (
    id bigint NOT NULL,
    vm_id text NOT NULL,
    owner text,
    reported_by text NOT NULL,
    operation_id uuid,
    seen_at timestamp with time zone DEFAULT now() NOT NULL,
    resolved_at timestamp with time zone
);


--
-- Name: ownership_conflicts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.ownership_conflicts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: ownership_conflicts_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.ownership_conflicts_id_seq OWNED BY public.ownership_conflicts.id;


--
-- Name: payment_intents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payment_intents (
    provider text NOT NULL,
    external_id text NOT NULL,
    account text NOT NULL,
    amount numeric(12,2) NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT payment_intents_amount_check CHECK ((amount > (0)::numeric)),
    CONSTRAINT payment_intents_provider_check CHECK ((provider = ANY (ARRAY['stripe'::text, 'btcpay'::text]))),
    CONSTRAINT payment_intents_status_check CHECK ((status = ANY (ARRAY['open'::text, 'processing'::text, 'paid'::text, 'expired'::text, 'invalid'::text])))
);


--
-- Name: payments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payments (
    id bigint NOT NULL,
    account text NOT NULL,
    amount numeric(12,2) NOT NULL,
    provider text NOT NULL,
    external_id text,
    reason text,
    created_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT payments_amount_check CHECK ((amount <> (0)::numeric)),
    CONSTRAINT payments_check CHECK (((provider = 'manual'::text) OR ((external_id IS NOT NULL) AND (amount > (0)::numeric)))),
    CONSTRAINT payments_check1 CHECK (((provider <> 'manual'::text) OR (reason IS NOT NULL))),
    CONSTRAINT payments_provider_check CHECK ((provider = ANY (ARRAY['stripe'::text, 'btcpay'::text, 'manual'::text])))
);


--
-- Name: payments_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.payments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: payments_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.payments_id_seq OWNED BY public.payments.id;


--
-- Name: periodic_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.periodic_runs (
    name text NOT NULL,
    last_run_at timestamp with time zone NOT NULL
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    id integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    applied_by text NOT NULL
);


--
-- Name: schema_state; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_state (
    only_row boolean DEFAULT true NOT NULL,
    oldest_version text NOT NULL,
    newest_version text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT schema_state_only_row_check CHECK (only_row)
);


--
-- Name: ssh_public_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ssh_public_keys (
    account text NOT NULL,
    name text NOT NULL,
    content text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    fingerprint text,
    CONSTRAINT ssh_public_keys_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100)))
);


--
-- Name: usage_5min; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usage_5min (
    vm_id text NOT NULL,
    bucket timestamp with time zone NOT NULL,
    samples integer NOT NULL,
    seconds double precision NOT NULL,
    vcpu_seconds double precision NOT NULL,
    cpu_seconds double precision NOT NULL,
    memory_byte_seconds double precision NOT NULL,
    memory_max_bytes bigint NOT NULL,
    disk_read_bytes bigint NOT NULL,
    disk_write_bytes bigint NOT NULL,
    disk_read_ops bigint NOT NULL,
    disk_write_ops bigint NOT NULL,
    net_rx_bytes bigint NOT NULL,
    net_tx_bytes bigint NOT NULL
);


--
-- Name: usage_hourly; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usage_hourly (
    vm_id text NOT NULL,
    bucket timestamp with time zone NOT NULL,
    samples integer NOT NULL,
    seconds double precision NOT NULL,
    vcpu_seconds double precision NOT NULL,
    cpu_seconds double precision NOT NULL,
    memory_byte_seconds double precision NOT NULL,
    memory_max_bytes bigint NOT NULL,
    disk_read_bytes bigint NOT NULL,
    disk_write_bytes bigint NOT NULL,
    disk_read_ops bigint NOT NULL,
    disk_write_ops bigint NOT NULL,
    net_rx_bytes bigint NOT NULL,
    net_tx_bytes bigint NOT NULL
);


--
-- Name: usage_monthly; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usage_monthly (
    vm_id text NOT NULL,
    month date NOT NULL,
    transfer_bytes bigint DEFAULT 0 NOT NULL
);


--
-- Name: usage_rollup_marks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usage_rollup_marks (
    level text NOT NULL,
    done_until timestamp with time zone,
    dirty_from timestamp with time zone,
    CONSTRAINT usage_rollup_marks_level_check CHECK ((level = ANY (ARRAY['5min'::text, 'hourly'::text])))
);


--
-- Name: usage_samples; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usage_samples (
    vm_id text NOT NULL,
    at timestamp with time zone NOT NULL,
    seconds double precision NOT NULL,
    vcpus integer NOT NULL,
    cpu_seconds double precision NOT NULL,
    memory_bytes bigint NOT NULL,
    disk_read_bytes bigint NOT NULL,
    disk_write_bytes bigint NOT NULL,
    disk_read_ops bigint NOT NULL,
    disk_write_ops bigint NOT NULL,
    net_rx_bytes bigint NOT NULL,
    net_tx_bytes bigint NOT NULL,
    CONSTRAINT usage_samples_cpu_seconds_check CHECK ((cpu_seconds >= (0)::double precision)),
    CONSTRAINT usage_samples_disk_read_bytes_check CHECK ((disk_read_bytes >= 0)),
    CONSTRAINT usage_samples_disk_read_ops_check CHECK ((disk_read_ops >= 0)),
    CONSTRAINT usage_samples_disk_write_bytes_check CHECK ((disk_write_bytes >= 0)),
    CONSTRAINT usage_samples_disk_write_ops_check CHECK ((disk_write_ops >= 0)),
    CONSTRAINT usage_samples_memory_bytes_check CHECK ((memory_bytes >= 0)),
    CONSTRAINT usage_samples_net_rx_bytes_check CHECK ((net_rx_bytes >= 0)),
    CONSTRAINT usage_samples_net_tx_bytes_check CHECK ((net_tx_bytes >= 0)),
    CONSTRAINT usage_samples_seconds_check CHECK ((seconds > (0)::double precision)),
    CONSTRAINT usage_samples_vcpus_check CHECK ((vcpus > 0))
);


--
-- Name: vm_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.vm_events (
    id bigint NOT NULL,
    vm_id text NOT NULL,
    host_id text,
    seq bigint,
    state text NOT NULL,
    reason text,
    at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: vm_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.vm_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: vm_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.vm_events_id_seq OWNED BY public.vm_events.id;


--
-- Name: vm_sizes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.vm_sizes (
    id text NOT NULL,
    dollars_per_month numeric(10,2) NOT NULL,
    vcpus integer NOT NULL,
    memory_mb integer NOT NULL,
    disk_gb integer NOT NULL,
    bandwidth_gb integer DEFAULT 0 NOT NULL,
    deprecated boolean DEFAULT false NOT NULL,
    CONSTRAINT vm_sizes_bandwidth_gb_check CHECK ((bandwidth_gb >= 0)),
    CONSTRAINT vm_sizes_disk_gb_check CHECK ((disk_gb > 0)),
    CONSTRAINT vm_sizes_dollars_per_month_check CHECK ((dollars_per_month >= (0)::numeric)),
    CONSTRAINT vm_sizes_memory_mb_check CHECK ((memory_mb > 0)),
    CONSTRAINT vm_sizes_vcpus_check CHECK ((vcpus > 0))
);


--
-- Name: vm_ssh_public_key; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.vm_ssh_public_key (
    vm_id text NOT NULL,
    account text NOT NULL,
    key_name text NOT NULL,
    content text NOT NULL
);


--
-- Name: vms; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.vms (
    id text NOT NULL,
    account text NOT NULL,
    size text NOT NULL,
    os text NOT NULL,
    host_id text,
    network_name text,
    public_ipv4 inet,
    state text DEFAULT 'pending'::text NOT NULL,
    failure_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    state_changed_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    ssh_host_keys jsonb,
    public_ipv6 inet,
    CONSTRAINT vms_check CHECK (((state = 'failed'::text) = (failure_reason IS NOT NULL))),
    CONSTRAINT vms_check1 CHECK (((state = ANY (ARRAY['pending'::text, 'failed'::text, 'deleted'::text])) OR (host_id IS NOT NULL))),
    CONSTRAINT vms_id_check CHECK ((id ~ '^capsul-[a-z0-9]{10}$'::text)),
    CONSTRAINT vms_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'creating'::text, 'running'::text, 'stopped'::text, 'paused'::text, 'crashed'::text, 'deleting'::text, 'deleted'::text, 'failed'::text])))
);


--
-- Name: api_tokens id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens ALTER COLUMN id SET DEFAULT nextval('public.api_tokens_id_seq'::regclass);


--
-- Name: host_load_deltas id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_load_deltas ALTER COLUMN id SET DEFAULT nextval('public.host_load_deltas_id_seq'::regclass);


--
-- Name: login_sessions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_sessions ALTER COLUMN id SET DEFAULT nextval('public.login_sessions_id_seq'::regclass);


--
-- Name: ownership_conflicts id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ownership_conflicts ALTER COLUMN id SET DEFAULT nextval('public.ownership_conflicts_id_seq'::regclass);


--
-- Name: payments id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments ALTER COLUMN id SET DEFAULT nextval('public.payments_id_seq'::regclass);


--
-- Name: vm_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vm_events ALTER COLUMN id SET DEFAULT nextval('public.vm_events_id_seq'::regclass);


--
-- Data for Name: accounts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.accounts (email, created_at) FROM stdin;
admin@example.org	2026-12-02 07:04:31.514749+00
bob@example.org	2026-12-02 07:04:31.576007+00
alice@example.org	2026-12-02 07:04:31.547993+00
\.


--
-- Data for Name: api_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_tokens (id, account, name, token_hash, scope, created_at, expires_at, last_used_at, revoked_at) FROM stdin;
1	alice@example.org	deploy	55062e84f9135b223f89e477c385390a5645bd8ddd7393f57f4850d24a6fdca6	write	2026-12-02 07:04:31.635173+00	\N	\N	\N
2	alice@example.org	grafana	6e59491eb4c2d14ada1967668b45e5431ced7e7f97953592a358e416d2ea9d2c	read	2026-12-02 07:04:31.646436+00	\N	\N	\N
3	alice@example.org	old	0a1aaafc6a4b0348e21903ee0103c79faff4a63f8189ddcf6acbe6a725812ad2	write	2026-12-02 07:04:31.65254+00	\N	\N	2026-12-02 07:04:31.679359+00
\.


--
-- Data for Name: balance_episodes; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.balance_episodes (account, warned_week_at, warned_day_at, zero_at, deletion_warned_at, deleted_at) FROM stdin;
\.


--
-- Data for Name: bandwidth_notices; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.bandwidth_notices (vm_id, month, percent, sent_at) FROM stdin;
\.


--
-- Data for Name: charges; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.charges (vm_id, account, hour, amount, created_at) FROM stdin;
capsul-fx8q09w6o5	alice@example.org	2026-12-02 07:00:00+00	0.007301	2026-12-02 07:04:32.623316+00
capsul-alq7isi0wg	bob@example.org	2026-12-02 07:00:00+00	0.007301	2026-12-02 07:04:32.623316+00
capsul-zfkmqek3hp	alice@example.org	2026-12-02 07:00:00+00	0.007301	2026-12-02 07:04:32.623316+00
capsul-ueplv3lr26	alice@example.org	2026-12-02 07:00:00+00	0.009808	2026-12-02 07:04:32.623316+00
capsul-bdpmqvtzlb	alice@example.org	2026-12-02 07:00:00+00	0.007301	2026-12-02 07:04:32.623316+00
\.


--
-- Data for Name: host_load; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.host_load (host_id, capsuls, vcpus, memory_mb, addresses) FROM stdin;
local	2	2	1024	2
spoke2	2	2	1536	2
\.


--
-- Data for Name: host_load_deltas; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.host_load_deltas (id, host_id, capsuls, vcpus, memory_mb, addresses) FROM stdin;
13	local	1	1	512	1
14	local	-1	-1	-512	-1
15	local	1	1	512	1
16	spoke2	-1	-1	-1024	-1
17	spoke2	1	1	1024	1
18	local	-1	-1	-512	-1
19	local	1	1	512	1
20	local	-1	-1	-512	-1
\.


--
-- Data for Name: host_network; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.host_network (host_id, network_name, cidr, first_usable, last_usable, gateway, dns_servers, ipv6_cidr, ipv6_gateway) FROM stdin;
local	default	192.0.2.0/24	192.0.2.2	192.0.2.254	192.0.2.1	{192.0.2.1}	2001:db8::/64	2001:db8::1
spoke2	default	198.51.100.0/24	198.51.100.2	198.51.100.254	198.51.100.1	{198.51.100.1}	\N	\N
\.


--
-- Data for Name: host_operation; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.host_operation (host_id, operation_id, assignment_status, offered_at, answered_at, answer) FROM stdin;
local	6b354ea5-ed26-4538-a7e2-ea6328547434	answered	2026-12-02 07:04:29.617154+00	2026-12-02 07:04:29.626634+00	{"vms": [], "last_event_seq": 0}
spoke2	055670dc-48a6-4611-9669-218bdc656fe1	answered	2026-12-02 07:04:31.49551+00	2026-12-02 07:04:31.508533+00	{"vms": [], "last_event_seq": 0}
local	7a6e0f9b-6a82-4d0d-a12c-b98c5ce4823a	claimed	2026-12-02 07:04:31.814558+00	2026-12-02 07:04:31.823477+00	\N
spoke2	7492883e-2fd0-4a2f-b7f5-534711f37560	claimed	2026-12-02 07:04:31.920334+00	2026-12-02 07:04:31.930119+00	\N
local	640a4da3-f363-4a3b-8447-b492f625855a	claimed	2026-12-02 07:04:32.000447+00	2026-12-02 07:04:32.008766+00	\N
spoke2	2b5a3aa4-3447-4584-a157-fe80c2b2fa36	claimed	2026-12-02 07:04:32.088045+00	2026-12-02 07:04:32.095469+00	\N
local	da05aa7d-2eb4-484f-8c68-1efe14ca2384	claimed	2026-12-02 07:04:32.163974+00	2026-12-02 07:04:32.172902+00	\N
spoke2	309a0abf-5fcb-4327-9c92-b3cc683fe120	answered	2026-12-02 07:04:32.224056+00	2026-12-02 07:04:32.228021+00	{"state": "stopped", "vm_id": "capsul-ueplv3lr26"}
local	4ef77fee-fbba-4480-8e35-adb455d75f16	answered	2026-12-02 07:04:32.248257+00	2026-12-02 07:04:32.252729+00	{"state": "deleted", "vm_id": "capsul-bdpmqvtzlb", "existed": true, "released_dhcp": [], "removed_files": 0}
\.


--
-- Data for Name: host_pools; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.host_pools (host_id, addresses, without_gateway) FROM stdin;
local	253	0
spoke2	253	0
\.


--
-- Data for Name: hosts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.hosts (id, https_url, token, hub_token, previous_token, previous_hub_token, previous_valid_until, online, missed_heartbeats, last_heartbeat_at, last_error, capacity, last_event_seq, created_at, last_applied_seq, missing_networks, reports_usage) FROM stdin;
local	https://127.0.0.1:33419	6dd6c23b583fd04bf0496e4469894445d349b3073434ad6e2dce9f59cd4c333d	b8eab1d11d9204af29aadb4095594af1851d1778ca988e5e51f6a44cfa7b0c2b	\N	\N	\N	t	0	2026-12-02 07:04:32.570591+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1024}	5	2026-12-02 07:04:29.538371+00	5	{}	f
spoke2	https://127.0.0.1:48577	e0ac758d3aa737467bacce8980442f47013e4c8a2ce86c5882741d38763895d6	3ee400b429cc16df2aa3e660cc4862d6a8da7177969d215eed699b8bb2cbc646	\N	\N	\N	t	0	2026-12-02 07:04:32.570591+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1536}	3	2026-12-02 07:04:30.187871+00	3	{}	f
\.


--
-- Data for Name: hub_secrets; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.hub_secrets (name, value, created_at) FROM stdin;
session_key	9piEQ8--E26CkU4oTS-Jwvh4y4mVwpQGBWVYHUmKhjs=	2026-12-02 07:04:29.553047+00
\.


--
-- Data for Name: login_sessions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_sessions (id, secret_hash, account, created_at, last_seen_at, client_address, user_agent, ended_at) FROM stdin;
1	13597a76d4aa9ce2c04f87b3ef6bdb21464d9629aa6f7c2fc65ddac5ff4e38fc	admin@example.org	2026-12-02 07:04:31.516644+00	2026-12-02 07:04:31.516644+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
2	92a30fd627fb12b66ff1adbe39e2dde76f012991b83f16f741a76c7571a8d0f7	alice@example.org	2026-12-02 07:04:31.55024+00	2026-12-02 07:04:31.55024+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
3	065eed0ab366ddbb39dc86e12785fb99f196d452aa67c9f47f139eac2ff9026a	bob@example.org	2026-12-02 07:04:31.577968+00	2026-12-02 07:04:31.577968+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
4	6119523342b35afc193cff1c602def417cf2058c005eccd009991364c418bea7	alice@example.org	2026-12-02 07:04:31.599109+00	2026-12-02 07:04:31.599109+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
\.


--
-- Data for Name: login_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_tokens (token_hash, email, requested_by, created_at, expires_at, used_at) FROM stdin;
98b6feefddc30132f991aa0e7d9909cbb542ddb3720d144a35b6ac4c8a5920f2	admin@example.org	127.0.0.1	2026-12-02 07:04:31.492201+00	2026-12-02 07:19:31.492201+00	2026-12-02 07:04:31.514749+00
4bd86ccaced7c21d20d3498e37f73e656671883ea0f7cc14cf25d8193ff72295	alice@example.org	127.0.0.1	2026-12-02 07:04:31.534814+00	2026-12-02 07:19:31.534814+00	2026-12-02 07:04:31.547993+00
fef1d41303af30df32bdf7d7c4694678620c899b41df6208bbaaafa7e58394c3	bob@example.org	127.0.0.1	2026-12-02 07:04:31.561537+00	2026-12-02 07:19:31.561537+00	2026-12-02 07:04:31.576007+00
cf1d8ea0367fc28af14fbe4f2657b31fe3b95d7c9d50c35290481d30be547fbb	alice@example.org	127.0.0.1	2026-12-02 07:04:31.585719+00	2026-12-02 07:19:31.585719+00	2026-12-02 07:04:31.597299+00
\.


--
-- Data for Name: operations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.operations (id, type, account, vm_id, payload, status, result, error, created_at, assigned_at, completed_at) FROM stdin;
6b354ea5-ed26-4538-a7e2-ea6328547434	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 07:04:29.612069+00	\N	2026-12-02 07:04:29.627836+00
055670dc-48a6-4611-9669-218bdc656fe1	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 07:04:31.494043+00	\N	2026-12-02 07:04:31.51431+00
7a6e0f9b-6a82-4d0d-a12c-b98c5ce4823a	create	alice@example.org	capsul-fx8q09w6o5	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 07:04:31.806268+00	2026-12-02 07:04:31.823477+00	\N
7492883e-2fd0-4a2f-b7f5-534711f37560	create	alice@example.org	capsul-ueplv3lr26	{"os": "debian12", "size": "f1-s"}	assigned	\N	\N	2026-12-02 07:04:31.913713+00	2026-12-02 07:04:31.930119+00	\N
640a4da3-f363-4a3b-8447-b492f625855a	create	alice@example.org	capsul-bdpmqvtzlb	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 07:04:31.993824+00	2026-12-02 07:04:32.008766+00	\N
2b5a3aa4-3447-4584-a157-fe80c2b2fa36	create	bob@example.org	capsul-alq7isi0wg	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 07:04:32.082775+00	2026-12-02 07:04:32.095469+00	\N
da05aa7d-2eb4-484f-8c68-1efe14ca2384	create	alice@example.org	capsul-zfkmqek3hp	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 07:04:32.158886+00	2026-12-02 07:04:32.172902+00	\N
309a0abf-5fcb-4327-9c92-b3cc683fe120	vm_state_command	alice@example.org	capsul-ueplv3lr26	{"command": "force-stop"}	completed	{"state": "stopped", "vm_id": "capsul-ueplv3lr26"}	\N	2026-12-02 07:04:32.222635+00	\N	2026-12-02 07:04:32.229015+00
4ef77fee-fbba-4480-8e35-adb455d75f16	destroy	alice@example.org	capsul-bdpmqvtzlb	{"network_name": "default"}	completed	{"state": "deleted", "vm_id": "capsul-bdpmqvtzlb", "existed": true, "released_dhcp": [], "removed_files": 0}	\N	2026-12-02 07:04:32.246791+00	\N	2026-12-02 07:04:32.253652+00
\.


--
-- Data for Name: os_images; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.os_images (id, description, file_name, deprecated, kernel_file, initrd_file, kernel_cmdline) FROM stdin;
debian12	Debian 12 (bookworm)	debian-12-genericcloud-amd64.qcow2	f	\N	\N	\N
alpine320	Alpine Linux 3.20	alpine-3.20-cloudinit.qcow2	f	\N	\N	\N
ubuntu24	Ubuntu 24.04 LTS	ubuntu-24.04-server-cloudimg-amd64.img	f	\N	\N	\N
\.


--
-- Data for Name: ownership_conflicts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.ownership_conflicts (id, vm_id, owner, reported_by, operation_id, seen_at, resolved_at) FROM stdin;
\.


--
-- Data for Name: payment_intents; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.payment_intents (provider, external_id, account, amount, status, created_at, updated_at) FROM stdin;
stripe	cs_test_000001	alice@example.org	15.00	paid	2026-12-02 07:04:31.75968+00	2026-12-02 07:04:31.762728+00
\.


--
-- Data for Name: payments; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.payments (id, account, amount, provider, external_id, reason, created_by, created_at) FROM stdin;
1	alice@example.org	20.00	manual	\N	welcome credit for alice@example.org	admin@example.org	2026-12-02 07:04:31.686797+00
2	bob@example.org	10.00	manual	\N	welcome credit for bob@example.org	admin@example.org	2026-12-02 07:04:31.721866+00
3	alice@example.org	15.00	stripe	cs_test_000001	\N	\N	2026-12-02 07:04:31.762728+00
\.


--
-- Data for Name: periodic_runs; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.periodic_runs (name, last_run_at) FROM stdin;
housekeeping	2026-12-02 07:04:29.57108+00
usage_rollup	2026-12-02 07:04:29.586061+00
heartbeat-sweep	2026-12-02 07:04:32.564865+00
\.


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migrations (id, name, checksum, applied_at, applied_by) FROM stdin;
1	0001_before_migrations	d8f7499891eba37f1359af1866621a607c35a7f6af91007e1719973e841c5694	2026-12-02 07:04:29.324054+00	0.7.0 (fresh install)
2	0002_embedded_pool_gateway	5ceb90900f518b82aae998573d043769973ab5c96ddbdd1b8d9e4ffdfb50f418	2026-12-02 07:04:29.324054+00	0.7.0 (fresh install)
\.


--
-- Data for Name: schema_state; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_state (only_row, oldest_version, newest_version, updated_at) FROM stdin;
t	0.6.0	0.7.0	2026-12-02 07:04:29.324054+00
\.


--
-- Data for Name: ssh_public_keys; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.ssh_public_keys (account, name, content, created_at, fingerprint) FROM stdin;
alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPPZcdILRwaAyPyd3/175B1tUFB4mE7WbmJfVA9LPR2e alice@example.org	2026-12-02 07:04:31.608264+00	SHA256:Ruj/r3TPBPkEPS+928WNpcsjrvvvU0wtgAmR4I4I8gI
bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII2zKv95gNfeT0NUTYvOI/OCoZH5yVZ0oF42Dk1YaUKu bob@example.org	2026-12-02 07:04:31.619586+00	SHA256:0RCKHX5uEQ7CBFQ36xfZ2NMiTjdJXeQIN9TtiEI5JIU
alice@example.org	desk	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1MCqgsNCIKXpELPTLL19c0i7MLro5i6Y9E7PhO7j4G desk	2026-12-02 07:04:31.628268+00	SHA256:4UoEl8NkIntH73gjBmAKaSncjbHlFVmdtIrrOj/FWqY
\.


--
-- Data for Name: usage_5min; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.usage_5min (vm_id, bucket, samples, seconds, vcpu_seconds, cpu_seconds, memory_byte_seconds, memory_max_bytes, disk_read_bytes, disk_write_bytes, disk_read_ops, disk_write_ops, net_rx_bytes, net_tx_bytes) FROM stdin;
\.


--
-- Data for Name: usage_hourly; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.usage_hourly (vm_id, bucket, samples, seconds, vcpu_seconds, cpu_seconds, memory_byte_seconds, memory_max_bytes, disk_read_bytes, disk_write_bytes, disk_read_ops, disk_write_ops, net_rx_bytes, net_tx_bytes) FROM stdin;
\.


--
-- Data for Name: usage_monthly; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.usage_monthly (vm_id, month, transfer_bytes) FROM stdin;
\.


--
-- Data for Name: usage_rollup_marks; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.usage_rollup_marks (level, done_until, dirty_from) FROM stdin;
5min	\N	\N
hourly	\N	\N
\.


--
-- Data for Name: usage_samples; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.usage_samples (vm_id, at, seconds, vcpus, cpu_seconds, memory_bytes, disk_read_bytes, disk_write_bytes, disk_read_ops, disk_write_ops, net_rx_bytes, net_tx_bytes) FROM stdin;
\.


--
-- Data for Name: vm_events; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vm_events (id, vm_id, host_id, seq, state, reason, at) FROM stdin;
1	capsul-fx8q09w6o5	\N	\N	pending	\N	2026-12-02 07:04:31.806268+00
2	capsul-fx8q09w6o5	local	\N	creating	\N	2026-12-02 07:04:31.823477+00
3	capsul-fx8q09w6o5	local	1	running	started (booted)	2026-12-02 07:04:31.842838+00
4	capsul-ueplv3lr26	\N	\N	pending	\N	2026-12-02 07:04:31.913713+00
5	capsul-ueplv3lr26	spoke2	\N	creating	\N	2026-12-02 07:04:31.930119+00
6	capsul-ueplv3lr26	spoke2	1	running	started (booted)	2026-12-02 07:04:31.946222+00
7	capsul-bdpmqvtzlb	\N	\N	pending	\N	2026-12-02 07:04:31.993824+00
8	capsul-bdpmqvtzlb	local	\N	creating	\N	2026-12-02 07:04:32.008766+00
9	capsul-bdpmqvtzlb	local	2	running	started (booted)	2026-12-02 07:04:32.022618+00
10	capsul-alq7isi0wg	\N	\N	pending	\N	2026-12-02 07:04:32.082775+00
11	capsul-alq7isi0wg	spoke2	\N	creating	\N	2026-12-02 07:04:32.095469+00
12	capsul-alq7isi0wg	spoke2	2	running	started (booted)	2026-12-02 07:04:32.109253+00
13	capsul-zfkmqek3hp	\N	\N	pending	\N	2026-12-02 07:04:32.158886+00
14	capsul-zfkmqek3hp	local	\N	creating	\N	2026-12-02 07:04:32.172902+00
15	capsul-zfkmqek3hp	local	3	running	started (booted)	2026-12-02 07:04:32.186482+00
16	capsul-ueplv3lr26	spoke2	3	stopped	forced off	2026-12-02 07:04:32.228918+00
17	capsul-bdpmqvtzlb	\N	\N	deleting	delete requested	2026-12-02 07:04:32.245346+00
18	capsul-bdpmqvtzlb	local	\N	deleted	\N	2026-12-02 07:04:32.25591+00
\.


--
-- Data for Name: vm_sizes; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vm_sizes (id, dollars_per_month, vcpus, memory_mb, disk_gb, bandwidth_gb, deprecated) FROM stdin;
f1-xs	5.33	1	512	25	500	f
f1-s	7.16	1	1024	25	1000	f
f1-m	12.67	1	2048	25	2000	f
f1-l	20.00	2	3072	25	3000	f
f1-x	27.00	3	4096	25	4000	f
f1-xx	50.00	4	8192	25	5000	f
\.


--
-- Data for Name: vm_ssh_public_key; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vm_ssh_public_key (vm_id, account, key_name, content) FROM stdin;
capsul-fx8q09w6o5	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPPZcdILRwaAyPyd3/175B1tUFB4mE7WbmJfVA9LPR2e alice@example.org
capsul-ueplv3lr26	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPPZcdILRwaAyPyd3/175B1tUFB4mE7WbmJfVA9LPR2e alice@example.org
capsul-bdpmqvtzlb	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPPZcdILRwaAyPyd3/175B1tUFB4mE7WbmJfVA9LPR2e alice@example.org
capsul-alq7isi0wg	bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII2zKv95gNfeT0NUTYvOI/OCoZH5yVZ0oF42Dk1YaUKu bob@example.org
capsul-zfkmqek3hp	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPPZcdILRwaAyPyd3/175B1tUFB4mE7WbmJfVA9LPR2e alice@example.org
\.


--
-- Data for Name: vms; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vms (id, account, size, os, host_id, network_name, public_ipv4, state, failure_reason, created_at, state_changed_at, deleted_at, ssh_host_keys, public_ipv6) FROM stdin;
capsul-fx8q09w6o5	alice@example.org	f1-xs	debian12	local	default	192.0.2.2	running	\N	2026-12-02 07:04:31.806268+00	2026-12-02 07:04:31.842838+00	\N	\N	2001:db8::2
capsul-alq7isi0wg	bob@example.org	f1-xs	debian12	spoke2	default	198.51.100.3	running	\N	2026-12-02 07:04:32.082775+00	2026-12-02 07:04:32.109253+00	\N	\N	\N
capsul-zfkmqek3hp	alice@example.org	f1-xs	debian12	local	default	192.0.2.4	running	\N	2026-12-02 07:04:32.158886+00	2026-12-02 07:04:32.186482+00	\N	\N	2001:db8::4
capsul-ueplv3lr26	alice@example.org	f1-s	debian12	spoke2	default	198.51.100.2	stopped	\N	2026-12-02 07:04:31.913713+00	2026-12-02 07:04:32.228918+00	\N	\N	\N
capsul-bdpmqvtzlb	alice@example.org	f1-xs	debian12	local	default	192.0.2.3	deleted	\N	2026-12-02 07:04:31.993824+00	2026-12-02 07:04:32.254745+00	2026-12-02 07:04:32.254745+00	\N	2001:db8::3
\.


--
-- Name: api_tokens_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.api_tokens_id_seq', 3, true);


--
-- Name: host_load_deltas_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.host_load_deltas_id_seq', 20, true);


--
-- Name: login_sessions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.login_sessions_id_seq', 4, true);


--
-- Name: ownership_conflicts_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.ownership_conflicts_id_seq', 1, false);


--
-- Name: payments_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.payments_id_seq', 3, true);


--
-- Name: vm_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.vm_events_id_seq', 18, true);


--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (email);


--
-- Name: api_tokens api_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (id);


--
-- Name: api_tokens api_tokens_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash);


--
-- Name: balance_episodes balance_episodes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.balance_episodes
    ADD CONSTRAINT balance_episodes_pkey PRIMARY KEY (account);


--
-- Name: bandwidth_notices bandwidth_notices_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.bandwidth_notices
    ADD CONSTRAINT bandwidth_notices_pkey PRIMARY KEY (vm_id, month, percent);


--
-- Name: charges charges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charges
    ADD CONSTRAINT charges_pkey PRIMARY KEY (vm_id, hour);


--
-- Name: host_load_deltas host_load_deltas_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_load_deltas
    ADD CONSTRAINT host_load_deltas_pkey PRIMARY KEY (id);


--
-- Name: host_load host_load_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_load
    ADD CONSTRAINT host_load_pkey PRIMARY KEY (host_id);


--
-- Name: host_network host_network_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_network
    ADD CONSTRAINT host_network_pkey PRIMARY KEY (host_id, network_name);


--
-- Name: host_operation host_operation_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_operation
    ADD CONSTRAINT host_operation_pkey PRIMARY KEY (host_id, operation_id);


--
-- Name: host_pools host_pools_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_pools
    ADD CONSTRAINT host_pools_pkey PRIMARY KEY (host_id);


--
-- Name: hosts hosts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hosts
    ADD CONSTRAINT hosts_pkey PRIMARY KEY (id);


--
-- Name: hub_secrets hub_secrets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_secrets
    ADD CONSTRAINT hub_secrets_pkey PRIMARY KEY (name);


--
-- Name: login_sessions login_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_sessions
    ADD CONSTRAINT login_sessions_pkey PRIMARY KEY (id);


--
-- Name: login_sessions login_sessions_secret_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_sessions
    ADD CONSTRAINT login_sessions_secret_hash_key UNIQUE (secret_hash);


--
-- Name: login_tokens login_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_tokens
    ADD CONSTRAINT login_tokens_pkey PRIMARY KEY (token_hash);


--
-- Name: operations operations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operations
    ADD CONSTRAINT operations_pkey PRIMARY KEY (id);


--
-- Name: os_images os_images_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.os_images
    ADD CONSTRAINT os_images_pkey PRIMARY KEY (id);


--
-- Name: ownership_conflicts ownership_conflicts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ownership_conflicts
    ADD CONSTRAINT ownership_conflicts_pkey PRIMARY KEY (id);


--
-- Name: ownership_conflicts ownership_conflicts_vm_id_reported_by_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ownership_conflicts
    ADD CONSTRAINT ownership_conflicts_vm_id_reported_by_key UNIQUE (vm_id, reported_by);


--
-- Name: payment_intents payment_intents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_intents
    ADD CONSTRAINT payment_intents_pkey PRIMARY KEY (provider, external_id);


--
-- Name: payments payments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_pkey PRIMARY KEY (id);


--
-- Name: periodic_runs periodic_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.periodic_runs
    ADD CONSTRAINT periodic_runs_pkey PRIMARY KEY (name);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (id);


--
-- Name: schema_state schema_state_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_state
    ADD CONSTRAINT schema_state_pkey PRIMARY KEY (only_row);


--
-- Name: ssh_public_keys ssh_public_keys_account_content_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ssh_public_keys
    ADD CONSTRAINT ssh_public_keys_account_content_key UNIQUE (account, content);


--
-- Name: ssh_public_keys ssh_public_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ssh_public_keys
    ADD CONSTRAINT ssh_public_keys_pkey PRIMARY KEY (account, name);


--
-- Name: usage_5min usage_5min_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_5min
    ADD CONSTRAINT usage_5min_pkey PRIMARY KEY (vm_id, bucket);


--
-- Name: usage_hourly usage_hourly_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_hourly
    ADD CONSTRAINT usage_hourly_pkey PRIMARY KEY (vm_id, bucket);


--
-- Name: usage_monthly usage_monthly_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_monthly
    ADD CONSTRAINT usage_monthly_pkey PRIMARY KEY (vm_id, month);


--
-- Name: usage_rollup_marks usage_rollup_marks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_rollup_marks
    ADD CONSTRAINT usage_rollup_marks_pkey PRIMARY KEY (level);


--
-- Name: usage_samples usage_samples_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_samples
    ADD CONSTRAINT usage_samples_pkey PRIMARY KEY (vm_id, at);


--
-- Name: vm_events vm_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vm_events
    ADD CONSTRAINT vm_events_pkey PRIMARY KEY (id);


--
-- Name: vm_sizes vm_sizes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vm_sizes
    ADD CONSTRAINT vm_sizes_pkey PRIMARY KEY (id);


--
-- Name: vm_ssh_public_key vm_ssh_public_key_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vm_ssh_public_key
    ADD CONSTRAINT vm_ssh_public_key_pkey PRIMARY KEY (vm_id, key_name);


--
-- Name: vms vms_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vms
    ADD CONSTRAINT vms_pkey PRIMARY KEY (id);


--
-- Name: api_tokens_live_name; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX api_tokens_live_name ON public.api_tokens USING btree (account, name) WHERE (revoked_at IS NULL);


--
-- Name: charges_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charges_account ON public.charges USING btree (account, hour);


--
-- Name: host_operation_offered; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX host_operation_offered ON public.host_operation USING btree (operation_id) WHERE (assignment_status = 'offered'::text);


--
-- Name: host_operation_one_claim; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX host_operation_one_claim ON public.host_operation USING btree (operation_id) WHERE (assignment_status = 'claimed'::text);


--
-- Name: login_sessions_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_sessions_account ON public.login_sessions USING btree (account, created_at);


--
-- Name: login_tokens_client; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_tokens_client ON public.login_tokens USING btree (requested_by, created_at);


--
-- Name: login_tokens_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_tokens_email ON public.login_tokens USING btree (email, created_at);


--
-- Name: operations_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operations_account ON public.operations USING btree (account, created_at DESC);


--
-- Name: operations_newest; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operations_newest ON public.operations USING btree (created_at DESC);


--
-- Name: operations_recent; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operations_recent ON public.operations USING btree (created_at);


--
-- Name: operations_vm; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operations_vm ON public.operations USING btree (vm_id);


--
-- Name: payments_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_account ON public.payments USING btree (account, created_at);


--
-- Name: payments_external; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX payments_external ON public.payments USING btree (provider, external_id) WHERE (external_id IS NOT NULL);


--
-- Name: ssh_public_keys_fingerprint; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX ssh_public_keys_fingerprint ON public.ssh_public_keys USING btree (account, fingerprint);


--
-- Name: usage_5min_bucket; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usage_5min_bucket ON public.usage_5min USING btree (bucket);


--
-- Name: usage_hourly_bucket_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usage_hourly_bucket_idx ON public.usage_hourly USING btree (bucket);


--
-- Name: usage_samples_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usage_samples_at ON public.usage_samples USING btree (at);


--
-- Name: vm_events_host_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX vm_events_host_seq ON public.vm_events USING btree (host_id, seq) WHERE (seq IS NOT NULL);


--
-- Name: vm_events_vm; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX vm_events_vm ON public.vm_events USING btree (vm_id, id);


--
-- Name: vms_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX vms_account ON public.vms USING btree (account, created_at);


--
-- Name: vms_host; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX vms_host ON public.vms USING btree (host_id) WHERE (state <> ALL (ARRAY['deleted'::text, 'failed'::text]));


--
-- Name: vms_host_newest; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX vms_host_newest ON public.vms USING btree (host_id, created_at DESC, id DESC);


--
-- Name: vms_live_ipv4; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX vms_live_ipv4 ON public.vms USING btree (public_ipv4) WHERE ((public_ipv4 IS NOT NULL) AND (state <> ALL (ARRAY['deleted'::text, 'failed'::text])));


--
-- Name: vms_live_ipv6; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX vms_live_ipv6 ON public.vms USING btree (public_ipv6) WHERE ((public_ipv6 IS NOT NULL) AND (state <> ALL (ARRAY['deleted'::text, 'failed'::text])));


--
-- Name: vms_newest; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX vms_newest ON public.vms USING btree (created_at DESC, id DESC);


--
-- Name: vms_state_newest; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX vms_state_newest ON public.vms USING btree (state, created_at DESC, id DESC);


--
-- Name: host_network host_network_pools; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER host_network_pools AFTER INSERT OR DELETE OR UPDATE ON public.host_network FOR EACH ROW EXECUTE FUNCTION public.host_network_pools();


--
-- Name: vms vms_host_load; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER vms_host_load AFTER INSERT OR DELETE OR UPDATE OF host_id, state, size, public_ipv4 ON public.vms FOR EACH ROW EXECUTE FUNCTION public.vms_host_load();


--
-- Name: api_tokens api_tokens_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email) ON DELETE CASCADE;


--
-- Name: balance_episodes balance_episodes_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.balance_episodes
    ADD CONSTRAINT balance_episodes_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email);


--
-- Name: bandwidth_notices bandwidth_notices_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.bandwidth_notices
    ADD CONSTRAINT bandwidth_notices_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id) ON DELETE CASCADE;


--
-- Name: charges charges_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charges
    ADD CONSTRAINT charges_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email);


--
-- Name: charges charges_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charges
    ADD CONSTRAINT charges_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id);


--
-- Name: host_network host_network_host_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_network
    ADD CONSTRAINT host_network_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.hosts(id) ON DELETE CASCADE;


--
-- Name: host_operation host_operation_host_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_operation
    ADD CONSTRAINT host_operation_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.hosts(id) ON DELETE CASCADE;


--
-- Name: host_operation host_operation_operation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_operation
    ADD CONSTRAINT host_operation_operation_id_fkey FOREIGN KEY (operation_id) REFERENCES public.operations(id) ON DELETE CASCADE;


--
-- Name: login_sessions login_sessions_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_sessions
    ADD CONSTRAINT login_sessions_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email) ON DELETE CASCADE;


--
-- Name: operations operations_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operations
    ADD CONSTRAINT operations_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email);


--
-- Name: operations operations_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operations
    ADD CONSTRAINT operations_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id);


--
-- Name: ownership_conflicts ownership_conflicts_operation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ownership_conflicts
    ADD CONSTRAINT ownership_conflicts_operation_id_fkey FOREIGN KEY (operation_id) REFERENCES public.operations(id) ON DELETE SET NULL;


--
-- Name: payment_intents payment_intents_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_intents
    ADD CONSTRAINT payment_intents_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email);


--
-- Name: payments payments_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email);


--
-- Name: ssh_public_keys ssh_public_keys_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ssh_public_keys
    ADD CONSTRAINT ssh_public_keys_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email) ON DELETE CASCADE;


--
-- Name: usage_5min usage_5min_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_5min
    ADD CONSTRAINT usage_5min_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id) ON DELETE CASCADE;


--
-- Name: usage_hourly usage_hourly_vm; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_hourly
    ADD CONSTRAINT usage_hourly_vm FOREIGN KEY (vm_id) REFERENCES public.vms(id) ON DELETE CASCADE;


--
-- Name: usage_monthly usage_monthly_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_monthly
    ADD CONSTRAINT usage_monthly_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id) ON DELETE CASCADE;


--
-- Name: usage_samples usage_samples_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage_samples
    ADD CONSTRAINT usage_samples_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id) ON DELETE CASCADE;


--
-- Name: vm_events vm_events_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vm_events
    ADD CONSTRAINT vm_events_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id) ON DELETE CASCADE;


--
-- Name: vm_ssh_public_key vm_ssh_public_key_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vm_ssh_public_key
    ADD CONSTRAINT vm_ssh_public_key_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id) ON DELETE CASCADE;


--
-- Name: vms vms_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vms
    ADD CONSTRAINT vms_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email);


--
-- Name: vms vms_host_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vms
    ADD CONSTRAINT vms_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.hosts(id);


--
-- Name: vms vms_os_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vms
    ADD CONSTRAINT vms_os_fkey FOREIGN KEY (os) REFERENCES public.os_images(id);


--
-- Name: vms vms_size_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vms
    ADD CONSTRAINT vms_size_fkey FOREIGN KEY (size) REFERENCES public.vm_sizes(id);


--
-- PostgreSQL database dump complete
--

\unrestrict QAARl7TdJNY9ddZKI9qiW7RBaEqBe0ntyvMJixk1v6wfAXOm1QWqu8aPZEV3t6o


