-- PostgreSQL only: its reserve-seat function (0011) saves round trips; SQLite runs the
-- same decision in-process, where round trips cost little.
SELECT 1;
