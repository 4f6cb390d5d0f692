-- oldest version: 0.7.0
-- Limits an admin sets for one account (the admin's account page), over the configured
-- ACCOUNT_MAX_CAPSULS, ACCOUNT_MAX_VCPUS and ACCOUNT_MAX_MEMORY_MB. NULL: the configured one;
-- 0: no limit, as in the configuration.
ALTER TABLE accounts
  ADD COLUMN max_capsuls integer CHECK (max_capsuls >= 0),
  ADD COLUMN max_vcpus integer CHECK (max_vcpus >= 0),
  ADD COLUMN max_memory_mb integer CHECK (max_memory_mb >= 0);
