--
-- PostgreSQL database dump
--

\restrict 3QknudEAp4lMy5c1Be7AO4laGzlmZDwMvyfjFqTdNosSCpVyIwIZChJ4apOp9Gt

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
    CONSTRAINT vms_check CHECK (((state = 'failed'::text) = (failure_reason IS NOT NULL))),
    CONSTRAINT vms_check1 CHECK (((state = ANY (ARRAY['pending'::text, 'failed'::text, 'deleted'::text])) OR (host_id IS NOT NULL))),
    CONSTRAINT vms_id_check CHECK ((id ~ '^capsul-[a-z0-9]{10}$'::text)),
    CONSTRAINT vms_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'creating'::text, 'running'::text, 'stopped'::text, 'paused'::text, 'crashed'::text, 'deleting'::text, 'deleted'::text, 'failed'::text])))
);


--
-- Name: ownership_conflicts id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ownership_conflicts ALTER COLUMN id SET DEFAULT nextval('public.ownership_conflicts_id_seq'::regclass);


--
-- Name: vm_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vm_events ALTER COLUMN id SET DEFAULT nextval('public.vm_events_id_seq'::regclass);


--
-- Data for Name: accounts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.accounts (email, created_at) FROM stdin;
bob@example.org	2026-12-02 01:53:57.130933+00
alice@example.org	2026-12-02 01:53:57.079074+00
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
local	2034b82b-0fb7-4b32-9113-88294fcfc64b	answered	2026-12-02 01:53:53.360086+00	2026-12-02 01:53:53.365575+00	{"vms": [], "last_event_seq": 0}
spoke2	c2baa97c-fda6-4812-a6fb-0ccc6edb1004	answered	2026-12-02 01:53:56.438383+00	2026-12-02 01:53:56.447293+00	{"vms": [], "last_event_seq": 0}
local	f7e13a7d-71b5-43f0-bebe-09fac274c381	answered	2026-12-02 01:53:57.127571+00	2026-12-02 01:53:57.138052+00	{"vms": [], "last_event_seq": 0}
spoke2	0695bacd-0fa4-4baa-b75f-e3036664af06	answered	2026-12-02 01:53:57.125702+00	2026-12-02 01:53:57.138662+00	{"vms": [], "last_event_seq": 0}
local	7816f84a-ff86-4ea7-b0fd-39d92d930dbd	claimed	2026-12-02 01:53:57.162061+00	2026-12-02 01:53:57.178143+00	\N
spoke2	ba8548fb-34ad-4362-8bf7-6c97ab407ac3	claimed	2026-12-02 01:53:57.203656+00	2026-12-02 01:53:57.217209+00	\N
local	afdafdaa-ce60-47ae-b28c-ecb30bc7ac52	claimed	2026-12-02 01:53:57.238263+00	2026-12-02 01:53:57.251127+00	\N
spoke2	cfc2f157-228a-44db-917d-bb57d84763b6	claimed	2026-12-02 01:53:57.270994+00	2026-12-02 01:53:57.286593+00	\N
spoke2	0afca22e-61a9-4db7-ac25-56b36db1f657	answered	2026-12-02 01:53:57.505624+00	2026-12-02 01:53:57.510623+00	{"state": "stopped", "vm_id": "capsul-0nukmidqlt"}
local	bbb9a46b-6154-457d-b6d1-aa201802eba7	answered	2026-12-02 01:53:57.522931+00	2026-12-02 01:53:57.528767+00	{"state": "deleted", "vm_id": "capsul-map0e4m4ih", "existed": true, "removed_files": 0}
\.


--
-- Data for Name: hosts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.hosts (id, https_url, token, hub_token, previous_token, previous_hub_token, previous_valid_until, online, missed_heartbeats, last_heartbeat_at, last_error, capacity, last_event_seq, created_at, last_applied_seq) FROM stdin;
spoke2	https://127.0.0.1:33649	3d8464c6f1c2ff17ab3c15674a816e84e41178ebbf64cae505bba10c22abb9e9	18f662e5e3939428071773ec05724be3b57588f8741eda4b69a5cc760aadcdc9	\N	\N	\N	t	1	2026-12-02 01:53:57.347067+00	cannot reach 127.0.0.1:33649: ClientConnectorError: Cannot connect to host 127.0.0.1:33649 ssl:default [Connect call failed ('127.0.0.1', 33649)]	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1024}	2	2026-12-02 01:53:54.014904+00	3
local	https://127.0.0.1:35111	7f0ede17ee59ac8ec458d1e57c5974394ff785525a9b8450b8d7bb5abfcb465a	b52d76b5d98b2e152a36d1d04bdf43584be8bdec28b1af6bc9124f99d49956a3	\N	\N	\N	t	0	2026-12-02 01:53:57.85046+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 1, "committed_memory_mb": 512}	4	2026-12-02 01:53:53.314027+00	4
\.


--
-- Data for Name: login_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_tokens (token_hash, email, requested_by, created_at, expires_at, used_at) FROM stdin;
cabddc727ffa8c2ac9decaac431c596ec81a5cf4682271e4da73432169a26ba1	alice@example.org	127.0.0.1	2026-12-02 01:53:57.14294+00	2026-12-02 02:08:57.14294+00	2026-12-02 01:53:57.149371+00
e62a68b09655d72b55e9f139ec4b5385595ff2407acaef7718761af14d3f1cb2	bob@example.org	127.0.0.1	2026-12-02 01:53:57.152347+00	2026-12-02 02:08:57.152347+00	\N
\.


--
-- Data for Name: operations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.operations (id, type, account, vm_id, payload, status, result, error, created_at, assigned_at, completed_at) FROM stdin;
2034b82b-0fb7-4b32-9113-88294fcfc64b	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 01:53:53.356599+00	\N	2026-12-02 01:53:53.366947+00
c2baa97c-fda6-4812-a6fb-0ccc6edb1004	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 01:53:56.436846+00	\N	2026-12-02 01:53:56.44869+00
f7e13a7d-71b5-43f0-bebe-09fac274c381	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 01:53:57.117129+00	\N	2026-12-02 01:53:57.140288+00
0695bacd-0fa4-4baa-b75f-e3036664af06	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-02 01:53:57.117241+00	\N	2026-12-02 01:53:57.14122+00
7816f84a-ff86-4ea7-b0fd-39d92d930dbd	create	alice@example.org	capsul-g8jdiyw9wh	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:53:57.157085+00	2026-12-02 01:53:57.178143+00	\N
ba8548fb-34ad-4362-8bf7-6c97ab407ac3	create	alice@example.org	capsul-0nukmidqlt	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:53:57.197343+00	2026-12-02 01:53:57.217209+00	\N
afdafdaa-ce60-47ae-b28c-ecb30bc7ac52	create	alice@example.org	capsul-map0e4m4ih	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:53:57.233799+00	2026-12-02 01:53:57.251127+00	\N
cfc2f157-228a-44db-917d-bb57d84763b6	create	bob@example.org	capsul-2vmr25k7eu	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-02 01:53:57.266224+00	2026-12-02 01:53:57.286593+00	\N
0afca22e-61a9-4db7-ac25-56b36db1f657	vm_state_command	alice@example.org	capsul-0nukmidqlt	{"command": "force-stop"}	completed	{"state": "stopped", "vm_id": "capsul-0nukmidqlt"}	\N	2026-12-02 01:53:57.503659+00	\N	2026-12-02 01:53:57.511964+00
bbb9a46b-6154-457d-b6d1-aa201802eba7	destroy	alice@example.org	capsul-map0e4m4ih	{}	completed	{"state": "deleted", "vm_id": "capsul-map0e4m4ih", "existed": true, "removed_files": 0}	\N	2026-12-02 01:53:57.521739+00	\N	2026-12-02 01:53:57.530811+00
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
-- Data for Name: ssh_public_keys; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.ssh_public_keys (account, name, content, created_at, fingerprint) FROM stdin;
alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAoqg8QaN87bAcFfYomaAHdJD7PSS7ZeJh1z3nZrdvPY alice@example.org	2026-12-02 01:53:57.111136+00	SHA256:kIPbEgtz6PFR6GASkov481jTMLnvEtPEksxgpLyI2t4
bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEIPmGsfKCT1Vmmqj68Ld+tTU4jFTLI8tDaZsKjJSc9y bob@example.org	2026-12-02 01:53:57.136162+00	SHA256:O06/7lK6T7hVsvOjsH5xguL0G1hucPXYPqzZe+sTZJk
\.


--
-- Data for Name: vm_events; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vm_events (id, vm_id, host_id, seq, state, reason, at) FROM stdin;
1	capsul-g8jdiyw9wh	\N	\N	pending	\N	2026-12-02 01:53:57.157085+00
2	capsul-g8jdiyw9wh	local	\N	creating	\N	2026-12-02 01:53:57.178143+00
3	capsul-g8jdiyw9wh	local	1	running	libvirt event 2/0	2026-12-02 01:53:57.193015+00
4	capsul-0nukmidqlt	\N	\N	pending	\N	2026-12-02 01:53:57.197343+00
5	capsul-0nukmidqlt	spoke2	\N	creating	\N	2026-12-02 01:53:57.217209+00
6	capsul-0nukmidqlt	spoke2	1	running	libvirt event 2/0	2026-12-02 01:53:57.232207+00
7	capsul-map0e4m4ih	\N	\N	pending	\N	2026-12-02 01:53:57.233799+00
8	capsul-map0e4m4ih	local	\N	creating	\N	2026-12-02 01:53:57.251127+00
9	capsul-map0e4m4ih	local	2	running	libvirt event 2/0	2026-12-02 01:53:57.264818+00
10	capsul-2vmr25k7eu	\N	\N	pending	\N	2026-12-02 01:53:57.266224+00
11	capsul-2vmr25k7eu	spoke2	\N	creating	\N	2026-12-02 01:53:57.286593+00
12	capsul-2vmr25k7eu	spoke2	2	running	libvirt event 2/0	2026-12-02 01:53:57.304739+00
13	capsul-0nukmidqlt	spoke2	3	stopped	libvirt event 5/1	2026-12-02 01:53:57.511855+00
14	capsul-map0e4m4ih	\N	\N	deleting	delete requested	2026-12-02 01:53:57.520282+00
15	capsul-map0e4m4ih	local	4	deleted	\N	2026-12-02 01:53:57.530441+00
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
capsul-g8jdiyw9wh	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAoqg8QaN87bAcFfYomaAHdJD7PSS7ZeJh1z3nZrdvPY alice@example.org
capsul-0nukmidqlt	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAoqg8QaN87bAcFfYomaAHdJD7PSS7ZeJh1z3nZrdvPY alice@example.org
capsul-map0e4m4ih	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAoqg8QaN87bAcFfYomaAHdJD7PSS7ZeJh1z3nZrdvPY alice@example.org
capsul-2vmr25k7eu	bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEIPmGsfKCT1Vmmqj68Ld+tTU4jFTLI8tDaZsKjJSc9y bob@example.org
\.


--
-- Data for Name: vms; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vms (id, account, size, os, host_id, network_name, public_ipv4, state, failure_reason, created_at, state_changed_at, deleted_at) FROM stdin;
capsul-g8jdiyw9wh	alice@example.org	f1-xs	debian12	local	default	192.0.2.1	running	\N	2026-12-02 01:53:57.157085+00	2026-12-02 01:53:57.193015+00	\N
capsul-2vmr25k7eu	bob@example.org	f1-xs	debian12	spoke2	default	198.51.100.2	running	\N	2026-12-02 01:53:57.266224+00	2026-12-02 01:53:57.304739+00	\N
capsul-0nukmidqlt	alice@example.org	f1-xs	debian12	spoke2	default	198.51.100.1	stopped	\N	2026-12-02 01:53:57.197343+00	2026-12-02 01:53:57.511855+00	\N
capsul-map0e4m4ih	alice@example.org	f1-xs	debian12	local	default	192.0.2.2	deleted	\N	2026-12-02 01:53:57.233799+00	2026-12-02 01:53:57.530441+00	2026-12-02 01:53:57.530441+00
\.


--
-- Name: ownership_conflicts_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.ownership_conflicts_id_seq', 1, false);


--
-- Name: vm_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.vm_events_id_seq', 15, true);


--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (email);


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
-- Name: host_operation_one_claim; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX host_operation_one_claim ON public.host_operation USING btree (operation_id) WHERE (assignment_status = 'claimed'::text);


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

\unrestrict 3QknudEAp4lMy5c1Be7AO4laGzlmZDwMvyfjFqTdNosSCpVyIwIZChJ4apOp9Gt
