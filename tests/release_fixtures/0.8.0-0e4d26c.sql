--
-- PostgreSQL database dump
--

\restrict QamcyHoHBFC5b7jlB31xg0houQJrpXcDV5EadbVh6KByGgQ4mseiGMxQjSNS8mk

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
    max_capsuls integer,
    max_vcpus integer,
    max_memory_mb integer,
    CONSTRAINT accounts_email_check CHECK (((email = lower(email)) AND (email ~ '^[^@\s]+@[^@\s]+$'::text))),
    CONSTRAINT accounts_max_capsuls_check CHECK ((max_capsuls >= 0)),
    CONSTRAINT accounts_max_memory_mb_check CHECK ((max_memory_mb >= 0)),
    CONSTRAINT accounts_max_vcpus_check CHECK ((max_vcpus >= 0))
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
    size text,
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
    version text,
    CONSTRAINT hosts_check CHECK ((token <> hub_token)),
    CONSTRAINT hosts_check1 CHECK (((previous_token IS NULL) = (previous_valid_until IS NULL))),
    CONSTRAINT hosts_https_url_check CHECK ((https_url ~ '^https://[^/]+$'::text)),
    CONSTRAINT hosts_id_check CHECK ((id ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'::text)),
    CONSTRAINT hosts_version_check CHECK ((version ~ '^\d{1,4}\.\d{1,4}\.\d{1,4}$'::text))
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
    CONSTRAINT operations_type_check CHECK ((type = ANY (ARRAY['list'::text, 'capacity_available'::text, 'get'::text, 'destroy'::text, 'vm_state_command'::text, 'create'::text, 'rebuild'::text, 'resize'::text])))
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
    customer_note text,
    CONSTRAINT payments_amount_check CHECK ((amount <> (0)::numeric)),
    CONSTRAINT payments_check CHECK (((provider = 'manual'::text) OR ((external_id IS NOT NULL) AND (amount > (0)::numeric)))),
    CONSTRAINT payments_check1 CHECK (((provider <> 'manual'::text) OR (reason IS NOT NULL))),
    CONSTRAINT payments_customer_note_check CHECK (((length(customer_note) >= 1) AND (length(customer_note) <= 500))),
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
    generation integer DEFAULT 0 NOT NULL,
    CONSTRAINT vms_check CHECK (((state = 'failed'::text) = (failure_reason IS NOT NULL))),
    CONSTRAINT vms_check1 CHECK (((state = ANY (ARRAY['pending'::text, 'failed'::text, 'deleted'::text])) OR (host_id IS NOT NULL))),
    CONSTRAINT vms_generation_check CHECK ((generation >= 0)),
    CONSTRAINT vms_id_check CHECK ((id ~ '^capsul-[a-z0-9]{10}$'::text)),
    CONSTRAINT vms_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'creating'::text, 'running'::text, 'stopped'::text, 'paused'::text, 'crashed'::text, 'deleting'::text, 'deleted'::text, 'failed'::text, 'rebuilding'::text, 'resizing'::text])))
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

COPY public.accounts (email, created_at, max_capsuls, max_vcpus, max_memory_mb) FROM stdin;
admin@example.org	2026-12-02 12:22:57.646994+00	\N	\N	\N
bob@example.org	2026-12-02 12:22:57.718854+00	\N	\N	\N
alice@example.org	2026-12-02 12:22:57.689002+00	\N	\N	\N
\.


--
-- Data for Name: api_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_tokens (id, account, name, token_hash, scope, created_at, expires_at, last_used_at, revoked_at) FROM stdin;
1	alice@example.org	deploy	aeae5b1873e8506a548a8eb40fc6a6ad8d39a7e70fb1a0c5fc03726031240bcd	write	2026-12-02 12:22:57.782741+00	\N	\N	\N
2	alice@example.org	grafana	e53818cb7e3a146771981bba005fc2e43a10af342611b7ee970ae47965106a86	read	2026-12-02 12:22:57.795836+00	\N	\N	\N
3	alice@example.org	old	1553a103df92c829a6c9fed59dd232fc984ae7c2c452cf73232eab1c783e2a6d	write	2026-12-02 12:22:57.805131+00	\N	\N	2026-12-02 12:22:57.838713+00
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

COPY public.charges (vm_id, account, hour, amount, created_at, size) FROM stdin;
capsul-203yhkwhtc	alice@example.org	2026-12-02 12:00:00+00	0.007301	2026-12-02 12:22:58.798319+00	f1-xs
capsul-y9ddikv2lo	bob@example.org	2026-12-02 12:00:00+00	0.007301	2026-12-02 12:22:58.798319+00	f1-xs
capsul-kutoyzwzqd	alice@example.org	2026-12-02 12:00:00+00	0.007301	2026-12-02 12:22:58.798319+00	f1-xs
capsul-7r3cdjl843	alice@example.org	2026-12-02 12:00:00+00	0.009808	2026-12-02 12:22:58.798319+00	f1-s
capsul-ki1t3dde72	alice@example.org	2026-12-02 12:00:00+00	0.007301	2026-12-02 12:22:58.798319+00	f1-xs
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
local	58a0cf31-010f-4433-933d-cc81d6937ab5	answered	2026-12-02 12:22:55.795378+00	2026-12-02 12:22:55.798398+00	{"vms": [], "last_event_seq": 0}
spoke2	3c77e322-3ad5-41fe-8501-218b17d8dc49	answered	2026-12-02 12:22:57.633255+00	2026-12-02 12:22:57.649+00	{"vms": [], "last_event_seq": 0}
local	571332c3-90ac-4ed3-8904-5bb41749cdd6	claimed	2026-12-02 12:22:57.963923+00	2026-12-02 12:22:57.970814+00	\N
spoke2	761880ce-b5bc-43a5-8da9-2453695a39ac	claimed	2026-12-02 12:22:58.048523+00	2026-12-02 12:22:58.056272+00	\N
local	93b3f4d5-b8c6-4dad-abe2-248eaeef446f	claimed	2026-12-02 12:22:58.111542+00	2026-12-02 12:22:58.11788+00	\N
spoke2	4dafb90f-91ce-46a7-810b-36cd5af2bb70	claimed	2026-12-02 12:22:58.174657+00	2026-12-02 12:22:58.183011+00	\N
local	3c0f1fda-9843-48e6-bb8d-a3f522c7cc90	claimed	2026-12-02 12:22:58.246145+00	2026-12-02 12:22:58.252165+00	\N
spoke2	41dd7bba-48a9-4700-8d7b-e846e44ef34d	answered	2026-12-02 12:22:58.286258+00	2026-12-02 12:22:58.289486+00	{"state": "stopped", "vm_id": "capsul-7r3cdjl843"}
local	9d873d6a-5aea-4d22-9a41-16f8e37fe437	answered	2026-12-02 12:22:58.306856+00	2026-12-02 12:22:58.310505+00	{"state": "deleted", "vm_id": "capsul-ki1t3dde72", "existed": true, "released_dhcp": [], "removed_files": 0}
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

COPY public.hosts (id, https_url, token, hub_token, previous_token, previous_hub_token, previous_valid_until, online, missed_heartbeats, last_heartbeat_at, last_error, capacity, last_event_seq, created_at, last_applied_seq, missing_networks, reports_usage, version) FROM stdin;
spoke2	https://127.0.0.1:55539	f5cd7502a2e7d3038e89d2a825d72eb780e516eca706f482d4498d7195d59bc9	15998743b8c4ad6f1a5e9785b61e962090e4d131e60775152db7cc57458615b8	\N	\N	\N	t	0	2026-12-02 12:22:58.703974+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1536}	3	2026-12-02 12:22:56.433835+00	3	{}	f	0.8.0
local	https://127.0.0.1:40043	9b2570069499e79cb33b2f06adb433ad41fa5543e4a9e8280dbef01ba061a30d	17edfcf2e5477b07359d3da3eb104e794d2f0ebfc11721c90b7b4458f82967f2	\N	\N	\N	t	0	2026-12-02 12:22:58.703974+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1024}	5	2026-12-02 12:22:55.668443+00	5	{}	f	0.8.0
\.


--
-- Data for Name: hub_secrets; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.hub_secrets (name, value, created_at) FROM stdin;
session_key	td0UbAKrASvuT33ZuMuD_qfVVho9Mxr26LUGy250-rg=	2026-12-02 12:22:55.685385+00
\.


--
-- Data for Name: login_sessions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_sessions (id, secret_hash, account, created_at, last_seen_at, client_address, user_agent, ended_at) FROM stdin;
1	4c4e90ba33eaae81d29279ffb37d629683e4e2401498d195bf788a2e7c572699	admin@example.org	2026-12-02 12:22:57.651005+00	2026-12-02 12:22:57.651005+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
2	4ef84324c8ccae872920112232ec18a080995419494d364b396c1b4cbecc2ea7	alice@example.org	2026-12-02 12:22:57.692067+00	2026-12-02 12:22:57.692067+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
3	024ada09c45118dccbb5f5916c6d364e27fa68b646e35386750205f3d5499cc4	bob@example.org	2026-12-02 12:22:57.72044+00	2026-12-02 12:22:57.72044+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
4	9da24fcb9820ebb4b47c2f3862c17e92d9dce188d9fa38df3504c62aa1f00fce	alice@example.org	2026-12-02 12:22:57.745483+00	2026-12-02 12:22:57.745483+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
\.


--
-- Data for Name: login_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_tokens (token_hash, email, requested_by, created_at, expires_at, used_at) FROM stdin;
e68c83ea604835e3565541967f117b549b28a8943ceb3112e499b85f7568c839	admin@example.org	127.0.0.1	2026-12-02 12:22:57.614889+00	2026-12-02 12:37:57.614889+00	2026-12-02 12:22:57.646994+00
ca639ae2944a44415bfceb35c82bfc7ae44777bf3b0cbc0c00ed31f1d69af0dd	alice@example.org	127.0.0.1	2026-12-02 12:22:57.672683+00	2026-12-02 12:37:57.672683+00	2026-12-02 12:22:57.689002+00
299690fe59dd66daa7dcfd4def456ffbd7d1e4d9434c116ee0cb651e24263168	bob@example.org	127.0.0.1	2026-12-02 12:22:57.706206+00	2026-12-02 12:37:57.706206+00	2026-12-02 12:22:57.718854+00
f446af7dc43d99bbba4dff3103eeea665c50dbf4e4db8b4e651b938448064571	alice@example.org	127.0.0.1	2026-12-02 12:22:57.732181+00	2026-12-02 12:37:57.732181+00	2026-12-02 12:22:57.743812+00
\.


--
-- Data for Name: operations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.operations (id, type, account, vm_id, payload, status, result, error, created_at, assigned_at, completed_at) FROM stdin;
58a0cf31-010f-4433-933d-cc81d6937ab5	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 12:22:55.78687+00	\N	2026-12-02 12:22:55.803771+00
3c77e322-3ad5-41fe-8501-218b17d8dc49	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 12:22:57.623501+00	\N	2026-12-02 12:22:57.650162+00
571332c3-90ac-4ed3-8904-5bb41749cdd6	create	alice@example.org	capsul-203yhkwhtc	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 12:22:57.957371+00	2026-12-02 12:22:57.970814+00	\N
761880ce-b5bc-43a5-8da9-2453695a39ac	create	alice@example.org	capsul-7r3cdjl843	{"os": "debian12", "size": "f1-s"}	assigned	\N	\N	2026-12-02 12:22:58.044575+00	2026-12-02 12:22:58.056272+00	\N
93b3f4d5-b8c6-4dad-abe2-248eaeef446f	create	alice@example.org	capsul-ki1t3dde72	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 12:22:58.108397+00	2026-12-02 12:22:58.11788+00	\N
4dafb90f-91ce-46a7-810b-36cd5af2bb70	create	bob@example.org	capsul-y9ddikv2lo	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 12:22:58.170407+00	2026-12-02 12:22:58.183011+00	\N
3c0f1fda-9843-48e6-bb8d-a3f522c7cc90	create	alice@example.org	capsul-kutoyzwzqd	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 12:22:58.241833+00	2026-12-02 12:22:58.252165+00	\N
41dd7bba-48a9-4700-8d7b-e846e44ef34d	vm_state_command	alice@example.org	capsul-7r3cdjl843	{"command": "force-stop"}	completed	{"state": "stopped", "vm_id": "capsul-7r3cdjl843"}	\N	2026-12-02 12:22:58.284633+00	\N	2026-12-02 12:22:58.291237+00
9d873d6a-5aea-4d22-9a41-16f8e37fe437	destroy	alice@example.org	capsul-ki1t3dde72	{"network_name": "default"}	completed	{"state": "deleted", "vm_id": "capsul-ki1t3dde72", "existed": true, "released_dhcp": [], "removed_files": 0}	\N	2026-12-02 12:22:58.305435+00	\N	2026-12-02 12:22:58.311221+00
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
stripe	cs_test_000001	alice@example.org	15.00	paid	2026-12-02 12:22:57.910432+00	2026-12-02 12:22:57.913861+00
\.


--
-- Data for Name: payments; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.payments (id, account, amount, provider, external_id, reason, created_by, created_at, customer_note) FROM stdin;
1	alice@example.org	20.00	manual	\N	welcome credit for alice@example.org	admin@example.org	2026-12-02 12:22:57.848166+00	\N
2	bob@example.org	10.00	manual	\N	welcome credit for bob@example.org	admin@example.org	2026-12-02 12:22:57.879901+00	\N
3	alice@example.org	15.00	stripe	cs_test_000001	\N	\N	2026-12-02 12:22:57.913861+00	\N
\.


--
-- Data for Name: periodic_runs; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.periodic_runs (name, last_run_at) FROM stdin;
housekeeping	2026-12-02 12:22:55.711755+00
unfinished-changes	2026-12-02 12:22:55.71219+00
usage_rollup	2026-12-02 12:22:55.726303+00
heartbeat-sweep	2026-12-02 12:22:58.697996+00
\.


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migrations (id, name, checksum, applied_at, applied_by) FROM stdin;
1	0001_before_migrations	d8f7499891eba37f1359af1866621a607c35a7f6af91007e1719973e841c5694	2026-12-02 12:22:55.512339+00	0.8.0 (fresh install)
2	0002_embedded_pool_gateway	5ceb90900f518b82aae998573d043769973ab5c96ddbdd1b8d9e4ffdfb50f418	2026-12-02 12:22:55.512339+00	0.8.0 (fresh install)
3	0003_hosts_version	169faf6d69b6d5edd10158027477550578a539649cfceba9f7b193aa5b765c58	2026-12-02 12:22:55.512339+00	0.8.0 (fresh install)
4	0004_account_limits	8f6a24744ac966b20cd0ca5bb7c062971c554267231ae21f4d8605de2d25b3cd	2026-12-02 12:22:55.512339+00	0.8.0 (fresh install)
5	0005_ledger_customer_notes	c8ac2eae2ba9e89e923fe63dfa850f43fa6bbaad1679a0c4a58ea6572c8e4ec8	2026-12-02 12:22:55.512339+00	0.8.0 (fresh install)
6	0006_rebuild_resize	a9c09c2d58e4436614d16e1bfea9a8dd4afa63beeb44190fb4b6590946bd1bfc	2026-12-02 12:22:55.512339+00	0.8.0 (fresh install)
\.


--
-- Data for Name: schema_state; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_state (only_row, oldest_version, newest_version, updated_at) FROM stdin;
t	0.7.0	0.8.0	2026-12-02 12:22:55.512339+00
\.


--
-- Data for Name: ssh_public_keys; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.ssh_public_keys (account, name, content, created_at, fingerprint) FROM stdin;
alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBOpV88rTbXVqZ/UeHgcsOEVK64a1UUDCaWwbIcxo2uW alice@example.org	2026-12-02 12:22:57.753711+00	SHA256:nY58nv4VT54VMDlc/1AJYCzart3comMpaO4zMtHcR60
bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINfCknM720lgVxMwrkkFbOOAcUm1PJSOc6W0Ezqjy8W5 bob@example.org	2026-12-02 12:22:57.765361+00	SHA256:/WixNRPvv/T+sxfyB0hXUQpU73Sw4d+V7wekRV+sFR4
alice@example.org	desk	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDEWkJ3gSxvp3HWrwr1mHVc6JfjQ/yxAiHswnJWVePfO desk	2026-12-02 12:22:57.774177+00	SHA256:oxSklLEtEaDOvGMnBlMsq8QU1e/4eeTg+7fyMbIcUZw
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
1	capsul-203yhkwhtc	\N	\N	pending	\N	2026-12-02 12:22:57.957371+00
2	capsul-203yhkwhtc	local	\N	creating	\N	2026-12-02 12:22:57.970814+00
3	capsul-203yhkwhtc	local	1	running	started (booted)	2026-12-02 12:22:57.983915+00
4	capsul-7r3cdjl843	\N	\N	pending	\N	2026-12-02 12:22:58.044575+00
5	capsul-7r3cdjl843	spoke2	\N	creating	\N	2026-12-02 12:22:58.056272+00
6	capsul-7r3cdjl843	spoke2	1	running	started (booted)	2026-12-02 12:22:58.067641+00
7	capsul-ki1t3dde72	\N	\N	pending	\N	2026-12-02 12:22:58.108397+00
8	capsul-ki1t3dde72	local	\N	creating	\N	2026-12-02 12:22:58.11788+00
9	capsul-ki1t3dde72	local	2	running	started (booted)	2026-12-02 12:22:58.127975+00
10	capsul-y9ddikv2lo	\N	\N	pending	\N	2026-12-02 12:22:58.170407+00
11	capsul-y9ddikv2lo	spoke2	\N	creating	\N	2026-12-02 12:22:58.183011+00
12	capsul-y9ddikv2lo	spoke2	2	running	started (booted)	2026-12-02 12:22:58.192907+00
13	capsul-kutoyzwzqd	\N	\N	pending	\N	2026-12-02 12:22:58.241833+00
14	capsul-kutoyzwzqd	local	\N	creating	\N	2026-12-02 12:22:58.252165+00
15	capsul-kutoyzwzqd	local	3	running	started (booted)	2026-12-02 12:22:58.258782+00
16	capsul-7r3cdjl843	spoke2	3	stopped	forced off	2026-12-02 12:22:58.290839+00
17	capsul-ki1t3dde72	\N	\N	deleting	delete requested	2026-12-02 12:22:58.304184+00
18	capsul-ki1t3dde72	local	5	deleted	\N	2026-12-02 12:22:58.311009+00
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
capsul-203yhkwhtc	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBOpV88rTbXVqZ/UeHgcsOEVK64a1UUDCaWwbIcxo2uW alice@example.org
capsul-7r3cdjl843	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBOpV88rTbXVqZ/UeHgcsOEVK64a1UUDCaWwbIcxo2uW alice@example.org
capsul-ki1t3dde72	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBOpV88rTbXVqZ/UeHgcsOEVK64a1UUDCaWwbIcxo2uW alice@example.org
capsul-y9ddikv2lo	bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINfCknM720lgVxMwrkkFbOOAcUm1PJSOc6W0Ezqjy8W5 bob@example.org
capsul-kutoyzwzqd	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBOpV88rTbXVqZ/UeHgcsOEVK64a1UUDCaWwbIcxo2uW alice@example.org
\.


--
-- Data for Name: vms; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vms (id, account, size, os, host_id, network_name, public_ipv4, state, failure_reason, created_at, state_changed_at, deleted_at, ssh_host_keys, public_ipv6, generation) FROM stdin;
capsul-203yhkwhtc	alice@example.org	f1-xs	debian12	local	default	192.0.2.2	running	\N	2026-12-02 12:22:57.957371+00	2026-12-02 12:22:57.983915+00	\N	\N	2001:db8::2	0
capsul-y9ddikv2lo	bob@example.org	f1-xs	debian12	spoke2	default	198.51.100.3	running	\N	2026-12-02 12:22:58.170407+00	2026-12-02 12:22:58.192907+00	\N	\N	\N	0
capsul-kutoyzwzqd	alice@example.org	f1-xs	debian12	local	default	192.0.2.4	running	\N	2026-12-02 12:22:58.241833+00	2026-12-02 12:22:58.258782+00	\N	\N	2001:db8::4	0
capsul-7r3cdjl843	alice@example.org	f1-s	debian12	spoke2	default	198.51.100.2	stopped	\N	2026-12-02 12:22:58.044575+00	2026-12-02 12:22:58.290839+00	\N	\N	\N	0
capsul-ki1t3dde72	alice@example.org	f1-xs	debian12	local	default	192.0.2.3	deleted	\N	2026-12-02 12:22:58.108397+00	2026-12-02 12:22:58.311009+00	2026-12-02 12:22:58.311009+00	\N	2001:db8::3	0
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
-- Name: charges charges_size_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charges
    ADD CONSTRAINT charges_size_fkey FOREIGN KEY (size) REFERENCES public.vm_sizes(id);


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

\unrestrict QamcyHoHBFC5b7jlB31xg0houQJrpXcDV5EadbVh6KByGgQ4mseiGMxQjSNS8mk


