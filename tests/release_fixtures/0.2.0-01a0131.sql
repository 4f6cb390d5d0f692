--
-- PostgreSQL database dump
--

\restrict pcT8Pa2eet4u8XaNnYGIZHwB6iE6uBxEtgADec6lC9NhKIlrr9oHtKKPf7BAnbf

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
-- Name: host_network; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.host_network (
    host_id text NOT NULL,
    network_name text DEFAULT 'default'::text NOT NULL,
    cidr cidr NOT NULL,
    first_usable inet NOT NULL,
    last_usable inet NOT NULL,
    CONSTRAINT host_network_check CHECK (((first_usable << (cidr)::inet) AND (last_usable << (cidr)::inet) AND (first_usable <= last_usable))),
    CONSTRAINT host_network_cidr_check CHECK ((family((cidr)::inet) = 4))
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
admin@example.org	2026-12-02 01:54:07.444093+00
bob@example.org	2026-12-02 01:54:07.547205+00
alice@example.org	2026-12-02 01:54:07.502865+00
\.


--
-- Data for Name: api_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_tokens (id, account, name, token_hash, scope, created_at, expires_at, last_used_at, revoked_at) FROM stdin;
1	alice@example.org	deploy	2a4d03d5a297d4cef959e7add0afb35b7745d775e9e28dc69132cc6ef0d9e082	write	2026-12-02 01:54:07.64282+00	\N	\N	\N
2	alice@example.org	grafana	ce9c3eec99ba26ebaae3e51fb8dc95b12363b1d3d28e2b8a2dfd5cf50478cf33	read	2026-12-02 01:54:07.66851+00	\N	\N	\N
3	alice@example.org	old	d97a193bba1b5fcd2e9f5abaa1fa25c1dd885c3a86ccb63432804ea312ee0aa6	write	2026-12-02 01:54:07.678912+00	\N	\N	2026-12-02 01:54:07.721056+00
\.


--
-- Data for Name: balance_episodes; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.balance_episodes (account, warned_week_at, warned_day_at, zero_at, deletion_warned_at, deleted_at) FROM stdin;
\.


--
-- Data for Name: charges; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.charges (vm_id, account, hour, amount, created_at) FROM stdin;
capsul-9fvwn5bue8	alice@example.org	2026-12-02 01:00:00+00	0.007301	2026-12-02 01:54:08.844046+00
capsul-e72txql678	alice@example.org	2026-12-02 01:00:00+00	0.007301	2026-12-02 01:54:08.844046+00
capsul-tclgql758r	bob@example.org	2026-12-02 01:00:00+00	0.007301	2026-12-02 01:54:08.844046+00
capsul-99khedn0ff	alice@example.org	2026-12-02 01:00:00+00	0.007301	2026-12-02 01:54:08.844046+00
capsul-clgmy9ccz0	alice@example.org	2026-12-02 01:00:00+00	0.009808	2026-12-02 01:54:08.844046+00
\.


--
-- Data for Name: host_network; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.host_network (host_id, network_name, cidr, first_usable, last_usable) FROM stdin;
local	default	192.0.2.0/24	192.0.2.1	192.0.2.254
spoke2	default	198.51.100.0/24	198.51.100.1	198.51.100.254
spoke2	spare	198.51.100.0/25	198.51.100.1	198.51.100.126
\.


--
-- Data for Name: host_operation; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.host_operation (host_id, operation_id, assignment_status, offered_at, answered_at, answer) FROM stdin;
local	83eda031-f368-4a7e-b387-d772de3abafa	answered	2026-12-02 01:54:03.820266+00	2026-12-02 01:54:03.827488+00	{"vms": [], "last_event_seq": 0}
spoke2	2817c659-aae6-45b9-b3bb-081254251d9d	answered	2026-12-02 01:54:07.421235+00	2026-12-02 01:54:07.433941+00	{"vms": [], "last_event_seq": 0}
local	764414a9-d601-4854-a8fa-077e105e4e76	claimed	2026-12-02 01:54:07.922672+00	2026-12-02 01:54:07.939652+00	\N
spoke2	d943472b-6c8f-4c0f-97df-af24aa1e37de	claimed	2026-12-02 01:54:08.068656+00	2026-12-02 01:54:08.079419+00	\N
local	4a8380ce-645b-4b79-8ed6-2c800621d3c9	claimed	2026-12-02 01:54:08.172987+00	2026-12-02 01:54:08.186356+00	\N
spoke2	8adf653b-9a67-483d-b054-89e954110a0c	claimed	2026-12-02 01:54:08.294826+00	2026-12-02 01:54:08.306579+00	\N
local	ffd16534-44de-459d-a6db-ebada579328a	claimed	2026-12-02 01:54:08.399704+00	2026-12-02 01:54:08.40966+00	\N
spoke2	b9310378-19c8-4ccd-af26-41cb6beb8686	answered	2026-12-02 01:54:08.463007+00	2026-12-02 01:54:08.468117+00	{"state": "stopped", "vm_id": "capsul-clgmy9ccz0"}
local	9c49719a-1020-4502-a952-88fee1081b9d	answered	2026-12-02 01:54:08.489098+00	2026-12-02 01:54:08.493811+00	{"state": "deleted", "vm_id": "capsul-9fvwn5bue8", "existed": true, "removed_files": 0}
\.


--
-- Data for Name: hosts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.hosts (id, https_url, token, hub_token, previous_token, previous_hub_token, previous_valid_until, online, missed_heartbeats, last_heartbeat_at, last_error, capacity, last_event_seq, created_at, last_applied_seq) FROM stdin;
spoke2	https://127.0.0.1:46027	fc135c90827f6b31fa00e88d5b1c0107ca5393efc6ecafad593a7b9e8bfe1af0	b621f0a74f8b315b3077cb1ede94d273ff95534b233b5cb31beff170642d6ae7	\N	\N	\N	t	0	2026-12-02 01:54:08.777721+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1536}	3	2026-12-02 01:54:04.630703+00	3
local	https://127.0.0.1:42749	85b79034c5c2b3d0cf60c930b5ce86725ecdab5a240ea6ed7c15097d34bda090	a8ff7982a07a909aa650dab32335a2be52aa2642c54c359f1937a85a375af41b	\N	\N	\N	t	0	2026-12-02 01:54:08.777721+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1024}	5	2026-12-02 01:54:03.70281+00	5
\.


--
-- Data for Name: hub_secrets; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.hub_secrets (name, value, created_at) FROM stdin;
session_key	qgrnPBhFJVx2ICN5-Zbke0lopGt-pi6VPDFRxpBScIs=	2026-12-02 01:54:03.720242+00
\.


--
-- Data for Name: login_sessions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_sessions (id, secret_hash, account, created_at, last_seen_at, client_address, user_agent, ended_at) FROM stdin;
1	58c5eab001abf6b5416bdb609b27f60c7bfb8be4545d3d25cacd0943974f8db4	admin@example.org	2026-12-02 01:54:07.449643+00	2026-12-02 01:54:07.449643+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
2	9235621683d397094626b323b82a253c491345f025a5a1204786014132067b2d	alice@example.org	2026-12-02 01:54:07.507705+00	2026-12-02 01:54:07.507705+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
3	b687749e67d263f221500e35f0824167454f0da2c0a3ed6d446edf78a9e86ce3	bob@example.org	2026-12-02 01:54:07.550157+00	2026-12-02 01:54:07.550157+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
4	f48092b049ffb73f2d5995e96b02a6497ac2346edebfce090a72addf62ae53a5	alice@example.org	2026-12-02 01:54:07.584987+00	2026-12-02 01:54:07.584987+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
\.


--
-- Data for Name: login_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_tokens (token_hash, email, requested_by, created_at, expires_at, used_at) FROM stdin;
ae9f5f7c8d33f56df9272cd2b5d538afda216fd42773d9190b1128f084fac75f	admin@example.org	127.0.0.1	2026-12-02 01:54:07.407535+00	2026-12-02 02:09:07.407535+00	2026-12-02 01:54:07.444093+00
e2da4e78eabba0ff46527588c61a283050722610df04011c3f84b515226732d0	alice@example.org	127.0.0.1	2026-12-02 01:54:07.475254+00	2026-12-02 02:09:07.475254+00	2026-12-02 01:54:07.502865+00
eccdd73051f6206b019d1eb921b9552d08d77a5f28a11416ebf363554c573c76	bob@example.org	127.0.0.1	2026-12-02 01:54:07.527505+00	2026-12-02 02:09:07.527505+00	2026-12-02 01:54:07.547205+00
a4e96a7802d2b74c717ae1f73d10ace8ad5074a9024773777e995f5a00c031ba	alice@example.org	127.0.0.1	2026-12-02 01:54:07.565104+00	2026-12-02 02:09:07.565104+00	2026-12-02 01:54:07.582184+00
\.


--
-- Data for Name: operations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.operations (id, type, account, vm_id, payload, status, result, error, created_at, assigned_at, completed_at) FROM stdin;
83eda031-f368-4a7e-b387-d772de3abafa	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 01:54:03.812584+00	\N	2026-12-02 01:54:03.831052+00
2817c659-aae6-45b9-b3bb-081254251d9d	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 01:54:07.415332+00	\N	2026-12-02 01:54:07.440661+00
764414a9-d601-4854-a8fa-077e105e4e76	create	alice@example.org	capsul-99khedn0ff	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:54:07.909411+00	2026-12-02 01:54:07.939652+00	\N
d943472b-6c8f-4c0f-97df-af24aa1e37de	create	alice@example.org	capsul-clgmy9ccz0	{"os": "debian12", "size": "f1-s"}	assigned	\N	\N	2026-12-02 01:54:08.062097+00	2026-12-02 01:54:08.079419+00	\N
4a8380ce-645b-4b79-8ed6-2c800621d3c9	create	alice@example.org	capsul-9fvwn5bue8	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:54:08.165937+00	2026-12-02 01:54:08.186356+00	\N
8adf653b-9a67-483d-b054-89e954110a0c	create	bob@example.org	capsul-tclgql758r	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:54:08.288892+00	2026-12-02 01:54:08.306579+00	\N
ffd16534-44de-459d-a6db-ebada579328a	create	alice@example.org	capsul-e72txql678	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:54:08.394639+00	2026-12-02 01:54:08.40966+00	\N
b9310378-19c8-4ccd-af26-41cb6beb8686	vm_state_command	alice@example.org	capsul-clgmy9ccz0	{"command": "force-stop"}	completed	{"state": "stopped", "vm_id": "capsul-clgmy9ccz0"}	\N	2026-12-02 01:54:08.461078+00	\N	2026-12-02 01:54:08.469782+00
9c49719a-1020-4502-a952-88fee1081b9d	destroy	alice@example.org	capsul-9fvwn5bue8	{}	completed	{"state": "deleted", "vm_id": "capsul-9fvwn5bue8", "existed": true, "removed_files": 0}	\N	2026-12-02 01:54:08.487578+00	\N	2026-12-02 01:54:08.494877+00
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
stripe	cs_test_000001	alice@example.org	15.00	paid	2026-12-02 01:54:07.822964+00	2026-12-02 01:54:07.829178+00
\.


--
-- Data for Name: payments; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.payments (id, account, amount, provider, external_id, reason, created_by, created_at) FROM stdin;
1	alice@example.org	20.00	manual	\N	welcome credit for alice@example.org	admin@example.org	2026-12-02 01:54:07.733102+00
2	bob@example.org	10.00	manual	\N	welcome credit for bob@example.org	admin@example.org	2026-12-02 01:54:07.769448+00
3	alice@example.org	15.00	stripe	cs_test_000001	\N	\N	2026-12-02 01:54:07.829178+00
\.


--
-- Data for Name: periodic_runs; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.periodic_runs (name, last_run_at) FROM stdin;
heartbeat-sweep	2026-12-02 01:54:09.270776+00
\.


--
-- Data for Name: ssh_public_keys; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.ssh_public_keys (account, name, content, created_at, fingerprint) FROM stdin;
alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEyPBBnkDFhyz+EPo7A3KAVlgP6vzF8mQ4LQwuFU8H8d alice@example.org	2026-12-02 01:54:07.595602+00	SHA256:kh5TDwcpKQu6SJa87+vTPqNBf1iaJ18Cf5nWS6J/DyI
bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2rsQBNkR0d5ifl3tziRL/Ri02VLxv/ubMfbLM5hegt bob@example.org	2026-12-02 01:54:07.616214+00	SHA256:VrhjyRSKzjpSRq/E4WLL40S+e2Vs1aVnuFdCkOF1r0s
alice@example.org	desk	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM12EQHKha27Y3l1a1xkeEmt5Pq9F7AHP3BVeN59Ftwh desk	2026-12-02 01:54:07.629421+00	SHA256:HWdhsS7og/H/DKvMaClgAiUfonhJzctrkI1KBo//YkI
\.


--
-- Data for Name: vm_events; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vm_events (id, vm_id, host_id, seq, state, reason, at) FROM stdin;
1	capsul-99khedn0ff	\N	\N	pending	\N	2026-12-02 01:54:07.909411+00
2	capsul-99khedn0ff	local	\N	creating	\N	2026-12-02 01:54:07.939652+00
3	capsul-99khedn0ff	local	1	running	libvirt event 2/0	2026-12-02 01:54:07.960857+00
4	capsul-clgmy9ccz0	\N	\N	pending	\N	2026-12-02 01:54:08.062097+00
5	capsul-clgmy9ccz0	spoke2	\N	creating	\N	2026-12-02 01:54:08.079419+00
6	capsul-clgmy9ccz0	spoke2	1	running	libvirt event 2/0	2026-12-02 01:54:08.096527+00
7	capsul-9fvwn5bue8	\N	\N	pending	\N	2026-12-02 01:54:08.165937+00
8	capsul-9fvwn5bue8	local	\N	creating	\N	2026-12-02 01:54:08.186356+00
9	capsul-9fvwn5bue8	local	2	running	libvirt event 2/0	2026-12-02 01:54:08.203162+00
10	capsul-tclgql758r	\N	\N	pending	\N	2026-12-02 01:54:08.288892+00
11	capsul-tclgql758r	spoke2	\N	creating	\N	2026-12-02 01:54:08.306579+00
12	capsul-tclgql758r	spoke2	2	running	libvirt event 2/0	2026-12-02 01:54:08.322557+00
13	capsul-e72txql678	\N	\N	pending	\N	2026-12-02 01:54:08.394639+00
14	capsul-e72txql678	local	\N	creating	\N	2026-12-02 01:54:08.40966+00
15	capsul-e72txql678	local	3	running	libvirt event 2/0	2026-12-02 01:54:08.423578+00
16	capsul-clgmy9ccz0	spoke2	3	stopped	libvirt event 5/1	2026-12-02 01:54:08.46905+00
17	capsul-9fvwn5bue8	\N	\N	deleting	delete requested	2026-12-02 01:54:08.485879+00
18	capsul-9fvwn5bue8	local	\N	deleted	\N	2026-12-02 01:54:08.497995+00
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
capsul-99khedn0ff	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEyPBBnkDFhyz+EPo7A3KAVlgP6vzF8mQ4LQwuFU8H8d alice@example.org
capsul-clgmy9ccz0	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEyPBBnkDFhyz+EPo7A3KAVlgP6vzF8mQ4LQwuFU8H8d alice@example.org
capsul-9fvwn5bue8	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEyPBBnkDFhyz+EPo7A3KAVlgP6vzF8mQ4LQwuFU8H8d alice@example.org
capsul-tclgql758r	bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2rsQBNkR0d5ifl3tziRL/Ri02VLxv/ubMfbLM5hegt bob@example.org
capsul-e72txql678	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEyPBBnkDFhyz+EPo7A3KAVlgP6vzF8mQ4LQwuFU8H8d alice@example.org
\.


--
-- Data for Name: vms; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vms (id, account, size, os, host_id, network_name, public_ipv4, state, failure_reason, created_at, state_changed_at, deleted_at, ssh_host_keys) FROM stdin;
capsul-99khedn0ff	alice@example.org	f1-xs	debian12	local	default	192.0.2.1	running	\N	2026-12-02 01:54:07.909411+00	2026-12-02 01:54:07.960857+00	\N	\N
capsul-tclgql758r	bob@example.org	f1-xs	debian12	spoke2	default	198.51.100.2	running	\N	2026-12-02 01:54:08.288892+00	2026-12-02 01:54:08.322557+00	\N	\N
capsul-e72txql678	alice@example.org	f1-xs	debian12	local	default	192.0.2.3	running	\N	2026-12-02 01:54:08.394639+00	2026-12-02 01:54:08.423578+00	\N	\N
capsul-clgmy9ccz0	alice@example.org	f1-s	debian12	spoke2	default	198.51.100.1	stopped	\N	2026-12-02 01:54:08.062097+00	2026-12-02 01:54:08.46905+00	\N	\N
capsul-9fvwn5bue8	alice@example.org	f1-xs	debian12	local	default	192.0.2.2	deleted	\N	2026-12-02 01:54:08.165937+00	2026-12-02 01:54:08.495897+00	2026-12-02 01:54:08.495897+00	\N
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
-- Name: charges charges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charges
    ADD CONSTRAINT charges_pkey PRIMARY KEY (vm_id, hour);


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

\unrestrict pcT8Pa2eet4u8XaNnYGIZHwB6iE6uBxEtgADec6lC9NhKIlrr9oHtKKPf7BAnbf
