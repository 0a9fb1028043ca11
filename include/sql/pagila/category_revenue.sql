-- Revenue and rentals per film category, from analytics.film_revenue.
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE TABLE IF NOT EXISTS analytics.category_revenue (
    category_id  integer       PRIMARY KEY,
    category     text          NOT NULL,
    films        integer       NOT NULL,
    rentals      integer       NOT NULL,
    revenue      numeric(12,2) NOT NULL,
    refreshed_at timestamptz   NOT NULL
);

BEGIN;
TRUNCATE analytics.category_revenue;
INSERT INTO analytics.category_revenue (category_id, category, films, rentals, revenue, refreshed_at)
SELECT c.category_id,
       c.name                        AS category,
       count(DISTINCT fr.film_id)    AS films,
       coalesce(sum(fr.rentals), 0)  AS rentals,
       coalesce(sum(fr.revenue), 0)  AS revenue,
       now()                         AS refreshed_at
FROM public.category c
LEFT JOIN public.film_category fc ON fc.category_id = c.category_id
LEFT JOIN analytics.film_revenue fr ON fr.film_id = fc.film_id
GROUP BY c.category_id, c.name;
COMMIT;
