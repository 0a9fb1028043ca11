-- A synthetic, realistic catalog for bench_scale: :objects tables and views in schemas of
-- :per_schema objects each. Load with
--   psql -v objects=10000 -v per_schema=500 -f bench/synthetic_schema.sql
--
-- * ~95 % tables, ~5 % views (every 20th object is a view)
-- * tables: 10-30 columns (varied by a hash of the table number) cycling through 22 types
--   (integer ... jsonb, arrays, uuid, inet, numeric(p,s), varchar(n), timestamptz, ...),
--   a bigint primary key, every 3rd column NOT NULL, every 7th table a UNIQUE constraint,
--   every 10th table and every 5th column of it a comment
-- * foreign keys: every table but a schema's first references its predecessor, every 4th
--   one also the table at half its position (a tree), both in the same schema
-- * views join a table with the one it references
-- Generation is one procedure that commits per schema (keeps the lock table small).

CREATE OR REPLACE PROCEDURE bench_generate(n_objects int, per_schema int)
LANGUAGE plpgsql AS $proc$
DECLARE
    types text[] := ARRAY['integer', 'bigint', 'smallint', 'numeric(12,2)', 'double precision', 'real',
                          'text', 'varchar(64)', 'varchar(255)', 'char(8)', 'boolean', 'date', 'timestamp',
                          'timestamptz', 'time', 'interval', 'uuid', 'jsonb', 'bytea', 'inet', 'text[]',
                          'integer[]'];
    n_schemas int := (n_objects + per_schema - 1) / per_schema;
    s int;
    j int;
    k int;
    obj int;
    in_schema int;
    n_cols int;
    sch text;
    cols text;
    tname text;
    ref_pos int;
    tables_in_schema int;
BEGIN
    FOR s IN 0 .. n_schemas - 1 LOOP
        sch := format('bench_s%s', lpad(s::text, 3, '0'));
        EXECUTE format('CREATE SCHEMA %I', sch);
        in_schema := least(per_schema, n_objects - s * per_schema);
        tables_in_schema := 0;
        -- tables first (positions 1..), then the views of this schema
        FOR j IN 1 .. in_schema LOOP
            obj := s * per_schema + j;
            CONTINUE WHEN obj % 20 = 0;  -- a view slot
            tables_in_schema := tables_in_schema + 1;
            tname := format('t_%s', lpad(tables_in_schema::text, 5, '0'));
            n_cols := 10 + (abs(hashint4(obj)) % 21);
            cols := 'id bigint PRIMARY KEY';
            IF tables_in_schema > 1 THEN
                cols := cols || format(', parent_id bigint REFERENCES %I.%I (id)',
                                       sch, format('t_%s', lpad((tables_in_schema - 1)::text, 5, '0')));
            ELSE
                cols := cols || ', parent_id bigint';
            END IF;
            IF tables_in_schema % 4 = 0 THEN
                ref_pos := greatest(1, tables_in_schema / 2);
                cols := cols || format(', tree_id bigint REFERENCES %I.%I (id)',
                                       sch, format('t_%s', lpad(ref_pos::text, 5, '0')));
            END IF;
            FOR k IN 3 .. n_cols LOOP
                cols := cols || format(', c%s %s%s', k, types[1 + (abs(hashint4(obj * 31 + k)) % array_length(types, 1))],
                                       CASE WHEN k % 3 = 0 THEN ' NOT NULL' ELSE '' END);
            END LOOP;
            IF tables_in_schema % 7 = 0 THEN
                cols := cols || ', UNIQUE (c3)';
            END IF;
            EXECUTE format('CREATE TABLE %I.%I (%s)', sch, tname, cols);
            IF tables_in_schema % 10 = 0 THEN
                EXECUTE format('COMMENT ON TABLE %I.%I IS %L', sch, tname, 'Synthetic table number ' || obj);
                FOR k IN 3 .. n_cols BY 5 LOOP
                    EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', sch, tname, 'c' || k, 'Column ' || k || ' of ' || tname);
                END LOOP;
            END IF;
        END LOOP;
        FOR j IN 1 .. in_schema LOOP
            obj := s * per_schema + j;
            CONTINUE WHEN obj % 20 <> 0;
            ref_pos := greatest(2, least(tables_in_schema, j - j / 20));
            EXECUTE format('CREATE VIEW %I.%I AS SELECT a.id, a.c3, a.c4, b.id AS parent_key, b.c5 AS parent_c5 '
                           'FROM %I.%I a JOIN %I.%I b ON b.id = a.parent_id',
                           sch, format('v_%s', lpad(j::text, 5, '0')),
                           sch, format('t_%s', lpad(ref_pos::text, 5, '0')),
                           sch, format('t_%s', lpad((ref_pos - 1)::text, 5, '0')));
        END LOOP;
        COMMIT;
    END LOOP;
END
$proc$;

CALL bench_generate(:objects, :per_schema);
DROP PROCEDURE bench_generate(int, int);
ANALYZE;
