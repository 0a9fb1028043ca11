-- Revenue per store (pagila), through the staff who took the payments.
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE TABLE IF NOT EXISTS analytics.store_revenue (
    store_id     integer       PRIMARY KEY,
    payments     integer       NOT NULL,
    revenue      numeric(12,2) NOT NULL,
    refreshed_at timestamptz   NOT NULL
);

BEGIN;
TRUNCATE analytics.store_revenue;
INSERT INTO analytics.store_revenue (store_id, payments, revenue, refreshed_at)
SELECT s.store_id, count(p.payment_id), coalesce(sum(p.amount), 0), now()
FROM public.store s
LEFT JOIN public.staff st  ON st.store_id = s.store_id
LEFT JOIN public.payment p ON p.staff_id = st.staff_id
GROUP BY s.store_id;
COMMIT;
