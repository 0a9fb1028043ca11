"""SQL run in pagila outside Airflow (one psql session), for the query-log test and ``make demo``.

A ``CREATE TABLE ... AS SELECT`` with joins and an ``INSERT ... SELECT``: what
``query_log_pagila`` must turn into lineage (with column lineage ``customer.email ->
rental_report.email``) and usage from ``pg_stat_statements``.
"""

CTAS = ("CREATE TABLE public.rental_report AS SELECT r.rental_id, c.email, f.title FROM public.rental r "
        "JOIN public.customer c ON c.customer_id = r.customer_id "
        "JOIN public.inventory i ON i.inventory_id = r.inventory_id "
        "JOIN public.film f ON f.film_id = i.film_id WHERE r.rental_id < 100")
INSERT = ("INSERT INTO public.rental_report (rental_id, email, title) SELECT r.rental_id, c.email, 'n/a' "
          "FROM public.rental r JOIN public.customer c ON c.customer_id = r.customer_id "
          "WHERE r.rental_id BETWEEN 100 AND 120")
