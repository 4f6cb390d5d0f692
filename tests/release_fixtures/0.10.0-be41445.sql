--
-- PostgreSQL database dump
--

\restrict mSdB7DtGdoTFKERgsEFVfM7p4cfuwKHsn3v8kfxOPg0BuSdl2muRs6sfSihtfhh

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
-- Name: host_network_segment_agrees(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.host_network_segment_agrees() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF (SELECT count(DISTINCT (cidr, first_usable, last_usable, gateway, dns_servers, ipv6_cidr, ipv6_gateway, cpu_model))
      FROM host_network WHERE segment = NEW.segment) > 1 THEN
    RAISE EXCEPTION 'the pools of segment % differ: every host on a segment has the same addresses, gateways, DNS and CPU model', NEW.segment
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;


--
-- Name: host_network_segment_default(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.host_network_segment_default() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF NEW.segment IS NULL THEN
    NEW.segment := NEW.host_id || '/' || NEW.network_name;
  END IF;
  RETURN NEW;
END $$;


--
-- Name: os_images_identity(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.os_images_identity() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF OLD.sha256 IS NOT NULL AND (NEW.sha256, NEW.url, NEW.size_bytes, NEW.file_name)
                                IS DISTINCT FROM (OLD.sha256, OLD.url, OLD.size_bytes, OLD.file_name) THEN
    RAISE EXCEPTION 'OS image % is known by its digest: its file is never edited (add a new image)', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
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
-- Name: backup_charges; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.backup_charges (
    account text NOT NULL,
    hour timestamp with time zone NOT NULL,
    stored_bytes bigint NOT NULL,
    amount numeric(14,6) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT backup_charges_amount_check CHECK ((amount >= (0)::numeric)),
    CONSTRAINT backup_charges_hour_check CHECK ((hour = date_trunc('hour'::text, hour))),
    CONSTRAINT backup_charges_stored_bytes_check CHECK ((stored_bytes >= 0))
);


--
-- Name: backup_schedules; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.backup_schedules (
    vm_id text NOT NULL,
    daily boolean DEFAULT false NOT NULL,
    window_start smallint DEFAULT 2 NOT NULL,
    window_hours smallint DEFAULT 4 NOT NULL,
    keep_last smallint DEFAULT 3 NOT NULL,
    keep_daily smallint DEFAULT 7 NOT NULL,
    keep_weekly smallint DEFAULT 4 NOT NULL,
    keep_monthly smallint DEFAULT 3 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT backup_schedules_keep_daily_check CHECK (((keep_daily >= 0) AND (keep_daily <= 1000))),
    CONSTRAINT backup_schedules_keep_last_check CHECK (((keep_last >= 0) AND (keep_last <= 1000))),
    CONSTRAINT backup_schedules_keep_monthly_check CHECK (((keep_monthly >= 0) AND (keep_monthly <= 1000))),
    CONSTRAINT backup_schedules_keep_weekly_check CHECK (((keep_weekly >= 0) AND (keep_weekly <= 1000))),
    CONSTRAINT backup_schedules_window_hours_check CHECK (((window_hours >= 1) AND (window_hours <= 24))),
    CONSTRAINT backup_schedules_window_start_check CHECK (((window_start >= 0) AND (window_start <= 23)))
);


--
-- Name: backups; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.backups (
    id uuid NOT NULL,
    vm_id text NOT NULL,
    account text NOT NULL,
    host_id text,
    reason text NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    consistency text,
    os_image text,
    disk_bytes bigint,
    image_bytes bigint,
    stored_bytes bigint,
    digest text,
    snapshot text,
    done_bytes bigint,
    protected boolean DEFAULT false NOT NULL,
    error text,
    requested_at timestamp with time zone DEFAULT now() NOT NULL,
    taken_at timestamp with time zone,
    finished_at timestamp with time zone,
    pruned_at timestamp with time zone,
    CONSTRAINT backups_check CHECK (((status <> 'done'::text) OR ((snapshot IS NOT NULL) AND (digest IS NOT NULL) AND (taken_at IS NOT NULL) AND (consistency IS NOT NULL) AND (image_bytes IS NOT NULL)))),
    CONSTRAINT backups_check1 CHECK (((status <> 'failed'::text) OR (error IS NOT NULL))),
    CONSTRAINT backups_consistency_check CHECK ((consistency = ANY (ARRAY['application'::text, 'crash'::text, 'stopped'::text]))),
    CONSTRAINT backups_digest_check CHECK ((digest ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT backups_disk_bytes_check CHECK ((disk_bytes >= 0)),
    CONSTRAINT backups_done_bytes_check CHECK ((done_bytes >= 0)),
    CONSTRAINT backups_image_bytes_check CHECK ((image_bytes >= 0)),
    CONSTRAINT backups_reason_check CHECK ((reason = ANY (ARRAY['scheduled'::text, 'asked'::text, 'before-rebuild'::text]))),
    CONSTRAINT backups_snapshot_check CHECK ((snapshot ~ '^[0-9a-f]{8,64}$'::text)),
    CONSTRAINT backups_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'taking'::text, 'uploading'::text, 'waiting-for-store'::text, 'done'::text, 'failed'::text, 'pruned'::text]))),
    CONSTRAINT backups_stored_bytes_check CHECK ((stored_bytes >= 0))
);


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
    segment text NOT NULL,
    cpu_model text,
    CONSTRAINT host_network_check CHECK (((first_usable << (cidr)::inet) AND (last_usable << (cidr)::inet) AND (first_usable <= last_usable))),
    CONSTRAINT host_network_cidr_check CHECK ((family((cidr)::inet) = 4)),
    CONSTRAINT host_network_cpu_model_check CHECK ((cpu_model ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'::text)),
    CONSTRAINT host_network_gateway CHECK (((gateway IS NULL) OR ((family(gateway) = 4) AND (gateway << (cidr)::inet) AND (NOT ((gateway >= first_usable) AND (gateway <= last_usable)))))),
    CONSTRAINT host_network_ipv6 CHECK ((((ipv6_cidr IS NULL) = (ipv6_gateway IS NULL)) AND ((ipv6_cidr IS NULL) OR ((family((ipv6_cidr)::inet) = 6) AND (family(ipv6_gateway) = 6))))),
    CONSTRAINT host_network_segment_check CHECK ((segment ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$'::text))
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
    state text DEFAULT 'active'::text NOT NULL,
    state_reason text,
    state_changed_at timestamp with time zone,
    maintenance_from timestamp with time zone,
    images jsonb,
    CONSTRAINT hosts_check CHECK ((token <> hub_token)),
    CONSTRAINT hosts_check1 CHECK (((previous_token IS NULL) = (previous_valid_until IS NULL))),
    CONSTRAINT hosts_https_url_check CHECK ((https_url ~ '^https://[^/]+$'::text)),
    CONSTRAINT hosts_id_check CHECK ((id ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'::text)),
    CONSTRAINT hosts_state_check CHECK ((state = ANY (ARRAY['active'::text, 'draining'::text, 'maintenance'::text]))),
    CONSTRAINT hosts_state_reason_check CHECK (((length(state_reason) >= 1) AND (length(state_reason) <= 500))),
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
    CONSTRAINT operations_type_check CHECK ((type = ANY (ARRAY['list'::text, 'capacity_available'::text, 'get'::text, 'destroy'::text, 'vm_state_command'::text, 'create'::text, 'rebuild'::text, 'resize'::text, 'backup'::text, 'restore'::text, 'move'::text, 'fetch_image'::text])))
);


--
-- Name: os_images; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.os_images (
    id text NOT NULL,
    description text NOT NULL,
    file_name text,
    deprecated boolean DEFAULT false NOT NULL,
    kernel_file text,
    initrd_file text,
    kernel_cmdline text,
    url text,
    sha256 text,
    size_bytes bigint,
    added_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT os_images_id_check CHECK ((id ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'::text)),
    CONSTRAINT os_images_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT os_images_size_bytes_check CHECK ((size_bytes > 0)),
    CONSTRAINT os_images_source CHECK (((file_name IS NOT NULL) OR ((url IS NOT NULL) AND (sha256 IS NOT NULL)))),
    CONSTRAINT os_images_url_check CHECK (((url ~ '^https?://\S+$'::text) AND (length(url) <= 2000)))
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
    moved_from text,
    CONSTRAINT vms_check CHECK (((state = 'failed'::text) = (failure_reason IS NOT NULL))),
    CONSTRAINT vms_check1 CHECK (((state = ANY (ARRAY['pending'::text, 'failed'::text, 'deleted'::text])) OR (host_id IS NOT NULL))),
    CONSTRAINT vms_generation_check CHECK ((generation >= 0)),
    CONSTRAINT vms_id_check CHECK ((id ~ '^capsul-[a-z0-9]{10}$'::text)),
    CONSTRAINT vms_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'creating'::text, 'running'::text, 'stopped'::text, 'paused'::text, 'crashed'::text, 'deleting'::text, 'deleted'::text, 'failed'::text, 'rebuilding'::text, 'resizing'::text, 'restoring'::text, 'fetching-image'::text, 'migrating'::text])))
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
admin@example.org	2026-12-07 20:16:38.560751+00	\N	\N	\N
bob@example.org	2026-12-07 20:16:38.626341+00	\N	\N	\N
alice@example.org	2026-12-07 20:16:38.599495+00	\N	\N	\N
\.


--
-- Data for Name: api_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_tokens (id, account, name, token_hash, scope, created_at, expires_at, last_used_at, revoked_at) FROM stdin;
1	alice@example.org	deploy	a09a0bad68f458ccfc968e037b90ab22ece0bb247b9809b336a4f8e51f4c3e51	write	2026-12-07 20:16:38.702005+00	\N	\N	\N
2	alice@example.org	grafana	1ca9673ce02bff60db6ca5153bbe42a1313e374ab6c342281bea3140a5633dff	read	2026-12-07 20:16:38.71584+00	\N	\N	\N
3	alice@example.org	old	f684647f047635517f0c93aeb3e98a16ced1daa8de1f420bd07663cdbf7c679c	write	2026-12-07 20:16:38.722531+00	\N	\N	2026-12-07 20:16:38.751684+00
\.


--
-- Data for Name: backup_charges; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.backup_charges (account, hour, stored_bytes, amount, created_at) FROM stdin;
\.


--
-- Data for Name: backup_schedules; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.backup_schedules (vm_id, daily, window_start, window_hours, keep_last, keep_daily, keep_weekly, keep_monthly, updated_at) FROM stdin;
\.


--
-- Data for Name: backups; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.backups (id, vm_id, account, host_id, reason, status, consistency, os_image, disk_bytes, image_bytes, stored_bytes, digest, snapshot, done_bytes, protected, error, requested_at, taken_at, finished_at, pruned_at) FROM stdin;
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
capsul-l96b2ksdaa	alice@example.org	2026-12-07 20:00:00+00	0.007301	2026-12-07 20:16:39.867197+00	f1-xs
capsul-e5f5oqmqwa	alice@example.org	2026-12-07 20:00:00+00	0.007301	2026-12-07 20:16:39.867197+00	f1-xs
capsul-qkazwtluwm	bob@example.org	2026-12-07 20:00:00+00	0.007301	2026-12-07 20:16:39.867197+00	f1-xs
capsul-f4o68n7sq9	alice@example.org	2026-12-07 20:00:00+00	0.007301	2026-12-07 20:16:39.867197+00	f1-xs
capsul-ul9cnq7oz7	alice@example.org	2026-12-07 20:00:00+00	0.009808	2026-12-07 20:16:39.867197+00	f1-s
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

COPY public.host_network (host_id, network_name, cidr, first_usable, last_usable, gateway, dns_servers, ipv6_cidr, ipv6_gateway, segment, cpu_model) FROM stdin;
local	default	192.0.2.0/24	192.0.2.2	192.0.2.254	192.0.2.1	{192.0.2.1}	2001:db8::/64	2001:db8::1	local/default	\N
spoke2	default	198.51.100.0/24	198.51.100.2	198.51.100.254	198.51.100.1	{198.51.100.1}	\N	\N	spoke2/default	\N
\.


--
-- Data for Name: host_operation; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.host_operation (host_id, operation_id, assignment_status, offered_at, answered_at, answer) FROM stdin;
local	fdc82551-970a-4156-bc1a-f8aeaf4ad9c4	answered	2026-12-07 20:16:36.840632+00	2026-12-07 20:16:36.842913+00	{"vms": [], "last_event_seq": 0}
spoke2	9c294ac3-ee81-437e-93f9-77c8964e0979	answered	2026-12-07 20:16:38.538882+00	2026-12-07 20:16:38.551642+00	{"vms": [], "last_event_seq": 0}
local	233f513c-d99f-474c-a792-2aad2cec61a8	claimed	2026-12-07 20:16:38.920325+00	2026-12-07 20:16:38.932465+00	\N
spoke2	2796339e-bdf0-4d65-a772-2b06174aee82	claimed	2026-12-07 20:16:39.050346+00	2026-12-07 20:16:39.061963+00	\N
local	f7733c3f-0680-4e1d-9ec9-4a65632119be	claimed	2026-12-07 20:16:39.140128+00	2026-12-07 20:16:39.150243+00	\N
spoke2	b9adb8ff-5073-464c-b748-51c047b49522	claimed	2026-12-07 20:16:39.224798+00	2026-12-07 20:16:39.232873+00	\N
local	0a1b8159-61d0-4eb5-8d54-af817e28b529	claimed	2026-12-07 20:16:39.294712+00	2026-12-07 20:16:39.3016+00	\N
spoke2	42647383-0e43-4c28-9b90-0e460bd81602	answered	2026-12-07 20:16:39.343537+00	2026-12-07 20:16:39.347199+00	{"state": "stopped", "vm_id": "capsul-ul9cnq7oz7"}
local	f21f02ba-077c-4ccb-875f-bf01a3c2b108	answered	2026-12-07 20:16:39.365172+00	2026-12-07 20:16:39.368608+00	{"state": "deleted", "vm_id": "capsul-l96b2ksdaa", "existed": true, "released_dhcp": [], "removed_files": 0}
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

COPY public.hosts (id, https_url, token, hub_token, previous_token, previous_hub_token, previous_valid_until, online, missed_heartbeats, last_heartbeat_at, last_error, capacity, last_event_seq, created_at, last_applied_seq, missing_networks, reports_usage, version, state, state_reason, state_changed_at, maintenance_from, images) FROM stdin;
spoke2	https://127.0.0.1:59691	8e355d194945a2294515df4485ea33364d14ce887888b45966b67773a5f22b9c	469eff800a997737f7f06c73650569c2a5dbdfb306d55069d908e626b9cc5a8c	\N	\N	\N	t	0	2026-12-07 20:16:39.818902+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1536}	3	2026-12-07 20:16:37.275629+00	3	{}	f	0.10.0	active	\N	\N	\N	{}
local	https://127.0.0.1:41077	032db0bcb1068ffddc801723356cf58b46c0391d1aa42368765d03a3ce71e522	b2a956764ad95014b02654f887f633d54db2a6e1f8b186d903b5240afbcff41e	\N	\N	\N	t	0	2026-12-07 20:16:39.818902+00	\N	{"cpus": 16, "memory_mb": 3072, "committed_cpus": 2, "committed_memory_mb": 1024}	5	2026-12-07 20:16:36.76359+00	5	{}	f	0.10.0	active	\N	\N	\N	{}
\.


--
-- Data for Name: hub_secrets; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.hub_secrets (name, value, created_at) FROM stdin;
session_key	Mmbn_F_kUuEsun_cSNcK_wlk_6gSG9ZC8CEJ7wwAZDA=	2026-12-07 20:16:36.782334+00
\.


--
-- Data for Name: login_sessions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_sessions (id, secret_hash, account, created_at, last_seen_at, client_address, user_agent, ended_at) FROM stdin;
1	ebf89d81ca86f8a2abc60bb224816c87187b5e9097f9356bb9558cb33c018dbc	admin@example.org	2026-12-07 20:16:38.563124+00	2026-12-07 20:16:38.563124+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
2	6ced8f4d50b6a051e709a24a1e400f460ee708e94569b6c5cac64956e8a038c1	alice@example.org	2026-12-07 20:16:38.601991+00	2026-12-07 20:16:38.601991+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
3	ab19c2d71a5d64919f541fb2175e8f8cfd4949bacb57b0185feb9c5fbd4209a1	bob@example.org	2026-12-07 20:16:38.628358+00	2026-12-07 20:16:38.628358+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
4	96874f4f8f4016e1ccb5f03a0f5aafc3db34d2d6054b5b4c5b4f9dc285e2b920	alice@example.org	2026-12-07 20:16:38.658409+00	2026-12-07 20:16:38.658409+00	127.0.0.1	Python/3.11 aiohttp/3.14.5	\N
\.


--
-- Data for Name: login_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.login_tokens (token_hash, email, requested_by, created_at, expires_at, used_at) FROM stdin;
ea32726674ecf68d29900bfc6c451f454008cd3f1732374f56ba8c8926d5b908	admin@example.org	127.0.0.1	2026-12-07 20:16:38.532709+00	2026-12-07 20:31:38.532709+00	2026-12-07 20:16:38.560751+00
ebf2f7899a2ddece2b4f3d67dd8cb8cbad5793563d933b47bf424c65d1094d43	alice@example.org	127.0.0.1	2026-12-07 20:16:38.586309+00	2026-12-07 20:31:38.586309+00	2026-12-07 20:16:38.599495+00
7554b35bd0330567b36e73e2d4839e2df8f669cf44f3fb8eacd8636086fe2753	bob@example.org	127.0.0.1	2026-12-07 20:16:38.613212+00	2026-12-07 20:31:38.613212+00	2026-12-07 20:16:38.626341+00
cdef29618d5306fc2e2483e2f3c658183537f39110517777f8b801b5cf5ce0dd	alice@example.org	127.0.0.1	2026-12-07 20:16:38.639848+00	2026-12-07 20:31:38.639848+00	2026-12-07 20:16:38.656252+00
\.


--
-- Data for Name: operations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.operations (id, type, account, vm_id, payload, status, result, error, created_at, assigned_at, completed_at) FROM stdin;
fdc82551-970a-4156-bc1a-f8aeaf4ad9c4	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-07 20:16:36.838115+00	\N	2026-12-07 20:16:36.844193+00
9c294ac3-ee81-437e-93f9-77c8964e0979	list	\N	\N	{}	completed	{"vms": [], "last_event_seq": 0}	\N	2026-12-07 20:16:38.536097+00	\N	2026-12-07 20:16:38.553571+00
233f513c-d99f-474c-a792-2aad2cec61a8	create	alice@example.org	capsul-f4o68n7sq9	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-07 20:16:38.91216+00	2026-12-07 20:16:38.932465+00	\N
2796339e-bdf0-4d65-a772-2b06174aee82	create	alice@example.org	capsul-ul9cnq7oz7	{"os": "debian12", "size": "f1-s"}	assigned	\N	\N	2026-12-07 20:16:39.043718+00	2026-12-07 20:16:39.061963+00	\N
f7733c3f-0680-4e1d-9ec9-4a65632119be	create	alice@example.org	capsul-l96b2ksdaa	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-07 20:16:39.135482+00	2026-12-07 20:16:39.150243+00	\N
b9adb8ff-5073-464c-b748-51c047b49522	create	bob@example.org	capsul-qkazwtluwm	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-07 20:16:39.219782+00	2026-12-07 20:16:39.232873+00	\N
0a1b8159-61d0-4eb5-8d54-af817e28b529	create	alice@example.org	capsul-e5f5oqmqwa	{"os": "debian12", "size": "f1-xs"}	assigned	\N	\N	2026-12-07 20:16:39.289785+00	2026-12-07 20:16:39.3016+00	\N
42647383-0e43-4c28-9b90-0e460bd81602	vm_state_command	alice@example.org	capsul-ul9cnq7oz7	{"command": "force-stop"}	completed	{"state": "stopped", "vm_id": "capsul-ul9cnq7oz7"}	\N	2026-12-07 20:16:39.342095+00	\N	2026-12-07 20:16:39.348022+00
f21f02ba-077c-4ccb-875f-bf01a3c2b108	destroy	alice@example.org	capsul-l96b2ksdaa	{"network_name": "default"}	completed	{"state": "deleted", "vm_id": "capsul-l96b2ksdaa", "existed": true, "released_dhcp": [], "removed_files": 0}	\N	2026-12-07 20:16:39.363194+00	\N	2026-12-07 20:16:39.369255+00
\.


--
-- Data for Name: os_images; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.os_images (id, description, file_name, deprecated, kernel_file, initrd_file, kernel_cmdline, url, sha256, size_bytes, added_at) FROM stdin;
debian12	Debian 12 (bookworm)	debian-12-genericcloud-amd64.qcow2	f	\N	\N	\N	\N	\N	\N	2026-12-07 20:16:36.658733+00
alpine320	Alpine Linux 3.20	alpine-3.20-cloudinit.qcow2	f	\N	\N	\N	\N	\N	\N	2026-12-07 20:16:36.658733+00
ubuntu24	Ubuntu 24.04 LTS	ubuntu-24.04-server-cloudimg-amd64.img	f	\N	\N	\N	\N	\N	\N	2026-12-07 20:16:36.658733+00
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
stripe	cs_test_000001	alice@example.org	15.00	paid	2026-12-07 20:16:38.866492+00	2026-12-07 20:16:38.869667+00
\.


--
-- Data for Name: payments; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.payments (id, account, amount, provider, external_id, reason, created_by, created_at, customer_note) FROM stdin;
1	alice@example.org	20.00	manual	\N	welcome credit for alice@example.org	admin@example.org	2026-12-07 20:16:38.760051+00	\N
2	bob@example.org	10.00	manual	\N	welcome credit for bob@example.org	admin@example.org	2026-12-07 20:16:38.817308+00	\N
3	alice@example.org	15.00	stripe	cs_test_000001	\N	\N	2026-12-07 20:16:38.869667+00	\N
\.


--
-- Data for Name: periodic_runs; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.periodic_runs (name, last_run_at) FROM stdin;
unfinished-changes	2026-12-07 20:16:36.802312+00
housekeeping	2026-12-07 20:16:36.803239+00
unfinished-moves	2026-12-07 20:16:36.808126+00
usage_rollup	2026-12-07 20:16:36.821955+00
heartbeat-sweep	2026-12-07 20:16:39.813751+00
\.


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migrations (id, name, checksum, applied_at, applied_by) FROM stdin;
1	0001_before_migrations	d8f7499891eba37f1359af1866621a607c35a7f6af91007e1719973e841c5694	2026-12-07 20:16:36.658733+00	0.10.0 (fresh install)
2	0002_embedded_pool_gateway	5ceb90900f518b82aae998573d043769973ab5c96ddbdd1b8d9e4ffdfb50f418	2026-12-07 20:16:36.658733+00	0.10.0 (fresh install)
3	0003_hosts_version	169faf6d69b6d5edd10158027477550578a539649cfceba9f7b193aa5b765c58	2026-12-07 20:16:36.658733+00	0.10.0 (fresh install)
4	0004_account_limits	8f6a24744ac966b20cd0ca5bb7c062971c554267231ae21f4d8605de2d25b3cd	2026-12-07 20:16:36.658733+00	0.10.0 (fresh install)
5	0005_ledger_customer_notes	c8ac2eae2ba9e89e923fe63dfa850f43fa6bbaad1679a0c4a58ea6572c8e4ec8	2026-12-07 20:16:36.658733+00	0.10.0 (fresh install)
6	0006_rebuild_resize	a9c09c2d58e4436614d16e1bfea9a8dd4afa63beeb44190fb4b6590946bd1bfc	2026-12-07 20:16:36.658733+00	0.10.0 (fresh install)
7	0007_backups	1a9f0be1418ff54ff856278741f9bc72ce3806ce8cb4da35ef1223df3242ed32	2026-12-07 20:16:36.658733+00	0.10.0 (fresh install)
8	0008_images_and_host_states	70f2249b083bc218f370f48c761cda03b75d206c4d66c7288bd776548aded055	2026-12-07 20:16:36.658733+00	0.10.0 (fresh install)
9	0009_segments_and_moves	24ef5d185a43cbaa68bc9b29f4554fc25da7769aa45a73c4820dc75602e29d78	2026-12-07 20:16:36.658733+00	0.10.0 (fresh install)
\.


--
-- Data for Name: schema_state; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_state (only_row, oldest_version, newest_version, updated_at) FROM stdin;
t	0.9.0	0.10.0	2026-12-07 20:16:36.658733+00
\.


--
-- Data for Name: ssh_public_keys; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.ssh_public_keys (account, name, content, created_at, fingerprint) FROM stdin;
alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICz+IfyBwIjWbCb6CKTLCc+2/w9hVHuw8Xkm8mdMs2EO alice@example.org	2026-12-07 20:16:38.669842+00	SHA256:KMDgX5BBz/QCcFWQyd8RJH+7OMVxG93tUqLnNH7teDI
bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICpir4jQt8qyK9Hm8NgLu4+gyukGZIOV0YyySDT7nrqQ bob@example.org	2026-12-07 20:16:38.684784+00	SHA256:rkMNrotU1+nd7da0D74cr9jz5DEdy8NCjaXXOQRr+LQ
alice@example.org	desk	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILT8qPC61Z4NDoO/bpKXX7aa42WYIqeKZoq00cHMw5zl desk	2026-12-07 20:16:38.693924+00	SHA256:98G3DaFdg7Q8dWV6PJhNNhoq7P2UEdeN4UFBk1aZmnk
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
1	capsul-f4o68n7sq9	\N	\N	pending	\N	2026-12-07 20:16:38.91216+00
2	capsul-f4o68n7sq9	local	\N	creating	\N	2026-12-07 20:16:38.932465+00
3	capsul-f4o68n7sq9	local	1	running	started (booted)	2026-12-07 20:16:38.951651+00
4	capsul-ul9cnq7oz7	\N	\N	pending	\N	2026-12-07 20:16:39.043718+00
5	capsul-ul9cnq7oz7	spoke2	\N	creating	\N	2026-12-07 20:16:39.061963+00
6	capsul-ul9cnq7oz7	spoke2	1	running	started (booted)	2026-12-07 20:16:39.079017+00
7	capsul-l96b2ksdaa	\N	\N	pending	\N	2026-12-07 20:16:39.135482+00
8	capsul-l96b2ksdaa	local	\N	creating	\N	2026-12-07 20:16:39.150243+00
9	capsul-l96b2ksdaa	local	2	running	started (booted)	2026-12-07 20:16:39.164458+00
10	capsul-qkazwtluwm	\N	\N	pending	\N	2026-12-07 20:16:39.219782+00
11	capsul-qkazwtluwm	spoke2	\N	creating	\N	2026-12-07 20:16:39.232873+00
12	capsul-qkazwtluwm	spoke2	2	running	started (booted)	2026-12-07 20:16:39.242851+00
13	capsul-e5f5oqmqwa	\N	\N	pending	\N	2026-12-07 20:16:39.289785+00
14	capsul-e5f5oqmqwa	local	\N	creating	\N	2026-12-07 20:16:39.3016+00
15	capsul-e5f5oqmqwa	local	3	running	started (booted)	2026-12-07 20:16:39.31038+00
16	capsul-ul9cnq7oz7	spoke2	3	stopped	forced off	2026-12-07 20:16:39.347702+00
17	capsul-l96b2ksdaa	\N	\N	deleting	delete requested	2026-12-07 20:16:39.362105+00
18	capsul-l96b2ksdaa	local	\N	deleted	\N	2026-12-07 20:16:39.370836+00
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
capsul-f4o68n7sq9	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICz+IfyBwIjWbCb6CKTLCc+2/w9hVHuw8Xkm8mdMs2EO alice@example.org
capsul-ul9cnq7oz7	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICz+IfyBwIjWbCb6CKTLCc+2/w9hVHuw8Xkm8mdMs2EO alice@example.org
capsul-l96b2ksdaa	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICz+IfyBwIjWbCb6CKTLCc+2/w9hVHuw8Xkm8mdMs2EO alice@example.org
capsul-qkazwtluwm	bob@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICpir4jQt8qyK9Hm8NgLu4+gyukGZIOV0YyySDT7nrqQ bob@example.org
capsul-e5f5oqmqwa	alice@example.org	laptop	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICz+IfyBwIjWbCb6CKTLCc+2/w9hVHuw8Xkm8mdMs2EO alice@example.org
\.


--
-- Data for Name: vms; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.vms (id, account, size, os, host_id, network_name, public_ipv4, state, failure_reason, created_at, state_changed_at, deleted_at, ssh_host_keys, public_ipv6, generation, moved_from) FROM stdin;
capsul-f4o68n7sq9	alice@example.org	f1-xs	debian12	local	default	192.0.2.2	running	\N	2026-12-07 20:16:38.91216+00	2026-12-07 20:16:38.951651+00	\N	\N	2001:db8::2	0	\N
capsul-qkazwtluwm	bob@example.org	f1-xs	debian12	spoke2	default	198.51.100.3	running	\N	2026-12-07 20:16:39.219782+00	2026-12-07 20:16:39.242851+00	\N	\N	\N	0	\N
capsul-e5f5oqmqwa	alice@example.org	f1-xs	debian12	local	default	192.0.2.4	running	\N	2026-12-07 20:16:39.289785+00	2026-12-07 20:16:39.31038+00	\N	\N	2001:db8::4	0	\N
capsul-ul9cnq7oz7	alice@example.org	f1-s	debian12	spoke2	default	198.51.100.2	stopped	\N	2026-12-07 20:16:39.043718+00	2026-12-07 20:16:39.347702+00	\N	\N	\N	0	\N
capsul-l96b2ksdaa	alice@example.org	f1-xs	debian12	local	default	192.0.2.3	deleted	\N	2026-12-07 20:16:39.135482+00	2026-12-07 20:16:39.369802+00	2026-12-07 20:16:39.369802+00	\N	2001:db8::3	0	\N
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
-- Name: backup_charges backup_charges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.backup_charges
    ADD CONSTRAINT backup_charges_pkey PRIMARY KEY (account, hour);


--
-- Name: backup_schedules backup_schedules_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.backup_schedules
    ADD CONSTRAINT backup_schedules_pkey PRIMARY KEY (vm_id);


--
-- Name: backups backups_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.backups
    ADD CONSTRAINT backups_pkey PRIMARY KEY (id);


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
-- Name: host_network host_network_one_pool_per_segment; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_network
    ADD CONSTRAINT host_network_one_pool_per_segment UNIQUE (host_id, segment);


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
-- Name: backups_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX backups_account ON public.backups USING btree (account, requested_at DESC);


--
-- Name: backups_one_under_way; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX backups_one_under_way ON public.backups USING btree (vm_id) WHERE (status = ANY (ARRAY['queued'::text, 'taking'::text, 'uploading'::text, 'waiting-for-store'::text]));


--
-- Name: backups_vm; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX backups_vm ON public.backups USING btree (vm_id, requested_at DESC);


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
-- Name: operations_moves_under_way; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operations_moves_under_way ON public.operations USING btree (created_at) WHERE ((type = 'move'::text) AND (status = ANY (ARRAY['pending'::text, 'assigned'::text])));


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
-- Name: os_images_sha256; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX os_images_sha256 ON public.os_images USING btree (sha256);


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
-- Name: host_network host_network_segment_agrees; Type: TRIGGER; Schema: public; Owner: -
--

CREATE CONSTRAINT TRIGGER host_network_segment_agrees AFTER INSERT OR UPDATE ON public.host_network DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.host_network_segment_agrees();


--
-- Name: host_network host_network_segment_default; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER host_network_segment_default BEFORE INSERT OR UPDATE ON public.host_network FOR EACH ROW EXECUTE FUNCTION public.host_network_segment_default();


--
-- Name: os_images os_images_identity; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER os_images_identity BEFORE UPDATE ON public.os_images FOR EACH ROW EXECUTE FUNCTION public.os_images_identity();


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
-- Name: backup_charges backup_charges_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.backup_charges
    ADD CONSTRAINT backup_charges_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email);


--
-- Name: backup_schedules backup_schedules_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.backup_schedules
    ADD CONSTRAINT backup_schedules_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id);


--
-- Name: backups backups_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.backups
    ADD CONSTRAINT backups_account_fkey FOREIGN KEY (account) REFERENCES public.accounts(email);


--
-- Name: backups backups_host_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.backups
    ADD CONSTRAINT backups_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.hosts(id) ON DELETE SET NULL;


--
-- Name: backups backups_vm_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.backups
    ADD CONSTRAINT backups_vm_id_fkey FOREIGN KEY (vm_id) REFERENCES public.vms(id);


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
-- Name: vms vms_moved_from_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vms
    ADD CONSTRAINT vms_moved_from_fkey FOREIGN KEY (moved_from) REFERENCES public.hosts(id) ON DELETE SET NULL;


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

\unrestrict mSdB7DtGdoTFKERgsEFVfM7p4cfuwKHsn3v8kfxOPg0BuSdl2muRs6sfSihtfhh


