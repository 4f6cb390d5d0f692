--
-- PostgreSQL database dump
--

\restrict rWXRyZcoThsa8IYfyEDbPPFGBbVTS2nDptT2TtWzYkPa9IV7t8dqkgzbXfmmxYE

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
-- Name: host_load_add(text, text, integer, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.host_load_add(p_host text, p_size text, p_sign integer, p_address boolean) RETURNS void
    LANGUAGE sql
    AS $$
  INSERT INTO host_load AS l (host_id, vcpus, memory_mb, addresses)
  SELECT p_host, p_sign * s.vcpus, p_sign * s.memory_mb, p_sign * p_address::integer FROM vm_sizes s WHERE s.id = p_size
  ON CONFLICT (host_id) DO UPDATE SET vcpus = l.vcpus + EXCLUDED.vcpus, memory_mb = l.memory_mb + EXCLUDED.memory_mb,
                                      addresses = l.addresses + EXCLUDED.addresses
$$;


--
-- Name: host_network_pools(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.host_network_pools() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM host_pools_count(OLD.host_id); END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.host_id <> OLD.host_id) THEN
    PERFORM host_pools_count(NEW.host_id);
  END IF;
  RETURN NULL;
END $$;


--
-- Name: host_pools_count(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.host_pools_count(p_host text) RETURNS void
    LANGUAGE sql
    AS $$
  INSERT INTO host_load AS l (host_id, pool_size, pools_without_gateway)
  SELECT h.id, coalesce(sum(n.last_usable - n.first_usable + 1) FILTER (WHERE n.gateway IS NOT NULL), 0),
         count(n.host_id) FILTER (WHERE n.gateway IS NULL)
  FROM hosts h LEFT JOIN host_network n ON n.host_id = h.id WHERE h.id = p_host GROUP BY h.id
  ON CONFLICT (host_id) DO UPDATE SET pool_size = EXCLUDED.pool_size,
                                      pools_without_gateway = EXCLUDED.pools_without_gateway
$$;


--
-- Name: vms_host_load(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.vms_host_load() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.host_id IS NOT NULL AND OLD.state NOT IN ('deleted', 'failed') THEN
    PERFORM host_load_add(OLD.host_id, OLD.size, -1, OLD.public_ipv4 IS NOT NULL);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.host_id IS NOT NULL AND NEW.state NOT IN ('deleted', 'failed') THEN
    PERFORM host_load_add(NEW.host_id, NEW.size, 1, NEW.public_ipv4 IS NOT NULL);
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
    vcpus bigint DEFAULT 0 NOT NULL,
    memory_mb bigint DEFAULT 0 NOT NULL,
    addresses bigint DEFAULT 0 NOT NULL,
    pool_size bigint DEFAULT 0 NOT NULL,
    pools_without_gateway integer DEFAULT 0 NOT NULL
)
WITH (fillfactor='50');


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
admin@example.org	2026-12-02 01:55:27.837437+00
bob@example.org	2026-12-02 01:55:27.959986+00
alice@example.org	2026-12-02 01:55:27.900544+00
\.


--
-- Data for Name: api_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_tokens (id, account, name, token_hash, scope, created_at, expires_at, last_used_at, revoked_at) FROM stdin;
1	alice@example.org	deploy	544ab37cc1c75e34577749e19ccfd7d3540d1f9ab425a4c2077135102a4cc9a4	write	2026-12-02 01:55:28.097879+00	\N	\N	\N
2	alice@example.org	grafana	b7894cbd231156b647e72ac1dd8718f9616b5edcac196981f549af37767f2114	read	2026-12-02 01:55:28.123847+00	\N	\N	\N
3	alice@example.org	old	5eab637daf396aae39d2bc352286b69eb97bd737b61e95b4e74fd5fba9516dcc	write	2026-12-02 01:55:28.134449+00	\N	\N	2026-12-02 01:55:28.185836+00
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
capsul-iw3a874pwx	alice@example.org	2026-12-02 01:00:00+00	0.007301	2026-12-02 01:55:29.346832+00
capsul-1s29e4j7qv	alice@example.org	2026-12-02 01:00:00+00	0.007301	2026-12-02 01:55:29.346832+00
capsul-q1777bax7f	bob@example.org	2026-12-02 01:00:00+00	0.007301	2026-12-02 01:55:29.346832+00
capsul-tp9h6l7pb7	alice@example.org	2026-12-02 01:00:00+00	0.007301	2026-12-02 01:55:29.346832+00
capsul-lmmijltfnn	alice@example.org	2026-12-02 01:00:00+00	0.009808	2026-12-02 01:55:29.346832+00
\.


--
-- Data for Name: host_load; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.host_load (host_id, vcpus, memory_mb, addresses, pool_size, pools_without_gateway) FROM stdin;
spoke2	2	1536	2	253	0
local	2	1024	2	253	0
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
local	970444fe-6cbf-428c-a1c6-a8b915315450	answered	2026-12-02 01:55:24.300815+00	2026-12-02 01:55:24.312898+00	{"vms": [], "last_event_seq": 0}
spoke2	9162774b-e1e9-4eac-8e96-68d829ec8094	answered	2026-12-02 01:55:27.81173+00	2026-12-02 01:55:27.822988+00	{"vms": [], "last_event_seq": 0}
local	0afe886d-ed3d-497c-8d3f-073791feeb0f	claimed	2026-12-02 01:55:28.437599+00	2026-12-02 01:55:28.450556+00	\N
spoke2	56e1c25d-38b0-44df-bed8-2e752e994300	claimed	2026-12-02 01:55:28.59929+00	2026-12-02 01:55:28.613644+00	\N
local	a0fa8358-aa51-490e-9550-497144279a3c	claimed	2026-12-02 01:55:28.728912+00	2026-12-02 01:55:28.738449+00	\N
spoke2	38bd7009-4146-4693-a686-5a28c0036efb	claimed	2026-12-02 01:55:28.850134+00	2026-12-02 01:55:28.863953+00	\N
local	e14e061c-204c-4ebe-af5c-18a48f6ba151	claimed	2026-12-02 01:55:28.968082+00	2026-12-02 01:55:28.996701+00	\N
spoke2	ae556cce-2702-4a57-b90d-3f90d4bf9715	answered	2026-12-02 01:55:29.085711+00	2026-12-02 01:55:29.093273+00	{"state": "stopped", "vm_id": "capsul-lmmijltfnn"}
local	674f38a5-6c7a-46b9-90c9-3a8844834ab3	answered	2026-12-02 01:55:29.127848+00	2026-12-02 01:55:29.134868+00	{"state": "deleted", "vm_id": "capsul-iw3a874pwx", "existed": true, "released_dhcp": [], "removed_files": 0}
\.


--
-- Data for Name: hosts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.hosts (id, https_url, token, hub_token, previous_token, previous_hub_token, previous_valid_until, online, missed_heartbeats, last_heartbeat_at, last_error, capacity, last_event_seq, created_at, last_applied_seq, missing_networks, reports_usage) FROM stdin;
spoke2	https://127.0.0.1:44421	907a27861ecd1547b3f033731ac94118171c5bd1e85e1ef2f4e4b2c3240c9298	5993de15e468e6834280b3b0c426bcd25c965a439cb1204a967052b378105adf	\N	\N	\N	t	0	2026-12-02 01:55:29.268208+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1536}	3	2026-12-02 01:55:25.217782+00	3	{}	f
local	https://127.0.0.1:41991	a491fb4e6c5186ed1a2c2fac6bdb990bccc5b6cd3bade410c65650db4d4e8feb	e3a204c3abed6b56d5ba343feafbc868d58c35be16eb3aa19c64f17f3434c11d	\N	\N	\N	t	0	2026-12-02 01:55:29.268208+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1024}	5	2026-12-02 01:55:24.182096+00	5	{}	f
\.


--
-- Data for Name: hub_secrets; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.hub_secrets (name, value, created_at) FROM stdin;
session_key	OVkdu6TG0PaT_0EhoyFeEWsxnK05nwmXpp6y9QDRGqk=	2026-12-02 01:55:24.212173+00
\.


--
-- Data for Name: login_sessions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_sessions (id, secret_hash, account, created_at, last_seen_at, client_address, user_agent, ended_at) FROM stdin;
1	f7abe9de1a8258ce8d922969e4ae55f421fa4d467fbbec43440ca7ccbac3c398	admin@example.org	2026-12-02 01:55:27.842846+00	2026-12-02 01:55:27.842846+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
2	b1322e591051bd2484effff0faecd7aed8f94fd97b072e8e75d29fbeec6a2b52	alice@example.org	2026-12-02 01:55:27.904597+00	2026-12-02 01:55:27.904597+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
3	92d249420b5c10b633316443694ec172ca67f1c8143216f845ce4be1b010b537	bob@example.org	2026-12-02 01:55:27.965595+00	2026-12-02 01:55:27.965595+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
4	4cd742b24c8af6fe2054a2e3c6b2903fb3f286e14778709c1fc3213859b15f7c	alice@example.org	2026-12-02 01:55:28.015612+00	2026-12-02 01:55:28.015612+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
\.


--
-- Data for Name: login_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_tokens (token_hash, email, requested_by, created_at, expires_at, used_at) FROM stdin;
77192b3219f93c0990edb275d21f986f4cf8d5df1c6758745b089056bf871ce7	admin@example.org	127.0.0.1	2026-12-02 01:55:27.792824+00	2026-12-02 02:10:27.792824+00	2026-12-02 01:55:27.837437+00
c4397bd5bd95a9a4e457341fe422aae600c085f7974e9ba0ba8988473cd58d36	alice@example.org	127.0.0.1	2026-12-02 01:55:27.877442+00	2026-12-02 02:10:27.877442+00	2026-12-02 01:55:27.900544+00
31c2672bbd26dc5c8de8c805088f686bae3d85c7eece41a12e6ac722bf071341	bob@example.org	127.0.0.1	2026-12-02 01:55:27.9299+00	2026-12-02 02:10:27.9299+00	2026-12-02 01:55:27.959986+00
169d1a015310a8698e171d36f12f0346ee0d54fc1b691e3e2e91c51b5687aca2	alice@example.org	127.0.0.1	2026-12-02 01:55:27.986852+00	2026-12-02 02:10:27.986852+00	2026-12-02 01:55:28.012269+00
\.


--
-- Data for Name: operations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.operations (id, type, account, vm_id, payload, status, result, error, created_at, assigned_at, completed_at) FROM stdin;
970444fe-6cbf-428c-a1c6-a8b915315450	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 01:55:24.296212+00	\N	2026-12-02 01:55:24.314234+00
9162774b-e1e9-4eac-8e96-68d829ec8094	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 01:55:27.803902+00	\N	2026-12-02 01:55:27.835173+00
0afe886d-ed3d-497c-8d3f-073791feeb0f	create	alice@example.org	capsul-tp9h6l7pb7	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:55:28.428201+00	2026-12-02 01:55:28.450556+00	\N
56e1c25d-38b0-44df-bed8-2e752e994300	create	alice@example.org	capsul-lmmijltfnn	{"os": "debian12", "size": "f1-s"}	assigned	\N	\N	2026-12-02 01:55:28.585398+00	2026-12-02 01:55:28.613644+00	\N
a0fa8358-aa51-490e-9550-497144279a3c	create	alice@example.org	capsul-iw3a874pwx	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:55:28.722463+00	2026-12-02 01:55:28.738449+00	\N
38bd7009-4146-4693-a686-5a28c0036efb	create	bob@example.org	capsul-q1777bax7f	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:55:28.84517+00	2026-12-02 01:55:28.863953+00	\N
e14e061c-204c-4ebe-af5c-18a48f6ba151	create	alice@example.org	capsul-1s29e4j7qv	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:55:28.962122+00	2026-12-02 01:55:28.996701+00	\N
ae556cce-2702-4a57-b90d-3f90d4bf9715	vm_state_command	alice@example.org	capsul-lmmijltfnn	{"command": "force-stop"}	completed	{"state": "stopped", "vm_id": "capsul-lmmijltfnn"}	\N	2026-12-02 01:55:29.082982+00	\N	2026-12-02 01:55:29.096411+00
674f38a5-6c7a-46b9-90c9-3a8844834ab3	destroy	alice@example.org	capsul-iw3a874pwx	{"network_name": "default"}	completed	{"state": "deleted", "vm_id": "capsul-iw3a874pwx", "existed": true, "released_dhcp": [], "removed_files": 0}	\N	2026-12-02 01:55:29.125605+00	\N	2026-12-02 01:55:29.138741+00
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
stripe	cs_test_000001	alice@example.org	15.00	paid	2026-12-02 01:55:28.345454+00	2026-12-02 01:55:28.350808+00
\.


--
-- Data for Name: payments; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.payments (id, account, amount, provider, external_id, reason, created_by, created_at) FROM stdin;
1	alice@example.org	20.00	manual	\N	welcome credit for alice@example.org	admin@example.org	2026-12-02 01:55:28.201488+00
2	bob@example.org	10.00	manual	\N	welcome credit for bob@example.org	admin@example.org	2026-12-02 01:55:28.261796+00
3	alice@example.org	15.00	stripe	cs_test_000001	\N	\N	2026-12-02 01:55:28.350808+00
\.


--
-- Data for Name: periodic_runs; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.periodic_runs (name, last_run_at) FROM stdin;
housekeeping	2026-12-02 01:55:24.242799+00
usage_rollup	2026-12-02 01:55:24.258673+00
heartbeat-sweep	2026-12-02 01:55:29.759888+00
\.


--
-- Data for Name: ssh_public_keys; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.ssh_public_keys (account, name, content, created_at, fingerprint) FROM stdin;
alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEGl7DgflGC+squmoRtg/X2ist+2F+gR69Vq/KYwq0WY alice@example.org	2026-12-02 01:55:28.033597+00	SHA256:tyg3XJ+zCQ8ohOUwmdZ3cH3yfr8gbWVTUDdsmopXPYE
bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK7wxEJGoKl6OinM+sl1I0utpzqmu9y5BcRvSm/p79W7 bob@example.org	2026-12-02 01:55:28.060696+00	SHA256:RUWcDGplt7bJUF6CdzyqETMSsdznyqrhFxmd0+1ix2M
alice@example.org	desk	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExeENC2KEz9BS10g1sGQo9qmv8RXZrQNpXWDKcbxmwu desk	2026-12-02 01:55:28.076659+00	SHA256:lhhoHxSKIWNIYtqUJMyeTq14BMfEoNDqXrDZTfzQeVc
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
1	capsul-tp9h6l7pb7	\N	\N	pending	\N	2026-12-02 01:55:28.428201+00
2	capsul-tp9h6l7pb7	local	\N	creating	\N	2026-12-02 01:55:28.450556+00
3	capsul-tp9h6l7pb7	local	1	running	started (booted)	2026-12-02 01:55:28.473664+00
4	capsul-lmmijltfnn	\N	\N	pending	\N	2026-12-02 01:55:28.585398+00
5	capsul-lmmijltfnn	spoke2	\N	creating	\N	2026-12-02 01:55:28.613644+00
6	capsul-lmmijltfnn	spoke2	1	running	started (booted)	2026-12-02 01:55:28.640518+00
7	capsul-iw3a874pwx	\N	\N	pending	\N	2026-12-02 01:55:28.722463+00
8	capsul-iw3a874pwx	local	\N	creating	\N	2026-12-02 01:55:28.738449+00
9	capsul-iw3a874pwx	local	2	running	started (booted)	2026-12-02 01:55:28.763541+00
10	capsul-q1777bax7f	\N	\N	pending	\N	2026-12-02 01:55:28.84517+00
11	capsul-q1777bax7f	spoke2	\N	creating	\N	2026-12-02 01:55:28.863953+00
12	capsul-q1777bax7f	spoke2	2	running	started (booted)	2026-12-02 01:55:28.882142+00
13	capsul-1s29e4j7qv	\N	\N	pending	\N	2026-12-02 01:55:28.962122+00
14	capsul-1s29e4j7qv	local	\N	creating	\N	2026-12-02 01:55:28.996701+00
15	capsul-1s29e4j7qv	local	3	running	started (booted)	2026-12-02 01:55:29.035984+00
16	capsul-lmmijltfnn	spoke2	3	stopped	forced off	2026-12-02 01:55:29.094971+00
17	capsul-iw3a874pwx	\N	\N	deleting	delete requested	2026-12-02 01:55:29.122958+00
18	capsul-iw3a874pwx	local	\N	deleted	\N	2026-12-02 01:55:29.146045+00
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
capsul-tp9h6l7pb7	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEGl7DgflGC+squmoRtg/X2ist+2F+gR69Vq/KYwq0WY alice@example.org
capsul-lmmijltfnn	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEGl7DgflGC+squmoRtg/X2ist+2F+gR69Vq/KYwq0WY alice@example.org
capsul-iw3a874pwx	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEGl7DgflGC+squmoRtg/X2ist+2F+gR69Vq/KYwq0WY alice@example.org
capsul-q1777bax7f	bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK7wxEJGoKl6OinM+sl1I0utpzqmu9y5BcRvSm/p79W7 bob@example.org
capsul-1s29e4j7qv	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEGl7DgflGC+squmoRtg/X2ist+2F+gR69Vq/KYwq0WY alice@example.org
\.


--
-- Data for Name: vms; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vms (id, account, size, os, host_id, network_name, public_ipv4, state, failure_reason, created_at, state_changed_at, deleted_at, ssh_host_keys, public_ipv6) FROM stdin;
capsul-tp9h6l7pb7	alice@example.org	f1-xs	debian12	local	default	192.0.2.2	running	\N	2026-12-02 01:55:28.428201+00	2026-12-02 01:55:28.473664+00	\N	\N	2001:db8::2
capsul-q1777bax7f	bob@example.org	f1-xs	debian12	spoke2	default	198.51.100.3	running	\N	2026-12-02 01:55:28.84517+00	2026-12-02 01:55:28.882142+00	\N	\N	\N
capsul-1s29e4j7qv	alice@example.org	f1-xs	debian12	local	default	192.0.2.4	running	\N	2026-12-02 01:55:28.962122+00	2026-12-02 01:55:29.035984+00	\N	\N	2001:db8::4
capsul-lmmijltfnn	alice@example.org	f1-s	debian12	spoke2	default	198.51.100.2	stopped	\N	2026-12-02 01:55:28.585398+00	2026-12-02 01:55:29.094971+00	\N	\N	\N
capsul-iw3a874pwx	alice@example.org	f1-xs	debian12	local	default	192.0.2.3	deleted	\N	2026-12-02 01:55:28.722463+00	2026-12-02 01:55:29.143177+00	2026-12-02 01:55:29.143177+00	\N	2001:db8::3
\.


--
-- Name: api_tokens_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.api_tokens_id_seq', 3, true);


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
-- Name: vms_live_ipv4; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX vms_live_ipv4 ON public.vms USING btree (public_ipv4) WHERE ((public_ipv4 IS NOT NULL) AND (state <> ALL (ARRAY['deleted'::text, 'failed'::text])));


--
-- Name: vms_live_ipv6; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX vms_live_ipv6 ON public.vms USING btree (public_ipv6) WHERE ((public_ipv6 IS NOT NULL) AND (state <> ALL (ARRAY['deleted'::text, 'failed'::text])));


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
-- Name: host_load host_load_host_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_load
    ADD CONSTRAINT host_load_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.hosts(id) ON DELETE CASCADE;


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

\unrestrict rWXRyZcoThsa8IYfyEDbPPFGBbVTS2nDptT2TtWzYkPa9IV7t8dqkgzbXfmmxYE
