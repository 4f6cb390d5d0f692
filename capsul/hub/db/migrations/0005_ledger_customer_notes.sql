-- oldest version: 0.7.0
-- A manual credit or debit's note for its customer, apart from `reason`, which from now on is the
-- admin's own and shown to admins only. Entries made before say nothing to the customer (NULL).
ALTER TABLE payments ADD COLUMN customer_note text CHECK (length(customer_note) BETWEEN 1 AND 500);
