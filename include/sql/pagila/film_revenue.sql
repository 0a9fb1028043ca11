-- Revenue and rentals per film (pagila). Idempotent: the table keeps its identity
-- (and its catalog entry) across runs; its rows are replaced in one transaction.
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE TABLE IF NOT EXISTS analytics.film_revenue (
    film_id      integer       PRIMARY KEY,
    title        text          NOT NULL,
    rentals      integer       NOT NULL,
    revenue      numeric(12,2) NOT NULL,
    refreshed_at timestamptz   NOT NULL
);

BEGIN;
TRUNCATE analytics.film_revenue;
INSERT INTO analytics.film_revenue (film_id, title, rentals, revenue, refreshed_at)
SELECT f.film_id,
       f.title,
       count(DISTINCT r.rental_id)   AS rentals,
       coalesce(sum(p.amount), 0)    AS revenue,
       now()                         AS refreshed_at
FROM public.film f
LEFT JOIN public.inventory i ON i.film_id = f.film_id
LEFT JOIN public.rental r    ON r.inventory_id = i.inventory_id
LEFT JOIN public.payment p   ON p.rental_id = r.rental_id
GROUP BY f.film_id, f.title;
COMMIT;
